/* proc.c - run a program with a deadline; on Unix the deadline kills its whole process group.
 *
 * Unix spawns with g_spawn (not GSubprocess) because the group's id is the program's pid, and
 * GSubprocess forgets the pid once it has reaped the program: a program that exits at once
 * and leaves a child holding the pipe could then not be killed as a group. Here we reap it
 * ourselves, so its zombie keeps the id valid until the group has been killed.
 */
#include "core/i18n.h"
#include "core/proc.h"

#include "core/error.h"

#include <gio/gio.h>

#ifdef G_OS_UNIX
#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

char *cup_proc_output_text(GBytes *output)
{
  gsize size = 0;
  const char *data = output ? g_bytes_get_data(output, &size) : NULL;
  return data ? g_strndup(data, size) : g_strdup("");
}

static void set_timeout_error(const CupProcOptions *o, GError **error)
{
  g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL,
              _("%s did not finish within %u ms and was killed"), o->argv[0], o->timeout_ms);
}

#ifdef G_OS_UNIX
/* In the child between fork and exec: only async-signal-safe calls. */
static void child_setup(gpointer data)
{
  (void)data;
  setpgid(0, 0);
}

/* Start @o->argv writing into @out_fd (and stderr too, or into /dev/null); 0 on failure. */
static GPid spawn(const CupProcOptions *o, int out_fd, GError **error)
{
  GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH |
                      G_SPAWN_STDIN_FROM_DEV_NULL |
                      (o->merge_stderr ? 0 : G_SPAWN_STDERR_TO_DEV_NULL);
  GPid pid = 0;
  g_autoptr(GError) local = NULL;
  if (!g_spawn_async_with_pipes_and_fds(o->cwd, o->argv, o->envp, flags, child_setup, NULL, -1,
                                        out_fd, o->merge_stderr ? out_fd : -1, NULL, NULL, 0, &pid,
                                        NULL, NULL, NULL, &local)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND, _("cannot run %s: %s"), o->argv[0],
                local->message);
    return 0;
  }
  return pid;
}

/* Read @fd to its end into @out. FALSE when @deadline (monotonic us) passed first; a read
 * error ends it like the end of the output, with errno in @read_errno. */
static gboolean read_until_eof(int fd, GByteArray *out, gint64 deadline, int *read_errno)
{
  for (;;) {
    gint64 left_ms = (deadline - g_get_monotonic_time() + 999) / 1000;
    struct pollfd pfd = {fd, POLLIN, 0};
    int ready = left_ms > 0 ? poll(&pfd, 1, (int)MIN(left_ms, G_MAXINT)) : 0;
    if (ready == 0)
      return FALSE;
    if (ready < 0 && errno == EINTR)
      continue;
    guint8 chunk[65536];
    ssize_t got = ready > 0 ? read(fd, chunk, sizeof chunk) : -1;
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      *read_errno = got < 0 ? errno : 0;
      return TRUE;
    }
    g_byte_array_append(out, chunk, (guint)got);
  }
}

/* Reap @pid. One still running at @deadline (it closed its output and went on) has its group
 * killed first, and @killed set. FALSE (errno set) when it cannot be waited for. */
static gboolean reap(GPid pid, gint64 deadline, gboolean *killed, int *wait_status)
{
  gulong nap_us = 500;
  for (;;) {
    pid_t got = waitpid(pid, wait_status, *killed ? 0 : WNOHANG);
    if (got == pid)
      return TRUE;
    if (got < 0 && errno != EINTR)
      return FALSE;
    if (got == 0 && g_get_monotonic_time() >= deadline) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL); /* in case its setpgid failed */
      *killed = TRUE;
    } else if (got == 0) {
      g_usleep(nap_us);
      nap_us = MIN(nap_us * 2, 20000);
    }
  }
}

GBytes *cup_proc_run_full(const CupProcOptions *o, int *exit_status, GError **error)
{
  g_return_val_if_fail(o != NULL && o->argv != NULL && o->argv[0] != NULL, NULL);
  int ignored, fds[2];
  int *status = exit_status ? exit_status : &ignored;
  *status = -1;
  g_autoptr(GError) local = NULL;
  if (!g_unix_open_pipe(fds, FD_CLOEXEC, &local)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL, _("cannot run %s: %s"), o->argv[0],
                local->message);
    return NULL;
  }
  gint64 deadline = g_get_monotonic_time() + (gint64)o->timeout_ms * 1000;
  GPid pid = spawn(o, fds[1], error);
  close(fds[1]);
  if (pid == 0) {
    close(fds[0]);
    return NULL;
  }
  g_autoptr(GByteArray) out = g_byte_array_new();
  int read_errno = 0, wait_status = 0;
  gboolean killed = !read_until_eof(fds[0], out, deadline, &read_errno);
  close(fds[0]);
  if (killed) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  gboolean reaped = reap(pid, deadline, &killed, &wait_status);
  int wait_errno = errno;
  if (killed) {
    *status = CUP_PROC_TIMED_OUT;
    set_timeout_error(o, error);
    return NULL;
  }
  if (!reaped || read_errno != 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL, "%s: %s %s", o->argv[0],
                reaped ? "reading its output:" : "waiting for it:",
                g_strerror(reaped ? read_errno : wait_errno));
    return NULL;
  }
  *status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

