/* check.c - the post-install proof: the tree's own libcudart, libcudnn and nvcc, and nothing
 * else on the machine, answer with the versions the plan installed. Libraries are loaded in a
 * child process (check_probe.c), nvcc runs in an environment of our own (check_nvcc.c); this
 * file validates the options, runs the proofs in order and renders the result.
 */
#include "core/check_private.h"

#include "core/error.h"
#include "core/i18n.h"
#include "core/system.h"

#include <errno.h>
#include <string.h>

#ifdef G_OS_WIN32
#define LIB_FILE(unix_stem, windows_stem) windows_stem, ".dll"
#else
#include <stdlib.h>
#define LIB_FILE(unix_stem, windows_stem) unix_stem, ""
#endif

#if defined(__aarch64__)
#define TARGET_LIB_DIR "targets/sbsa-linux/lib"
#else
#define TARGET_LIB_DIR "targets/x86_64-linux/lib"
#endif

static const CupCheckLibSpec cudart_spec = {LIB_FILE("libcudart.so.", "cudart64_"),
                                            "cudaRuntimeGetVersion",
                                            'c',
                                            "the CUDA toolkit",
                                            "--cuda",
                                            "cudaGetDeviceCount"};
static const CupCheckLibSpec cudnn_spec = {LIB_FILE("libcudnn.so.", "cudnn64_"),
                                           "cudnnGetVersion",
                                           'd',
                                           "cuDNN",
                                           "--cudnn",
                                           "cudnnGetCudartVersion"};

static void check_clear(CupCheck *c)
{
  g_free(c->root);
  g_free(c->real_root);
  g_free(c->lib_dir);
}

static void item_free(gpointer data)
{
  CupCheckItem *it = data;
  g_free(it->name);
  g_free(it->path);
  g_free(it->version);
  g_free(it->detail);
  g_free(it->cuda_error_name);
  g_free(it->arch);
  g_free(it);
}

void cup_check_result_free(CupCheckResult *r)
{
  if (r == NULL)
    return;
  g_free(r->root);
  g_ptr_array_unref(r->items);
  g_free(r);
}

gint64 cup_check_now_ms(void)
{
  return g_get_monotonic_time() / 1000;
}

static CupCheckItem *item_new(CupCheckResult *r, const char *name)
{
  CupCheckItem *it = g_new0(CupCheckItem, 1);
  it->name = g_strdup(name);
  it->ms = cup_check_now_ms(); /* the start; item_done makes it the duration */
  it->cuda_error = -1;
  it->device_count = -1;
  g_ptr_array_add(r->items, it);
  return it;
}

void cup_check_item_done(CupCheckItem *it, gboolean ok, char *detail)
{
  it->ok = ok;
  it->detail = detail;
  it->ms = cup_check_now_ms() - it->ms;
}

/* The fix for anything wrong in the tree: install that part into it again. */
char *cup_check_fix_for(const CupCheck *c, const char *what, const char *flag, const char *expect)
{
  return g_strdup_printf(_("install %s into %s again (cudaup install %s %s --prefix %s)"), what,
                         c->root, flag, expect ? expect : "<version>", c->root);
}

char *cup_check_real_path(const char *path)
{
#ifdef G_OS_WIN32
  /* Links are rare on Windows trees; the lexical form is what LoadLibrary reports back. */
  return g_canonicalize_filename(path, NULL);
#else
  char *real = realpath(path, NULL);
  int saved = errno;
  char *copy = g_strdup(real);
  free(real);
  errno = saved;
  return copy;
#endif
}

static gboolean path_is_below(const char *root, const char *path)
{
  gsize n = strlen(root);
  while (n > 0 && G_IS_DIR_SEPARATOR(root[n - 1]))
    n--;
#ifdef G_OS_WIN32
  gboolean same = g_ascii_strncasecmp(path, root, n) == 0;
#else
  gboolean same = strncmp(path, root, n) == 0;
#endif
  return same && (path[n] == '\0' || G_IS_DIR_SEPARATOR(path[n]));
}

/* NULL when @path resolves below the root, else why not (with the fix). */
char *cup_check_escape_problem(const CupCheck *c, const char *path, const char *fix)
{
  g_autofree char *real = cup_check_real_path(path);
  if (real == NULL)
    return g_strdup_printf(_("cannot be resolved (%s); %s"), g_strerror(errno), fix);
  if (!path_is_below(c->real_root, real))
    return g_strdup_printf(_("resolves to %s, outside %s; %s"), real, c->root, fix);
  return NULL;
}

