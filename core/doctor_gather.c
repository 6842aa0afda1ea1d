/* doctor_gather.c - read the machine into CupDoctorFacts for the doctor's rules. Every system
 * path is read under the root (--root); the environment is passed in. */
#include "core/doctor.h"

#include "core/detect.h"
#include "core/error.h"
#include "core/i18n.h"
#include "core/paths.h"
#include "core/txn.h"

#include <string.h>

/* The toolkit @entry (a directory, system path) lies in: its root is a prefix of the entry's
 * real path. NULL when none. */
static const CupToolkit *toolkit_of(const CupSystem *sys, const char *root, const char *entry)
{
  g_autofree char *real = cup_root_realpath(root, entry);
  for (guint i = 0; real && i < sys->toolkits->len; i++) {
    const CupToolkit *tk = g_ptr_array_index(sys->toolkits, i);
    gsize n = strlen(tk->root);
    if (strncmp(real, tk->root, n) == 0 && (real[n] == '\0' || real[n] == '/'))
      return tk;
  }
  return NULL;
}

static void split_path(const CupSystem *sys, const char *root, const char *value, GPtrArray *out)
{
  g_auto(GStrv) entries = g_strsplit(value ? value : "", G_SEARCHPATH_SEPARATOR_S, -1);
  for (char **e = entries; *e; e++) {
    if (**e == '\0')
      continue;
    const CupToolkit *tk = g_path_is_absolute(*e) ? toolkit_of(sys, root, *e) : NULL;
    g_ptr_array_add(out,
                    cup_doctor_path_entry_new(*e, tk ? tk->root : NULL, tk ? tk->version : NULL));
  }
}

/* "libcudnn.so.9.19.0" -> "9.19.0"; "cudnn64_9.dll" -> "9"; other names -> NULL. */
static char *cudnn_version_of(const char *name)
{
  if (g_str_has_prefix(name, "libcudnn.so.") && g_ascii_isdigit(name[strlen("libcudnn.so.")]))
    return g_strdup(name + strlen("libcudnn.so."));
  if (g_str_has_prefix(name, "cudnn64_") && g_str_has_suffix(name, ".dll"))
    return g_strndup(name + strlen("cudnn64_"), strlen(name) - strlen("cudnn64_.dll"));
  return NULL;
}

/* The cuDNN libraries in each directory of @entries; the fullest version of each directory
 * (libcudnn.so.9.19.0 rather than its link libcudnn.so.9). */
static void find_cudnn(const char *root, const GPtrArray *entries, const char *via, GPtrArray *out)
{
  for (guint i = 0; i < entries->len; i++) {
    const CupDoctorPathEntry *e = g_ptr_array_index(entries, i);
    g_autofree char *dir = cup_root_join(root, e->entry);
    g_autoptr(GDir) d = g_path_is_absolute(e->entry) ? g_dir_open(dir, 0, NULL) : NULL;
    g_autofree char *best = NULL, *best_version = NULL;
    for (const char *name; d && (name = g_dir_read_name(d));) {
      g_autofree char *version = cudnn_version_of(name);
      if (version && (best_version == NULL || strlen(version) > strlen(best_version))) {
        g_free(best);
        g_free(best_version);
        best = g_build_filename(e->entry, name, NULL);
        best_version = g_steal_pointer(&version);
      }
    }
    if (best)
      g_ptr_array_add(out, cup_doctor_file_new(best, best_version, via));
  }
}

static gboolean is_stubs(const char *entry)
{
  g_autofree char *trimmed = g_strdup(entry);
  gsize n = strlen(trimmed);
  while (n > 1 && trimmed[n - 1] == '/')
    trimmed[--n] = '\0';
  g_autofree char *base = g_path_get_basename(trimmed);
  return strcmp(base, "stubs") == 0;
}

