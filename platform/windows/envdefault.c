/* envdefault.c - the default toolkit's record in the registry, and switching it (envdefault.h;
 * Windows builds only). */
#include "platform/windows/envdefault.h"

#include "core/error.h"
#include "core/i18n.h"
#include "platform/windows/envstore.h"

#include <jansson.h>
#include <string.h>
#include <windows.h>

#include "core/system.h" /* g_autoptr(json_t) */

#define DEFAULT_SUBKEY L"Software\\cudaup\\Environment"
#define PARENT_SUBKEY L"Software\\cudaup"

static HKEY hive(CupWinEnvScope scope)
{
  return scope == CUP_WINENV_SYSTEM ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER;
}

static const char *hive_name(CupWinEnvScope scope)
{
  return scope == CUP_WINENV_SYSTEM ? "HKLM" : "HKCU";
}

static gboolean reg_error(GError **error, LSTATUS status, CupWinEnvScope scope, const char *what)
{
  g_autofree char *msg = g_win32_error_message((gint)status);
  g_set_error(error, CUP_ERROR,
              status == ERROR_ACCESS_DENIED && scope == CUP_WINENV_SYSTEM ? CUP_ERROR_PERMISSION
                                                                          : CUP_ERROR_IO,
              _("cannot %s %s\\Software\\cudaup\\Environment: %s"), what, hive_name(scope), msg);
  return FALSE;
}

void cup_winenv_default_free(CupWinEnvDefault *d)
{
  if (d == NULL)
    return;
  g_free(d->root);
  g_free(d->cuda);
  g_clear_pointer(&d->record, cup_winenv_record_free);
  g_free(d);
}

void cup_winenv_switch_free(CupWinEnvSwitch *sw)
{
  if (sw == NULL)
    return;
  g_free(sw->old_root);
  g_clear_pointer(&sw->undone, cup_winenv_record_free);
  g_clear_pointer(&sw->made, cup_winenv_record_free);
  g_ptr_array_unref(sw->warnings);
  g_free(sw);
}

/* The REG_SZ value @name of @key as UTF-8; NULL when it is missing or not a string. */
static char *read_string(HKEY key, const wchar_t *name)
{
  DWORD type = REG_NONE, size = 0;
  if (RegGetValueW(key, NULL, name, RRF_RT_REG_SZ, &type, NULL, &size) != ERROR_SUCCESS)
    return NULL;
  g_autofree wchar_t *data = g_malloc0(size + sizeof(wchar_t));
  if (RegGetValueW(key, NULL, name, RRF_RT_REG_SZ, &type, data, &size) != ERROR_SUCCESS)
    return NULL;
  return g_utf16_to_utf8((const gunichar2 *)data, -1, NULL, NULL, NULL);
}

static LSTATUS write_string(HKEY key, const wchar_t *name, const char *value)
{
  glong units = 0;
  g_autofree gunichar2 *w = g_utf8_to_utf16(value, -1, NULL, &units, NULL);
  if (w == NULL)
    return ERROR_INVALID_DATA;
  return RegSetValueExW(key, name, 0, REG_SZ, (const BYTE *)w,
                        (DWORD)((units + 1) * sizeof(wchar_t)));
}

CupWinEnvDefault *cup_winenv_default_load(CupWinEnvScope scope, GError **error)
{
  g_autoptr(CupWinEnvDefault) d = g_new0(CupWinEnvDefault, 1);
  d->scope = scope;
  HKEY key = NULL;
  LSTATUS st = RegOpenKeyExW(hive(scope), DEFAULT_SUBKEY, 0, KEY_QUERY_VALUE, &key);
  if (st == ERROR_FILE_NOT_FOUND)
    return g_steal_pointer(&d);
  if (st != ERROR_SUCCESS) {
    reg_error(error, st, scope, "read");
    return NULL;
  }
  d->root = read_string(key, L"Root");
  d->cuda = read_string(key, L"CUDA");
  g_autofree char *data = read_string(key, L"Record");
  RegCloseKey(key);
  if (d->root == NULL || d->cuda == NULL || data == NULL) {
    g_clear_pointer(&d->root, g_free);
    g_clear_pointer(&d->cuda, g_free);
    return g_steal_pointer(&d);
  }
  g_autoptr(GError) local = NULL;
  d->record = cup_winenv_record_from_data(data, &local);
  if (d->record == NULL || d->record->scope != scope) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                _("%s\\Software\\cudaup\\Environment holds a malformed record (%s); delete that "
                  "key and run 'cudaup env apply' again"),
                hive_name(scope), local ? local->message : _("another scope's"));
    return NULL;
  }
  return g_steal_pointer(&d);
}

