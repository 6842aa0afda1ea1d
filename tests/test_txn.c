/* test_txn.c - core/txn in one process on a real file system: commit into an empty root and
 * into a toolkit that NVIDIA's installer made, rollback, refused entries, uninstall from the
 * record, installing again, damaged state, and the free-space check. The tests with several
 * processes (kill -9 at every crash point, the lock, a full disk) are in test_txn_crash.c. */
#include "core/error.h"
#include "core/txn.h"
#include "tests/support/txnscene.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

/* ---- commit ---- */

static void test_commit_empty_root(void)
{
  g_autofree char *parent = cup_test_make_root();
  g_autofree char *root = g_build_filename(parent, "cuda-13.0", NULL);
  cup_test_txn_install(root);
  g_autofree char *snap = cup_test_txn_snapshot(root);
  g_autofree char *header = cup_test_txn_read_text(root, "include/cudnn.h");
  g_assert_cmpstr(header, ==, "cudnn.h of 9.19");
  g_autofree char *link = g_build_filename(root, "lib64/libcudnn.so", NULL);
  g_autofree char *target = g_file_read_link(link, NULL);
  g_assert_cmpstr(target, ==, "libcudnn.so.9");
  g_assert_nonnull(strstr(snap, "d share/doc/cudnn 755"));
  g_autoptr(GError) error = NULL;
  g_autoptr(CupTxnInstall) record = cup_txn_read_install(root, CUP_TEST_TXN_NAME, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(record->component, ==, "cudnn");
  g_assert_cmpstr(record->version, ==, "9.19.0.56");
  g_assert_cmpstr(record->archives[0], ==, cup_test_txn_archives[0]);
  g_assert_cmpuint(record->n_files, ==, 5);
  g_assert_cmpuint(record->n_symlinks, ==, 2);
  g_assert_cmpuint(record->n_dirs, ==, 5);
  g_assert_cmpuint(record->n_replaced, ==, 0);
  cup_test_txn_assert_settled(root, 0);
  cup_test_txn_assert_lock_free(root);
  cup_test_remove_tree(parent);
}

/* cuDNN into a toolkit cudaup did not install: lib64 is followed into targets/, the identical
 * header is neither replaced nor claimed, the different header and symlink are replaced and
 * their originals kept, and nothing else of the toolkit changes. */
static void test_commit_nvidia_root(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  cup_test_txn_install(root);
  g_autofree char *lib =
      cup_test_txn_read_text(root, "targets/x86_64-linux/lib/libcudnn.so.9.19.0");
  g_assert_cmpstr(lib, ==, "libcudnn 9.19.0");
  g_autofree char *header = cup_test_txn_read_text(root, "include/cudnn.h");
  g_assert_cmpstr(header, ==, "cudnn.h of 9.19");
  g_autofree char *nvcc = cup_test_txn_read_text(root, "bin/nvcc");
  g_assert_cmpstr(nvcc, ==, "nvcc of the toolkit");
  g_autoptr(GError) error = NULL;
  g_autoptr(CupTxnInstall) record = cup_txn_read_install(root, CUP_TEST_TXN_NAME, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(record->n_files, ==, 4); /* not same.h */
  g_assert_cmpuint(record->n_dirs, ==, 3);  /* share, share/doc, share/doc/cudnn */
  g_assert_cmpuint(record->n_replaced, ==, 2);
  g_autofree char *json =
      cup_test_txn_read_text(root, CUP_TXN_STATE_DIR "/installs/" CUP_TEST_TXN_NAME ".json");
  g_assert_null(strstr(json, "same.h"));
  g_assert_nonnull(strstr(json, "\"lib64/libcudnn.so.9.19.0\""));
  cup_test_txn_assert_settled(root, 2);
  cup_test_remove_tree(root);
}

/* ---- rollback ---- */

static void test_rollback(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  g_autofree char *before = cup_test_txn_snapshot(root);
  g_autoptr(GError) error = NULL;
  CupTxn *txn = cup_txn_begin(root, CUP_TEST_TXN_WHAT, 0, NULL, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) entries = cup_test_txn_stage_cudnn(cup_txn_staging_dir(txn), "v");
  g_assert_true(
      cup_txn_apply(txn, &cup_test_txn_package, cup_txn_staging_dir(txn), entries, NULL, &error));
  g_assert_true(cup_test_txn_exists(root, "share/doc/cudnn/LICENSE"));
  g_assert_true(cup_txn_rollback(txn, &error));
  g_assert_no_error(error);
  g_autofree char *after = cup_test_txn_snapshot(root);
  g_assert_cmpstr(after, ==, before);
  cup_txn_free(txn);
  g_assert_false(cup_test_txn_exists(root, CUP_TXN_STATE_DIR));
  cup_test_remove_tree(root);
}

/* A second apply that fails its checks; freeing the transaction undoes the first one too. */
static void test_rollback_on_error(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  g_autofree char *before = cup_test_txn_snapshot(root);
  g_autoptr(GError) error = NULL;
  CupTxn *txn = cup_txn_begin(root, CUP_TEST_TXN_WHAT, 0, NULL, &error);
  const char *staging = cup_txn_staging_dir(txn);
  g_autoptr(GPtrArray) entries = cup_test_txn_stage_cudnn(staging, "v");
  g_assert_true(cup_txn_apply(txn, &cup_test_txn_package, staging, entries, NULL, &error));
  g_autofree char *second = g_build_filename(staging, "second", NULL);
  g_autoptr(GPtrArray) more = g_ptr_array_new_with_free_func((GDestroyNotify)cup_txn_entry_free);
  g_ptr_array_add(more, cup_test_txn_stage_file(second, "include/extra.h", "extra"));
  g_ptr_array_add(more, cup_txn_entry_new(CUP_TXN_ENTRY_FILE, "include/absent.h", 0644,
                                          cup_test_txn_archives[0], 3, NULL));
  g_assert_false(cup_txn_apply(txn, &cup_test_txn_package, second, more, NULL, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "include/absent.h"));
  g_assert_false(cup_test_txn_exists(root, "include/extra.h"));
  g_clear_error(&error);
  g_assert_false(cup_txn_commit(txn, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTERNAL);
  cup_txn_free(txn);
  g_autofree char *after = cup_test_txn_snapshot(root);
  g_assert_cmpstr(after, ==, before);
  cup_test_remove_tree(root);
}

static void assert_refused(const char *root, CupTxnEntry *entry, int code, const char *phrase)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CupTxn) txn = cup_txn_begin(root, CUP_TEST_TXN_WHAT, 0, NULL, &error);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func((GDestroyNotify)cup_txn_entry_free);
  g_ptr_array_add(entries, entry);
  if (entry->type == CUP_TXN_ENTRY_SYMLINK && code != CUP_ERROR_INTEGRITY)
    cup_test_symlink(cup_txn_staging_dir(txn), entry->path, entry->link_target);
  g_assert_false(
      cup_txn_apply(txn, &cup_test_txn_package, cup_txn_staging_dir(txn), entries, NULL, &error));
  g_assert_error(error, CUP_ERROR, code);
  g_assert_nonnull(strstr(error->message, phrase));
}

static CupTxnEntry *file_entry(const char *path)
{
  return cup_txn_entry_new(CUP_TXN_ENTRY_FILE, path, 0644, cup_test_txn_archives[0], 1, NULL);
}

/* Unsafe entries and a root that cannot take them are refused before anything changes. */
static void test_refused(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  g_autofree char *outside = cup_test_make_root();
  cup_test_write(root, "include/dir.h/inside", "x");
  cup_test_symlink(root, "lib-out", outside);
  g_autofree char *before = cup_test_txn_snapshot(root);
  int integrity = CUP_ERROR_INTEGRITY;
  assert_refused(root, file_entry("../escape"), integrity, "../escape");
  assert_refused(root, file_entry("/etc/passwd"), integrity, "not a plain relative path");
  assert_refused(root, file_entry("a/./b"), integrity, "not a plain relative path");
  assert_refused(root, file_entry(".cudaup/installs/x.json"), integrity, ".cudaup/");
  assert_refused(root, cup_txn_entry_new(CUP_TXN_ENTRY_SYMLINK, "lib/a", 0777, NULL, 0, "../../x"),
                 integrity, "leads outside");
  assert_refused(root, cup_txn_entry_new(CUP_TXN_ENTRY_SYMLINK, "a", 0777, NULL, 0, "/etc"),
                 integrity, "leads outside");
  assert_refused(root,
                 cup_txn_entry_new(CUP_TXN_ENTRY_SYMLINK, "include/dir.h", 0777, NULL, 0, "x"),
                 CUP_ERROR_IO, "is a directory where the archive has a file");
  assert_refused(root, cup_test_txn_dir_entry("bin/nvcc"), CUP_ERROR_IO,
                 "is a file where the archive has a directory");
  assert_refused(root, cup_txn_entry_new(CUP_TXN_ENTRY_SYMLINK, "lib-out/x", 0777, NULL, 0, "y"),
                 CUP_ERROR_IO, "lib-out is a symlink that does not lead to a directory inside");
  g_autofree char *after = cup_test_txn_snapshot(root);
  g_assert_cmpstr(after, ==, before);
  g_assert_false(cup_test_txn_exists(root, CUP_TXN_STATE_DIR));
  cup_test_remove_tree(outside);
  cup_test_remove_tree(root);
}

/* ---- uninstall ---- */

static gboolean listed(GPtrArray *paths, const char *path)
{
  return g_ptr_array_find_with_equal_func(paths, path, g_str_equal, NULL);
}

static CupTxnUninstallReport *uninstall(const char *root)
{
  CupTxnUninstallReport *report = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_txn_uninstall(root, CUP_TEST_TXN_NAME, 0, &report, &error));
  g_assert_no_error(error);
  g_assert_null(report->recovered);
  return report;
}

