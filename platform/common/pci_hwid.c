/* pci_hwid.c - SetupAPI hardware-id and location strings. */
#include "platform/common/pci_hwid.h"

#include <string.h>

/* The hex value after @key ("VEN_") in @id, up to @digits hex digits. */
static gboolean hex_after(const char *id, const char *key, guint digits, guint32 *out)
{
  const char *p = strstr(id, key);
  guint32 v = 0;
  guint n = 0;
  if (p == NULL)
    return FALSE;
  for (p += strlen(key); n < digits && g_ascii_isxdigit(p[n]); n++)
    v = v << 4 | (guint32)g_ascii_xdigit_value(p[n]);
  if (n != digits)
    return FALSE;
  *out = v;
  return TRUE;
}

gboolean cup_pci_parse_hardware_ids(const char *const *ids, CupPciDevice *dev)
{
  gboolean found = FALSE;
  for (const char *const *id = ids; id && *id; id++) {
    g_autofree char *up = g_ascii_strup(*id, -1);
    guint32 ven, devid, subsys, cls;
    if (!g_str_has_prefix(up, "PCI\\") || !hex_after(up, "VEN_", 4, &ven) ||
        !hex_after(up, "DEV_", 4, &devid))
      continue;
    dev->vendor = (guint16)ven;
    dev->device = (guint16)devid;
    found = TRUE;
    if (hex_after(up, "SUBSYS_", 8, &subsys)) {
      dev->subsystem_device = (guint16)(subsys >> 16);
      dev->subsystem_vendor = (guint16)(subsys & 0xffff);
    }
    if (hex_after(up, "CC_", 6, &cls))
      dev->class_code = cls;
  }
  return found;
}

char *cup_pci_bus_id_from_address(guint32 bus, guint32 address)
{
  guint32 device = address >> 16, function = address & 0xffff;
  if (bus > 0xff || device > 0x1f || function > 7)
    return NULL;
  return g_strdup_printf("0000:%02x:%02x.%x", bus, device, function);
}
