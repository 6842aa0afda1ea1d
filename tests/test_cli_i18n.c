/* test_cli_i18n.c - the cudaup program in Korean (LANGUAGE=ko with a UTF-8 locale): --help, a
 * command's option descriptions, a plan and a usage error read in Korean, while the exit codes,
 * the JSON output and the English default stay as they are. */
#include "tests/testutil.h"

#include <jansson.h>
#include <string.h>

/* A fixture root: the laptop of tests/test_cli.c (RTX 3070 Ti Laptop GPU, no driver). */
static char *laptop_root(void)
{
  char *root = cup_test_make_root();
  cup_test_write(root, "etc/os-release",
                 "ID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n");
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

/* Our environment with HOME in @root and, when @korean, the Korean catalog of this build. */
static GStrv environment(const char *root, gboolean korean)
{
  g_autofree char *bin = g_path_get_dirname(CUP_TEST_CLI);
  g_autofree char *build = g_path_get_dirname(bin);
  g_autofree char *localedir = g_build_filename(build, "locale", NULL);
  GStrv env = g_get_environ();
  env = g_environ_setenv(env, "HOME", root, TRUE);
  env = g_environ_setenv(env, "CUDAUP_LOCALEDIR", localedir, TRUE);
  env = g_environ_setenv(env, "LC_ALL", "C.UTF-8", TRUE);
  if (korean)
    env = g_environ_setenv(env, "LANGUAGE", "ko", TRUE);
  else
    env = g_environ_unsetenv(env, "LANGUAGE");
  return env;
}

/* Runs `cudaup @args...` with --root, --catalog, --log and --cache set where @with_root. */
static CupTestRun run_cli(const char *root, gboolean korean, gboolean with_root,
                          const char *const *args)
{
  g_autofree char *log = g_build_filename(root, "cudaup.log", NULL);
  g_autofree char *cache = g_build_filename(root, "cache", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)CUP_TEST_CLI);
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add(argv, (gpointer)*a);
  if (with_root) {
    const char *extra[] = {"--root", root, "--catalog", CUP_TEST_MANIFESTS,
                           "--log",  log,  "--cache",   cache};
    for (gsize i = 0; i < G_N_ELEMENTS(extra); i++)
      g_ptr_array_add(argv, (gpointer)extra[i]);
  }
  g_ptr_array_add(argv, NULL);
  g_auto(GStrv) env = environment(root, korean);
  return cup_test_run((const char *const *)argv->pdata, (const char *const *)env);
}

static void test_help(void)
{
  g_autofree char *root = cup_test_make_root();
  const char *args[] = {"--help", NULL};
  g_auto(CupTestRun) ko = run_cli(root, TRUE, FALSE, args);
  g_assert_cmpint(ko.status, ==, 0);
  g_assert_true(g_str_has_prefix(ko.out, "사용법: cudaup COMMAND [OPTIONS]\n"));
  g_assert_nonnull(strstr(ko.out, "  plan       맞는 드라이버, CUDA 툴킷, cuDNN"));
  g_assert_nonnull(strstr(ko.out, "종료 코드:\n"));
  /* the exit-code names are stable ids: the same in every language */
  g_assert_nonnull(strstr(ko.out, "no-compatible-versions"));
  g_auto(CupTestRun) en = run_cli(root, FALSE, FALSE, args);
  g_assert_cmpint(en.status, ==, 0);
  g_assert_true(g_str_has_prefix(en.out, "Usage: cudaup COMMAND [OPTIONS]\n"));
  cup_test_remove_tree(root);
}

