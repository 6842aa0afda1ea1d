/* test_install.c - `cudaup install` and `cudaup uninstall` end to end through the command line,
 * against a mirror in NVIDIA's layout built from real files (tests/support/mirror) reached as
 * file:// (the HTTPS path with nginx is test_install_real): the round trip, the answers file and
 * the report, cuDNN alone into a toolkit NVIDIA's installer made, a kill -9 at every crash point
 * of an install, and two installs into one root at once. */
#include "core/system.h"
#include "core/txn.h"
#include "tests/support/mirror.h"
#include "tests/support/testcatalog.h"
#include "tests/support/txnscene.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  char *dir;     /* everything of the test lives below */
  char *mirror;  /* file:// URL of the mirror root */
  char *catalog; /* the catalog that pins the mirror's manifests */
  char *cache;
  char *root; /* the toolkit root to install into (not created) */
} Scene;

static Scene *scene_new(void)
{
  Scene *s = g_new0(Scene, 1);
  s->dir = cup_test_make_root();
  g_autofree char *mirror_root = g_build_filename(s->dir, "mirror", NULL);
  g_autoptr(CupTestMirror) m = cup_test_mirror_build(mirror_root, "13.0.0", "9.13.0");
  s->mirror = g_strconcat("file://", mirror_root, NULL);
  s->catalog = g_build_filename(s->dir, "catalog", NULL);
  cup_test_catalog_for_mirror(CUP_TEST_MANIFESTS, s->catalog, m->cuda_manifest, m->cudnn_manifest);
  s->cache = g_build_filename(s->dir, "cache", NULL);
  s->root = g_build_filename(s->dir, "T", NULL);
  return s;
}

static void scene_free(Scene *s)
{
  cup_test_remove_tree(s->dir);
  g_free(s->dir), g_free(s->mirror), g_free(s->catalog), g_free(s->cache), g_free(s->root);
  g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Scene, scene_free)

/* argv for `cudaup --catalog C install --silent --cuda 13.0 --cudnn 9.13 --prefix T --mirror M
 * --cache K --skip-check -q --env-scope none` plus @more (NULL-terminated); the environment is
 * tested on its own, with HOME in the scene. The proof is skipped: the mirror's
 * libcudnn is the machine's 9.19 one under a 9.13 name; test_install_real proves. */
static GPtrArray *install_argv(const Scene *s, const char *const *more)
{
  GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
  const char *base[] = {CUP_TEST_CLI,   "--catalog", s->catalog,    "install", "--silent",
                        "--cuda",       "13.0",      "--cudnn",     "9.13",    "--prefix",
                        s->root,        "--mirror",  s->mirror,     "--cache", s->cache,
                        "--skip-check", "-q",        "--env-scope", "none",    NULL};
  for (const char *const *p = base; *p; p++)
    g_ptr_array_add(a, g_strdup(*p));
  for (const char *const *p = more; p && *p; p++)
    g_ptr_array_add(a, g_strdup(*p));
  g_ptr_array_add(a, NULL);
  return a;
}

/* Runs @argv; with @crash_at, killed at that crash point; with @home, HOME is that directory
 * (and the login shell bash, XDG_CONFIG_HOME unset), so the environment goes there. */
static CupTestRun run_argv_home(GPtrArray *argv, const char *crash_at, const char *home)
{
  g_auto(GStrv) env = g_get_environ();
  if (crash_at)
    env = g_environ_setenv(env, CUP_TXN_CRASH_ENV, crash_at, TRUE);
  if (home) {
    env = g_environ_setenv(env, "HOME", home, TRUE);
    env = g_environ_setenv(env, "SHELL", "/bin/bash", TRUE);
    env = g_environ_unsetenv(env, "XDG_CONFIG_HOME");
  }
  return cup_test_run((const char *const *)argv->pdata, (const char *const *)env);
}

static CupTestRun run_argv(GPtrArray *argv, const char *crash_at)
{
  return run_argv_home(argv, crash_at, NULL);
}

static CupTestRun install(const Scene *s, const char *const *more)
{
  g_autoptr(GPtrArray) argv = install_argv(s, more);
  return run_argv(argv, NULL);
}

static CupTestRun uninstall(const Scene *s, const char *what, const char *version)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  const char *args[] = {CUP_TEST_CLI, "uninstall", "--prefix", s->root, what, version, NULL};
  for (const char *const *p = args; *p; p++)
    g_ptr_array_add(argv, (char *)*p);
  g_ptr_array_add(argv, NULL);
  return run_argv(argv, NULL);
}

