/* pciids.h - device and subsystem names from the pci.ids database (Debian package `pci.ids`,
 * https://pci-ids.ucw.cz/), used by detect to name a GPU when no driver is installed.
 *
 * Only what detect needs is kept: the device and subsystem lines of vendor 10de (NVIDIA) and
 * the name of every vendor (for subsystem vendors such as 1043 ASUSTeK). Loading maps the file
 * and walks its lines once with memchr; lines of other vendors' blocks are skipped after one
 * byte and the walk stops at the device class list. The full ~1.3 MB file (Debian 12,
 * 2023.04.10) loads in about 1.2 ms on a 2020s x86-64 machine (tests/test_pciids.c prints it),
 * well inside detect's 50 ms budget.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CupPciIds CupPciIds;

/**
 * cup_pci_ids_find: the pci.ids file to use: @override when given (a path from the user, e.g.
 * --pci-ids FILE; used as is, not joined onto @root; a missing one is an error, never replaced
 * by another file); else the first that exists of ROOT/usr/share/misc/pci.ids (Debian, Ubuntu),
 * ROOT/usr/share/hwdata/pci.ids (Fedora, RHEL, Arch) and ROOT/usr/share/pci.ids. Errors:
 * CUP_ERROR_NOT_FOUND naming every path tried and the fix ("install the pci.ids package or pass
 * --pci-ids FILE"). Returns the path (newly allocated) or NULL.
 */
char *cup_pci_ids_find(const char *root, const char *override, GError **error);

/**
 * cup_pci_ids_load: parse the pci.ids file at @path. Lines that do not follow the format
 * (vendor "vvvv  name", device "\tdddd  name", subsystem "\t\tssss dddd  name") are skipped, so
 * a truncated or damaged file gives what could be read; invalid UTF-8 is repaired.
 * Errors: the G_FILE_ERROR of an unreadable file ("PATH: ..."); CUP_ERROR_PARSE when the file
 * has no vendor line at all ("PATH: not a pci.ids file").
 * Returns a new database, free with cup_pci_ids_free; NULL on error.
 */
CupPciIds *cup_pci_ids_load(const char *path, GError **error);

/** cup_pci_ids_free: free @ids and every name it holds. NULL is ignored. */
void cup_pci_ids_free(CupPciIds *ids);

/**
 * cup_pci_ids_version: the "Version:" of the file's header ("2023.04.10"), or NULL.
 * Owned by @ids.
 */
const char *cup_pci_ids_version(const CupPciIds *ids);

/** cup_pci_ids_vendor_name: the name of vendor @vendor ("NVIDIA Corporation"), or NULL. */
const char *cup_pci_ids_vendor_name(const CupPciIds *ids, guint16 vendor);

/**
 * cup_pci_ids_device_name: the pci.ids text of device @vendor:@device, e.g.
 * "GA104M [GeForce RTX 3070 Ti Mobile / Max-Q]" for 10de:24e0, or NULL. Only vendor 10de is
 * kept, so other vendors give NULL. Owned by @ids.
 */
const char *cup_pci_ids_device_name(const CupPciIds *ids, guint16 vendor, guint16 device);

/**
 * cup_pci_ids_subsystem_name: the name pci.ids gives the board @subvendor:@subdevice built on
 * device @vendor:@device ("ROG Strix G15 ..."), or NULL. Only vendor 10de. Owned by @ids.
 */
const char *cup_pci_ids_subsystem_name(const CupPciIds *ids, guint16 vendor, guint16 device,
                                       guint16 subvendor, guint16 subdevice);

/** cup_pci_ids_n_devices: how many 10de devices were read (for tests and diagnostics). */
guint cup_pci_ids_n_devices(const CupPciIds *ids);

/**
 * cup_pci_ids_marketing_name: a user-facing name from a pci.ids device text. The rule: take the
 * text inside the last "[...]" (pci.ids puts the chip codename first and the product names in
 * brackets), or the whole text when there are no brackets; trim it; prefix "NVIDIA " unless it
 * already starts with "NVIDIA" (case-insensitive).
 * "GA104M [GeForce RTX 3070 Ti Mobile / Max-Q]" -> "NVIDIA GeForce RTX 3070 Ti Mobile / Max-Q";
 * "GH100[H100 SXM5 80GB]" -> "NVIDIA H100 SXM5 80GB". Several products sharing an id stay
 * joined with " / " as pci.ids writes them. Returns a newly allocated string, or NULL for NULL
 * or blank @text.
 */
char *cup_pci_ids_marketing_name(const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupPciIds, cup_pci_ids_free)

G_END_DECLS