/* GOption shows the command's summary and the descriptions of its options in Korean. */
static void test_command_help(void)
{
  g_autofree char *root = cup_test_make_root();
  const char *args[] = {"plan", "--help-all", NULL};
  g_auto(CupTestRun) run = run_cli(root, TRUE, FALSE, args);
  g_assert_cmpint(run.status, ==, 0);
  g_assert_nonnull(
      strstr(run.out, "plan - 드라이버, CUDA 툴킷, cuDNN, 프레임워크 빌드를 고릅니다"));
  g_assert_nonnull(strstr(run.out, "계획 대상 Python 버전"));
  g_assert_nonnull(strstr(run.out, "모든 명령 공통 옵션:"));
  g_assert_nonnull(strstr(run.out, "결과를 안정된 형식의 JSON으로 출력합니다"));
  cup_test_remove_tree(root);
}

static void test_plan(void)
{
  g_autofree char *root = laptop_root();
  const char *args[] = {"plan",     "--os", "windows", "--framework", "tensorflow==2.10",
                        "--python", "3.10", NULL};
  g_auto(CupTestRun) run = run_cli(root, TRUE, TRUE, args);
  g_assert_cmpint(run.status, ==, 0);
  g_assert_nonnull(strstr(run.out, "용 계획, windows"));
  g_assert_nonnull(strstr(run.out, "\n드라이버   "));
  g_assert_nonnull(strstr(run.out, "\n이유\n"));
  /* --json stays English and stable whatever the language */
  const char *json_args[] = {"plan",     "--json",      "--os",
                             "windows",  "--framework", "tensorflow==2.10",
                             "--python", "3.10",        NULL};
  g_auto(CupTestRun) ko = run_cli(root, TRUE, TRUE, json_args);
  g_auto(CupTestRun) en = run_cli(root, FALSE, TRUE, json_args);
  g_assert_cmpint(ko.status, ==, 0);
  g_assert_cmpstr(ko.out, ==, en.out);
  json_t *doc = json_loads(ko.out, 0, NULL);
  g_assert_nonnull(doc);
  g_assert_cmpstr(json_string_value(json_object_get(json_object_get(doc, "driver"), "action")), ==,
                  "install");
  json_decref(doc);
  cup_test_remove_tree(root);
}

/* Errors read in Korean; the exit code and the --json error code do not change. */
static void test_errors(void)
{
  g_autofree char *root = laptop_root();
  const char *bogus[] = {"detect", "--bogus", NULL};
  g_auto(CupTestRun) bad = run_cli(root, TRUE, TRUE, bogus);
  g_assert_cmpint(bad.status, ==, 2);
  g_assert_true(g_str_has_prefix(bad.err, "cudaup: 오류: "));
  g_assert_nonnull(strstr(bad.err, "--bogus"));
  g_assert_nonnull(strstr(bad.err, "옵션은 'cudaup detect --help'로 확인하십시오\n"));
  const char *unknown[] = {"frobnicate", NULL};
  g_auto(CupTestRun) cmd = run_cli(root, TRUE, FALSE, unknown);
  g_assert_cmpint(cmd.status, ==, 2);
  g_assert_cmpstr(cmd.err, ==,
                  "cudaup: 오류: 알 수 없는 명령 'frobnicate'. 명령 목록은 'cudaup --help'로 "
                  "확인하십시오\n");
  const char *framework[] = {"plan", "--framework", "caffe", "--json", NULL};
  g_auto(CupTestRun) fw = run_cli(root, TRUE, TRUE, framework);
  g_assert_cmpint(fw.status, ==, 2);
  json_t *doc = json_loads(fw.out, 0, NULL);
  g_assert_nonnull(doc);
  json_t *error = json_object_get(doc, "error");
  g_assert_cmpstr(json_string_value(json_object_get(error, "code")), ==, "usage");
  g_assert_nonnull(strstr(json_string_value(json_object_get(error, "message")), "이어야 합니다"));
  json_decref(doc);
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli-i18n/help", test_help);
  g_test_add_func("/cli-i18n/command-help", test_command_help);
  g_test_add_func("/cli-i18n/plan", test_plan);
  g_test_add_func("/cli-i18n/errors", test_errors);
  return g_test_run();
}
