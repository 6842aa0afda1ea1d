/* wizard_fixtures.h - the fixture roots the wizard's tests look at (the machines of
 * tests/test_detect.c): a laptop with an RTX 3070 Ti Laptop GPU and no driver, and a machine
 * with no NVIDIA GPU (Intel graphics only). Header-only: included by tests/test_wizard*.c. */
#pragma once

#include "tests/testutil.h"

#include <glib.h>

static inline void wz_fixture_add_pci(const char *root, const char *bus, const char *vendor,
                                      const char *device, const char *class_code)
{
  g_autofree char *dir = g_strdup_printf("sys/devices/pci0000:00/%s", bus);
  g_autofree char *link = g_strdup_printf("sys/bus/pci/devices/%s", bus);
  g_autofree char *target = g_strdup_printf("../../../devices/pci0000:00/%s", bus);
  const char *files[][2] = {{"vendor", vendor},
                            {"device", device},
                            {"subsystem_vendor", "0x1043"},
                            {"subsystem_device", "0x16c2"},
                            {"class", class_code}};
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *rel = g_strdup_printf("%s/%s", dir, files[i][0]);
    g_autofree char *text = g_strdup_printf("%s\n", files[i][1]);
    cup_test_write(root, rel, text);
  }
  cup_test_symlink(root, link, target);
}

/* A Debian 12 root with pci.ids; @nvidia adds the RTX 3070 Ti Laptop GPU (10de:24e0) and its
 * audio function beside the Intel graphics. Returns a new root (cup_test_remove_tree). */
static inline char *wz_fixture_root(gboolean nvidia)
{
  char *root = cup_test_make_root();
  cup_test_write(root, "etc/os-release",
                 "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
                 "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n");
  cup_test_write(root, "proc/modules", "");
  g_autofree char *pci_ids = cup_test_fixture("pci.ids/pci.ids");
  cup_test_symlink(root, "usr/share/misc/pci.ids", pci_ids);
  wz_fixture_add_pci(root, "0000:00:02.0", "0x8086", "0x9a49", "0x030000");
  if (nvidia) {
    wz_fixture_add_pci(root, "0000:01:00.0", "0x10de", "0x24e0", "0x030000");
    wz_fixture_add_pci(root, "0000:01:00.1", "0x10de", "0x228b", "0x040300");
  }
  return root;
}

/* Detection reads PATH and CUDA_HOME from our environment: never let the machine's real
 * /usr/local/cuda (on PATH through /etc/profile.d) leak into a fixture root; HOME and the XDG
 * directories go to a temp dir so that user-scope roots are never the real ~. */
static inline void wz_fixture_environment(const char *home)
{
  g_setenv("PATH", "/usr/bin:/bin", TRUE);
  g_unsetenv("CUDA_HOME");
  g_unsetenv("CUDA_PATH");
  g_setenv("HOME", home, TRUE);
  g_autofree char *data = g_build_filename(home, ".local", "share", NULL);
  g_setenv("XDG_DATA_HOME", data, TRUE);
}
