/* test_wizard_model.c - the wizard's logic without widgets (wizard/wzmodel.h): choices into a
 * CupRequest, catalog versions, the newest that fits, and the words of the computer and plan
 * pages for the fixture machines. */
#include "wizard/wzmodel.h"

#include "core/detect.h"
#include "tests/testutil.h"
#include "tests/wizard_fixtures.h"

#include <string.h>

static CupCatalog *catalog;
static char *home;

static CupSystem *detect(gboolean nvidia)
{
  g_autofree char *root = wz_fixture_root(nvidia);
  CupDetectOptions o = {
      .root = root, .manifests_dir = CUP_TEST_MANIFESTS, .gpu_table = catalog->gpus};
  g_autoptr(GError) error = NULL;
  CupSystem *sys = cup_detect(&o, &error);
  g_assert_no_error(error);
  cup_test_remove_tree(root);
  return sys;
}

static gboolean has_line(const GPtrArray *lines, const char *needle)
{
  for (guint i = 0; i < lines->len; i++)
    if (strstr(g_ptr_array_index(lines, i), needle))
      return TRUE;
  return FALSE;
}

static void test_request_framework(void)
{
  WzChoices c = {.framework = CUP_FRAMEWORK_PYTORCH,
                 .version = g_strdup("2.5"),
                 .python = g_strdup("  "),
                 .cuda_pin = g_strdup(""),
                 .cudnn_pin = g_strdup("9.1"),
                 .mirror = g_strdup("http://lab/nvidia//"),
                 .user = FALSE};
  CupRequest r = {0};
  wz_choices_to_request(&c, TRUE, "/tmp/data", &r);
  g_assert_cmpint(r.framework, ==, CUP_FRAMEWORK_PYTORCH);
  g_assert_cmpstr(r.framework_version, ==, "2.5");
  g_assert_null(r.python); /* blank: not given */
  g_assert_null(r.cuda);
  g_assert_cmpstr(r.cudnn, ==, "9.1");
  g_assert_cmpstr(r.mirror, ==, "http://lab/nvidia");
  g_assert_false(r.user_scope); /* administrator, system scope chosen */
  g_assert_false(r.with_toolkit);
  cup_request_clear(&r);
  memset(&r, 0, sizeof r);
  wz_choices_to_request(&c, FALSE, "/tmp/data", &r);
  g_assert_true(r.user_scope); /* without administrator rights: always the user's */
  g_assert_cmpstr(r.user_data_dir, ==, "/tmp/data");
  cup_request_clear(&r);
  wz_choices_clear(&c);
}

static void test_request_cuda_development(void)
{
  WzChoices c = {.framework = CUP_FRAMEWORK_NONE, .version = g_strdup("12.4")};
  CupRequest r = {0};
  wz_choices_to_request(&c, FALSE, NULL, &r);
  g_assert_cmpstr(r.cuda, ==, "12.4");
  g_assert_null(r.framework_version);
  g_assert_true(r.with_toolkit);
  cup_request_clear(&r);
  memset(&r, 0, sizeof r);
  c.cuda_pin = g_strdup("12.1"); /* the Advanced pin wins */
  wz_choices_to_request(&c, FALSE, NULL, &r);
  g_assert_cmpstr(r.cuda, ==, "12.1");
  cup_request_clear(&r);
  wz_choices_clear(&c);
}

static void test_versions(void)
{
  g_auto(GStrv) torch = wz_versions(catalog, CUP_FRAMEWORK_PYTORCH, "linux");
  g_assert_cmpuint(g_strv_length(torch), ==, catalog->torch_releases->len);
  g_assert_cmpstr(torch[0], ==,
                  ((CupTorchRelease *)g_ptr_array_index(catalog->torch_releases, 0))->version);
  g_auto(GStrv) tf_win = wz_versions(catalog, CUP_FRAMEWORK_TENSORFLOW, "windows");
  for (char **v = tf_win; *v; v++)
    g_assert_nonnull(cup_catalog_tf_release(catalog, *v, "windows"));
  g_auto(GStrv) cuda = wz_versions(catalog, CUP_FRAMEWORK_NONE, "linux");
  g_assert_cmpuint(g_strv_length(cuda), >, 3);
  for (char **v = cuda; *v; v++) {
    g_auto(GStrv) parts = g_strsplit(*v, ".", -1);
    g_assert_cmpuint(g_strv_length(parts), ==, 2);         /* major.minor */
    g_assert_false(v > cuda && g_strcmp0(v[-1], *v) == 0); /* each once */
  }
}

