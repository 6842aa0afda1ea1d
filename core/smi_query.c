/* smi_query.c - run nvidia-smi and read the best output form it gives. */
#include "core/i18n.h"
#include "core/smi.h"

#include "core/error.h"
#include "core/proc.h"
#include "core/smi_private.h"

#include <string.h>

typedef CupSmiReport *(*SmiParser)(const char *text, gsize len, GError **error);

typedef struct {
  const char *label; /* the arguments as the warnings show them */
  const char *args[3];
  SmiParser parse;
} SmiAttempt;

/* Best first (DESIGN.md section 2, detect): XML has every fact; the -q text has the same
 * facts for when the XML is broken; the CSV query works on drivers whose -q output is broken;
 * the table is the last resort. */
static const SmiAttempt attempts[] = {
    {"-q -x", {"-q", "-x", NULL}, cup_smi_parse_xml},
    {"-q", {"-q", NULL, NULL}, cup_smi_parse_query_text},
    {"--query-gpu",
     {"--query-gpu=" CUP_SMI_QUERY_FIELDS, "--format=csv,nounits", NULL},
     cup_smi_parse_csv},
    {"(table)", {NULL}, cup_smi_parse_table},
};
#define ATTEMPT_CSV 2
#define ATTEMPT_TABLE 3

/* The first non-blank line of @out, cut to 200 bytes, valid UTF-8; "" when there is none. */
static char *first_line(GBytes *out)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(out, &len);
  g_autofree char *text = g_utf8_make_valid(len > 0 ? data : "", (gssize)len);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_strstrip(lines[i]);
    if (lines[i][0] != '\0')
      return g_utf8_substring(lines[i], 0, MIN(g_utf8_strlen(lines[i], -1), 200));
  }
  return g_strdup("");
}

/* Run one attempt. Returns its report; or NULL after adding a warning to @warnings, with
 * @error set only when running nvidia-smi again is pointless (cannot start, timed out). */
static CupSmiReport *run_attempt(const char *path, const SmiAttempt *attempt, guint timeout_ms,
                                 GPtrArray *warnings, GError **error)
{
  const char *argv[4] = {path, attempt->args[0], attempt->args[1], NULL};
  g_autoptr(GError) local = NULL;
  int status = -1;
  g_autoptr(GBytes) out = cup_proc_run(argv, FALSE, timeout_ms, &status, &local);
  if (out == NULL) {
    g_ptr_array_add(warnings, g_strdup_printf("nvidia-smi %s: %s", attempt->label, local->message));
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  if (status != 0) {
    g_autofree char *line = first_line(out);
    g_ptr_array_add(warnings, g_strdup_printf("nvidia-smi %s exited with status %d%s%s",
                                              attempt->label, status, *line ? ": " : "", line));
    return NULL;
  }
  gsize len = 0;
  const char *data = g_bytes_get_data(out, &len);
  CupSmiReport *report = attempt->parse(data, len, &local);
  /* The parsers' messages start with the output form ("nvidia-smi -q -x: ..."). */
  if (report == NULL)
    g_ptr_array_add(warnings, g_strdup(local->message));
  return report;
}

/* The CSV query prints no CUDA version: take it (and a missing driver version) from the table. */
static void fill_versions(CupSmiReport *report, const char *path, guint timeout_ms,
                          GPtrArray *warnings)
{
  g_autoptr(CupSmiReport) table =
      run_attempt(path, &attempts[ATTEMPT_TABLE], timeout_ms, warnings, NULL);
  if (table == NULL)
    return;
  if (report->driver_version == NULL)
    report->driver_version = g_steal_pointer(&table->driver_version);
  if (report->cuda_version == NULL)
    report->cuda_version = g_steal_pointer(&table->cuda_version);
}

CupSmiReport *cup_smi_query(const char *nvidia_smi_path, guint timeout_ms, GPtrArray *warnings,
                            GError **error)
{
  g_return_val_if_fail(nvidia_smi_path != NULL, NULL);
  g_autoptr(GPtrArray) own = g_ptr_array_new_with_free_func(g_free);
  GPtrArray *sink = warnings ? warnings : own;
  for (guint i = 0; i < G_N_ELEMENTS(attempts); i++) {
    g_autoptr(GError) fatal = NULL;
    CupSmiReport *report = run_attempt(nvidia_smi_path, &attempts[i], timeout_ms, sink, &fatal);
    if (fatal != NULL) {
      g_propagate_error(error, g_steal_pointer(&fatal));
      return NULL;
    }
    if (report == NULL)
      continue;
    if (i == ATTEMPT_CSV && report->cuda_version == NULL)
      fill_versions(report, nvidia_smi_path, timeout_ms, sink);
    return report;
  }
  g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND, _("%s gave no usable output: %s"),
              nvidia_smi_path, (const char *)g_ptr_array_index(sink, sink->len - 1));
  return NULL;
}
