/* test_verify.c - core/verify and `cudaup verify` against the machine's real CUDA 13.0 toolkit
 * with cuDNN 9.19 (no GPU, no driver here), trees made of parts of it, a small libcudnn built
 * here for the one case no real library on this machine shows (a cuDNN for another CUDA
 * major), a new login shell with HOME in a temp directory before and after `cudaup env apply`,
 * and the CLI end to end in text, JSON and Korean.
 */
#include "core/catalog.h"
#include "core/error.h"
#include "core/system.h"
#include "core/toolkit.h"
#include "core/verify.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#define REAL_LINK "/usr/local/cuda"

/* The real toolkit's canonical root, or NULL after a printed skip. */
static char *real_toolkit(void)
{
  static const char *const needed[] = {"bin/nvcc", "lib64/libcudart.so.13", "lib64/libcudnn.so.9",
                                       "include/cudnn_version.h"};
  char *root = realpath(REAL_LINK, NULL);
  for (guint i = 0; root != NULL && i < G_N_ELEMENTS(needed); i++) {
    g_autofree char *path = g_build_filename(root, needed[i], NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
      free(root);
      root = NULL;
    }
  }
  if (root == NULL)
    g_test_skip("no CUDA 13.0 toolkit with cuDNN 9 at " REAL_LINK " on this machine");
  char *copy = g_strdup(root);
  free(root);
  return copy;
}

/* A toolkit as detection reports it for @root (CUDA_PATH points at it). */
static CupToolkit *detect_toolkit(const char *root)
{
  g_autofree char *var = g_strdup_printf("CUDA_PATH=%s", root);
  const char *envp[] = {var, NULL};
  g_autoptr(GPtrArray) all = cup_toolkits_detect(NULL, envp, NULL);
  g_autofree char *real = realpath(root, NULL);
  for (guint i = 0; i < all->len; i++) {
    CupToolkit *t = g_ptr_array_index(all, i);
    if (g_strcmp0(t->root, real) == 0)
      return g_ptr_array_steal_index(all, i);
  }
  g_assert_not_reached();
}

/* A toolkit made by hand: @root, CUDA @version, no cuDNN. */
static CupToolkit *toolkit_at(const char *root, const char *version)
{
  CupToolkit *t = cup_toolkit_new();
  t->root = g_strdup(root);
  t->version = g_strdup(version);
  return t;
}

static CupCatalog *catalog(void)
{
  g_autoptr(GError) error = NULL;
  CupCatalog *cat = cup_catalog_load(CUP_TEST_MANIFESTS, NULL, &error);
  g_assert_no_error(error);
  return cat;
}

/* No GPU, no driver, Linux: this machine as detect sees it. */
static CupSystem *bare_system(void)
{
  CupSystem *sys = cup_system_new();
  sys->os.family = g_strdup("linux");
  return sys;
}

static void add_gpu(CupSystem *sys, const char *name, const char *cc)
{
  CupGpu *gpu = cup_gpu_new();
  gpu->index = 0;
  cup_gpu_set(gpu, "name", name, CUP_SOURCE_NVIDIA_SMI);
  cup_gpu_set(gpu, "compute_capability", cc, CUP_SOURCE_GPU_TABLE);
  g_ptr_array_add(sys->gpus, gpu);
}

static CupVerifyResult *verify(const CupToolkit *t, const CupSystem *sys, const char *home,
                               const char *cc)
{
  g_autoptr(CupCatalog) cat = catalog();
  CupVerifyOptions o = {.toolkit = t,
                        .system = sys,
                        .catalog = cat,
                        .home = home,
                        .shell = "/bin/bash",
                        .compile_cc = cc};
  g_autoptr(GError) error = NULL;
  CupVerifyResult *r = cup_verify_run(&o, &error);
  g_assert_no_error(error);
  g_test_message("verdict: %s", r->verdict);
  for (guint i = 0; i < r->checks->len; i++) {
    const CupVerifyCheck *c = g_ptr_array_index(r->checks, i);
    g_test_message("  %s %s: %s%s%s", cup_verify_status_id(c->status), c->id, c->evidence,
                   c->fix ? " / fix: " : "", c->fix ? c->fix : "");
  }
  return r;
}