/* Whether @seen equals @want on the parts @want gives ("9.19" matches "9.19.0"). */
gboolean cup_check_version_matches(const char *seen, const CupVersion *want)
{
  CupVersion v;
  if (!cup_version_parse(seen, &v, NULL))
    return FALSE;
  for (guint i = 0; i < want->n_parts; i++)
    if ((i < v.n_parts ? v.parts[i] : 0) != want->parts[i])
      return FALSE;
  return TRUE;
}

/* ---- finding and loading a library ---- */

/* STEM N SUFFIX in @dir: N = @want_major when present, else the highest N. */
static char *find_library(const char *dir, const CupCheckLibSpec *spec, guint64 want_major)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  char *best = NULL;
  guint64 best_n = 0;
  gsize stem = strlen(spec->stem), suffix = strlen(spec->suffix);
  while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
    gsize len = strlen(name);
    if (len <= stem + suffix || strncmp(name, spec->stem, stem) != 0 ||
        strcmp(name + len - suffix, spec->suffix) != 0)
      continue;
    g_autofree char *digits = g_strndup(name + stem, len - stem - suffix);
    guint64 n = 0;
    if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT32, &n, NULL))
      continue;
    if (best == NULL || n == want_major || (n > best_n && best_n != want_major)) {
      g_free(best);
      best = g_strdup(name);
      best_n = n;
    }
  }
  return best;
}

/* After a load: the objects that answered must be the tree's; NULL when they are. */
static char *copy_problem(const CupCheck *c, const char *path, const CupCheckProbe *p,
                          const char *fix)
{
  const char *objects[] = {p->object, p->symbol_object};
  for (guint i = 0; i < G_N_ELEMENTS(objects); i++) {
    g_autofree char *real = objects[i] ? cup_check_real_path(objects[i]) : NULL;
    if (objects[i] != NULL && (real == NULL || !path_is_below(c->real_root, real)))
      return g_strdup_printf(_("was answered by %s, another copy outside %s, not by %s; %s"),
                             real ? real : objects[i], c->root, path, fix);
  }
  return NULL;
}

/* What is wrong with the library @it->path, after loading it; NULL when nothing is. */
static char *library_problem(const CupCheck *c, const CupCheckLibSpec *spec, const char *expect,
                             const CupVersion *want, CupCheckItem *it, const char *fix,
                             gboolean extra, CupCheckProbe *p)
{
  char *problem = cup_check_escape_problem(c, it->path, fix);
  if (problem != NULL)
    return problem;
  cup_check_probe_library(it->path, spec, c->timeout_ms, extra, p);
  problem = p->error ? g_strdup_printf("%s; %s", p->error, fix) : copy_problem(c, it->path, p, fix);
  if (problem == NULL) {
    it->version = cup_version_from_encoded((int)CLAMP(p->value, 0, G_MAXINT), spec->kind);
    if (it->version == NULL)
      problem = g_strdup_printf(_("%s() returned %lld, not a version; %s"), spec->symbol,
                                (long long)p->value, fix);
    else if (expect != NULL && !cup_check_version_matches(it->version, want))
      problem = g_strdup_printf(_("reports %s, expected %s; %s"), it->version, expect, fix);
  }
  if (problem == NULL) { /* the success line, in the item until item_done */
    g_autofree char *real = cup_check_real_path(it->path);
    it->detail = g_strdup_printf(_("%s() = %lld (%s), loaded from %s"), spec->symbol,
                                 (long long)p->value, it->version, real);
  }
  return problem;
}

/* Prove the library of @spec into @it; with @extra also make its extra call. @p gets what the
 * load told (the caller clears it). Returns whether the library answered its version from
 * inside the tree, so that the extra's answer counts. */
static gboolean prove_library(const CupCheck *c, const CupCheckLibSpec *spec, const char *expect,
                              const CupVersion *want, CupCheckItem *it, gboolean extra,
                              CupCheckProbe *p)
{
  g_autofree char *fix = cup_check_fix_for(c, spec->what, spec->flag, expect);
  g_autofree char *file = find_library(c->lib_dir, spec, expect ? want->parts[0] : G_MAXUINT64);
  if (file == NULL) {
    cup_check_item_done(
        it, FALSE,
        g_strdup_printf(_("no %sN%s in %s; %s"), spec->stem, spec->suffix, c->lib_dir, fix));
    return FALSE;
  }
  it->path = g_build_filename(c->lib_dir, file, NULL);
  char *problem = library_problem(c, spec, expect, want, it, fix, extra, p);
  cup_check_item_done(it, problem == NULL, problem ? problem : it->detail);
  return it->version != NULL && p->error == NULL;
}

/* ---- cudaGetDeviceCount ---- */

