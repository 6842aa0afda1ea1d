/* envstore.c - the Windows environment store: registry values and WM_SETTINGCHANGE (compiled
 * on Windows builds only; the decisions are in core/winpath.c and tested on every OS). */
#include "platform/windows/envstore.h"

#include "core/error.h"
#include "core/i18n.h"

#include <windows.h>

#include <string.h>

const wchar_t *cup_winenv_subkey(CupWinEnvScope scope)
{
  return scope == CUP_WINENV_SYSTEM
             ? L"SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"
             : L"Environment";
}

static gboolean permission_error(GError **error)
{
  g_set_error(error, CUP_ERROR, CUP_ERROR_PERMISSION,
              _("changing the system environment (HKLM\\%s) needs administrator rights: run "
                "cudaup as administrator, or use the user scope (--scope user)"),
              cup_winenv_scope_key(CUP_WINENV_SYSTEM));
  return FALSE;
}

/* CUP_ERROR_IO "WHAT NAME in KEY: <Windows' message>; FIX"; access denied at system scope is
 * CUP_ERROR_PERMISSION. */
static gboolean win32_error(GError **error, LSTATUS status, CupWinEnvScope scope, const char *what,
                            const char *name)
{
  if (status == ERROR_ACCESS_DENIED && scope == CUP_WINENV_SYSTEM)
    return permission_error(error);
  g_autofree char *msg = g_win32_error_message((gint)status);
  g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
              _("cannot %s %s in %s: %s; check that the account may change its environment "
                "variables"),
              what, name, cup_winenv_scope_key(scope), msg);
  return FALSE;
}

/* Membership of BUILTIN\Administrators as the token has it: an administrator whose process is
 * not elevated (UAC) has the group for deny only, so this is FALSE for them too (Microsoft
 * Learn, CheckTokenMembership). */
static gboolean token_is_administrator(void)
{
  SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
  PSID admins = NULL;
  BOOL member = FALSE;
  if (!AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS, 0, 0,
                                0, 0, 0, 0, &admins))
    return FALSE;
  if (!CheckTokenMembership(NULL, admins, &member))
    member = FALSE;
  FreeSid(admins);
  return member;
}

gboolean cup_winenv_is_administrator(void)
{
#ifdef CUDAUP_TEST_HOOKS
  /* Test builds only: Wine's user is always an administrator. */
  if (g_getenv("CUDAUP_TEST_NOT_ADMINISTRATOR") != NULL)
    return FALSE;
#endif
  return token_is_administrator();
}

gboolean cup_winenv_check_scope(CupWinEnvScope scope, GError **error)
{
  if (scope == CUP_WINENV_SYSTEM && !cup_winenv_is_administrator())
    return permission_error(error);
  return TRUE;
}

static gunichar2 *to_utf16(const char *s, glong *units, GError **error)
{
  g_autoptr(GError) local = NULL;
  gunichar2 *w = g_utf8_to_utf16(s, -1, NULL, units, &local);
  if (w == NULL) {
    g_autofree char *shown = g_utf8_make_valid(s, -1);
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE, "'%s' is not valid UTF-8 (%s); give it in UTF-8",
                shown, local->message);
  }
  return w;
}

/* Opens the scope's key; a missing user key is created (a new profile may lack it). Sets
 * *@key to NULL without an error when reading a key that does not exist. */
static gboolean open_key(CupWinEnvScope scope, gboolean write, HKEY *key, GError **error)
{
  HKEY hive = scope == CUP_WINENV_SYSTEM ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER;
  REGSAM access = KEY_QUERY_VALUE | (write ? KEY_SET_VALUE : 0);
  LSTATUS st;
  *key = NULL;
  if (write && scope == CUP_WINENV_USER)
    st = RegCreateKeyExW(hive, cup_winenv_subkey(scope), 0, NULL, 0, access, NULL, key, NULL);
  else
    st = RegOpenKeyExW(hive, cup_winenv_subkey(scope), 0, access, key);
  if (st == ERROR_FILE_NOT_FOUND && !write)
    return TRUE;
  if (st != ERROR_SUCCESS)
    return win32_error(error, st, scope, write ? "open for writing" : "open", "the key");
  return TRUE;
}

