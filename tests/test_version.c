/* test_version.c - table-driven tests of core/version. */
#include "core/error.h"
#include "core/version.h"

typedef struct {
  const char *a;
  const char *b;
  int order;
} CompareCase;

static const CompareCase compare_cases[] = {
    {"550.54.14", "550.54.2", 1},   {"12.4", "12.4.0", 0},   {"12.4.0.0", "12.4", 0},
    {"9.1.0.70", "9.10.0", -1},     {"9.10.0", "9.9.99", 1}, {"11.8", "12.0", -1},
    {"535.104.05", "535.104.5", 0}, {"470.xx", "470", 2}, /* 2: parse error expected */
    {"13.0.88", "13.0.88", 0},      {"1", "0.9999", 1},      {"4294967295", "4294967294", 1},
};

static void test_compare_table(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(compare_cases); i++) {
    const CompareCase *c = &compare_cases[i];
    g_autoptr(GError) error = NULL;
    int order = 42;
    gboolean ok = cup_version_compare_strings(c->a, c->b, &order, &error);
    if (c->order == 2) {
      g_assert_false(ok);
      g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
      continue;
    }
    g_assert_no_error(error);
    g_assert_cmpint(order, ==, c->order);
    /* antisymmetry */
    g_assert_true(cup_version_compare_strings(c->b, c->a, &order, NULL));
    g_assert_cmpint(order, ==, -c->order);
  }
}

static const char *const garbage[] = {
    "",   " ",    ".",     "12.",        ".12",           "1..2", "v12",     "12.4a", "-1",
    "+1", "12,4", "12. 4", "4294967296", "1.2.3.4.5.6.7", "abc",  "12.4\n5", "0x10",  "１２",
};

static void test_garbage_is_an_error(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(garbage); i++) {
    CupVersion v = {{7}, 7};
    g_autoptr(GError) error = NULL;
    g_assert_false(cup_version_parse(garbage[i], &v, &error));
    g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
    g_assert_nonnull(strstr(error->message, "is not a version"));
    g_assert_cmpuint(v.n_parts, ==, 7); /* untouched on failure */
  }
  g_autoptr(GError) error = NULL;
  CupVersion v;
  g_assert_false(cup_version_parse(NULL, &v, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
}

static void test_round_trip(void)
{
  static const struct {
    const char *in;
    guint min_parts;
    const char *out;
  } cases[] = {
      {"12.4", 0, "12.4"},  {"12.4", 3, "12.4.0"},       {" 550.54.14 ", 0, "550.54.14"},
      {"007.01", 0, "7.1"}, {"9.1.0.70", 2, "9.1.0.70"}, {"13", 2, "13.0"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    CupVersion v;
    g_assert_true(cup_version_parse(cases[i].in, &v, NULL));
    g_autofree char *s = cup_version_to_string(&v, cases[i].min_parts);
    g_assert_cmpstr(s, ==, cases[i].out);
  }
}

static void test_encoded(void)
{
  static const struct {
    int value;
    char kind;
    const char *out;
  } cases[] = {
      {12040, 'c', "12.4"}, {13000, 'c', "13.0"},   {11080, 'c', "11.8"},  {10010, 'c', "10.1"},
      {8907, 'd', "8.9.7"}, {91900, 'd', "9.19.0"}, {90101, 'd', "9.1.1"}, {7605, 'd', "7.6.5"},
      {0, 'c', NULL},       {-5, 'd', NULL},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *s = cup_version_from_encoded(cases[i].value, cases[i].kind);
    g_assert_cmpstr(s, ==, cases[i].out);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/version/compare-table", test_compare_table);
  g_test_add_func("/version/garbage", test_garbage_is_an_error);
  g_test_add_func("/version/round-trip", test_round_trip);
  g_test_add_func("/version/encoded", test_encoded);
  return g_test_run();
}