static json_t *load_json(const char *path)
{
  json_error_t jerr;
  json_t *j = json_load_file(path, 0, &jerr);
  if (j == NULL)
    g_error("%s: %s", path, jerr.text);
  return j;
}

/* Install, install again (a no-op), uninstall: the tree is back to nothing but its root, and
 * the report of the first run says what happened. */
static void test_round_trip(void)
{
  g_autoptr(Scene) s = scene_new();
  g_autofree char *report = g_build_filename(s->dir, "report.json", NULL);
  const char *more[] = {"--report", report, NULL};
  g_auto(CupTestRun) first = install(s, more);
  g_assert_cmpint(first.status, ==, 0);
  g_assert_nonnull(strstr(first.out, "Installed cuda-13.0 and cudnn-9.13 into"));
  g_assert_true(cup_test_txn_exists(s->root, "lib64/libcudart.so.13"));
  g_assert_true(cup_test_txn_exists(s->root, "lib64/libcudnn.so"));
  g_assert_true(cup_test_txn_exists(s->root, CUP_TXN_STATE_DIR "/installs/cudnn-9.13.json"));
  cup_test_txn_assert_settled(s->root, 0);
  g_autofree char *after = cup_test_txn_snapshot(s->root);

  g_autoptr(json_t) r = load_json(report);
  g_assert_true(json_is_true(json_object_get(json_object_get(r, "result"), "ok")));
  json_t *done = json_object_get(r, "done");
  g_assert_cmpuint(json_array_size(json_object_get(done, "packages")), ==, 2);
  g_assert_cmpstr(json_string_value(json_object_get(done, "root")), ==, s->root);
  g_assert_nonnull(json_object_get(json_object_get(r, "machine"), "os"));
  g_assert_true(json_is_array(json_object_get(json_object_get(r, "plan"), "archives")));
  g_assert_cmpuint(json_array_size(json_object_get(r, "choices")), >, 0);

  g_auto(CupTestRun) again = install(s, NULL);
  g_assert_cmpint(again.status, ==, 0);
  g_assert_nonnull(strstr(again.out, "already installed"));
  g_autofree char *same = cup_test_txn_snapshot(s->root);
  g_assert_cmpstr(same, ==, after);

  g_auto(CupTestRun) gone = uninstall(s, "--all", NULL);
  g_assert_cmpint(gone.status, ==, 0);
  g_assert_nonnull(strstr(gone.out, "Uninstalled cudnn-9.13"));
  g_assert_nonnull(strstr(gone.out, "Uninstalled cuda-13.0"));
  g_autofree char *listing = cup_test_txn_snapshot(s->root);
  g_assert_cmpstr(listing, ==, "");
  g_assert_false(cup_test_txn_exists(s->root, CUP_TXN_STATE_DIR));
}

/* --set-default points the "cuda" link beside the root at it (replacing an older link
 * atomically); a real directory of that name is never replaced. */
static void test_set_default(void)
{
  g_autoptr(Scene) s = scene_new();
  g_autofree char *link = g_build_filename(s->dir, "cuda", NULL);
  g_assert_cmpint(symlink("/opt/cuda-11.8", link), ==, 0);
  const char *more[] = {"--set-default", NULL};
  g_auto(CupTestRun) r = install(s, more);
  g_assert_cmpint(r.status, ==, 0);
  g_autofree char *target = g_file_read_link(link, NULL);
  g_assert_cmpstr(target, ==, s->root);
  g_assert_nonnull(strstr(r.out, "now points at"));

  g_autoptr(Scene) d = scene_new();
  g_autofree char *dir = g_build_filename(d->dir, "cuda", NULL);
  g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
  g_auto(CupTestRun) kept = install(d, more);
  g_assert_cmpint(kept.status, ==, 0);
  g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR) && !g_file_test(dir, G_FILE_TEST_IS_SYMLINK));
  g_assert_nonnull(strstr(kept.err, "not replaced"));
}

/* The environment at user scope: after the install a new login shell finds the tree's nvcc and
 * libraries; uninstalling the toolkit takes the environment away, leaving HOME as it was. */
