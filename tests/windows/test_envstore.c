/* test_envstore.c - platform/windows/envstore against a real registry (Wine's, in a throwaway
 * prefix). One scenario step per run:
 *
 *   test_envstore.exe SCENARIO STEP[,STEP...]
 *   steps: seed apply apply-again check-applied remove check-removed
 *
 * run-wine.sh runs the steps of each scenario in order with `wineserver -w` after every write
 * step, so every check reads what was saved to the prefix's registry files and loaded again. The
 * checks read with RegQueryValueExW, not with the code under test. The undo record travels between
 * steps in record-SCENARIO.ini in the current directory. Exit status 0: the step passed. */
#include "platform/windows/envstore.h"

#include "core/error.h"

#include <windows.h>

#include <stdlib.h>
#include <string.h>

#define ROOT "C:\\cudaup-test\\CUDA\\v13.0"
#define SYSTEM_ROOT "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v13.0"
#define KOREAN_ROOT "C:\\Users\\김철수\\AppData\\Local\\cudaup\\CUDA\\v13.0"

enum { ADD_BIN = 1, ADD_NVVP = 2 };

typedef struct {
  const char *name;
  CupWinEnvScope scope;
  const char *root;
  gboolean libnvvp;        /* create ROOT\libnvvp before applying */
  CupWinRegType path_type; /* the seeded Path: NONE (missing), SZ, EXPAND_SZ or DWORD */
  const char *path;        /* its text (NULL: built by long_path()) */
  const char *cuda_path;   /* a CUDA_PATH seeded as REG_SZ (another toolkit), or NULL */
  int added;               /* which entries apply must put into Path */
  guint changes;           /* the changes apply must record */
  gboolean warns;          /* apply must warn (Path not a string) */
  gboolean over_limit;     /* apply must refuse: Path would pass 32,767 characters */
} Scenario;

static const Scenario scenarios[] = {
    {.name = "user",
     .scope = CUP_WINENV_USER,
     .root = ROOT,
     .libnvvp = TRUE,
     .path_type = CUP_WINREG_EXPAND_SZ,
     .path = "%USERPROFILE%\\AppData\\Local\\Microsoft\\WindowsApps;",
     .added = ADD_BIN | ADD_NVVP,
     .changes = 4},
    {.name = "system-expand",
     .scope = CUP_WINENV_SYSTEM,
     .root = SYSTEM_ROOT,
     .path_type = CUP_WINREG_EXPAND_SZ,
     .path = "%SystemRoot%\\system32;%SystemRoot%;%SystemRoot%\\System32\\Wbem",
     .cuda_path = "C:\\old\\CUDA\\v12.1",
     .added = ADD_BIN,
     .changes = 3},
    {.name = "long",
     .scope = CUP_WINENV_USER,
     .root = ROOT,
     .libnvvp = TRUE,
     .path_type = CUP_WINREG_EXPAND_SZ,
     .added = ADD_BIN | ADD_NVVP,
     .changes = 4},
    {.name = "missing",
     .scope = CUP_WINENV_USER,
     .root = ROOT,
     .libnvvp = TRUE,
     .path_type = CUP_WINREG_NONE,
     .added = ADD_BIN | ADD_NVVP,
     .changes = 4},
    {.name = "not-string",
     .scope = CUP_WINENV_USER,
     .root = ROOT,
     .libnvvp = TRUE,
     .path_type = CUP_WINREG_DWORD,
     .changes = 2,
     .warns = TRUE},
    {.name = "korean",
     .scope = CUP_WINENV_USER,
     .root = KOREAN_ROOT,
     .libnvvp = TRUE,
     .path_type = CUP_WINREG_SZ,
     .path = "C:\\Users\\김철수\\bin;%USERPROFILE%\\도구",
     .added = ADD_BIN | ADD_NVVP,
     .changes = 4},
    {.name = "present",
     .scope = CUP_WINENV_USER,
     .root = ROOT,
     .libnvvp = TRUE,
     .path_type = CUP_WINREG_EXPAND_SZ,
     .path = "c:\\CUDAUP-TEST\\cuda\\V13.0\\BIN\\;C:\\x",
     .added = ADD_NVVP,
     .changes = 3},
    {.name = "limit",
     .scope = CUP_WINENV_USER,
     .root = ROOT,
     .libnvvp = TRUE,
     .path_type = CUP_WINREG_EXPAND_SZ,
     .over_limit = TRUE},
};

