/* report.c - the JSON report of a run (report.h). */
#include "core/i18n.h"
#include "core/report.h"

#include "core/error.h"
#include "core/log.h"
#include "cudaup-config.h"

static json_t *time_json(GDateTime *t)
{
  g_autofree char *text = g_date_time_format_iso8601(t);
  return json_string(text);
}

static json_t *result_json(const GError *error)
{
  if (error == NULL)
    return json_pack("{s:b,s:i,s:s,s:n}", "ok", TRUE, "exit_code", 0, "code", "ok", "message");
  CupErrorCode code = error->domain == CUP_ERROR ? (CupErrorCode)error->code : CUP_ERROR_INTERNAL;
  return json_pack("{s:b,s:i,s:s,s:s}", "ok", FALSE, "exit_code", cup_error_exit_code(error),
                   "code", cup_error_code_id(code), "message", error->message);
}

json_t *cup_report_build(const char *command, GDateTime *started, const CupSystem *sys,
                         const char *const *choices, const CupPlan *plan,
                         const CupEngineResult *done, const GError *error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  json_t *list = json_array();
  for (const char *const *c = choices; c && *c; c++)
    json_array_append_new(list, json_string(*c));
  const char *log = cup_log_path();
  return json_pack("{s:i,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "format", 1, "cudaup",
                   CUDAUP_VERSION, "command", command, "started_at",
                   time_json(started ? started : now), "finished_at", time_json(now), "machine",
                   sys ? cup_system_to_json(sys) : json_null(), "choices", list, "plan",
                   plan ? cup_plan_to_json(plan) : json_null(), "done",
                   done ? cup_engine_result_to_json(done) : json_null(), "result",
                   result_json(error), "log", log ? json_string(log) : json_null());
}

gboolean cup_report_write(json_t *report, const char *path, GError **error)
{
  g_autofree char *text = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  g_autoptr(GError) local = NULL;
  g_autofree char *with_newline = g_strconcat(text, "\n", NULL);
  if (!g_file_set_contents(path, with_newline, -1, &local)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("cannot write the report %s: %s; choose another "
                  "--report FILE"),
                path, local->message);
    return FALSE;
  }
  return TRUE;
}
