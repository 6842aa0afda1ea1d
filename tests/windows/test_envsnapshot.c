/* test_envsnapshot.c - the registry snapshot an install journals before it sets the
 * environment (platform/windows/envdefault.h): taken, then the default set or switched, then
 * restored, and the variables, their types and cudaup's kept default are exactly as they were.
 * Run under Wine (run-wine.sh gtest); reads back with RegQueryValueExW, not the code under test.
 */
#include "platform/windows/envdefault.h"
#include "platform/windows/envstore.h"

#include "core/error.h"

#include <windows.h>

#include <string.h>

#define ROOT_A "C:\\cudaup-test\\snap\\CUDA\\v12.4"
#define ROOT_B "C:\\cudaup-test\\snap\\CUDA\\v13.0"
#define SEED_PATH "%SystemRoot%\\system32;C:\\Tools"

static HKEY env_key(void)
{
  HKEY key = NULL;
  g_assert_cmpint(RegCreateKeyExW(HKEY_CURRENT_USER, L"Environment", 0, NULL, 0,
                                  KEY_QUERY_VALUE | KEY_SET_VALUE, NULL, &key, NULL),
                  ==, ERROR_SUCCESS);
  return key;
}

/* "TYPE:TEXT" of @name under @subkey of HKCU, "none" when missing. */
static char *raw(const wchar_t *subkey, const char *name)
{
  HKEY key = NULL;
  if (RegOpenKeyExW(HKEY_CURRENT_USER, subkey, 0, KEY_QUERY_VALUE, &key) != ERROR_SUCCESS)
    return g_strdup("none");
  g_autofree gunichar2 *wname = g_utf8_to_utf16(name, -1, NULL, NULL, NULL);
  DWORD type = REG_NONE, size = 0;
  if (RegQueryValueExW(key, (wchar_t *)wname, NULL, &type, NULL, &size) != ERROR_SUCCESS) {
    RegCloseKey(key);
    return g_strdup("none");
  }
  g_autofree BYTE *data = g_malloc0(size + sizeof(wchar_t));
  g_assert_cmpint(RegQueryValueExW(key, (wchar_t *)wname, NULL, &type, data, &size), ==,
                  ERROR_SUCCESS);
  RegCloseKey(key);
  g_autofree char *text = g_utf16_to_utf8((gunichar2 *)data, -1, NULL, NULL, NULL);
  return g_strdup_printf("%lu:%s", (unsigned long)type, text ? text : "");
}

/* Everything a default may touch, as one string to compare. */
static char *state(void)
{
  const char *vars[] = {"Path", "CUDA_PATH", "CUDA_PATH_V12_4", "CUDA_PATH_V13_0"};
  GString *s = g_string_new(NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(vars); i++) {
    g_autofree char *v = raw(L"Environment", vars[i]);
    g_string_append_printf(s, "%s=%s\n", vars[i], v);
  }
  const char *kept[] = {"Root", "CUDA", "Record"};
  for (gsize i = 0; i < G_N_ELEMENTS(kept); i++) {
    g_autofree char *v = raw(L"Software\\cudaup\\Environment", kept[i]);
    g_string_append_printf(s, "default %s=%s\n", kept[i], v);
  }
  return g_string_free(s, FALSE);
}

static void seed(void)
{
  HKEY key = env_key();
  glong units = 0;
  g_autofree gunichar2 *w = g_utf8_to_utf16(SEED_PATH, -1, NULL, &units, NULL);
  g_assert_cmpint(RegSetValueExW(key, L"Path", 0, REG_EXPAND_SZ, (const BYTE *)w,
                                 (DWORD)((units + 1) * sizeof(wchar_t))),
                  ==, ERROR_SUCCESS);
  RegDeleteValueW(key, L"CUDA_PATH");
  RegDeleteValueW(key, L"CUDA_PATH_V12_4");
  RegDeleteValueW(key, L"CUDA_PATH_V13_0");
  RegCloseKey(key);
  RegDeleteKeyW(HKEY_CURRENT_USER, L"Software\\cudaup\\Environment");
}

static void set_default(const char *root, const char *cuda)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CupWinEnvSwitch) sw =
      cup_winenv_default_set(CUP_WINENV_USER, root, cuda, FALSE, &error);
  g_assert_no_error(error);
  g_assert_nonnull(sw);
}

static void restore(const char *snapshot)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_winenv_snapshot_restore(snapshot, &error));
  g_assert_no_error(error);
}

static char *take(void)
{
  g_autoptr(GError) error = NULL;
  char *snap = cup_winenv_snapshot_take(CUP_WINENV_USER, &error);
  g_assert_no_error(error);
  g_assert_nonnull(snap);
  return snap;
}

/* An install into a machine without a default, rolled back: as before, no default kept. */
static void test_first_default(void)
{
  seed();
  g_autofree char *before = state();
  g_autofree char *snap = take();
  set_default(ROOT_A, "12.4");
  g_autofree char *during = state();
  g_assert_cmpstr(during, !=, before);
  restore(snap);
  g_autofree char *after = state();
  g_assert_cmpstr(after, ==, before);
  restore(snap); /* a recovery interrupted and run again */
  g_autofree char *again = state();
  g_assert_cmpstr(again, ==, before);
}

/* An install switching the default from A to B, rolled back: A is the default again, its
 * CUDA_PATH_V12_4 and Path entries back, B's CUDA_PATH_V13_0 gone. */
static void test_switch(void)
{
  seed();
  set_default(ROOT_A, "12.4");
  g_autofree char *with_a = state();
  g_autofree char *snap = take();
  set_default(ROOT_B, "13.0");
  g_autofree char *with_b = state();
  g_assert_nonnull(strstr(with_b, "CUDA_PATH_V13_0="));
  g_assert_nonnull(strstr(with_b, ROOT_B));
  restore(snap);
  g_autofree char *after = state();
  g_assert_cmpstr(after, ==, with_a);
}

static void test_damaged(void)
{
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_winenv_snapshot_restore("{\"vars\": 1}", &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/envsnapshot/first-default", test_first_default);
  g_test_add_func("/envsnapshot/switch", test_switch);
  g_test_add_func("/envsnapshot/damaged", test_damaged);
  return g_test_run();
}
