/* pci_sysfs.c - the Linux backend's PCI enumeration, NVML library name and OS family.
 *
 * PCI functions are read from sysfs: ROOT/sys/bus/pci/devices/DOMAIN:BUS:DEV.FN/ holds the
 * files vendor, device, subsystem_vendor, subsystem_device and class, each one hex number
 * such as "0x10de\n" (Linux Documentation/ABI/testing/sysfs-bus-pci). The directory entries
 * are symlinks into /sys/devices/pci0000:00/...; fixture trees may use plain directories.
 */
#include "platform/platform.h"

#include "core/paths.h"
#include "core/system.h"

#include <string.h>

#define SYSFS_PCI_DEVICES "/sys/bus/pci/devices"
#define ID_FILE_MAX 64 /* "0x030000\n" is 9 bytes; anything longer is not an id file */

typedef enum {
  ID_OK,
  ID_MISSING, /* the file does not exist */
  ID_BAD,     /* unreadable, or not a hex number that fits */
} IdStatus;

const char *cup_platform_nvml_library(void)
{
  return "libnvidia-ml.so.1";
}

const char *cup_platform_family(void)
{
  return "linux";
}

static void warn(GPtrArray *warnings, char *line)
{
  if (warnings != NULL)
    g_ptr_array_add(warnings, line);
  else {
    g_info("%s", line);
    g_free(line);
  }
}

/* "0x10de" (the 0x optional, surrounding white space ignored) -> @out, when <= @max. */
static gboolean parse_hex_id(const char *text, guint32 max, guint32 *out)
{
  g_autofree char *s = g_strstrip(g_strdup(text));
  const char *digits = s;
  if (g_str_has_prefix(s, "0x") || g_str_has_prefix(s, "0X"))
    digits += 2;
  gsize n = strlen(digits);
  if (n == 0 || n > 8 || strspn(digits, "0123456789abcdefABCDEF") != n)
    return FALSE;
  guint64 value = g_ascii_strtoull(digits, NULL, 16);
  if (value > max)
    return FALSE;
  *out = (guint32)value;
  return TRUE;
}

/* Read the id file @name of the device dir @dir (real path); @sys_dir names it in warnings. */
static IdStatus read_id(const char *dir, const char *sys_dir, const char *name, guint32 max,
                        guint32 *out, char **why)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  g_autofree char *text = cup_read_small_file(path, ID_FILE_MAX, &length, &error);
  if (text == NULL) {
    if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return ID_MISSING;
    *why = g_strdup_printf("%s/%s: cannot read: %s", sys_dir, name, error->message);
    return ID_BAD;
  }
  if (memchr(text, '\0', length) != NULL || !parse_hex_id(text, max, out)) {
    g_autofree char *shown = g_strescape(g_strstrip(text), NULL);
    if (strlen(shown) > 20)
      strcpy(shown + 17, "...");
    *why = g_strdup_printf("%s/%s: not a hex id (\"%s\")", sys_dir, name, shown);
    return ID_BAD;
  }
  return ID_OK;
}

/* A required id (vendor, device): missing or bad skips the device. */
static gboolean read_required(const char *dir, const char *sys_dir, const char *name, guint16 *out,
                              GPtrArray *warnings)
{
  g_autofree char *why = NULL;
  guint32 value = 0;
  IdStatus status = read_id(dir, sys_dir, name, 0xffff, &value, &why);
  if (status == ID_MISSING)
    why = g_strdup_printf("%s/%s: missing", sys_dir, name);
  if (status != ID_OK) {
    warn(warnings, g_strdup_printf("%s; device skipped", why));
    return FALSE;
  }
  *out = (guint16)value;
  return TRUE;
}

/* An optional id (subsystem, class): missing gives 0 quietly, bad gives 0 and a warning. */
static guint32 read_optional(const char *dir, const char *sys_dir, const char *name, guint32 max,
                             GPtrArray *warnings)
{
  g_autofree char *why = NULL;
  guint32 value = 0;
  if (read_id(dir, sys_dir, name, max, &value, &why) == ID_BAD) {
    warn(warnings, g_strdup_printf("%s; %s ignored", why, name));
    return 0;
  }
  return value;
}

