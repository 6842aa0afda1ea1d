/* report.h - the JSON report of a run (DESIGN.md section 2, "report"): for instructors who
 * collect one file per machine after `cudaup install --silent --report FILE` on thirty laptops.
 *
 * {"format":1, "cudaup":VERSION, "command":"install", "started_at":ISO8601, "finished_at":...,
 *  "machine": the detect JSON, "choices":["cuda = 13.0 (command line)", ...],
 *  "plan": the plan JSON or null, "done": what the engine did or null (engine.h),
 *  "result": {"ok":bool, "exit_code":N, "code":"ok"|error id, "message":text|null},
 *  "log": the log file or null}
 */
#pragma once

#include "core/engine.h"
#include "core/system.h"

G_BEGIN_DECLS

/**
 * cup_report_build: the report of a run of @command that started at @started (wall clock;
 * NULL: now). Every argument but @command may be NULL when that part did not happen; @error
 * NULL means success. @choices is a NULL-terminated list of log lines. Returns a new
 * reference.
 */
json_t *cup_report_build(const char *command, GDateTime *started, const CupSystem *sys,
                         const char *const *choices, const CupPlan *plan,
                         const CupEngineResult *done, const GError *error);

/**
 * cup_report_write: write @report to @path atomically (a temporary file renamed over it), so
 * a collector never reads half a report. Errors: CUP_ERROR_IO naming the file.
 */
gboolean cup_report_write(json_t *report, const char *path, GError **error);

G_END_DECLS
