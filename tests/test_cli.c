/* test_cli.c - the cudaup program as a user runs it: exit codes, error lines, --json. */
#include "tests/testutil.h"

#include <gio/gio.h>
#include <jansson.h>
#include <string.h>

typedef struct {
  int status;
  char *out;
  char *err;
} Run;

static void run_free(Run *r)
{
  g_free(r->out);
  g_free(r->err);
}

/* Runs the CLI with a log file in a temp dir (so tests never write to the real home). */
static Run run_cli(const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)CUP_TEST_CLI);
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add(argv, (gpointer)*a);
  g_ptr_array_add(argv, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc =
      g_subprocess_newv((const char *const *)argv->pdata,
                        G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error(error);
  Run r = {0};
  g_subprocess_communicate_utf8(proc, NULL, NULL, &r.out, &r.err, &error);
  g_assert_no_error(error);
  r.status = g_subprocess_get_exit_status(proc);
  return r;
}

static char *tmp_log(void)
{
  return g_build_filename(g_get_tmp_dir(), "cudaup-test-cli.log", NULL);
}

static void test_help_lists_exit_codes(void)
{
  const char *args[] = {"--help", NULL};
  Run r = run_cli(args);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "detect"));
  g_assert_nonnull(strstr(r.out, "Exit codes:"));
  g_assert_nonnull(strstr(r.out, "no-compatible-versions"));
  run_free(&r);
}

static void test_version(void)
{
  const char *args[] = {"--version", NULL};
  Run r = run_cli(args);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_true(g_str_has_prefix(r.out, "cudaup "));
  run_free(&r);
}

static void test_usage_errors(void)
{
  g_autofree char *log = tmp_log();
  const char *unknown[] = {"frobnicate", NULL};
  Run r = run_cli(unknown);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "unknown command 'frobnicate'"));
  g_assert_nonnull(strstr(r.err, "cudaup --help"));
  g_assert_null(strchr(strchr(r.err, '\n') + 1, '\n')); /* one line */
  run_free(&r);
  const char *bad_option[] = {"detect", "--log", log, "--bogus", NULL};
  r = run_cli(bad_option);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "--bogus"));
  run_free(&r);
  const char *extra[] = {"detect", "--log", log, "extra", NULL};
  r = run_cli(extra);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "unexpected argument 'extra'"));
  run_free(&r);
  const char *none[] = {NULL};
  r = run_cli(none);
  g_assert_cmpint(r.status, ==, 2);
  run_free(&r);
}

static void test_unwritable_log_is_io_error(void)
{
  const char *args[] = {"detect", "--log", "/proc/cudaup-cannot-write-here/log", NULL};
  Run r = run_cli(args);
  g_assert_cmpint(r.status, ==, 6);
  g_assert_nonnull(strstr(r.err, "--log FILE"));
  run_free(&r);
}

static char *laptop_root(void)
{
  char *root = cup_test_make_root();
  cup_test_write(root, "etc/os-release",
                 "ID=ubuntu\nVERSION_ID=\"22.04\"\n"
                 "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n");
  const char *files[][2] = {{"vendor", "0x10de"},
                            {"device", "0x24e0"},
                            {"subsystem_vendor", "0x1043"},
                            {"subsystem_device", "0x16c2"},
                            {"class", "0x030000"}};
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *rel = g_strdup_printf("sys/bus/pci/devices/0000:01:00.0/%s", files[i][0]);
    cup_test_write(root, rel, files[i][1]);
  }
  return root;
}

static void test_detect_json_on_fixture_root(void)
{
  g_autofree char *root = laptop_root();
  g_autofree char *log = tmp_log();
  g_autofree char *pci_ids = cup_test_fixture("pci.ids/pci.ids");
  const char *args[] = {"detect", "--json", "--root",    root,    "--catalog", CUP_TEST_MANIFESTS,
                        "--log",  log,      "--pci-ids", pci_ids, NULL};
  Run r = run_cli(args);
  g_assert_cmpint(r.status, ==, 0);
  json_error_t jerr;
  json_t *doc = json_loads(r.out, 0, &jerr);
  g_assert_nonnull(doc);
  json_t *gpus = json_object_get(doc, "gpus");
  g_assert_cmpuint(json_array_size(gpus), ==, 1);
  json_t *gpu = json_array_get(gpus, 0);
  g_assert_cmpstr(json_string_value(json_object_get(gpu, "pci_id")), ==, "10de:24e0");
  g_assert_cmpstr(json_string_value(json_object_get(gpu, "chip")), ==, "GA104");
  g_assert_cmpstr(json_string_value(json_object_get(gpu, "architecture")), ==, "Ampere");
  g_assert_cmpstr(json_string_value(json_object_get(gpu, "compute_capability")), ==, "8.6");
  g_assert_true(json_is_null(json_object_get(gpu, "memory_mib")));
  g_assert_true(json_is_array(json_object_get(gpu, "sources")));
  json_t *driver = json_object_get(doc, "driver");
  g_assert_true(json_is_null(json_object_get(driver, "version")));
  g_assert_true(json_is_array(json_object_get(doc, "toolkits")));
  json_t *os = json_object_get(doc, "os");
  g_assert_cmpstr(json_string_value(json_object_get(os, "distribution")), ==, "ubuntu");
  g_assert_cmpstr(json_string_value(json_object_get(os, "version")), ==, "22.04");
  g_assert_nonnull(json_object_get(doc, "secure_boot"));
  g_assert_nonnull(json_object_get(doc, "nouveau_loaded"));
  g_assert_true(json_is_array(json_object_get(doc, "warnings")));
  json_decref(doc);
  run_free(&r);
  cup_test_remove_tree(root);
}

