/* test_txn_crash.c - core/txn with real processes: a kill -9 at every crash point of an
 * install, of an uninstall and of a recovery, then recovery (the root is exactly as before or
 * as after, never a mix, and the lock is free); the lock between two processes; and a full
 * disk (a small tmpfs in a mount namespace of our own). */
#define _GNU_SOURCE
#include "core/error.h"
#include "core/txn.h"
#include "tests/support/txnscene.h"
#include "tests/testutil.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define SKIP_STATUS 77 /* a helper process could not set up its scene */
#define MAX_POINTS 400

/* ---- helper processes ---- */

static char *self_path(void)
{
  char *self = g_file_read_link("/proc/self/exe", NULL);
  g_assert_nonnull(self);
  return self;
}

/* Run this program as `MODE ROOT`, killed at crash point @crash (0: never). Returns the
 * finished process. */
static GSubprocess *spawn_helper(const char *mode, const char *root, guint crash)
{
  g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *value = g_strdup_printf("%u", crash);
  if (crash > 0)
    g_subprocess_launcher_setenv(launcher, CUP_TXN_CRASH_ENV, value, TRUE);
  g_autofree char *self = self_path();
  g_autoptr(GError) error = NULL;
  GSubprocess *child = g_subprocess_launcher_spawn(launcher, &error, self, mode, root, NULL);
  g_assert_no_error(error);
  return child;
}

/* Whether the helper ran to its end; asserts that otherwise it died by SIGKILL. */
static gboolean run_helper_at(const char *mode, const char *root, guint crash)
{
  g_autoptr(GSubprocess) child = spawn_helper(mode, root, crash);
  g_autofree char *output = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_subprocess_communicate_utf8(child, NULL, NULL, &output, NULL, &error));
  if (g_subprocess_get_if_signaled(child)) {
    g_assert_cmpint(g_subprocess_get_term_sig(child), ==, SIGKILL);
    return FALSE;
  }
  if (!g_subprocess_get_successful(child))
    g_error("%s %s failed: %s", mode, root, output);
  return TRUE;
}

static void recover(const char *root, const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_assert_true(cup_txn_recover(root, 0, &message, &error));
  g_assert_no_error(error);
  if (message != NULL) {
    g_autofree char *undone =
        g_strdup_printf("recovered an interrupted %s in %s: undid ", what, root);
    g_autofree char *done = g_strdup_printf("finished an interrupted %s in %s", what, root);
    g_assert_true(g_str_has_prefix(message, undone) || g_str_has_prefix(message, done));
  }
}

typedef struct {
  guint points; /* crash points of the whole run */
  guint old_state;
  guint new_state;
} CrashCount;

/* After recovery @root is exactly @old or @new, with nothing left of the transaction. */
static void check_recovered(const char *root, const char *old, const char *new, CrashCount *count,
                            guint kept_old, guint kept_new)
{
  cup_test_txn_assert_lock_free(root);
  g_autofree char *snap = cup_test_txn_snapshot(root);
  if (strcmp(snap, old) == 0) {
    count->old_state++;
    cup_test_txn_assert_settled(root, kept_old);
  } else {
    g_assert_cmpstr(snap, ==, new);
    count->new_state++;
    cup_test_txn_assert_settled(root, kept_new);
  }
}

/* Kill `MODE ROOT` at each crash point N = 1, 2, ... of a root made by @setup, recover, and
 * check the root. */
static CrashCount kill_at_every_point(const char *mode, void (*setup)(const char *root),
                                      const char *old, const char *new, const char *what,
                                      guint kept_old, guint kept_new)
{
  CrashCount count = {0, 0, 0};
  for (guint n = 1; n < MAX_POINTS; n++) {
    g_autofree char *root = cup_test_make_root();
    setup(root);
    gboolean finished = run_helper_at(mode, root, n);
    if (!finished)
      recover(root, what);
    check_recovered(root, old, new, &count, kept_old, kept_new);
    cup_test_remove_tree(root);
    if (finished) {
      count.points = n - 1;
      return count;
    }
  }
  g_assert_not_reached();
}

