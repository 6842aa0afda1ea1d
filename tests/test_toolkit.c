/* test_toolkit.c - core/toolkit against the real toolkit of the machine and fixture roots. */
#include "core/toolkit.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

#define REAL_TOOLKIT "/usr/local/cuda-13.0"

static void put_fixture(const char *root, const char *relative, const char *fixture)
{
  g_autofree char *name = g_build_filename("toolkits", fixture, NULL);
  g_autofree char *text = cup_test_read_fixture(name, NULL);
  cup_test_write(root, relative, text);
}

/* A fake nvcc: a shell script that prints a recorded `nvcc --version` and leaves a marker
 * file next to itself, so tests can tell whether it was run. */
static void put_nvcc(const char *root, const char *relative, const char *fixture)
{
  g_autofree char *name = g_build_filename("toolkits", fixture, NULL);
  g_autofree char *text = cup_test_read_fixture(name, NULL);
  g_autofree char *script =
      g_strdup_printf("#!/bin/sh\ntouch \"$0.ran\"\ncat <<'EOF'\n%sEOF\n", text);
  cup_test_write(root, relative, script);
  g_autofree char *path = g_build_filename(root, relative, NULL);
  g_assert_cmpint(g_chmod(path, 0755), ==, 0);
}

static gboolean nvcc_ran(const char *root, const char *relative)
{
  g_autofree char *marker = g_strdup_printf("%s/%s.ran", root, relative);
  return g_file_test(marker, G_FILE_TEST_EXISTS);
}

static CupToolkit *find_toolkit(GPtrArray *toolkits, const char *tk_root)
{
  for (guint i = 0; i < toolkits->len; i++) {
    CupToolkit *tk = g_ptr_array_index(toolkits, i);
    if (g_strcmp0(tk->root, tk_root) == 0)
      return tk;
  }
  return NULL;
}

static gboolean found_via(const CupToolkit *tk, const char *via)
{
  return g_ptr_array_find_with_equal_func(tk->found_via, via, g_str_equal, NULL);
}

static gpointer copy_string(gconstpointer str, gpointer data)
{
  (void)data;
  return g_strdup(str);
}

static char *joined_via(const CupToolkit *tk)
{
  g_autoptr(GPtrArray) copy = g_ptr_array_copy(tk->found_via, copy_string, NULL);
  g_ptr_array_add(copy, NULL);
  return g_strjoinv(",", (char **)copy->pdata);
}

static gboolean warned(GPtrArray *warnings, const char *needle)
{
  for (guint i = 0; i < warnings->len; i++) {
    if (strstr(g_ptr_array_index(warnings, i), needle) != NULL)
      return TRUE;
  }
  return FALSE;
}

static GPtrArray *new_warnings(void)
{
  return g_ptr_array_new_with_free_func(g_free);
}

static void print_warnings(GPtrArray *warnings)
{
  for (guint i = 0; i < warnings->len; i++)
    g_test_message("warning: %s", (char *)g_ptr_array_index(warnings, i));
}

