/* test_pci_sysfs.c - platform/linux/pci_sysfs.c against fixture sysfs trees. */
#include "core/system.h"
#include "platform/platform.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

#define DEVICES "sys/bus/pci/devices"

typedef struct {
  const char *bus_id;
  guint16 vendor, device, subsystem_vendor, subsystem_device;
  guint32 class_code;
} Dev;

/* Write @dev's id files; symlinked like real sysfs (a link from sys/bus/pci/devices into
 * sys/devices/pci0000:00/...) or as a plain directory. */
static void add_device(const char *root, const Dev *dev, gboolean symlinked)
{
  static const char *const names[] = {"vendor", "device", "subsystem_vendor", "subsystem_device",
                                      "class"};
  guint32 values[] = {dev->vendor, dev->device, dev->subsystem_vendor, dev->subsystem_device,
                      dev->class_code};
  g_autofree char *link = g_build_filename(DEVICES, dev->bus_id, NULL);
  g_autofree char *real = g_build_filename("sys/devices/pci0000:00", dev->bus_id, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *file = g_build_filename(symlinked ? real : link, names[i], NULL);
    g_autofree char *text = g_strdup_printf(i == 4 ? "0x%06x\n" : "0x%04x\n", values[i]);
    cup_test_write(root, file, text);
  }
  if (symlinked) {
    g_autofree char *target = g_build_filename("../../../devices/pci0000:00", dev->bus_id, NULL);
    cup_test_symlink(root, link, target);
  }
}

static void assert_devices(GPtrArray *got, const Dev *want, gsize n)
{
  g_assert_cmpuint(got->len, ==, n);
  for (gsize i = 0; i < n; i++) {
    const CupPciDevice *d = g_ptr_array_index(got, i);
    g_assert_cmpstr(d->bus_id, ==, want[i].bus_id);
    g_assert_cmphex(d->vendor, ==, want[i].vendor);
    g_assert_cmphex(d->device, ==, want[i].device);
    g_assert_cmphex(d->subsystem_vendor, ==, want[i].subsystem_vendor);
    g_assert_cmphex(d->subsystem_device, ==, want[i].subsystem_device);
    g_assert_cmphex(d->class_code, ==, want[i].class_code);
  }
}

static GPtrArray *new_warnings(void)
{
  return g_ptr_array_new_with_free_func(g_free);
}

/* A laptop: Intel Iris Xe iGPU + RTX 3070 Ti Laptop GPU (ASUS board) with its HD Audio. */
static const Dev laptop[] = {
    {"0000:00:00.0", 0x8086, 0x9a14, 0x1043, 0x16c2, 0x060000}, /* host bridge */
    {"0000:00:02.0", 0x8086, 0x9a49, 0x1043, 0x16c2, 0x030000}, /* Iris Xe */
    {"0000:01:00.0", 0x10de, 0x24e0, 0x1043, 0x16c2, 0x030000}, /* RTX 3070 Ti Laptop */
    {"0000:01:00.1", 0x10de, 0x228b, 0x1043, 0x16c2, 0x040300}, /* its HD Audio */
};

static void test_laptop_symlinked(void)
{
  g_autofree char *root = cup_test_make_root();
  for (gsize i = G_N_ELEMENTS(laptop); i-- > 0;) /* creation order must not matter */
    add_device(root, &laptop[i], TRUE);
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) devices = cup_platform_pci_devices(root, warnings);
  assert_devices(devices, laptop, G_N_ELEMENTS(laptop));
  g_assert_cmpuint(warnings->len, ==, 0);
  cup_test_remove_tree(root);
}

static void test_plain_dirs(void)
{
  g_autofree char *root = cup_test_make_root();
  for (gsize i = 0; i < G_N_ELEMENTS(laptop); i++)
    add_device(root, &laptop[i], FALSE);
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) devices = cup_platform_pci_devices(root, warnings);
  assert_devices(devices, laptop, G_N_ELEMENTS(laptop));
  g_assert_cmpuint(warnings->len, ==, 0);
  cup_test_remove_tree(root);
}

static void assert_warning(GPtrArray *warnings, const char *expected)
{
  for (guint i = 0; i < warnings->len; i++)
    if (strcmp(g_ptr_array_index(warnings, i), expected) == 0)
      return;
  for (guint i = 0; i < warnings->len; i++)
    g_test_message("warning: %s", (char *)g_ptr_array_index(warnings, i));
  g_error("no warning \"%s\"", expected);
}

