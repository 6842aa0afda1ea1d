/* helper.c - cudaup-helper, the privileged half of cudaup-wizard on Linux (issue 8): the wizard
 * runs as the user, downloads and verifies the archives into the user's cache, and starts this
 * program with pkexec (polkit action io.github.cudaup.helper, packaging/) for the steps that need
 * root. The GUI never runs as root.
 *
 * Contract (also in packaging/README.md):
 *   cudaup-helper [--allow-root PREFIX]... [--work-dir DIR] [--system-root DIR]
 *   stdin, first line: one JSON object (at most 1 MiB), format 1:
 *     {"format":1,
 *      "cache_dir":"/home/u/.cache/cudaup",          the user's cache, absolute, no symlinks
 *      "root":"/usr/local/cuda-13.0",                 under /usr/local or /opt, or --allow-root
 *      "platform":"linux-x86_64",                     optional; linux-x86_64 or linux-sbsa
 *      "cuda":"13.0.2", "cudnn":"9.19.0.56",          release of the CUDA / cuDNN archives
 *      "archives":[{"component":"cuda_nvcc","version":"13.0.88",
 *                   "path":"/home/u/.cache/cudaup/archives/<sha256>","sha256":"<64 hex>"}],
 *      "environment":"system"|"none",                 optional (none): system-scope environment
 *      "set_default":false, "check":true}             optional: /usr/local/cuda link; the proof
 *   stdin, later: a line "cancel" cancels the install (it is rolled back).
 *   stdout: JSON lines: {"event":"progress","stage":...,"done":N,"total":N,"speed":B/s,
 *     "eta_ms":N,"final":bool}..., then one {"event":"done","result":{...}} (the engine's
 *     result, core/engine.h) or {"event":"error","error":ID,"exit_code":N,"message":TEXT}.
 *   exit: 0, or the exit code of core/error.h: parse (11) for malformed JSON, usage (2) for a
 *     refused request, integrity (5) for an archive whose sha256 differs, and the engine's.
 * Refused: an archive path outside cache_dir, a symlinked archive or a path through a symlink,
 * a root outside the allowed prefixes. Every archive is copied into a private work directory
 * (DIR/job-XXXXXX, mode 0700) while its SHA-256 is computed, and only that copy is used: the
 * user cannot change the bytes after the check. The install then runs through core/engine with
 * the work directory as its offline bundle, so the network is never touched.
 * --system-root DIR stands in for "/" when writing the system environment (tests).
 */
#define _GNU_SOURCE
#include "core/digest.h"
#include "core/engine.h"
#include "core/envset.h"
#include "core/error.h"
#include "core/i18n.h"
#include "core/version.h"
#include "platform/linux/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_REQUEST (1024 * 1024)
#define DEFAULT_WORK_DIR "/var/cache/cudaup-helper"

typedef struct {
  char *component, *version, *path, *sha256;
  char *copy;   /* the verified copy in the work directory */
  guint64 size; /* bytes of the copy */
} Archive;

typedef struct {
  char *cache_dir, *root, *platform, *cuda, *cudnn;
  GPtrArray *archives; /* Archive* */
  gboolean system_env, set_default, check;
} Request;

typedef struct {
  char **allow_roots;
  char *work_dir;
  char *system_root;
} Options;

static GMutex out_lock;

static void archive_free(Archive *a)
{
  g_free(a->component), g_free(a->version), g_free(a->path), g_free(a->sha256), g_free(a->copy);
  g_free(a);
}

static void request_free(Request *r)
{
  g_free(r->cache_dir), g_free(r->root), g_free(r->platform), g_free(r->cuda), g_free(r->cudnn);
  g_clear_pointer(&r->archives, g_ptr_array_unref);
  g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Request, request_free)

/* One JSON line on stdout, whole, even with the engine's threads reporting at once. */
static void emit(json_t *line)
{
  g_autofree char *text = json_dumps(line, JSON_COMPACT);
  g_mutex_lock(&out_lock);
  printf("%s\n", text);
  fflush(stdout);
  g_mutex_unlock(&out_lock);
  json_decref(line);
}

static void on_progress(const CupProgress *p, gpointer data)
{
  (void)data;
  emit(json_pack("{s:s,s:s,s:I,s:I,s:f,s:I,s:b}", "event", "progress", "stage", p->stage, "done",
                 (json_int_t)p->done, "total", (json_int_t)p->total, "speed", p->speed, "eta_ms",
                 (json_int_t)p->eta_ms, "final", p->final));
}