#else /* Windows: GSubprocess; without process groups only the program itself is killed. */

typedef struct {
  GSubprocess *proc;
  GCancellable *cancel;
  GAsyncResult *result;
  gboolean timed_out;
} RunState;

static void on_communicated(GObject *source, GAsyncResult *res, gpointer data)
{
  (void)source;
  ((RunState *)data)->result = g_object_ref(res);
}

static gboolean on_timeout(gpointer data)
{
  RunState *st = data;
  st->timed_out = TRUE;
  g_subprocess_force_exit(st->proc);
  g_cancellable_cancel(st->cancel); /* a child it started may still hold the pipe */
  return G_SOURCE_REMOVE;
}

GBytes *cup_proc_run_full(const CupProcOptions *o, int *exit_status, GError **error)
{
  g_return_val_if_fail(o != NULL && o->argv != NULL && o->argv[0] != NULL, NULL);
  int ignored;
  int *status = exit_status ? exit_status : &ignored;
  *status = -1;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
      G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      (o->merge_stderr ? G_SUBPROCESS_FLAGS_STDERR_MERGE : G_SUBPROCESS_FLAGS_STDERR_SILENCE));
  if (o->envp != NULL)
    g_subprocess_launcher_set_environ(launcher, (char **)o->envp);
  g_subprocess_launcher_set_cwd(launcher, o->cwd);
  g_autoptr(GError) local = NULL;
  g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawnv(launcher, o->argv, &local);
  if (proc == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND, _("cannot run %s: %s"), o->argv[0],
                local->message);
    return NULL;
  }
  g_autoptr(GCancellable) cancel = g_cancellable_new();
  g_autoptr(GMainContext) ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  RunState st = {proc, cancel, NULL, FALSE};
  g_subprocess_communicate_async(proc, NULL, cancel, on_communicated, &st);
  GSource *timer = g_timeout_source_new(o->timeout_ms);
  g_source_set_callback(timer, on_timeout, &st, NULL);
  g_source_attach(timer, ctx);
  while (st.result == NULL)
    g_main_context_iteration(ctx, TRUE);
  g_source_destroy(timer);
  g_source_unref(timer);
  g_autoptr(GBytes) out = NULL;
  gboolean ok = g_subprocess_communicate_finish(proc, st.result, &out, NULL, &local);
  g_object_unref(st.result);
  ok = g_subprocess_wait(proc, NULL, ok ? &local : NULL) && ok;
  g_main_context_pop_thread_default(ctx);
  if (st.timed_out) {
    *status = CUP_PROC_TIMED_OUT;
    set_timeout_error(o, error);
    return NULL;
  }
  if (!ok) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL, "%s: %s", o->argv[0], local->message);
    return NULL;
  }
  *status = g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc) : -1;
  return out ? g_steal_pointer(&out) : g_bytes_new(NULL, 0);
}
#endif

GBytes *cup_proc_run(const char *const *argv, gboolean merge_stderr, guint timeout_ms,
                     int *exit_status, GError **error)
{
  CupProcOptions o = {argv, NULL, NULL, merge_stderr, timeout_ms};
  return cup_proc_run_full(&o, exit_status, error);
}

/* ldconfig reads every library directory listed; two minutes is far more than it needs. */
#define LDCONFIG_TIMEOUT_MS 120000

gboolean cup_proc_ldconfig(GError **error)
{
  const char *candidates[] = {"/sbin/ldconfig", "/usr/sbin/ldconfig"};
  const char *program = "ldconfig";
  for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++)
    if (g_file_test(candidates[i], G_FILE_TEST_IS_EXECUTABLE))
      program = candidates[i];
  const char *argv[] = {program, NULL};
  int status = -1;
  g_autoptr(GBytes) out = cup_proc_run(argv, TRUE, LDCONFIG_TIMEOUT_MS, &status, error);
  if (out == NULL)
    return FALSE;
  if (status != 0) {
    g_autofree char *text = cup_proc_output_text(out);
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("ldconfig: exit status %d: %s"), status,
                g_strstrip(text));
    return FALSE;
  }
  return TRUE;
}