static gint compare_paths(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* lib64/stubs on LD_LIBRARY_PATH or in the loader's configuration (ld.so.conf(.d)). */
static void find_stubs(const char *root, const CupDoctorFacts *f, GPtrArray *out)
{
  for (guint i = 0; i < f->library_path->len; i++) {
    const CupDoctorPathEntry *e = g_ptr_array_index(f->library_path, i);
    if (is_stubs(e->entry))
      g_ptr_array_add(out, cup_doctor_file_new(e->entry, NULL, "LD_LIBRARY_PATH"));
  }
  g_autoptr(GPtrArray) confs = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(confs, g_strdup("/etc/ld.so.conf"));
  g_autofree char *conf_d = cup_root_join(root, "/etc/ld.so.conf.d");
  g_autoptr(GDir) d = g_dir_open(conf_d, 0, NULL);
  for (const char *name; d && (name = g_dir_read_name(d));)
    if (g_str_has_suffix(name, ".conf"))
      g_ptr_array_add(confs, g_build_filename("/etc/ld.so.conf.d", name, NULL));
  g_ptr_array_sort(confs, compare_paths); /* the loader reads them in name order */
  for (guint i = 0; i < confs->len; i++) {
    const char *conf = g_ptr_array_index(confs, i);
    g_autofree char *host = cup_root_join(root, conf);
    g_autofree char *text = cup_read_small_file(host, 1 << 16, NULL, NULL);
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    for (char **line = lines; *line; line++) {
      g_strstrip(*line);
      if (**line == '/' && is_stubs(*line))
        g_ptr_array_add(out, cup_doctor_file_new(*line, NULL, conf));
    }
  }
}

/* The "what" and "time" of the journal's first line ({"op":"begin",...}). */
static void read_journal(const char *host, char **what, char **started)
{
  g_autofree char *text = cup_read_small_file(host, 1 << 20, NULL, NULL);
  if (text == NULL)
    return;
  char *nl = strchr(text, '\n');
  if (nl)
    *nl = '\0';
  json_t *begin = json_loads(text, 0, NULL);
  const char *w = json_string_value(json_object_get(begin, "what"));
  const char *t = json_string_value(json_object_get(begin, "time"));
  *what = w ? g_strdup(w) : NULL;
  *started = t ? g_strdup(t) : NULL;
  json_decref(begin);
}

static void add_journal(const char *root, const char *toolkit_root, GHashTable *seen,
                        GPtrArray *out)
{
  if (!g_hash_table_add(seen, g_strdup(toolkit_root)))
    return;
  g_autofree char *journal = g_build_filename(toolkit_root, CUP_TXN_STATE_DIR, "journal", NULL);
  g_autofree char *host = cup_root_join(root, journal);
  if (!g_file_test(host, G_FILE_TEST_IS_REGULAR))
    return;
  g_autofree char *what = NULL, *started = NULL;
  read_journal(host, &what, &started);
  g_ptr_array_add(out, cup_doctor_journal_new(toolkit_root, journal, what, started));
}

/* Journals of the detected toolkits and of every directory an install may have begun in
 * (a first install that died has no version file yet, so detection does not list it). */
static void find_journals(const char *root, const char *const *envp, const CupSystem *sys,
                          GPtrArray *out)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < sys->toolkits->len; i++)
    add_journal(root, ((CupToolkit *)g_ptr_array_index(sys->toolkits, i))->root, seen, out);
  const char *data = g_environ_getenv((char **)envp, "XDG_DATA_HOME");
  const char *home = g_environ_getenv((char **)envp, "HOME");
  g_autofree char *user = data   ? g_build_filename(data, "cudaup", NULL)
                          : home ? g_build_filename(home, ".local/share/cudaup", NULL)
                                 : NULL;
  const char *parents[] = {"/usr/local", "/opt", user};
  for (gsize p = 0; p < G_N_ELEMENTS(parents) && parents[p]; p++) {
    g_autofree char *host = cup_root_join(root, parents[p]);
    g_autoptr(GDir) d = g_dir_open(host, 0, NULL);
    for (const char *name; d && (name = g_dir_read_name(d));) {
      if (g_str_has_prefix(name, "cuda")) {
        g_autofree char *dir = g_build_filename(parents[p], name, NULL);
        add_journal(root, dir, seen, out);
      }
    }
  }
}

/* Linux driver libraries inside WSL: libcuda / libnvidia-ml files that are not (links to)
 * Windows' own in /usr/lib/wsl. */
