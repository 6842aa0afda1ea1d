/* test_pyprobe.c - core/pyprobe against the machine's real /usr/bin/python3, with the stand-in
 * torch and tensorflow packages of tests/fixtures/doctor/python on PYTHONPATH, and against
 * interpreters that hang, crash, print garbage or do not exist (tests/fixtures/doctor/README.md).
 */
#include "core/error.h"
#include "core/pyprobe.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

#define PYTHON "/usr/bin/python3"

static gboolean have_python(void)
{
  if (g_file_test(PYTHON, G_FILE_TEST_IS_EXECUTABLE))
    return TRUE;
  g_test_skip("no " PYTHON " on this machine: the probe tests run the real interpreter");
  return FALSE;
}

/* Probe the real Python with the fake environment @env (NULL: none) on PYTHONPATH and
 * CUDAUP_FAKE_GPUS=@gpus (NULL: no driver). */
static CupPyProbe *probe_env(const char *env, const char *gpus)
{
  g_autofree char *dir = env ? cup_test_fixture(env) : NULL;
  g_autofree char *pythonpath = dir ? g_strdup_printf("PYTHONPATH=%s", dir) : NULL;
  g_autofree char *fake_gpus = g_strdup_printf("CUDAUP_FAKE_GPUS=%s", gpus ? gpus : "");
  const char *envp[] = {"PATH=/usr/bin:/bin", "HOME=/nonexistent", NULL};
  const char *extra[] = {fake_gpus, pythonpath, NULL};
  CupPyProbeOptions o = {.python = PYTHON, .envp = envp, .extra_env = extra, .timeout_ms = 30000};
  g_autoptr(GError) error = NULL;
  CupPyProbe *probe = cup_pyprobe_run(&o, &error);
  g_assert_no_error(error);
  g_assert_nonnull(probe);
  return probe;
}

static gboolean list_has(const GPtrArray *list, const char *suffix)
{
  for (guint i = 0; i < list->len; i++)
    if (g_str_has_suffix(g_ptr_array_index(list, i), suffix))
      return TRUE;
  return FALSE;
}

static void test_real_python_without_frameworks(void)
{
  if (!have_python())
    return;
  g_autoptr(CupPyProbe) p = probe_env(NULL, NULL);
  g_assert_cmpstr(p->python, ==, PYTHON);
  g_assert_true(g_str_has_prefix(p->version, "3."));
  g_assert_nonnull(p->executable);
  g_assert_false(p->torch.found);
  g_assert_null(p->torch.version);
  g_assert_false(p->tensorflow.found);
  g_assert_cmpint(p->torch.cuda_available, ==, CUP_UNKNOWN);
  g_autoptr(json_t) json = cup_pyprobe_to_json(p);
  g_assert_true(json_is_false(json_object_get(json_object_get(json, "torch"), "found")));
}

static void test_cpu_wheel(void)
{
  if (!have_python())
    return;
  g_autoptr(CupPyProbe) p = probe_env("doctor/python/torch-2.1.2-cpu", "NVIDIA GeForce RTX 3060");
  g_assert_true(p->torch.found);
  g_assert_cmpstr(p->torch.version, ==, "2.1.2+cpu");
  g_assert_null(p->torch.cuda);
  g_assert_cmpint(p->torch.built_with_cuda, ==, CUP_NO);
  g_assert_cmpint(p->torch.cuda_available, ==, CUP_NO);
  g_assert_cmpint(p->torch.device_count, ==, 0);
  g_assert_cmpuint(p->torch.arch_list->len, ==, 0);
  g_assert_null(p->torch.cudnn);
  g_assert_null(p->torch.import_error);
  g_assert_true(g_str_has_suffix(p->torch.file, "torch-2.1.2-cpu/torch/__init__.py"));
  g_assert_false(p->tensorflow.found);
  /* The probe must never write bytecode into the environment it looks at. */
  g_autofree char *cache = cup_test_fixture("doctor/python/torch-2.1.2-cpu/torch/__pycache__");
  g_assert_false(g_file_test(cache, G_FILE_TEST_EXISTS));
}

