/* test_gpudb.c - core/gpudb: the committed manifests/gpus.json and schema errors. */
#include "core/error.h"
#include "core/gpudb.h"
#include "tests/testutil.h"

#include <string.h>

static CupGpuTable *load_committed(void)
{
  g_autofree char *path = g_build_filename(CUP_TEST_MANIFESTS, "gpus.json", NULL);
  g_autoptr(GError) error = NULL;
  CupGpuTable *table = cup_gpu_table_load(path, &error);
  g_assert_no_error(error);
  g_assert_nonnull(table);
  return table;
}

static void test_known_rows(void)
{
  static const struct {
    guint16 device;
    const char *chip, *architecture, *cc;
  } rows[] = {
      {0x24e0, "GA104", "Ampere", "8.6"}, /* RTX 3070 Ti Laptop GPU, pci.ids "GA104M" */
      {0x2184, "TU116", "Turing", "7.5"}, /* GTX 1660 */
      {0x2330, "GH100", "Hopper", "9.0"}, /* H100 SXM5 80GB */
      {0x20b0, "GA100", "Ampere", "8.0"}, /* A100 SXM4 40GB */
      {0x20b2, "GA100", "Ampere", "8.0"}, /* A100 SXM4 80GB */
      {0x1eb8, "TU104", "Turing", "7.5"}, /* Tesla T4, pci.ids "TU104GL" */
      {0x102d, "GK210", "Kepler", "3.7"}, /* Tesla K80, pci.ids "GK210GL" */
  };
  g_autoptr(CupGpuTable) table = load_committed();
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    const CupGpuEntry *e = cup_gpu_table_lookup(table, 0x10de, rows[i].device);
    g_assert_nonnull(e);
    g_assert_cmpstr(e->chip, ==, rows[i].chip);
    g_assert_cmpstr(e->arch->architecture, ==, rows[i].architecture);
    g_assert_cmpstr(e->arch->compute_capability, ==, rows[i].cc);
    g_assert_cmpuint(e->vendor, ==, 0x10de);
    g_assert_cmpuint(e->device, ==, rows[i].device);
  }
  const CupGpuEntry *e = cup_gpu_table_lookup(table, 0x10de, 0x24e0);
  g_assert_cmpstr(e->pci_id, ==, "10de:24e0");
  g_assert_true(g_str_has_prefix(e->name, "GA104M ["));
  /* Not CUDA GPUs: the card's HD Audio function, an nForce part, another vendor's id. */
  g_assert_null(cup_gpu_table_lookup(table, 0x10de, 0x228b));
  g_assert_null(cup_gpu_table_lookup(table, 0x10de, 0x0034));
  g_assert_null(cup_gpu_table_lookup(table, 0x8086, 0x24e0));
  const CupGpuArchitecture *arch = cup_gpu_table_lookup_chip(table, "AD102");
  g_assert_nonnull(arch);
  g_assert_cmpstr(arch->compute_capability, ==, "8.9");
  g_assert_cmpstr(arch->architecture, ==, "Ada Lovelace");
  g_assert_null(cup_gpu_table_lookup_chip(table, "GA104M"));
  g_assert_null(cup_gpu_table_lookup_chip(table, NULL));
}

/* legacy_branch from NVIDIA's R525 supported-gpus.json: NULL for GPUs R525 still supports. */
static void test_legacy_branch(void)
{
  static const struct {
    guint16 device;
    const char *branch;
  } rows[] = {
      {0x102d, "470"}, /* Tesla K80 (GK210, 3.7) */
      {0x1eb8, NULL},  /* Tesla T4 */
      {0x24e0, NULL},  /* RTX 3070 Ti Laptop GPU */
  };
  g_autoptr(CupGpuTable) table = load_committed();
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    const CupGpuEntry *e = cup_gpu_table_lookup(table, 0x10de, rows[i].device);
    g_assert_nonnull(e);
    g_assert_cmpstr(e->legacy_branch, ==, rows[i].branch);
  }
}

static gboolean valid_cc(const char *cc)
{
  g_auto(GStrv) parts = g_strsplit(cc, ".", -1);
  if (g_strv_length(parts) != 2)
    return FALSE;
  for (int i = 0; i < 2; i++)
    if (parts[i][0] == '\0' || strspn(parts[i], "0123456789") != strlen(parts[i]))
      return FALSE;
  return TRUE;
}