static void setup_nvidia(const char *root)
{
  cup_test_txn_nvidia_tree(root);
}

static void setup_installed(const char *root)
{
  cup_test_txn_nvidia_tree(root);
  cup_test_txn_install(root);
}

static void test_crash_install(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  g_autofree char *before = cup_test_txn_snapshot(root);
  g_autofree char *after = cup_test_txn_installed_snapshot(TRUE);
  CrashCount count =
      kill_at_every_point("--install", setup_nvidia, before, after, CUP_TEST_TXN_WHAT, 0, 2);
  g_test_message("install: %u crash points, %u rolled back, %u rolled forward", count.points,
                 count.old_state, count.new_state);
  g_assert_cmpuint(count.points, >=, 12);
  g_assert_cmpuint(count.old_state, >=, 10);
  g_assert_cmpuint(count.new_state, >=, 2);
  cup_test_remove_tree(root);
}

static void test_crash_uninstall(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  g_autofree char *before = cup_test_txn_snapshot(root);
  g_autofree char *after = cup_test_txn_installed_snapshot(TRUE);
  CrashCount count = kill_at_every_point("--uninstall", setup_installed, after, before,
                                         "uninstall of " CUP_TEST_TXN_NAME, 2, 0);
  g_test_message("uninstall: %u crash points, %u rolled back, %u rolled forward", count.points,
                 count.old_state, count.new_state);
  g_assert_cmpuint(count.points, >=, 10);
  g_assert_cmpuint(count.old_state, >=, 8);
  g_assert_cmpuint(count.new_state, >=, 1);
  cup_test_remove_tree(root);
}

/* An install killed at crash point @n, then a recovery killed at each of its own crash points
 * and run again: the root still ends up old or new. Returns FALSE when the install ran to its
 * end (@n is past its last crash point). */
static gboolean crash_recovery_after(guint n, const char *before, const char *after,
                                     CrashCount *count)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  gboolean crashed = !run_helper_at("--install", root, n);
  for (guint m = 1; crashed && m < MAX_POINTS && !run_helper_at("--recover", root, m); m++)
    count->points++;
  recover(root, CUP_TEST_TXN_WHAT);
  check_recovered(root, before, after, count, 0, 2);
  cup_test_remove_tree(root);
  return crashed;
}

static void test_crash_recovery(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  g_autofree char *before = cup_test_txn_snapshot(root);
  g_autofree char *after = cup_test_txn_installed_snapshot(TRUE);
  CrashCount count = {0, 0, 0};
  for (guint n = 1; n < MAX_POINTS && crash_recovery_after(n, before, after, &count); n++)
    continue;
  g_test_message("recoveries killed %u times; %u rolled back, %u rolled forward", count.points,
                 count.old_state, count.new_state);
  g_assert_cmpuint(count.points, >=, 50);
  g_assert_cmpuint(count.new_state, >=, 3); /* killed after the commit, and not killed */
  cup_test_remove_tree(root);
}

/* ---- the lock ---- */

static void wait_for_file(const char *path)
{
  for (int i = 0; i < 2000 && !g_file_test(path, G_FILE_TEST_EXISTS); i++)
    g_usleep(10 * 1000);
  g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
}

/* `--hold ROOT`: take ROOT's lock and apply the package, say so in ROOT-ready, commit once
 * ROOT-go appears. */
static int run_hold(const char *root)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CupTxn) txn = cup_txn_begin(root, CUP_TEST_TXN_WHAT, 0, NULL, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) entries =
      cup_test_txn_stage_cudnn(cup_txn_staging_dir(txn), "#define CUDNN_MAJOR 9");
  g_assert_true(
      cup_txn_apply(txn, &cup_test_txn_package, cup_txn_staging_dir(txn), entries, NULL, &error));
  g_autofree char *ready = g_strconcat(root, "-ready", NULL);
  g_autofree char *go = g_strconcat(root, "-go", NULL);
  g_assert_true(g_file_set_contents(ready, "", 0, NULL));
  wait_for_file(go);
  g_assert_true(cup_txn_commit(txn, &error));
  return 0;
}