static void make_bad_devices(const char *root)
{
  static const Dev bad[] = {
      {"0000:02:00.0", 0x10de, 0x2184, 0, 0, 0x030000}, {"0000:03:00.0", 0x10de, 0x2184, 0, 0, 0},
      {"0000:04:00.0", 0x10de, 0x2184, 0, 0, 0},        {"0000:05:00.0", 0x10de, 0x2184, 0, 0, 0},
      {"0000:06:00.0", 0x10de, 0x2184, 0, 0, 0},        {"0000:07:00.0", 0x10de, 0x2184, 0, 0, 0},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    add_device(root, &bad[i], i % 2 == 0);
  /* Garbled, unreadable (a directory), missing, too long, binary. */
  cup_test_write(root, "sys/devices/pci0000:00/0000:02:00.0/device", "0xzzzz\n");
  g_autofree char *dir = g_build_filename(root, DEVICES, "0000:03:00.0/device", NULL);
  g_assert_cmpint(g_remove(dir), ==, 0);
  g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
  g_autofree char *vendor =
      g_build_filename(root, "sys/devices/pci0000:00/0000:04:00.0/vendor", NULL);
  g_assert_cmpint(g_remove(vendor), ==, 0);
  g_autofree char *long_text = g_strnfill(100, '1');
  cup_test_write(root, DEVICES "/0000:05:00.0/device", long_text);
  cup_test_write(root, "sys/devices/pci0000:00/0000:06:00.0/class", "0x1234567\n");
  cup_test_write(root, DEVICES "/0000:07:00.0/subsystem_vendor", "");
  cup_test_write(root, DEVICES "/not-a-device/vendor", "0x10de\n");
  cup_test_symlink(root, DEVICES "/0000:08:00.0", "../../../devices/pci0000:00/gone");
}

static void test_bad_files(void)
{
  g_autofree char *root = cup_test_make_root();
  for (gsize i = 0; i < G_N_ELEMENTS(laptop); i++)
    add_device(root, &laptop[i], TRUE);
  make_bad_devices(root);
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) devices = cup_platform_pci_devices(root, warnings);
  const Dev want[] = {
      laptop[0],
      laptop[1],
      laptop[2],
      laptop[3],
      {"0000:06:00.0", 0x10de, 0x2184, 0, 0, 0}, /* class too big: field ignored */
      {"0000:07:00.0", 0x10de, 0x2184, 0, 0, 0}, /* empty subsystem_vendor: field ignored */
  };
  assert_devices(devices, want, G_N_ELEMENTS(want));
  assert_warning(warnings, "/sys/bus/pci/devices/0000:02:00.0/device: not a hex id (\"0xzzzz\"); "
                           "device skipped");
  assert_warning(warnings, "/sys/bus/pci/devices/0000:04:00.0/vendor: missing; device skipped");
  assert_warning(warnings, "/sys/bus/pci/devices/0000:05:00.0/device: cannot read: larger than "
                           "64 bytes; device skipped");
  assert_warning(warnings, "/sys/bus/pci/devices/0000:06:00.0/class: not a hex id "
                           "(\"0x1234567\"); class ignored");
  assert_warning(warnings, "/sys/bus/pci/devices/0000:07:00.0/subsystem_vendor: not a hex id "
                           "(\"\"); subsystem_vendor ignored");
  assert_warning(warnings, "/sys/bus/pci/devices/not-a-device: not a PCI address; skipped");
  assert_warning(warnings, "/sys/bus/pci/devices/0000:08:00.0: not a directory (dangling link?); "
                           "skipped");
  g_assert_cmpuint(warnings->len, ==, 8);
  gboolean unreadable_seen = FALSE;
  for (guint i = 0; i < warnings->len; i++) {
    const char *w = g_ptr_array_index(warnings, i);
    g_assert_null(strchr(w, '\n'));
    g_assert_null(strstr(w, root)); /* paths as the system sees them */
    if (g_str_has_prefix(w, "/sys/bus/pci/devices/0000:03:00.0/device: cannot read: ") &&
        g_str_has_suffix(w, "; device skipped"))
      unreadable_seen = TRUE;
  }
  g_assert_true(unreadable_seen);
  for (guint i = 0; i < warnings->len; i++)
    g_test_message("warning: %s", (char *)g_ptr_array_index(warnings, i));
  /* No warnings array: the same devices, nothing to crash on. */
  g_autoptr(GPtrArray) again = cup_platform_pci_devices(root, NULL);
  assert_devices(again, want, G_N_ELEMENTS(want));
  cup_test_remove_tree(root);
}

