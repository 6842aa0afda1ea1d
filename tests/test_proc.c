/* test_proc.c - core/proc: output capture, stderr handling, exit status, environment and
 * working directory, programs that cannot start, large outputs, and timeouts that must kill
 * the children a shell script leaves holding the output pipe. Unix only: the programs run
 * are /bin/sh scripts.
 */
#include "core/error.h"
#include "core/proc.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef G_OS_UNIX
#include <errno.h>
#include <signal.h>
#include <sys/types.h>

#define TIMEOUT_MS 1000
#define RUN_MS 10000 /* for programs that finish: never reached */

/* Run `sh -c @script` with @merge; asserts that it ran and gives its exit status. */
static GBytes *run_sh(const char *script, gboolean merge, int *status)
{
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  CupProcOptions o = {argv, NULL, NULL, merge, RUN_MS};
  g_autoptr(GError) error = NULL;
  GBytes *out = cup_proc_run_full(&o, status, &error);
  g_assert_no_error(error);
  g_assert_nonnull(out);
  return out;
}

static void assert_bytes(GBytes *out, const char *expected)
{
  g_autofree char *text = cup_proc_output_text(out);
  g_assert_cmpstr(text, ==, expected);
  g_assert_cmpuint(g_bytes_get_size(out), ==, strlen(expected));
}

static void test_output(void)
{
  int status = -5;
  g_autoptr(GBytes) out = run_sh("printf 'one\\ntwo'; echo oops >&2", FALSE, &status);
  assert_bytes(out, "one\ntwo");
  g_assert_cmpint(status, ==, 0);
  g_autoptr(GBytes) none = run_sh("true", FALSE, &status);
  assert_bytes(none, "");
  g_autofree char *empty = cup_proc_output_text(NULL);
  g_assert_cmpstr(empty, ==, "");
}

static void test_merge_stderr(void)
{
  int status = -5;
  g_autoptr(GBytes) out = run_sh("echo out; echo err >&2; echo more", TRUE, &status);
  assert_bytes(out, "out\nerr\nmore\n");
  g_assert_cmpint(status, ==, 0);
}

static void test_exit_status(void)
{
  int status = -5;
  g_autoptr(GBytes) out = run_sh("echo failing; exit 7", FALSE, &status);
  assert_bytes(out, "failing\n");
  g_assert_cmpint(status, ==, 7);
  g_autoptr(GBytes) killed = run_sh("echo dying; kill -9 $$", FALSE, &status);
  assert_bytes(killed, "dying\n");
  g_assert_cmpint(status, ==, -1);
  /* The thin form reports the same, and a NULL status is allowed. */
  const char *argv[] = {"sh", "-c", "exit 3", NULL};
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) thin = cup_proc_run(argv, FALSE, RUN_MS, &status, &error);
  g_assert_no_error(error);
  g_assert_cmpint(status, ==, 3);
  g_autoptr(GBytes) no_status = cup_proc_run(argv, FALSE, RUN_MS, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(no_status);
}

/* The environment given is the whole environment; the directory given is the one it runs in;
 * argv[0] is still looked up on our PATH, not the given one. */
static void test_env_and_cwd(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *real_dir = realpath(dir, NULL);
  const char *envp[] = {"CUP_PROC_TEST=given value", "PATH=/nonexistent", NULL};
  const char *argv[] = {"sh", "-c", "echo \"$CUP_PROC_TEST\"; echo \"${HOME-unset}\"; pwd -P",
                        NULL};
  CupProcOptions o = {argv, envp, dir, FALSE, RUN_MS};
  int status = -5;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = cup_proc_run_full(&o, &status, &error);
  g_assert_no_error(error);
  g_autofree char *expected = g_strdup_printf("given value\nunset\n%s\n", real_dir);
  assert_bytes(out, expected);
  g_assert_cmpint(status, ==, 0);

  /* Without them: ours. */
  g_autofree char *here = g_get_current_dir();
  g_autofree char *real_here = realpath(here, NULL);
  g_autoptr(GBytes) inherited = run_sh("echo \"$PATH\"; pwd -P", FALSE, &status);
  g_autofree char *expected_inherited = g_strdup_printf("%s\n%s\n", g_getenv("PATH"), real_here);
  assert_bytes(inherited, expected_inherited);
  cup_test_remove_tree(dir);
}