/* Into an empty root and out again: nothing is left, not even .cudaup. */
static void test_uninstall_clean(void)
{
  g_autofree char *root = cup_test_make_root();
  cup_test_txn_install(root);
  g_autoptr(CupTxnUninstallReport) report = uninstall(root);
  g_assert_cmpuint(report->removed->len, ==, 12); /* 5 files, 2 symlinks, 5 directories */
  g_assert_cmpuint(report->kept->len + report->missing->len + report->restored->len, ==, 0);
  g_autofree char *snap = cup_test_txn_snapshot(root);
  g_assert_cmpstr(snap, ==, "");
  g_assert_false(cup_test_txn_exists(root, CUP_TXN_STATE_DIR));
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_txn_uninstall(root, CUP_TEST_TXN_NAME, 0, NULL, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_assert_false(cup_test_txn_exists(root, CUP_TXN_STATE_DIR));
  cup_test_remove_tree(root);
}

/* What the user changed stays and is reported; what was there before comes back; what cudaup
 * did not write is never touched. */
static void test_uninstall_keeps(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  cup_test_txn_install(root);
  cup_test_write(root, "include/cudnn_version.h", "edited by the user");
  g_autofree char *link = g_build_filename(root, "lib64/libcudnn.so", NULL);
  g_assert_cmpint(g_unlink(link), ==, 0);
  cup_test_symlink(root, "lib64/libcudnn.so", "libcudnn.so.9.19.0");
  cup_test_write(root, "share/doc/cudnn/NOTES", "the user's notes");
  cup_test_write(root, "include/mine.h", "the user's header");
  g_autofree char *license = g_build_filename(root, "share/doc/cudnn/LICENSE", NULL);
  g_assert_cmpint(g_unlink(license), ==, 0);
  g_autoptr(CupTxnUninstallReport) report = uninstall(root);
  g_assert_true(listed(report->kept, "include/cudnn_version.h"));
  g_assert_true(listed(report->kept, "lib64/libcudnn.so"));
  g_assert_cmpuint(report->kept->len, ==, 2);
  g_assert_true(listed(report->missing, "share/doc/cudnn/LICENSE"));
  g_assert_true(listed(report->restored, "include/cudnn.h"));
  g_assert_cmpuint(report->restored->len, ==, 1);
  g_assert_true(listed(report->removed, "lib64/libcudnn.so.9"));
  g_assert_false(listed(report->removed, "share/doc/cudnn"));
  g_autofree char *header = cup_test_txn_read_text(root, "include/cudnn.h");
  g_assert_cmpstr(header, ==, "a cudnn.h copied in by hand");
  g_autofree char *edited = cup_test_txn_read_text(root, "include/cudnn_version.h");
  g_assert_cmpstr(edited, ==, "edited by the user");
  g_assert_true(cup_test_txn_exists(root, "include/same.h"));
  g_assert_true(cup_test_txn_exists(root, "include/mine.h"));
  g_assert_true(cup_test_txn_exists(root, "share/doc/cudnn/NOTES"));
  g_assert_true(cup_test_txn_exists(root, "targets/x86_64-linux/lib/libcudart.so.13"));
  g_assert_false(cup_test_txn_exists(root, "targets/x86_64-linux/lib/libcudnn.so.9.19.0"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) installs = cup_txn_list_installs(root, &error);
  g_assert_cmpuint(installs->len, ==, 0);
  cup_test_txn_assert_settled(root, 1); /* the original libcudnn.so, behind the user's */
  ;
  cup_test_remove_tree(root);
}

/* ---- installing again ---- */

static void test_reinstall(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  g_autofree char *before = cup_test_txn_snapshot(root);
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_txn_is_installed(root, &cup_test_txn_package, &error));
  cup_test_txn_install(root);
  g_assert_true(cup_txn_is_installed(root, &cup_test_txn_package, &error));
  CupTxnPackage other = cup_test_txn_package;
  other.version = "9.19.1.2";
  g_assert_false(cup_txn_is_installed(root, &other, &error));
  const char *archives[] = {cup_test_txn_archives[0],
                            "2222222222222222222222222222222222222222222222222222222222222222",
                            NULL};
  other = cup_test_txn_package;
  other.archives = archives;
  g_assert_false(cup_txn_is_installed(root, &other, &error));
  g_assert_no_error(error);
  g_autofree char *once = cup_test_txn_snapshot(root);
  cup_test_txn_install(root);
  g_autofree char *twice = cup_test_txn_snapshot(root);
  g_assert_cmpstr(twice, ==, once);
  cup_test_txn_assert_settled(root, 2);
  /* A changed file of the package replaces cudaup's own: nothing more is kept. */
  g_assert_true(cup_test_txn_install_version(root, "#define CUDNN_MAJOR 9 /* patched */", &error));
  g_autoptr(CupTxnInstall) record = cup_txn_read_install(root, CUP_TEST_TXN_NAME, &error);
  g_assert_cmpuint(record->n_files, ==, 4);
  g_assert_cmpuint(record->n_replaced, ==, 2);
  cup_test_txn_assert_settled(root, 2);
  g_autofree char *lib = g_build_filename(root, "lib64/libcudnn.so.9.19.0", NULL);
  g_assert_cmpint(g_unlink(lib), ==, 0);
  g_assert_false(cup_txn_is_installed(root, &cup_test_txn_package, &error));
  g_autoptr(CupTxnUninstallReport) report = uninstall(root);
  g_autofree char *after = cup_test_txn_snapshot(root);
  g_assert_cmpstr(after, ==, before);
  cup_test_remove_tree(root);
}

/* ---- damaged state ---- */

static void test_damaged(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  cup_test_write(root, CUP_TXN_STATE_DIR "/installs/" CUP_TEST_TXN_NAME ".json",
                 "{\"format\": 1, \"name\":");
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_txn_read_install(root, CUP_TEST_TXN_NAME, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
  g_clear_error(&error);
  g_assert_null(cup_txn_list_installs(root, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
  g_clear_error(&error);
  g_assert_false(cup_txn_is_installed(root, &cup_test_txn_package, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
  g_clear_error(&error);
  /* A journal whose last line was cut: the cut line is ignored, the rest undone. */
  cup_test_write(root, "include/new.h", "half-installed");
  cup_test_write(root, CUP_TXN_STATE_DIR "/journal",
                 "{\"op\":\"begin\",\"txn\":\"t1\",\"what\":\"install of x\"}\n"
                 "{\"op\":\"add\",\"path\":\"include/new.h\"}\n{\"op\":\"add\",\"pa");
  g_autofree char *message = NULL;
  g_assert_true(cup_txn_recover(root, 0, &message, &error));
  g_autofree char *expected = g_strdup_printf(
      "recovered an interrupted install of x in %s: undid 1 change, it is as it was before", root);
  g_assert_cmpstr(message, ==, expected);
  g_assert_false(cup_test_txn_exists(root, "include/new.h"));
  /* A damaged line in the middle: nothing is guessed, the journal stays. */
  cup_test_write(root, CUP_TXN_STATE_DIR "/journal",
                 "{\"op\":\"begin\",\"txn\":\"t2\"}\nnot json\n{\"op\":\"add\",\"path\":\"a\"}\n");
  g_assert_false(cup_txn_recover(root, 0, NULL, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
  g_assert_nonnull(strstr(error->message, "line 2"));
  g_assert_true(cup_test_txn_exists(root, CUP_TXN_STATE_DIR "/journal"));
  cup_test_remove_tree(root);
}

/* ---- free space and a full disk ---- */

static void test_check_space(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree char *deep = g_build_filename(root, "not", "yet", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_txn_check_space(deep, 1, &error));
  g_assert_no_error(error);
  g_assert_false(cup_txn_check_space(deep, G_MAXUINT64 / 4, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_autofree char *start = g_strdup_printf("need 4.6 EB on %s, ", root);
  g_assert_true(g_str_has_prefix(error->message, start));
  g_assert_true(g_str_has_suffix(error->message, " free; free space or choose --prefix DIR"));
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/txn/commit/empty-root", test_commit_empty_root);
  g_test_add_func("/txn/commit/nvidia-root", test_commit_nvidia_root);
  g_test_add_func("/txn/rollback", test_rollback);
  g_test_add_func("/txn/rollback/on-error", test_rollback_on_error);
  g_test_add_func("/txn/refused", test_refused);
  g_test_add_func("/txn/uninstall/clean", test_uninstall_clean);
  g_test_add_func("/txn/uninstall/keeps", test_uninstall_keeps);
  g_test_add_func("/txn/reinstall", test_reinstall);
  g_test_add_func("/txn/damaged", test_damaged);
  g_test_add_func("/txn/check-space", test_check_space);
  return g_test_run();
}