static const CupVerifyCheck *check(const CupVerifyResult *r, const char *id)
{
  for (guint i = 0; i < r->checks->len; i++) {
    const CupVerifyCheck *c = g_ptr_array_index(r->checks, i);
    if (strcmp(c->id, id) == 0)
      return c;
  }
  g_assert_not_reached();
}

static void assert_check(const CupVerifyResult *r, const char *id, CupVerifyStatus status,
                         const char *needle)
{
  const CupVerifyCheck *c = check(r, id);
  g_assert_cmpstr(cup_verify_status_id(c->status), ==, cup_verify_status_id(status));
  if (needle != NULL && strstr(c->evidence, needle) == NULL)
    g_error("%s: \"%s\" does not say \"%s\"", id, c->evidence, needle);
  if (status == CUP_VERIFY_FAIL)
    g_assert_nonnull(c->fix);
}

static void copy_file(const char *from, const char *root, const char *relative)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(from, &data, &len, NULL));
  g_autofree char *to = g_build_filename(root, relative, NULL);
  g_autofree char *dir = g_path_get_dirname(to);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_assert_true(g_file_set_contents(to, data, (gssize)len, NULL));
}

/* ---- the real tree ---- */

static void test_real_tree(void)
{
  g_autofree char *root = real_toolkit();
  if (root == NULL)
    return;
  g_autofree char *home = cup_test_make_root();
  g_autoptr(CupToolkit) t = detect_toolkit(REAL_LINK);
  g_autoptr(CupSystem) sys = bare_system();
  g_autoptr(CupVerifyResult) r = verify(t, sys, home, NULL);
  g_assert_true(r->ok);
  g_assert_cmpuint(r->n_fail, ==, 0);
  g_assert_cmpstr(r->verdict, ==,
                  "Verified: CUDA 13.0 and cuDNN 9.19 work; no GPU driver, so the GPU itself was "
                  "not tested");
  g_assert_cmpstr(r->toolkit_root, ==, root);
  g_assert_cmpstr(r->cudnn, ==, "9.19.0");
  assert_check(r, "driver", CUP_VERIFY_SKIP, "no NVIDIA driver answers");
  assert_check(r, "driver-cuda", CUP_VERIFY_SKIP, "no driver");
  assert_check(r, "cudart", CUP_VERIFY_PASS, "cudaRuntimeGetVersion() = 13000 (13.0)");
  /* The driver is missing: said precisely, with the fix, and no crash. */
  assert_check(r, "cuda-devices", CUP_VERIFY_SKIP,
               "cudaGetDeviceCount() returned cudaErrorInsufficientDriver (35): insufficient "
               "driver");
  g_assert_nonnull(strstr(check(r, "cuda-devices")->fix, "install or upgrade the NVIDIA driver"));
  assert_check(r, "cudnn", CUP_VERIFY_PASS, "cudnnGetVersion() = 91900 (9.19.0)");
  assert_check(r, "cudnn-cuda", CUP_VERIFY_PASS, "built for CUDA 13.");
  assert_check(r, "nvcc", CUP_VERIFY_PASS, "nvcc --version says 13.0.");
  assert_check(r, "nvcc-compile", CUP_VERIFY_PASS, "compiled a kernel for sm_75 (the lowest");
  g_assert_cmpuint(r->checks->len, ==, 12);

  /* A given compute capability. */
  g_autoptr(CupVerifyResult) r86 = verify(t, sys, home, "8.6");
  assert_check(r86, "nvcc-compile", CUP_VERIFY_PASS, "compiled a kernel for sm_86");
  cup_test_remove_tree(home);
}