/* A cudaError_t in words a first-year student can look up, and what to do about it. Values:
 * NVIDIA CUDA Runtime API, enum cudaError (driver_types.h). */
typedef struct {
  int code;
  const char *words;
  const char *fix;
} CudaErrorHelp;

static const CudaErrorHelp cuda_errors[] = {
    {35, N_("insufficient driver"),
     N_("no NVIDIA driver is installed, or it is older than this CUDA needs: install or upgrade "
        "the NVIDIA driver ('cudaup plan' names the minimum for this CUDA), then reboot")},
    {100, N_("no CUDA-capable device"),
     N_("the driver sees no NVIDIA GPU: check that CUDA_VISIBLE_DEVICES does not hide it and "
        "that the GPU is enabled (laptops: the NVIDIA GPU may be switched off in the BIOS)")},
    {34, N_("stub library"),
     N_("the stub libcuda.so of lib64/stubs was loaded instead of the driver's: take lib64/stubs "
        "off LD_LIBRARY_PATH and install the NVIDIA driver")},
    {803, N_("system driver mismatch"),
     N_("the loaded kernel module and the driver's libraries have different versions: reboot, "
        "or reinstall the NVIDIA driver")},
    {3, N_("initialization error"),
     N_("the driver could not start the GPU: reboot, and reinstall the NVIDIA driver if it "
        "persists")},
};

static const CudaErrorHelp *cuda_error_help(int code)
{
  for (guint i = 0; i < G_N_ELEMENTS(cuda_errors); i++)
    if (cuda_errors[i].code == code)
      return &cuda_errors[i];
  return NULL;
}

static char *devices_problem(const CupCheckProbe *p)
{
  const CudaErrorHelp *help = cuda_error_help(p->extra_rc);
  const char *name = p->extra_name ? p->extra_name : "cudaError";
  if (help != NULL) {
    return g_strdup_printf(_("cudaGetDeviceCount() returned %s (%d): %s; %s"), name, p->extra_rc,
                           _(help->words), _(help->fix));
  }
  return g_strdup_printf(_("cudaGetDeviceCount() returned %s (%d): %s; reinstall the NVIDIA "
                           "driver and reboot"),
                         name, p->extra_rc, p->extra_text ? p->extra_text : _("unknown error"));
}

static void prove_devices(const CupCheckProbe *p, gboolean loaded, CupCheckItem *it)
{
  if (!loaded || p->extra_error != NULL) {
    cup_check_item_done(it, FALSE,
                        loaded ? g_strdup_printf("%s; %s", p->extra_error,
                                                 _("reinstall the NVIDIA driver and reboot"))
                               : g_strdup(_("not asked: libcudart did not load (see libcudart)")));
    return;
  }
  it->cuda_error = p->extra_rc;
  it->cuda_error_name = g_strdup(p->extra_name);
  it->device_count = p->extra_rc == 0 ? (int)p->extra_value : -1;
  if (p->extra_rc != 0)
    cup_check_item_done(it, FALSE, devices_problem(p));
  else if (p->extra_value <= 0)
    cup_check_item_done(it, FALSE,
                        g_strdup(_("cudaGetDeviceCount() returned cudaSuccess but no device; "
                                   "check that CUDA_VISIBLE_DEVICES does not hide the GPU")));
  else
    cup_check_item_done(
        it, TRUE,
        g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "cudaGetDeviceCount() = cudaSuccess: %d GPU",
                                    "cudaGetDeviceCount() = cudaSuccess: %d GPUs",
                                    (gulong)p->extra_value),
                        (int)p->extra_value));
}

/* ---- cudnnGetCudartVersion ---- */

static char *cudnn_cuda_problem(const CupCheck *c, const CupCheckProbe *p, const char *toolkit,
                                CupCheckItem *it)
{
  g_autofree char *fix = cup_check_fix_for(c, "cuDNN", "--cudnn", c->o->expect_cudnn);
  if (p->extra_error != NULL)
    return g_strdup_printf("%s; %s", p->extra_error, fix);
  it->version = cup_version_from_encoded((int)CLAMP(p->extra_value, 0, G_MAXINT), 'c');
  if (it->version == NULL)
    return g_strdup_printf(_("cudnnGetCudartVersion() returned %lld, not a version; %s"),
                           (long long)p->extra_value, fix);
  if (toolkit == NULL)
    return g_strdup(_("the toolkit's CUDA version is unknown, since libcudart did not answer "
                      "(see libcudart)"));
  CupVersion built, have;
  if (!cup_version_parse(it->version, &built, NULL) || !cup_version_parse(toolkit, &have, NULL) ||
      built.parts[0] != have.parts[0])
    return g_strdup_printf(_("cuDNN was built for CUDA %s (cudnnGetCudartVersion() = %lld), but "
                             "the toolkit is CUDA %s; install the cuDNN build for CUDA %u "
                             "(cudaup install --cudnn %s --prefix %s)"),
                           it->version, (long long)p->extra_value, toolkit, (guint)have.parts[0],
                           c->o->expect_cudnn ? c->o->expect_cudnn : "<version>", c->root);
  return NULL;
}