/* The raw data of value @wname (a new buffer with two spare NULs), its type and size. */
static LSTATUS get_raw(HKEY key, const wchar_t *wname, DWORD *type, BYTE **data, DWORD *size)
{
  *data = NULL;
  for (int tries = 0; tries < 4; tries++) {
    DWORD need = 0;
    LSTATUS st = RegGetValueW(key, NULL, wname, RRF_RT_ANY | RRF_NOEXPAND, type, NULL, &need);
    if (st != ERROR_SUCCESS)
      return st;
    g_free(*data);
    *data = g_malloc0(need + 2 * sizeof(wchar_t));
    *size = need + 2 * sizeof(wchar_t);
    st = RegGetValueW(key, NULL, wname, RRF_RT_ANY | RRF_NOEXPAND, type, *data, size);
    if (st != ERROR_MORE_DATA) /* the value grew between the two calls: ask again */
      return st;
  }
  return ERROR_MORE_DATA;
}

static gboolean string_from_raw(const BYTE *data, DWORD size, CupWinEnvScope scope,
                                const char *name, char **value, GError **error)
{
  const wchar_t *w = (const wchar_t *)data;
  glong units = (glong)wcsnlen(w, size / sizeof(wchar_t));
  g_autoptr(GError) local = NULL;
  *value = g_utf16_to_utf8((const gunichar2 *)w, units, NULL, NULL, &local);
  if (*value == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                "%s in %s is not valid UTF-16 (%s); fix it in the Environment Variables dialog",
                name, cup_winenv_scope_key(scope), local->message);
    return FALSE;
  }
  return TRUE;
}

gboolean cup_winenv_read(CupWinEnvScope scope, const char *name, CupWinRegType *type, char **value,
                         GError **error)
{
  *type = CUP_WINREG_NONE;
  *value = NULL;
  HKEY key;
  if (!open_key(scope, FALSE, &key, error))
    return FALSE;
  if (key == NULL)
    return TRUE;
  g_autofree gunichar2 *wname = to_utf16(name, NULL, error);
  if (wname == NULL) {
    RegCloseKey(key);
    return FALSE;
  }
  DWORD t = REG_NONE, size = 0;
  g_autofree BYTE *data = NULL;
  LSTATUS st = get_raw(key, (const wchar_t *)wname, &t, &data, &size);
  RegCloseKey(key);
  if (st == ERROR_FILE_NOT_FOUND)
    return TRUE;
  if (st != ERROR_SUCCESS)
    return win32_error(error, st, scope, "read", name);
  *type = (CupWinRegType)t;
  if (t != REG_SZ && t != REG_EXPAND_SZ)
    return TRUE;
  return string_from_raw(data, size, scope, name, value, error);
}

gboolean cup_winenv_write(CupWinEnvScope scope, const char *name, CupWinRegType type,
                          const char *value, GError **error)
{
  g_return_val_if_fail(type == CUP_WINREG_SZ || type == CUP_WINREG_EXPAND_SZ, FALSE);
  if (!cup_winenv_check_length(name, value, error))
    return FALSE;
  glong units = 0;
  g_autofree gunichar2 *wname = to_utf16(name, NULL, error);
  g_autofree gunichar2 *wvalue = wname ? to_utf16(value, &units, error) : NULL;
  if (wvalue == NULL)
    return FALSE;
  HKEY key;
  if (!open_key(scope, TRUE, &key, error))
    return FALSE;
  LSTATUS st = RegSetValueExW(key, (const wchar_t *)wname, 0, (DWORD)type, (const BYTE *)wvalue,
                              (DWORD)((units + 1) * sizeof(wchar_t)));
  RegCloseKey(key);
  if (st != ERROR_SUCCESS)
    return win32_error(error, st, scope, "write", name);
  return TRUE;
}

