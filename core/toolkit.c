/* toolkit.c - installed CUDA toolkits and the cuDNN inside each (see toolkit.h). */
#include "core/i18n.h"
#include "core/toolkit.h"

#include "core/error.h"
#include "core/paths.h"
#include "core/proc.h"
#include "core/version.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gmodule.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef G_OS_UNIX
#include <unistd.h>
#endif

#define NVCC_TIMEOUT_MS 3000
#define SMALL_FILE_MAX (64 * 1024)        /* version.json (~3 KiB), version.txt */
#define HEADER_FILE_MAX (8 * 1024 * 1024) /* cuda_runtime_api.h is ~600 KiB */

typedef struct {
  const char *root;     /* NULL or "/" for the real system */
  GPtrArray *warnings;  /* char*, may be NULL */
  GPtrArray *toolkits;  /* CupToolkit*, owned */
  GHashTable *by_root;  /* canonical root -> CupToolkit* (borrowed from toolkits) */
  GHashTable *rejected; /* canonical paths known not to be toolkits */
} Scan;

static void scan_warn(Scan *s, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void scan_warn(Scan *s, const char *format, ...)
{
  if (s->warnings == NULL)
    return;
  va_list args;
  va_start(args, format);
  g_ptr_array_add(s->warnings, g_strdup_vprintf(format, args));
  va_end(args);
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean sys_test(const char *root, const char *sys_path, GFileTest test)
{
  g_autofree char *host = cup_root_host_path(root, sys_path);
  return host != NULL && g_file_test(host, test);
}

static gboolean tree_has_file(const char *root, const char *tk_root, const char *relative)
{
  g_autofree char *path = g_build_filename(tk_root, relative, NULL);
  return sys_test(root, path, G_FILE_TEST_IS_REGULAR);
}

/* Sorted names in the system directory @sys_dir that start with @prefix. */
static GPtrArray *list_dir(const char *root, const char *sys_dir, const char *prefix)
{
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *host = cup_root_host_path(root, sys_dir);
  g_autoptr(GDir) dir = host ? g_dir_open(host, 0, NULL) : NULL;
  const char *name;
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    if (g_str_has_prefix(name, prefix))
      g_ptr_array_add(names, g_strdup(name));
  }
  g_ptr_array_sort(names, compare_strings);
  return names;
}

/* Append the canonical form of @sys_dir to @dirs when it is a directory not listed yet. */
static void add_lib_dir(const char *root, GPtrArray *dirs, const char *sys_dir)
{
  g_autofree char *canon = cup_root_realpath(root, sys_dir);
  if (canon == NULL || g_ptr_array_find_with_equal_func(dirs, canon, g_str_equal, NULL))
    return;
  g_autofree char *host = cup_root_join(root, canon);
  if (g_file_test(host, G_FILE_TEST_IS_DIR))
    g_ptr_array_add(dirs, g_steal_pointer(&canon));
}

/* The library directories of the toolkit at @tk_root (canonical system paths, no repeats). */
static GPtrArray *lib_dirs(const char *root, const char *tk_root)
{
  static const char *const subdirs[] = {"lib64", "lib", "lib/x86_64-linux-gnu",
                                        "lib/aarch64-linux-gnu"};
  GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; i < G_N_ELEMENTS(subdirs); i++) {
    g_autofree char *dir = g_build_filename(tk_root, subdirs[i], NULL);
    add_lib_dir(root, dirs, dir);
  }
  g_autofree char *targets = g_build_filename(tk_root, "targets", NULL);
  g_autoptr(GPtrArray) arches = list_dir(root, targets, "");
  for (guint i = 0; i < arches->len; i++) {
    g_autofree char *dir = g_build_filename(targets, g_ptr_array_index(arches, i), "lib", NULL);
    add_lib_dir(root, dirs, dir);
  }
  return dirs;
}