/* (a) The real CUDA 13.0 + cuDNN 9.19 tree of the build machine, when it is there. */
static void test_real_tree(void)
{
  if (!g_file_test(REAL_TOOLKIT "/bin/nvcc", G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip("no CUDA 13.0 toolkit at " REAL_TOOLKIT);
    return;
  }
  const char *envp[] = {"PATH=/usr/local/cuda/bin:/usr/bin:/bin", NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect("/", envp, warnings);
  print_warnings(warnings);
  CupToolkit *tk = find_toolkit(toolkits, REAL_TOOLKIT);
  g_assert_nonnull(tk);
  g_assert_null(find_toolkit(toolkits, "/usr/local/cuda")); /* one tree, one entry */
  g_assert_cmpstr(tk->version, ==, "13.0");
  if (!g_file_test(REAL_TOOLKIT "/version.json", G_FILE_TEST_EXISTS)) {
    g_assert_cmpstr(tk->version_source, ==, "nvcc");
    g_assert_cmpstr(tk->nvcc_version, ==, "13.0.88");
  }
  g_assert_true(found_via(tk, "default"));
  g_assert_true(found_via(tk, "PATH"));
  g_assert_nonnull(tk->cudnn);
  g_assert_cmpstr(tk->cudnn->version, ==, "9.19.0");
  g_assert_cmpstr(tk->cudnn->source, ==, "cudnn_version.h");
  g_assert_cmpstr(tk->cudnn->path, ==, REAL_TOOLKIT "/include/cudnn_version.h");

  const char *empty[] = {NULL};
  g_autoptr(GPtrArray) again = cup_toolkits_detect(NULL, empty, NULL);
  tk = find_toolkit(again, REAL_TOOLKIT);
  g_assert_nonnull(tk);
  g_assert_cmpstr(tk->version, ==, "13.0");
  g_autofree char *via = joined_via(tk);
  g_assert_cmpstr(via, ==, "default");
}

/* (b) Two default trees, newest first; the cuda symlink adds no third entry. */
static void test_two_trees_newest_first(void)
{
  g_autofree char *root = cup_test_make_root();
  put_fixture(root, "usr/local/cuda-12.4/version.json", "version-12.4.1.json");
  put_fixture(root, "usr/local/cuda-12.4/include/cudnn_version.h", "cudnn_version-8.9.7.h");
  put_nvcc(root, "usr/local/cuda-12.4/bin/nvcc", "nvcc-13.0.txt"); /* must not run */
  cup_test_symlink(root, "usr/local/cuda", "/usr/local/cuda-12.4");
  put_fixture(root, "usr/local/cuda-10.2/version.txt", "version-10.2.txt");
  put_fixture(root, "usr/local/cuda-10.2/include/cudnn.h", "cudnn-7.6.5.h");

  const char *envp[] = {NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, warnings);
  print_warnings(warnings);
  g_assert_cmpuint(warnings->len, ==, 0);
  g_assert_cmpuint(toolkits->len, ==, 2);

  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/usr/local/cuda-12.4");
  g_assert_cmpstr(tk->version, ==, "12.4.1");
  g_assert_cmpstr(tk->version_source, ==, "version.json");
  g_assert_cmpstr(tk->nvcc_version, ==, "12.4.131"); /* from version.json's cuda_nvcc */
  g_autofree char *via = joined_via(tk);
  g_assert_cmpstr(via, ==, "default");
  g_assert_false(nvcc_ran(root, "usr/local/cuda-12.4/bin/nvcc"));
  g_assert_nonnull(tk->cudnn);
  g_assert_cmpstr(tk->cudnn->version, ==, "8.9.7");
  g_assert_cmpstr(tk->cudnn->path, ==, "/usr/local/cuda-12.4/include/cudnn_version.h");
  g_assert_cmpstr(tk->cudnn->source, ==, "cudnn_version.h");

  tk = g_ptr_array_index(toolkits, 1);
  g_assert_cmpstr(tk->root, ==, "/usr/local/cuda-10.2");
  g_assert_cmpstr(tk->version, ==, "10.2.89");
  g_assert_cmpstr(tk->version_source, ==, "version.txt");
  g_assert_null(tk->nvcc_version);
  g_assert_nonnull(tk->cudnn);
  g_assert_cmpstr(tk->cudnn->version, ==, "7.6.5");
  g_assert_cmpstr(tk->cudnn->path, ==, "/usr/local/cuda-10.2/include/cudnn.h");
  cup_test_remove_tree(root);
}

/* One tree reached five ways is one toolkit listing every way, in order. */
static void test_one_tree_many_ways(void)
{
  g_autofree char *root = cup_test_make_root();
  put_fixture(root, "usr/local/cuda-12.4/version.json", "version-12.4.1.json");
  put_nvcc(root, "usr/local/cuda-12.4/bin/nvcc", "nvcc-13.0.txt");
  cup_test_write(root, "usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12.4.127", "");
  cup_test_symlink(root, "usr/local/cuda-12.4/lib64", "targets/x86_64-linux/lib");
  cup_test_symlink(root, "usr/local/cuda", "cuda-12.4");
  const char *envp[] = {"CUDA_HOME=/usr/local/cuda", "PATH=/usr/bin:/usr/local/cuda/bin",
                        "LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/lib/x86_64-linux-gnu", NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, warnings);
  print_warnings(warnings);
  g_assert_cmpuint(warnings->len, ==, 0);
  g_assert_cmpuint(toolkits->len, ==, 1);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/usr/local/cuda-12.4");
  g_autofree char *via = joined_via(tk);
  g_assert_cmpstr(via, ==, "default,CUDA_HOME,PATH,LD_LIBRARY_PATH");
  g_assert_false(nvcc_ran(root, "usr/local/cuda-12.4/bin/nvcc"));
  cup_test_remove_tree(root);
}

static void test_found_via_cuda_home_only(void)
{
  g_autofree char *root = cup_test_make_root();
  put_fixture(root, "opt/mycuda/version.json", "version-12.4.1.json");
  const char *envp[] = {"CUDA_HOME=/opt/mycuda", "CUDA_PATH=/opt/gone", "CUDA_ROOT=opt/rel",
                        "HOME=/home/student", NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, warnings);
  print_warnings(warnings);
  g_assert_cmpuint(toolkits->len, ==, 1);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/opt/mycuda");
  g_assert_cmpstr(tk->version, ==, "12.4.1");
  g_autofree char *via = joined_via(tk);
  g_assert_cmpstr(via, ==, "CUDA_HOME");
  g_assert_null(tk->cudnn);
  g_assert_true(warned(warnings, "CUDA_PATH=/opt/gone"));
  g_assert_true(warned(warnings, "CUDA_ROOT=opt/rel"));
  g_assert_cmpuint(warnings->len, ==, 2);
  cup_test_remove_tree(root);
}

/* LD_LIBRARY_PATH=/opt/x/targets/x86_64-linux/lib: the version from libcudart's file name;
 * a lib64 link to targets/ with only libcudart.so.13: from CUDART_VERSION. */
static void test_found_via_ld_library_path(void)
{
  g_autofree char *root = cup_test_make_root();
  cup_test_write(root, "opt/x/targets/x86_64-linux/lib/libcudart.so.12.4.127", "");
  cup_test_symlink(root, "opt/x/targets/x86_64-linux/lib/libcudart.so.12", "libcudart.so.12.4.127");
  cup_test_write(root, "opt/y/targets/x86_64-linux/lib/libcudart.so.13", "");
  cup_test_symlink(root, "opt/y/lib64", "targets/x86_64-linux/lib");
  cup_test_write(root, "opt/y/targets/x86_64-linux/include/cuda_runtime_api.h",
                 "#if !defined(__CUDA_RUNTIME_API_H__)\n"
                 "#define __CUDA_RUNTIME_API_H__\n\n"
                 "#define CUDART_VERSION  13000\n");
  cup_test_symlink(root, "opt/y/include", "targets/x86_64-linux/include");
  const char *envp[] = {
      "LD_LIBRARY_PATH=/opt/x/targets/x86_64-linux/lib:/usr/lib:/opt/y/lib64:relative/lib", NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, warnings);
  print_warnings(warnings);
  g_assert_cmpuint(warnings->len, ==, 0);
  g_assert_cmpuint(toolkits->len, ==, 2);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/opt/y");
  g_assert_cmpstr(tk->version, ==, "13.0");
  g_assert_cmpstr(tk->version_source, ==, "cuda_runtime_api.h");
  tk = g_ptr_array_index(toolkits, 1);
  g_assert_cmpstr(tk->root, ==, "/opt/x");
  g_assert_cmpstr(tk->version, ==, "12.4");
  g_assert_cmpstr(tk->version_source, ==, "libcudart");
  g_autofree char *via = joined_via(tk);
  g_assert_cmpstr(via, ==, "LD_LIBRARY_PATH");
  cup_test_remove_tree(root);
}

/* A tree with only bin/nvcc: the version comes from `nvcc --version`. */
static void test_version_from_nvcc(void)
{
  g_autofree char *root = cup_test_make_root();
  put_nvcc(root, "opt/nv/bin/nvcc", "nvcc-13.0.txt");
  put_nvcc(root, "opt/nv118/bin/nvcc", "nvcc-11.8.txt");
  const char *envp[] = {"PATH=/usr/bin:/opt/nv/bin:/opt/nv118/bin:/opt/nv/bin", NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, warnings);
  print_warnings(warnings);
  g_assert_cmpuint(warnings->len, ==, 0);
  g_assert_cmpuint(toolkits->len, ==, 2);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/opt/nv");
  g_assert_cmpstr(tk->version, ==, "13.0");
  g_assert_cmpstr(tk->nvcc_version, ==, "13.0.88");
  g_assert_cmpstr(tk->version_source, ==, "nvcc");
  g_autofree char *via = joined_via(tk);
  g_assert_cmpstr(via, ==, "PATH");
  g_assert_true(nvcc_ran(root, "opt/nv/bin/nvcc"));
  tk = g_ptr_array_index(toolkits, 1);
  g_assert_cmpstr(tk->version, ==, "11.8");
  g_assert_cmpstr(tk->nvcc_version, ==, "11.8.89");
  cup_test_remove_tree(root);
}

/* /usr/local/bin/nvcc as a wrapper script that execs the real nvcc stands for that nvcc: the
 * toolkit is /usr/local/cuda-13.0, never /usr/local. */
static void test_nvcc_wrapper_on_path(void)
{
  g_autofree char *root = cup_test_make_root();
  put_nvcc(root, "usr/local/cuda-13.0/bin/nvcc", "nvcc-13.0.txt");
  cup_test_write(root, "usr/local/bin/nvcc",
                 "#!/bin/sh\nexec /usr/local/cuda-13.0/bin/nvcc \"$@\"\n");
  g_autofree char *wrapper = g_build_filename(root, "usr/local/bin/nvcc", NULL);
  g_assert_cmpint(g_chmod(wrapper, 0755), ==, 0);
  const char *envp[] = {"PATH=/usr/local/bin:/usr/bin", NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, warnings);
  print_warnings(warnings);
  g_assert_cmpuint(warnings->len, ==, 0);
  g_assert_cmpuint(toolkits->len, ==, 1);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/usr/local/cuda-13.0");
  g_assert_cmpstr(tk->version, ==, "13.0");
  g_autofree char *via = joined_via(tk);
  g_assert_cmpstr(via, ==, "default,PATH");
  cup_test_remove_tree(root);
}

/* The 11.8 runfile writes "11.8.20220929": the build date is no patch level. */
static void test_runfile_version_json(void)
{
  g_autofree char *root = cup_test_make_root();
  put_fixture(root, "usr/local/cuda-11.8/version.json", "version-11.8-runfile.json");
  const char *envp[] = {NULL};
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, NULL);
  g_assert_cmpuint(toolkits->len, ==, 1);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->version, ==, "11.8");
  g_assert_cmpstr(tk->nvcc_version, ==, "11.8.89");
  cup_test_remove_tree(root);
}

