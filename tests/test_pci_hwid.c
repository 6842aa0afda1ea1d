/* test_pci_hwid.c - SetupAPI strings (Windows backend) parsed on every OS. */
#include "platform/common/pci_hwid.h"

static void test_hardware_ids(void)
{
  /* The forms Windows lists for one device, most specific first (Microsoft, "Identifiers for
   * PCI Devices"). */
  const char *ids[] = {"PCI\\VEN_10DE&DEV_24E0&SUBSYS_16C21043&REV_A1",
                       "PCI\\VEN_10DE&DEV_24E0&SUBSYS_16C21043", "PCI\\VEN_10DE&DEV_24E0&CC_030000",
                       "PCI\\VEN_10DE&CC_0300", NULL};
  CupPciDevice dev = {0};
  g_assert_true(cup_pci_parse_hardware_ids(ids, &dev));
  g_assert_cmphex(dev.vendor, ==, 0x10de);
  g_assert_cmphex(dev.device, ==, 0x24e0);
  g_assert_cmphex(dev.subsystem_vendor, ==, 0x1043);
  g_assert_cmphex(dev.subsystem_device, ==, 0x16c2);
  g_assert_cmphex(dev.class_code, ==, 0x030000);
}

static void test_bad_hardware_ids(void)
{
  const char *bad[][3] = {{"USB\\VID_046D&PID_C52B", NULL, NULL},
                          {"PCI\\VEN_10D", NULL, NULL},
                          {"PCI\\VEN_10DE&DEV_24", NULL, NULL},
                          {"", NULL, NULL},
                          {"PCI\\DEV_24E0&VEN_XYZW", NULL, NULL}};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    CupPciDevice dev = {0};
    g_assert_false(cup_pci_parse_hardware_ids(bad[i], &dev));
  }
  CupPciDevice dev = {0};
  g_assert_false(cup_pci_parse_hardware_ids(NULL, &dev));
}

static void test_bus_id_from_address(void)
{
  g_autofree char *a = cup_pci_bus_id_from_address(1, 0x00000000);
  g_assert_cmpstr(a, ==, "0000:01:00.0");
  g_autofree char *b = cup_pci_bus_id_from_address(0xc1, (31u << 16) | 7);
  g_assert_cmpstr(b, ==, "0000:c1:1f.7");
  g_assert_null(cup_pci_bus_id_from_address(256, 0));
  g_assert_null(cup_pci_bus_id_from_address(1, 32u << 16));
  g_assert_null(cup_pci_bus_id_from_address(1, 8));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pci-hwid/hardware-ids", test_hardware_ids);
  g_test_add_func("/pci-hwid/bad-hardware-ids", test_bad_hardware_ids);
  g_test_add_func("/pci-hwid/bus-id", test_bus_id_from_address);
  return g_test_run();
}