/* System paths of the files named @soname or @soname.SUFFIX in @dirs. */
static GPtrArray *find_libs(const char *root, GPtrArray *dirs, const char *soname)
{
  GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < dirs->len; i++) {
    const char *dir = g_ptr_array_index(dirs, i);
    g_autoptr(GPtrArray) names = list_dir(root, dir, soname);
    for (guint j = 0; j < names->len; j++) {
      const char *name = g_ptr_array_index(names, j);
      const char *rest = name + strlen(soname);
      if (*rest == '\0' || *rest == '.')
        g_ptr_array_add(found, g_build_filename(dir, name, NULL));
    }
  }
  return found;
}

/* The version in a library file name, "libcudnn.so.8.9.7" -> 8.9.7, needing at least
 * @min_parts components. */
static gboolean version_of_soname(const char *path, const char *soname, guint min_parts,
                                  CupVersion *out)
{
  g_autofree char *name = g_path_get_basename(path);
  const char *rest = name + strlen(soname);
  return *rest == '.' && cup_version_parse(rest + 1, out, NULL) && out->n_parts >= min_parts;
}

static gboolean is_toolkit(const char *root, const char *tk_root)
{
  if (tree_has_file(root, tk_root, "version.json") || tree_has_file(root, tk_root, "version.txt") ||
      tree_has_file(root, tk_root, "bin/nvcc"))
    return TRUE;
  g_autoptr(GPtrArray) dirs = lib_dirs(root, tk_root);
  g_autoptr(GPtrArray) cudart = find_libs(root, dirs, "libcudart.so");
  return cudart->len > 0;
}

/* Read the system file @sys_path (resolved inside the root). NULL with @error set when it
 * cannot be read. */
static char *read_sys_file(const char *root, const char *sys_path, gsize max, GError **error)
{
  g_autofree char *host = cup_root_host_path(root, sys_path);
  if (host == NULL) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, _("no such file (or a symlink loop)"));
    return NULL;
  }
  return cup_read_small_file(host, max, NULL, error);
}