static int fail(const GError *error)
{
  int code = cup_error_exit_code(error);
  const char *id = error->domain == CUP_ERROR ? cup_error_code_id(error->code) : "internal";
  emit(json_pack("{s:s,s:s,s:i,s:s}", "event", "error", "error", id, "exit_code", code, "message",
                 error->message));
  g_printerr("cudaup-helper: %s\n", error->message);
  return code;
}

/* ---- reading the request ---------------------------------------------------------------- */

static char *read_first_line(GError **error)
{
  g_autoptr(GString) s = g_string_new(NULL);
  int c;
  while ((c = getchar()) != EOF && c != '\n') {
    if (s->len >= MAX_REQUEST) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                  _("the request on stdin is longer than %d bytes: send one JSON object on one "
                    "line"),
                  MAX_REQUEST);
      return NULL;
    }
    g_string_append_c(s, (char)c);
  }
  return g_string_free(g_steal_pointer(&s), FALSE);
}

static gboolean bad_request(GError **error, const char *what)
{
  g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
              _("malformed request on stdin: %s; send one JSON object of format 1 (see "
                "packaging/README.md)"),
              what);
  return FALSE;
}

static gboolean is_name(const char *s)
{
  if (s == NULL || *s == '\0' || strlen(s) > 64)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '_' && *p != '.' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean parse_archive(json_t *item, Request *r, GError **error)
{
  const char *component, *version, *path, *sha256;
  json_error_t je;
  if (json_unpack_ex(item, &je, JSON_STRICT, "{s:s,s:s,s:s,s:s}", "component", &component,
                     "version", &version, "path", &path, "sha256", &sha256) != 0)
    return bad_request(error, je.text);
  if (!is_name(component) || !is_name(version) || !cup_sha256_is_hex(sha256))
    return bad_request(error, _("an archive's component, version or sha256 is not valid"));
  Archive *a = g_new0(Archive, 1);
  a->component = g_strdup(component), a->version = g_strdup(version);
  a->path = g_strdup(path), a->sha256 = g_strdup(sha256);
  g_ptr_array_add(r->archives, a);
  return TRUE;
}

static gboolean parse_fields(json_t *j, Request *r, GError **error)
{
  const char *cache_dir, *root, *platform = "linux-x86_64", *cuda = NULL, *cudnn = NULL;
  const char *env = "none";
  json_t *archives;
  int format, set_default = 0, check = 1;
  json_error_t je;
  if (json_unpack_ex(j, &je, JSON_STRICT, "{s:i,s:s,s:s,s?:s,s?:s,s?:s,s:o,s?:s,s?:b,s?:b}",
                     "format", &format, "cache_dir", &cache_dir, "root", &root, "platform",
                     &platform, "cuda", &cuda, "cudnn", &cudnn, "archives", &archives,
                     "environment", &env, "set_default", &set_default, "check", &check) != 0)
    return bad_request(error, je.text);
  if (format != 1)
    return bad_request(error, _("unknown format (this helper reads format 1)"));
  if (strcmp(platform, "linux-x86_64") != 0 && strcmp(platform, "linux-sbsa") != 0)
    return bad_request(error, _("platform is not linux-x86_64 or linux-sbsa"));
  if (strcmp(env, "system") != 0 && strcmp(env, "none") != 0)
    return bad_request(error, _("environment is not \"system\" or \"none\""));
  if ((cuda && !is_name(cuda)) || (cudnn && !is_name(cudnn)))
    return bad_request(error, _("cuda or cudnn is not a version"));
  if (!json_is_array(archives) || json_array_size(archives) == 0)
    return bad_request(error, _("archives is not a non-empty array"));
  r->cache_dir = g_strdup(cache_dir), r->root = g_strdup(root), r->platform = g_strdup(platform);
  r->cuda = g_strdup(cuda), r->cudnn = g_strdup(cudnn);
  r->system_env = strcmp(env, "system") == 0;
  r->set_default = set_default, r->check = check;
  size_t i;
  json_t *item;
  json_array_foreach(archives, i, item) if (!parse_archive(item, r, error)) return FALSE;
  return TRUE;
}

static Request *read_request(GError **error)
{
  g_autofree char *line = read_first_line(error);
  if (line == NULL)
    return NULL;
  json_error_t je;
  json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL) {
    g_autofree char *what = g_strdup_printf(_("%s at column %d"), je.text, je.column);
    bad_request(error, *line ? what : _("nothing was sent"));
    return NULL;
  }
  g_autoptr(Request) r = g_new0(Request, 1);
  r->archives = g_ptr_array_new_with_free_func((GDestroyNotify)archive_free);
  gboolean ok = json_is_object(j) ? parse_fields(j, r, error)
                                  : bad_request(error, _("the request is not a JSON object"));
  json_decref(j);
  return ok ? g_steal_pointer(&r) : NULL;
}