static void test_detect_text_on_fixture_root(void)
{
  g_autofree char *root = laptop_root();
  g_autofree char *log = tmp_log();
  const char *args[] = {"--root",           root,    "detect", "--catalog",
                        CUP_TEST_MANIFESTS, "--log", log,      NULL};
  Run r = run_cli(args);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "GPU 0"));
  g_assert_nonnull(strstr(r.out, "compute capability 8.6"));
  g_assert_nonnull(strstr(r.out, "Driver   none installed"));
  run_free(&r);
  cup_test_remove_tree(root);
}

static void test_bad_catalog_exit_code(void)
{
  g_autofree char *root = laptop_root();
  g_autofree char *catalog = cup_test_make_root();
  g_autofree char *log = tmp_log();
  cup_test_write(catalog, "gpus.json", "{ not json");
  const char *args[] = {"detect", "--json", "--root", root, "--catalog",
                        catalog,  "--log",  log,      NULL};
  Run r = run_cli(args);
  g_assert_cmpint(r.status, ==, 10);
  json_t *doc = json_loads(r.out, 0, NULL);
  g_assert_nonnull(doc);
  g_assert_cmpstr(json_string_value(json_object_get(json_object_get(doc, "error"), "code")), ==,
                  "catalog");
  json_decref(doc);
  run_free(&r);
  cup_test_remove_tree(root);
  cup_test_remove_tree(catalog);
}

static void test_real_machine_text(void)
{
  g_autofree char *log = tmp_log();
  if (!g_file_test("/usr/local/cuda-13.0/include/cudnn_version.h", G_FILE_TEST_EXISTS)) {
    g_test_skip("no CUDA 13.0 toolkit with cuDNN at /usr/local/cuda-13.0 on this machine");
    return;
  }
  const char *args[] = {"detect", "--log", log, NULL};
  Run r = run_cli(args);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "13.0 at /usr/local/cuda-13.0"));
  g_assert_nonnull(strstr(r.out, "cuDNN 9.19.0"));
  run_free(&r);
}