static int failures;

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      g_printerr("FAIL %s:%d: ", __FILE__, __LINE__);                                              \
      g_printerr(__VA_ARGS__);                                                                     \
      g_printerr("\n");                                                                            \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

/* A Path of 2,000+ characters with Korean entries, or one of 32,760 for the limit. */
static char *long_path(const Scenario *s)
{
  g_autoptr(GString) v = g_string_new(NULL);
  for (int i = 0; i < 60; i++)
    g_string_append_printf(v, "%s%%ProgramFiles%%\\Vendor %02d\\한글 도구\\bin", i ? ";" : "", i);
  if (s->over_limit)
    while (cup_winpath_units(v->str) < 32760)
      g_string_append_c(v, 'x');
  return g_string_free(g_steal_pointer(&v), FALSE);
}

static char *seed_path(const Scenario *s)
{
  if (s->path_type != CUP_WINREG_SZ && s->path_type != CUP_WINREG_EXPAND_SZ)
    return NULL;
  return s->path ? g_strdup(s->path) : long_path(s);
}

/* The Path apply must leave: the added entries first, bin before libnvvp. */
static char *applied_path(const Scenario *s)
{
  g_autofree char *seed = seed_path(s);
  g_autoptr(GString) v = g_string_new(NULL);
  if (s->added & ADD_BIN)
    g_string_append_printf(v, "%s\\bin", s->root);
  if (s->added & ADD_NVVP)
    g_string_append_printf(v, "%s%s\\libnvvp", v->len ? ";" : "", s->root);
  if (seed != NULL && *seed != '\0')
    g_string_append_printf(v, "%s%s", v->len ? ";" : "", seed);
  return g_string_free(g_steal_pointer(&v), FALSE);
}

static HKEY open_scope(CupWinEnvScope scope)
{
  HKEY key = NULL;
  LSTATUS st =
      RegCreateKeyExW(scope == CUP_WINENV_SYSTEM ? HKEY_LOCAL_MACHINE : HKEY_CURRENT_USER,
                      scope == CUP_WINENV_SYSTEM
                          ? L"SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"
                          : L"Environment",
                      0, NULL, 0, KEY_QUERY_VALUE | KEY_SET_VALUE, NULL, &key, NULL);
  if (st != ERROR_SUCCESS) {
    g_printerr("FAIL: cannot open the environment key (%ld)\n", (long)st);
    exit(2);
  }
  return key;
}

static void raw_set(CupWinEnvScope scope, const char *name, DWORD type, const char *value)
{
  HKEY key = open_scope(scope);
  g_autofree gunichar2 *wname = g_utf8_to_utf16(name, -1, NULL, NULL, NULL);
  glong units = 0;
  g_autofree gunichar2 *wvalue = g_utf8_to_utf16(value, -1, NULL, &units, NULL);
  LSTATUS st = RegSetValueExW(key, (wchar_t *)wname, 0, type, (const BYTE *)wvalue,
                              (DWORD)((units + 1) * sizeof(wchar_t)));
  CHECK(st == ERROR_SUCCESS, "seeding %s failed (%ld)", name, (long)st);
  RegCloseKey(key);
}

static void raw_delete(CupWinEnvScope scope, const char *name)
{
  HKEY key = open_scope(scope);
  g_autofree gunichar2 *wname = g_utf8_to_utf16(name, -1, NULL, NULL, NULL);
  LSTATUS st = RegDeleteValueW(key, (wchar_t *)wname);
  CHECK(st == ERROR_SUCCESS || st == ERROR_FILE_NOT_FOUND, "deleting %s failed", name);
  RegCloseKey(key);
}

/* Reads @name with RegQueryValueExW: its type (REG_NONE when missing) and, for strings, text. */
static DWORD raw_get(CupWinEnvScope scope, const char *name, char **text, DWORD *dword)
{
  HKEY key = open_scope(scope);
  g_autofree gunichar2 *wname = g_utf8_to_utf16(name, -1, NULL, NULL, NULL);
  DWORD type = REG_NONE, size = 0;
  *text = NULL;
  LSTATUS st = RegQueryValueExW(key, (wchar_t *)wname, NULL, &type, NULL, &size);
  if (st == ERROR_FILE_NOT_FOUND) {
    RegCloseKey(key);
    return REG_NONE;
  }
  g_autofree BYTE *data = g_malloc0(size + sizeof(wchar_t));
  st = RegQueryValueExW(key, (wchar_t *)wname, NULL, &type, data, &size);
  RegCloseKey(key);
  CHECK(st == ERROR_SUCCESS, "reading %s failed (%ld)", name, (long)st);
  if (type == REG_SZ || type == REG_EXPAND_SZ)
    *text = g_utf16_to_utf8((gunichar2 *)data, -1, NULL, NULL, NULL);
  if (type == REG_DWORD && dword != NULL)
    memcpy(dword, data, sizeof *dword);
  return type;
}