static void test_eight_gpus(void)
{
  static const Dev gpus[] = {
      {"0000:18:00.0", 0x10de, 0x2330, 0x10de, 0x16c1, 0x030200},
      {"0000:2a:00.0", 0x10de, 0x2330, 0x10de, 0x16c1, 0x030200},
      {"0000:3a:00.0", 0x10de, 0x2330, 0x10de, 0x16c1, 0x030200},
      {"0000:5d:00.0", 0x10de, 0x2330, 0x10de, 0x16c1, 0x030200},
      {"0000:9a:00.0", 0x10de, 0x2330, 0x10de, 0x16c1, 0x030200},
      {"0000:ab:00.0", 0x10de, 0x2330, 0x10de, 0x16c1, 0x030200},
      {"0000:ba:00.0", 0x10de, 0x2330, 0x10de, 0x16c1, 0x030200},
      {"0001:0d:00.0", 0x10de, 0x2330, 0x10de, 0x16c1, 0x030200}, /* a second PCI domain */
  };
  static const gsize order[] = {5, 0, 7, 2, 6, 1, 4, 3};
  g_autofree char *root = cup_test_make_root();
  for (gsize i = 0; i < G_N_ELEMENTS(order); i++)
    add_device(root, &gpus[order[i]], i % 3 != 0);
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) devices = cup_platform_pci_devices(root, warnings);
  assert_devices(devices, gpus, G_N_ELEMENTS(gpus));
  g_assert_cmpuint(warnings->len, ==, 0);
  cup_test_remove_tree(root);
}

static void test_absolute_symlink(void)
{
  static const Dev gpu = {"0000:01:00.0", 0x10de, 0x24e0, 0x1043, 0x16c2, 0x030000};
  g_autofree char *root = cup_test_make_root();
  add_device(root, &gpu, TRUE);
  g_autofree char *link = g_build_filename(root, DEVICES, gpu.bus_id, NULL);
  g_assert_cmpint(g_remove(link), ==, 0);
  cup_test_symlink(root, DEVICES "/0000:01:00.0", "/sys/devices/pci0000:00/0000:01:00.0");
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) devices = cup_platform_pci_devices(root, warnings);
  assert_devices(devices, &gpu, 1);
  g_assert_cmpuint(warnings->len, ==, 0);
  cup_test_remove_tree(root);
}

static void test_no_sysfs(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) devices = cup_platform_pci_devices(root, warnings);
  g_assert_nonnull(devices);
  g_assert_cmpuint(devices->len, ==, 0);
  g_assert_cmpuint(warnings->len, ==, 1);
  g_assert_cmpstr(g_ptr_array_index(warnings, 0), ==,
                  "/sys/bus/pci/devices: missing (sysfs not mounted?); no PCI devices read");
  /* An empty bus: no devices and nothing to warn about. */
  cup_test_write(root, DEVICES "/.keep", "");
  g_autoptr(GPtrArray) none = cup_platform_pci_devices(root, NULL);
  g_assert_cmpuint(none->len, ==, 0);
  cup_test_remove_tree(root);
}

/* The machine's own bus, whatever it holds: sorted, normalised, no crash. */
static void test_this_machine(void)
{
  g_autoptr(GPtrArray) warnings = new_warnings();
  g_autoptr(GPtrArray) devices = cup_platform_pci_devices(NULL, warnings);
  g_test_message("this machine: %u PCI functions, %u warnings", devices->len, warnings->len);
  for (guint i = 0; i < devices->len; i++) {
    const CupPciDevice *d = g_ptr_array_index(devices, i);
    g_autofree char *norm = cup_bus_id_normalize(d->bus_id);
    g_assert_cmpstr(norm, ==, d->bus_id);
    if (i > 0)
      g_assert_cmpstr(((CupPciDevice *)g_ptr_array_index(devices, i - 1))->bus_id, <, d->bus_id);
  }
}

static void test_names(void)
{
  g_assert_cmpstr(cup_platform_family(), ==, "linux");
  g_assert_cmpstr(cup_platform_nvml_library(), ==, "libnvidia-ml.so.1");
  cup_pci_device_free(NULL);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pci-sysfs/laptop-symlinked", test_laptop_symlinked);
  g_test_add_func("/pci-sysfs/plain-dirs", test_plain_dirs);
  g_test_add_func("/pci-sysfs/bad-files", test_bad_files);
  g_test_add_func("/pci-sysfs/eight-gpus", test_eight_gpus);
  g_test_add_func("/pci-sysfs/absolute-symlink", test_absolute_symlink);
  g_test_add_func("/pci-sysfs/no-sysfs", test_no_sysfs);
  g_test_add_func("/pci-sysfs/this-machine", test_this_machine);
  g_test_add_func("/pci-sysfs/names", test_names);
  return g_test_run();
}
