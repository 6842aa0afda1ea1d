/* test_plan.c - the planner over the real catalog in manifests/: the acceptance table. */
#include "core/catalog.h"
#include "core/error.h"
#include "core/plan.h"
#include "core/planinput.h"
#include "tests/testutil.h"

#include <string.h>

static CupCatalog *catalog;

/* A machine: the GPU of @pci (from the GPU table), the driver @driver (NULL: none). */
static CupSystem *machine(const char *pci, const char *driver, const char *os)
{
  CupSystem *sys = cup_system_new();
  sys->os.family = g_strdup(os);
  sys->os.arch = g_strdup("x86_64");
  CupOverrides o = {.pci_id = pci, .driver = driver ? driver : "none"};
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_system_override(sys, catalog, &o, &error));
  g_assert_no_error(error);
  return sys;
}

static CupPlan *plan_ok(const CupSystem *sys, const CupRequest *r)
{
  g_autoptr(GError) error = NULL;
  CupPlan *plan = cup_plan_make(sys, catalog, r, &error);
  g_assert_no_error(error);
  g_assert_nonnull(plan);
  for (guint i = 0; i < plan->reasons->len; i++)
    g_test_message("reason: %s", (char *)g_ptr_array_index(plan->reasons, i));
  for (guint i = 0; i < plan->warnings->len; i++)
    g_test_message("warning: %s", (char *)g_ptr_array_index(plan->warnings, i));
  return plan;
}

static GError *plan_fails(const CupSystem *sys, const CupRequest *r)
{
  GError *error = NULL;
  g_assert_null(cup_plan_make(sys, catalog, r, &error));
  g_assert_nonnull(error);
  g_test_message("error: %s", error->message);
  return error;
}

static gboolean any_line(const GPtrArray *lines, const char *a, const char *b)
{
  for (guint i = 0; i < lines->len; i++) {
    const char *l = g_ptr_array_index(lines, i);
    if (strstr(l, a) && (b == NULL || strstr(l, b)))
      return TRUE;
  }
  return FALSE;
}

static const CupCudaRelease *cuda_ga(const char *version)
{
  for (guint i = 0; i < catalog->cuda_releases->len; i++) {
    const CupCudaRelease *r = g_ptr_array_index(catalog->cuda_releases, i);
    if (strcmp(r->version, version) == 0)
      return r;
  }
  g_assert_not_reached();
}

static void test_tf210_windows_laptop(void)
{
  g_autoptr(CupSystem) sys = machine("10de:24e0", NULL, "windows");
  CupRequest r = {.framework = CUP_FRAMEWORK_TENSORFLOW, .framework_version = "2.10"};
  g_autoptr(CupPlan) p = plan_ok(sys, &r);
  g_assert_cmpstr(p->gpu->compute_capability, ==, "8.6");
  g_assert_cmpstr(p->cuda_version, ==, "11.2");
  g_assert_true(g_str_has_prefix(p->cudnn_version, "8.1"));
  g_assert_true(p->cuda_required);
  g_assert_true(p->cudnn_required);
  g_assert_cmpstr(p->framework_version, ==, "2.10.0");
  g_assert_true(any_line(p->reasons, "Python 3.7 to 3.10", NULL));
  g_assert_cmpstr(p->driver_action, ==, "install");
  /* NVIDIA release notes table 3: CUDA 11.2.0 GA, Windows 460.82. */
  g_assert_cmpstr(cuda_ga("11.2.0")->driver_windows, ==, "460.82");
  g_assert_cmpstr(p->driver_minimum, ==, "460.82");
  g_assert_true(g_str_has_prefix(p->toolkit_root, "C:\\Program Files\\NVIDIA GPU Computing"));
  g_assert_true(any_line(p->environment, "CUDA_PATH_V11_2", NULL));
  /* Python outside 3.7-3.10 is refused when it is pinned. */
  CupRequest py = {
      .framework = CUP_FRAMEWORK_TENSORFLOW, .framework_version = "2.10", .python = "3.12"};
  g_autoptr(GError) error = plan_fails(sys, &py);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE);
  g_assert_nonnull(strstr(error->message, "Python 3.7 to 3.10, not 3.12"));
}

static void test_tf_new_on_windows(void)
{
  g_autoptr(CupSystem) sys = machine("10de:24e0", NULL, "windows");
  CupRequest r = {.framework = CUP_FRAMEWORK_TENSORFLOW, .framework_version = "2.15"};
  g_autoptr(GError) error = plan_fails(sys, &r);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE);
  g_assert_cmpstr(error->message, ==,
                  "TensorFlow 2.15 has no native Windows GPU build (the last is 2.10): use WSL2, "
                  "or choose TensorFlow 2.10");
}

