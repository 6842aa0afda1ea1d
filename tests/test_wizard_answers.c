/* test_wizard_answers.c - "Save answers…" and `cudaup-wizard --silent` (wizard/wzanswers.h):
 * the choices made in the wizard, saved as an answers file, replayed unattended by
 * cudaup-wizard --silent from a file:// mirror into a temp prefix (a real install with the
 * user's environment in a temp HOME), with no display; the plan page's disk-space figure.
 * Needs no display: DISPLAY and WAYLAND_DISPLAY are removed for every run. */
#include "tests/support/mirror.h"
#include "tests/support/testcatalog.h"
#include "tests/testutil.h"
#include "tests/wizard_fixtures.h"

#include "core/detect.h"
#include "core/engine.h"
#include "core/error.h"
#include "core/txn.h"
#include "wizard/wzanswers.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  char *dir, *mirror, *catalog, *root, *home;
} Scene;

static Scene *scene_new(void)
{
  Scene *s = g_new0(Scene, 1);
  s->dir = cup_test_make_root();
  g_autofree char *mirror_root = g_build_filename(s->dir, "mirror", NULL);
  g_autoptr(CupTestMirror) m = cup_test_mirror_build(mirror_root, "13.0.0", "9.13.0");
  s->mirror = g_strconcat("file://", mirror_root, "/", NULL);
  s->catalog = g_build_filename(s->dir, "catalog", NULL);
  cup_test_catalog_for_mirror(CUP_TEST_MANIFESTS, s->catalog, m->cuda_manifest, m->cudnn_manifest);
  s->root = g_build_filename(s->dir, "prefix", "cuda-13.0", NULL);
  s->home = g_build_filename(s->dir, "home", NULL);
  g_assert_cmpint(g_mkdir_with_parents(s->home, 0700), ==, 0);
  return s;
}

static void scene_free(Scene *s)
{
  cup_test_remove_tree(s->dir);
  g_free(s->dir), g_free(s->mirror), g_free(s->catalog), g_free(s->root), g_free(s->home);
  g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Scene, scene_free)

/* What a student picks for CUDA development on the laptop, with the mirror and a prefix. */
static void lab_choices(const Scene *s, WzChoices *c)
{
  c->framework = CUP_FRAMEWORK_NONE;
  c->version = g_strdup("13.0");
  c->cudnn_pin = g_strdup(" 9.13 ");
  c->prefix = g_strdup(s->root);
  c->user = TRUE;
  c->mirror = g_strdup(s->mirror);
}

/* The environment of a run: no display at all, HOME in the scene, the CLI the test built. */
static GStrv run_env(const Scene *s, const char *cli)
{
  GStrv env = g_get_environ();
  env = g_environ_unsetenv(env, "DISPLAY");
  env = g_environ_unsetenv(env, "WAYLAND_DISPLAY");
  env = g_environ_setenv(env, "HOME", s->home, TRUE);
  env = g_environ_setenv(env, "SHELL", "/bin/bash", TRUE);
  env = g_environ_unsetenv(env, "XDG_CONFIG_HOME");
  env = g_environ_setenv(env, "CUDAUP_CLI", cli, TRUE);
  return env;
}

static CupTestRun run_wizard(const Scene *s, const char *answers, const char *cli)
{
  g_auto(GStrv) env = run_env(s, cli);
  const char *argv[] = {
      CUP_TEST_WIZARD, "--silent", "--catalog", s->catalog, answers ? "--answers" : NULL,
      answers,         NULL};
  return cup_test_run(argv, (const char *const *)env);
}

