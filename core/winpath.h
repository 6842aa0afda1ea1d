/* winpath.h - the Windows environment of a toolkit, decided without touching Windows (pure:
 * GLib only, no I/O; compiled and tested on every OS).
 *
 * Issue 6, Windows: CUDA_PATH and CUDA_PATH_VX_Y = <root>; Path gets <root>\bin, and
 * <root>\libnvvp where that folder exists. cuDNN's DLLs sit in <root>\bin, so nothing more.
 * Path is a ';'-separated list; an entry is added only when absent (case-insensitive, trailing
 * backslashes ignored) and removal takes out exactly the text that was added, so add then
 * remove gives the original value byte for byte. platform/windows/envstore.c reads and writes
 * the registry; this file decides every value and keeps the undo record.
 *
 * All strings are UTF-8. Lengths that Windows limits are counted in UTF-16 code units.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "The maximum size of a user-defined environment variable is 32,767 characters" (Microsoft
 * Learn, SetEnvironmentVariableW). Read conservatively: the terminating NUL counts, so a value
 * may hold at most 32,766 UTF-16 units. */
#define CUP_WINENV_MAX_CHARS 32767

/* Registry value types, numbered as Win32's REG_* constants (winnt.h). */
typedef enum {
  CUP_WINREG_NONE = 0, /* the value does not exist */
  CUP_WINREG_SZ = 1,
  CUP_WINREG_EXPAND_SZ = 2,
  CUP_WINREG_BINARY = 3,
  CUP_WINREG_DWORD = 4,
  CUP_WINREG_MULTI_SZ = 7,
} CupWinRegType;

typedef enum {
  CUP_WINENV_USER,   /* HKCU\Environment */
  CUP_WINENV_SYSTEM, /* HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment */
} CupWinEnvScope;

/**
 * cup_winpath_units: length of UTF-8 @s in UTF-16 code units (a character outside the BMP
 * counts 2), the unit of Windows' length limits. @s must be valid UTF-8.
 */
glong cup_winpath_units(const char *s);

/**
 * cup_winpath_entry_equal: whether two Path entries name the same folder as Windows compares
 * them: case-insensitively (Unicode case folding), ignoring trailing backslashes and one pair
 * of surrounding double quotes. Textual only: "%CUDA_PATH%\bin" is not expanded.
 */
gboolean cup_winpath_entry_equal(const char *a, const char *b);

/** cup_winpath_contains: whether the Path value @value (may be NULL) has an entry equal to @entry.
 */
gboolean cup_winpath_contains(const char *value, const char *entry);

/**
 * cup_winpath_add: @value with @entry put first (prepend) so that the toolkit just installed is
 * the one a new terminal finds. Separators are chosen so that cup_winpath_remove() gives
 * @value back byte for byte; empty items and the order of the other entries are kept.
 * @value may be NULL or "" (a missing or empty Path). Returns TRUE and sets *@result to a new
 * string, or to NULL when @entry is already present (nothing to do). Errors: CUP_ERROR_USAGE
 * when @entry is empty, has a ';' or '"' or is not UTF-8; CUP_ERROR_IO when the result would
 * pass CUP_WINENV_MAX_CHARS (the message names the fix: shorten Path).
 */
gboolean cup_winpath_add(const char *value, const char *entry, char **result, GError **error);

/**
 * cup_winpath_remove: @value without the first entry equal to @entry (cup_winpath_entry_equal)
 * and the one separator that cup_winpath_add() put next to it. Returns a new string, or NULL
 * when no entry matches.
 */
char *cup_winpath_remove(const char *value, const char *entry);

/**
 * cup_winenv_check_length: CUP_ERROR_IO "NAME would be N characters, over Windows' limit ..."
 * when @value does not fit CUP_WINENV_MAX_CHARS. Returns TRUE when it fits.
 */
gboolean cup_winenv_check_length(const char *name, const char *value, GError **error);

/* What a toolkit wants: one variable or one Path entry. */
typedef struct {
  char *name;  /* "CUDA_PATH", "CUDA_PATH_V13_0" or "Path" */
  char *value; /* the variable's value, or the Path entry ("C:\...\v13.0\bin") */
  gboolean path_entry;
} CupWinEnvWant;

void cup_winenv_want_free(CupWinEnvWant *want);

/**
 * cup_winenv_wants: the environment of the toolkit at @root (an absolute Windows path,
 * "C:\..." or "\\server\share\..."; '/' is read as '\' and trailing separators are dropped)
 * for CUDA @cuda_version ("13.0" or "13.0.2"; major.minor names CUDA_PATH_V13_0). @libnvvp:
 * whether <root>\libnvvp exists. Returns a GPtrArray of CupWinEnvWant* in the order to apply:
 * CUDA_PATH, CUDA_PATH_VX_Y, then Path entries (bin first). Errors: CUP_ERROR_USAGE naming
 * @root or @cuda_version when either is malformed.
 */
GPtrArray *cup_winenv_wants(const char *root, const char *cuda_version, gboolean libnvvp,
                            GError **error);

/* One change made to the registry, enough to take it back. */
typedef enum {
  CUP_WINENV_SET_VALUE, /* a variable written (created or replaced) */
  CUP_WINENV_ADD_ENTRY, /* an entry put into Path */
} CupWinEnvChangeKind;

typedef struct {
  CupWinEnvChangeKind kind;
  char *name;             /* variable name as written */
  char *value;            /* SET_VALUE: the value written; ADD_ENTRY: the entry added */
  CupWinRegType type;     /* the type written (SZ or EXPAND_SZ) */
  CupWinRegType old_type; /* SET_VALUE: the type before, NONE when it did not exist;
                             ADD_ENTRY: NONE when Path did not exist and was created */
  char *old_value;        /* SET_VALUE: the value before, NULL when it did not exist */
} CupWinEnvChange;

void cup_winenv_change_free(CupWinEnvChange *change);

/* Every change of one apply, in the order made; undone in reverse. */
typedef struct {
  CupWinEnvScope scope;
  GPtrArray *changes; /* CupWinEnvChange* */
} CupWinEnvRecord;

/** cup_winenv_record_new: an empty record for @scope. Free with cup_winenv_record_free(). */
CupWinEnvRecord *cup_winenv_record_new(CupWinEnvScope scope);
void cup_winenv_record_free(CupWinEnvRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupWinEnvRecord, cup_winenv_record_free)

/**
 * cup_winenv_record_to_data: @record as GKeyFile text (UTF-8), for the install record.
 * Returns a new string.
 */
char *cup_winenv_record_to_data(const CupWinEnvRecord *record);

/**
 * cup_winenv_record_from_data: the record that cup_winenv_record_to_data() wrote. Errors:
 * CUP_ERROR_PARSE naming the group or key that is missing or malformed.
 */
CupWinEnvRecord *cup_winenv_record_from_data(const char *data, GError **error);

/** cup_winenv_scope_key: the registry key of @scope below its hive, for messages. */
const char *cup_winenv_scope_key(CupWinEnvScope scope);

G_END_DECLS