/* ---- what the request may name ---------------------------------------------------------- */

static gboolean refuse(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);
static gboolean refuse(GError **error, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, CUP_ERROR, CUP_ERROR_USAGE, message);
  return FALSE;
}

/* @path is absolute, has no "." / ".." / "//" and no symlink in it (up to its nearest
 * existing ancestor, for a root that does not exist yet). */
static gboolean plain_path(const char *path)
{
  if (!g_path_is_absolute(path) || strcmp(path, "/") == 0)
    return FALSE;
  g_autofree char *canon = g_canonicalize_filename(path, "/");
  if (strcmp(canon, path) != 0)
    return FALSE;
  g_autofree char *probe = g_strdup(path);
  while (!g_file_test(probe, G_FILE_TEST_EXISTS) && strcmp(probe, "/") != 0) {
    char *parent = g_path_get_dirname(probe);
    g_free(probe);
    probe = parent;
  }
  g_autofree char *real = realpath(probe, NULL);
  return real != NULL && strcmp(real, probe) == 0;
}

static gboolean below(const char *path, const char *dir)
{
  gsize n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '/' || dir[n - 1] == '/') && path[n] != '\0';
}

static gboolean check_root(const Request *r, const Options *o, GError **error)
{
  if (!plain_path(r->root))
    return refuse(error,
                  _("refused: the toolkit root %s is not an absolute path free of '..' and "
                    "symlinks"),
                  r->root);
  gboolean ok = below(r->root, "/usr/local") || below(r->root, "/opt");
  for (char **p = o->allow_roots; p && *p && !ok; p++)
    ok = below(r->root, *p);
  if (!ok)
    return refuse(error,
                  _("refused: the toolkit root %s is not under /usr/local or /opt (an "
                    "administrator may allow another with --allow-root PREFIX)"),
                  r->root);
  return TRUE;
}

static gboolean check_archive_path(const Request *r, const Archive *a, GError **error)
{
  GStatBuf st;
  if (!below(a->path, r->cache_dir) || !g_path_is_absolute(a->path))
    return refuse(error, _("refused: the archive %s is outside the cache directory"), a->path);
  if (g_lstat(a->path, &st) != 0)
    return refuse(error, _("refused: the archive %s does not exist; download it again"), a->path);
  if (S_ISLNK(st.st_mode))
    return refuse(error, _("refused: the archive %s is a symlink; only files are installed"),
                  a->path);
  if (!S_ISREG(st.st_mode) || !plain_path(a->path))
    return refuse(error,
                  _("refused: the archive %s is not a regular file reached without symlinks"),
                  a->path);
  return TRUE;
}

static gboolean check_request(const Request *r, const Options *o, GError **error)
{
  if (!plain_path(r->cache_dir) || !g_file_test(r->cache_dir, G_FILE_TEST_IS_DIR))
    return refuse(error,
                  _("refused: the cache directory %s is not an existing directory reached without "
                    "symlinks"),
                  r->cache_dir);
  if (!check_root(r, o, error))
    return FALSE;
  for (guint i = 0; i < r->archives->len; i++) {
    const Archive *a = g_ptr_array_index(r->archives, i);
    if (!check_archive_path(r, a, error))
      return FALSE;
    gboolean cudnn = strcmp(a->component, "cudnn") == 0;
    if ((cudnn ? r->cudnn : r->cuda) == NULL)
      return bad_request(error, cudnn ? _("a cudnn archive without \"cudnn\"")
                                      : _("a CUDA archive without \"cuda\""));
  }
  return TRUE;
}

/* ---- the private copies ----------------------------------------------------------------- */