/* A second cudaup waits for the lock, then fails naming the holder's pid; with a longer wait
 * it gets the root once the holder is done, and finds the holder's install complete. */
static void test_lock(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  g_autofree char *after = cup_test_txn_installed_snapshot(TRUE);
  g_autoptr(GSubprocess) holder = spawn_helper("--hold", root, 0);
  g_autofree char *ready = g_strconcat(root, "-ready", NULL);
  wait_for_file(ready);
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  CupTxn *txn = cup_txn_begin(root, CUP_TEST_TXN_WHAT, 300, NULL, &error);
  g_assert_null(txn);
  g_assert_cmpint(g_get_monotonic_time() - start, >=, 300 * 1000);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_LOCKED);
  g_autofree char *expected =
      g_strdup_printf("another cudaup (pid %s) is installing into %s; wait for it to finish",
                      g_subprocess_get_identifier(holder), root);
  g_assert_cmpstr(error->message, ==, expected);
  g_clear_error(&error);
  /* A journal is there: recovery too must wait for the holder. */
  g_assert_false(cup_txn_recover(root, 100, NULL, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_LOCKED);
  g_clear_error(&error);
  g_autofree char *go = g_strconcat(root, "-go", NULL);
  g_assert_true(g_file_set_contents(go, "", 0, NULL));
  txn = cup_txn_begin(root, CUP_TEST_TXN_WHAT, 20000, NULL, &error);
  g_assert_no_error(error);
  g_autofree char *later = cup_test_txn_snapshot(root);
  g_assert_cmpstr(later, ==, after);
  cup_txn_free(txn);
  g_assert_true(g_subprocess_wait_check(holder, NULL, &error));
  g_unlink(ready);
  g_unlink(go);
  cup_test_remove_tree(root);
}

/* Two installs into one root at once: the second waits for the first and changes nothing. */
static void test_two_installs(void)
{
  g_autofree char *root = cup_test_txn_nvidia_root();
  g_autofree char *after = cup_test_txn_installed_snapshot(TRUE);
  g_autoptr(GSubprocess) first = spawn_helper("--install", root, 0);
  g_autoptr(GSubprocess) second = spawn_helper("--install", root, 0);
  g_autoptr(GError) error = NULL;
  g_assert_true(g_subprocess_wait_check(first, NULL, &error));
  g_assert_true(g_subprocess_wait_check(second, NULL, &error));
  g_assert_no_error(error);
  g_autofree char *snap = cup_test_txn_snapshot(root);
  g_assert_cmpstr(snap, ==, after);
  cup_test_txn_assert_settled(root, 2);
  cup_test_txn_assert_lock_free(root);
  cup_test_remove_tree(root);
}

static gboolean write_proc(const char *path, const char *text)
{
  return g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL);
}

/* Enter a mount namespace of our own (as tests/test_cache.c does): directly as root, else
 * inside a user namespace where we are root. Returns NULL, or why not (newly allocated). */
