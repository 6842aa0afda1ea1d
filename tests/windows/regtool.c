/* regtool.c - reads and seeds registry values for tests/windows/cli-wine.sh, with the Win32 API
 * directly (never cudaup's code), so the CLI's effects are checked independently.
 *
 *   regtool.exe get HKCU|HKLM KEY NAME        prints three lines: the type (0 when the value is
 *                                            missing), the value as UTF-8 (strings only) and
 *                                            the raw data in hex (byte-identical checks)
 *   regtool.exe set HKCU|HKLM KEY NAME TYPE VALUE   TYPE: 1 (REG_SZ) or 2 (REG_EXPAND_SZ)
 *   regtool.exe has-key HKCU|HKLM KEY         exit status 0 when KEY exists, 1 when not
 *
 * Exit status 2: bad arguments or a registry error. Arguments are ASCII. */
#include <glib.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static HKEY hive(const char *name)
{
  return strcmp(name, "HKLM") == 0 ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER;
}

static wchar_t *wide(const char *s)
{
  return (wchar_t *)g_utf8_to_utf16(s, -1, NULL, NULL, NULL);
}

static int get(HKEY root, const char *key, const char *name)
{
  g_autofree wchar_t *wkey = wide(key), *wname = wide(name);
  DWORD type = 0, size = 0;
  LSTATUS st = RegGetValueW(root, wkey, wname, RRF_RT_ANY | RRF_NOEXPAND, &type, NULL, &size);
  if (st == ERROR_FILE_NOT_FOUND) {
    printf("0\n\n\n");
    return 0;
  }
  g_autofree BYTE *data = g_malloc0(size + 2);
  if (st != ERROR_SUCCESS || RegGetValueW(root, wkey, wname, RRF_RT_ANY | RRF_NOEXPAND, &type, data,
                                          &size) != ERROR_SUCCESS)
    return 2;
  g_autofree char *text = NULL;
  if (type == REG_SZ || type == REG_EXPAND_SZ)
    text = g_utf16_to_utf8((const gunichar2 *)data, -1, NULL, NULL, NULL);
  printf("%lu\n%s\n", (unsigned long)type, text ? text : "");
  for (DWORD i = 0; i < size; i++)
    printf("%02x", data[i]);
  printf("\n");
  return 0;
}

static int set(HKEY root, const char *key, const char *name, const char *type, const char *value)
{
  g_autofree wchar_t *wkey = wide(key), *wname = wide(name), *wvalue = wide(value);
  HKEY h;
  if (RegCreateKeyExW(root, wkey, 0, NULL, 0, KEY_SET_VALUE, NULL, &h, NULL) != ERROR_SUCCESS)
    return 2;
  LSTATUS st = RegSetValueExW(h, wname, 0, (DWORD)atoi(type), (const BYTE *)wvalue,
                              (DWORD)((wcslen(wvalue) + 1) * sizeof(wchar_t)));
  RegCloseKey(h);
  return st == ERROR_SUCCESS ? 0 : 2;
}

static int has_key(HKEY root, const char *key)
{
  g_autofree wchar_t *wkey = wide(key);
  HKEY h;
  LSTATUS st = RegOpenKeyExW(root, wkey, 0, KEY_QUERY_VALUE, &h);
  if (st == ERROR_SUCCESS)
    RegCloseKey(h);
  return st == ERROR_SUCCESS ? 0 : st == ERROR_FILE_NOT_FOUND ? 1 : 2;
}

int main(int argc, char **argv)
{
  if (argc == 5 && strcmp(argv[1], "get") == 0)
    return get(hive(argv[2]), argv[3], argv[4]);
  if (argc == 7 && strcmp(argv[1], "set") == 0)
    return set(hive(argv[2]), argv[3], argv[4], argv[5], argv[6]);
  if (argc == 4 && strcmp(argv[1], "has-key") == 0)
    return has_key(hive(argv[2]), argv[3]);
  fprintf(stderr, "usage: regtool.exe get|set|has-key HKCU|HKLM KEY [NAME [TYPE VALUE]]\n");
  return 2;
}
