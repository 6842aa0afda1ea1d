/* test_cli_env.c - `cudaup env show|apply|remove` as a user runs it, with HOME in a temp
 * directory and a toolkit tree made for the test: apply (twice) makes a new login shell find
 * the tree, --dry-run changes nothing, show says what is set, remove leaves HOME as it was, and
 * bad input is a one-line usage error. */
#include "tests/support/treelist.h"
#include "tests/support/txnscene.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

/* `cudaup env ARGS...` with HOME=@home (bash as the login shell). */
static CupTestRun env_cmd(const char *home, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)CUP_TEST_CLI);
  g_ptr_array_add(argv, (char *)"env");
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add(argv, (char *)*a);
  g_ptr_array_add(argv, NULL);
  g_auto(GStrv) env = g_get_environ();
  env = g_environ_setenv(env, "HOME", home, TRUE);
  env = g_environ_setenv(env, "SHELL", "/bin/bash", TRUE);
  env = g_environ_unsetenv(env, "XDG_CONFIG_HOME");
  g_autofree char *state = g_strconcat(home, ".state", NULL); /* the log, outside HOME */
  env = g_environ_setenv(env, "XDG_STATE_HOME", state, TRUE);
  return cup_test_run((const char *const *)argv->pdata, (const char *const *)env);
}

/* A toolkit tree detection recognises: version.json and bin/nvcc. */
static char *make_toolkit(const char *dir)
{
  char *root = g_build_filename(dir, "cuda-12.4", NULL);
  cup_test_write(root, "version.json",
                 "{\"cuda\": {\"name\": \"CUDA SDK\", \"version\": "
                 "\"12.4.1\"}}");
  cup_test_write(root, "bin/nvcc", "#!/bin/sh\necho nvcc\n");
  g_autofree char *nvcc = g_build_filename(root, "bin", "nvcc", NULL);
  g_assert_cmpint(g_chmod(nvcc, 0755), ==, 0);
  return root;
}

static void test_apply_show_remove(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *home = g_build_filename(dir, "home", NULL);
  g_autofree char *root = make_toolkit(dir);
  cup_test_write(home, ".profile", "export EDITOR=vi\r\nexport PAGER=less");
  g_autofree char *before = cup_test_tree_snapshot(home);

  const char *dry[] = {"apply", "--prefix", root, "--scope", "user", "--dry-run", NULL};
  g_auto(CupTestRun) d = env_cmd(home, dry);
  g_assert_cmpint(d.status, ==, 0);
  g_assert_nonnull(strstr(d.out, "+++ "));
  g_autofree char *unchanged = cup_test_tree_snapshot(home);
  g_assert_cmpstr(unchanged, ==, before);

  const char *apply[] = {"apply", "--prefix", root, "--scope", "user", NULL};
  g_auto(CupTestRun) a1 = env_cmd(home, apply);
  g_assert_cmpint(a1.status, ==, 0);
  g_auto(CupTestRun) a2 = env_cmd(home, apply);
  g_assert_cmpint(a2.status, ==, 0);
  g_assert_nonnull(strstr(a2.out, "already so"));

  g_autofree char *cmd =
      g_strdup_printf("env -i HOME='%s' bash -lc 'command -v nvcc; echo \"$CUDA_HOME\"'", home);
  g_autofree char *out = NULL;
  g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL));
  g_autofree char *want = g_strdup_printf("%s/bin/nvcc\n%s\n", root, root);
  g_assert_cmpstr(out, ==, want);

  const char *show[] = {"show", "--scope", "user", NULL};
  g_auto(CupTestRun) s = env_cmd(home, show);
  g_assert_cmpint(s.status, ==, 0);
  g_autofree char *says = g_strdup_printf("12.4 at %s", root);
  g_assert_nonnull(strstr(s.out, says));

  /* --set-default: the "cuda" link beside the root follows, a dry run only says so */
  g_autofree char *link = g_build_filename(dir, "cuda", NULL);
  const char *dry_link[] = {"apply", "--prefix",      root,        "--scope",
                            "user",  "--set-default", "--dry-run", NULL};
  g_auto(CupTestRun) dl = env_cmd(home, dry_link);
  g_assert_cmpint(dl.status, ==, 0);
  g_assert_nonnull(strstr(dl.out, "would point"));
  g_assert_false(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
  const char *with_link[] = {"apply", "--prefix", root, "--scope", "user", "--set-default", NULL};
  g_auto(CupTestRun) l = env_cmd(home, with_link);
  g_assert_cmpint(l.status, ==, 0);
  g_autofree char *target = g_file_read_link(link, NULL);
  g_assert_cmpstr(target, ==, root);

  const char *remove[] = {"remove", "--scope", "user", NULL};
  g_auto(CupTestRun) r = env_cmd(home, remove);
  g_assert_cmpint(r.status, ==, 0);
  g_autofree char *profile = cup_test_txn_read_text(home, ".profile");
  g_assert_cmpstr(profile, ==, "export EDITOR=vi\r\nexport PAGER=less");
  g_assert_false(cup_test_txn_exists(home, ".bashrc"));
  cup_test_remove_tree(dir);
}

static void test_bad_input(void)
{
  g_autofree char *dir = cup_test_make_root();
  const char *bad_scope[] = {"apply", "--scope", "everyone", NULL};
  g_auto(CupTestRun) a = env_cmd(dir, bad_scope);
  g_assert_cmpint(a.status, ==, 2);
  g_assert_nonnull(strstr(a.err, "user or system"));
  const char *no_action[] = {"switch", NULL};
  g_auto(CupTestRun) b = env_cmd(dir, no_action);
  g_assert_cmpint(b.status, ==, 2);
  g_autofree char *nowhere = g_build_filename(dir, "no-toolkit", NULL);
  const char *missing[] = {"apply", "--prefix", nowhere, "--scope", "user", NULL};
  g_auto(CupTestRun) c = env_cmd(dir, missing);
  g_assert_cmpint(c.status, ==, 12);
  g_assert_nonnull(strstr(c.err, "--prefix DIR"));
  cup_test_remove_tree(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli-env/apply-show-remove", test_apply_show_remove);
  g_test_add_func("/cli-env/bad-input", test_bad_input);
  return g_test_run();
}
