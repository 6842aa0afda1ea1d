/* wzrun_helper.c - the privileged path of the wizard's install (wzrun.h): the archives are
 * downloaded and verified into the user's cache here, then cudaup-helper, started with pkexec,
 * installs them as root (contract at the top of cli/helper/helper.c). */
#include "wizard/wzrun_private.h"

#include "core/error.h"
#include "core/i18n.h"

#include <string.h>

#ifndef CUP_WIZARD_HELPER
#define CUP_WIZARD_HELPER "/usr/libexec/cudaup/cudaup-helper"
#endif
#define HELPER_ENV "CUDAUP_WIZARD_HELPER"

char *wz_helper_request(const CupPlan *plan, const char *cache_dir, const char *const *paths,
                        gboolean environment)
{
  json_t *archives = json_array();
  for (guint i = 0; i < plan->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(plan->archives, i);
    json_array_append_new(archives,
                          json_pack("{s:s,s:s,s:s,s:s}", "component", a->component, "version",
                                    a->version, "path", paths[i], "sha256", a->sha256));
  }
  json_t *j = json_pack("{s:i,s:s,s:s,s:o,s:s,s:b,s:b}", "format", 1, "cache_dir", cache_dir,
                        "root", plan->toolkit_root, "archives", archives, "environment",
                        environment ? "system" : "none", "set_default", FALSE, "check", TRUE);
  if (plan->platform)
    json_object_set_new(j, "platform", json_string(plan->platform));
  if (plan->cuda_required && plan->cuda_version)
    json_object_set_new(j, "cuda", json_string(plan->cuda_version));
  if (plan->cudnn_version)
    json_object_set_new(j, "cudnn", json_string(plan->cudnn_version));
  char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  return text;
}

void wz_helper_line_clear(WzHelperLine *l)
{
  g_clear_pointer(&l->stage, g_free);
  if (l->result)
    json_decref(l->result);
  g_clear_error(&l->error);
  memset(l, 0, sizeof *l);
}

static CupErrorCode code_of(const char *id)
{
  for (int c = 0; c < CUP_ERROR_N_CODES; c++)
    if (g_strcmp0(cup_error_code_id(c), id) == 0)
      return (CupErrorCode)c;
  return CUP_ERROR_INTERNAL;
}

static void parse_event(json_t *j, const char *event, WzHelperLine *out)
{
  if (strcmp(event, "progress") == 0) {
    const char *stage = NULL;
    json_int_t done = 0, total = 0, eta = -1;
    int final = 0;
    if (json_unpack(j, "{s:s,s?:I,s?:I,s?:F,s?:I,s?:b}", "stage", &stage, "done", &done, "total",
                    &total, "speed", &out->speed, "eta_ms", &eta, "final", &final) != 0)
      return;
    out->kind = WZ_HELPER_PROGRESS;
    out->stage = g_strdup(stage);
    out->done = (guint64)MAX(done, 0), out->total = (guint64)MAX(total, 0);
    out->eta_ms = eta, out->final = final;
  } else if (strcmp(event, "done") == 0) {
    json_t *result = json_object_get(j, "result");
    out->kind = WZ_HELPER_DONE;
    out->result = json_incref(result ? result : json_object());
  } else if (strcmp(event, "error") == 0) {
    const char *id = json_string_value(json_object_get(j, "error"));
    const char *message = json_string_value(json_object_get(j, "message"));
    out->kind = WZ_HELPER_ERROR;
    out->error = g_error_new_literal(CUP_ERROR, code_of(id),
                                     message ? message : _("the helper failed without a message"));
  }
}

void wz_helper_parse_line(const char *line, WzHelperLine *out)
{
  memset(out, 0, sizeof *out);
  out->kind = WZ_HELPER_OTHER;
  out->eta_ms = -1;
  json_t *j = json_loads(line, 0, NULL);
  const char *event = json_string_value(json_object_get(j, "event"));
  if (event)
    parse_event(j, event, out);
  json_decref(j);
}

/* ---- running it --------------------------------------------------------------------------- */

static GStrv helper_argv(const WzRun *run)
{
  if (run->helper_argv)
    return g_strdupv(run->helper_argv);
  const char *env = g_getenv(HELPER_ENV);
  if (env && *env) {
    const char *argv[] = {env, NULL};
    return g_strdupv((char **)argv);
  }
  const char *argv[] = {"pkexec", CUP_WIZARD_HELPER, NULL};
  return g_strdupv((char **)argv);
}