/* Garbled version.json and version.txt: warnings naming the files, then the next source. */
static void test_garbled_files_fall_back(void)
{
  g_autofree char *root = cup_test_make_root();
  cup_test_write(root, "usr/local/cuda-12.6/version.json", "{\"cuda\": {\"version\": \"12.6");
  cup_test_write(root, "usr/local/cuda-12.6/lib64/libcudart.so.12.6.77", "");
  cup_test_write(root, "usr/local/cuda-12.5/version.json", "{\"cuda\": {\"version\": \"twelve\"}}");
  cup_test_write(root, "usr/local/cuda-12.5/version.txt", "CUDA Version: soon\n");
  put_nvcc(root, "usr/local/cuda-12.5/bin/nvcc", "version-10.2.txt"); /* prints no release */
  cup_test_write(root, "usr/local/cuda-12.5/include/cudnn_version.h", "#define CUDNN_MAJOR 9\n");
  cup_test_write(root, "usr/local/cuda-12.5/lib/libcudnn.so.9.1.0", "not an ELF file");
  const char *envp[] = {NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, warnings);
  print_warnings(warnings);
  g_assert_cmpuint(toolkits->len, ==, 2);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/usr/local/cuda-12.6");
  g_assert_cmpstr(tk->version, ==, "12.6");
  g_assert_cmpstr(tk->version_source, ==, "libcudart");
  g_assert_true(warned(warnings, "/usr/local/cuda-12.6/version.json"));
  tk = g_ptr_array_index(toolkits, 1);
  g_assert_cmpstr(tk->root, ==, "/usr/local/cuda-12.5");
  g_assert_null(tk->version);
  g_assert_true(warned(warnings, "/usr/local/cuda-12.5/version.json"));
  g_assert_true(warned(warnings, "/usr/local/cuda-12.5/version.txt"));
  g_assert_true(warned(warnings, "/usr/local/cuda-12.5/bin/nvcc --version"));
  g_assert_true(warned(warnings, "/usr/local/cuda-12.5: a CUDA toolkit whose version"));
  g_assert_true(warned(warnings, "/usr/local/cuda-12.5/include/cudnn_version.h"));
  g_assert_nonnull(tk->cudnn); /* the header is garbled, the library name is not */
  g_assert_cmpstr(tk->cudnn->version, ==, "9.1.0");
  g_assert_cmpstr(tk->cudnn->source, ==, "library-name");
  cup_test_remove_tree(root);
}