static void test_every_row_consistent(void)
{
  g_autoptr(CupGpuTable) table = load_committed();
  const GPtrArray *archs = cup_gpu_table_architectures(table);
  const GPtrArray *entries = cup_gpu_table_entries(table);
  g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
  g_assert_cmpuint(archs->len, >=, 20);
  g_assert_cmpuint(entries->len, >=, 1000);
  for (guint i = 0; i < archs->len; i++) {
    const CupGpuArchitecture *a = g_ptr_array_index(archs, i);
    g_assert_true(valid_cc(a->compute_capability));
    g_assert_nonnull(a->chips[0]);
    g_hash_table_add(names, a->architecture);
  }
  for (guint i = 0; i < entries->len; i++) {
    const CupGpuEntry *e = g_ptr_array_index(entries, i);
    g_assert_cmpuint(e->vendor, ==, 0x10de);
    g_assert_true(valid_cc(e->arch->compute_capability));
    g_assert_true(g_hash_table_contains(names, e->arch->architecture));
    g_assert_true(cup_gpu_table_lookup_chip(table, e->chip) == e->arch);
    g_assert_true(cup_gpu_table_lookup(table, e->vendor, e->device) == e);
    g_assert_null(strstr(e->name, "Audio"));
  }
}

/* A minimal valid document with @devices spliced in. */
#define HEAD "{\"schema\": \"cudaup-gpus/1\", \"architectures\": ["
#define ARCH_OK                                                                                    \
  "{\"compute_capability\": \"8.6\", \"architecture\": \"Ampere\", \"chips\": [\"GA104\"]}"
#define DEV(id) "{\"pci_id\": \"" id "\", \"chip\": \"GA104\", \"name\": \"n\"}"
#define DOC(archs, devs) HEAD archs "], \"devices\": [" devs "]}"

typedef struct {
  const char *contents;
  const char *message; /* after "PATH: "; a trailing '*' means "starts with" */
} BadCase;

static const BadCase bad_cases[] = {
    {"", "not valid JSON: *"},
    {"hello", "not valid JSON: *"},
    {"{\"schema\": \"cudaup-gpus/1\", \"architectures\": [", "not valid JSON: *"},
    {"{\"schema\": \"cudaup-gpus/1\", \"schema\": \"x\"}", "not valid JSON: *"},
    {"\x89PNG\r\n\x1a\n\x01\x02", "not valid JSON: *"},
    {"[]", "invalid at $: expected an object"},
    {"{}", "invalid at $.schema: missing key"},
    {"{\"schema\": 1}", "invalid at $.schema: expected a string"},
    {"{\"schema\": \"cudaup-gpus/2\"}",
     "invalid at $.schema: expected \"cudaup-gpus/1\", got \"cudaup-gpus/2\""},
    {"{\"schema\": \"cudaup-gpus/1\"}", "invalid at $.architectures: missing key"},
    {"{\"schema\": \"cudaup-gpus/1\", \"architectures\": {}}",
     "invalid at $.architectures: expected an array"},
    {DOC("7", ""), "invalid at $.architectures[0]: expected an object"},
    {DOC("{\"compute_capability\": 8.6, \"architecture\": \"A\", \"chips\": [\"X\"]}", ""),
     "invalid at $.architectures[0].compute_capability: expected a string"},
    {DOC(ARCH_OK
         ", {\"compute_capability\": \"8.6a\", \"architecture\": \"A\", \"chips\": [\"X\"]}",
         ""),
     "invalid at $.architectures[1].compute_capability: expected \"X.Y\", got \"8.6a\""},
    {DOC("{\"compute_capability\": \"8.6\", \"chips\": [\"X\"]}", ""),
     "invalid at $.architectures[0].architecture: missing key"},
    {DOC("{\"compute_capability\": \"8.6\", \"architecture\": \"\", \"chips\": [\"X\"]}", ""),
     "invalid at $.architectures[0].architecture: expected a non-empty string"},
    {DOC("{\"compute_capability\": \"8.6\", \"architecture\": \"A\", \"chips\": \"X\"}", ""),
     "invalid at $.architectures[0].chips: expected an array"},
    {DOC("{\"compute_capability\": \"8.6\", \"architecture\": \"A\", \"chips\": []}", ""),
     "invalid at $.architectures[0].chips: expected at least one chip"},
    {DOC("{\"compute_capability\": \"8.6\", \"architecture\": \"A\", \"chips\": [\"X\", null]}",
         ""),
     "invalid at $.architectures[0].chips[1]: expected a non-empty string"},
    {DOC(ARCH_OK ", {\"compute_capability\": \"8.9\", \"architecture\": \"A\", \"chips\": "
                 "[\"GA104\"]}",
         ""),
     "invalid at $.architectures[1].chips[0]: chip \"GA104\" is listed twice"},
    {HEAD ARCH_OK "]}", "invalid at $.devices: missing key"},
    {DOC(ARCH_OK, DEV("10de:0001") "," DEV("10de:0002") "," DEV(
                      "10de:0003") ","
                                   "{\"pci_id\": \"10de:0004\", \"chip\": 42, \"name\": \"n\"}"),
     "invalid at $.devices[3].chip: expected a string"},
    {DOC(ARCH_OK, "[]"), "invalid at $.devices[0]: expected an object"},
    {DOC(ARCH_OK, DEV("10DE:24E0")),
     "invalid at $.devices[0].pci_id: expected \"vvvv:dddd\" in lower-case hex, got "
     "\"10DE:24E0\""},
    {DOC(ARCH_OK, DEV("10de:24e")),
     "invalid at $.devices[0].pci_id: expected \"vvvv:dddd\" in lower-case hex, got "
     "\"10de:24e\""},
    {DOC(ARCH_OK, DEV("10de:24e0") "," DEV("10de:24e0")),
     "invalid at $.devices[1].pci_id: \"10de:24e0\" is listed twice"},
    {DOC(ARCH_OK, "{\"pci_id\": \"10de:24e0\", \"chip\": \"GA104M\", \"name\": \"n\"}"),
     "invalid at $.devices[0].chip: chip \"GA104M\" is not in $.architectures"},
    {DOC(ARCH_OK, "{\"pci_id\": \"10de:24e0\", \"chip\": \"GA104\"}"),
     "invalid at $.devices[0].name: missing key"},
    {DOC(ARCH_OK, "{\"pci_id\": \"10de:24e0\", \"chip\": \"GA104\", \"name\": \"n\", "
                  "\"legacy_branch\": 470}"),
     "invalid at $.devices[0].legacy_branch: expected a string"},
    {DOC(ARCH_OK, "{\"pci_id\": \"10de:24e0\", \"chip\": \"GA104\", \"name\": \"n\", "
                  "\"legacy_branch\": \"470.xx\"}"),
     "invalid at $.devices[0].legacy_branch: expected a driver branch such as \"470\", got "
     "\"470.xx\""},
    {DOC(ARCH_OK, "{\"pci_id\": \"10de:24e0\", \"chip\": \"GA104\", \"name\": \"a\\u0000b\"}"),
     "not valid JSON: *"},
};