/* Group @group of the first match of @pattern (multi-line) in @text, or NULL. */
static char *regex_group(const char *pattern, const char *text, int group)
{
  g_autoptr(GRegex) re = g_regex_new(pattern, G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  if (re == NULL || !g_regex_match(re, text, 0, &match))
    return NULL;
  return g_match_info_fetch(match, group);
}

/* @text as a canonical version string, or NULL when it is not a version. */
static char *canonical_version(const char *text, guint min_parts, guint max_parts)
{
  CupVersion v;
  if (text == NULL || !cup_version_parse(text, &v, NULL))
    return NULL;
  if (v.n_parts > max_parts)
    v.n_parts = max_parts;
  return cup_version_to_string(&v, min_parts);
}

static void set_version(CupToolkit *tk, char *version, const char *source)
{
  g_free(tk->version);
  tk->version = version;
  g_free(tk->version_source);
  tk->version_source = g_strdup(source);
}

/* "cuda"."version" of version.json. Runfile installs write a build date as the third
 * component ("11.8.20220929", "12.6.20241114"): that is no patch level, so it is dropped. */
static char *sdk_version(const char *raw)
{
  CupVersion v;
  if (raw == NULL || !cup_version_parse(raw, &v, NULL))
    return NULL;
  if (v.n_parts >= 3 && v.parts[2] >= 19000000)
    v.n_parts = 2;
  return cup_version_to_string(&v, 1);
}

/* The string at @object.@key.version of a version.json, or NULL. */
static const char *json_component_version(json_t *object, const char *key)
{
  return json_string_value(json_object_get(json_object_get(object, key), "version"));
}

/* version.json of CUDA >= 11.1: {"cuda": {"name": "CUDA SDK", "version": "12.4.1"},
 * "cuda_nvcc": {"name": "CUDA NVCC", "version": "12.4.131"}, ...}. */
static gboolean version_from_json(Scan *s, CupToolkit *tk)
{
  g_autofree char *path = g_build_filename(tk->root, "version.json", NULL);
  if (!sys_test(s->root, path, G_FILE_TEST_EXISTS))
    return FALSE;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = read_sys_file(s->root, path, SMALL_FILE_MAX, &error);
  if (text == NULL) {
    scan_warn(s, "%s: %s; reading the toolkit version from the next source", path, error->message);
    return FALSE;
  }
  json_error_t jerr;
  g_autoptr(json_t) doc = json_loads(text, 0, &jerr);
  const char *raw = doc ? json_component_version(doc, "cuda") : NULL;
  g_autofree char *version = sdk_version(raw);
  if (version == NULL) {
    scan_warn(s, "%s: %s; reading the toolkit version from the next source", path,
              doc ? "no valid \"cuda\".\"version\"" : jerr.text);
    return FALSE;
  }
  set_version(tk, g_steal_pointer(&version), CUP_TOOLKIT_SOURCE_VERSION_JSON);
  g_free(tk->nvcc_version);
  tk->nvcc_version = canonical_version(json_component_version(doc, "cuda_nvcc"), 1, 6);
  return TRUE;
}

/* version.txt of CUDA <= 11.0: "CUDA Version 10.2.89". */
static gboolean version_from_txt(Scan *s, CupToolkit *tk)
{
  g_autofree char *path = g_build_filename(tk->root, "version.txt", NULL);
  if (!sys_test(s->root, path, G_FILE_TEST_EXISTS))
    return FALSE;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = read_sys_file(s->root, path, SMALL_FILE_MAX, &error);
  g_autofree char *raw = text ? regex_group("^CUDA Version ([0-9.]+)\\s*$", text, 1) : NULL;
  g_autofree char *version = canonical_version(raw, 1, CUP_VERSION_MAX_PARTS);
  if (version == NULL) {
    scan_warn(s, "%s: %s; reading the toolkit version from the next source", path,
              error ? error->message : "no \"CUDA Version X.Y.Z\" line");
    return FALSE;
  }
  set_version(tk, g_steal_pointer(&version), CUP_TOOLKIT_SOURCE_VERSION_TXT);
  return TRUE;
}

/* `nvcc --version` ends with "Cuda compilation tools, release 13.0, V13.0.88". */
static gboolean version_from_nvcc(Scan *s, CupToolkit *tk)
{
  g_autofree char *path = g_build_filename(tk->root, "bin", "nvcc", NULL);
  g_autofree char *host = cup_root_host_path(s->root, path);
  if (host == NULL || !g_file_test(host, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  const char *argv[] = {host, "--version", NULL};
  g_autoptr(GError) error = NULL;
  int status = -1;
  g_autoptr(GBytes) out = cup_proc_run(argv, FALSE, NVCC_TIMEOUT_MS, &status, &error);
  g_autofree char *text = out ? cup_proc_output_text(out) : NULL;
  static const char pattern[] = "release ([0-9]+\\.[0-9]+), V([0-9]+(\\.[0-9]+)+)";
  g_autofree char *release = text ? regex_group(pattern, text, 1) : NULL;
  g_autofree char *version = canonical_version(release, 2, 2);
  if (version == NULL) {
    scan_warn(s, "%s --version: %s", path,
              error ? error->message
                    : (status != 0 ? "failed" : "printed no \"release X.Y, VX.Y.Z\" line"));
    return FALSE;
  }
  g_autofree char *full = regex_group(pattern, text, 2);
  set_version(tk, g_steal_pointer(&version), CUP_TOOLKIT_SOURCE_NVCC);
  g_free(tk->nvcc_version);
  tk->nvcc_version = canonical_version(full, 1, CUP_VERSION_MAX_PARTS);
  return TRUE;
}

/* libcudart.so.12.4.127 -> "12.4" (the highest such file wins). */
static gboolean version_from_cudart_name(CupToolkit *tk, const char *root, GPtrArray *dirs)
{
  g_autoptr(GPtrArray) libs = find_libs(root, dirs, "libcudart.so");
  CupVersion best = {{0}, 0};
  for (guint i = 0; i < libs->len; i++) {
    CupVersion v;
    if (version_of_soname(g_ptr_array_index(libs, i), "libcudart.so", 2, &v) &&
        (best.n_parts == 0 || cup_version_compare(&v, &best) > 0))
      best = v;
  }
  if (best.n_parts == 0)
    return FALSE;
  best.n_parts = 2;
  set_version(tk, cup_version_to_string(&best, 2), CUP_TOOLKIT_SOURCE_LIBCUDART);
  return TRUE;
}

/* include/cuda_runtime_api.h: "#define CUDART_VERSION  13000" -> "13.0". */
static gboolean version_from_runtime_header(Scan *s, CupToolkit *tk)
{
  g_autofree char *path = g_build_filename(tk->root, "include", "cuda_runtime_api.h", NULL);
  if (!sys_test(s->root, path, G_FILE_TEST_EXISTS))
    return FALSE;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = read_sys_file(s->root, path, HEADER_FILE_MAX, &error);
  g_autofree char *raw =
      text ? regex_group("^\\s*#\\s*define\\s+CUDART_VERSION\\s+([0-9]{1,9})\\b", text, 1) : NULL;
  g_autofree char *version = raw ? cup_version_from_encoded(atoi(raw), 'c') : NULL;
  if (version == NULL) {
    scan_warn(s, "%s: %s", path, error ? error->message : "no valid CUDART_VERSION macro");
    return FALSE;
  }
  set_version(tk, g_steal_pointer(&version), CUP_TOOLKIT_SOURCE_RUNTIME_HEADER);
  return TRUE;
}

static void detect_version(Scan *s, CupToolkit *tk, GPtrArray *dirs)
{
  if (version_from_json(s, tk) || version_from_txt(s, tk) || version_from_nvcc(s, tk) ||
      version_from_cudart_name(tk, s->root, dirs) || version_from_runtime_header(s, tk))
    return;
  scan_warn(s, "%s: a CUDA toolkit whose version could not be read", tk->root);
}

static CupCudnn *cudnn_new(const char *version, const char *path, const char *source)
{
  CupCudnn *cudnn = cup_cudnn_new();
  cudnn->version = g_strdup(version);
  cudnn->path = g_strdup(path);
  cudnn->source = g_strdup(source);
  return cudnn;
}

/* "MAJOR.MINOR.PATCHLEVEL" from the CUDNN_* macros of a cuDNN header, or NULL. */
static char *cudnn_version_of_header(const char *text)
{
  static const char *const names[] = {"MAJOR", "MINOR", "PATCHLEVEL"};
  char *parts[G_N_ELEMENTS(names) + 1] = {NULL};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *pattern =
        g_strdup_printf("^\\s*#\\s*define\\s+CUDNN_%s\\s+([0-9]{1,6})\\b", names[i]);
    parts[i] = regex_group(pattern, text, 1);
  }
  g_autofree char *joined = NULL;
  if (parts[0] && parts[1] && parts[2])
    joined = g_strjoinv(".", parts);
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    g_free(parts[i]);
  return canonical_version(joined, 3, 3);
}

/* The headers that carry the cuDNN version, best first: cudnn_version.h of cuDNN >= 8 (and
 * the _v9/_v8 names and multiarch directories of Debian's packages), cudnn.h of cuDNN 7. */
static const char *const cudnn_headers[] = {
    "include/cudnn_version.h",
    "include/cudnn_version_v9.h",
    "include/cudnn_version_v8.h",
    "include/x86_64-linux-gnu/cudnn_version_v9.h",
    "include/x86_64-linux-gnu/cudnn_version_v8.h",
    "include/aarch64-linux-gnu/cudnn_version_v9.h",
    "include/aarch64-linux-gnu/cudnn_version_v8.h",
    "include/cudnn.h",
};

static CupCudnn *cudnn_from_headers(Scan *s, const CupToolkit *tk)
{
  for (gsize i = 0; i < G_N_ELEMENTS(cudnn_headers); i++) {
    g_autofree char *path = g_build_filename(tk->root, cudnn_headers[i], NULL);
    g_autofree char *canon = cup_root_realpath(s->root, path);
    if (canon == NULL)
      continue;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = read_sys_file(s->root, canon, HEADER_FILE_MAX, &error);
    g_autofree char *version = text ? cudnn_version_of_header(text) : NULL;
    if (version != NULL)
      return cudnn_new(version, canon, CUP_CUDNN_SOURCE_HEADER);
    /* cudnn.h of cuDNN >= 8 only includes cudnn_version.h: no macros there is normal. */
    if (error != NULL || !g_str_has_suffix(canon, "/cudnn.h"))
      scan_warn(s, "%s: %s", canon, error ? error->message : "no CUDNN_MAJOR/MINOR/PATCHLEVEL");
  }
  return NULL;
}

/* libcudnn.so.8.9.7 -> "8.9.7" (the highest such file wins). */
static CupCudnn *cudnn_from_library_name(GPtrArray *libs)
{
  CupVersion best = {{0}, 0};
  const char *best_path = NULL;
  for (guint i = 0; i < libs->len; i++) {
    CupVersion v;
    const char *path = g_ptr_array_index(libs, i);
    if (version_of_soname(path, "libcudnn.so", 2, &v) &&
        (best_path == NULL || cup_version_compare(&v, &best) > 0)) {
      best = v;
      best_path = path;
    }
  }
  if (best_path == NULL)
    return NULL;
  g_autofree char *version = cup_version_to_string(&best, 3);
  return cudnn_new(version, best_path, CUP_CUDNN_SOURCE_LIBRARY_NAME);
}

/* TRUE when @host starts with the ELF magic: only real shared objects are ever loaded. */
static gboolean is_elf(const char *host)
{
  char magic[4] = {0};
  FILE *f = fopen(host, "rb");
  if (f == NULL)
    return FALSE;
  gsize got = fread(magic, 1, sizeof magic, f);
  fclose(f);
  return got == sizeof magic && memcmp(magic,
                                       "\x7f"
                                       "ELF",
                                       4) == 0;
}

typedef size_t (*CudnnGetVersionFunc)(void);

/* cudnnGetVersion() of the library itself (size_t cudnnGetVersion(void), cudnn_graph.h of
 * cuDNN 9, cudnn_ops_infer.h of cuDNN 8), decoded by cup_version_from_encoded. */
static CupCudnn *cudnn_from_library(Scan *s, GPtrArray *libs)
{
  for (guint i = 0; i < libs->len; i++) {
    const char *path = g_ptr_array_index(libs, i);
    g_autofree char *host = cup_root_host_path(s->root, path);
    if (host == NULL || !is_elf(host))
      continue;
    GModule *module = g_module_open(host, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
    if (module == NULL) {
      scan_warn(s, "%s: cannot be loaded to ask its version: %s", path, g_module_error());
      continue;
    }
    gpointer symbol = NULL;
    size_t encoded = 0;
    if (g_module_symbol(module, "cudnnGetVersion", &symbol) && symbol != NULL)
      encoded = ((CudnnGetVersionFunc)symbol)();
    g_module_close(module);
    g_autofree char *version =
        encoded > 0 && encoded < G_MAXINT ? cup_version_from_encoded((int)encoded, 'd') : NULL;
    if (version != NULL)
      return cudnn_new(version, path, CUP_CUDNN_SOURCE_LIBRARY);
  }
  return NULL;
}

static void detect_cudnn(Scan *s, CupToolkit *tk, GPtrArray *dirs)
{
  tk->cudnn = cudnn_from_headers(s, tk);
  if (tk->cudnn != NULL)
    return;
  g_autoptr(GPtrArray) libs = find_libs(s->root, dirs, "libcudnn.so");
  tk->cudnn = cudnn_from_library_name(libs);
  if (tk->cudnn == NULL)
    tk->cudnn = cudnn_from_library(s, libs);
}

static void add_found_via(CupToolkit *tk, const char *via)
{
  if (!g_ptr_array_find_with_equal_func(tk->found_via, via, g_str_equal, NULL))
    g_ptr_array_add(tk->found_via, g_strdup(via));
}

/* Take the system directory @sys_path as a candidate toolkit root found via @via. Returns
 * TRUE when it is a toolkit; @warn says whether a non-toolkit deserves a warning. */
static gboolean consider(Scan *s, const char *sys_path, const char *via, gboolean warn)
{
  g_autofree char *canon = cup_root_realpath(s->root, sys_path);
  if (canon == NULL) {
    if (warn)
      scan_warn(s, "%s=%s: no such directory (or a symlink loop); ignored", via, sys_path);
    return FALSE;
  }
  CupToolkit *tk = g_hash_table_lookup(s->by_root, canon);
  if (tk == NULL && !g_hash_table_contains(s->rejected, canon)) {
    if (is_toolkit(s->root, canon)) {
      tk = cup_toolkit_new();
      tk->root = g_steal_pointer(&canon);
      g_ptr_array_add(s->toolkits, tk);
      g_hash_table_insert(s->by_root, tk->root, tk);
    } else {
      g_hash_table_add(s->rejected, g_steal_pointer(&canon));
    }
  }
  if (tk == NULL) {
    if (warn)
      scan_warn(s,
                "%s=%s: not a CUDA toolkit (no version.json, version.txt, bin/nvcc or "
                "libcudart); ignored",
                via, sys_path);
    return FALSE;
  }
  add_found_via(tk, via);
  return TRUE;
}

/* Every entry of @sys_dir whose name starts with @prefix, as a candidate. */
static void consider_children(Scan *s, const char *sys_dir, const char *prefix, const char *via)
{
  g_autoptr(GPtrArray) names = list_dir(s->root, sys_dir, prefix);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename(sys_dir, g_ptr_array_index(names, i), NULL);
    consider(s, path, via, FALSE);
  }
}

static const char *env_get(const char *const *envp, const char *name)
{
  return envp ? g_environ_getenv((char **)envp, name) : NULL;
}

/* $XDG_DATA_HOME, else $HOME/.local/share (XDG Base Directory Specification 0.8), or NULL. */
static char *xdg_data_home(const char *const *envp)
{
  const char *xdg = env_get(envp, "XDG_DATA_HOME");
  if (xdg != NULL && g_path_is_absolute(xdg))
    return g_strdup(xdg);
  const char *home = env_get(envp, "HOME");
  if (home != NULL && g_path_is_absolute(home))
    return g_build_filename(home, ".local", "share", NULL);
  return NULL;
}

static void add_defaults(Scan *s, const char *const *envp)
{
#ifdef G_OS_WIN32
  /* The roots NVIDIA's installer and cudaup use on Windows (core/plan_out.c); the Linux ones
   * below would name folders of the current drive. */
  const char *pf = env_get(envp, "ProgramFiles");
  g_autofree char *nvidia =
      g_build_filename(pf ? pf : "C:\\Program Files", "NVIDIA GPU Computing Toolkit", "CUDA", NULL);
  consider_children(s, nvidia, "v", CUP_FOUND_VIA_DEFAULT);
  const char *local = env_get(envp, "LOCALAPPDATA");
  g_autofree char *mine = local ? g_build_filename(local, "cudaup", "CUDA", NULL) : NULL;
  if (mine != NULL)
    consider_children(s, mine, "v", CUP_FOUND_VIA_DEFAULT);
  return;
#endif
  consider(s, "/usr/local/cuda", CUP_FOUND_VIA_DEFAULT, FALSE);
  consider_children(s, "/usr/local", "cuda-", CUP_FOUND_VIA_DEFAULT);
  consider(s, "/opt/cuda", CUP_FOUND_VIA_DEFAULT, FALSE);
  consider_children(s, "/opt/nvidia", "cuda", CUP_FOUND_VIA_DEFAULT);
  g_autofree char *data = xdg_data_home(envp);
  if (data != NULL) {
    g_autofree char *dir = g_build_filename(data, "cudaup", NULL);
    consider_children(s, dir, "cuda-", CUP_FOUND_VIA_DEFAULT);
  }
}

static void add_env_roots(Scan *s, const char *const *envp)
{
  static const char *const names[] = {"CUDA_PATH", "CUDA_HOME", "CUDA_ROOT"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    const char *value = env_get(envp, names[i]);
    if (value == NULL || *value == '\0')
      continue;
    if (g_path_is_absolute(value))
      consider(s, value, names[i], TRUE);
    else
      scan_warn(s, "%s=%s: not an absolute path; ignored", names[i], value);
  }
}

/* A wrapper script that only execs another nvcc (/usr/local/bin/nvcc holding
 * `exec /usr/local/cuda-13.0/bin/nvcc "$@"`) stands for that nvcc. Returns the canonical
 * path of the nvcc at the end of such a chain (at most 4 wrappers), newly allocated. */
static char *follow_nvcc_wrapper(const char *root, const char *canon)
{
  static const char pattern[] = "^\\s*exec\\s+[\"']?(/[^\"'\\s]*/nvcc)[\"']?(\\s|$)";
  char *current = g_strdup(canon);
  for (int depth = 0; depth < 4; depth++) {
    g_autofree char *host = cup_root_join(root, current);
    g_autofree char *text = cup_read_small_file(host, 4096, NULL, NULL);
    g_autofree char *target =
        text && g_str_has_prefix(text, "#!") ? regex_group(pattern, text, 1) : NULL;
    g_autofree char *next = target ? cup_root_realpath(root, target) : NULL;
    if (next == NULL || strcmp(next, current) == 0 || !sys_test(root, next, G_FILE_TEST_IS_REGULAR))
      break;
    g_free(current);
    current = g_steal_pointer(&next);
  }
  return current;
}

/* PATH entries holding nvcc: the toolkit is the parent of nvcc's (resolved) directory. */
static void add_path(Scan *s, const char *const *envp)
{
  const char *path = env_get(envp, "PATH");
  g_auto(GStrv) entries = g_strsplit(path ? path : "", G_SEARCHPATH_SEPARATOR_S, -1);
  for (char **e = entries; *e; e++) {
    if (!g_path_is_absolute(*e))
      continue;
    g_autofree char *nvcc = g_build_filename(*e, "nvcc", NULL);
    g_autofree char *canon = cup_root_realpath(s->root, nvcc);
    if (canon == NULL || !sys_test(s->root, canon, G_FILE_TEST_IS_REGULAR))
      continue;
    g_autofree char *nvcc_real = follow_nvcc_wrapper(s->root, canon);
    g_autofree char *bin = g_path_get_dirname(nvcc_real);
    g_autofree char *tk_root = g_path_get_dirname(bin);
    consider(s, tk_root, "PATH", FALSE);
  }
}

/* The toolkit root above a library directory: ROOT/lib, ROOT/lib64, ROOT/targets/ARCH/lib. */
static char *root_of_lib_dir(const char *dir)
{
  g_autofree char *clean = g_canonicalize_filename(dir, "/");
  g_autofree char *base = g_path_get_basename(clean);
  g_autofree char *parent = g_path_get_dirname(clean);
  if (strcmp(base, "lib") != 0 && strcmp(base, "lib64") != 0)
    return NULL;
  g_autofree char *targets = g_path_get_dirname(parent);
  g_autofree char *targets_name = g_path_get_basename(targets);
  if (strcmp(base, "lib") == 0 && strcmp(targets_name, "targets") == 0)
    return g_path_get_dirname(targets);
  return g_steal_pointer(&parent);
}

static void add_ld_library_path(Scan *s, const char *const *envp)
{
  const char *path = env_get(envp, "LD_LIBRARY_PATH");
  g_auto(GStrv) entries = g_strsplit(path ? path : "", G_SEARCHPATH_SEPARATOR_S, -1);
  for (char **e = entries; *e; e++) {
    if (!g_path_is_absolute(*e))
      continue;
    /* Try the entry as written, then as resolved: lib64 -> targets/x86_64-linux/lib. */
    g_autofree char *as_written = root_of_lib_dir(*e);
    if (as_written != NULL && consider(s, as_written, "LD_LIBRARY_PATH", FALSE))
      continue;
    g_autofree char *canon = cup_root_realpath(s->root, *e);
    g_autofree char *resolved = canon ? root_of_lib_dir(canon) : NULL;
    if (resolved != NULL)
      consider(s, resolved, "LD_LIBRARY_PATH", FALSE);
  }
}

/* Newest version first; unknown versions last; then by root for a stable order. */
static int compare_toolkits(gconstpointer a, gconstpointer b)
{
  const CupToolkit *x = *(CupToolkit *const *)a;
  const CupToolkit *y = *(CupToolkit *const *)b;
  int order = 0;
  if (x->version != NULL && y->version != NULL &&
      cup_version_compare_strings(y->version, x->version, &order, NULL) && order != 0)
    return order;
  if ((x->version == NULL) != (y->version == NULL))
    return x->version != NULL ? -1 : 1;
  return strcmp(x->root, y->root);
}

GPtrArray *cup_toolkits_detect(const char *root, const char *const *envp, GPtrArray *warnings)
{
  Scan s = {
      .root = root,
      .warnings = warnings,
      .toolkits = g_ptr_array_new_with_free_func((GDestroyNotify)cup_toolkit_free),
      .by_root = g_hash_table_new(g_str_hash, g_str_equal),
      .rejected = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
  };
  add_defaults(&s, envp);
  add_env_roots(&s, envp);
  add_path(&s, envp);
  add_ld_library_path(&s, envp);
  for (guint i = 0; i < s.toolkits->len; i++) {
    CupToolkit *tk = g_ptr_array_index(s.toolkits, i);
    g_autoptr(GPtrArray) dirs = lib_dirs(root, tk->root);
    detect_version(&s, tk, dirs);
    detect_cudnn(&s, tk, dirs);
  }
  g_ptr_array_sort(s.toolkits, compare_toolkits);
  g_hash_table_unref(s.by_root);
  g_hash_table_unref(s.rejected);
  return s.toolkits;
}

char *cup_toolkit_default_link(const char *root)
{
  g_autofree char *parent = g_path_get_dirname(root);
  return g_build_filename(parent, "cuda", NULL);
}

#ifdef G_OS_UNIX
char *cup_toolkit_set_default(const char *root, GError **error)
{
  g_autofree char *link = cup_toolkit_default_link(root);
  g_autofree char *tmp = g_strdup_printf("%s.cudaup-%d", link, (int)getpid());
  GStatBuf st;
  if (g_lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("%s is a directory, not a link: not replaced; move it away to make %s the "
                  "default there"),
                link, root);
    return NULL;
  }
  g_unlink(tmp);
  if (symlink(root, tmp) != 0 || g_rename(tmp, link) != 0) {
    int saved = errno;
    g_unlink(tmp);
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("could not point %s at %s: %s; run as root, or use the toolkit's own path"), link,
                root, g_strerror(saved));
    return NULL;
  }
  return g_steal_pointer(&link);
}
#else
char *cup_toolkit_set_default(const char *root, GError **error)
{
  (void)root;
  g_set_error_literal(error, CUP_ERROR, CUP_ERROR_UNSUPPORTED,
                      _("a 'cuda' link is for Linux; on Windows CUDA_PATH names the default "
                        "toolkit (cudaup env apply)"));
  return NULL;
}
#endif