/* A GPU in the machine but no driver: that is a failure, and nvcc compiles for its CC. */
static void test_gpu_without_driver(void)
{
  g_autofree char *root = real_toolkit();
  if (root == NULL)
    return;
  g_autofree char *home = cup_test_make_root();
  g_autoptr(CupToolkit) t = detect_toolkit(REAL_LINK);
  g_autoptr(CupSystem) sys = bare_system();
  add_gpu(sys, "NVIDIA GeForce RTX 3070", "8.6");
  g_autoptr(CupVerifyResult) r = verify(t, sys, home, NULL);
  g_assert_false(r->ok);
  assert_check(r, "driver", CUP_VERIFY_FAIL, "but NVIDIA GeForce RTX 3070 is in this machine");
  assert_check(r, "cuda-devices", CUP_VERIFY_FAIL, "insufficient driver");
  assert_check(r, "nvcc-compile", CUP_VERIFY_PASS, "sm_86 (compute capability 8.6)");
  g_assert_cmpstr(r->verdict, ==,
                  "Not verified: 2 of 12 checks failed, first: The NVIDIA driver answers");
  cup_test_remove_tree(home);
}

/* The driver against CUDA 13.0 (manifests/cuda.json: 580.65.06 for 13.0 GA and the 13.x
 * floor), through the planner's rule. */