static void test_laptop(void)
{
  g_autoptr(CupSystem) sys = detect(TRUE);
  g_autoptr(WzSystemView) v = wz_system_view_new(sys);
  g_assert_cmpuint(v->gpus->len, ==, 1);
  g_assert_true(has_line(v->gpus, "3070 Ti"));
  g_assert_true(has_line(v->gpus, "compute capability 8.6"));
  g_assert_nonnull(strstr(v->driver, "No NVIDIA driver"));
  g_assert_true(has_line(v->toolkits, "No CUDA Toolkit"));
  g_assert_false(has_line(v->warnings, "No NVIDIA graphics card"));

  WzChoices c = {.framework = CUP_FRAMEWORK_PYTORCH};
  g_auto(GStrv) versions = wz_versions(catalog, c.framework, "linux");
  int fit = wz_newest_fitting(sys, catalog, &c, FALSE, "/tmp/data", (const char *const *)versions);
  g_assert_cmpint(fit, >=, 0);
  c.version = g_strdup(versions[fit]);
  CupRequest r = {0};
  wz_choices_to_request(&c, FALSE, "/tmp/data", &r);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupPlan) plan = cup_plan_make(sys, catalog, &r, &error);
  g_assert_no_error(error);
  g_autoptr(WzPlanView) pv = wz_plan_view_new(plan, r.user_scope);
  const WzPlanRow *driver = g_ptr_array_index(pv->rows, 0);
  g_assert_cmpstr(driver->what, ==, "NVIDIA driver");
  g_assert_nonnull(strstr(driver->reason, plan->driver_minimum));
  const WzPlanRow *last = g_ptr_array_index(pv->rows, pv->rows->len - 1);
  g_assert_cmpstr(last->what, ==, "PyTorch");
  g_assert_nonnull(strstr(last->reason, "pip install torch"));
  g_assert_true(has_line(pv->admin, "NVIDIA driver needs administrator"));
  g_assert_cmpuint(pv->reasons->len, ==, plan->reasons->len);
  cup_request_clear(&r);
  wz_choices_clear(&c);
}

static void test_no_gpu(void)
{
  g_autoptr(CupSystem) sys = detect(FALSE);
  g_autoptr(WzSystemView) v = wz_system_view_new(sys);
  g_assert_cmpuint(v->gpus->len, ==, 0);
  g_assert_true(has_line(v->warnings, "No NVIDIA graphics card"));
  WzChoices c = {.framework = CUP_FRAMEWORK_PYTORCH};
  g_auto(GStrv) versions = wz_versions(catalog, c.framework, "linux");
  g_assert_cmpint(wz_newest_fitting(sys, catalog, &c, FALSE, NULL, (const char *const *)versions),
                  ==, -1);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_autoptr(GError) error = NULL;
  catalog = cup_catalog_load(CUP_TEST_MANIFESTS, NULL, &error);
  g_assert_no_error(error);
  home = g_dir_make_tmp("cup-wizard-home-XXXXXX", NULL);
  wz_fixture_environment(home);
  g_test_add_func("/wizard/model/request-framework", test_request_framework);
  g_test_add_func("/wizard/model/request-cuda-development", test_request_cuda_development);
  g_test_add_func("/wizard/model/versions", test_versions);
  g_test_add_func("/wizard/model/laptop", test_laptop);
  g_test_add_func("/wizard/model/no-gpu", test_no_gpu);
  int rc = g_test_run();
  cup_test_remove_tree(home);
  g_free(home);
  cup_catalog_free(catalog);
  return rc;
}