static gboolean save_default(CupWinEnvScope scope, const char *root, const char *cuda,
                             const CupWinEnvRecord *record, GError **error)
{
  HKEY key = NULL;
  LSTATUS st =
      RegCreateKeyExW(hive(scope), DEFAULT_SUBKEY, 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL);
  if (st != ERROR_SUCCESS)
    return reg_error(error, st, scope, "write");
  g_autofree char *data = cup_winenv_record_to_data(record);
  /* Record last: a default without one reads as none (see cup_winenv_default_load). */
  RegDeleteValueW(key, L"Record");
  st = write_string(key, L"Root", root);
  if (st == ERROR_SUCCESS)
    st = write_string(key, L"CUDA", cuda);
  if (st == ERROR_SUCCESS)
    st = write_string(key, L"Record", data);
  RegCloseKey(key);
  return st == ERROR_SUCCESS || reg_error(error, st, scope, "write");
}

/* Deletes the kept default, and Software\cudaup when nothing else is left in it. */
static gboolean forget_default(CupWinEnvScope scope, GError **error)
{
  LSTATUS st = RegDeleteKeyW(hive(scope), DEFAULT_SUBKEY);
  if (st != ERROR_SUCCESS && st != ERROR_FILE_NOT_FOUND)
    return reg_error(error, st, scope, "delete");
  HKEY parent = NULL;
  if (RegOpenKeyExW(hive(scope), PARENT_SUBKEY, 0, KEY_QUERY_VALUE, &parent) != ERROR_SUCCESS)
    return TRUE;
  DWORD subkeys = 1, values = 1;
  RegQueryInfoKeyW(parent, NULL, NULL, NULL, &subkeys, NULL, NULL, &values, NULL, NULL, NULL, NULL);
  RegCloseKey(parent);
  if (subkeys == 0 && values == 0)
    RegDeleteKeyW(hive(scope), PARENT_SUBKEY);
  return TRUE;
}

static CupWinEnvSwitch *switch_new(CupWinEnvScope scope, gboolean dry_run)
{
  CupWinEnvSwitch *sw = g_new0(CupWinEnvSwitch, 1);
  sw->scope = scope;
  sw->dry_run = dry_run;
  sw->warnings = g_ptr_array_new_with_free_func(g_free);
  return sw;
}

static CupWinEnvRecord *record_copy(const CupWinEnvRecord *record)
{
  g_autofree char *data = cup_winenv_record_to_data(record);
  return cup_winenv_record_from_data(data, NULL);
}

/* @record with @more's changes after its own (the same root applied again). */
static CupWinEnvRecord *merge_records(const CupWinEnvRecord *record, const CupWinEnvRecord *more)
{
  CupWinEnvRecord *merged = record_copy(record);
  g_autoptr(CupWinEnvRecord) tail = record_copy(more);
  while (tail->changes->len > 0)
    g_ptr_array_add(merged->changes, g_ptr_array_steal_index(tail->changes, 0));
  return merged;
}

/* Takes the old default's changes back (a dry run only notes them). */
static gboolean undo_old(CupWinEnvSwitch *sw, CupWinEnvDefault *old, GError **error)
{
  sw->old_root = g_strdup(old->root);
  sw->undone = g_steal_pointer(&old->record);
  if (sw->dry_run)
    return TRUE;
  if (!cup_winenv_remove(sw->undone, sw->warnings, error))
    return FALSE;
  return forget_default(sw->scope, error);
}