gboolean cup_winenv_delete(CupWinEnvScope scope, const char *name, GError **error)
{
  g_autofree gunichar2 *wname = to_utf16(name, NULL, error);
  if (wname == NULL)
    return FALSE;
  HKEY key;
  if (!open_key(scope, TRUE, &key, error))
    return FALSE;
  LSTATUS st = RegDeleteValueW(key, (const wchar_t *)wname);
  RegCloseKey(key);
  if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND)
    return win32_error(error, st, scope, "delete", name);
  return TRUE;
}

gboolean cup_winenv_broadcast(GError **error)
{
  DWORD_PTR result = 0;
  /* The documented way to tell Explorer (and so every new terminal) about new variables
   * (Microsoft Learn, "Environment Variables"); a hung window must not hang the install. */
  if (SendMessageTimeoutW(HWND_BROADCAST, WM_SETTINGCHANGE, 0, (LPARAM)L"Environment",
                          SMTO_ABORTIFHUNG, 5000, &result) == 0) {
    g_autofree char *msg = g_win32_error_message((gint)GetLastError());
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                "could not announce the new environment to running programs (%s); it is "
                "stored, and new terminals see it after you sign out and in again",
                msg);
    return FALSE;
  }
  return TRUE;
}

static const char *type_name(CupWinRegType type)
{
  switch ((DWORD)type) {
  case REG_BINARY:
    return "REG_BINARY";
  case REG_DWORD:
    return "REG_DWORD";
  case REG_MULTI_SZ:
    return "REG_MULTI_SZ";
  case REG_QWORD:
    return "REG_QWORD";
  default:
    return "a registry type";
  }
}

static void warn_not_string(GPtrArray *warnings, CupWinEnvScope scope, const char *name,
                            CupWinRegType type)
{
  g_ptr_array_add(warnings,
                  g_strdup_printf("%s in %s is %s (%d), not a string, so cudaup left it "
                                  "alone; make it a string (REG_EXPAND_SZ) and run "
                                  "cudaup env apply again",
                                  name, cup_winenv_scope_key(scope), type_name(type), (int)type));
}

static void broadcast_or_warn(GPtrArray *warnings)
{
  g_autoptr(GError) error = NULL;
  if (!cup_winenv_broadcast(&error))
    g_ptr_array_add(warnings, g_strdup(error->message));
}

static CupWinEnvChange *change_new(CupWinEnvChangeKind kind, const char *name, const char *value,
                                   CupWinRegType type, CupWinRegType old_type, char *old_value)
{
  CupWinEnvChange *c = g_new0(CupWinEnvChange, 1);
  c->kind = kind;
  c->name = g_strdup(name);
  c->value = g_strdup(value);
  c->type = type;
  c->old_type = old_type;
  c->old_value = old_value;
  return c;
}

/* Plans one variable: a change unless it already names the same folder. */
static gboolean plan_value(CupWinEnvRecord *rec, const CupWinEnvWant *want, GPtrArray *warnings,
                           GError **error)
{
  CupWinRegType type;
  g_autofree char *old = NULL;
  if (!cup_winenv_read(rec->scope, want->name, &type, &old, error))
    return FALSE;
  if (type != CUP_WINREG_NONE && old == NULL) {
    warn_not_string(warnings, rec->scope, want->name, type);
    return TRUE;
  }
  if (old != NULL && cup_winpath_entry_equal(old, want->value))
    return TRUE;
  if (!cup_winenv_check_length(want->name, want->value, error))
    return FALSE;
  CupWinRegType new_type = type == CUP_WINREG_NONE ? CUP_WINREG_SZ : type;
  g_ptr_array_add(rec->changes, change_new(CUP_WINENV_SET_VALUE, want->name, want->value, new_type,
                                           type, g_steal_pointer(&old)));
  return TRUE;
}

/* Plans the Path entries of @wants; sets *@path to the Path to write (NULL: none). Entries are
 * prepended last first, so they appear in the order of @wants. */