static void test_pytorch_212_linux(void)
{
  g_autoptr(CupSystem) sys = machine("10de:24e0", NULL, "linux");
  CupRequest r = {.framework = CUP_FRAMEWORK_PYTORCH, .framework_version = "2.1.2"};
  g_autoptr(CupPlan) p = plan_ok(sys, &r);
  g_assert_cmpstr(p->framework_variant, ==, "cu121");
  g_assert_cmpstr(p->index_url, ==, "https://download.pytorch.org/whl/cu121");
  g_assert_cmpstr(p->pip_command, ==,
                  "pip install torch==2.1.2 --index-url https://download.pytorch.org/whl/cu121");
  g_assert_cmpstr(p->driver_action, ==, "install");
  g_assert_cmpstr(p->driver_minimum, ==, "530.30.02");
  g_assert_cmpstr(p->driver_minimum_minor_compat, ==, "525.60.13");
  g_assert_false(p->cuda_required);
  g_assert_cmpuint(p->archives->len, ==, 0);
  g_assert_true(any_line(p->reasons, "bundle the CUDA runtime", "optional"));

  CupRequest pinned = {
      .framework = CUP_FRAMEWORK_PYTORCH, .framework_version = "2.1.2", .cuda = "11.8"};
  g_autoptr(CupPlan) q = plan_ok(sys, &pinned);
  g_assert_cmpstr(q->framework_variant, ==, "cu118");
  g_assert_cmpstr(q->index_url, ==, "https://download.pytorch.org/whl/cu118");

  /* A 525 driver runs cu121 through minor-version compatibility: no upgrade, said as such. */
  g_autoptr(CupSystem) old = machine("10de:24e0", "525.85.12", "linux");
  CupRequest on_525 = {
      .framework = CUP_FRAMEWORK_PYTORCH, .framework_version = "2.1.2", .cuda = "12.1"};
  g_autoptr(CupPlan) m = plan_ok(old, &on_525);
  g_assert_cmpstr(m->driver_action, ==, "keep");
  g_assert_true(m->driver_minor_compat);
  g_assert_true(any_line(m->reasons, "minor-version compatibility", "530.30.02"));
}

static void test_k80_legacy(void)
{
  g_autoptr(CupSystem) sys = machine("10de:102d", NULL, "linux");
  g_assert_cmpstr(((CupGpu *)g_ptr_array_index(sys->gpus, 0))->chip, ==, "GK210");
  CupRequest r = {.framework = CUP_FRAMEWORK_NONE};
  g_autoptr(CupPlan) p = plan_ok(sys, &r);
  g_assert_cmpstr(p->gpu->compute_capability, ==, "3.7");
  g_assert_true(g_str_has_prefix(p->cuda_version, "11.8"));
  g_assert_cmpstr(p->legacy_branch, ==, "470");
  g_assert_cmpstr(p->driver_branch, ==, "470");
  g_assert_true(p->driver_minor_compat);

  CupRequest twelve = {.framework = CUP_FRAMEWORK_NONE, .cuda = "12.1"};
  g_autoptr(GError) error = plan_fails(sys, &twelve);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE);
  g_assert_nonnull(strstr(error->message, "compute capability 3.7"));
  g_assert_nonnull(strstr(error->message, "Kepler"));
  g_assert_nonnull(strstr(error->message, "12.0"));
  g_assert_nonnull(strstr(error->message, "the newest CUDA for it is 11.8"));
}

static void test_a100_driver_535(void)
{
  g_autoptr(CupSystem) sys = machine("10de:20b2", "535.54.03", "linux");
  CupRequest r = {.framework = CUP_FRAMEWORK_NONE};
  g_autoptr(CupPlan) p = plan_ok(sys, &r);
  g_assert_cmpstr(p->cuda_version, ==, "12.2");
  g_assert_cmpstr(p->driver_action, ==, "keep");
  g_assert_false(p->driver_minor_compat);

  CupRequest pin = {.framework = CUP_FRAMEWORK_NONE, .cuda = "12.4"};
  g_autoptr(CupPlan) q = plan_ok(sys, &pin);
  g_assert_true(g_str_has_prefix(q->cuda_version, "12.4"));
  g_assert_cmpstr(q->driver_action, ==, "keep");
  g_assert_true(q->driver_minor_compat);
  g_assert_cmpstr(q->driver_minimum, ==, "550.54.14");
  g_assert_true(any_line(q->reasons, "minor-version compatibility", "550.54.14"));
  g_assert_true(any_line(q->warnings, "minor-version compatibility", NULL));
}

static const CupPlanArchive *archive_of(const CupPlan *p, const char *component)
{
  for (guint i = 0; i < p->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(p->archives, i);
    if (strcmp(a->component, component) == 0)
      return a;
  }
  return NULL;
}