static gboolean copy_fd(int in, int out, CupSha256 *sha, const char *path, GError **error)
{
  g_autofree guint8 *buf = g_malloc(1024 * 1024);
  for (;;) {
    ssize_t n = read(in, buf, 1024 * 1024);
    if (n == 0)
      return TRUE;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || write(out, buf, (size_t)n) != n) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot copy %s into the work directory: %s"),
                  path, g_strerror(errno));
      return FALSE;
    }
    cup_sha256_update(sha, buf, (gsize)n);
  }
}

/* Copies @a into @bundle/archives/<sha256>, hashing the bytes written: the copy is what gets
 * installed, so its hash is the one that counts. */
static gboolean copy_verified(Archive *a, const char *bundle, GError **error)
{
  int in = open(a->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (in < 0 || fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (in >= 0)
      close(in);
    return refuse(error, _("refused: the archive %s cannot be opened as a regular file"), a->path);
  }
  a->copy = g_build_filename(bundle, "archives", a->sha256, NULL);
  int out = open(a->copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  g_autoptr(CupSha256) sha = cup_sha256_new();
  gboolean ok = out >= 0 && copy_fd(in, out, sha, a->path, error);
  if (out < 0)
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot create %s: %s"), a->copy,
                g_strerror(errno));
  close(in);
  if (out >= 0 && close(out) != 0 && ok) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot write %s"), a->copy);
    ok = FALSE;
  }
  if (!ok)
    return FALSE;
  a->size = cup_sha256_length(sha);
  g_autofree char *got = cup_sha256_finish(sha);
  if (strcmp(got, a->sha256) == 0)
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY,
              _("sha256 mismatch for %s (%s): expected %s, got %s; nothing was installed, "
                "download it again"),
              a->component, a->path, a->sha256, got);
  return FALSE;
}

static char *make_job_dir(const Options *o, GError **error)
{
  if (g_mkdir_with_parents(o->work_dir, 0700) != 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot create the work directory %s: %s"),
                o->work_dir, g_strerror(errno));
    return NULL;
  }
  g_autofree char *job = g_build_filename(o->work_dir, "job-XXXXXX", NULL);
  if (g_mkdtemp_full(job, 0700) == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot create a directory in %s: %s"),
                o->work_dir, g_strerror(errno));
    return NULL;
  }
  g_autofree char *archives = g_build_filename(job, "bundle", "archives", NULL);
  g_mkdir_with_parents(archives, 0700);
  return g_steal_pointer(&job);
}

static void remove_tree(const char *dir)
{
  const char *argv[] = {"rm", "-rf", "--one-file-system", "--", dir, NULL};
  g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
               NULL, NULL, NULL, NULL, NULL);
}

/* ---- the plan, the environment and the engine ------------------------------------------- */

static void plan_archive_free(CupPlanArchive *a)
{
  g_free(a->component), g_free(a->version), g_free(a->url), g_free(a->path), g_free(a->sha256);
  g_free(a->destination);
  g_free(a);
}

/* The plan the wizard made, rebuilt from what the helper checked itself. */
static CupPlan *make_plan(const Request *r)
{
  CupPlan *p = g_new0(CupPlan, 1);
  p->os = g_strdup("linux");
  p->platform = g_strdup(r->platform);
  p->cuda_version = g_strdup(r->cuda);
  p->toolkit_root = g_strdup(r->root);
  p->components = g_ptr_array_new_with_free_func(g_free);
  p->archives = g_ptr_array_new_with_free_func((GDestroyNotify)plan_archive_free);
  p->environment = g_ptr_array_new_with_free_func(g_free);
  p->reasons = g_ptr_array_new_with_free_func(g_free);
  p->warnings = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < r->archives->len; i++) {
    const Archive *a = g_ptr_array_index(r->archives, i);
    CupPlanArchive *pa = g_new0(CupPlanArchive, 1);
    pa->component = g_strdup(a->component), pa->version = g_strdup(a->version);
    pa->path = g_strconcat("archives/", a->sha256, NULL);
    pa->url = g_strdup(a->path);
    pa->sha256 = g_strdup(a->sha256), pa->size = a->size;
    pa->destination = g_strdup(r->root);
    g_ptr_array_add(p->archives, pa);
    if (strcmp(a->component, "cudnn") == 0) {
      p->cudnn_version = g_strdup(r->cudnn);
      p->cudnn_required = TRUE;
    } else {
      g_ptr_array_add(p->components, g_strdup(a->component));
      p->cuda_required = TRUE;
    }
  }
  p->cuda_existing = !p->cuda_required;
  return p;
}