static void find_wsl_driver(const char *root, GPtrArray *out)
{
  static const char *const dirs[] = {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                                     "/usr/lib64", "/usr/lib"};
  for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
    g_autofree char *host = cup_root_join(root, dirs[i]);
    g_autoptr(GDir) d = g_dir_open(host, 0, NULL);
    for (const char *name; d && (name = g_dir_read_name(d));) {
      if (!g_str_has_prefix(name, "libcuda.so") && !g_str_has_prefix(name, "libnvidia-ml.so"))
        continue;
      g_autofree char *path = g_build_filename(dirs[i], name, NULL);
      g_autofree char *real = cup_root_realpath(root, path);
      if (real && !g_str_has_prefix(real, "/usr/lib/wsl/"))
        g_ptr_array_add(out, cup_doctor_file_new(path, NULL, dirs[i]));
    }
  }
}

static void gather_environment(const CupDoctorOptions *o, const char *const *envp,
                               CupDoctorFacts *f)
{
  const char *root = o->root;
  gboolean windows = g_strcmp0(f->sys->os.family, "windows") == 0;
  split_path(f->sys, root, g_environ_getenv((char **)envp, "PATH"), f->path);
  if (!windows)
    split_path(f->sys, root, g_environ_getenv((char **)envp, "LD_LIBRARY_PATH"), f->library_path);
  const char *var = g_environ_getenv((char **)envp, "CUDA_HOME") ? "CUDA_HOME" : "CUDA_PATH";
  const char *home = g_environ_getenv((char **)envp, var);
  if (home) {
    g_autofree char *host = cup_root_join(root, home);
    const CupToolkit *tk = toolkit_of(f->sys, root, home);
    f->cuda_home = g_strdup(home);
    f->cuda_home_var = g_strdup(var);
    f->cuda_home_exists = g_file_test(host, G_FILE_TEST_IS_DIR);
    f->cuda_home_root = tk ? g_strdup(tk->root) : NULL;
  }
  find_cudnn(root, windows ? f->path : f->library_path, windows ? "PATH" : "LD_LIBRARY_PATH",
             f->cudnn_on_path);
  if (!windows)
    find_stubs(root, f, f->stubs);
  find_journals(root, envp, f->sys, f->journals);
  if (f->sys->os.wsl == CUP_YES)
    find_wsl_driver(root, f->wsl_driver_libs);
}

/* Run the probe; a failure is kept in @f, except a --python that does not exist. */
static gboolean gather_python(const CupDoctorOptions *o, const char *const *envp, CupDoctorFacts *f,
                              GError **error)
{
  if (o->no_python)
    return TRUE;
  CupPyProbeOptions po = {.python = o->python, .envp = envp, .timeout_ms = o->python_timeout_ms};
  f->python_requested = o->python != NULL;
  g_autoptr(GError) local = NULL;
  f->python = cup_pyprobe_find_python(&po, &local);
  if (f->python == NULL && f->python_requested) {
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  if (f->python == NULL) {
    f->probe_error = g_steal_pointer(&local);
    return TRUE;
  }
  po.python = f->python;
  f->probe = cup_pyprobe_run(&po, &local);
  if (f->probe == NULL)
    f->probe_error = g_steal_pointer(&local);
  return TRUE;
}

CupDoctorFacts *cup_doctor_gather(const CupDoctorOptions *o, GError **error)
{
  g_auto(GStrv) own = o->envp ? NULL : g_get_environ();
  const char *const *envp = o->envp ? o->envp : (const char *const *)own;
  CupDetectOptions detect = {.root = o->root,
                             .envp = envp,
                             .manifests_dir = o->manifests_dir,
                             .pci_ids_path = o->pci_ids_path,
                             .nvidia_smi = o->nvidia_smi};
  CupSystem *sys = cup_detect(&detect, error);
  if (sys == NULL)
    return NULL;
  g_autoptr(CupDoctorFacts) f = cup_doctor_facts_new();
  cup_system_free(f->sys);
  f->sys = sys;
  g_autoptr(GError) local = NULL;
  f->catalog = cup_catalog_load(o->manifests_dir, NULL, &local);
  if (f->catalog == NULL)
    cup_system_warn(sys,
                    _("the catalog could not be loaded (%s); the rules that need it were "
                      "skipped"),
                    local->message);
  gather_environment(o, envp, f);
  if (!gather_python(o, envp, f, error))
    return NULL;
  return g_steal_pointer(&f);
}
