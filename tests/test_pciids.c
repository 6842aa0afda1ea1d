/* test_pciids.c - core/pciids: names from pci.ids, file lookup, damaged input, speed. */
#include "core/error.h"
#include "core/pciids.h"
#include "tests/testutil.h"

#include <string.h>

#define REAL_PCI_IDS "/usr/share/misc/pci.ids"

static CupPciIds *load_fixture(void)
{
  g_autofree char *path = cup_test_fixture("pci.ids/pci.ids");
  g_autoptr(GError) error = NULL;
  CupPciIds *ids = cup_pci_ids_load(path, &error);
  g_assert_no_error(error);
  g_assert_nonnull(ids);
  return ids;
}

static void test_fixture_names(void)
{
  g_autoptr(CupPciIds) ids = load_fixture();
  g_assert_cmpstr(cup_pci_ids_version(ids), ==, "2023.04.10");
  g_assert_cmpuint(cup_pci_ids_n_devices(ids), ==, 17);
  g_assert_cmpstr(cup_pci_ids_device_name(ids, 0x10de, 0x24e0), ==,
                  "GA104M [Geforce RTX 3070 Ti Laptop GPU]");
  g_assert_cmpstr(cup_pci_ids_device_name(ids, 0x10de, 0x2184), ==, "TU116 [GeForce GTX 1660]");
  g_assert_cmpstr(cup_pci_ids_device_name(ids, 0x10de, 0x2330), ==, "GH100[H100 SXM5 80GB]");
  g_assert_cmpstr(cup_pci_ids_device_name(ids, 0x10de, 0x1f9f), ==, "TU117M [GeForce MX550]");
  g_assert_cmpstr(cup_pci_ids_device_name(ids, 0x10de, 0x0008), ==, "NV1 [STG2000X-B Series]");
  g_assert_null(cup_pci_ids_device_name(ids, 0x10de, 0x2185)); /* left out of the fixture */
  g_assert_null(cup_pci_ids_device_name(ids, 0x10de, 0x0720)); /* 10df's device, next block */
  g_assert_null(cup_pci_ids_device_name(ids, 0x8086, 0x9a49)); /* only NVIDIA devices kept */
  g_assert_null(cup_pci_ids_device_name(ids, 0x10df, 0x0720));
  g_assert_cmpstr(cup_pci_ids_vendor_name(ids, 0x10de), ==, "NVIDIA Corporation");
  g_assert_cmpstr(cup_pci_ids_vendor_name(ids, 0x8086), ==, "Intel Corporation");
  g_assert_cmpstr(cup_pci_ids_vendor_name(ids, 0x1462), ==,
                  "Micro-Star International Co., Ltd. [MSI]");
  g_assert_cmpstr(cup_pci_ids_vendor_name(ids, 0xffff), ==, "Illegal Vendor ID");
  g_assert_null(cup_pci_ids_vendor_name(ids, 0x1234));
}

static void test_fixture_subsystems(void)
{
  g_autoptr(CupPciIds) ids = load_fixture();
  g_assert_cmpstr(cup_pci_ids_subsystem_name(ids, 0x10de, 0x2206, 0x1462, 0x3892), ==,
                  "RTX 3080 10GB GAMING X TRIO");
  g_assert_cmpstr(cup_pci_ids_subsystem_name(ids, 0x10de, 0x2206, 0x10de, 0x146d), ==,
                  "GA102 [GeForce RTX 3080 20GB]");
  g_assert_cmpstr(cup_pci_ids_subsystem_name(ids, 0x10de, 0x1f02, 0x1043, 0x8673), ==,
                  "TURBO RTX 2070");
  g_assert_cmpstr(cup_pci_ids_subsystem_name(ids, 0x10de, 0x1fb6, 0x1028, 0x0b10), ==,
                  "Precision 3571");
  /* The subsystem belongs to its device only. */
  g_assert_null(cup_pci_ids_subsystem_name(ids, 0x10de, 0x2204, 0x1462, 0x3892));
  g_assert_null(cup_pci_ids_subsystem_name(ids, 0x10de, 0x24e0, 0x1043, 0x16c2));
  g_assert_null(cup_pci_ids_subsystem_name(ids, 0x10de, 0x9999, 0x1043, 0x8673));
  g_assert_null(cup_pci_ids_subsystem_name(ids, 0x8086, 0x2206, 0x1462, 0x3892));
}

