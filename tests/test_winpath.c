/* test_winpath.c - the Windows environment of a toolkit (core/winpath), decided on any OS.
 * The same program is cross-built and run under Wine by tests/windows. */
#include "core/winpath.h"

#include "core/error.h"

#include <string.h>

#define KOREAN_ROOT "C:\\Users\\김철수\\AppData\\Local\\cudaup\\CUDA\\v13.0"

static void test_units(void)
{
  g_assert_cmpint(cup_winpath_units(""), ==, 0);
  g_assert_cmpint(cup_winpath_units("C:\\bin"), ==, 6);
  g_assert_cmpint(cup_winpath_units("김철수"), ==, 3);            /* 9 UTF-8 bytes, 3 BMP units */
  g_assert_cmpint(cup_winpath_units("a\xF0\x9D\x84\x9E"), ==, 3); /* U+1D11E: a surrogate pair */
}

static void test_entry_equal(void)
{
  static const struct {
    const char *a, *b;
    gboolean equal;
  } rows[] = {
      {"C:\\T\\bin", "C:\\T\\bin", TRUE},
      {"C:\\T\\bin", "c:\\t\\BIN", TRUE},
      {"C:\\T\\bin", "C:\\T\\bin\\", TRUE},
      {"C:\\T\\bin", "C:\\T\\bin\\\\", TRUE},
      {"C:\\T\\bin", "\"C:\\T\\bin\"", TRUE},
      {"C:\\T\\bin", "\"c:\\t\\bin\\\"", TRUE},
      {"C:\\Σ\\bin", "c:\\σ\\BIN", TRUE},
      {KOREAN_ROOT "\\bin", "c:\\users\\김철수\\appdata\\local\\cudaup\\cuda\\V13.0\\bin\\", TRUE},
      {"C:\\T\\bin", "C:\\T\\bin2", FALSE},
      {"C:\\T\\bin", "C:\\T", FALSE},
      {"C:\\T\\bin", " C:\\T\\bin", FALSE},
      {"%CUDA_PATH%\\bin", "C:\\T\\bin", FALSE}, /* textual: never expanded */
      {"C:\\Users\\김철수", "C:\\Users\\김철민", FALSE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_test_message("row %zu: '%s' vs '%s'", i, rows[i].a, rows[i].b);
    g_assert_cmpint(cup_winpath_entry_equal(rows[i].a, rows[i].b), ==, rows[i].equal);
    g_assert_cmpint(cup_winpath_entry_equal(rows[i].b, rows[i].a), ==, rows[i].equal);
  }
}

/* Adds @entry to @value, checks the result, then checks that removal gives @value back. */
static void check_round_trip(const char *value, const char *entry, const char *expect)
{
  g_autofree char *added = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_winpath_add(value, entry, &added, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(added, ==, expect);
  g_assert_true(cup_winpath_contains(added, entry));
  g_autofree char *removed = cup_winpath_remove(added, entry);
  g_assert_cmpstr(removed, ==, value ? value : "");
}

static void test_add_remove(void)
{
  static const struct {
    const char *value, *expect;
  } rows[] = {
      {NULL, "C:\\T\\bin"},
      {"", "C:\\T\\bin"},
      {"C:\\Windows", "C:\\T\\bin;C:\\Windows"},
      {"%SystemRoot%\\system32;%SystemRoot%", "C:\\T\\bin;%SystemRoot%\\system32;%SystemRoot%"},
      {"a;;b;", "C:\\T\\bin;a;;b;"},
      {";", "C:\\T\\bin;;"},
      {";;a", "C:\\T\\bin;;;a"},
      {"C:\\Users\\김철수\\bin;D:\\x", "C:\\T\\bin;C:\\Users\\김철수\\bin;D:\\x"},
      {"C:\\T\\bin2;C:\\T", "C:\\T\\bin;C:\\T\\bin2;C:\\T"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_test_message("row %zu: '%s'", i, rows[i].value ? rows[i].value : "(missing)");
    check_round_trip(rows[i].value, "C:\\T\\bin", rows[i].expect);
  }
  check_round_trip("C:\\Windows", KOREAN_ROOT "\\bin", KOREAN_ROOT "\\bin;C:\\Windows");
}

static void test_add_present(void)
{
  static const char *const values[] = {
      "C:\\T\\bin",       "a;c:\\t\\BIN;b",      "a;C:\\T\\bin\\",
      "\"C:\\T\\bin\";a", "a;b;C:\\T\\bin\\\\;", "x;C:\\T\\bin;C:\\T\\bin",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
    char *added = (char *)"unset";
    g_autoptr(GError) error = NULL;
    g_assert_true(cup_winpath_add(values[i], "C:\\T\\bin", &added, &error));
    g_assert_no_error(error);
    g_assert_null(added);
  }
}

static void test_remove(void)
{
  static const struct {
    const char *value, *expect; /* expect NULL: no entry matches */
  } rows[] = {
      {"C:\\T\\bin", ""},
      {"C:\\T\\bin;a;b", "a;b"},
      {"a;C:\\T\\bin;b", "a;b"},
      {"a;b;C:\\T\\bin", "a;b"},
      {"a;b;C:\\T\\bin;", "a;b;"},
      {"c:\\t\\BIN\\;a", "a"},
      {"C:\\T\\bin;a;C:\\T\\bin", "a;C:\\T\\bin"}, /* one entry was added: one goes */
      {"a;;b", NULL},
      {"", NULL},
      {NULL, NULL},
      {"C:\\T\\bin2;C:\\T", NULL},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_test_message("row %zu: '%s'", i, rows[i].value ? rows[i].value : "(missing)");
    g_autofree char *out = cup_winpath_remove(rows[i].value, "C:\\T\\bin");
    g_assert_cmpstr(out, ==, rows[i].expect);
  }
}

/* bin and libnvvp as envstore adds them (libnvvp first, so bin ends up first), then removed in
 * reverse order: the original comes back byte for byte. */
static void test_two_entries(void)
{
  const char *orig = "%SystemRoot%\\system32;;C:\\Users\\김철수\\tools;";
  g_autofree char *one = NULL, *two = NULL;
  g_assert_true(cup_winpath_add(orig, "C:\\T\\libnvvp", &one, NULL));
  g_assert_true(cup_winpath_add(one, "C:\\T\\bin", &two, NULL));
  g_assert_cmpstr(two, ==,
                  "C:\\T\\bin;C:\\T\\libnvvp;"
                  "%SystemRoot%\\system32;;C:\\Users\\김철수\\tools;");
  g_autofree char *back1 = cup_winpath_remove(two, "C:\\T\\bin");
  g_autofree char *back2 = cup_winpath_remove(back1, "C:\\T\\libnvvp");
  g_assert_cmpstr(back2, ==, orig);
}

/* A Path of 2,000+ characters: entries are found and edited anywhere in it. */
static void test_long_path_exact(void)
{
  g_autoptr(GString) v = g_string_new(NULL);
  for (int i = 0; i < 60; i++)
    g_string_append_printf(v, "%sC:\\Program Files\\Vendor %02d\\한글 도구\\bin", i ? ";" : "", i);
  g_autofree char *expect = g_strconcat("C:\\T\\bin;", v->str, NULL);
  check_round_trip(v->str, "C:\\T\\bin", expect);
  g_assert_true(cup_winpath_contains(v->str, "c:\\program files\\VENDOR 37\\한글 도구\\bin\\"));
  g_autofree char *cut = cup_winpath_remove(v->str, "C:\\Program Files\\Vendor 37\\한글 도구\\bin");
  g_assert_nonnull(cut);
  g_assert_cmpint(strlen(cut), ==,
                  strlen(v->str) - strlen(";C:\\Program Files\\Vendor 37\\한글 도구\\bin"));
}

/* A value of @units UTF-16 units made of @unit (one or two units each). */
static char *value_of_units(glong units, const char *unit, glong per)
{
  g_autoptr(GString) s = g_string_new(NULL);
  for (glong n = 0; n + per <= units; n += per)
    g_string_append(s, unit);
  while (cup_winpath_units(s->str) < units)
    g_string_append_c(s, 'x');
  return g_string_free(g_steal_pointer(&s), FALSE);
}

static void test_length_limit(void)
{
  const char *entry = "C:\\T\\bin"; /* 8 units, plus the ';' */
  /* The result may hold 32,766 units: the 32,767th is the end mark. */
  g_autofree char *fits = value_of_units(32766 - 9, "a", 1);
  g_autofree char *over = value_of_units(32766 - 8, "a", 1);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_winpath_add(fits, entry, &out, &error));
  g_assert_no_error(error);
  g_assert_cmpint(cup_winpath_units(out), ==, 32766);
  g_clear_pointer(&out, g_free);
  g_assert_false(cup_winpath_add(over, entry, &out, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "32766"));
  g_assert_nonnull(strstr(error->message, "Path"));
  g_assert_null(out);
  g_clear_error(&error);
  /* Counted in UTF-16 units: 16,380 characters outside the BMP are 32,760 units (65,520
   * UTF-8 bytes), so the 9 more units do not fit. */
  g_autofree char *astral = value_of_units(32760, "\xF0\x9D\x84\x9E", 2);
  g_assert_cmpint(g_utf8_strlen(astral, -1), ==, 16380);
  g_assert_false(cup_winpath_add(astral, entry, &out, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_clear_error(&error);
  /* ... while 32,757 units of Korean (one unit each) plus 9 do. */
  g_autofree char *hangul = value_of_units(32757, "한", 1);
  g_assert_true(cup_winpath_add(hangul, entry, &out, &error));
  g_assert_no_error(error);
  g_assert_true(cup_winenv_check_length("CUDA_PATH", "C:\\x", NULL));
  g_clear_error(&error);
  g_autofree char *at_limit = value_of_units(32767, "a", 1);
  g_autofree char *below = value_of_units(32766, "a", 1);
  g_assert_true(cup_winenv_check_length("CUDA_PATH", below, NULL));
  g_assert_false(cup_winenv_check_length("CUDA_PATH", at_limit, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "shorter folder"));
}

static void test_bad_entry(void)
{
  static const char *const bad[] = {"", "C:\\a;b", "\"C:\\a", "C:\\\xff\\bin"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *out = (char *)"unset";
    g_autoptr(GError) error = NULL;
    g_assert_false(cup_winpath_add("a;b", bad[i], &out, &error));
    g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
    g_assert_null(out);
  }
}

static void check_want(GPtrArray *wants, guint i, const char *name, const char *value,
                       gboolean path_entry)
{
  const CupWinEnvWant *w = g_ptr_array_index(wants, i);
  g_assert_cmpstr(w->name, ==, name);
  g_assert_cmpstr(w->value, ==, value);
  g_assert_cmpint(w->path_entry, ==, path_entry);
}

static void test_wants(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) w = cup_winenv_wants(
      "C:/Program Files/NVIDIA GPU Computing Toolkit/CUDA/v13.0/", "13.0.2", TRUE, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(w->len, ==, 4);
  const char *r = "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v13.0";
  g_autofree char *bin = g_strconcat(r, "\\bin", NULL);
  g_autofree char *nvvp = g_strconcat(r, "\\libnvvp", NULL);
  check_want(w, 0, "CUDA_PATH", r, FALSE);
  check_want(w, 1, "CUDA_PATH_V13_0", r, FALSE);
  check_want(w, 2, "Path", bin, TRUE);
  check_want(w, 3, "Path", nvvp, TRUE);

  g_autoptr(GPtrArray) k = cup_winenv_wants(KOREAN_ROOT "\\", "12.4", FALSE, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(k->len, ==, 3);
  check_want(k, 0, "CUDA_PATH", KOREAN_ROOT, FALSE);
  check_want(k, 1, "CUDA_PATH_V12_4", KOREAN_ROOT, FALSE);
  check_want(k, 2, "Path", KOREAN_ROOT "\\bin", TRUE);

  g_autoptr(GPtrArray) unc = cup_winenv_wants("\\\\lab\\cuda\\v11.8", "11.8", FALSE, &error);
  g_assert_no_error(error);
  check_want(unc, 2, "Path", "\\\\lab\\cuda\\v11.8\\bin", TRUE);
}

static void test_bad_wants(void)
{
  static const char *const roots[] = {"",     "C:",     "C:\\",       "cuda\\v13.0", "/usr/local",
                                      "\\\\", "C:a\\b", "C:\\a;b\\c", "C:\\\"a\"",   "C:\\\xc3"};
  for (gsize i = 0; i < G_N_ELEMENTS(roots); i++) {
    g_autoptr(GError) error = NULL;
    g_test_message("root %zu", i);
    g_assert_null(cup_winenv_wants(roots[i], "13.0", TRUE, &error));
    g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
    g_assert_nonnull(strstr(error->message, "toolkit root"));
  }
  static const char *const versions[] = {"", "13", "13.x", "13..0", "1.2.3.4", "v13.0", "13.0 "};
  for (gsize i = 0; i < G_N_ELEMENTS(versions); i++) {
    g_autoptr(GError) error = NULL;
    g_assert_null(cup_winenv_wants("C:\\cuda", versions[i], TRUE, &error));
    g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
    g_assert_nonnull(strstr(error->message, "CUDA version"));
  }
}

static CupWinEnvChange *change_new(CupWinEnvChangeKind kind, const char *name, const char *value,
                                   CupWinRegType type, CupWinRegType old_type,
                                   const char *old_value)
{
  CupWinEnvChange *c = g_new0(CupWinEnvChange, 1);
  *c =
      (CupWinEnvChange){kind, g_strdup(name), g_strdup(value), type, old_type, g_strdup(old_value)};
  return c;
}

static void test_record_round_trip(void)
{
  g_autoptr(CupWinEnvRecord) rec = cup_winenv_record_new(CUP_WINENV_SYSTEM);
  g_ptr_array_add(rec->changes,
                  change_new(CUP_WINENV_SET_VALUE, "CUDA_PATH", KOREAN_ROOT, CUP_WINREG_EXPAND_SZ,
                             CUP_WINREG_EXPAND_SZ, " %CUDA12%\\v12.1\n# not a comment"));
  g_ptr_array_add(rec->changes, change_new(CUP_WINENV_SET_VALUE, "CUDA_PATH_V13_0", KOREAN_ROOT,
                                           CUP_WINREG_SZ, CUP_WINREG_NONE, NULL));
  g_ptr_array_add(rec->changes, change_new(CUP_WINENV_ADD_ENTRY, "Path", KOREAN_ROOT "\\bin",
                                           CUP_WINREG_EXPAND_SZ, CUP_WINREG_NONE, NULL));
  g_autofree char *data = cup_winenv_record_to_data(rec);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupWinEnvRecord) back = cup_winenv_record_from_data(data, &error);
  g_assert_no_error(error);
  g_assert_cmpint(back->scope, ==, CUP_WINENV_SYSTEM);
  g_assert_cmpuint(back->changes->len, ==, 3);
  for (guint i = 0; i < 3; i++) {
    const CupWinEnvChange *a = g_ptr_array_index(rec->changes, i);
    const CupWinEnvChange *b = g_ptr_array_index(back->changes, i);
    g_assert_cmpint(a->kind, ==, b->kind);
    g_assert_cmpstr(a->name, ==, b->name);
    g_assert_cmpstr(a->value, ==, b->value);
    g_assert_cmpint(a->type, ==, b->type);
    g_assert_cmpint(a->old_type, ==, b->old_type);
    g_assert_cmpstr(a->old_value, ==, b->old_value);
  }
  g_autoptr(CupWinEnvRecord) empty = cup_winenv_record_new(CUP_WINENV_USER);
  g_autofree char *edata = cup_winenv_record_to_data(empty);
  g_autoptr(CupWinEnvRecord) eback = cup_winenv_record_from_data(edata, &error);
  g_assert_no_error(error);
  g_assert_cmpint(eback->scope, ==, CUP_WINENV_USER);
  g_assert_cmpuint(eback->changes->len, ==, 0);
}

static void test_record_bad(void)
{
  static const char *const bad[] = {
      "not a key file",
      "[record]\nchanges=0\n",
      "[record]\nscope=machine\nchanges=0\n",
      "[record]\nscope=user\nchanges=1\n",
      "[record]\nscope=user\nchanges=-1\n",
      "[record]\nscope=user\nchanges=1\n[change 0]\nkind=delete\nname=A\nvalue=B\ntype=1\n"
      "old-type=0\n",
      "[record]\nscope=user\nchanges=1\n[change 0]\nkind=set-value\nname=A\nvalue=B\ntype=4\n"
      "old-type=0\n",
      "[record]\nscope=user\nchanges=1\n[change 0]\nkind=set-value\nname=A\nvalue=B\ntype=1\n"
      "old-type=1\n",
      "[record]\nscope=user\nchanges=1\n[change 0]\nkind=set-value\nname=\nvalue=B\ntype=1\n"
      "old-type=0\n",
      "[record]\nscope=user\nchanges=1\n[change 0]\nkind=add-entry\nname=Path\ntype=2\n"
      "old-type=2\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_test_message("record %zu", i);
    g_assert_null(cup_winenv_record_from_data(bad[i], &error));
    g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
  }
}

static void test_scope_key(void)
{
  g_assert_cmpstr(cup_winenv_scope_key(CUP_WINENV_USER), ==, "HKCU\\Environment");
  g_assert_cmpstr(cup_winenv_scope_key(CUP_WINENV_SYSTEM), ==,
                  "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/winpath/units", test_units);
  g_test_add_func("/winpath/entry-equal", test_entry_equal);
  g_test_add_func("/winpath/add-remove", test_add_remove);
  g_test_add_func("/winpath/add-present", test_add_present);
  g_test_add_func("/winpath/remove", test_remove);
  g_test_add_func("/winpath/two-entries", test_two_entries);
  g_test_add_func("/winpath/long-path", test_long_path_exact);
  g_test_add_func("/winpath/length-limit", test_length_limit);
  g_test_add_func("/winpath/bad-entry", test_bad_entry);
  g_test_add_func("/winpath/wants", test_wants);
  g_test_add_func("/winpath/bad-wants", test_bad_wants);
  g_test_add_func("/winpath/record", test_record_round_trip);
  g_test_add_func("/winpath/record-bad", test_record_bad);
  g_test_add_func("/winpath/scope-key", test_scope_key);
  return g_test_run();
}