static void test_symlink_loops(void)
{
  g_autofree char *root = cup_test_make_root();
  cup_test_symlink(root, "usr/local/cuda", "cuda");
  cup_test_symlink(root, "usr/local/cuda-a", "cuda-b");
  cup_test_symlink(root, "usr/local/cuda-b", "/usr/local/cuda-a");
  put_fixture(root, "usr/local/cuda-12.0/version.json", "version-12.4.1.json");
  cup_test_symlink(root, "usr/local/cuda-12.0/lib64", "lib64");
  cup_test_symlink(root, "usr/local/cuda-12.0/targets/x86_64-linux", "../../cuda-12.0");
  cup_test_symlink(root, "usr/local/cuda-12.0/targets/loop", "loop");
  cup_test_symlink(root, "opt/x/bin", "../x/bin");
  const char *envp[] = {"CUDA_HOME=/usr/local/cuda-a", "PATH=/opt/x/bin",
                        "LD_LIBRARY_PATH=/usr/local/cuda-12.0/lib64", NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, warnings);
  print_warnings(warnings);
  g_assert_cmpuint(toolkits->len, ==, 1);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/usr/local/cuda-12.0");
  g_assert_true(warned(warnings, "CUDA_HOME=/usr/local/cuda-a"));
  cup_test_remove_tree(root);
}