static gboolean plan_path(CupWinEnvRecord *rec, GPtrArray *wants, char **path,
                          CupWinRegType *path_type, GPtrArray *warnings, GError **error)
{
  *path = NULL;
  CupWinRegType type;
  g_autofree char *cur = NULL;
  if (!cup_winenv_read(rec->scope, "Path", &type, &cur, error))
    return FALSE;
  if (type != CUP_WINREG_NONE && cur == NULL) {
    warn_not_string(warnings, rec->scope, "Path", type);
    return TRUE;
  }
  /* A missing Path is created as REG_EXPAND_SZ, the type Windows gives it. */
  *path_type = type == CUP_WINREG_NONE ? CUP_WINREG_EXPAND_SZ : type;
  gboolean changed = FALSE;
  for (guint i = wants->len; i-- > 0;) {
    const CupWinEnvWant *w = g_ptr_array_index(wants, i);
    g_autofree char *next = NULL;
    if (!w->path_entry)
      continue;
    if (!cup_winpath_add(cur, w->value, &next, error))
      return FALSE;
    if (next == NULL)
      continue;
    CupWinRegType before = changed ? *path_type : type;
    g_ptr_array_add(rec->changes,
                    change_new(CUP_WINENV_ADD_ENTRY, "Path", w->value, *path_type, before, NULL));
    g_free(cur);
    cur = g_steal_pointer(&next);
    changed = TRUE;
  }
  if (changed)
    *path = g_steal_pointer(&cur);
  return TRUE;
}

/* Restores the variables of the first @n changes of @rec, newest first (an apply that failed
 * part way); best effort, since the failure being reported matters more. */
static void undo_values(const CupWinEnvRecord *rec, guint n)
{
  for (guint i = n; i-- > 0;) {
    const CupWinEnvChange *c = g_ptr_array_index(rec->changes, i);
    if (c->kind != CUP_WINENV_SET_VALUE)
      continue;
    if (c->old_type == CUP_WINREG_NONE)
      cup_winenv_delete(rec->scope, c->name, NULL);
    else
      cup_winenv_write(rec->scope, c->name, c->old_type, c->old_value, NULL);
  }
}

/* Writes what was planned: the variables, then Path once. */
static gboolean write_planned(const CupWinEnvRecord *rec, const char *path, CupWinRegType path_type,
                              GError **error)
{
  guint done = 0;
  for (; done < rec->changes->len; done++) {
    const CupWinEnvChange *c = g_ptr_array_index(rec->changes, done);
    if (c->kind != CUP_WINENV_SET_VALUE)
      break;
    if (!cup_winenv_write(rec->scope, c->name, c->type, c->value, error)) {
      undo_values(rec, done);
      return FALSE;
    }
  }
  if (path != NULL && !cup_winenv_write(rec->scope, "Path", path_type, path, error)) {
    undo_values(rec, done);
    return FALSE;
  }
  return TRUE;
}

/* What applying the toolkit at @root needs: the record of the changes and the Path to write
 * (NULL: Path stays). Reads only. */
static CupWinEnvRecord *plan_apply(CupWinEnvScope scope, const char *root, const char *cuda_version,
                                   GPtrArray *warnings, char **path, CupWinRegType *path_type,
                                   GError **error)
{
  g_autofree char *nvvp = g_build_filename(root, "libnvvp", NULL);
  gboolean has_nvvp = g_file_test(nvvp, G_FILE_TEST_IS_DIR);
  g_autoptr(GPtrArray) wants = cup_winenv_wants(root, cuda_version, has_nvvp, error);
  if (wants == NULL)
    return NULL;
  g_autoptr(CupWinEnvRecord) rec = cup_winenv_record_new(scope);
  for (guint i = 0; i < wants->len; i++) {
    const CupWinEnvWant *w = g_ptr_array_index(wants, i);
    if (!w->path_entry && !plan_value(rec, w, warnings, error))
      return NULL;
  }
  *path_type = CUP_WINREG_EXPAND_SZ;
  if (!plan_path(rec, wants, path, path_type, warnings, error))
    return NULL;
  return g_steal_pointer(&rec);
}

CupWinEnvRecord *cup_winenv_plan(CupWinEnvScope scope, const char *root, const char *cuda_version,
                                 GPtrArray *warnings, GError **error)
{
  g_autofree char *path = NULL;
  CupWinRegType path_type;
  return plan_apply(scope, root, cuda_version, warnings, &path, &path_type, error);
}

