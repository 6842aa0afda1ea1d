/* test_install_real.c - issue 5's acceptance: `cudaup install --silent --cuda 13.0 --cudnn 9.19
 * --prefix T --mirror https://127.0.0.1:PORT/ --cacert CA` from a loopback nginx serving archives
 * packed from this machine's real CUDA 13.0 toolkit and cuDNN 9.19 (tests/support/installmirror)
 * installs them; then, checked here independently of cudaup's own proof: T/bin/nvcc --version
 * says 13.0, that nvcc compiles a .cu file to an object, and T's libcudnn.so.9, loaded by full
 * path, is T's own file and answers cudnnGetVersion() == 91900. The machine's /etc/profile.d
 * puts /usr/local/cuda/bin on PATH: every program here runs with a PATH and library path that
 * do not reach /usr/local/cuda, so nothing can be borrowed from it. */
#define _GNU_SOURCE /* dlinfo */
#include "tests/support/installmirror.h"
#include "tests/support/nginx.h"
#include "tests/support/tlsca.h"
#include "tests/testutil.h"

#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

/* An environment without CUDA: PATH of the system's own directories only. */
static GStrv clean_env(void)
{
  GStrv env = g_get_environ();
  env = g_environ_setenv(env, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", TRUE);
  const char *drop[] = {"LD_LIBRARY_PATH", "CUDA_HOME", "CUDA_PATH", "CUDA_ROOT", NULL};
  for (const char *const *d = drop; *d; d++)
    env = g_environ_unsetenv(env, *d);
  return env;
}

static CupTestRun run(const char *const *argv)
{
  g_auto(GStrv) env = clean_env();
  return cup_test_run(argv, (const char *const *)env);
}

/* The libcudnn.so.9 of @root, loaded by full path, is that very file and reports 91900. */
static void assert_cudnn_version(const char *root)
{
  g_autofree char *lib = g_build_filename(root, "lib64", "libcudnn.so.9", NULL);
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    g_error("dlopen %s: %s", lib, dlerror());
  struct link_map *map = NULL;
  g_assert_cmpint(dlinfo(h, RTLD_DI_LINKMAP, &map), ==, 0);
  g_autofree char *loaded = realpath(map->l_name, NULL);
  g_autofree char *real_root = realpath(root, NULL);
  g_autofree char *prefix = g_strconcat(real_root, "/", NULL);
  g_assert_true(g_str_has_prefix(loaded, prefix));
  size_t (*get_version)(void) = (size_t(*)(void))dlsym(h, "cudnnGetVersion");
  g_assert_nonnull(get_version);
  g_assert_cmpuint(get_version(), ==, 91900);
  dlclose(h);
}

static void assert_nvcc_works(const char *root, const char *dir)
{
  g_autofree char *nvcc = g_build_filename(root, "bin", "nvcc", NULL);
  const char *version[] = {nvcc, "--version", NULL};
  g_auto(CupTestRun) v = run(version);
  g_assert_cmpint(v.status, ==, 0);
  g_assert_nonnull(strstr(v.out, "release 13.0,"));
  g_autofree char *cu = g_build_filename(dir, "k.cu", NULL);
  g_autofree char *obj = g_build_filename(dir, "k.o", NULL);
  g_assert_true(g_file_set_contents(
      cu, "__global__ void scale(float *x, float a) { x[threadIdx.x] *= a; }\n", -1, NULL));
  const char *compile[] = {nvcc, "-c", cu, "-o", obj, NULL};
  g_auto(CupTestRun) c = run(compile);
  if (c.status != 0)
    g_error("nvcc -c failed (%d): %s %s", c.status, c.out, c.err);
  g_autofree char *head = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(obj, &head, &len, NULL));
  g_assert_cmpuint(len, >, 16);
  g_assert_cmpint(memcmp(head, "\177ELF", 4), ==, 0);
}

static void test_acceptance(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  if (!cup_test_nginx_available(&why)) {
    g_test_skip_printf("nginx is not available: %s", why);
    return;
  }
  g_autoptr(CupTestInstallMirror) m = cup_test_install_mirror_get(CUP_TEST_MANIFESTS, &error);
  if (m == NULL) {
    g_test_skip_printf("no real-content mirror: %s", error->message);
    return;
  }
  g_autoptr(CupTestCa) ca = cup_test_ca_new();
  g_autoptr(CupTestNginx) nginx = cup_test_nginx_start(m->root, ca);
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *root = g_build_filename(dir, "T", NULL);
  g_autofree char *cache = g_build_filename(dir, "cache", NULL);
  g_autofree char *url = g_strconcat(cup_test_nginx_url(nginx), "/", NULL);
  const char *install[] = {
      CUP_TEST_CLI, "--catalog", m->catalog, "install", "--silent",    "--cuda", "13.0",
      "--cudnn",    "9.19",      "--prefix", root,      "--mirror",    url,      "--cacert",
      ca->ca_cert,  "--cache",   cache,      "-q",      "--env-scope", "none",   NULL};
  g_auto(CupTestRun) r = run(install);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "Installed cuda-13.0 and cudnn-9.19 into"));
  g_assert_nonnull(strstr(r.out, "nvcc-compile"));
  assert_nvcc_works(root, dir);
  assert_cudnn_version(root);
  /* every libcudnn*.so.9 of the machine arrived, with its symlink chain */
  g_autoptr(GDir) lib = g_dir_open("/usr/local/cuda/lib64", 0, NULL);
  const char *name;
  while (lib && (name = g_dir_read_name(lib)) != NULL) {
    if (!g_str_has_prefix(name, "libcudnn") || !g_str_has_suffix(name, ".so.9"))
      continue;
    g_autofree char *mine = g_build_filename(root, "lib64", name, NULL);
    g_assert_true(g_file_test(mine, G_FILE_TEST_IS_SYMLINK));
    g_autofree char *real = realpath(mine, NULL);
    g_assert_nonnull(real);
    g_assert_true(g_str_has_suffix(real, ".so.9.19.0"));
  }
  cup_test_remove_tree(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/install-real/acceptance", test_acceptance);
  return g_test_run();
}