static void test_cudnn_from_library_name(void)
{
  g_autofree char *root = cup_test_make_root();
  put_fixture(root, "usr/local/cuda-11.8/version.json", "version-11.8-runfile.json");
  cup_test_write(root, "usr/local/cuda-11.8/lib64/libcudnn.so.8.9.7", "");
  cup_test_write(root, "usr/local/cuda-11.8/lib64/libcudnn.so.8.4.1", "");
  cup_test_write(root, "usr/local/cuda-11.8/lib64/libcudnn_ops_infer.so.8.10.0", "");
  cup_test_symlink(root, "usr/local/cuda-11.8/lib64/libcudnn.so.8", "libcudnn.so.8.9.7");
  cup_test_symlink(root, "usr/local/cuda-11.8/lib64/libcudnn.so", "libcudnn.so.8");
  const char *envp[] = {NULL};
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, NULL);
  g_assert_cmpuint(toolkits->len, ==, 1);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_nonnull(tk->cudnn);
  g_assert_cmpstr(tk->cudnn->version, ==, "8.9.7");
  g_assert_cmpstr(tk->cudnn->source, ==, "library-name");
  g_assert_cmpstr(tk->cudnn->path, ==, "/usr/local/cuda-11.8/lib64/libcudnn.so.8.9.7");
  cup_test_remove_tree(root);
}

/* Debian's packages: /usr is the toolkit, the cuDNN header is an alternatives link into
 * include/x86_64-linux-gnu; absolute links resolve inside the root. */
static void test_debian_layout(void)
{
  g_autofree char *root = cup_test_make_root();
  put_nvcc(root, "usr/lib/nvidia-cuda-toolkit/bin/nvcc", "nvcc-11.8.txt");
  cup_test_symlink(root, "usr/bin/nvcc", "/usr/lib/nvidia-cuda-toolkit/bin/nvcc");
  put_fixture(root, "usr/lib/nvidia-cuda-toolkit/include/x86_64-linux-gnu/cudnn_version_v9.h",
              "cudnn_version-9.19.0.h");
  cup_test_symlink(root, "etc/alternatives/libcudnn_version_h",
                   "/usr/lib/nvidia-cuda-toolkit/include/x86_64-linux-gnu/cudnn_version_v9.h");
  cup_test_symlink(root, "usr/lib/nvidia-cuda-toolkit/include/cudnn_version.h",
                   "/etc/alternatives/libcudnn_version_h");
  const char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", NULL};
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, NULL);
  g_assert_cmpuint(toolkits->len, ==, 1);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/usr/lib/nvidia-cuda-toolkit");
  g_assert_cmpstr(tk->version, ==, "11.8");
  g_assert_nonnull(tk->cudnn);
  g_assert_cmpstr(tk->cudnn->version, ==, "9.19.0");
  g_assert_cmpstr(tk->cudnn->path, ==,
                  "/usr/lib/nvidia-cuda-toolkit/include/x86_64-linux-gnu/cudnn_version_v9.h");
  cup_test_remove_tree(root);
}