static void test_driver_supports_cuda(void)
{
  g_autofree char *t = cup_test_make_root();
  g_autoptr(CupToolkit) tk = toolkit_at(t, "13.0");
  const struct {
    const char *driver;
    CupVerifyStatus status;
    const char *needle;
  } cases[] = {
      {"580.95.05", CUP_VERIFY_PASS, "driver 580.95.05 meets CUDA 13.0's minimum 580.65.06"},
      {"575.57.08", CUP_VERIFY_FAIL, "driver 575.57.08 is older than CUDA 13.0 needs (580.65.06"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(CupSystem) sys = bare_system();
    sys->driver.version = g_strdup(cases[i].driver);
    sys->driver.source = g_strdup(CUP_SOURCE_NVIDIA_SMI);
    g_autoptr(CupVerifyResult) r = verify(tk, sys, t, NULL);
    assert_check(r, "driver", CUP_VERIFY_PASS, cases[i].driver);
    assert_check(r, "driver-cuda", cases[i].status, cases[i].needle);
    if (cases[i].status == CUP_VERIFY_FAIL)
      g_assert_nonnull(strstr(check(r, "driver-cuda")->fix, "upgrade the NVIDIA driver to 580"));
  }
  cup_test_remove_tree(t);
}

/* ---- the frameworks of a Python ---- */

/* verify with the fake site-packages @fixture (tests/fixtures/doctor/python/) on PYTHONPATH,
 * the GPUs the fake frameworks see in CUDAUP_FAKE_GPUS, and @driver (NULL: none). */
static CupVerifyResult *verify_python(const char *python, const char *fixture, const char *gpus,
                                      const char *driver)
{
  g_autofree char *t = cup_test_make_root();
  g_autoptr(CupToolkit) tk = toolkit_at(t, "13.0");
  g_autoptr(CupSystem) sys = bare_system();
  if (driver != NULL) {
    sys->driver.version = g_strdup(driver);
    sys->driver.source = g_strdup(CUP_SOURCE_NVIDIA_SMI);
    add_gpu(sys, "NVIDIA H100 80GB HBM3", "9.0");
  }
  g_autofree char *dir = g_build_filename(CUP_TEST_FIXTURES, "doctor", "python", fixture, NULL);
  g_setenv("PYTHONPATH", dir, TRUE);
  if (gpus)
    g_setenv("CUDAUP_FAKE_GPUS", gpus, TRUE);
  else
    g_unsetenv("CUDAUP_FAKE_GPUS");
  g_autoptr(CupCatalog) cat = catalog();
  CupVerifyOptions o = {.toolkit = tk, .system = sys, .catalog = cat, .home = t, .python = python};
  g_autoptr(GError) error = NULL;
  CupVerifyResult *r = cup_verify_run(&o, &error);
  g_assert_no_error(error);
  g_unsetenv("PYTHONPATH");
  cup_test_remove_tree(t);
  return r;
}

static void test_python_frameworks(void)
{
  const char *py = "/usr/bin/python3";
  if (!g_file_test(py, G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip("no /usr/bin/python3 to run the fake frameworks with");
    return;
  }
  g_autoptr(CupVerifyResult) cpu = verify_python(py, "torch-2.1.2-cpu", NULL, "550.54.14");
  assert_check(cpu, "python", CUP_VERIFY_PASS, "/usr/bin/python3");
  assert_check(cpu, "torch", CUP_VERIFY_FAIL, "PyTorch 2.1.2+cpu is a CPU-only build");
  g_assert_nonnull(strstr(check(cpu, "torch")->fix, "cudaup doctor --python"));
  assert_check(cpu, "tensorflow", CUP_VERIFY_SKIP, "TensorFlow is not installed");
  /* a CUDA wheel that sees the GPU; one that does not, with and without a driver */
  g_autoptr(CupVerifyResult) sees =
      verify_python(py, "torch-2.4.0-cu124", "NVIDIA H100 80GB HBM3", "550.54.14");
  assert_check(sees, "torch", CUP_VERIFY_PASS,
               "PyTorch 2.4.0+cu124 (CUDA 12.4) sees 1 GPU(s): NVIDIA H100 80GB HBM3");
  g_autoptr(CupVerifyResult) blind = verify_python(py, "torch-2.4.0-cu124", NULL, "550.54.14");
  assert_check(blind, "torch", CUP_VERIFY_FAIL, "PyTorch 2.4.0+cu124 (CUDA 12.4) sees no GPU");
  g_autoptr(CupVerifyResult) nodrv = verify_python(py, "torch-2.4.0-cu124", NULL, NULL);
  assert_check(nodrv, "torch", CUP_VERIFY_SKIP, "no NVIDIA driver answers here");
  g_autoptr(CupVerifyResult) broken = verify_python(py, "torch-broken", NULL, "550.54.14");
  assert_check(broken, "torch", CUP_VERIFY_FAIL, "importing PyTorch failed");
  g_autoptr(CupVerifyResult) tf = verify_python(py, "tensorflow-2.15.0-windows", NULL, NULL);
  assert_check(tf, "tensorflow", CUP_VERIFY_FAIL, "TensorFlow 2.15.0 is a CPU-only build");
  /* a Python that is not there fails; the frameworks are then not asked */
  g_autoptr(CupVerifyResult) none =
      verify_python("/nonexistent/python3", "torch-2.1.2-cpu", NULL, NULL);
  assert_check(none, "python", CUP_VERIFY_FAIL, "/nonexistent/python3");
  assert_check(none, "torch", CUP_VERIFY_SKIP, "no Python answered");
  g_assert_false(none->ok);
}

/* ---- partial and broken trees ---- */

static void test_tree_without_cudnn(void)
{
  g_autofree char *root = real_toolkit();
  if (root == NULL)
    return;
  g_autofree char *t = cup_test_make_root();
  g_autofree char *cudart = g_build_filename(root, "lib64", "libcudart.so.13", NULL);
  copy_file(cudart, t, "lib64/libcudart.so.13");
  g_autoptr(CupToolkit) tk = toolkit_at(t, "13.0");
  g_autoptr(CupSystem) sys = bare_system();
  g_autoptr(CupVerifyResult) r = verify(tk, sys, t, NULL);
  assert_check(r, "cudart", CUP_VERIFY_PASS, "(13.0)");
  assert_check(r, "cudnn", CUP_VERIFY_SKIP, "no cuDNN in");
  assert_check(r, "cudnn-cuda", CUP_VERIFY_SKIP, "no cuDNN");
  assert_check(r, "nvcc", CUP_VERIFY_FAIL, "no nvcc in");
  assert_check(r, "nvcc-compile", CUP_VERIFY_SKIP, "nvcc did not answer");
  g_assert_null(r->cudnn);
  g_assert_true(g_str_has_prefix(r->verdict, "Not verified: "));
  cup_test_remove_tree(t);
}

static void test_cudart_links_out(void)
{
  g_autofree char *root = real_toolkit();
  if (root == NULL)
    return;
  g_autofree char *t = cup_test_make_root();
  g_autofree char *cudart = g_build_filename(root, "lib64", "libcudart.so.13", NULL);
  cup_test_symlink(t, "lib64/libcudart.so.13", cudart);
  g_autoptr(CupToolkit) tk = toolkit_at(t, "13.0");
  g_autoptr(CupSystem) sys = bare_system();
  g_autoptr(CupVerifyResult) r = verify(tk, sys, t, NULL);
  g_autofree char *real = realpath(cudart, NULL);
  g_autofree char *outside = g_strdup_printf("resolves to %s, outside %s", real, t);
  assert_check(r, "cudart", CUP_VERIFY_FAIL, outside);
  g_assert_nonnull(strstr(check(r, "cudart")->fix, "cudaup install --cuda 13.0 --prefix"));
  assert_check(r, "cuda-devices", CUP_VERIFY_SKIP, "libcudart did not load");
  g_assert_false(r->ok);
  cup_test_remove_tree(t);
}

/* A small libcudnn.so.9 that answers @version and @cudart (the only fake here: no real cuDNN
 * for another CUDA major exists on this machine). FALSE after a printed skip. */
static gboolean build_fake_cudnn(const char *root, int version, int cudart)
{
  g_autofree char *cc = g_find_program_in_path("cc");
  if (cc == NULL) {
    g_test_skip("no C compiler (cc) to build the stand-in libcudnn");
    return FALSE;
  }
  g_autofree char *src = g_build_filename(root, "fake_cudnn.c", NULL);
  g_autofree char *code =
      g_strdup_printf("#include <stddef.h>\nsize_t cudnnGetVersion(void) { return %d; }\n"
                      "size_t cudnnGetCudartVersion(void) { return %d; }\n",
                      version, cudart);
  g_assert_true(g_file_set_contents(src, code, -1, NULL));
  g_autofree char *lib = g_build_filename(root, "lib64", "libcudnn.so.9", NULL);
  const char *argv[] = {cc, "-shared", "-fPIC", "-o", lib, src, NULL};
  g_auto(CupTestRun) run = cup_test_run(argv, NULL);
  g_assert_cmpint(run.status, ==, 0);
  g_remove(src);
  return TRUE;
}

static void test_cudnn_for_another_cuda(void)
{
  g_autofree char *root = real_toolkit();
  if (root == NULL)
    return;
  g_autofree char *t = cup_test_make_root();
  g_autofree char *cudart = g_build_filename(root, "lib64", "libcudart.so.13", NULL);
  copy_file(cudart, t, "lib64/libcudart.so.13");
  if (!build_fake_cudnn(t, 91900, 12080)) {
    cup_test_remove_tree(t);
    return;
  }
  g_autoptr(CupToolkit) tk = toolkit_at(t, "13.0");
  tk->cudnn = cup_cudnn_new();
  tk->cudnn->version = g_strdup("9.19.0");
  tk->cudnn->source = g_strdup("cudnn_version.h");
  g_autoptr(CupSystem) sys = bare_system();
  g_autoptr(CupVerifyResult) r = verify(tk, sys, t, NULL);
  assert_check(r, "cudnn", CUP_VERIFY_PASS, "(9.19.0)");
  assert_check(r, "cudnn-cuda", CUP_VERIFY_FAIL,
               "cuDNN was built for CUDA 12.8 (cudnnGetCudartVersion() = 12080), but the "
               "toolkit is CUDA 13.0");
  g_assert_nonnull(strstr(check(r, "cudnn-cuda")->fix, "install the cuDNN build for CUDA 13"));

  /* An install record that names another cuDNN: the library must match it. */
  cup_test_write(t, ".cudaup/installs/cudnn-9.13.json",
                 "{\"format\":1,\"name\":\"cudnn-9.13\",\"component\":\"cudnn\",\"version\":"
                 "\"9.13.0.50\",\"installed_at\":\"2025-01-01T00:00:00Z\",\"txn\":\"1\","
                 "\"archives\":[],\"files\":[],\"symlinks\":[],\"dirs\":[],\"replaced\":[]}");
  g_autoptr(CupVerifyResult) r2 = verify(tk, sys, t, NULL);
  assert_check(r2, "cudnn", CUP_VERIFY_FAIL, "reports 9.19.0, expected 9.13.0");
  cup_test_remove_tree(t);
}

/* ---- the login shell ---- */

/* `cudaup ARGS...` with HOME=@home, bash as the login shell and (when @lang) Korean. */
static CupTestRun cli(const char *home, gboolean korean, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)CUP_TEST_CLI);
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add(argv, (char *)*a);
  g_ptr_array_add(argv, NULL);
  g_auto(GStrv) env = g_get_environ();
  env = g_environ_setenv(env, "HOME", home, TRUE);
  env = g_environ_setenv(env, "SHELL", "/bin/bash", TRUE);
  env = g_environ_unsetenv(env, "XDG_CONFIG_HOME");
  g_autofree char *state = g_strconcat(home, ".state", NULL);
  env = g_environ_setenv(env, "XDG_STATE_HOME", state, TRUE);
  if (korean) {
    g_autofree char *bin = g_path_get_dirname(CUP_TEST_CLI);
    g_autofree char *locale = g_build_filename(bin, "..", "locale", NULL);
    env = g_environ_setenv(env, "LANGUAGE", "ko", TRUE);
    env = g_environ_setenv(env, "LC_ALL", "C.UTF-8", TRUE);
    env = g_environ_setenv(env, "CUDAUP_LOCALEDIR", locale, TRUE);
  } else {
    env = g_environ_setenv(env, "LC_ALL", "C", TRUE);
    env = g_environ_unsetenv(env, "LANGUAGE");
  }
  return cup_test_run((const char *const *)argv->pdata, (const char *const *)env);
}

