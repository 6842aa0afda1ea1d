/* envdefault.h - the toolkit cudaup made the default for new terminals on Windows (issue 6:
 * exactly one default; `cudaup env apply --cuda 12.1` switches), with the record of exactly
 * what making it the default changed (core/winpath's CupWinEnvRecord), so that switching to
 * another toolkit replaces its variables and Path entries instead of stacking them, and
 * `cudaup env remove` takes them out exactly.
 *
 * Kept in the registry beside the scope it describes, HKCU\Software\cudaup\Environment (user)
 * or HKLM\SOFTWARE\cudaup\Environment (system), as the REG_SZ values Root, CUDA and Record
 * (cup_winenv_record_to_data's text). The variables themselves are written by envstore.h.
 */
#pragma once

#include "core/winpath.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  CupWinEnvScope scope;
  char *root;              /* the default toolkit's root; NULL when cudaup set none here */
  char *cuda;              /* its CUDA "X.Y"; NULL with root */
  CupWinEnvRecord *record; /* what making it the default changed; NULL with root */
} CupWinEnvDefault;

void cup_winenv_default_free(CupWinEnvDefault *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupWinEnvDefault, cup_winenv_default_free)

/**
 * cup_winenv_default_load: the default cudaup keeps for @scope (all fields NULL when none).
 * Errors: CUP_ERROR_IO when the key cannot be read, CUP_ERROR_PARSE when its Record is
 * malformed (the message names the key to delete). Returns a new struct or NULL.
 */
CupWinEnvDefault *cup_winenv_default_load(CupWinEnvScope scope, GError **error);

/* What cup_winenv_default_set or _clear did (or, in a dry run, would do). */
typedef struct {
  CupWinEnvScope scope;
  gboolean dry_run;
  char *old_root;          /* the default before, or NULL */
  CupWinEnvRecord *undone; /* the old default's changes taken back; NULL when none */
  CupWinEnvRecord *made;   /* the changes made for the new default; NULL when none */
  GPtrArray *warnings;     /* char*: lines to show (a value changed by hand, no broadcast) */
} CupWinEnvSwitch;

void cup_winenv_switch_free(CupWinEnvSwitch *sw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupWinEnvSwitch, cup_winenv_switch_free)

/**
 * cup_winenv_default_set: make the toolkit at @root (CUDA @cuda, "X.Y") the default of
 * @scope: the previous default's changes are taken back first (unless it is the same root,
 * whose missing pieces are then added to its record), then envstore's cup_winenv_apply, then
 * the new record is kept. With @dry_run nothing is written and the changes are only planned
 * (without the administrator check). Returns what was done, also when @error is set after a
 * change was made (a partial result), or NULL when nothing was changed. Errors:
 * CUP_ERROR_PERMISSION (system scope without administrator rights; nothing changed), and
 * those of cup_winenv_apply and cup_winenv_remove.
 */
CupWinEnvSwitch *cup_winenv_default_set(CupWinEnvScope scope, const char *root, const char *cuda,
                                        gboolean dry_run, GError **error);

/**
 * cup_winenv_default_clear: take the default of @scope away: its record's changes exactly
 * (cup_winenv_remove), then the kept record. Nothing to take away is no error (an empty
 * result). Returns and errors as cup_winenv_default_set.
 */
CupWinEnvSwitch *cup_winenv_default_clear(CupWinEnvScope scope, gboolean dry_run, GError **error);

/**
 * cup_winenv_snapshot_take: what cup_winenv_default_set or _clear may change in @scope, as it
 * is now, for an install's journal (core/txn.h, cup_txn_journal_registry): every variable named
 * Path, CUDA_PATH or CUDA_PATH_V* with its type and value, and the kept default (Root, CUDA,
 * Record). Returns JSON text (newly allocated): {"scope":"user"|"system","vars":{NAME:{"type":T,
 * "value":V},...},"default":{"Root","CUDA","Record"}|null}. Errors: CUP_ERROR_IO when the keys
 * cannot be read, CUP_ERROR_PARSE for a value that is not UTF-16.
 */
char *cup_winenv_snapshot_take(CupWinEnvScope scope, GError **error);

/**
 * cup_winenv_snapshot_restore: put @scope back as @text (cup_winenv_snapshot_take's) says:
 * each string variable written back with its type, a CUDA_PATH* that did not exist deleted
 * (also one made since, CUDA_PATH_V13_0 of a new default), a value of another type left alone,
 * the kept default written back or deleted; then WM_SETTINGCHANGE. Idempotent, for a rollback
 * and for the recovery after a crash. Errors: CUP_ERROR_PARSE for text that is not a snapshot,
 * CUP_ERROR_IO / CUP_ERROR_PERMISSION when the registry refuses a write.
 */
gboolean cup_winenv_snapshot_restore(const char *text, GError **error);

G_END_DECLS