static void test_environment(void)
{
  g_autoptr(Scene) s = scene_new();
  g_autofree char *home = g_build_filename(s->dir, "home", NULL);
  const char *profile = "# the user's own profile\nexport EDITOR=vi\n";
  cup_test_write(home, ".profile", profile);
  const char *more[] = {"--env-scope", "user", NULL};
  g_autoptr(GPtrArray) argv = install_argv(s, more);
  g_auto(CupTestRun) r = run_argv_home(argv, NULL, home);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "Environment (user scope)"));
  g_autofree char *script = g_strdup_printf("env -i HOME='%s' bash -lc 'command -v nvcc; "
                                            "echo \"$LD_LIBRARY_PATH\"; echo \"$CUDA_HOME\"'",
                                            home);
  g_autofree char *out = NULL;
  int wait = 0;
  g_assert_true(g_spawn_command_line_sync(script, &out, NULL, &wait, NULL));
  g_autofree char *want = g_strdup_printf("%s/bin/nvcc\n%s/lib64\n%s\n", s->root, s->root, s->root);
  g_assert_cmpstr(out, ==, want);
  g_autoptr(GPtrArray) un = g_ptr_array_new();
  const char *args[] = {CUP_TEST_CLI, "uninstall", "--prefix", s->root, "--all", NULL};
  for (const char *const *p = args; *p; p++)
    g_ptr_array_add(un, (char *)*p);
  g_ptr_array_add(un, NULL);
  g_auto(CupTestRun) gone = run_argv_home(un, NULL, home);
  g_assert_cmpint(gone.status, ==, 0);
  g_assert_nonnull(strstr(gone.out, "is no longer the default"));
  /* the user's file as it was; what cudaup created is gone (the log and ~/.config stay) */
  g_autofree char *now = cup_test_txn_read_text(home, ".profile");
  g_assert_cmpstr(now, ==, profile);
  g_assert_false(cup_test_txn_exists(home, ".bashrc"));
  g_assert_false(cup_test_txn_exists(home, ".config/cudaup"));
}

/* --dry-run creates nothing, not even the root; --json gives the engine's result. */
static void test_dry_run(void)
{
  g_autoptr(Scene) s = scene_new();
  const char *more[] = {"--dry-run", "--json", NULL};
  g_auto(CupTestRun) r = install(s, more);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_false(g_file_test(s->root, G_FILE_TEST_EXISTS));
  g_autoptr(json_t) j = json_loads(r.out, 0, NULL);
  g_assert_nonnull(j);
  g_assert_true(json_is_true(json_object_get(j, "dry_run")));
  g_assert_cmpuint(json_array_size(json_object_get(j, "archives")), ==, 3);
}

/* Every key of the answers file stands for its option, relative paths from the file's
 * directory, and the log names where each choice came from. */