/* `cudaup plan` on the fixture laptop (RTX 3070 Ti Laptop GPU, no driver). */
static Run run_plan(const char *root, const char *const *extra)
{
  g_autofree char *log = tmp_log();
  g_autofree char *cache = g_build_filename(root, "cache", NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  const char *base[] = {"plan",  "--root", root,      "--catalog", CUP_TEST_MANIFESTS,
                        "--log", log,      "--cache", cache};
  for (gsize i = 0; i < G_N_ELEMENTS(base); i++)
    g_ptr_array_add(args, (gpointer)base[i]);
  for (const char *const *e = extra; *e; e++)
    g_ptr_array_add(args, (gpointer)*e);
  g_ptr_array_add(args, NULL);
  return run_cli((const char *const *)args->pdata);
}

static void test_plan_json(void)
{
  g_autofree char *root = laptop_root();
  const char *extra[] = {"--json",           "--os",     "windows", "--framework",
                         "tensorflow==2.10", "--python", "3.10",    NULL};
  Run r = run_plan(root, extra);
  g_assert_cmpint(r.status, ==, 0);
  json_t *doc = json_loads(r.out, 0, NULL);
  g_assert_nonnull(doc);
  json_t *cuda = json_object_get(doc, "cuda");
  g_assert_cmpstr(json_string_value(json_object_get(cuda, "version")), ==, "11.2");
  g_assert_true(json_is_true(json_object_get(cuda, "required")));
  json_t *cudnn = json_object_get(doc, "cudnn");
  g_assert_true(g_str_has_prefix(json_string_value(json_object_get(cudnn, "version")), "8.1"));
  json_t *fw = json_object_get(doc, "framework");
  g_assert_cmpstr(json_string_value(json_object_get(fw, "pip_command")), ==,
                  "pip install tensorflow-gpu==2.10.0");
  json_t *driver = json_object_get(doc, "driver");
  g_assert_cmpstr(json_string_value(json_object_get(driver, "action")), ==, "install");
  g_assert_cmpstr(json_string_value(json_object_get(json_object_get(doc, "gpu"), "pci_id")), ==,
                  "10de:24e0");
  g_assert_true(json_array_size(json_object_get(doc, "reasons")) >= 4);
  json_decref(doc);
  run_free(&r);
  cup_test_remove_tree(root);
}

static void test_plan_errors(void)
{
  g_autofree char *root = laptop_root();
  const struct {
    const char *args[6];
    int status;
    const char *says;
  } cases[] = {
      {{"--os", "windows", "--framework", "tensorflow==2.15", NULL}, 3, "use WSL2"},
      {{"--pci", "10de:ffff", NULL}, 12, "10de:ffff"},
      {{"--cuda", "12.x", NULL}, 2, "--cuda"},
      {{"--framework", "caffe", NULL}, 2, "pytorch[==VERSION]"},
      {{"--framework", "pytorch==9.9", NULL}, 12, "cudaup list frameworks"},
      {{"--pci", "10de:102d", "--cuda", "12.1", NULL}, 3, "Kepler"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    Run r = run_plan(root, cases[i].args);
    g_test_message("%s", r.err);
    g_assert_cmpint(r.status, ==, cases[i].status);
    g_assert_nonnull(strstr(r.err, cases[i].says));
    g_assert_true(g_str_has_prefix(r.err, "cudaup: error: "));
    g_assert_cmpstr(strchr(r.err, '\n'), ==, "\n"); /* exactly one line */
    run_free(&r);
  }
  cup_test_remove_tree(root);
}

static void test_plan_corrupt_catalog(void)
{
  g_autofree char *root = laptop_root();
  g_autofree char *catalog = cup_test_make_root();
  const char *files[] = {"gpus.json", "cudnn.json", "pytorch.json", "tensorflow.json"};
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *src = g_build_filename(CUP_TEST_MANIFESTS, files[i], NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(src, &text, NULL, NULL));
    cup_test_write(catalog, files[i], text);
  }
  g_autofree char *src = g_build_filename(CUP_TEST_MANIFESTS, "cuda.json", NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(src, &text, &len, NULL));
  text[len / 2] = '\0'; /* truncated */
  cup_test_write(catalog, "cuda.json", text);
  g_autofree char *log = tmp_log();
  const char *args[] = {"plan", "--root", root, "--catalog", catalog, "--log", log, NULL};
  Run r = run_cli(args);
  g_assert_cmpint(r.status, ==, 10);
  g_assert_nonnull(strstr(r.err, "manifests/cuda.json: "));
  run_free(&r);
  cup_test_remove_tree(root);
  cup_test_remove_tree(catalog);
}

static void test_list(void)
{
  g_autofree char *log = tmp_log();
  const char *gpus[] = {"list",  "gpus", "--json", "--catalog", CUP_TEST_MANIFESTS,
                        "--log", log,    NULL};
  Run r = run_cli(gpus);
  g_assert_cmpint(r.status, ==, 0);
  json_t *doc = json_loads(r.out, 0, NULL);
  g_assert_true(json_array_size(doc) > 1000);
  gboolean found = FALSE;
  size_t i;
  json_t *row;
  json_array_foreach(doc, i, row)
  {
    if (g_strcmp0(json_string_value(json_object_get(row, "pci_id")), "10de:102d") == 0) {
      g_assert_cmpstr(json_string_value(json_object_get(row, "legacy_branch")), ==, "470");
      found = TRUE;
    }
  }
  g_assert_true(found);
  json_decref(doc);
  run_free(&r);
  const char *what[] = {"cuda", "cudnn", "drivers", "frameworks"};
  for (gsize k = 0; k < G_N_ELEMENTS(what); k++) {
    const char *args[] = {"list", what[k], "--catalog", CUP_TEST_MANIFESTS, "--log", log, NULL};
    Run t = run_cli(args);
    g_assert_cmpint(t.status, ==, 0);
    g_assert_true(strlen(t.out) > 100);
    run_free(&t);
  }
  const char *bad[] = {"list", "bogus", "--log", log, NULL};
  Run b = run_cli(bad);
  g_assert_cmpint(b.status, ==, 2);
  g_assert_nonnull(strstr(b.err, "gpus, cuda, cudnn, drivers or frameworks"));
  run_free(&b);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/help", test_help_lists_exit_codes);
  g_test_add_func("/cli/version", test_version);
  g_test_add_func("/cli/usage-errors", test_usage_errors);
  g_test_add_func("/cli/unwritable-log", test_unwritable_log_is_io_error);
  g_test_add_func("/cli/detect-json-fixture", test_detect_json_on_fixture_root);
  g_test_add_func("/cli/detect-text-fixture", test_detect_text_on_fixture_root);
  g_test_add_func("/cli/bad-catalog", test_bad_catalog_exit_code);
  g_test_add_func("/cli/this-machine", test_real_machine_text);
  g_test_add_func("/cli/plan-json", test_plan_json);
  g_test_add_func("/cli/plan-errors", test_plan_errors);
  g_test_add_func("/cli/plan-corrupt-catalog", test_plan_corrupt_catalog);
  g_test_add_func("/cli/list", test_list);
  return g_test_run();
}