/* User installs under $XDG_DATA_HOME/cudaup (else ~/.local/share/cudaup) and /opt. */
static void test_user_and_opt_defaults(void)
{
  g_autofree char *root = cup_test_make_root();
  put_fixture(root, "home/student/.local/share/cudaup/cuda-12.4/version.json",
              "version-12.4.1.json");
  put_fixture(root, "data/cudaup/cuda-11.8/version.json", "version-11.8-runfile.json");
  put_fixture(root, "opt/nvidia/cuda-10.2/version.txt", "version-10.2.txt");
  cup_test_write(root, "opt/cuda/README", "not a toolkit\n");
  cup_test_write(root, "usr/local/cuda-junk/notes.txt", "not a toolkit\n");
  cup_test_write(root, "usr/local/cuda-empty/bin/.keep", "");
  const char *home[] = {"HOME=/home/student", NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, home, warnings);
  g_assert_cmpuint(warnings->len, ==, 0);
  g_assert_cmpuint(toolkits->len, ==, 2);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/home/student/.local/share/cudaup/cuda-12.4");
  g_assert_true(found_via(tk, "default"));
  tk = g_ptr_array_index(toolkits, 1);
  g_assert_cmpstr(tk->root, ==, "/opt/nvidia/cuda-10.2");

  const char *xdg[] = {"HOME=/home/student", "XDG_DATA_HOME=/data", NULL};
  g_autoptr(GPtrArray) again = cup_toolkits_detect(root, xdg, NULL);
  g_assert_cmpuint(again->len, ==, 2);
  tk = g_ptr_array_index(again, 0);
  g_assert_cmpstr(tk->root, ==, "/data/cudaup/cuda-11.8");
  cup_test_remove_tree(root);
}

static gboolean copy_file(const char *from, const char *root, const char *relative)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  if (!g_file_get_contents(from, &contents, &length, NULL))
    return FALSE;
  g_autofree char *path = g_build_filename(root, relative, NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_assert_true(g_file_set_contents(path, contents, length, NULL));
  return TRUE;
}

/* No header and no versioned file name: the real library is asked (cudnnGetVersion). */
static void test_cudnn_from_library(void)
{
  g_autofree char *root = cup_test_make_root();
  if (!copy_file(REAL_TOOLKIT "/lib/libcudnn.so.9", root, "opt/t/lib/libcudnn.so.9")) {
    g_test_skip("no real " REAL_TOOLKIT "/lib/libcudnn.so.9 to load");
    cup_test_remove_tree(root);
    return;
  }
  put_fixture(root, "opt/t/version.json", "version-12.4.1.json");
  const char *envp[] = {"CUDA_PATH=/opt/t", NULL};
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(root, envp, warnings);
  print_warnings(warnings);
  g_assert_cmpuint(toolkits->len, ==, 1);
  CupToolkit *tk = g_ptr_array_index(toolkits, 0);
  g_assert_nonnull(tk->cudnn);
  g_assert_cmpstr(tk->cudnn->version, ==, "9.19.0");
  g_assert_cmpstr(tk->cudnn->source, ==, "library");
  g_assert_cmpstr(tk->cudnn->path, ==, "/opt/t/lib/libcudnn.so.9");
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/toolkit/real-tree", test_real_tree);
  g_test_add_func("/toolkit/two-trees-newest-first", test_two_trees_newest_first);
  g_test_add_func("/toolkit/one-tree-many-ways", test_one_tree_many_ways);
  g_test_add_func("/toolkit/found-via-cuda-home", test_found_via_cuda_home_only);
  g_test_add_func("/toolkit/found-via-ld-library-path", test_found_via_ld_library_path);
  g_test_add_func("/toolkit/version-from-nvcc", test_version_from_nvcc);
  g_test_add_func("/toolkit/nvcc-wrapper-on-path", test_nvcc_wrapper_on_path);
  g_test_add_func("/toolkit/runfile-version-json", test_runfile_version_json);
  g_test_add_func("/toolkit/garbled-files-fall-back", test_garbled_files_fall_back);
  g_test_add_func("/toolkit/symlink-loops", test_symlink_loops);
  g_test_add_func("/toolkit/cudnn-from-library-name", test_cudnn_from_library_name);
  g_test_add_func("/toolkit/debian-layout", test_debian_layout);
  g_test_add_func("/toolkit/user-and-opt-defaults", test_user_and_opt_defaults);
  g_test_add_func("/toolkit/cudnn-from-library", test_cudnn_from_library);
  return g_test_run();
}