CupWinEnvSwitch *cup_winenv_default_set(CupWinEnvScope scope, const char *root, const char *cuda,
                                        gboolean dry_run, GError **error)
{
  if (!dry_run && !cup_winenv_check_scope(scope, error))
    return NULL;
  g_autoptr(CupWinEnvDefault) old = cup_winenv_default_load(scope, error);
  if (old == NULL)
    return NULL;
  g_autoptr(CupWinEnvSwitch) sw = switch_new(scope, dry_run);
  gboolean same = old->root != NULL && cup_winpath_entry_equal(old->root, root);
  if (old->root != NULL && !same && !undo_old(sw, old, error))
    return g_steal_pointer(&sw); /* partly taken back, maybe: say what was */
  if (dry_run) {
    sw->made = cup_winenv_plan(scope, root, cuda, sw->warnings, error);
    return sw->made ? g_steal_pointer(&sw) : NULL;
  }
  sw->made = cup_winenv_apply(scope, root, cuda, sw->warnings, error);
  if (sw->made == NULL)
    return sw->undone ? g_steal_pointer(&sw) : NULL;
  if (same && sw->made->changes->len == 0)
    return g_steal_pointer(&sw); /* already so: nothing written, not even the record */
  g_autoptr(CupWinEnvRecord) merged = same ? merge_records(old->record, sw->made) : NULL;
  save_default(scope, root, cuda, merged ? merged : sw->made, error);
  return g_steal_pointer(&sw);
}

CupWinEnvSwitch *cup_winenv_default_clear(CupWinEnvScope scope, gboolean dry_run, GError **error)
{
  if (!dry_run && !cup_winenv_check_scope(scope, error))
    return NULL;
  g_autoptr(CupWinEnvDefault) old = cup_winenv_default_load(scope, error);
  if (old == NULL)
    return NULL;
  g_autoptr(CupWinEnvSwitch) sw = switch_new(scope, dry_run);
  if (old->root == NULL)
    return g_steal_pointer(&sw);
  undo_old(sw, old, error);
  return g_steal_pointer(&sw);
}

/* ---- snapshots for the install journal ---- */

/* The variables a default may change: Path, CUDA_PATH and every CUDA_PATH_V*. */
static gboolean ours(const char *name)
{
  return g_ascii_strcasecmp(name, "Path") == 0 || g_ascii_strcasecmp(name, "CUDA_PATH") == 0 ||
         g_ascii_strncasecmp(name, "CUDA_PATH_V", 11) == 0;
}