/* A tree detection recognises (version.json) with an nvcc that only says its version. */
static char *make_stub_toolkit(const char *dir)
{
  char *root = g_build_filename(dir, "cuda-13.0", NULL);
  cup_test_write(root, "version.json",
                 "{\"cuda\": {\"name\": \"CUDA SDK\", \"version\": \"13.0.2\"}}");
  cup_test_write(root, "bin/nvcc",
                 "#!/bin/sh\necho 'Cuda compilation tools, release 13.0, V13.0.88'\n");
  cup_test_write(root, "lib64/README", "libraries go here\n");
  g_autofree char *nvcc = g_build_filename(root, "bin", "nvcc", NULL);
  g_assert_cmpint(g_chmod(nvcc, 0755), ==, 0);
  return root;
}

static void test_login_shell(void)
{
  if (!g_file_test("/bin/bash", G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip("no /bin/bash to be the login shell");
    return;
  }
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *home = g_build_filename(dir, "home", NULL);
  g_assert_cmpint(g_mkdir_with_parents(home, 0700), ==, 0);
  g_autofree char *root = make_stub_toolkit(dir);
  g_autoptr(CupToolkit) t = toolkit_at(root, "13.0");
  g_autoptr(CupSystem) sys = bare_system();
  g_autofree char *want = g_build_filename(root, "bin", "nvcc", NULL);

  /* Not applied: this machine's /etc/profile.d may put another nvcc first, or none. */
  g_autoptr(CupVerifyResult) before = verify(t, sys, home, NULL);
  assert_check(before, "login-shell", CUP_VERIFY_FAIL, "a new login shell (bash -l) finds");
  g_assert_nonnull(strstr(check(before, "login-shell")->evidence, want));
  g_autofree char *lib = g_build_filename(root, "lib64", NULL);
  g_assert_nonnull(strstr(check(before, "login-shell")->evidence, lib));
  g_autofree char *fix = g_strdup_printf("cudaup env apply --prefix %s", root);
  g_assert_nonnull(strstr(check(before, "login-shell")->fix, fix));

  const char *apply[] = {"env", "apply", "--prefix", root, "--scope", "user", NULL};
  g_auto(CupTestRun) run = cli(home, FALSE, apply);
  g_assert_cmpint(run.status, ==, 0);
  g_autoptr(CupVerifyResult) after = verify(t, sys, home, NULL);
  g_autofree char *finds =
      g_strdup_printf("finds nvcc at %s and finds %s through LD_LIBRARY_PATH", want, lib);
  assert_check(after, "login-shell", CUP_VERIFY_PASS, finds);

  /* A login shell that is not sh-compatible is not asked, and says why. */
  g_autoptr(CupCatalog) cat = catalog();
  CupVerifyOptions o = {
      .toolkit = t, .system = sys, .catalog = cat, .home = home, .shell = "/usr/bin/fish"};
  g_autoptr(CupVerifyResult) fish = cup_verify_run(&o, NULL);
  assert_check(fish, "login-shell", CUP_VERIFY_SKIP, "/usr/bin/fish is not sh-compatible");
  cup_test_remove_tree(dir);
}

/* ---- the CLI ---- */

static void test_cli_text_and_json(void)
{
  g_autofree char *root = real_toolkit();
  if (root == NULL)
    return;
  g_autofree char *home = cup_test_make_root();
  const char *text[] = {"verify", "--prefix", REAL_LINK, NULL};
  g_auto(CupTestRun) t = cli(home, FALSE, text);
  g_assert_cmpint(t.status, ==, 0);
  g_assert_true(g_str_has_prefix(t.out, "Verified: CUDA 13.0 and cuDNN 9.19 work; no GPU driver"));
  g_assert_nonnull(strstr(t.out, "[skip] The CUDA runtime sees the GPU"));
  g_assert_nonnull(strstr(t.out, "insufficient driver"));
  g_assert_nonnull(strstr(t.out, "[pass] nvcc compiles a kernel"));

  const char *json[] = {"verify", "--prefix", REAL_LINK, "--json", NULL};
  g_auto(CupTestRun) j = cli(home, FALSE, json);
  g_assert_cmpint(j.status, ==, 0);
  json_error_t jerr;
  g_autoptr(json_t) o = json_loads(j.out, 0, &jerr);
  g_assert_nonnull(o);
  g_assert_true(json_is_true(json_object_get(o, "ok")));
  g_assert_true(json_is_null(json_object_get(o, "driver")));
  g_assert_true(json_is_null(json_object_get(o, "gpu")));
  json_t *tk = json_object_get(o, "toolkit");
  g_assert_cmpstr(json_string_value(json_object_get(tk, "root")), ==, root);
  g_assert_cmpstr(json_string_value(json_object_get(tk, "cuda")), ==, "13.0");
  g_assert_cmpstr(json_string_value(json_object_get(tk, "cudnn")), ==, "9.19.0");
  g_assert_cmpint(json_integer_value(json_object_get(json_object_get(o, "counts"), "fail")), ==, 0);
  json_t *checks = json_object_get(o, "checks");
  static const char *const ids[] = {"driver",      "driver-cuda", "cudart", "cuda-devices",
                                    "cudnn",       "cudnn-cuda",  "nvcc",   "nvcc-compile",
                                    "login-shell", "python",      "torch",  "tensorflow"};
  g_assert_cmpuint(json_array_size(checks), ==, G_N_ELEMENTS(ids));
  for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
    json_t *c = json_array_get(checks, i);
    g_assert_cmpstr(json_string_value(json_object_get(c, "id")), ==, ids[i]);
    g_assert_nonnull(json_string_value(json_object_get(c, "title")));
    g_assert_nonnull(json_string_value(json_object_get(c, "evidence")));
  }
  json_t *devices = json_array_get(checks, 3);
  g_assert_cmpstr(json_string_value(json_object_get(devices, "status")), ==, "skip");
  g_assert_nonnull(json_string_value(json_object_get(devices, "fix")));
  cup_test_remove_tree(home);
}