static void expect_not_started(const CupProcOptions *o, const char *needle)
{
  int status = -5;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = cup_proc_run_full(o, &status, &error);
  g_assert_null(out);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_test_message("%s", error->message);
  g_assert_nonnull(strstr(error->message, needle));
  g_assert_cmpint(status, ==, -1);
}

static void test_cannot_start(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *missing = g_build_filename(dir, "no-such-program", NULL);
  const char *argv_missing[] = {missing, NULL};
  expect_not_started(&(CupProcOptions){argv_missing, NULL, NULL, FALSE, RUN_MS}, missing);

  const char *argv_unknown[] = {"cudaup-no-such-program-on-path", NULL};
  expect_not_started(&(CupProcOptions){argv_unknown, NULL, NULL, TRUE, RUN_MS},
                     "cannot run cudaup-no-such-program-on-path");

  cup_test_write(dir, "not-executable", "#!/bin/sh\necho hi\n");
  g_autofree char *plain = g_build_filename(dir, "not-executable", NULL);
  const char *argv_plain[] = {plain, NULL};
  expect_not_started(&(CupProcOptions){argv_plain, NULL, NULL, FALSE, RUN_MS}, plain);

  const char *argv_sh[] = {"/bin/sh", "-c", "true", NULL};
  expect_not_started(&(CupProcOptions){argv_sh, NULL, missing, FALSE, RUN_MS}, missing);

  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = cup_proc_run(argv_missing, FALSE, RUN_MS, NULL, &error);
  g_assert_null(out);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  cup_test_remove_tree(dir);
}

/* Whether @pid is a live process (a zombie waiting for init to reap it is not). */
static gboolean process_alive(pid_t pid)
{
  if (kill(pid, 0) != 0)
    return errno != ESRCH;
  g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", (int)pid);
  g_autofree char *stat = NULL;
  if (!g_file_get_contents(stat_path, &stat, NULL, NULL))
    return TRUE; /* no /proc: kill() is all we can tell by */
  const char *end = strrchr(stat, ')');
  return end == NULL || end[1] != ' ' || end[2] != 'Z';
}

/* SIGKILL is delivered asynchronously: give a killed process a moment to be gone. */
static gboolean process_gone_soon(pid_t pid)
{
  for (int i = 0; i < 100 && process_alive(pid); i++)
    g_usleep(10000);
  return !process_alive(pid);
}

static pid_t parse_pid(const char *text)
{
  guint64 pid = 0;
  g_assert_true(g_ascii_string_to_unsigned(text, 10, 2, G_MAXINT32, &pid, NULL));
  return (pid_t)pid;
}

/* Run @script (given the pid file's path as $1) with @thin choosing cup_proc_run; assert
 * that it timed out within about twice TIMEOUT_MS and left no process behind. */