static void test_answers_file(void)
{
  g_autoptr(Scene) s = scene_new();
  g_autofree char *answers = g_build_filename(s->dir, "lab.ini", NULL);
  g_autofree char *text = g_strdup_printf("[install]\ncuda = 13.0\ncudnn = 9.13\nprefix = T\n"
                                          "mirror = %s\ncache = cache\nskip-check = true\n"
                                          "env-scope = none\n",
                                          s->mirror);
  g_assert_true(g_file_set_contents(answers, text, -1, NULL));
  g_autofree char *log = g_build_filename(s->dir, "cudaup.log", NULL);
  const char *args[] = {CUP_TEST_CLI, "--catalog", s->catalog,  "--log", log, "install",
                        "--silent",   "-q",        "--answers", answers, NULL};
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  for (const char *const *p = args; *p; p++)
    g_ptr_array_add(argv, (char *)*p);
  g_ptr_array_add(argv, NULL);
  g_auto(CupTestRun) r = run_argv(argv, NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_true(cup_test_txn_exists(s->root, CUP_TXN_STATE_DIR "/installs/cuda-13.0.json"));
  g_autofree char *logged = NULL;
  g_assert_true(g_file_get_contents(log, &logged, NULL, NULL));
  g_assert_nonnull(strstr(logged, "install choice: cuda = 13.0 (answers file"));
  g_assert_nonnull(strstr(logged, "install choice: silent = true (command line)"));
}

/* A toolkit NVIDIA's installer made: cuDNN alone goes into it, its own files stay as they are,
 * and uninstalling cuDNN gives back exactly the tree there was. */
static void test_cudnn_into_nvidia_toolkit(void)
{
  g_autoptr(Scene) s = scene_new();
  cup_test_txn_nvidia_tree(s->root);
  cup_test_write(s->root, "version.json",
                 "{\"cuda\": {\"name\": \"CUDA SDK\", \"version\": "
                 "\"13.0.2\"}}");
  g_autofree char *before = cup_test_txn_snapshot(s->root);
  g_autoptr(GPtrArray) argv = install_argv(s, NULL);
  /* no --cuda: drop "--cuda" "13.0" */
  g_ptr_array_remove_range(argv, 5, 2);
  g_auto(CupTestRun) r = run_argv(argv, NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(strstr(r.out, "Installed cudnn-9.13 into"));
  g_assert_false(cup_test_txn_exists(s->root, CUP_TXN_STATE_DIR "/installs/cuda-13.0.json"));
  g_autofree char *nvcc = cup_test_txn_read_text(s->root, "bin/nvcc");
  g_assert_cmpstr(nvcc, ==, "nvcc of the toolkit");
  /* lib64 links to targets/x86_64-linux/lib: the libraries went there, through the link */
  g_assert_true(cup_test_txn_exists(s->root, "targets/x86_64-linux/lib/libcudnn.so.9"));
  g_auto(CupTestRun) gone = uninstall(s, "--cudnn", "9.13");
  g_assert_cmpint(gone.status, ==, 0);
  g_autofree char *after = cup_test_txn_snapshot(s->root);
  g_assert_cmpstr(after, ==, before);
}

/* What the environment of user scope consists of in @home: each file's content or "absent". */
static char *home_state(const char *home)
{
  const char *files[] = {".profile", ".bashrc", ".config/cudaup/env.sh", ".config/cudaup"};
  GString *out = g_string_new(NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *path = g_build_filename(home, files[i], NULL);
    g_autofree char *text = NULL;
    if (g_file_test(path, G_FILE_TEST_IS_DIR))
      g_string_append_printf(out, "%s: dir\n", files[i]);
    else if (g_file_get_contents(path, &text, NULL, NULL))
      g_string_append_printf(out, "%s:\n%s\n", files[i], text);
    else
      g_string_append_printf(out, "%s: absent\n", files[i]);
  }
  return g_string_free(out, FALSE);
}

typedef struct {
  char *tree, *home; /* snapshots */
} InstallState;

static void install_state_clear(InstallState *st)
{
  g_free(st->tree);
  g_free(st->home);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(InstallState, install_state_clear)

static const char *const WITH_ENV[] = {"--env-scope", "user", NULL};

/* home_state with the scene directory written SCENE: two scenes compare equal when the same
 * files say the same, only their directories differ. */
static char *home_state_in(const Scene *s, const char *home)
{
  g_autofree char *state = home_state(home);
  g_autoptr(GString) text = g_string_new(state);
  g_string_replace(text, s->dir, "SCENE", 0);
  return g_string_free(g_steal_pointer(&text), FALSE);
}

/* The tree and HOME after an install with the environment into a fresh scene like @s's. */
static void installed_state(InstallState *st)
{
  g_autoptr(Scene) ref = scene_new();
  cup_test_txn_nvidia_tree(ref->root);
  g_autofree char *home = g_build_filename(ref->dir, "home", NULL);
  cup_test_write(home, ".profile", "export EDITOR=vi\n");
  g_autoptr(GPtrArray) argv = install_argv(ref, WITH_ENV);
  g_auto(CupTestRun) r = run_argv_home(argv, NULL, home);
  g_assert_cmpint(r.status, ==, 0);
  st->tree = cup_test_txn_snapshot(ref->root);
  st->home = home_state_in(ref, home);
}

/* kill -9 at every crash point of an install (with the environment at user scope) into a
 * toolkit NVIDIA's installer made: after the recovery the next command makes, the tree and
 * HOME are both as before or both as after, never a mix, and the lock is free; then the
 * install finishes. */
static void test_kill_at_every_step(void)
{
  g_autoptr(Scene) s = scene_new();
  cup_test_txn_nvidia_tree(s->root);
  g_autofree char *home = g_build_filename(s->dir, "home", NULL);
  cup_test_write(home, ".profile", "export EDITOR=vi\n");
  g_auto(InstallState) before = {cup_test_txn_snapshot(s->root), home_state_in(s, home)};
  g_auto(InstallState) after = {NULL, NULL};
  installed_state(&after);
  g_assert_cmpstr(before.tree, !=, after.tree);
  g_assert_cmpstr(before.home, !=, after.home);
  guint killed = 0, n_before = 0, n_after = 0;
  for (guint step = 1;; step++) {
    g_autofree char *at = g_strdup_printf("%u", step);
    g_autoptr(GPtrArray) argv = install_argv(s, WITH_ENV);
    g_auto(CupTestRun) r = run_argv_home(argv, at, home);
    if (r.status == 0)
      break;
    g_assert_cmpint(r.status, ==, 128 + SIGKILL);
    killed++;
    g_autofree char *said = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(cup_txn_recover(s->root, 0, &said, &error));
    g_assert_no_error(error);
    cup_test_txn_assert_lock_free(s->root);
    g_autofree char *tree = cup_test_txn_snapshot(s->root);
    g_autofree char *env = home_state_in(s, home);
    if (strcmp(tree, before.tree) == 0) {
      g_assert_cmpstr(env, ==, before.home);
      n_before++;
    } else {
      g_assert_cmpstr(tree, ==, after.tree);
      g_assert_cmpstr(env, ==, after.home);
      n_after++;
      g_autoptr(GPtrArray) un = g_ptr_array_new();
      const char *args[] = {CUP_TEST_CLI, "uninstall", "--prefix", s->root, "--all", NULL};
      for (const char *const *p = args; *p; p++)
        g_ptr_array_add(un, (char *)*p);
      g_ptr_array_add(un, NULL);
      g_auto(CupTestRun) back = run_argv_home(un, NULL, home);
      g_assert_cmpint(back.status, ==, 0);
      g_autofree char *undone = cup_test_txn_snapshot(s->root);
      g_assert_cmpstr(undone, ==, before.tree);
      g_autofree char *env_undone = home_state_in(s, home);
      g_assert_cmpstr(env_undone, ==, before.home);
    }
    g_assert_cmpuint(step, <, 2000);
  }
  g_test_message("killed at %u points: %u left the tree and HOME as before, %u as after", killed,
                 n_before, n_after);
  g_assert_cmpuint(killed, >, 10);
  g_assert_cmpuint(n_before, >, 0);
  g_assert_cmpuint(n_after, >, 0);
  g_autofree char *final = cup_test_txn_snapshot(s->root);
  g_assert_cmpstr(final, ==, after.tree);
  g_autofree char *final_env = home_state_in(s, home);
  g_assert_cmpstr(final_env, ==, after.home);
}

/* Two installs into one root at once: both end well (one installs, the other waits for the
 * lock and finds it installed) or the second exits with the lock's code; the tree is whole. */
static void test_two_at_once(void)
{
  g_autoptr(Scene) s = scene_new();
  g_autoptr(GPtrArray) argv = install_argv(s, NULL);
  GPid pids[2];
  for (int i = 0; i < 2; i++) {
    g_autoptr(GError) error = NULL;
    g_spawn_async(NULL, (char **)argv->pdata, NULL,
                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                      G_SPAWN_STDERR_TO_DEV_NULL,
                  NULL, NULL, &pids[i], &error);
    g_assert_no_error(error);
  }
  int ok = 0;
  for (int i = 0; i < 2; i++) {
    int wait = 0;
    g_assert_cmpint(waitpid(pids[i], &wait, 0), ==, pids[i]);
    g_assert_true(WIFEXITED(wait));
    int code = WEXITSTATUS(wait);
    g_assert_true(code == 0 || code == 8);
    ok += code == 0;
  }
  g_assert_cmpint(ok, >=, 1);
  cup_test_txn_assert_settled(s->root, 0);
  cup_test_txn_assert_lock_free(s->root);
  g_auto(CupTestRun) again = install(s, NULL);
  g_assert_nonnull(strstr(again.out, "already installed"));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/install/round-trip", test_round_trip);
  g_test_add_func("/install/dry-run", test_dry_run);
  g_test_add_func("/install/set-default", test_set_default);
  g_test_add_func("/install/environment", test_environment);
  g_test_add_func("/install/answers-file", test_answers_file);
  g_test_add_func("/install/cudnn-into-nvidia-toolkit", test_cudnn_into_nvidia_toolkit);
  g_test_add_func("/install/kill-at-every-step", test_kill_at_every_step);
  g_test_add_func("/install/two-at-once", test_two_at_once);
  return g_test_run();
}