static void test_cli_exit_codes(void)
{
  g_autofree char *root = real_toolkit();
  if (root == NULL)
    return;
  g_autofree char *dir = cup_test_make_root();
  /* A broken tree: detection finds it (version.json), its libcudart leaves it. */
  g_autofree char *tree = g_build_filename(dir, "cuda-13.0", NULL);
  cup_test_write(tree, "version.json",
                 "{\"cuda\": {\"name\": \"CUDA SDK\", \"version\": \"13.0.2\"}}");
  g_autofree char *cudart = g_build_filename(root, "lib64", "libcudart.so.13", NULL);
  cup_test_symlink(tree, "lib64/libcudart.so.13", cudart);
  const char *broken[] = {"verify", "--prefix", tree, NULL};
  g_auto(CupTestRun) b = cli(dir, FALSE, broken);
  g_assert_cmpint(b.status, ==, cup_error_exit_code_for(CUP_ERROR_CHECK));
  g_assert_true(g_str_has_prefix(b.out, "Not verified: "));
  g_assert_nonnull(strstr(b.out, "[FAIL] libcudart loads"));
  g_assert_nonnull(strstr(b.out, "fix: install the CUDA toolkit into"));

  const char *broken_json[] = {"verify", "--prefix", tree, "--json", NULL};
  g_auto(CupTestRun) bj = cli(dir, FALSE, broken_json);
  g_assert_cmpint(bj.status, ==, cup_error_exit_code_for(CUP_ERROR_CHECK));
  g_autoptr(json_t) o = json_loads(bj.out, 0, NULL);
  g_assert_true(json_is_false(json_object_get(o, "ok")));

  g_autofree char *nowhere = g_build_filename(dir, "nowhere", NULL);
  const char *missing[] = {"verify", "--prefix", nowhere, NULL};
  g_auto(CupTestRun) m = cli(dir, FALSE, missing);
  g_assert_cmpint(m.status, ==, cup_error_exit_code_for(CUP_ERROR_NOT_FOUND));
  g_assert_nonnull(strstr(m.err, "no CUDA toolkit at"));

  const char *bad[] = {"verify", "--frobnicate", NULL};
  g_auto(CupTestRun) u = cli(dir, FALSE, bad);
  g_assert_cmpint(u.status, ==, cup_error_exit_code_for(CUP_ERROR_USAGE));
  const char *extra[] = {"verify", "now", NULL};
  g_auto(CupTestRun) x = cli(dir, FALSE, extra);
  g_assert_cmpint(x.status, ==, cup_error_exit_code_for(CUP_ERROR_USAGE));
  cup_test_remove_tree(dir);
}