static void test_cuda13_and_cudnn913(void)
{
  g_autoptr(CupSystem) sys = machine("10de:2684", NULL, "linux"); /* RTX 4090, AD102 */
  CupRequest r = {.framework = CUP_FRAMEWORK_NONE, .cuda = "13.0", .cudnn = "9.13"};
  g_autoptr(CupPlan) p = plan_ok(sys, &r);
  g_assert_cmpstr(p->driver_minimum, ==, "580.65.06");
  g_assert_cmpstr(p->cuda_version, ==, "13.0.0");
  g_assert_cmpstr(p->toolkit_root, ==, "/usr/local/cuda-13.0");
  g_assert_cmpstr(p->cudnn_variant, ==, "cuda13");
  const CupPlanArchive *cudnn = archive_of(p, "cudnn");
  g_assert_nonnull(cudnn);
  g_assert_cmpstr(cudnn->sha256, ==,
                  "02f47d9456773c80d97ed245efd9eb22bb985dcfdb74559213536035291e7a01");
  g_assert_cmpuint(cudnn->size, ==, 641302680);
  g_assert_true(
      g_str_has_prefix(cudnn->url, CUP_DEFAULT_MIRROR "/cudnn/redist/cudnn/linux-x86_64/"));
  g_assert_nonnull(archive_of(p, "cuda_nvcc"));
  g_assert_nonnull(archive_of(p, "cuda_cudart"));
  g_assert_true(any_line(p->environment, "LD_LIBRARY_PATH += /usr/local/cuda-13.0/lib64", NULL));
}

/* A pinned update that is not the newest of its minor release still matches (13.0.0 when the
 * catalog knows 13.0.2) and picks that redistrib release; an unknown update does not. */
static void test_cuda_update_pin(void)
{
  g_autoptr(CupSystem) sys = machine("10de:2684", NULL, "linux");
  CupRequest r = {.framework = CUP_FRAMEWORK_NONE, .cuda = "13.0.0"};
  g_autoptr(CupPlan) p = plan_ok(sys, &r);
  g_assert_cmpstr(p->cuda_version, ==, "13.0.0");
  g_assert_nonnull(archive_of(p, "cuda_nvcc"));
  g_assert_cmpstr(p->toolkit_root, ==, "/usr/local/cuda-13.0");
  CupRequest unknown = {.framework = CUP_FRAMEWORK_NONE, .cuda = "13.0.9"};
  g_autoptr(GError) error = NULL;
  g_autoptr(CupPlan) none = cup_plan_make(sys, catalog, &unknown, &error);
  g_assert_null(none);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE);
}

/* cuDNN alone into a toolkit NVIDIA's installer put there: the toolkit is kept (no CUDA
 * archive, its root is the destination) and cuDNN fits its version, not the newest CUDA's;
 * a --cuda pin of another version, or a framework, plans a new toolkit instead. */
static void test_cudnn_into_existing_toolkit(void)
{
  g_autoptr(CupSystem) sys = machine("10de:2684", "580.65.06", "linux");
  CupRequest r = {.framework = CUP_FRAMEWORK_NONE,
                  .cudnn = "9.13",
                  .existing_cuda = "12.4",
                  .existing_root = "/opt/nvidia/cuda-12.4"};
  g_autoptr(CupPlan) p = plan_ok(sys, &r);
  g_assert_false(p->cuda_required);
  g_assert_true(p->cuda_existing);
  g_assert_cmpstr(p->cuda_version, ==, "12.4");
  g_assert_cmpstr(p->cudnn_variant, ==, "cuda12");
  g_assert_cmpstr(p->toolkit_root, ==, "/opt/nvidia/cuda-12.4");
  g_assert_cmpuint(p->archives->len, ==, 1);
  g_assert_cmpstr(archive_of(p, "cudnn")->destination, ==, "/opt/nvidia/cuda-12.4");
  g_assert_true(any_line(p->reasons, "installed at /opt/nvidia/cuda-12.4", NULL));
  r.cuda = "13.0";
  g_autoptr(CupPlan) other = plan_ok(sys, &r);
  g_assert_true(other->cuda_required);
  g_assert_false(other->cuda_existing);
  g_assert_cmpstr(other->toolkit_root, ==, "/usr/local/cuda-13.0");
}

