/* test_txn_outside.c - changes an install makes outside its toolkit root (the environment's
 * profile files) journaled in its transaction: undone by a rollback and by the recovery after
 * a crash, kept by a commit, and never acted on from a journal another user wrote. */
#include "core/error.h"
#include "core/txn.h"

#include "support/txnscene.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A root with NVIDIA's tree and, beside it, a "home" with a CRLF rc file of mode 0640. */
typedef struct {
  char *root, *home, *rc, *newdir, *newfile;
  char *tree_before;
} Scene;

static const char RC[] = "# mine\r\nexport EDITOR=vi\r\nno final newline";

static Scene *scene_new(void)
{
  Scene *s = g_new0(Scene, 1);
  s->root = cup_test_txn_nvidia_root();
  s->home = cup_test_make_root();
  cup_test_write(s->home, ".bashrc", RC);
  s->rc = g_build_filename(s->home, ".bashrc", NULL);
  g_assert_cmpint(g_chmod(s->rc, 0640), ==, 0);
  s->newdir = g_build_filename(s->home, ".config", NULL);
  s->newfile = g_build_filename(s->newdir, "env.sh", NULL);
  s->tree_before = cup_test_txn_snapshot(s->root);
  return s;
}

static void scene_free(Scene *s)
{
  cup_test_remove_tree(s->root);
  cup_test_remove_tree(s->home);
  g_free(s->root), g_free(s->home), g_free(s->rc), g_free(s->newdir), g_free(s->newfile);
  g_free(s->tree_before);
  g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Scene, scene_free)

static void journaled_write(CupTxn *txn, const char *path, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_txn_journal_outside(txn, CUP_TXN_OUTSIDE_FILE, path, &error));
  g_assert_no_error(error);
  g_assert_true(g_file_set_contents(path, text, -1, &error));
}

/* Install the package, then edit the rc file twice, create a directory and a file in it. */
static CupTxn *install_with_edits(const Scene *s)
{
  g_autoptr(GError) error = NULL;
  CupTxn *txn = cup_txn_begin(s->root, CUP_TEST_TXN_WHAT, 0, NULL, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) entries = cup_test_txn_stage_cudnn(cup_txn_staging_dir(txn), "v");
  g_assert_true(
      cup_txn_apply(txn, &cup_test_txn_package, cup_txn_staging_dir(txn), entries, NULL, &error));
  journaled_write(txn, s->rc, "first edit\n");
  g_assert_true(cup_txn_journal_outside(txn, CUP_TXN_OUTSIDE_DIR, s->newdir, &error));
  g_assert_cmpint(g_mkdir(s->newdir, 0700), ==, 0);
  journaled_write(txn, s->newfile, "export CUDA_HOME=/x\n");
  journaled_write(txn, s->rc, "second edit\n"); /* the first copy is the state to return to */
  return txn;
}

static void assert_home_as_before(const Scene *s)
{
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(s->rc, &text, NULL, NULL));
  g_assert_cmpstr(text, ==, RC);
  GStatBuf st;
  g_assert_cmpint(g_stat(s->rc, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 07777, ==, 0640);
  g_assert_false(g_file_test(s->newdir, G_FILE_TEST_EXISTS));
  g_autofree char *tree = cup_test_txn_snapshot(s->root);
  g_assert_cmpstr(tree, ==, s->tree_before);
}

/* Root installing for a user (HOME's files are the user's): the restored file is theirs. */
static void test_rollback(void)
{
  g_autoptr(Scene) s = scene_new();
  gboolean as_root = geteuid() == 0;
  if (as_root)
    g_assert_cmpint(chown(s->rc, 65534, 65534), ==, 0);
  else
    g_test_message("not root: the owner of the restored file is not tested");
  CupTxn *txn = install_with_edits(s);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_txn_rollback(txn, &error));
  g_assert_no_error(error);
  cup_txn_free(txn);
  assert_home_as_before(s);
  GStatBuf st;
  g_assert_cmpint(g_stat(s->rc, &st), ==, 0);
  if (as_root)
    g_assert_cmpint(st.st_uid, ==, 65534);
}

static void test_commit(void)
{
  g_autoptr(Scene) s = scene_new();
  CupTxn *txn = install_with_edits(s);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_txn_commit(txn, &error));
  g_assert_no_error(error);
  cup_txn_free(txn);
  g_autofree char *rc = NULL, *env = NULL;
  g_assert_true(g_file_get_contents(s->rc, &rc, NULL, NULL));
  g_assert_cmpstr(rc, ==, "second edit\n");
  g_assert_true(g_file_get_contents(s->newfile, &env, NULL, NULL));
  /* the copy of the rc file went with the cleanup; the two originals of the tree stay */
  cup_test_txn_assert_settled(s->root, 2);
}

