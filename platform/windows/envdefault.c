/* envdefault.c - the default toolkit's record in the registry, and switching it (envdefault.h;
 * Windows builds only). */
#include "platform/windows/envdefault.h"

#include "core/error.h"
#include "core/i18n.h"
#include "platform/windows/envstore.h"

#include <windows.h>

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
