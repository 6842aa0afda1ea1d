/* proc.c - GSubprocess with a deadline. */
#include "core/proc.h"

#include "core/error.h"

#include <gio/gio.h>

typedef struct {
  GSubprocess *proc;
  GAsyncResult *result;
  gboolean timed_out;
} RunState;

static void on_communicated(GObject *source, GAsyncResult *res, gpointer data)
{
  (void)source;
  RunState *st = data;
  st->result = g_object_ref(res);
}

static gboolean on_timeout(gpointer data)
{
  RunState *st = data;
  st->timed_out = TRUE;
  g_subprocess_force_exit(st->proc);
  return G_SOURCE_REMOVE;
}

static int exit_status_of(GSubprocess *proc)
{
  if (g_subprocess_get_if_exited(proc))
    return g_subprocess_get_exit_status(proc);
  return -1;
}

char *cup_proc_output_text(GBytes *output)
{
  gsize size = 0;
  const char *data = output ? g_bytes_get_data(output, &size) : NULL;
  return data ? g_strndup(data, size) : g_strdup("");
}

GBytes *cup_proc_run(const char *const *argv, gboolean merge_stderr, guint timeout_ms,
                     int *exit_status, GError **error)
{
  g_autoptr(GError) local = NULL;
  /* Without a STDIN flag GSubprocess gives the child /dev/null as stdin. */
  GSubprocessFlags flags =
      G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      (merge_stderr ? G_SUBPROCESS_FLAGS_STDERR_MERGE : G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) proc = g_subprocess_newv(argv, flags, &local);
  if (proc == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND, "cannot run %s: %s", argv[0],
                local->message);
    return NULL;
  }
  g_autoptr(GMainContext) ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  RunState st = {proc, NULL, FALSE};
  g_subprocess_communicate_async(proc, NULL, NULL, on_communicated, &st);
  GSource *timer = g_timeout_source_new(timeout_ms);
  g_source_set_callback(timer, on_timeout, &st, NULL);
  g_source_attach(timer, ctx);
  while (st.result == NULL)
    g_main_context_iteration(ctx, TRUE);
  g_source_destroy(timer);
  g_source_unref(timer);
  GBytes *out = NULL;
  gboolean ok = g_subprocess_communicate_finish(proc, st.result, &out, NULL, &local);
  g_object_unref(st.result);
  if (ok)
    ok = g_subprocess_wait(proc, NULL, &local);
  g_main_context_pop_thread_default(ctx);
  if (st.timed_out) {
    g_clear_pointer(&out, g_bytes_unref);
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL, "%s did not finish within %u ms", argv[0],
                timeout_ms);
    return NULL;
  }
  if (!ok) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL, "%s: %s", argv[0], local->message);
    return NULL;
  }
  if (exit_status)
    *exit_status = exit_status_of(proc);
  return out ? out : g_bytes_new(NULL, 0);
}
