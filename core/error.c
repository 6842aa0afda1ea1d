/* error.c - the CUP_ERROR domain and the one exit-code table. */
#include "core/i18n.h"
#include "core/error.h"

#include <gio/gio.h>

// clang-format off
/* the quark name is stringified as written */
G_DEFINE_QUARK(cup-error-quark, cup_error)
// clang-format on

typedef struct {
  CupErrorCode code;
  const char *id;
  int exit_code;
  const char *meaning;
} ExitCodeRow;

/* Exit codes 1..16; 0 is success. 126+ are left to the shell. Never renumber a row: scripts
 * that drive `cudaup --silent` on many machines branch on these. */
static const ExitCodeRow exit_code_table[] = {
    {CUP_ERROR_INTERNAL, "internal", 1, "internal error (please report it with the log)"},
    {CUP_ERROR_USAGE, "usage", 2, "bad command line or answers file"},
    {CUP_ERROR_NO_COMPATIBLE, "no-compatible-versions", 3,
     "no versions fit this GPU, driver and request"},
    {CUP_ERROR_NETWORK, "network", 4, "download failed on every mirror"},
    {CUP_ERROR_INTEGRITY, "integrity", 5, "a file does not match its manifest (size or sha256)"},
    {CUP_ERROR_IO, "io", 6, "disk full, permission denied or another file-system error"},
    {CUP_ERROR_CANCELLED, "cancelled", 7, "cancelled by the user"},
    {CUP_ERROR_LOCKED, "locked", 8, "another cudaup is working on this toolkit root"},
    {CUP_ERROR_REBOOT_REQUIRED, "reboot-required", 9, "done; reboot to load the new driver"},
    {CUP_ERROR_CATALOG, "catalog", 10, "a manifests/ data file is missing or invalid"},
    {CUP_ERROR_PARSE, "parse", 11, "malformed input data"},
    {CUP_ERROR_NOT_FOUND, "not-found", 12, "the named toolkit, file or program does not exist"},
    {CUP_ERROR_PARTIAL, "partial", 13, "partly done; finish the printed manual step"},
    {CUP_ERROR_UNSUPPORTED, "unsupported", 14, "this OS, architecture or GPU is not supported"},
    {CUP_ERROR_CHECK, "check-failed", 15, "installed, but the proof failed; see the printed fix"},
    {CUP_ERROR_PERMISSION, "permission", 16,
     "needs administrator rights; run as administrator or choose the user scope"},
};

static const ExitCodeRow *find_row(CupErrorCode code)
{
  for (gsize i = 0; i < G_N_ELEMENTS(exit_code_table); i++)
    if (exit_code_table[i].code == code)
      return &exit_code_table[i];
  return &exit_code_table[0];
}

const char *cup_error_code_id(CupErrorCode code)
{
  return find_row(code)->id;
}

int cup_error_exit_code_for(CupErrorCode code)
{
  return find_row(code)->exit_code;
}

int cup_error_exit_code(const GError *error)
{
  if (error == NULL)
    return 0;
  if (error->domain == CUP_ERROR)
    return cup_error_exit_code_for((CupErrorCode)error->code);
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return cup_error_exit_code_for(CUP_ERROR_CANCELLED);
  if (error->domain == G_IO_ERROR || error->domain == G_FILE_ERROR)
    return cup_error_exit_code_for(CUP_ERROR_IO);
  if (error->domain == G_OPTION_ERROR)
    return cup_error_exit_code_for(CUP_ERROR_USAGE);
  return cup_error_exit_code_for(CUP_ERROR_INTERNAL);
}

char *cup_error_describe_exit_codes(void)
{
  GString *out = g_string_new("  0  ok                      success\n");
  for (gsize i = 0; i < G_N_ELEMENTS(exit_code_table); i++) {
    const ExitCodeRow *row = &exit_code_table[i];
    g_string_append_printf(out, "  %-2d %-23s %s\n", row->exit_code, row->id, row->meaning);
  }
  return g_string_free(out, FALSE);
}

gboolean cup_error_invalid_at(GError **error, const char *file, const char *jpath,
                              const char *format, va_list args)
{
  g_autofree char *why = g_strdup_vprintf(format, args);
  g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG, _("%s: invalid at %s: %s"), file, jpath, why);
  return FALSE;
}
