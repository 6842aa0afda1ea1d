/* envstore.h - the Windows environment store (DESIGN.md section 2, platform/): variables in
 * the registry, user scope HKCU\Environment or system scope
 * HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment (administrators only).
 *
 * Values are read with RegGetValueW and RRF_NOEXPAND and written back with the type they had,
 * so a REG_EXPAND_SZ Path keeps its %SystemRoot% entries working; nothing here calls setx or
 * truncates. A change is published by broadcasting WM_SETTINGCHANGE "Environment" so that new
 * terminals see it. Every string in this API is UTF-8; UTF-16 exists only at the Win32 calls.
 * What to write is decided by core/winpath.
 */
#pragma once

#include "core/winpath.h"

#include <glib.h>
#include <wchar.h>

G_BEGIN_DECLS

/* The key of @scope's variables below its hive (HKCU or HKLM), as Win32 takes it (static). */
const wchar_t *cup_winenv_subkey(CupWinEnvScope scope);

/**
 * cup_winenv_is_administrator: whether this process may change the system scope: its token
 * holds BUILTIN\Administrators enabled (an administrator not running elevated does not). In
 * builds with CUDAUP_TEST_HOOKS defined, the environment variable CUDAUP_TEST_NOT_ADMINISTRATOR
 * makes it FALSE (Wine's user is always an administrator).
 */
gboolean cup_winenv_is_administrator(void);

/**
 * cup_winenv_check_scope: refuse the system scope without administrator rights, before any
 * change: CUP_ERROR_PERMISSION, one line saying to run as administrator or use the user scope.
 * The user scope is always allowed.
 */
gboolean cup_winenv_check_scope(CupWinEnvScope scope, GError **error);

/**
 * cup_winenv_read: the variable @name of @scope. Sets *@type to its registry type and, for
 * REG_SZ and REG_EXPAND_SZ, *@value to a new UTF-8 string (unexpanded). A missing variable
 * (or a missing key) gives CUP_WINREG_NONE and NULL; any other type (REG_DWORD, ...) gives
 * that type and NULL. Errors: CUP_ERROR_IO when the key cannot be read, CUP_ERROR_PARSE when
 * the value is not valid UTF-16.
 */
gboolean cup_winenv_read(CupWinEnvScope scope, const char *name, CupWinRegType *type, char **value,
                         GError **error);

/**
 * cup_winenv_write: set @name of @scope to @value with @type (CUP_WINREG_SZ or
 * CUP_WINREG_EXPAND_SZ), creating it when missing. Errors: CUP_ERROR_IO when the value would
 * pass CUP_WINENV_MAX_CHARS or the registry refuses the write (system scope without
 * administrator rights is CUP_ERROR_PERMISSION: the message says to run as administrator or use
 * the user scope).
 */
gboolean cup_winenv_write(CupWinEnvScope scope, const char *name, CupWinRegType type,
                          const char *value, GError **error);

/** cup_winenv_delete: remove @name from @scope; a missing one is not an error (CUP_ERROR_IO). */
gboolean cup_winenv_delete(CupWinEnvScope scope, const char *name, GError **error);

/**
 * cup_winenv_broadcast: send WM_SETTINGCHANGE "Environment" to every top-level window with
 * SendMessageTimeoutW (SMTO_ABORTIFHUNG, 5 s), so that Explorer hands new terminals the new
 * environment. Errors: CUP_ERROR_IO when the broadcast failed or timed out (the change is
 * still stored; it shows after the next sign-in).
 */
gboolean cup_winenv_broadcast(GError **error);

/**
 * cup_winenv_apply: give @scope the environment of the toolkit at @root (UTF-8 Windows path)
 * for CUDA @cuda_version: CUDA_PATH and CUDA_PATH_VX_Y = root, Path += root\bin and
 * root\libnvvp where that folder exists (core/winpath decides the values). Only what is
 * missing is written: a second run changes nothing and returns an empty record. A Path (or
 * CUDA_PATH*) that is not a string is left alone and a line is appended to @warnings (char*);
 * a missing Path is created as REG_EXPAND_SZ. Every new value is checked before the first
 * write; if a write fails, the ones already made are taken back. Broadcasts when anything
 * changed (a failed broadcast is a warning). Returns the record of the changes (owned by the
 * caller; keep it to undo them), or NULL with CUP_ERROR_USAGE (bad @root or @cuda_version),
 * CUP_ERROR_IO (limit, access) or CUP_ERROR_PARSE (a value that is not UTF-16).
 */
CupWinEnvRecord *cup_winenv_apply(CupWinEnvScope scope, const char *root, const char *cuda_version,
                                  GPtrArray *warnings, GError **error);

/**
 * cup_winenv_plan: the record cup_winenv_apply() would return now, with its warnings; nothing
 * is written (a dry run). Same errors.
 */
CupWinEnvRecord *cup_winenv_plan(CupWinEnvScope scope, const char *root, const char *cuda_version,
                                 GPtrArray *warnings, GError **error);

/**
 * cup_winenv_remove: take back exactly the changes of @record, newest first: each Path entry
 * it added (only that entry and its separator; a Path it created and left empty is deleted),
 * and each variable it set, restored to its old value and type or deleted when it had none.
 * A variable someone changed since is left as it is, and an entry no longer in Path is
 * skipped, each with a line in @warnings. Broadcasts when anything changed. Errors:
 * CUP_ERROR_IO when the registry refuses a read or write.
 */
gboolean cup_winenv_remove(const CupWinEnvRecord *record, GPtrArray *warnings, GError **error);

G_END_DECLS