static void test_marketing_name(void)
{
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"GA104M [GeForce RTX 3070 Ti Mobile / Max-Q]", "NVIDIA GeForce RTX 3070 Ti Mobile / Max-Q"},
      {"GA104M [Geforce RTX 3070 Ti Laptop GPU]", "NVIDIA Geforce RTX 3070 Ti Laptop GPU"},
      {"TU116 [GeForce GTX 1660]", "NVIDIA GeForce GTX 1660"},
      {"GH100[H100 SXM5 80GB]", "NVIDIA H100 SXM5 80GB"},
      {"GA104 [RTX A4500 Embedded GPU ]", "NVIDIA RTX A4500 Embedded GPU"},
      {"TU104GL [Tesla T4]", "NVIDIA Tesla T4"},
      {"GM107 High Definition Audio Controller [GeForce 940MX]", "NVIDIA GeForce 940MX"},
      {"GV100 Engineering Sample", "NVIDIA GV100 Engineering Sample"},
      {"NVIDIA Geforce RTX 3090 Founders Edition", "NVIDIA Geforce RTX 3090 Founders Edition"},
      {"GA102 [nvidia RTX A6000]", "nvidia RTX A6000"},
      {"GA104M [GeForce RTX 3070", "NVIDIA GeForce RTX 3070"}, /* cut short */
      {"TU117M", "NVIDIA TU117M"},
      {"GA100 []", NULL},
      {"   ", NULL},
      {"", NULL},
      {NULL, NULL},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *name = cup_pci_ids_marketing_name(cases[i].in);
    g_assert_cmpstr(name, ==, cases[i].out);
  }
}

static void test_find(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(GError) error = NULL;
  g_autofree char *none = cup_pci_ids_find(root, NULL, &error);
  g_assert_null(none);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_autofree char *misc = g_build_filename(root, "usr/share/misc/pci.ids", NULL);
  g_autofree char *hwdata = g_build_filename(root, "usr/share/hwdata/pci.ids", NULL);
  g_autofree char *share = g_build_filename(root, "usr/share/pci.ids", NULL);
  g_autofree char *expected = g_strdup_printf("pci.ids not found (tried %s, %s, %s); install the "
                                              "pci.ids package or pass --pci-ids FILE",
                                              misc, hwdata, share);
  g_assert_cmpstr(error->message, ==, expected);
  g_clear_error(&error);

  g_autofree char *user = g_build_filename(root, "my.ids", NULL);
  g_autofree char *missing = cup_pci_ids_find(root, user, &error);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_assert_true(g_str_has_prefix(error->message, "pci.ids file "));
  g_assert_nonnull(strstr(error->message, user));
  g_assert_nonnull(strstr(error->message, "--pci-ids"));
  g_clear_error(&error);

  cup_test_write(root, "usr/share/pci.ids", "x");
  g_autofree char *found3 = cup_pci_ids_find(root, NULL, &error);
  g_assert_cmpstr(found3, ==, share);
  cup_test_write(root, "usr/share/hwdata/pci.ids", "x");
  g_autofree char *found2 = cup_pci_ids_find(root, NULL, &error);
  g_assert_cmpstr(found2, ==, hwdata);
  cup_test_write(root, "usr/share/misc/pci.ids", "x");
  g_autofree char *found1 = cup_pci_ids_find(root, "", &error);
  g_assert_cmpstr(found1, ==, misc);
  g_autofree char *no_fallback = cup_pci_ids_find(root, user, &error); /* override missing */
  g_assert_null(no_fallback);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_clear_error(&error);
  cup_test_write(root, "my.ids", "x");
  g_autofree char *over = cup_pci_ids_find(root, user, &error);
  g_assert_cmpstr(over, ==, user);
  g_assert_no_error(error);
  cup_test_remove_tree(root);
}

static void test_missing_file(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree char *path = g_build_filename(root, "nope.ids", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupPciIds) ids = cup_pci_ids_load(path, &error);
  g_assert_null(ids);
  g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull(strstr(error->message, path));
  cup_test_remove_tree(root);
}

