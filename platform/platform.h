/* platform.h - the one interface to the operating system (DESIGN.md section 2, platform/).
 *
 * platform/ only reads and writes primitives; core/ decides every value. One backend per OS
 * is compiled in (platform/linux or platform/windows). Every Linux path is joined onto a root
 * (`--root DIR`) so that tests run against fixture trees.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* PCI class codes (PCI Code and ID Assignment Specification, base class 03h). */
#define CUP_PCI_CLASS_DISPLAY_VGA 0x0300
#define CUP_PCI_CLASS_DISPLAY_3D 0x0302
#define CUP_PCI_VENDOR_NVIDIA 0x10de

typedef struct {
  char *bus_id;             /* "0000:01:00.0" (cup_bus_id_normalize form) */
  guint16 vendor;           /* 0x10de */
  guint16 device;           /* 0x24e0 */
  guint16 subsystem_vendor; /* 0 when unknown */
  guint16 subsystem_device;
  guint32 class_code; /* 24-bit class, e.g. 0x030000 */
} CupPciDevice;

void cup_pci_device_free(CupPciDevice *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupPciDevice, cup_pci_device_free)

/**
 * cup_platform_pci_devices: every PCI function of the machine under @root (Linux:
 * ROOT/sys/bus/pci/devices; Windows: SetupAPI, @root ignored), in bus order.
 * A device whose files cannot be read is skipped with a line appended to @warnings (char*).
 * Returns a GPtrArray of CupPciDevice* (owned by the caller; empty when the bus cannot be
 * read, with a warning saying why).
 */
GPtrArray *cup_platform_pci_devices(const char *root, GPtrArray *warnings);

/** cup_platform_nvml_library: file name of the NVML library to dlopen ("libnvidia-ml.so.1"). */
const char *cup_platform_nvml_library(void);

/** cup_platform_family: "linux" or "windows". */
const char *cup_platform_family(void);

G_END_DECLS