static char *file_text(const char *path)
{
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

/* Every choice given becomes its key; blanks and "newest that fits" stay out; paths absolute. */
static void test_text(void)
{
  WzChoices c = {.framework = CUP_FRAMEWORK_PYTORCH,
                 .version = g_strdup("2.5"),
                 .python = g_strdup("3.11"),
                 .cuda_pin = g_strdup(""),
                 .prefix = g_strdup("lab/cuda"),
                 .offline_dir = g_strdup("~/bundle"),
                 .user = FALSE};
  g_autofree char *text = wz_answers_text(&c, TRUE);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_assert_true(g_key_file_load_from_data(kf, text, -1, G_KEY_FILE_NONE, NULL));
  g_autofree char *fw = g_key_file_get_value(kf, "install", "framework", NULL);
  g_assert_cmpstr(fw, ==, "pytorch==2.5");
  g_autofree char *py = g_key_file_get_value(kf, "install", "python", NULL);
  g_assert_cmpstr(py, ==, "3.11");
  g_assert_false(g_key_file_has_key(kf, "install", "cuda", NULL));
  g_assert_false(g_key_file_has_key(kf, "install", "with-toolkit", NULL));
  g_assert_false(g_key_file_has_key(kf, "install", "user", NULL));
  g_autofree char *scope = g_key_file_get_value(kf, "install", "env-scope", NULL);
  g_assert_cmpstr(scope, ==, "system");
  g_autofree char *prefix = g_key_file_get_value(kf, "install", "prefix", NULL);
  g_autofree char *want = g_build_filename(g_get_current_dir(), "lab", "cuda", NULL);
  g_assert_cmpstr(prefix, ==, want);
  g_autofree char *offline = g_key_file_get_value(kf, "install", "offline", NULL);
  g_autofree char *home_bundle = g_build_filename(g_get_home_dir(), "bundle", NULL);
  g_assert_cmpstr(offline, ==, home_bundle);
  wz_choices_clear(&c);
  /* Not an administrator: the scope is the user's whatever the Advanced switch says. */
  WzChoices dev = {.framework = CUP_FRAMEWORK_NONE, .version = g_strdup("12.4")};
  g_autofree char *dev_text = wz_answers_text(&dev, FALSE);
  g_assert_nonnull(strstr(dev_text, "\nwith-toolkit = true\n"));
  g_assert_nonnull(strstr(dev_text, "\ncuda = 12.4\n"));
  g_assert_nonnull(strstr(dev_text, "\nuser = true\nenv-scope = user\n"));
  g_assert_null(strstr(dev_text, "framework"));
  wz_choices_clear(&dev);
}

/* Saved answers replayed by `cudaup-wizard --silent` install for real, with no display: the
 * toolkit's install record, cuDNN, and the user's environment in HOME; a second replay finds
 * everything installed. */
static void test_replay_installs(void)
{
  g_autoptr(Scene) s = scene_new();
  WzChoices c = {0};
  lab_choices(s, &c);
  g_autofree char *answers = g_build_filename(s->dir, "lab.ini", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(wz_answers_save(&c, FALSE, answers, &error));
  g_assert_no_error(error);
  wz_choices_clear(&c);
  /* What only a test adds: its own cache, and no proof (the mirror's libraries are stand-ins). */
  g_autofree char *saved = file_text(answers);
  g_autofree char *more = g_strconcat(saved, "cache = cache\nskip-check = true\n", NULL);
  g_assert_true(g_file_set_contents(answers, more, -1, NULL));

  g_auto(CupTestRun) r = run_wizard(s, answers, CUP_TEST_CLI);
  g_assert_cmpint(r.status, ==, 0);
  g_autofree char *record =
      g_build_filename(s->root, CUP_TXN_STATE_DIR, "installs", "cuda-13.0.json", NULL);
  g_assert_true(g_file_test(record, G_FILE_TEST_IS_REGULAR));
  g_autofree char *cudnn =
      g_build_filename(s->root, CUP_TXN_STATE_DIR, "installs", "cudnn-9.13.json", NULL);
  g_assert_true(g_file_test(cudnn, G_FILE_TEST_IS_REGULAR));
  g_autofree char *env_sh = g_build_filename(s->home, ".config", "cudaup", "env.sh", NULL);
  g_autofree char *env = file_text(env_sh);
  g_assert_nonnull(strstr(env, s->root));
  g_autofree char *bashrc = g_build_filename(s->home, ".bashrc", NULL);
  g_autofree char *rc = file_text(bashrc);
  g_assert_nonnull(strstr(rc, "cudaup/env.sh"));

  g_auto(CupTestRun) again = run_wizard(s, answers, CUP_TEST_CLI);
  g_assert_cmpint(again.status, ==, 0);
  g_assert_nonnull(strstr(again.out, "already"));
}

/* The wizard exits as the CLI does: a bad answers file is a usage error (2) from both, with
 * the same message, and nothing is installed. */
static void test_exit_codes(void)
{
  g_autoptr(Scene) s = scene_new();
  g_autofree char *answers = g_build_filename(s->dir, "bad.ini", NULL);
  g_assert_true(g_file_set_contents(answers, "[install]\ncolour = red\n", -1, NULL));
  g_auto(CupTestRun) w = run_wizard(s, answers, CUP_TEST_CLI);
  g_auto(GStrv) env = run_env(s, CUP_TEST_CLI);
  const char *cli[] = {CUP_TEST_CLI, "--catalog", s->catalog, "install",
                       "--silent",   "--answers", answers,    NULL};
  g_auto(CupTestRun) c = cup_test_run(cli, (const char *const *)env);
  g_assert_cmpint(w.status, ==, cup_error_exit_code_for(CUP_ERROR_USAGE));
  g_assert_cmpint(c.status, ==, w.status);
  g_assert_cmpstr(w.err, ==, c.err);
  g_assert_nonnull(strstr(w.err, "colour"));
  g_assert_false(g_file_test(s->root, G_FILE_TEST_EXISTS));

  /* --answers without --silent would open a window: refused before any display is needed. */
  g_auto(GStrv) env2 = run_env(s, CUP_TEST_CLI);
  const char *no_silent[] = {CUP_TEST_WIZARD, "--answers", answers, NULL};
  g_auto(CupTestRun) n = cup_test_run(no_silent, (const char *const *)env2);
  g_assert_cmpint(n.status, ==, cup_error_exit_code_for(CUP_ERROR_USAGE));
  g_assert_nonnull(strstr(n.err, "--silent"));

  /* No cudaup to run: one line saying what to install, the not-found exit code. */
  g_autofree char *missing = g_build_filename(s->dir, "no-such-cudaup", NULL);
  g_auto(CupTestRun) m = run_wizard(s, NULL, missing);
  g_assert_cmpint(m.status, ==, cup_error_exit_code_for(CUP_ERROR_NOT_FOUND));
  g_assert_nonnull(strstr(m.err, "no-such-cudaup"));
}

/* A value an answers file cannot hold, or a folder that cannot be written: an error naming
 * the fix, and the file as it was. */
static void test_save_errors(void)
{
  g_autoptr(Scene) s = scene_new();
  g_autofree char *answers = g_build_filename(s->dir, "keep.ini", NULL);
  g_assert_true(g_file_set_contents(answers, "[install]\ncuda = 12.4\n", -1, NULL));
  WzChoices c = {.framework = CUP_FRAMEWORK_NONE, .prefix = g_strdup("/opt/a\nb")};
  g_autoptr(GError) error = NULL;
  g_assert_false(wz_answers_save(&c, TRUE, answers, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
  g_autofree char *kept = file_text(answers);
  g_assert_cmpstr(kept, ==, "[install]\ncuda = 12.4\n");
  wz_choices_clear(&c);

  WzChoices ok = {.framework = CUP_FRAMEWORK_NONE};
  g_autofree char *nowhere = g_build_filename(s->dir, "no", "such", "dir", "a.ini", NULL);
  g_clear_error(&error);
  g_assert_false(wz_answers_save(&ok, TRUE, nowhere, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, nowhere));
}

/* The plan page's disk-space figure is the engine's own free-space rule for that plan. */
static void test_disk_space(void)
{
  g_autoptr(Scene) s = scene_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(CupCatalog) cat = cup_catalog_load(s->catalog, NULL, &error);
  g_assert_no_error(error);
  g_autofree char *root = wz_fixture_root(TRUE);
  CupDetectOptions o = {.root = root};
  g_autoptr(CupSystem) sys = cup_detect(&o, &error);
  g_assert_no_error(error);
  WzChoices c = {0};
  lab_choices(s, &c);
  CupRequest r = {0};
  wz_choices_to_request(&c, FALSE, s->home, &r);
  g_autoptr(CupPlan) plan = cup_plan_make(sys, cat, &r, &error);
  g_assert_no_error(error);
  g_autoptr(WzPlanView) v = wz_plan_view_new(plan, r.user_scope);
  guint64 archives = 0;
  for (guint i = 0; i < plan->archives->len; i++)
    archives += ((CupPlanArchive *)g_ptr_array_index(plan->archives, i))->size;
  g_assert_cmpuint(v->disk_bytes, ==, cup_engine_unpack_lower_bound(plan));
  g_assert_cmpuint(v->disk_bytes, >, archives);
  g_autofree char *size = g_format_size(v->disk_bytes);
  g_assert_nonnull(strstr(v->location, size));
  g_assert_nonnull(strstr(v->location, s->root));
  cup_request_clear(&r);
  wz_choices_clear(&c);
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_autofree char *home = g_dir_make_tmp("cup-wizard-answers-XXXXXX", NULL);
  wz_fixture_environment(home);
  g_test_add_func("/wizard/answers/text", test_text);
  g_test_add_func("/wizard/answers/replay-installs", test_replay_installs);
  g_test_add_func("/wizard/answers/exit-codes", test_exit_codes);
  g_test_add_func("/wizard/answers/save-errors", test_save_errors);
  g_test_add_func("/wizard/answers/disk-space", test_disk_space);
  int rc = g_test_run();
  cup_test_remove_tree(home);
  return rc;
}