static void prove_cudnn_cuda(const CupCheck *c, const CupCheckProbe *p, gboolean loaded,
                             const char *toolkit, CupCheckItem *it)
{
  if (!loaded) {
    cup_check_item_done(it, FALSE, g_strdup(_("not asked: libcudnn did not load (see libcudnn)")));
    return;
  }
  char *problem = cudnn_cuda_problem(c, p, toolkit, it);
  cup_check_item_done(it, problem == NULL,
                      problem ? problem
                              : g_strdup_printf(_("cudnnGetCudartVersion() = %lld: built for "
                                                  "CUDA %s, which fits CUDA %s"),
                                                (long long)p->extra_value, it->version, toolkit));
}

/* ---- options ---- */

static gboolean parse_expect(const char *text, const char *what, CupVersion *out, GError **error)
{
  if (text == NULL || cup_version_parse(text, out, NULL))
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
              _("expected %s version \"%s\" is not a version; give it as X.Y or X.Y.Z"), what,
              text);
  return FALSE;
}

static gboolean lib_dir_ok(const char *lib_dir, GError **error)
{
  g_auto(GStrv) parts = g_regex_split_simple("[/\\\\]", lib_dir, 0, 0);
  if (lib_dir[0] != '\0' && !g_path_is_absolute(lib_dir) &&
      !g_strv_contains((const char *const *)parts, ".."))
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
              _("library directory \"%s\" must be a path inside the toolkit root, like lib64"),
              lib_dir);
  return FALSE;
}

static char *default_lib_dir(const char *root)
{
  char *lib = g_build_filename(root, CUP_CHECK_DEFAULT_LIB_DIR, NULL);
  g_autofree char *target = g_build_filename(root, TARGET_LIB_DIR, NULL);
  if (!g_file_test(lib, G_FILE_TEST_IS_DIR) && g_file_test(target, G_FILE_TEST_IS_DIR)) {
    g_free(lib);
    return g_steal_pointer(&target);
  }
  return lib;
}

/* "8.6": digits, a dot, digits. */
static gboolean compile_cc_ok(const char *cc, GError **error)
{
  if (cc == NULL || strcmp(cc, CUP_CHECK_CC_LOWEST) == 0 ||
      g_regex_match_simple("^[0-9]{1,2}\\.[0-9]$", cc, 0, 0))
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
              _("compute capability \"%s\" is not X.Y; give it as, e.g., 8.6"), cc);
  return FALSE;
}

static gboolean check_init(CupCheck *c, const CupCheckOptions *o, GError **error)
{
  c->o = o;
  c->timeout_ms = o->timeout_ms ? o->timeout_ms : CUP_CHECK_TIMEOUT_MS;
  if (o->root == NULL || o->root[0] == '\0' || !(o->cudart || o->cudnn || o->nvcc || o->compile)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("nothing to check: give a toolkit root and at least one proof to run"));
    return FALSE;
  }
  if (!parse_expect(o->expect_cuda, "CUDA", &c->cuda, error) ||
      !parse_expect(o->expect_cudnn, "cuDNN", &c->cudnn, error) ||
      (o->lib_dir != NULL && !lib_dir_ok(o->lib_dir, error)) ||
      !compile_cc_ok(o->compile_cc, error))
    return FALSE;
  if (o->cudnn_cuda && o->expect_cuda == NULL && !o->cudart) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("the cuDNN CUDA-major proof needs the toolkit's CUDA version: give the "
                  "expected CUDA version or ask for the libcudart proof too"));
    return FALSE;
  }
  c->root = g_canonicalize_filename(o->root, NULL);
  c->real_root = cup_check_real_path(c->root);
  if (c->real_root == NULL || !g_file_test(c->real_root, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("toolkit root %s is not a directory; give the --prefix the install used"),
                c->root);
    return FALSE;
  }
  c->lib_dir = o->lib_dir ? g_build_filename(c->root, o->lib_dir, NULL) : default_lib_dir(c->root);
  return TRUE;
}

/* libcudart, then cuda-devices when asked. Returns the CUDA version the rest compares with
 * (expect_cuda, else what libcudart reported; owned by @r), or NULL. */