static void expect_value(const Scenario *s, const char *name, DWORD type, const char *text)
{
  g_autofree char *got = NULL;
  DWORD got_type = raw_get(s->scope, name, &got, NULL);
  CHECK(got_type == type, "%s: %s has type %lu, expected %lu", s->name, name, got_type, type);
  CHECK(g_strcmp0(got, text) == 0, "%s: %s is\n  '%s'\nexpected\n  '%s'", s->name, name,
        got ? got : "(none)", text ? text : "(none)");
}

static void expect_seed_path(const Scenario *s)
{
  if (s->path_type == CUP_WINREG_DWORD) {
    g_autofree char *text = NULL;
    DWORD dword = 0;
    CHECK(raw_get(s->scope, "Path", &text, &dword) == REG_DWORD && dword == 42,
          "%s: the REG_DWORD Path was changed", s->name);
    return;
  }
  g_autofree char *seed = seed_path(s);
  expect_value(s, "Path", s->path_type, seed);
}

static void step_seed(const Scenario *s)
{
  static const char *const names[] = {"CUDA_PATH", "CUDA_PATH_V13_0", "Path"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    raw_delete(s->scope, names[i]);
  if (s->path_type == CUP_WINREG_DWORD) {
    HKEY key = open_scope(s->scope);
    DWORD v = 42;
    RegSetValueExW(key, L"Path", 0, REG_DWORD, (const BYTE *)&v, sizeof v);
    RegCloseKey(key);
  } else if (s->path_type != CUP_WINREG_NONE) {
    g_autofree char *seed = seed_path(s);
    raw_set(s->scope, "Path", s->path_type, seed);
  }
  if (s->cuda_path != NULL)
    raw_set(s->scope, "CUDA_PATH", REG_SZ, s->cuda_path);
  /* GLib takes UTF-8 file names on Windows: the Korean root is created as such. */
  g_autofree char *bin = g_build_filename(s->root, "bin", NULL);
  g_autofree char *nvvp = g_build_filename(s->root, "libnvvp", NULL);
  CHECK(g_mkdir_with_parents(bin, 0755) == 0, "cannot create %s", bin);
  if (s->libnvvp)
    CHECK(g_mkdir_with_parents(nvvp, 0755) == 0, "cannot create %s", nvvp);
}

static void print_warnings(const Scenario *s, GPtrArray *warnings)
{
  for (guint i = 0; i < warnings->len; i++)
    g_print("  %s: warning: %s\n", s->name, (char *)g_ptr_array_index(warnings, i));
}

static char *record_file(const Scenario *s)
{
  return g_strdup_printf("record-%s.ini", s->name);
}

static void step_apply(const Scenario *s, gboolean again)
{
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupWinEnvRecord) rec = cup_winenv_apply(s->scope, s->root, "13.0", warnings, &error);
  print_warnings(s, warnings);
  if (s->over_limit) {
    CHECK(rec == NULL && g_error_matches(error, CUP_ERROR, CUP_ERROR_IO),
          "%s: apply did not refuse a Path over the limit", s->name);
    if (error != NULL) {
      g_print("  %s: refused: %s\n", s->name, error->message);
      CHECK(strstr(error->message, "Path") != NULL, "%s: the message does not name Path", s->name);
    }
    return;
  }
  CHECK(rec != NULL, "%s: apply failed: %s", s->name, error ? error->message : "?");
  if (rec == NULL)
    return;
  guint changes = again ? 0 : s->changes;
  CHECK(rec->changes->len == changes, "%s: apply recorded %u changes, expected %u", s->name,
        rec->changes->len, changes);
  CHECK(warnings->len == (guint)s->warns, "%s: %u warnings, expected %d", s->name, warnings->len,
        s->warns);
  if (s->warns && warnings->len > 0)
    CHECK(strstr(g_ptr_array_index(warnings, 0), "Path") &&
              strstr(g_ptr_array_index(warnings, 0), "REG_DWORD"),
          "%s: the warning does not name Path and its type", s->name);
  if (again)
    return;
  g_autofree char *data = cup_winenv_record_to_data(rec);
  g_autofree char *file = record_file(s);
  CHECK(g_file_set_contents(file, data, -1, NULL), "%s: cannot save the record", s->name);
}