static void check_bad(const char *dir, gsize i, const char *contents, const char *message)
{
  g_autofree char *name = g_strdup_printf("bad-%02" G_GSIZE_FORMAT ".json", i);
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autoptr(GError) error = NULL;
  cup_test_write(dir, name, contents);
  g_autoptr(CupGpuTable) table = cup_gpu_table_load(path, &error);
  g_assert_null(table);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
  g_autofree char *expected = g_strdup_printf("%s: %s", path, message);
  gsize n = strlen(expected);
  if (expected[n - 1] == '*') {
    expected[n - 1] = '\0';
    g_assert_true(g_str_has_prefix(error->message, expected));
    g_assert_nonnull(strstr(error->message, "(line "));
  } else {
    g_assert_cmpstr(error->message, ==, expected);
  }
}

static void test_schema_errors(void)
{
  g_autofree char *dir = cup_test_make_root();
  for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++)
    check_bad(dir, i, bad_cases[i].contents, bad_cases[i].message);
  /* The real file cut short. */
  g_autofree char *path = g_build_filename(CUP_TEST_MANIFESTS, "gpus.json", NULL);
  g_autofree char *full = NULL;
  gsize length = 0;
  g_assert_true(g_file_get_contents(path, &full, &length, NULL));
  for (gsize cut = 1; cut < length; cut += length / 7) {
    g_autofree char *part = g_strndup(full, cut);
    check_bad(dir, 99, part, "not valid JSON: *");
  }
  cup_test_remove_tree(dir);
}

static void test_minimal_and_missing(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *path = g_build_filename(dir, "ok.json", NULL);
  g_autoptr(GError) error = NULL;
  cup_test_write(dir, "ok.json", DOC(ARCH_OK, DEV("10de:24e0")));
  g_autoptr(CupGpuTable) table = cup_gpu_table_load(path, &error);
  g_assert_no_error(error);
  const CupGpuEntry *e = cup_gpu_table_lookup(table, 0x10de, 0x24e0);
  g_assert_nonnull(e);
  g_assert_null(e->arch->sm);      /* optional key */
  g_assert_null(e->legacy_branch); /* optional key */
  g_assert_cmpstr(e->arch->compute_capability, ==, "8.6");

  g_autofree char *missing = g_build_filename(dir, "nope.json", NULL);
  g_autoptr(CupGpuTable) none = cup_gpu_table_load(missing, &error);
  g_assert_null(none);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
  g_autofree char *prefix = g_strdup_printf("%s: cannot read: ", missing);
  g_assert_true(g_str_has_prefix(error->message, prefix));
  cup_test_remove_tree(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/gpudb/known-rows", test_known_rows);
  g_test_add_func("/gpudb/legacy-branch", test_legacy_branch);
  g_test_add_func("/gpudb/every-row-consistent", test_every_row_consistent);
  g_test_add_func("/gpudb/schema-errors", test_schema_errors);
  g_test_add_func("/gpudb/minimal-and-missing", test_minimal_and_missing);
  return g_test_run();
}