/* The real directory of device entry @sys_dir. Relative links (real sysfs) resolve by
 * themselves inside @root; absolute ones must be resolved onto @root. NULL when dangling. */
static char *device_dir(const char *root, const char *sys_dir)
{
  g_autofree char *path = cup_root_join(root, sys_dir);
  g_autofree char *target = g_file_read_link(path, NULL);
  if (target == NULL || !g_path_is_absolute(target))
    return g_steal_pointer(&path);
  g_autofree char *resolved = cup_root_realpath(root, sys_dir);
  return resolved ? cup_root_join(root, resolved) : NULL;
}

static CupPciDevice *read_device(const char *root, const char *entry, GPtrArray *warnings)
{
  g_autofree char *sys_dir = g_build_path("/", SYSFS_PCI_DEVICES, entry, NULL);
  g_autofree char *bus_id = cup_bus_id_normalize(entry);
  if (bus_id == NULL) {
    warn(warnings, g_strdup_printf("%s: not a PCI address; skipped", sys_dir));
    return NULL;
  }
  g_autofree char *dir = device_dir(root, sys_dir);
  if (dir == NULL || !g_file_test(dir, G_FILE_TEST_IS_DIR)) {
    warn(warnings, g_strdup_printf("%s: not a directory (dangling link?); skipped", sys_dir));
    return NULL;
  }
  g_autoptr(CupPciDevice) dev = g_new0(CupPciDevice, 1);
  if (!read_required(dir, sys_dir, "vendor", &dev->vendor, warnings) ||
      !read_required(dir, sys_dir, "device", &dev->device, warnings))
    return NULL;
  dev->subsystem_vendor =
      (guint16)read_optional(dir, sys_dir, "subsystem_vendor", 0xffff, warnings);
  dev->subsystem_device =
      (guint16)read_optional(dir, sys_dir, "subsystem_device", 0xffff, warnings);
  dev->class_code = read_optional(dir, sys_dir, "class", 0xffffff, warnings);
  dev->bus_id = g_steal_pointer(&bus_id);
  return g_steal_pointer(&dev);
}

static gint compare_bus_id(gconstpointer a, gconstpointer b)
{
  const CupPciDevice *da = *(CupPciDevice *const *)a;
  const CupPciDevice *db = *(CupPciDevice *const *)b;
  return strcmp(da->bus_id, db->bus_id); /* fixed-width lower-case hex: text order = bus order */
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *cup_platform_pci_devices(const char *root, GPtrArray *warnings)
{
  GPtrArray *devices = g_ptr_array_new_with_free_func((GDestroyNotify)cup_pci_device_free);
  g_autofree char *path = cup_root_join(root, SYSFS_PCI_DEVICES);
  g_autoptr(GError) error = NULL;
  if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
    warn(warnings,
         g_strdup(SYSFS_PCI_DEVICES ": missing (sysfs not mounted?); no PCI devices read"));
    return devices;
  }
  g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
  if (dir == NULL) {
    warn(warnings, g_strdup_printf(SYSFS_PCI_DEVICES ": cannot list: %s; no PCI devices read",
                                   error->message));
    return devices;
  }
  /* Read in name order, so that warnings come out in a stable order too. */
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(g_free);
  const char *entry;
  while ((entry = g_dir_read_name(dir)) != NULL)
    g_ptr_array_add(entries, g_strdup(entry));
  g_ptr_array_sort(entries, compare_names);
  for (guint i = 0; i < entries->len; i++) {
    CupPciDevice *dev = read_device(root, g_ptr_array_index(entries, i), warnings);
    if (dev != NULL)
      g_ptr_array_add(devices, dev);
  }
  g_ptr_array_sort(devices, compare_bus_id);
  return devices;
}