static void test_cuda118_nvcc_archive(void)
{
  g_autoptr(CupSystem) sys = machine("10de:24e0", NULL, "linux");
  CupRequest r = {.framework = CUP_FRAMEWORK_NONE,
                  .cuda = "11.8",
                  .mirror = "http://lab-server/nvidia",
                  .prefix = "/opt/cuda-11.8"};
  g_autoptr(CupPlan) p = plan_ok(sys, &r);
  const CupPlanArchive *nvcc = archive_of(p, "cuda_nvcc");
  g_assert_nonnull(nvcc);
  g_assert_cmpstr(nvcc->sha256, ==,
                  "7ee8450dbcc16e9fe5d2a7b567d6dec220c5894a94ac6640459e06231e3b39a5");
  g_assert_cmpuint(nvcc->size, ==, 43230952);
  g_assert_true(g_str_has_prefix(nvcc->url, "http://lab-server/nvidia/cuda/redist/cuda_nvcc/"));
  g_assert_cmpstr(nvcc->destination, ==, "/opt/cuda-11.8");
}

static void test_bad_input(void)
{
  g_autoptr(CupSystem) sys = machine("10de:24e0", NULL, "linux");
  CupOverrides unknown = {.pci_id = "10de:ffff"};
  g_autoptr(GError) e1 = NULL;
  g_assert_false(cup_system_override(sys, catalog, &unknown, &e1));
  g_assert_error(e1, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  CupOverrides garbled = {.pci_id = "nvidia"};
  g_autoptr(GError) e2 = NULL;
  g_assert_false(cup_system_override(sys, catalog, &garbled, &e2));
  g_assert_error(e2, CUP_ERROR, CUP_ERROR_USAGE);
  CupRequest torch99 = {.framework = CUP_FRAMEWORK_PYTORCH, .framework_version = "9.9"};
  g_autoptr(GError) e3 = plan_fails(sys, &torch99);
  g_assert_error(e3, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_assert_nonnull(strstr(e3->message, "cudaup list frameworks"));
  CupRequest bad_cuda = {.framework = CUP_FRAMEWORK_NONE, .cuda = "12.x"};
  g_autoptr(GError) e4 = plan_fails(sys, &bad_cuda);
  g_assert_error(e4, CUP_ERROR, CUP_ERROR_USAGE);
  g_assert_nonnull(strstr(e4->message, "--cuda"));
  CupRequest tf99 = {.framework = CUP_FRAMEWORK_TENSORFLOW, .framework_version = "9.9"};
  g_autoptr(GError) e5 = plan_fails(sys, &tf99);
  g_assert_error(e5, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_autoptr(CupSystem) none = cup_system_new();
  CupRequest torch = {.framework = CUP_FRAMEWORK_PYTORCH};
  g_autoptr(GError) e6 = plan_fails(none, &torch);
  g_assert_error(e6, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE);
  g_assert_nonnull(strstr(e6->message, "--pci"));
}

/* Pure: the same inputs give the same plan, byte for byte. */
static void test_deterministic(void)
{
  g_autoptr(CupSystem) sys = machine("10de:2330", "550.54.15", "linux");
  CupRequest r = {.framework = CUP_FRAMEWORK_PYTORCH};
  g_autoptr(CupPlan) a = plan_ok(sys, &r);
  g_autoptr(CupPlan) b = plan_ok(sys, &r);
  g_autoptr(json_t) ja = cup_plan_to_json(a);
  g_autoptr(json_t) jb = cup_plan_to_json(b);
  g_autofree char *sa = json_dumps(ja, JSON_SORT_KEYS);
  g_autofree char *sb = json_dumps(jb, JSON_SORT_KEYS);
  g_assert_cmpstr(sa, ==, sb);
  g_assert_cmpstr(a->driver_action, ==, "keep");
  g_assert_nonnull(a->framework_variant);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_autoptr(GError) error = NULL;
  catalog = cup_catalog_load(CUP_TEST_MANIFESTS, NULL, &error);
  g_assert_no_error(error);
  g_test_add_func("/plan/tf210-windows-laptop", test_tf210_windows_laptop);
  g_test_add_func("/plan/tf-new-on-windows", test_tf_new_on_windows);
  g_test_add_func("/plan/pytorch-212-linux", test_pytorch_212_linux);
  g_test_add_func("/plan/k80-legacy", test_k80_legacy);
  g_test_add_func("/plan/a100-driver-535", test_a100_driver_535);
  g_test_add_func("/plan/cuda13-cudnn913", test_cuda13_and_cudnn913);
  g_test_add_func("/plan/cuda-update-pin", test_cuda_update_pin);
  g_test_add_func("/plan/cuda118-nvcc-archive", test_cuda118_nvcc_archive);
  g_test_add_func("/plan/cudnn-into-existing-toolkit", test_cudnn_into_existing_toolkit);
  g_test_add_func("/plan/bad-input", test_bad_input);
  g_test_add_func("/plan/deterministic", test_deterministic);
  int rc = g_test_run();
  cup_catalog_free(catalog);
  return rc;
}
