/* pci_hwid.h - parse the strings Windows' SetupAPI reports for a PCI device. Pure string
 * work, compiled on every OS so that it is tested where the tests run. */
#pragma once

#include "platform/platform.h"

G_BEGIN_DECLS

/**
 * cup_pci_parse_hardware_ids: fill @dev from a device's SPDRP_HARDWAREID strings, e.g.
 * "PCI\VEN_10DE&DEV_24E0&SUBSYS_16C21043&REV_A1" and "PCI\VEN_10DE&DEV_24E0&CC_030000"
 * (format: Microsoft, "Identifiers for PCI Devices",
 * https://learn.microsoft.com/windows-hardware/drivers/install/identifiers-for-pci-devices).
 * SUBSYS is the subsystem device id followed by the subsystem vendor id. @ids is
 * NULL-terminated. Returns FALSE when no id carries VEN_ and DEV_.
 */
gboolean cup_pci_parse_hardware_ids(const char *const *ids, CupPciDevice *dev);

/**
 * cup_pci_bus_id_from_address: the bus id ("0000:01:00.0") from SetupAPI's SPDRP_BUSNUMBER and
 * SPDRP_ADDRESS (for PCI, device number << 16 | function number; Microsoft, "SetupDiGetDevice
 * RegistryProperty", SPDRP_ADDRESS). Used instead of SPDRP_LOCATION_INFORMATION, whose text is
 * translated on Korean Windows. The domain is not reported and is taken as 0. Returns a newly
 * allocated string, or NULL when a number is out of range.
 */
char *cup_pci_bus_id_from_address(guint32 bus, guint32 address);

G_END_DECLS