static void expect_timeout(const char *script, gboolean thin)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *pids = g_build_filename(dir, "pids", NULL);
  const char *argv[] = {"/bin/sh", "-c", script, "sh", pids, NULL};
  CupProcOptions o = {argv, NULL, NULL, TRUE, TIMEOUT_MS};
  int status = -5;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  g_autoptr(GBytes) out = thin ? cup_proc_run(argv, TRUE, TIMEOUT_MS, &status, &error)
                               : cup_proc_run_full(&o, &status, &error);
  gint64 took_ms = (g_get_monotonic_time() - start) / 1000;
  g_test_message("took %" G_GINT64_FORMAT " ms: %s", took_ms, error ? error->message : "-");
  g_assert_null(out);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTERNAL);
  g_assert_nonnull(strstr(error->message, "/bin/sh did not finish within 1000 ms"));
  if (!thin)
    g_assert_cmpint(status, ==, CUP_PROC_TIMED_OUT);
  g_assert_cmpint(took_ms, >=, TIMEOUT_MS);
  g_assert_cmpint(took_ms, <, 2 * TIMEOUT_MS);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(pids, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit(g_strstrip(text), "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 2);
  for (char **l = lines; *l != NULL; l++)
    g_assert_true(process_gone_soon(parse_pid(*l)));
  cup_test_remove_tree(dir);
}

/* The shell waits on its own sleep; the backgrounded one holds the pipe as well. */
static void test_timeout_kills_the_group(void)
{
  expect_timeout("sleep 30 & echo $! > \"$1\"; echo $$ >> \"$1\"; sleep 30", FALSE);
}

/* The shell is gone at once and reaped; its child alone holds the pipe. */
static void test_timeout_after_the_leader_exited(void)
{
  expect_timeout("sleep 30 & echo $! > \"$1\"; echo $$ >> \"$1\"", FALSE);
}

/* It closed its output and goes on: the deadline still ends it. */
static void test_timeout_with_output_closed(void)
{
  expect_timeout("echo $$ > \"$1\"; exec >&- 2>&-; sleep 30 & echo $! >> \"$1\"; sleep 30", FALSE);
}

/* Every existing caller of cup_proc_run gets the same. */
static void test_timeout_thin(void)
{
  expect_timeout("sleep 30 & echo $! > \"$1\"; echo $$ >> \"$1\"; sleep 30", TRUE);
}

/* A child that lets go of the pipe is none of our business: no waiting, no killing. */
static void test_detached_child_does_not_hold(void)
{
  int status = -5;
  gint64 start = g_get_monotonic_time();
  g_autoptr(GBytes) out = run_sh("sleep 30 >/dev/null 2>&1 & echo $!", TRUE, &status);
  gint64 took_ms = (g_get_monotonic_time() - start) / 1000;
  g_assert_cmpint(status, ==, 0);
  g_assert_cmpint(took_ms, <, TIMEOUT_MS);
  g_autofree char *text = cup_proc_output_text(out);
  pid_t pid = parse_pid(g_strstrip(text));
  g_assert_true(process_alive(pid));
  g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
  g_assert_true(process_gone_soon(pid));
}

/* More than any pipe buffer, on both streams: read while it runs, nothing lost. */
static void test_large_output(void)
{
  int status = -5;
  g_autoptr(GBytes) out = run_sh("head -c 5000000 /dev/zero | tr '\\0' x; exit 4", FALSE, &status);
  g_assert_cmpint(status, ==, 4);
  g_assert_cmpuint(g_bytes_get_size(out), ==, 5000000);
  gsize size = 0;
  const char *data = g_bytes_get_data(out, &size);
  g_assert_true(data[0] == 'x' && data[size - 1] == 'x' && memchr(data, '\0', size) == NULL);

  g_autoptr(GBytes) merged =
      run_sh("head -c 3000000 /dev/zero >&2; head -c 2000000 /dev/zero", TRUE, &status);
  g_assert_cmpint(status, ==, 0);
  g_assert_cmpuint(g_bytes_get_size(merged), ==, 5000000);

  g_autoptr(GBytes) quiet = run_sh("head -c 3000000 /dev/zero >&2; printf done", FALSE, &status);
  assert_bytes(quiet, "done");
}
#else
static void test_unix_only(void)
{
  g_test_skip("these tests run /bin/sh scripts; there is no /bin/sh here");
}
#endif

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#ifdef G_OS_UNIX
  g_test_add_func("/proc/output", test_output);
  g_test_add_func("/proc/merge-stderr", test_merge_stderr);
  g_test_add_func("/proc/exit-status", test_exit_status);
  g_test_add_func("/proc/env-and-cwd", test_env_and_cwd);
  g_test_add_func("/proc/cannot-start", test_cannot_start);
  g_test_add_func("/proc/timeout-kills-the-group", test_timeout_kills_the_group);
  g_test_add_func("/proc/timeout-after-the-leader-exited", test_timeout_after_the_leader_exited);
  g_test_add_func("/proc/timeout-with-output-closed", test_timeout_with_output_closed);
  g_test_add_func("/proc/timeout-thin", test_timeout_thin);
  g_test_add_func("/proc/detached-child-does-not-hold", test_detached_child_does_not_hold);
  g_test_add_func("/proc/large-output", test_large_output);
#else
  g_test_add_func("/proc/unix-only", test_unix_only);
#endif
  return g_test_run();
}