/* Load @len bytes of @data from a file: must not crash; returns the database or NULL. */
static CupPciIds *load_bytes(const char *dir, const char *data, gsize len)
{
  g_autofree char *path = g_build_filename(dir, "input.ids", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
  CupPciIds *ids = cup_pci_ids_load(path, &error);
  if (ids == NULL) {
    g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
    g_assert_nonnull(strstr(error->message, "not a pci.ids file"));
  }
  return ids;
}

static void test_garbage(void)
{
  static const char *const inputs[] = {
      "",
      "\n\n\n",
      "# only a comment\n",
      "10de",
      "10de ",
      "10de  ",
      "\t24e0  GA104M [x]\n\t\t1043 16c2  y\n",
      "10de  NVIDIA\n\t24e0\n\t24e1  \n\t\t1043\n\t\t1043 16c2\n\t\tzzzz 16c2  bad\n\t\t\t\n",
      "10de  NVIDIA\n\t\t1043 16c2  subsystem before any device\n\t24e0  ok\n",
      "10de  N\xff\xfe\n\tzz99  bad\n\t24e0  GA104M [\xc3\x28 RTX]\r\n\t\t1043 16c2  \xe2\x82\n",
      "C 03  Display controller\n10de  after the classes\n",
  };
  g_autofree char *dir = cup_test_make_root();
  for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
    g_autoptr(CupPciIds) ids = load_bytes(dir, inputs[i], strlen(inputs[i]));
    if (ids != NULL && cup_pci_ids_device_name(ids, 0x10de, 0x24e0) != NULL)
      g_assert_true(g_utf8_validate(cup_pci_ids_device_name(ids, 0x10de, 0x24e0), -1, NULL));
  }
  /* The repaired row of the invalid-UTF-8 input. */
  g_autoptr(CupPciIds) fixed = load_bytes(dir, inputs[9], strlen(inputs[9]));
  g_assert_nonnull(fixed);
  g_assert_nonnull(strstr(cup_pci_ids_device_name(fixed, 0x10de, 0x24e0), "RTX]"));
  const char *sub = cup_pci_ids_subsystem_name(fixed, 0x10de, 0x24e0, 0x1043, 0x16c2);
  g_assert_nonnull(sub);
  g_assert_true(g_utf8_validate(sub, -1, NULL));
  /* A damaged vendor line ends the NVIDIA block. */
  static const char cut_block[] = "10de  NVIDIA\n\t24e0  a\n10df Emulex\n\t24e1  b\n";
  g_autoptr(CupPciIds) cut = load_bytes(dir, cut_block, strlen(cut_block));
  g_assert_cmpstr(cup_pci_ids_device_name(cut, 0x10de, 0x24e0), ==, "a");
  g_assert_null(cup_pci_ids_device_name(cut, 0x10de, 0x24e1));
  /* Binary noise with NULs, from a fixed seed. */
  g_autoptr(GRand) rand = g_rand_new_with_seed(20240521);
  for (int round = 0; round < 20; round++) {
    char noise[4096];
    for (gsize i = 0; i < sizeof noise; i++)
      noise[i] = (char)g_rand_int_range(rand, 0, 256);
    if (round % 2)
      memcpy(noise + 100, "\n10de  NVIDIA\n\t24e0  x\n", 23);
    g_autoptr(CupPciIds) ids = load_bytes(dir, noise, sizeof noise);
  }
  cup_test_remove_tree(dir);
}

static void test_truncated(void)
{
  gsize len = 0;
  g_autofree char *full = cup_test_read_fixture("pci.ids/pci.ids", &len);
  g_autofree char *dir = cup_test_make_root();
  const char *nvidia = strstr(full, "\n10de  ");
  g_assert_nonnull(nvidia);
  for (gsize cut = 0; cut <= len; cut += 5) {
    g_autoptr(CupPciIds) ids = load_bytes(dir, full, cut);
    if (cut > (gsize)(nvidia - full) + 30) {
      g_assert_nonnull(ids);
      g_assert_cmpstr(cup_pci_ids_vendor_name(ids, 0x10de), ==, "NVIDIA Corporation");
    }
    if (ids != NULL)
      g_assert_cmpuint(cup_pci_ids_n_devices(ids), <=, 17);
  }
  cup_test_remove_tree(dir);
}

static void test_real_file(void)
{
  if (!g_file_test(REAL_PCI_IDS, G_FILE_TEST_IS_REGULAR)) {
    g_test_skip(REAL_PCI_IDS " is not installed (Debian package pci.ids)");
    return;
  }
  gint64 best = G_MAXINT64;
  for (int i = 0; i < 5; i++) {
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time();
    g_autoptr(CupPciIds) ids = cup_pci_ids_load(REAL_PCI_IDS, &error);
    gint64 took = g_get_monotonic_time() - start;
    g_assert_no_error(error);
    best = MIN(best, took);
    if (i == 0)
      g_test_message("%s (version %s): %u NVIDIA devices, parsed in %.2f ms (first run)",
                     REAL_PCI_IDS, cup_pci_ids_version(ids), cup_pci_ids_n_devices(ids),
                     took / 1000.0);
    g_assert_cmpuint(cup_pci_ids_n_devices(ids), >, 1000);
    g_assert_cmpstr(cup_pci_ids_vendor_name(ids, 0x10de), ==, "NVIDIA Corporation");
    g_assert_cmpstr(cup_pci_ids_vendor_name(ids, 0x8086), ==, "Intel Corporation");
    g_assert_nonnull(strstr(cup_pci_ids_device_name(ids, 0x10de, 0x2184), "GTX 1660"));
    g_assert_nonnull(strstr(cup_pci_ids_device_name(ids, 0x10de, 0x24e0), "3070 Ti"));
  }
  g_test_message("pci.ids parse time: best of 5 runs %.2f ms", best / 1000.0);
  g_assert_cmpint(best, <, 50 * 1000); /* the whole detect budget; typically ~1 ms */
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pciids/fixture-names", test_fixture_names);
  g_test_add_func("/pciids/fixture-subsystems", test_fixture_subsystems);
  g_test_add_func("/pciids/marketing-name", test_marketing_name);
  g_test_add_func("/pciids/find", test_find);
  g_test_add_func("/pciids/missing-file", test_missing_file);
  g_test_add_func("/pciids/garbage", test_garbage);
  g_test_add_func("/pciids/truncated", test_truncated);
  g_test_add_func("/pciids/real-file", test_real_file);
  return g_test_run();
}