CupWinEnvRecord *cup_winenv_apply(CupWinEnvScope scope, const char *root, const char *cuda_version,
                                  GPtrArray *warnings, GError **error)
{
  g_autofree char *path = NULL;
  CupWinRegType path_type;
  g_autoptr(CupWinEnvRecord) rec =
      plan_apply(scope, root, cuda_version, warnings, &path, &path_type, error);
  if (rec == NULL || !write_planned(rec, path, path_type, error))
    return NULL;
  if (rec->changes->len > 0)
    broadcast_or_warn(warnings);
  return g_steal_pointer(&rec);
}

/* Takes the record's Path entries out of Path, newest first, and writes Path once. */
static gboolean remove_entries(const CupWinEnvRecord *rec, gboolean *changed, GPtrArray *warnings,
                               GError **error)
{
  CupWinRegType type;
  g_autofree char *cur = NULL;
  if (!cup_winenv_read(rec->scope, "Path", &type, &cur, error))
    return FALSE;
  gboolean edited = FALSE, created = FALSE;
  for (guint i = rec->changes->len; i-- > 0;) {
    const CupWinEnvChange *c = g_ptr_array_index(rec->changes, i);
    if (c->kind != CUP_WINENV_ADD_ENTRY)
      continue;
    if (type != CUP_WINREG_NONE && cur == NULL) {
      warn_not_string(warnings, rec->scope, "Path", type);
      return TRUE;
    }
    created = created || c->old_type == CUP_WINREG_NONE;
    char *next = cup_winpath_remove(cur, c->value);
    if (next == NULL) {
      g_ptr_array_add(warnings, g_strdup_printf("Path in %s no longer has %s; nothing to take out",
                                                cup_winenv_scope_key(rec->scope), c->value));
      continue;
    }
    g_free(cur);
    cur = next;
    edited = TRUE;
  }
  if (!edited)
    return TRUE;
  *changed = TRUE;
  /* A Path that cudaup created goes away again once nothing else is in it. */
  if (created && *cur == '\0')
    return cup_winenv_delete(rec->scope, "Path", error);
  return cup_winenv_write(rec->scope, "Path", type, cur, error);
}

/* Puts back the value a variable had before cudaup set it, unless someone changed it since. */
static gboolean restore_value(const CupWinEnvRecord *rec, const CupWinEnvChange *c,
                              gboolean *changed, GPtrArray *warnings, GError **error)
{
  CupWinRegType type;
  g_autofree char *cur = NULL;
  if (!cup_winenv_read(rec->scope, c->name, &type, &cur, error))
    return FALSE;
  gboolean ours = cur != NULL && strcmp(cur, c->value) == 0;
  gboolean old = c->old_type == CUP_WINREG_NONE ? type == CUP_WINREG_NONE
                                                : cur != NULL && strcmp(cur, c->old_value) == 0;
  if (!ours) {
    if (!old) /* not merely restored by an earlier, interrupted removal */
      g_ptr_array_add(warnings,
                      g_strdup_printf("%s in %s was changed after cudaup set it; left as it is",
                                      c->name, cup_winenv_scope_key(rec->scope)));
    return TRUE;
  }
  *changed = TRUE;
  if (c->old_type == CUP_WINREG_NONE)
    return cup_winenv_delete(rec->scope, c->name, error);
  return cup_winenv_write(rec->scope, c->name, c->old_type, c->old_value, error);
}

gboolean cup_winenv_remove(const CupWinEnvRecord *record, GPtrArray *warnings, GError **error)
{
  gboolean changed = FALSE, ok = remove_entries(record, &changed, warnings, error);
  for (guint i = record->changes->len; ok && i-- > 0;) {
    const CupWinEnvChange *c = g_ptr_array_index(record->changes, i);
    if (c->kind == CUP_WINENV_SET_VALUE)
      ok = restore_value(record, c, &changed, warnings, error);
  }
  if (changed)
    broadcast_or_warn(warnings);
  return ok;
}