/* The process dies after its edits, before the commit: the next cudaup puts them back. */
static void test_crash(void)
{
  g_autoptr(Scene) s = scene_new();
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) {
    install_with_edits(s);
    _exit(0); /* no rollback, no cleanup: as if killed; the kernel drops the lock */
  }
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  g_assert_true(cup_test_txn_exists(s->root, CUP_TXN_STATE_DIR "/journal"));
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_txn_recover(s->root, 0, &message, &error));
  g_assert_no_error(error);
  g_assert_nonnull(strstr(message, "it is as it was before"));
  assert_home_as_before(s);
  cup_test_txn_assert_settled(s->root, 0);
}

/* A journal in a root another user can write must not make us restore files elsewhere. */
static void test_untrusted_journal(void)
{
  if (geteuid() != 0) {
    g_test_skip("needs root, to give the journal to another user");
    return;
  }
  g_autoptr(Scene) s = scene_new();
  cup_test_write(s->root, CUP_TXN_STATE_DIR "/saved/t1/0", "planted\n");
  g_autofree char *line =
      g_strdup_printf("{\"op\":\"begin\",\"txn\":\"t1\",\"what\":\"install of x\"}\n"
                      "{\"op\":\"edit\",\"file\":\"%s\",\"saved\":\"saved/t1/0\"}\n",
                      s->rc);
  cup_test_write(s->root, CUP_TXN_STATE_DIR "/journal", line);
  g_autofree char *journal = g_build_filename(s->root, CUP_TXN_STATE_DIR, "journal", NULL);
  g_assert_cmpint(chown(journal, 65534, 65534), ==, 0);
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_txn_recover(s->root, 0, NULL, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
  g_autofree char *rc = NULL;
  g_assert_true(g_file_get_contents(s->rc, &rc, NULL, NULL));
  g_assert_cmpstr(rc, ==, RC);
  /* the same journal, ours: acted on */
  g_clear_error(&error);
  g_assert_cmpint(chown(journal, 0, 0), ==, 0);
  g_assert_true(cup_txn_recover(s->root, 0, NULL, &error));
  g_assert_no_error(error);
  g_clear_pointer(&rc, g_free);
  g_assert_true(g_file_get_contents(s->rc, &rc, NULL, NULL));
  g_assert_cmpstr(rc, ==, "planted\n");
}

static void test_refused(void)
{
  g_autoptr(Scene) s = scene_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(CupTxn) txn = cup_txn_begin(s->root, CUP_TEST_TXN_WHAT, 0, NULL, &error);
  g_assert_false(cup_txn_journal_outside(txn, CUP_TXN_OUTSIDE_FILE, "home/.bashrc", &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
  g_clear_error(&error);
  g_autofree char *dotted = g_strdup_printf("%s/../x", s->home);
  g_assert_false(cup_txn_journal_outside(txn, CUP_TXN_OUTSIDE_FILE, dotted, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
  g_clear_error(&error);
  /* a directory is not a file to copy */
  g_assert_false(cup_txn_journal_outside(txn, CUP_TXN_OUTSIDE_FILE, s->home, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_clear_error(&error);
  g_assert_true(cup_txn_commit(txn, &error));
  g_assert_false(cup_txn_journal_outside(txn, CUP_TXN_OUTSIDE_FILE, s->rc, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
}

/* A Windows registry snapshot is journaled as it is given; a Linux cudaup that meets such a
 * journal says where to finish it instead of guessing. */
static void test_registry_snapshot(void)
{
  g_autoptr(Scene) s = scene_new();
  g_autoptr(GError) error = NULL;
  CupTxn *txn = cup_txn_begin(s->root, CUP_TEST_TXN_WHAT, 0, NULL, &error);
  g_assert_no_error(error);
  g_assert_false(cup_txn_journal_registry(txn, "not json", &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
  g_clear_error(&error);
  const char *snap = "{\"scope\":\"user\",\"vars\":{\"Path\":{\"type\":2,\"value\":\"C:\\\\x\"}},"
                     "\"default\":null}";
  g_assert_true(cup_txn_journal_registry(txn, snap, &error));
  g_assert_no_error(error);
  g_autofree char *journal = cup_test_txn_read_text(s->root, CUP_TXN_STATE_DIR "/journal");
  g_assert_nonnull(strstr(journal, "{\"op\":\"winenv\",\"snapshot\":{"));
  g_assert_false(cup_txn_rollback(txn, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_UNSUPPORTED);
  g_assert_nonnull(strstr(error->message, "finish it on Windows"));
  g_assert_true(cup_test_txn_exists(s->root, CUP_TXN_STATE_DIR "/journal"));
  cup_txn_free(txn);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/txn/outside/rollback", test_rollback);
  g_test_add_func("/txn/outside/commit", test_commit);
  g_test_add_func("/txn/outside/crash", test_crash);
  g_test_add_func("/txn/outside/untrusted-journal", test_untrusted_journal);
  g_test_add_func("/txn/outside/refused", test_refused);
  g_test_add_func("/txn/outside/registry-snapshot", test_registry_snapshot);
  return g_test_run();
}
