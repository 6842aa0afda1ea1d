/* test_check.c - core/check: the post-install proof against the machine's real CUDA 13.0
 * toolkit with cuDNN, and against temporary trees made of parts of it, copies, links that
 * escape, shell-script nvccs and small libraries built here with the host C compiler.
 */
#include "core/check.h"
#include "core/error.h"
#include "core/system.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#define REAL_TOOLKIT "/usr/local/cuda-13.0"
#define SHORT_TIMEOUT_MS 1000

static gboolean need_real_toolkit(void)
{
  static const char *const needed[] = {"bin/nvcc", "lib64/libcudart.so.13", "lib64/libcudnn.so.9",
                                       "include/cudnn_version.h", "include/cuda_runtime_api.h"};
  for (guint i = 0; i < G_N_ELEMENTS(needed); i++) {
    g_autofree char *path = g_build_filename(REAL_TOOLKIT, needed[i], NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
      g_autofree char *why = g_strdup_printf("no %s: the real CUDA 13.0 toolkit with cuDNN 9 "
                                             "is not installed on this machine",
                                             path);
      g_test_skip(why);
      return FALSE;
    }
  }
  return TRUE;
}

/* The value of "#define NAME N" in the real toolkit's @header. */
static guint header_define(const char *header, const char *name)
{
  g_autofree char *path = g_build_filename(REAL_TOOLKIT, "include", header, NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_autofree char *pattern = g_strdup_printf("#define\\s+%s\\s+([0-9]+)\\b", name);
  g_autoptr(GRegex) re = g_regex_new(pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  g_assert_true(g_regex_match(re, text, 0, &m));
  g_autofree char *digits = g_match_info_fetch(m, 1);
  return (guint)g_ascii_strtoull(digits, NULL, 10);
}

static const CupCheckItem *item_named(const CupCheckResult *r, const char *name)
{
  for (guint i = 0; i < r->items->len; i++) {
    const CupCheckItem *it = g_ptr_array_index(r->items, i);
    if (g_str_equal(it->name, name))
      return it;
  }
  g_assert_not_reached();
}

static CupCheckResult *check_ok(const CupCheckOptions *o)
{
  g_autoptr(GError) error = NULL;
  CupCheckResult *r = cup_check_toolkit(o, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  return r;
}

/* The one item of @r (a check that asked for one proof) failed, saying @needle. */
static void assert_failed(const CupCheckResult *r, const char *name, const char *needle)
{
  const CupCheckItem *it = item_named(r, name);
  g_test_message("%s: %s", it->name, it->detail);
  g_assert_false(it->ok);
  g_assert_false(r->ok);
  g_assert_nonnull(strstr(it->detail, needle));
  g_autofree char *summary = cup_check_summary(r);
  g_assert_true(g_str_has_prefix(summary, name));
  g_assert_nonnull(strstr(summary, needle));
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

static void put_script(const char *root, const char *relative, const char *body)
{
  g_autofree char *script = g_strdup_printf("#!/bin/sh\n%s", body);
  cup_test_write(root, relative, script);
  g_autofree char *path = g_build_filename(root, relative, NULL);
  g_assert_cmpint(g_chmod(path, 0755), ==, 0);
}

/* ---- the real tree ---- */

static void test_real_tree(void)
{
  if (!need_real_toolkit())
    return;
  CupCheckOptions o = {.root = REAL_TOOLKIT,
                       .cudart = TRUE,
                       .cudnn = TRUE,
                       .nvcc = TRUE,
                       .compile = TRUE,
                       .expect_cuda = "13.0",
                       .expect_cudnn = "9.19"};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  for (guint i = 0; i < r->items->len; i++) {
    const CupCheckItem *it = g_ptr_array_index(r->items, i);
    g_test_message("%s: %s (%" G_GINT64_FORMAT " ms)", it->name, it->detail, it->ms);
    g_assert_true(it->ok);
    g_assert_cmpint(it->ms, >=, 0);
  }
  g_assert_true(r->ok);
  g_assert_cmpuint(r->items->len, ==, 4);

  guint cudart = header_define("cuda_runtime_api.h", "CUDART_VERSION");
  g_autofree char *cuda = g_strdup_printf("%u.%u", cudart / 1000, cudart % 1000 / 10);
  g_autofree char *cudnn =
      g_strdup_printf("%u.%u.%u", header_define("cudnn_version.h", "CUDNN_MAJOR"),
                      header_define("cudnn_version.h", "CUDNN_MINOR"),
                      header_define("cudnn_version.h", "CUDNN_PATCHLEVEL"));
  g_assert_cmpstr(cuda, ==, "13.0");
  g_assert_cmpstr(cudnn, ==, "9.19.0");
  g_assert_cmpstr(item_named(r, CUP_CHECK_LIBCUDART)->version, ==, cuda);
  g_assert_cmpstr(item_named(r, CUP_CHECK_LIBCUDNN)->version, ==, cudnn);
  g_assert_cmpstr(item_named(r, CUP_CHECK_LIBCUDNN)->path, ==, REAL_TOOLKIT "/lib64/libcudnn.so.9");
  const char *nvcc = item_named(r, CUP_CHECK_NVCC)->version;
  g_assert_true(g_str_has_prefix(nvcc, "13.0."));
  g_assert_null(item_named(r, CUP_CHECK_NVCC_COMPILE)->version);

  g_autofree char *summary = cup_check_summary(r);
  g_autofree char *want = g_strdup_printf("%s works: libcudart %s, libcudnn %s, nvcc %s, nvcc "
                                          "compiles",
                                          REAL_TOOLKIT, cuda, cudnn, nvcc);
  g_assert_cmpstr(summary, ==, want);

  g_autoptr(json_t) j = cup_check_to_json(r);
  g_assert_true(json_is_true(json_object_get(j, "ok")));
  g_assert_cmpstr(json_string_value(json_object_get(j, "root")), ==, REAL_TOOLKIT);
  json_t *items = json_object_get(j, "items");
  g_assert_cmpuint(json_array_size(items), ==, 4);
  json_t *compile = json_array_get(items, 3);
  g_assert_cmpstr(json_string_value(json_object_get(compile, "name")), ==, "nvcc-compile");
  g_assert_true(json_is_null(json_object_get(compile, "version")));
  g_assert_true(json_is_integer(json_object_get(compile, "ms")));
}

/* Through /usr/local/cuda (a link to the versioned tree) and the targets/ lib directory. */
static void test_real_tree_other_paths(void)
{
  if (!need_real_toolkit())
    return;
  if (!g_file_test("/usr/local/cuda/targets/x86_64-linux/lib", G_FILE_TEST_IS_DIR)) {
    g_test_skip("no /usr/local/cuda/targets/x86_64-linux/lib on this machine");
    return;
  }
  /* "13" is compared on its one part. */
  CupCheckOptions o = {.root = "/usr/local/cuda",
                       .lib_dir = "targets/x86_64-linux/lib",
                       .cudart = TRUE,
                       .expect_cuda = "13"};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_assert_true(r->ok);
  g_assert_cmpstr(r->root, ==, "/usr/local/cuda");
  g_assert_cmpstr(item_named(r, CUP_CHECK_LIBCUDART)->version, ==, "13.0");
  g_assert_cmpstr(item_named(r, CUP_CHECK_LIBCUDART)->path, ==,
                  "/usr/local/cuda/targets/x86_64-linux/lib/libcudart.so.13");
}

static void test_expect_mismatch(void)
{
  if (!need_real_toolkit())
    return;
  CupCheckOptions o = {.root = REAL_TOOLKIT, .cudnn = TRUE, .expect_cudnn = "9.13"};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  assert_failed(r, CUP_CHECK_LIBCUDNN, "reports 9.19.0, expected 9.13; install cuDNN");
  g_assert_cmpstr(item_named(r, CUP_CHECK_LIBCUDNN)->version, ==, "9.19.0");
  g_autofree char *summary = cup_check_summary(r);
  g_assert_true(g_str_has_prefix(summary, "libcudnn at " REAL_TOOLKIT
                                          "/lib64/libcudnn.so.9 reports 9.19.0, expected 9.13"));
  g_assert_nonnull(strstr(summary, "--cudnn 9.13 --prefix " REAL_TOOLKIT));

  CupCheckOptions cuda = {.root = REAL_TOOLKIT, .cudart = TRUE, .expect_cuda = "12.4"};
  g_autoptr(CupCheckResult) r2 = check_ok(&cuda);
  assert_failed(r2, CUP_CHECK_LIBCUDART, "reports 13.0, expected 12.4");
}

/* ---- partial trees ---- */

static void test_missing_cudnn(void)
{
  if (!need_real_toolkit())
    return;
  g_autofree char *t = cup_test_make_root();
  copy_file(REAL_TOOLKIT "/lib64/libcudart.so.13", t, "lib64/libcudart.so.13");
  cup_test_write(t, "lib64/libcudnn.so", "a name without a major version is not looked at");
  CupCheckOptions o = {.root = t, .cudart = TRUE, .cudnn = TRUE, .expect_cudnn = "9.19"};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_assert_true(item_named(r, CUP_CHECK_LIBCUDART)->ok);
  g_assert_cmpstr(item_named(r, CUP_CHECK_LIBCUDART)->version, ==, "13.0");
  g_autofree char *want = g_strdup_printf("no libcudnn.so.N in %s/lib64; install cuDNN into %s "
                                          "again (cudaup install --cudnn 9.19 --prefix %s)",
                                          t, t, t);
  assert_failed(r, CUP_CHECK_LIBCUDNN, want);
  g_assert_null(item_named(r, CUP_CHECK_LIBCUDNN)->path);
  g_autofree char *summary = cup_check_summary(r);
  g_autofree char *line = g_strdup_printf("libcudnn: %s", want);
  g_assert_cmpstr(summary, ==, line);
  cup_test_remove_tree(t);
}

static void test_cudart_posing_as_cudnn(void)
{
  if (!need_real_toolkit())
    return;
  g_autofree char *t = cup_test_make_root();
  copy_file(REAL_TOOLKIT "/lib64/libcudart.so.13", t, "lib64/libcudnn.so.9");
  CupCheckOptions o = {.root = t, .cudnn = TRUE};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  assert_failed(r, CUP_CHECK_LIBCUDNN, "has no cudnnGetVersion()");
  g_autofree char *path = g_build_filename(t, "lib64", "libcudnn.so.9", NULL);
  g_assert_cmpstr(item_named(r, CUP_CHECK_LIBCUDNN)->path, ==, path);
  cup_test_remove_tree(t);
}

static void test_garbage_library(void)
{
  g_autofree char *t = cup_test_make_root();
  cup_test_write(t, "lib64/libcudnn.so.9", "this is not an ELF object\n");
  CupCheckOptions o = {.root = t, .cudnn = TRUE};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  assert_failed(r, CUP_CHECK_LIBCUDNN, "cannot be loaded: ");
  g_assert_null(item_named(r, CUP_CHECK_LIBCUDNN)->version);
  cup_test_remove_tree(t);
}

/* The "fooled" cases: the tree's names lead to /usr/local/cuda's files. */
static void test_links_out_of_the_tree(void)
{
  if (!need_real_toolkit())
    return;
  g_autofree char *t = cup_test_make_root();
  cup_test_symlink(t, "lib64/libcudnn.so.9", REAL_TOOLKIT "/lib64/libcudnn.so.9");
  cup_test_symlink(t, "bin", REAL_TOOLKIT "/bin");
  CupCheckOptions o = {.root = t, .cudnn = TRUE, .nvcc = TRUE, .compile = TRUE};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_autofree char *real_cudnn = realpath(REAL_TOOLKIT "/lib64/libcudnn.so.9", NULL);
  g_autofree char *real_nvcc = realpath(REAL_TOOLKIT "/bin/nvcc", NULL);
  g_autofree char *cudnn = g_strdup_printf("resolves to %s, outside %s", real_cudnn, t);
  g_autofree char *nvcc = g_strdup_printf("resolves to %s, outside %s", real_nvcc, t);
  assert_failed(r, CUP_CHECK_LIBCUDNN, cudnn);
  g_assert_null(item_named(r, CUP_CHECK_LIBCUDNN)->version);
  for (const char *name = CUP_CHECK_NVCC; name != NULL;
       name = g_str_equal(name, CUP_CHECK_NVCC) ? CUP_CHECK_NVCC_COMPILE : NULL) {
    const CupCheckItem *it = item_named(r, name);
    g_assert_false(it->ok);
    g_assert_nonnull(strstr(it->detail, nvcc));
  }

  /* A whole lib directory that is a link out of the tree is no better. */
  g_autofree char *t2 = cup_test_make_root();
  cup_test_symlink(t2, "lib64", REAL_TOOLKIT "/lib64");
  CupCheckOptions o2 = {.root = t2, .cudart = TRUE};
  g_autoptr(CupCheckResult) r2 = check_ok(&o2);
  assert_failed(r2, CUP_CHECK_LIBCUDART, "outside");
  cup_test_remove_tree(t);
  cup_test_remove_tree(t2);
}

/* A root that is itself reached through a link is fine: only escapes from it are not. */
static void test_root_through_a_link(void)
{
  if (!need_real_toolkit())
    return;
  g_autofree char *t = cup_test_make_root();
  copy_file(REAL_TOOLKIT "/lib64/libcudart.so.13", t, "real/lib/libcudart.so.13");
  cup_test_symlink(t, "real/lib64", "lib");
  cup_test_symlink(t, "link", "real");
  g_autofree char *root = g_build_filename(t, "link", NULL);
  CupCheckOptions o = {.root = root, .cudart = TRUE};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_assert_true(r->ok);
  cup_test_remove_tree(t);
}

/* ---- nvcc stand-ins ---- */

static void test_nvcc_wrong_version(void)
{
  g_autofree char *t = cup_test_make_root();
  put_script(t, "bin/nvcc",
             "echo 'nvcc: NVIDIA (R) Cuda compiler driver'\n"
             "echo 'Cuda compilation tools, release 12.4, V12.4.131'\n");
  CupCheckOptions o = {.root = t, .nvcc = TRUE, .expect_cuda = "13.0"};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  assert_failed(r, CUP_CHECK_NVCC, "reports 12.4.131, expected 13.0; install the CUDA toolkit");
  g_assert_cmpstr(item_named(r, CUP_CHECK_NVCC)->version, ==, "12.4.131");

  put_script(t, "bin/nvcc", "echo 'nvcc: something else'\n");
  g_autoptr(CupCheckResult) r2 = check_ok(&o);
  assert_failed(r2, CUP_CHECK_NVCC, "printed no \"release X.Y, VX.Y.Z\" line");

  put_script(t, "bin/nvcc", "echo 'nvcc fatal: broken' >&2\nexit 3\n");
  g_autoptr(CupCheckResult) r3 = check_ok(&o);
  assert_failed(r3, CUP_CHECK_NVCC, "exited with status 3: nvcc fatal: broken");
  cup_test_remove_tree(t);
}

/* The script does not exec its sleep: the timeout must kill the grandchild too, or its open
 * output pipe would keep the proof waiting for the whole 30 s. */
static void test_nvcc_hangs(void)
{
  g_autofree char *t = cup_test_make_root();
  put_script(t, "bin/nvcc", "sleep 30\necho 'Cuda compilation tools, release 13.0, V13.0.88'\n");
  CupCheckOptions o = {.root = t, .nvcc = TRUE, .timeout_ms = SHORT_TIMEOUT_MS};
  gint64 start = g_get_monotonic_time();
  g_autoptr(CupCheckResult) r = check_ok(&o);
  gint64 took_ms = (g_get_monotonic_time() - start) / 1000;
  assert_failed(r, CUP_CHECK_NVCC, "did not finish within 1000 ms and was killed");
  g_assert_cmpint(took_ms, >=, SHORT_TIMEOUT_MS);
  g_assert_cmpint(took_ms, <, 10000);
  cup_test_remove_tree(t);
}

/* nvcc sees no trace of another toolkit in its environment. */
static void test_nvcc_environment(void)
{
  g_autofree char *t = cup_test_make_root();
  g_autofree char *env_file = g_build_filename(t, "env.txt", NULL);
  g_autofree char *body = g_strdup_printf(
      "env > '%s'\necho 'Cuda compilation tools, release 13.0, V13.0.88'\n", env_file);
  put_script(t, "bin/nvcc", body);
  /* Another "toolkit" on PATH, and variables pointing at it. */
  g_autofree char *other = cup_test_make_root();
  put_script(other, "bin/nvcc", "echo 'Cuda compilation tools, release 11.8, V11.8.89'\n");
  g_autofree char *other_bin = g_build_filename(other, "bin", NULL);
  g_autofree char *old_path = g_strdup(g_getenv("PATH"));
  /* A system bin directory with both another nvcc and the host compiler (Debian's
   * nvidia-cuda-toolkit in /usr/bin) stays: nvcc needs its g++, and ROOT/bin comes first. */
  g_autofree char *system = cup_test_make_root();
  put_script(system, "bin/nvcc", "exit 1\n");
  put_script(system, "bin/g++", "exit 1\n");
  g_autofree char *system_bin = g_build_filename(system, "bin", NULL);
  g_autofree char *path =
      g_strdup_printf("%s:%s:%s", other_bin, system_bin, old_path ? old_path : "/usr/bin");
  g_setenv("PATH", path, TRUE);
  g_setenv("CUDA_PATH", other, TRUE);
  g_setenv("NVCC_APPEND_FLAGS", "-DBROKEN", TRUE);
  CupCheckOptions o = {.root = t, .nvcc = TRUE, .expect_cuda = "13.0"};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_setenv("PATH", old_path, TRUE);
  g_unsetenv("CUDA_PATH");
  g_unsetenv("NVCC_APPEND_FLAGS");
  g_assert_true(r->ok);
  g_autofree char *env = NULL;
  g_assert_true(g_file_get_contents(env_file, &env, NULL, NULL));
  g_test_message("nvcc's environment:\n%s", env);
  g_autofree char *first = g_strdup_printf("\nPATH=%s/bin:%s:", t, system_bin);
  g_autofree char *lines = g_strconcat("\n", env, NULL);
  g_assert_nonnull(strstr(lines, first));
  g_assert_null(strstr(env, other_bin));
  g_assert_null(strstr(env, "CUDA_PATH"));
  g_assert_null(strstr(env, "NVCC_APPEND_FLAGS"));
  g_assert_null(strstr(env, "LD_LIBRARY_PATH"));
  g_assert_null(strstr(env, "/usr/local/cuda/bin"));
  g_assert_nonnull(strstr(env, "LC_ALL=C"));
  cup_test_remove_tree(t);
  cup_test_remove_tree(other);
  cup_test_remove_tree(system);
}

static void test_compile_failures(void)
{
  g_autofree char *t = cup_test_make_root();
  put_script(t, "bin/nvcc", "echo 'k.cu(1): error: identifier \"x\" is undefined'\nexit 1\n");
  CupCheckOptions o = {.root = t, .compile = TRUE};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  assert_failed(r, CUP_CHECK_NVCC_COMPILE,
                "exited with status 1: k.cu(1): error: identifier \"x\" is undefined; nvcc "
                "needs a supported host compiler");

  /* "nvcc -c SRC -o OBJ" that writes something that is not an object. */
  put_script(t, "bin/nvcc", "echo 'not an object' > \"$4\"\n");
  g_autoptr(CupCheckResult) r2 = check_ok(&o);
  assert_failed(r2, CUP_CHECK_NVCC_COMPILE, "wrote k.o (14 bytes), which is not an object file");

  put_script(t, "bin/nvcc", "exit 0\n");
  g_autoptr(CupCheckResult) r3 = check_ok(&o);
  assert_failed(r3, CUP_CHECK_NVCC_COMPILE, "wrote no k.o");

  g_autofree char *t2 = cup_test_make_root();
  CupCheckOptions o2 = {.root = t2, .nvcc = TRUE, .compile = TRUE};
  g_autoptr(CupCheckResult) r4 = check_ok(&o2);
  g_autofree char *missing = g_strdup_printf("no nvcc in %s/bin; install the CUDA toolkit", t2);
  assert_failed(r4, CUP_CHECK_NVCC, missing);
  g_assert_nonnull(strstr(item_named(r4, CUP_CHECK_NVCC_COMPILE)->detail, missing));
  cup_test_remove_tree(t);
  cup_test_remove_tree(t2);
}

/* ---- libraries built here ---- */

/* Build @source into @root/@relative as a shared library (extra @flags); FALSE with a skip
 * when the machine has no C compiler. */
static gboolean build_library(const char *root, const char *relative, const char *source,
                              const char *flags)
{
  g_autofree char *cc = g_find_program_in_path("cc");
  if (cc == NULL) {
    g_test_skip("no C compiler (cc) on PATH to build the test libraries with");
    return FALSE;
  }
  g_autofree char *src = g_build_filename(root, "src.c", NULL);
  g_autofree char *out = g_build_filename(root, relative, NULL);
  g_autofree char *dir = g_path_get_dirname(out);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_assert_true(g_file_set_contents(src, source, -1, NULL));
  g_autofree char *cmd =
      g_strdup_printf("%s -shared -fPIC -o '%s' '%s' %s", cc, out, src, flags ? flags : "");
  g_autofree char *err = NULL;
  int status = 0;
  g_assert_true(g_spawn_command_line_sync(cmd, NULL, &err, &status, NULL));
  if (status != 0)
    g_error("%s failed: %s", cmd, err);
  g_remove(src);
  return TRUE;
}

static void test_cudnn8_and_major_choice(void)
{
  g_autofree char *t = cup_test_make_root();
  if (!build_library(t, "lib64/libcudnn.so.8",
                     "#include <stddef.h>\nsize_t cudnnGetVersion(void) { return 8907; }\n",
                     NULL) ||
      !build_library(t, "lib64/libcudart.so.12",
                     "int cudaRuntimeGetVersion(int *v) { *v = 12040; return 0; }\n", NULL) ||
      !build_library(t, "lib64/libcudart.so.13",
                     "int cudaRuntimeGetVersion(int *v) { *v = 13000; return 0; }\n", NULL)) {
    cup_test_remove_tree(t);
    return;
  }
  CupCheckOptions o = {.root = t, .cudart = TRUE, .cudnn = TRUE, .expect_cudnn = "8.9"};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_assert_true(r->ok);
  g_assert_cmpstr(item_named(r, CUP_CHECK_LIBCUDNN)->version, ==, "8.9.7");
  /* No expectation: the highest major; an expectation: its major. */
  g_assert_cmpstr(item_named(r, CUP_CHECK_LIBCUDART)->version, ==, "13.0");
  CupCheckOptions o12 = {.root = t, .cudart = TRUE, .expect_cuda = "12.4"};
  g_autoptr(CupCheckResult) r12 = check_ok(&o12);
  g_assert_true(r12->ok);
  g_assert_true(g_str_has_suffix(item_named(r12, CUP_CHECK_LIBCUDART)->path, "libcudart.so.12"));

  build_library(t, "lib64/libcudart.so.13",
                "int cudaRuntimeGetVersion(int *v) { *v = 0; return 35; }\n", NULL);
  CupCheckOptions o13 = {.root = t, .cudart = TRUE};
  g_autoptr(CupCheckResult) r13 = check_ok(&o13);
  assert_failed(r13, CUP_CHECK_LIBCUDART, "cudaRuntimeGetVersion() failed with error 35");
  cup_test_remove_tree(t);
}

/* A library whose constructor hangs or crashes costs one failed proof, not the process. */
static void test_library_hangs_or_crashes(void)
{
  g_autofree char *t = cup_test_make_root();
  if (!build_library(t, "lib64/libcudnn.so.9",
                     "#include <unistd.h>\n"
                     "__attribute__((constructor)) static void stuck(void) { sleep(30); }\n"
                     "unsigned long cudnnGetVersion(void) { return 91900; }\n",
                     NULL)) {
    cup_test_remove_tree(t);
    return;
  }
  CupCheckOptions o = {.root = t, .cudnn = TRUE, .timeout_ms = SHORT_TIMEOUT_MS};
  gint64 start = g_get_monotonic_time();
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_USEC_PER_SEC);
  assert_failed(r, CUP_CHECK_LIBCUDNN, "did not load within 1000 ms and was killed");

  build_library(t, "lib64/libcudnn.so.9",
                "#include <stdlib.h>\n"
                "__attribute__((constructor)) static void boom(void) { abort(); }\n"
                "unsigned long cudnnGetVersion(void) { return 91900; }\n",
                NULL);
  g_autoptr(CupCheckResult) r2 = check_ok(&o);
  /* abort(), not a SIGSEGV, which ASan's handler would turn into an exit status. */
  assert_failed(r2, CUP_CHECK_LIBCUDNN, "crashed while loading (signal 6, ");

  build_library(t, "lib64/libcudnn.so.9",
                "#include <unistd.h>\n"
                "__attribute__((constructor)) static void bye(void) { _exit(7); }\n"
                "unsigned long cudnnGetVersion(void) { return 91900; }\n",
                NULL);
  g_autoptr(CupCheckResult) r3 = check_ok(&o);
  assert_failed(r3, CUP_CHECK_LIBCUDNN,
                "ended the loading process (exit status 7) before cudnnGetVersion() answered");
  cup_test_remove_tree(t);
}

/* The tree's libcudnn.so.9 is a real library, but the cudnnGetVersion that answers comes from
 * a dependency outside the tree: the proof names both. */
static void test_answered_by_another_copy(void)
{
  g_autofree char *outside = cup_test_make_root();
  g_autofree char *t = cup_test_make_root();
  g_autofree char *flags =
      g_strdup_printf("-L'%s' -Wl,--no-as-needed -lother -Wl,-rpath,'%s'", outside, outside);
  if (!build_library(outside, "libother.so",
                     "unsigned long cudnnGetVersion(void) { return 91900; }\n", NULL) ||
      !build_library(t, "lib64/libcudnn.so.9", "int cudaup_test_shim;\n", flags)) {
    cup_test_remove_tree(t);
    cup_test_remove_tree(outside);
    return;
  }
  CupCheckOptions o = {.root = t, .cudnn = TRUE};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_autofree char *real_outside = realpath(outside, NULL);
  g_autofree char *want =
      g_strdup_printf("was answered by %s/libother.so, another copy outside %s, not by %s/lib64/"
                      "libcudnn.so.9",
                      real_outside, t, t);
  assert_failed(r, CUP_CHECK_LIBCUDNN, want);
  cup_test_remove_tree(t);
  cup_test_remove_tree(outside);
}

static void test_default_lib_dir_fallback(void)
{
  g_autofree char *t = cup_test_make_root();
  if (!build_library(t, "targets/x86_64-linux/lib/libcudart.so.13",
                     "int cudaRuntimeGetVersion(int *v) { *v = 13000; return 0; }\n", NULL)) {
    cup_test_remove_tree(t);
    return;
  }
  CupCheckOptions o = {.root = t, .cudart = TRUE, .expect_cuda = "13.0"};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_assert_true(r->ok);
  g_assert_nonnull(strstr(item_named(r, CUP_CHECK_LIBCUDART)->path, "targets/x86_64-linux/lib"));
  cup_test_remove_tree(t);
}

/* ---- options ---- */

static void expect_error(const CupCheckOptions *o, CupErrorCode code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CupCheckResult) r = cup_check_toolkit(o, &error);
  g_assert_null(r);
  g_assert_error(error, CUP_ERROR, (gint)code);
  g_test_message("%s", error->message);
  g_assert_nonnull(strstr(error->message, needle));
}

/* ---- the device, cuDNN's CUDA and the architecture proofs ---- */

/* No driver here: cudaGetDeviceCount() answers cudaErrorInsufficientDriver, reported by name
 * and as "insufficient driver", while libcudart itself is proven. */
static void test_devices_without_driver(void)
{
  if (!need_real_toolkit())
    return;
  CupCheckOptions o = {.root = REAL_TOOLKIT,
                       .cudart = TRUE,
                       .devices = TRUE,
                       .cudnn = TRUE,
                       .cudnn_cuda = TRUE,
                       .expect_cuda = "13.0"};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_assert_cmpuint(r->items->len, ==, 4);
  g_assert_true(item_named(r, CUP_CHECK_LIBCUDART)->ok);
  const CupCheckItem *d = item_named(r, CUP_CHECK_DEVICES);
  g_test_message("%s", d->detail);
  g_assert_false(d->ok);
  g_assert_cmpint(d->cuda_error, ==, 35);
  g_assert_cmpstr(d->cuda_error_name, ==, "cudaErrorInsufficientDriver");
  g_assert_cmpint(d->device_count, ==, -1);
  g_assert_true(g_str_has_prefix(d->detail, "cudaGetDeviceCount() returned "
                                            "cudaErrorInsufficientDriver (35): insufficient "
                                            "driver; "));
  /* cuDNN 9.19 of this tree was built for a CUDA 13. */
  const CupCheckItem *cc = item_named(r, CUP_CHECK_CUDNN_CUDA);
  g_assert_true(cc->ok);
  g_assert_true(g_str_has_prefix(cc->version, "13."));
  g_autoptr(json_t) j = cup_check_to_json(r);
  json_t *dj = json_array_get(json_object_get(j, "items"), 1);
  g_assert_cmpstr(json_string_value(json_object_get(dj, "name")), ==, "cuda-devices");
  g_assert_cmpint(json_integer_value(json_object_get(dj, "cuda_error")), ==, 35);
  g_assert_true(json_is_null(json_object_get(dj, "device_count")));
}

/* A runtime that sees GPUs, or says there are none: what only a GPU machine shows. */
static void test_devices_answers(void)
{
  g_autofree char *t = cup_test_make_root();
  static const char body[] =
      "int cudaRuntimeGetVersion(int *v) { *v = 13000; return 0; }\n"
      "int cudaGetDeviceCount(int *n) { *n = COUNT; return RC; }\n"
      "const char *cudaGetErrorName(int rc) { return rc ? \"cudaErrorNoDevice\" : "
      "\"cudaSuccess\"; }\n";
  if (!build_library(t, "lib64/libcudart.so.13", body, "-DCOUNT=2 -DRC=0")) {
    cup_test_remove_tree(t);
    return;
  }
  CupCheckOptions o = {.root = t, .cudart = TRUE, .devices = TRUE};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_assert_true(r->ok);
  g_assert_cmpint(item_named(r, CUP_CHECK_DEVICES)->device_count, ==, 2);
  g_assert_cmpstr(item_named(r, CUP_CHECK_DEVICES)->detail, ==,
                  "cudaGetDeviceCount() = cudaSuccess: 2 GPUs");
  g_autofree char *summary = cup_check_summary(r);
  g_assert_nonnull(strstr(summary, "libcudart 13.0, 2 GPUs"));

  build_library(t, "lib64/libcudart.so.13", body, "-DCOUNT=0 -DRC=100");
  g_autoptr(CupCheckResult) r2 = check_ok(&o);
  assert_failed(r2, CUP_CHECK_DEVICES,
                "returned cudaErrorNoDevice (100): no CUDA-capable device; the driver sees no");
  cup_test_remove_tree(t);
}

/* A cuDNN for CUDA 12 in a CUDA 13 tree; and one without cudnnGetCudartVersion. */
static void test_cudnn_cuda_major(void)
{
  g_autofree char *t = cup_test_make_root();
  if (!build_library(t, "lib64/libcudnn.so.9",
                     "#include <stddef.h>\nsize_t cudnnGetVersion(void) { return 91900; }\n"
                     "size_t cudnnGetCudartVersion(void) { return 12080; }\n",
                     NULL)) {
    cup_test_remove_tree(t);
    return;
  }
  CupCheckOptions o = {
      .root = t, .cudnn = TRUE, .cudnn_cuda = TRUE, .expect_cuda = "13.0", .expect_cudnn = "9.19"};
  g_autoptr(CupCheckResult) r = check_ok(&o);
  g_assert_true(item_named(r, CUP_CHECK_LIBCUDNN)->ok);
  assert_failed(r, CUP_CHECK_CUDNN_CUDA,
                "cuDNN was built for CUDA 12.8 (cudnnGetCudartVersion() = 12080), but the toolkit "
                "is CUDA 13.0; install the cuDNN build for CUDA 13");
  g_assert_cmpstr(item_named(r, CUP_CHECK_CUDNN_CUDA)->version, ==, "12.8");

  build_library(t, "lib64/libcudnn.so.9",
                "#include <stddef.h>\nsize_t cudnnGetVersion(void) { return 91900; }\n", NULL);
  g_autoptr(CupCheckResult) r2 = check_ok(&o);
  assert_failed(r2, CUP_CHECK_CUDNN_CUDA, "has no cudnnGetCudartVersion()");
  cup_test_remove_tree(t);
}

/* -arch: the lowest nvcc --list-gpu-arch names, or the one asked for. */
static void test_compile_for_arch(void)
{
  if (!need_real_toolkit())
    return;
  CupCheckOptions lowest = {
      .root = REAL_TOOLKIT, .compile = TRUE, .compile_cc = CUP_CHECK_CC_LOWEST};
  g_autoptr(CupCheckResult) r = check_ok(&lowest);
  g_assert_true(r->ok);
  const CupCheckItem *it = item_named(r, CUP_CHECK_NVCC_COMPILE);
  g_assert_cmpstr(it->arch, ==, "sm_75"); /* CUDA 13.0 dropped everything below Turing */
  g_assert_nonnull(strstr(it->detail, "the lowest architecture this toolkit supports"));
  CupCheckOptions given = {.root = REAL_TOOLKIT, .compile = TRUE, .compile_cc = "8.6"};
  g_autoptr(CupCheckResult) r86 = check_ok(&given);
  g_assert_true(r86->ok);
  g_assert_cmpstr(item_named(r86, CUP_CHECK_NVCC_COMPILE)->arch, ==, "sm_86");
  /* One the toolkit no longer compiles for fails, with nvcc's words. */
  CupCheckOptions old = {.root = REAL_TOOLKIT, .compile = TRUE, .compile_cc = "5.0"};
  g_autoptr(CupCheckResult) r50 = check_ok(&old);
  assert_failed(r50, CUP_CHECK_NVCC_COMPILE, "exited with status");
}

static void test_bad_options(void)
{
  g_autofree char *t = cup_test_make_root();
  expect_error(&(CupCheckOptions){.cudart = TRUE}, CUP_ERROR_USAGE, "give a toolkit root");
  expect_error(&(CupCheckOptions){.root = t}, CUP_ERROR_USAGE, "at least one proof");
  expect_error(&(CupCheckOptions){.root = t, .cudart = TRUE, .lib_dir = "../lib64"},
               CUP_ERROR_USAGE, "\"../lib64\" must be a path inside the toolkit root");
  expect_error(&(CupCheckOptions){.root = t, .cudart = TRUE, .lib_dir = "/usr/lib"},
               CUP_ERROR_USAGE, "must be a path inside");
  expect_error(&(CupCheckOptions){.root = t, .cudart = TRUE, .expect_cuda = "13.x"},
               CUP_ERROR_USAGE, "\"13.x\" is not a version");
  expect_error(&(CupCheckOptions){.root = t, .cudnn = TRUE, .expect_cudnn = ""}, CUP_ERROR_USAGE,
               "cuDNN version");
  expect_error(&(CupCheckOptions){.root = t, .compile = TRUE, .compile_cc = "86"}, CUP_ERROR_USAGE,
               "compute capability \"86\" is not X.Y");
  expect_error(&(CupCheckOptions){.root = t, .cudnn = TRUE, .cudnn_cuda = TRUE}, CUP_ERROR_USAGE,
               "needs the toolkit's CUDA version");
  g_autofree char *missing = g_build_filename(t, "nope", NULL);
  expect_error(&(CupCheckOptions){.root = missing, .nvcc = TRUE}, CUP_ERROR_NOT_FOUND,
               "is not a directory");
  cup_test_remove_tree(t);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  /* First: it changes the environment, which is only safe before GLib starts threads. */
  g_test_add_func("/check/nvcc-environment", test_nvcc_environment);
  g_test_add_func("/check/real-tree", test_real_tree);
  g_test_add_func("/check/real-tree-other-paths", test_real_tree_other_paths);
  g_test_add_func("/check/expect-mismatch", test_expect_mismatch);
  g_test_add_func("/check/missing-cudnn", test_missing_cudnn);
  g_test_add_func("/check/cudart-posing-as-cudnn", test_cudart_posing_as_cudnn);
  g_test_add_func("/check/garbage-library", test_garbage_library);
  g_test_add_func("/check/links-out-of-the-tree", test_links_out_of_the_tree);
  g_test_add_func("/check/root-through-a-link", test_root_through_a_link);
  g_test_add_func("/check/nvcc-wrong-version", test_nvcc_wrong_version);
  g_test_add_func("/check/nvcc-hangs", test_nvcc_hangs);
  g_test_add_func("/check/compile-failures", test_compile_failures);
  g_test_add_func("/check/cudnn8-and-major-choice", test_cudnn8_and_major_choice);
  g_test_add_func("/check/library-hangs-or-crashes", test_library_hangs_or_crashes);
  g_test_add_func("/check/answered-by-another-copy", test_answered_by_another_copy);
  g_test_add_func("/check/default-lib-dir-fallback", test_default_lib_dir_fallback);
  g_test_add_func("/check/devices-without-driver", test_devices_without_driver);
  g_test_add_func("/check/devices-answers", test_devices_answers);
  g_test_add_func("/check/cudnn-cuda-major", test_cudnn_cuda_major);
  g_test_add_func("/check/compile-for-arch", test_compile_for_arch);
  g_test_add_func("/check/bad-options", test_bad_options);
  return g_test_run();
}