static void step_check_applied(const Scenario *s)
{
  if (s->over_limit) { /* refused: nothing changed */
    expect_seed_path(s);
    expect_value(s, "CUDA_PATH", REG_NONE, NULL);
    expect_value(s, "CUDA_PATH_V13_0", REG_NONE, NULL);
    return;
  }
  expect_value(s, "CUDA_PATH", REG_SZ, s->root);
  expect_value(s, "CUDA_PATH_V13_0", REG_SZ, s->root);
  if (s->path_type == CUP_WINREG_DWORD) {
    expect_seed_path(s);
    return;
  }
  g_autofree char *path = applied_path(s);
  /* Kept as it was; a missing Path is created as REG_EXPAND_SZ. */
  DWORD type = s->path_type == CUP_WINREG_NONE ? REG_EXPAND_SZ : (DWORD)s->path_type;
  expect_value(s, "Path", type, path);
}

static void step_remove(const Scenario *s)
{
  g_autofree char *file = record_file(s);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  if (s->over_limit) {
    CHECK(!g_file_test(file, G_FILE_TEST_EXISTS), "%s: a refused apply left a record", s->name);
    return;
  }
  CHECK(g_file_get_contents(file, &data, NULL, &error), "%s: no record", s->name);
  if (data == NULL)
    return;
  g_autoptr(CupWinEnvRecord) rec = cup_winenv_record_from_data(data, &error);
  CHECK(rec != NULL, "%s: record unreadable: %s", s->name, error ? error->message : "?");
  if (rec == NULL)
    return;
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
  CHECK(cup_winenv_remove(rec, warnings, &error), "%s: remove failed: %s", s->name,
        error ? error->message : "?");
  print_warnings(s, warnings);
  /* The record holds no Path entry when Path was not a string: nothing to warn about. */
  CHECK(warnings->len == 0, "%s: %u warnings on removal", s->name, warnings->len);
}

/* Exactly the seeded state: the same Path text and type (or none), CUDA_PATH as it was. */
static void step_check_removed(const Scenario *s)
{
  expect_seed_path(s);
  if (s->path_type == CUP_WINREG_NONE)
    expect_value(s, "Path", REG_NONE, NULL);
  expect_value(s, "CUDA_PATH", s->cuda_path ? REG_SZ : REG_NONE, s->cuda_path);
  expect_value(s, "CUDA_PATH_V13_0", REG_NONE, NULL);
}

static const Scenario *find_scenario(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(scenarios); i++)
    if (strcmp(scenarios[i].name, name) == 0)
      return &scenarios[i];
  return NULL;
}

static gboolean run_step(const Scenario *s, const char *step)
{
  if (strcmp(step, "seed") == 0)
    step_seed(s);
  else if (strcmp(step, "apply") == 0 || strcmp(step, "apply-again") == 0)
    step_apply(s, strcmp(step, "apply-again") == 0);
  else if (strcmp(step, "check-applied") == 0)
    step_check_applied(s);
  else if (strcmp(step, "remove") == 0)
    step_remove(s);
  else if (strcmp(step, "check-removed") == 0)
    step_check_removed(s);
  else
    return FALSE;
  return TRUE;
}

int main(int argc, char **argv)
{
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    for (gsize i = 0; i < G_N_ELEMENTS(scenarios); i++)
      g_print("%s\n", scenarios[i].name);
    return 0;
  }
  const Scenario *s = argc == 3 ? find_scenario(argv[1]) : NULL;
  if (s == NULL) {
    g_printerr("usage: test_envstore --list | SCENARIO STEP[,STEP...]\n"
               "steps: seed apply apply-again check-applied remove check-removed\n");
    return 2;
  }
  g_auto(GStrv) steps = g_strsplit(argv[2], ",", -1);
  for (int i = 0; steps[i]; i++) {
    int before = failures;
    if (!run_step(s, steps[i])) {
      g_printerr("unknown step '%s'\n", steps[i]);
      return 2;
    }
    g_print("%s %s: %s\n", s->name, steps[i], failures > before ? "FAIL" : "ok");
  }
  return failures ? 1 : 0;
}