/* Every archive of the plan into the user's cache, verified (core/fetch). Returns their paths. */
static GStrv download(WzRun *run, GCancellable *cancellable, GError **error)
{
  g_autoptr(CupCache) cache = cup_cache_open(run->cache_dir, error);
  if (cache == NULL)
    return NULL;
  const GPtrArray *archives = run->o.plan->archives;
  g_autofree CupFetchItem *items = g_new0(CupFetchItem, archives->len + 1);
  for (guint i = 0; i < archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(archives, i);
    items[i] =
        (CupFetchItem){.name = a->component, .path = a->path, .sha256 = a->sha256, .size = a->size};
  }
  const char *mirrors[2];
  CupFetchOptions fo = wz_run_fetch_options(run, mirrors);
  fo.progress = wz_run_on_progress, fo.progress_data = run, fo.cancellable = cancellable;
  g_autoptr(GPtrArray) results = cup_fetch_run(&fo, cache, items, archives->len, error);
  if (results == NULL)
    return NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  for (guint i = 0; i < results->len; i++)
    g_strv_builder_add(b, ((CupFetchResult *)g_ptr_array_index(results, i))->path);
  return g_strv_builder_end(b);
}

typedef struct {
  GOutputStream *in;
} CancelData;

static void on_cancel(GCancellable *cancellable, gpointer data)
{
  (void)cancellable;
  g_output_stream_write_all(((CancelData *)data)->in, "cancel\n", 7, NULL, NULL, NULL);
  g_output_stream_flush(((CancelData *)data)->in, NULL, NULL);
}

/* One line of the helper: its progress becomes the rows' events (its "download" is the
 * re-check of every sha256 from the copies it made: the Verify row). */
static void forward(WzRun *run, WzHelperLine *l, json_t **result, GError **failure)
{
  if (l->kind == WZ_HELPER_PROGRESS) {
    WzStage stage = g_strcmp0(l->stage, "download") == 0 ? WZ_STAGE_VERIFY : wz_stage_of(l->stage);
    WzRunEvent e = {.stage = stage,
                    .engine_stage = l->stage,
                    .done = l->done,
                    .total = l->total,
                    .speed = l->speed,
                    .eta_ms = l->eta_ms,
                    .final = l->final};
    if (g_strcmp0(l->stage, "extract") == 0 || (g_strcmp0(l->stage, "check") == 0 && run->verify))
      e.final = FALSE;
    wz_run_emit(run, &e);
  } else if (l->kind == WZ_HELPER_DONE) {
    *result = json_incref(l->result);
  } else if (l->kind == WZ_HELPER_ERROR && *failure == NULL) {
    *failure = g_error_copy(l->error);
  }
}

static json_t *talk(WzRun *run, GSubprocess *p, const char *request, GCancellable *cancellable,
                    GError **error)
{
  GOutputStream *in = g_subprocess_get_stdin_pipe(p);
  if (!g_output_stream_write_all(in, request, strlen(request), NULL, NULL, error) ||
      !g_output_stream_write_all(in, "\n", 1, NULL, NULL, error))
    return NULL;
  CancelData cd = {.in = in};
  gulong id =
      cancellable ? g_cancellable_connect(cancellable, G_CALLBACK(on_cancel), &cd, NULL) : 0;
  g_autoptr(GDataInputStream) out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
  json_t *result = NULL;
  GError *failure = NULL;
  char *line;
  while ((line = g_data_input_stream_read_line_utf8(out, NULL, NULL, NULL)) != NULL) {
    WzHelperLine l;
    wz_helper_parse_line(line, &l);
    if (l.kind == WZ_HELPER_OTHER)
      wz_run_log(run, "helper: %s", line);
    forward(run, &l, &result, &failure);
    wz_helper_line_clear(&l);
    g_free(line);
  }
  if (cancellable)
    g_cancellable_disconnect(cancellable, id);
  g_subprocess_wait(p, NULL, NULL);
  if (failure != NULL || result != NULL) {
    if (failure) {
      g_propagate_error(error, failure);
      g_clear_pointer(&result, json_decref);
    }
    return result;
  }
  int status = g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p) : -1;
  if (status == 126 || status == 127) /* pkexec: not authorized, or the dialog dismissed */
    g_set_error(error, CUP_ERROR, CUP_ERROR_PERMISSION,
                _("administrator rights were not given, so nothing was installed: try again and "
                  "authenticate, or install for \"Only me\""));
  else
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL,
                _("cudaup-helper ended without a result (exit status %d): see the log"), status);
  return NULL;
}

WzRunOutcome *wz_run_privileged(WzRun *run, GCancellable *cancellable, GError **error)
{
  g_auto(GStrv) paths = download(run, cancellable, error);
  if (paths == NULL)
    return NULL;
  gboolean env = !run->o.no_environment && !run->o.user_scope;
  g_autofree char *request =
      wz_helper_request(run->o.plan, run->cache_dir, (const char *const *)paths, env);
  g_auto(GStrv) argv = helper_argv(run);
  g_autofree char *command = g_strjoinv(" ", argv);
  wz_run_log(run, _("Starting %s for the steps that need administrator rights"), command);
  g_autoptr(GSubprocess) p =
      g_subprocess_newv((const char *const *)argv,
                        G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
  if (p == NULL)
    return NULL;
  json_t *result = talk(run, p, request, cancellable, error);
  if (result == NULL)
    return NULL;
  WzRunOutcome *out = g_new0(WzRunOutcome, 1);
  out->notes = g_ptr_array_new_with_free_func(g_free);
  out->helper = result;
  return out;
}