/* The names of @scope's variables that ours() accepts (UTF-8, newly allocated). */
static GPtrArray *our_names(CupWinEnvScope scope)
{
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  HKEY key = NULL;
  if (RegOpenKeyExW(hive(scope), cup_winenv_subkey(scope), 0, KEY_QUERY_VALUE, &key) !=
      ERROR_SUCCESS)
    return names;
  wchar_t wname[16384];
  for (DWORD i = 0;; i++) {
    DWORD len = G_N_ELEMENTS(wname);
    if (RegEnumValueW(key, i, wname, &len, NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
      break;
    char *name = g_utf16_to_utf8((const gunichar2 *)wname, len, NULL, NULL, NULL);
    if (name != NULL && ours(name))
      g_ptr_array_add(names, name);
    else
      g_free(name);
  }
  RegCloseKey(key);
  return names;
}

static json_t *default_json(CupWinEnvScope scope)
{
  HKEY key = NULL;
  if (RegOpenKeyExW(hive(scope), DEFAULT_SUBKEY, 0, KEY_QUERY_VALUE, &key) != ERROR_SUCCESS)
    return json_null();
  g_autofree char *root = read_string(key, L"Root");
  g_autofree char *cuda = read_string(key, L"CUDA");
  g_autofree char *record = read_string(key, L"Record");
  RegCloseKey(key);
  json_t *d = json_object();
  if (root)
    json_object_set_new(d, "Root", json_string(root));
  if (cuda)
    json_object_set_new(d, "CUDA", json_string(cuda));
  if (record)
    json_object_set_new(d, "Record", json_string(record));
  return d;
}

char *cup_winenv_snapshot_take(CupWinEnvScope scope, GError **error)
{
  g_autoptr(GPtrArray) names = our_names(scope);
  json_t *vars = json_object();
  g_autoptr(json_t) snap =
      json_pack("{s:s,s:o,s:o}", "scope", scope == CUP_WINENV_SYSTEM ? "system" : "user", "vars",
                vars, "default", default_json(scope));
  for (guint i = 0; i < names->len; i++) {
    CupWinRegType type = CUP_WINREG_NONE;
    g_autofree char *value = NULL;
    if (!cup_winenv_read(scope, names->pdata[i], &type, &value, error))
      return NULL;
    json_t *v = json_pack("{s:i}", "type", (int)type);
    if (value)
      json_object_set_new(v, "value", json_string(value));
    json_object_set_new(vars, names->pdata[i], v);
  }
  return json_dumps(snap, JSON_COMPACT);
}

/* The kept default as the snapshot had it. */
static gboolean restore_default(CupWinEnvScope scope, json_t *d, GError **error)
{
  if (!json_is_object(d))
    return forget_default(scope, error);
  HKEY key = NULL;
  LSTATUS st =
      RegCreateKeyExW(hive(scope), DEFAULT_SUBKEY, 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL);
  if (st != ERROR_SUCCESS)
    return reg_error(error, st, scope, "write");
  const wchar_t *wnames[] = {L"Record", L"Root", L"CUDA"};
  const char *names[] = {"Record", "Root", "CUDA"};
  for (gsize i = 0; i < G_N_ELEMENTS(names) && st == ERROR_SUCCESS; i++) {
    const char *value = json_string_value(json_object_get(d, names[i]));
    st = value ? write_string(key, wnames[i], value) : RegDeleteValueW(key, wnames[i]);
    if (st == ERROR_FILE_NOT_FOUND)
      st = ERROR_SUCCESS;
  }
  RegCloseKey(key);
  return st == ERROR_SUCCESS || reg_error(error, st, scope, "write");
}

static gboolean restore_var(CupWinEnvScope scope, const char *name, json_t *v, GError **error)
{
  CupWinRegType type = (CupWinRegType)json_integer_value(json_object_get(v, "type"));
  const char *value = json_string_value(json_object_get(v, "value"));
  if (v == NULL || type == CUP_WINREG_NONE)
    return cup_winenv_delete(scope, name, error);
  if ((type != CUP_WINREG_SZ && type != CUP_WINREG_EXPAND_SZ) || value == NULL)
    return TRUE; /* never written by cudaup: left as it is */
  CupWinRegType now = CUP_WINREG_NONE;
  g_autofree char *current = NULL;
  if (cup_winenv_read(scope, name, &now, &current, NULL) && now == type &&
      g_strcmp0(current, value) == 0)
    return TRUE;
  return cup_winenv_write(scope, name, type, value, error);
}

gboolean cup_winenv_snapshot_restore(const char *text, GError **error)
{
  g_autoptr(json_t) snap = json_loads(text, 0, NULL);
  const char *scope_name = json_string_value(json_object_get(snap, "scope"));
  json_t *vars = json_object_get(snap, "vars");
  if (scope_name == NULL || !json_is_object(vars)) {
    g_set_error_literal(error, CUP_ERROR, CUP_ERROR_PARSE,
                        _("the install journal holds a damaged registry snapshot; check "
                          "Path and CUDA_PATH by hand, then delete the journal"));
    return FALSE;
  }
  CupWinEnvScope scope = strcmp(scope_name, "system") == 0 ? CUP_WINENV_SYSTEM : CUP_WINENV_USER;
  g_autoptr(GPtrArray) names = our_names(scope);
  for (guint i = 0; i < names->len; i++)
    if (json_object_get(vars, names->pdata[i]) == NULL &&
        !cup_winenv_delete(scope, names->pdata[i], error))
      return FALSE;
  const char *name;
  json_t *v;
  json_object_foreach(vars, name, v)
  {
    if (!restore_var(scope, name, v, error))
      return FALSE;
  }
  if (!restore_default(scope, json_object_get(snap, "default"), error))
    return FALSE;
  g_autoptr(GError) local = NULL;
  cup_winenv_broadcast(&local); /* stored either way; shows after the next sign-in */
  return TRUE;
}