static gboolean journal(CupTxnOutside kind, const char *path, gpointer txn, GError **error)
{
  return cup_txn_journal_outside(txn, kind, path, error);
}

typedef struct {
  const Request *request;
  const Options *options;
} EnvData;

/* The system-scope environment, journaled in the install's transaction. */
static gboolean set_environment(CupTxn *txn, const char *root, gpointer data, GError **error)
{
  const EnvData *d = data;
  if (d->request->cuda == NULL)
    return TRUE; /* cuDNN added to a toolkit: its environment is already the toolkit's */
  g_autofree char *mm = cup_major_minor(d->request->cuda);
  g_autoptr(CupEnvSpec) spec = cup_envset_spec_new("linux", root, mm, CUP_ENV_SCOPE_SYSTEM, error);
  if (spec == NULL)
    return FALSE;
  CupProfileOptions po = {.root = d->options->system_root};
  if (txn != NULL)
    po.journal = journal, po.journal_data = txn;
  g_autoptr(CupProfileReport) report = NULL;
  return cup_profile_apply(spec, &po, &report, error);
}

static gpointer watch_stdin(gpointer cancellable)
{
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL)
    if (strncmp(line, "cancel", 6) == 0)
      g_cancellable_cancel(cancellable);
  return NULL;
}

static int install(Request *r, const Options *o, const char *job)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bundle = g_build_filename(job, "bundle", NULL);
  for (guint i = 0; i < r->archives->len; i++)
    if (!copy_verified(g_ptr_array_index(r->archives, i), bundle, &error))
      return fail(error);
  g_autofree char *cache_dir = g_build_filename(job, "cache", NULL);
  g_autoptr(CupCache) cache = cup_cache_open(cache_dir, &error);
  if (cache == NULL)
    return fail(error);
  g_autoptr(CupPlan) plan = make_plan(r);
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  g_thread_unref(g_thread_new("stdin", watch_stdin, cancellable));
  CupFetchOptions fo = {.offline_dir = bundle};
  EnvData env = {.request = r, .options = o};
  CupEngineOptions eo = {.plan = plan,
                         .cache = cache,
                         .fetch = &fo,
                         .set_default = r->set_default,
                         .skip_check = !r->check,
                         .environment = r->system_env ? set_environment : NULL,
                         .environment_data = &env,
                         .progress = on_progress,
                         .cancellable = cancellable};
  g_autoptr(CupEngineResult) result = cup_engine_install(&eo, NULL, &error);
  if (result == NULL)
    return fail(error);
  emit(json_pack("{s:s,s:o}", "event", "done", "result", cup_engine_result_to_json(result)));
  return 0;
}

/* ---- main --------------------------------------------------------------------------------- */

static gboolean parse_options(int *argc, char ***argv, Options *o, GError **error)
{
  GOptionEntry entries[] = {
      {"allow-root", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->allow_roots,
       N_("Also accept toolkit roots under PREFIX (besides /usr/local and /opt)"), "PREFIX"},
      {"work-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->work_dir,
       N_("Where verified copies of the archives are kept while installing"), "DIR"},
      {"system-root", 0, 0, G_OPTION_ARG_FILENAME, &o->system_root,
       N_("A directory standing in for / when writing the system environment (tests)"), "DIR"},
      G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx =
      g_option_context_new(_("- install verified archives for cudaup-wizard (request on stdin)"));
  g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse(ctx, argc, argv, error))
    return FALSE;
  for (char **p = o->allow_roots; p && *p; p++)
    if (!plain_path(*p))
      return refuse(error, _("--allow-root %s: not an absolute path free of '..' and symlinks"),
                    *p);
  if (o->work_dir == NULL)
    o->work_dir = g_strdup(DEFAULT_WORK_DIR);
  return TRUE;
}

int main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  cup_i18n_init();
  Options o = {0};
  g_autoptr(GError) error = NULL;
  int code;
  g_autoptr(Request) r = NULL;
  if (!parse_options(&argc, &argv, &o, &error) || (r = read_request(&error)) == NULL ||
      !check_request(r, &o, &error)) {
    code = fail(error);
  } else {
    g_autofree char *job = make_job_dir(&o, &error);
    code = job ? install(r, &o, job) : fail(error);
    if (job)
      remove_tree(job);
  }
  g_strfreev(o.allow_roots);
  g_free(o.work_dir);
  g_free(o.system_root);
  return code;
}