static void test_cuda_wheel_with_gpu(void)
{
  if (!have_python())
    return;
  g_autoptr(CupPyProbe) p = probe_env("doctor/python/torch-2.4.0-cu124", "NVIDIA GeForce RTX 3060");
  const CupPyFramework *t = &p->torch;
  g_assert_cmpstr(t->version, ==, "2.4.0+cu124");
  g_assert_cmpstr(t->cuda, ==, "12.4");
  g_assert_cmpint(t->built_with_cuda, ==, CUP_YES);
  g_assert_cmpint(t->cuda_available, ==, CUP_YES);
  g_assert_cmpint(t->device_count, ==, 1);
  g_assert_cmpstr(g_ptr_array_index(t->devices, 0), ==, "NVIDIA GeForce RTX 3060");
  g_assert_cmpuint(t->arch_list->len, ==, 7);
  g_assert_cmpstr(g_ptr_array_index(t->arch_list, 0), ==, "sm_50");
  g_assert_cmpstr(g_ptr_array_index(t->arch_list, 6), ==, "sm_90");
  g_assert_cmpstr(t->cudnn, ==, "9.1.0");
  g_assert_cmpstr(t->cudnn_compiled, ==, "9.1.0");
  g_assert_cmpstr(t->cudnn_wheel, ==, "nvidia-cudnn-cu12");
  g_assert_cmpstr(t->cudnn_wheel_version, ==, "9.1.0.70");
  g_assert_true(list_has(t->cudnn_libs, "/nvidia/cudnn/lib/libcudnn.so.9"));
  g_assert_true(g_str_has_suffix(t->lib_dir, "/torch/lib"));
}

/* Without a driver get_arch_list() is empty; the list still comes from the build flags. */
static void test_cuda_wheel_without_driver(void)
{
  if (!have_python())
    return;
  g_autoptr(CupPyProbe) p = probe_env("doctor/python/torch-2.4.0-cu124", NULL);
  g_assert_cmpint(p->torch.cuda_available, ==, CUP_NO);
  g_assert_cmpint(p->torch.device_count, ==, 0);
  g_assert_cmpuint(p->torch.devices->len, ==, 0);
  g_assert_cmpuint(p->torch.arch_list->len, ==, 7);
}

static void test_bundled_cudnn_in_torch_lib(void)
{
  if (!have_python())
    return;
  g_autoptr(CupPyProbe) p = probe_env("doctor/python/torch-2.0.1-cu118-bundled", NULL);
  g_assert_cmpstr(p->torch.cudnn, ==, "8.7.0");
  g_assert_null(p->torch.cudnn_wheel);
  g_assert_cmpuint(p->torch.cudnn_libs->len, ==, 1);
  g_assert_true(list_has(p->torch.cudnn_libs, "/torch/lib/libcudnn.so.8"));
}

static void test_import_error(void)
{
  if (!have_python())
    return;
  g_autoptr(CupPyProbe) p = probe_env("doctor/python/torch-broken", NULL);
  g_assert_true(p->torch.found);
  g_assert_null(p->torch.version);
  g_assert_nonnull(strstr(p->torch.import_error, "ImportError: libcudnn.so.9: cannot open"));
}

static void test_tensorflow(void)
{
  if (!have_python())
    return;
  g_autoptr(CupPyProbe) p =
      probe_env("doctor/python/tensorflow-2.10.0-windows", "NVIDIA GeForce RTX 2080");
  const CupPyFramework *tf = &p->tensorflow;
  g_assert_true(tf->found);
  g_assert_cmpstr(tf->version, ==, "2.10.0");
  g_assert_cmpint(tf->built_with_cuda, ==, CUP_YES);
  g_assert_cmpstr(tf->cuda, ==, "64_112");
  g_assert_cmpstr(tf->cudnn, ==, "64_8");
  g_assert_cmpint(tf->cuda_available, ==, CUP_YES);
  g_assert_cmpstr(g_ptr_array_index(tf->devices, 0), ==, "/physical_device:GPU:0");
  g_assert_false(p->torch.found);
}

static GError *probe_error_of(const char *fake, guint timeout_ms)
{
  g_autofree char *exe = cup_test_fixture(fake);
  CupPyProbeOptions o = {.python = exe, .timeout_ms = timeout_ms};
  GError *error = NULL;
  CupPyProbe *p = cup_pyprobe_run(&o, &error);
  g_assert_null(p);
  g_assert_nonnull(error);
  return error;
}

static void test_hanging_python_is_killed(void)
{
  gint64 start = g_get_monotonic_time();
  g_autoptr(GError) error = probe_error_of("doctor/python-bin/hangs", 1000);
  gint64 ms = (g_get_monotonic_time() - start) / 1000;
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CHECK);
  g_assert_nonnull(strstr(error->message, "did not answer within 1 s"));
  g_assert_cmpint(ms, <, 5000);
}

