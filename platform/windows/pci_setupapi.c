/* pci_setupapi.c - the Windows backend of platform/platform.h: PCI devices from SetupAPI
 * (compiled on Windows builds only). @root is ignored: Windows has no fixture roots; the
 * string parsing that matters is in platform/common/pci_hwid.c and tested on every OS. */
#include "platform/platform.h"

#include "platform/common/pci_hwid.h"

#include <windows.h>
#include <setupapi.h>

const char *cup_platform_nvml_library(void)
{
  return "nvml.dll";
}

const char *cup_platform_family(void)
{
  return "windows";
}

/* A REG_MULTI_SZ or REG_SZ device property as UTF-8 strings. */
static GStrv device_strings(HDEVINFO set, SP_DEVINFO_DATA *info, DWORD property)
{
  wchar_t buf[2048];
  DWORD type = 0, size = 0;
  if (!SetupDiGetDeviceRegistryPropertyW(set, info, property, &type, (BYTE *)buf,
                                         sizeof buf - sizeof(wchar_t), &size))
    return NULL;
  buf[size / sizeof(wchar_t)] = L'\0';
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  for (const wchar_t *s = buf; *s; s += wcslen(s) + 1) {
    g_autofree char *utf8 = g_utf16_to_utf8((const gunichar2 *)s, -1, NULL, NULL, NULL);
    if (utf8)
      g_strv_builder_add(b, utf8);
    if (type != REG_MULTI_SZ)
      break;
  }
  return g_strv_builder_end(b);
}

static int compare_bus(gconstpointer a, gconstpointer b)
{
  const CupPciDevice *x = *(CupPciDevice *const *)a, *y = *(CupPciDevice *const *)b;
  return g_strcmp0(x->bus_id, y->bus_id);
}

GPtrArray *cup_platform_pci_devices(const char *root, GPtrArray *warnings)
{
  (void)root;
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)cup_pci_device_free);
  HDEVINFO set = SetupDiGetClassDevsW(NULL, L"PCI", NULL, DIGCF_PRESENT | DIGCF_ALLCLASSES);
  if (set == INVALID_HANDLE_VALUE) {
    g_ptr_array_add(warnings, g_strdup_printf("SetupAPI could not list PCI devices (error %lu)",
                                              GetLastError()));
    return out;
  }
  SP_DEVINFO_DATA info = {.cbSize = sizeof info};
  for (DWORD i = 0; SetupDiEnumDeviceInfo(set, i, &info); i++) {
    g_auto(GStrv) ids = device_strings(set, &info, SPDRP_HARDWAREID);
    DWORD bus = 0, address = 0;
    g_autoptr(CupPciDevice) dev = g_new0(CupPciDevice, 1);
    if (ids == NULL || !cup_pci_parse_hardware_ids((const char *const *)ids, dev))
      continue;
    if (SetupDiGetDeviceRegistryPropertyW(set, &info, SPDRP_BUSNUMBER, NULL, (BYTE *)&bus,
                                          sizeof bus, NULL) &&
        SetupDiGetDeviceRegistryPropertyW(set, &info, SPDRP_ADDRESS, NULL, (BYTE *)&address,
                                          sizeof address, NULL))
      dev->bus_id = cup_pci_bus_id_from_address(bus, address);
    g_ptr_array_add(out, g_steal_pointer(&dev));
  }
  SetupDiDestroyDeviceInfoList(set);
  g_ptr_array_sort(out, compare_bus);
  return out;
}