static char *mount_tmpfs(const char *dir, const char *size)
{
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (uid != 0 || unshare(CLONE_NEWNS) != 0) {
    if (unshare(CLONE_NEWNS | CLONE_NEWUSER) != 0)
      return g_strdup_printf("no mount namespace for a tmpfs: unshare: %s", g_strerror(errno));
    g_autofree char *uid_map = g_strdup_printf("0 %d 1\n", (int)uid);
    g_autofree char *gid_map = g_strdup_printf("0 %d 1\n", (int)gid);
    if (!write_proc("/proc/self/setgroups", "deny") || !write_proc("/proc/self/uid_map", uid_map) ||
        !write_proc("/proc/self/gid_map", gid_map))
      return g_strdup("no mount namespace for a tmpfs: cannot map our user");
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    return g_strdup_printf("cannot make / private for a tmpfs: %s", g_strerror(errno));
  g_autofree char *options = g_strdup_printf("size=%s", size);
  if (mount("tmpfs", dir, "tmpfs", 0, options) != 0)
    return g_strdup_printf("cannot mount a tmpfs: %s", g_strerror(errno));
  return NULL;
}

#define MANY 150
static const CupTxnPackage MANY_PACKAGE = {"many-1", "cuda", "1", NULL};

typedef struct {
  GPtrArray *cudnn;
  GPtrArray *many;
  char *many_dir;
} Staged;

static void staged_clear(Staged *staged)
{
  g_ptr_array_unref(staged->cudnn);
  g_ptr_array_unref(staged->many);
  g_free(staged->many_dir);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Staged, staged_clear)

/* Stage cuDNN and a package of MANY files (more than one journal batch). */
static void stage_all(CupTxn *txn, Staged *staged)
{
  const char *staging = cup_txn_staging_dir(txn);
  staged->cudnn = cup_test_txn_stage_cudnn(staging, "#define CUDNN_MAJOR 9");
  staged->many_dir = g_build_filename(staging, "many", NULL);
  staged->many = g_ptr_array_new_with_free_func((GDestroyNotify)cup_txn_entry_free);
  for (guint i = 0; i < MANY; i++) {
    g_autofree char *path = g_strdup_printf("many/file-%03u", i);
    g_ptr_array_add(staged->many, cup_test_txn_stage_file(staged->many_dir, path, path));
  }
}

static gboolean apply_all(CupTxn *txn, const Staged *staged, GError **error)
{
  return cup_txn_apply(txn, &cup_test_txn_package, cup_txn_staging_dir(txn), staged->cudnn, NULL,
                       error) &&
         cup_txn_apply(txn, &MANY_PACKAGE, staged->many_dir, staged->many, NULL, error) &&
         cup_txn_commit(txn, error);
}

static void fill_leaving(const char *dir, guint64 leave)
{
  g_autoptr(GFile) file = g_file_new_for_path(dir);
  g_autoptr(GFileInfo) info =
      g_file_query_filesystem_info(file, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, NULL);
  guint64 free_bytes = g_file_info_get_attribute_uint64(info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  g_autofree char *filler = g_build_filename(dir, "filler", NULL);
  if (free_bytes > leave) {
    g_autofree char *zeros = g_malloc0(free_bytes - leave);
    g_assert_true(g_file_set_contents(filler, zeros, (gssize)(free_bytes - leave), NULL));
  }
}

/* One install into @dir/root with @leave bytes free; returns whether it succeeded. */
static gboolean install_with_free_space(const char *dir, guint64 leave, const char *after)
{
  g_autofree char *root = g_build_filename(dir, "root", NULL);
  cup_test_txn_nvidia_tree(root);
  g_autoptr(GError) error = NULL;
  CupTxn *txn = cup_txn_begin(root, CUP_TEST_TXN_WHAT, 0, NULL, &error);
  g_assert_no_error(error);
  g_auto(Staged) staged = {NULL, NULL, NULL};
  stage_all(txn, &staged);
  g_autofree char *before = cup_test_txn_snapshot(root);
  fill_leaving(dir, leave);
  gboolean ok = apply_all(txn, &staged, &error);
  if (!ok) {
    g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
    g_autofree char *phrase = g_strdup_printf("no space left on the disk of %s", root);
    g_assert_nonnull(strstr(error->message, phrase));
  }
  cup_txn_free(txn);
  g_autofree char *snap = cup_test_txn_snapshot(root);
  g_assert_cmpstr(snap, ==, ok ? after : before);
  cup_test_txn_assert_settled(root, ok ? 2 : 0);
  g_print("%" G_GUINT64_FORMAT " bytes free: %s\n", leave, ok ? "installed" : error->message);
  cup_test_remove_tree(root);
  g_autofree char *filler = g_build_filename(dir, "filler", NULL);
  g_unlink(filler);
  return ok;
}

/* `--disk-full DIR`: installs into a 4 MiB tmpfs on DIR with less and less room. */
static int run_disk_full(const char *dir)
{
  g_autofree char *scratch = cup_test_make_root();
  g_autoptr(GError) error = NULL;
  cup_test_txn_nvidia_tree(scratch);
  CupTxn *txn = cup_txn_begin(scratch, CUP_TEST_TXN_WHAT, 0, NULL, &error);
  g_auto(Staged) staged = {NULL, NULL, NULL};
  stage_all(txn, &staged);
  g_assert_true(apply_all(txn, &staged, &error));
  cup_txn_free(txn);
  g_autofree char *after = cup_test_txn_snapshot(scratch);
  cup_test_remove_tree(scratch);
  char *why = mount_tmpfs(dir, "4m");
  if (why != NULL) {
    g_print("%s\n", why);
    g_free(why);
    return SKIP_STATUS;
  }
  g_assert_false(cup_txn_check_space(dir, 100 * 1000 * 1000, &error));
  g_assert_true(g_str_has_prefix(error->message, "need 100.0 MB on "));
  const guint64 leave[] = {0, 4096, 8192, 12288, 16384, 24576, 32768, 65536, 1 << 20};
  guint failed = 0;
  for (guint i = 0; i < G_N_ELEMENTS(leave); i++)
    failed += !install_with_free_space(dir, leave[i], after);
  g_assert_cmpuint(failed, >=, 2);
  g_assert_cmpuint(failed, <, G_N_ELEMENTS(leave));
  return 0;
}

static void test_disk_full(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autoptr(GSubprocess) child = spawn_helper("--disk-full", dir, 0);
  g_autofree char *output = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_subprocess_communicate_utf8(child, NULL, NULL, &output, NULL, &error));
  g_strchomp(output);
  if (g_subprocess_get_if_exited(child) && g_subprocess_get_exit_status(child) == SKIP_STATUS)
    g_test_skip(output);
  else if (!g_subprocess_get_successful(child))
    g_test_fail_printf("--disk-full failed: %s", output);
  else
    g_test_message("%s", output);
  cup_test_remove_tree(dir);
}

/* ---- helper modes ---- */

static int run_mode(const char *mode, const char *root)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;
  if (strcmp(mode, "--install") == 0)
    ok = cup_test_txn_install_version(root, "#define CUDNN_MAJOR 9", &error);
  else if (strcmp(mode, "--uninstall") == 0)
    ok = cup_txn_uninstall(root, CUP_TEST_TXN_NAME, CUP_TXN_LOCK_WAIT_MS, NULL, &error);
  else if (strcmp(mode, "--recover") == 0)
    ok = cup_txn_recover(root, CUP_TXN_LOCK_WAIT_MS, NULL, &error);
  else if (strcmp(mode, "--hold") == 0)
    return run_hold(root);
  else if (strcmp(mode, "--disk-full") == 0)
    return run_disk_full(root);
  else
    return -1;
  if (!ok)
    g_printerr("%s\n", error->message);
  return ok ? 0 : cup_error_exit_code(error);
}

int main(int argc, char **argv)
{
  if (argc == 3 && g_str_has_prefix(argv[1], "--")) {
    int status = run_mode(argv[1], argv[2]);
    if (status >= 0)
      return status;
  }
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/txn/crash/install", test_crash_install);
  g_test_add_func("/txn/crash/uninstall", test_crash_uninstall);
  g_test_add_func("/txn/crash/recovery", test_crash_recovery);
  g_test_add_func("/txn/lock", test_lock);
  g_test_add_func("/txn/lock/two-installs", test_two_installs);
  g_test_add_func("/txn/disk-full", test_disk_full);
  return g_test_run();
}