static void test_cli_korean(void)
{
  g_autofree char *root = real_toolkit();
  if (root == NULL)
    return;
  g_autofree char *home = cup_test_make_root();
  const char *args[] = {"verify", "--prefix", REAL_LINK, NULL};
  g_auto(CupTestRun) k = cli(home, TRUE, args);
  g_assert_cmpint(k.status, ==, 0);
  g_assert_true(g_str_has_prefix(k.out, "검증 완료: CUDA 13.0 및 cuDNN 9.19가 작동합니다"));
  g_assert_nonnull(strstr(k.out, "드라이버 부족")); /* "insufficient driver" */
  g_assert_null(strstr(k.out, "The CUDA runtime sees the GPU"));
  cup_test_remove_tree(home);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/verify/real-tree", test_real_tree);
  g_test_add_func("/verify/gpu-without-driver", test_gpu_without_driver);
  g_test_add_func("/verify/driver-supports-cuda", test_driver_supports_cuda);
  g_test_add_func("/verify/tree-without-cudnn", test_tree_without_cudnn);
  g_test_add_func("/verify/cudart-links-out", test_cudart_links_out);
  g_test_add_func("/verify/cudnn-for-another-cuda", test_cudnn_for_another_cuda);
  g_test_add_func("/verify/login-shell", test_login_shell);
  g_test_add_func("/verify/python-frameworks", test_python_frameworks);
  g_test_add_func("/verify/cli-text-and-json", test_cli_text_and_json);
  g_test_add_func("/verify/cli-exit-codes", test_cli_exit_codes);
  g_test_add_func("/verify/cli-korean", test_cli_korean);
  return g_test_run();
}