static void test_garbage(void)
{
  g_autoptr(GError) error = probe_error_of("doctor/python-bin/garbage", 10000);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
  g_assert_nonnull(strstr(error->message, "printed no probe result"));
  g_assert_nonnull(strstr(error->message, "{not json"));
  g_autoptr(GError) marker = probe_error_of("doctor/python-bin/bad-marker", 10000);
  g_assert_error(marker, CUP_ERROR, CUP_ERROR_PARSE);
  g_assert_nonnull(strstr(marker->message, "cannot read"));
}

static void test_crash(void)
{
  g_autoptr(GError) error = probe_error_of("doctor/python-bin/crashes", 10000);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CHECK);
  g_assert_nonnull(strstr(error->message, "exited with status 1"));
  g_assert_nonnull(strstr(error->message, "No module named 'encodings'"));
}

static void test_missing_python(void)
{
  CupPyProbeOptions named = {.python = "/nonexistent/bin/python3"};
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_pyprobe_run(&named, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_assert_nonnull(strstr(error->message, "--python EXE"));
  /* No python on the PATH given: the default search says so, with the fix. */
  g_autofree char *empty = cup_test_make_root();
  g_autofree char *path = g_strdup_printf("PATH=%s", empty);
  const char *envp[] = {path, NULL};
  CupPyProbeOptions search = {.envp = envp};
  g_autoptr(GError) none = NULL;
  g_assert_null(cup_pyprobe_run(&search, &none));
  g_assert_error(none, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_assert_nonnull(strstr(none->message, "no Python found on PATH"));
  cup_test_remove_tree(empty);
}

/* The default is the first python3 or python of the PATH given, not of ours. */
static void test_default_search(void)
{
  g_autofree char *dir = cup_test_make_root();
  cup_test_write(dir, "b/python", "#!/bin/sh\n");
  cup_test_write(dir, "c/python3", "#!/bin/sh\n");
  g_autofree char *b = g_build_filename(dir, "b/python", NULL);
  g_autofree char *c = g_build_filename(dir, "c/python3", NULL);
  g_assert_cmpint(g_chmod(b, 0755), ==, 0);
  g_assert_cmpint(g_chmod(c, 0755), ==, 0);
  g_autofree char *path = g_strdup_printf("PATH=%s/a:%s/b:%s/c", dir, dir, dir);
  const char *envp[] = {path, NULL};
  CupPyProbeOptions o = {.envp = envp};
  g_autofree char *found = cup_pyprobe_find_python(&o, NULL);
  g_assert_cmpstr(found, ==, b);
  cup_test_remove_tree(dir);
}

static void test_parse_amid_noise(void)
{
  const char *out = "2024-01-01 I tensorflow: something\n" CUP_PYPROBE_MARKER
                    "{\"version\":\"3.12.1\",\"executable\":\"/x\",\"torch\":{\"found\":true,"
                    "\"version\":\"2.3.1\",\"cuda_available\":false,\"device_count\":0},"
                    "\"tensorflow\":{\"found\":false}}\nWARNING: more noise\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(CupPyProbe) p = cup_pyprobe_parse("py", out, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(p->version, ==, "3.12.1");
  g_assert_cmpstr(p->torch.version, ==, "2.3.1");
  g_assert_cmpint(p->torch.cuda_available, ==, CUP_NO);
  g_assert_cmpint(p->torch.built_with_cuda, ==, CUP_UNKNOWN);
  g_assert_cmpint(p->tensorflow.device_count, ==, -1);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pyprobe/real-python", test_real_python_without_frameworks);
  g_test_add_func("/pyprobe/cpu-wheel", test_cpu_wheel);
  g_test_add_func("/pyprobe/cuda-wheel-gpu", test_cuda_wheel_with_gpu);
  g_test_add_func("/pyprobe/cuda-wheel-no-driver", test_cuda_wheel_without_driver);
  g_test_add_func("/pyprobe/bundled-cudnn", test_bundled_cudnn_in_torch_lib);
  g_test_add_func("/pyprobe/import-error", test_import_error);
  g_test_add_func("/pyprobe/tensorflow", test_tensorflow);
  g_test_add_func("/pyprobe/hangs", test_hanging_python_is_killed);
  g_test_add_func("/pyprobe/garbage", test_garbage);
  g_test_add_func("/pyprobe/crash", test_crash);
  g_test_add_func("/pyprobe/missing", test_missing_python);
  g_test_add_func("/pyprobe/default-search", test_default_search);
  g_test_add_func("/pyprobe/parse", test_parse_amid_noise);
  return g_test_run();
}
