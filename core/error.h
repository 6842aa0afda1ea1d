/* error.h - the CUP_ERROR GError domain, its codes and the exit-code table.
 *
 * One code per failure class. Each code has a stable string id (used in --json error output)
 * and one process exit code; the table is printed by `cudaup --help` and documented in the
 * README, so the three must be changed together.
 */
#pragma once

#include <glib.h>
#include <stdarg.h>

G_BEGIN_DECLS

#define CUP_ERROR (cup_error_quark())

typedef enum {
  CUP_ERROR_INTERNAL,        /* a bug or an unexpected library failure */
  CUP_ERROR_USAGE,           /* bad command line: unknown option, bad value */
  CUP_ERROR_PARSE,           /* input data we read is malformed (nvidia-smi output, a file) */
  CUP_ERROR_CATALOG,         /* a manifests/ file is missing or invalid */
  CUP_ERROR_NOT_FOUND,       /* a named thing (toolkit, file, program) does not exist */
  CUP_ERROR_NO_COMPATIBLE,   /* no versions satisfy every constraint */
  CUP_ERROR_NETWORK,         /* download failed on every mirror */
  CUP_ERROR_INTEGRITY,       /* size or sha256 does not match the manifest */
  CUP_ERROR_IO,              /* disk full, permission denied, read/write failure */
  CUP_ERROR_CANCELLED,       /* the user cancelled */
  CUP_ERROR_LOCKED,          /* another cudaup holds the toolkit root's lock */
  CUP_ERROR_REBOOT_REQUIRED, /* done, but the new driver needs a reboot */
  CUP_ERROR_PARTIAL,         /* part of the work was done; the rest needs a manual step */
  CUP_ERROR_UNSUPPORTED,     /* this OS, architecture or GPU cannot be served */
  CUP_ERROR_CHECK,           /* installed, but the proof failed (a library would not load...) */
  CUP_ERROR_PERMISSION,      /* needs administrator rights (Windows system scope) */
  CUP_ERROR_N_CODES
} CupErrorCode;

/** cup_error_quark: the GQuark of the CUP_ERROR domain. */
GQuark cup_error_quark(void);

/**
 * cup_error_code_id: stable kebab-case id of @code ("no-compatible-versions"), for JSON.
 * Returns a static string; "internal" for an unknown code.
 */
const char *cup_error_code_id(CupErrorCode code);

/**
 * cup_error_exit_code: the process exit code for @error. NULL gives 0. Errors of other
 * domains map by their meaning: G_IO_ERROR_CANCELLED -> cancelled, other G_IO_ERROR and
 * G_FILE_ERROR -> io, G_OPTION_ERROR -> usage; anything else -> internal.
 */
int cup_error_exit_code(const GError *error);

/** cup_error_exit_code_for: the exit code of a CUP_ERROR @code. */
int cup_error_exit_code_for(CupErrorCode code);

/**
 * cup_error_describe_exit_codes: the exit-code table as text, one "  N  id  meaning" line per
 * code, for --help. Returns a newly allocated string.
 */
char *cup_error_describe_exit_codes(void);

/**
 * cup_error_invalid_at: set CUP_ERROR_CATALOG "FILE: invalid at JPATH: WHY" (the message form of
 * every schema check of manifests/ and NVIDIA's redistrib manifests) from a va_list. Always
 * returns FALSE, so loaders can `return cup_error_invalid_at(...)`.
 */
gboolean cup_error_invalid_at(GError **error, const char *file, const char *jpath,
                              const char *format, va_list args) G_GNUC_PRINTF(4, 0);

G_END_DECLS