static const char *prove_cudart(const CupCheck *c, CupCheckResult *r)
{
  CupCheckProbe p = {0};
  CupCheckItem *it = item_new(r, CUP_CHECK_LIBCUDART);
  gboolean loaded =
      prove_library(c, &cudart_spec, c->o->expect_cuda, &c->cuda, it, c->o->devices, &p);
  const char *cuda = c->o->expect_cuda ? c->o->expect_cuda : it->version;
  if (c->o->devices)
    prove_devices(&p, loaded, item_new(r, CUP_CHECK_DEVICES));
  cup_check_probe_clear(&p);
  return cuda;
}

static void prove_cudnn(const CupCheck *c, CupCheckResult *r, const char *cuda)
{
  CupCheckProbe p = {0};
  CupCheckItem *it = item_new(r, CUP_CHECK_LIBCUDNN);
  gboolean loaded =
      prove_library(c, &cudnn_spec, c->o->expect_cudnn, &c->cudnn, it, c->o->cudnn_cuda, &p);
  if (c->o->cudnn_cuda)
    prove_cudnn_cuda(c, &p, loaded, cuda, item_new(r, CUP_CHECK_CUDNN_CUDA));
  cup_check_probe_clear(&p);
}

CupCheckResult *cup_check_toolkit(const CupCheckOptions *o, GError **error)
{
  g_return_val_if_fail(o != NULL, NULL);
  CupCheck c = {0};
  if (!check_init(&c, o, error)) {
    check_clear(&c);
    return NULL;
  }
  CupCheckResult *r = g_new0(CupCheckResult, 1);
  r->root = g_strdup(c.root);
  r->items = g_ptr_array_new_with_free_func(item_free);
  const char *cuda = o->expect_cuda;
  if (o->cudart)
    cuda = prove_cudart(&c, r);
  if (o->cudnn)
    prove_cudnn(&c, r, cuda);
  if (o->nvcc)
    cup_check_prove_nvcc(&c, item_new(r, CUP_CHECK_NVCC));
  if (o->compile)
    cup_check_prove_compile(&c, item_new(r, CUP_CHECK_NVCC_COMPILE));
  r->ok = TRUE;
  for (guint i = 0; i < r->items->len; i++) {
    const CupCheckItem *it = g_ptr_array_index(r->items, i);
    g_debug("check: %s %s: %s", it->name, it->ok ? "ok" : "FAILED", it->detail);
    r->ok = r->ok && it->ok;
  }
  check_clear(&c);
  return r;
}

/* ---- output ---- */

char *cup_check_summary(const CupCheckResult *r)
{
  g_return_val_if_fail(r != NULL, NULL);
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint i = 0; i < r->items->len; i++) {
    const CupCheckItem *it = g_ptr_array_index(r->items, i);
    if (!it->ok && it->path != NULL)
      return g_strdup_printf("%s at %s %s", it->name, it->path, it->detail);
    if (!it->ok)
      return g_strdup_printf("%s: %s", it->name, it->detail);
    if (g_str_equal(it->name, CUP_CHECK_NVCC_COMPILE))
      g_string_append_printf(s, "%snvcc compiles", s->len ? ", " : "");
    else if (g_str_equal(it->name, CUP_CHECK_DEVICES))
      g_string_append_printf(s, "%s%d GPU%s", s->len ? ", " : "", it->device_count,
                             it->device_count == 1 ? "" : "s");
    else
      g_string_append_printf(s, "%s%s %s", s->len ? ", " : "", it->name, it->version);
  }
  return g_strdup_printf("%s works: %s", r->root, s->str);
}

static json_t *int_or_null(int n)
{
  return n >= 0 ? json_integer(n) : json_null();
}

json_t *cup_check_to_json(const CupCheckResult *r)
{
  g_return_val_if_fail(r != NULL, NULL);
  json_t *items = json_array();
  for (guint i = 0; i < r->items->len; i++) {
    const CupCheckItem *it = g_ptr_array_index(r->items, i);
    json_array_append_new(
        items, json_pack("{s:s, s:b, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o}", "name", it->name,
                         "ok", it->ok, "path", cup_json_string_or_null(it->path), "version",
                         cup_json_string_or_null(it->version), "detail",
                         cup_json_string_or_null(it->detail), "ms", (json_int_t)it->ms,
                         "cuda_error", int_or_null(it->cuda_error), "cuda_error_name",
                         cup_json_string_or_null(it->cuda_error_name), "device_count",
                         int_or_null(it->device_count), "arch", cup_json_string_or_null(it->arch)));
  }
  return json_pack("{s:s, s:b, s:o}", "root", r->root, "ok", r->ok, "items", items);
}
