/* pciids.c - the parts of pci.ids that detect needs (format: the header of pci.ids itself). */
#include "core/i18n.h"
#include "core/pciids.h"

#include "core/error.h"
#include "core/paths.h"

#include <string.h>

#define NVIDIA_VENDOR 0x10de

typedef struct {
  const char *name;       /* in the string chunk */
  GHashTable *subsystems; /* GUINT_TO_POINTER(subvendor << 16 | subdevice) -> name; or NULL */
} DeviceNames;

struct _CupPciIds {
  GStringChunk *strings; /* every name */
  GHashTable *vendors;   /* GUINT_TO_POINTER(vendor) -> name */
  GHashTable *devices;   /* GUINT_TO_POINTER(device) -> DeviceNames*, vendor 10de only */
  char *version;
};

/* The parser's state while it walks the lines of the mapped file. */
typedef struct {
  const char *p, *end;  /* what is left of the file */
  gboolean seen_vendor; /* a vendor line has been read */
  gboolean in_nvidia;   /* the current vendor block is 10de */
  DeviceNames *device;  /* the current 10de device, for its subsystem lines */
} Parser;

static void device_names_free(DeviceNames *dev)
{
  if (dev->subsystems)
    g_hash_table_unref(dev->subsystems);
  g_free(dev);
}

/* The next line (without "\n" or "\r\n"); FALSE at the end of the buffer. */
static gboolean next_line(Parser *ps, const char **line, gsize *len)
{
  if (ps->p >= ps->end)
    return FALSE;
  const char *nl = memchr(ps->p, '\n', (gsize)(ps->end - ps->p));
  const char *stop = nl ? nl : ps->end;
  *line = ps->p;
  *len = (gsize)(stop - ps->p);
  if (*len > 0 && stop[-1] == '\r')
    (*len)--;
  ps->p = nl ? nl + 1 : ps->end;
  return TRUE;
}

/* Four hex digits at @s (at least 4 bytes readable). */
static gboolean parse_hex4(const char *s, guint16 *out)
{
  guint value = 0;
  for (int i = 0; i < 4; i++) {
    int digit = g_ascii_xdigit_value(s[i]);
    if (digit < 0)
      return FALSE;
    value = value << 4 | (guint)digit;
  }
  *out = (guint16)value;
  return TRUE;
}

/* "  name" at @s (@len bytes) -> the name, copied into the chunk as valid UTF-8; NULL when the
 * separator or the name is missing. */
static const char *take_name(CupPciIds *ids, const char *s, gsize len)
{
  if (len < 3 || s[0] != ' ' || s[1] != ' ')
    return NULL;
  s += 2;
  len -= 2;
  while (len > 0 && g_ascii_isspace(s[len - 1]))
    len--;
  if (len == 0)
    return NULL;
  if (g_utf8_validate_len(s, len, NULL))
    return g_string_chunk_insert_len(ids->strings, s, (gssize)len);
  g_autofree char *fixed = g_utf8_make_valid(s, (gssize)len);
  return g_string_chunk_insert(ids->strings, fixed);
}

/* "vvvv  name": a vendor; starts or ends the 10de block. A damaged line ends it too, so that
 * another vendor's devices are never taken for NVIDIA's. */
static void parse_vendor(CupPciIds *ids, Parser *ps, const char *line, gsize len)
{
  guint16 vendor;
  const char *name;
  ps->in_nvidia = FALSE;
  ps->device = NULL;
  if (len < 4 || !parse_hex4(line, &vendor) || (name = take_name(ids, line + 4, len - 4)) == NULL)
    return;
  ps->seen_vendor = TRUE;
  ps->in_nvidia = vendor == NVIDIA_VENDOR;
  if (!g_hash_table_contains(ids->vendors, GUINT_TO_POINTER(vendor)))
    g_hash_table_insert(ids->vendors, GUINT_TO_POINTER(vendor), (gpointer)name);
}

/* "\tdddd  name": a device of 10de. */
static void parse_device(CupPciIds *ids, Parser *ps, const char *line, gsize len)
{
  guint16 device;
  const char *name;
  ps->device = NULL;
  if (len < 5 || !parse_hex4(line + 1, &device) ||
      (name = take_name(ids, line + 5, len - 5)) == NULL)
    return;
  if (g_hash_table_contains(ids->devices, GUINT_TO_POINTER(device)))
    return; /* first one wins */
  ps->device = g_new0(DeviceNames, 1);
  ps->device->name = name;
  g_hash_table_insert(ids->devices, GUINT_TO_POINTER(device), ps->device);
}

/* "\t\tssss dddd  name": a subsystem of the current 10de device. */
static void parse_subsystem(CupPciIds *ids, Parser *ps, const char *line, gsize len)
{
  guint16 subvendor, subdevice;
  const char *name;
  if (ps->device == NULL || len < 11 || !parse_hex4(line + 2, &subvendor) || line[6] != ' ' ||
      !parse_hex4(line + 7, &subdevice) || (name = take_name(ids, line + 11, len - 11)) == NULL)
    return;
  if (ps->device->subsystems == NULL)
    ps->device->subsystems = g_hash_table_new(g_direct_hash, g_direct_equal);
  gpointer key = GUINT_TO_POINTER((guint)subvendor << 16 | subdevice);
  if (!g_hash_table_contains(ps->device->subsystems, key))
    g_hash_table_insert(ps->device->subsystems, key, (gpointer)name);
}

/* "#\tVersion: 2023.04.10" in the header. */
static void parse_comment(CupPciIds *ids, const Parser *ps, const char *line, gsize len)
{
  static const char key[] = "Version:";
  if (ids->version != NULL || ps->seen_vendor || len < 2)
    return;
  const char *at = g_strstr_len(line, (gssize)len, key);
  if (at == NULL)
    return;
  g_autofree char *value = g_strndup(at + strlen(key), len - (gsize)(at + strlen(key) - line));
  g_strstrip(value);
  if (*value && g_utf8_validate(value, -1, NULL))
    ids->version = g_steal_pointer(&value);
}

static void parse_buffer(CupPciIds *ids, Parser *ps)
{
  const char *line;
  gsize len;
  while (next_line(ps, &line, &len)) {
    if (len == 0)
      continue;
    if (line[0] == '#')
      parse_comment(ids, ps, line, len);
    else if (len >= 2 && line[0] == 'C' && line[1] == ' ')
      return; /* the device classes list follows the vendors: nothing more for us */
    else if (line[0] != '\t')
      parse_vendor(ids, ps, line, len);
    else if (!ps->in_nvidia)
      continue; /* another vendor's device or subsystem */
    else if (len >= 2 && line[1] == '\t')
      parse_subsystem(ids, ps, line, len);
    else
      parse_device(ids, ps, line, len);
  }
}

static CupPciIds *pci_ids_new(void)
{
  CupPciIds *ids = g_new0(CupPciIds, 1);
  ids->strings = g_string_chunk_new(64 * 1024);
  ids->vendors = g_hash_table_new(g_direct_hash, g_direct_equal);
  ids->devices =
      g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)device_names_free);
  return ids;
}

CupPciIds *cup_pci_ids_load(const char *path, GError **error)
{
  g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, error);
  if (map == NULL)
    return NULL;
  g_autoptr(CupPciIds) ids = pci_ids_new();
  const char *data = g_mapped_file_get_contents(map);
  Parser ps = {data, data + g_mapped_file_get_length(map), FALSE, FALSE, NULL};
  if (data != NULL)
    parse_buffer(ids, &ps);
  if (!ps.seen_vendor) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                _("%s: not a pci.ids file (no vendor lines); install the pci.ids package or pass "
                  "--pci-ids FILE"),
                path);
    return NULL;
  }
  return g_steal_pointer(&ids);
}

void cup_pci_ids_free(CupPciIds *ids)
{
  if (ids == NULL)
    return;
  g_hash_table_unref(ids->devices);
  g_hash_table_unref(ids->vendors);
  g_string_chunk_free(ids->strings);
  g_free(ids->version);
  g_free(ids);
}

char *cup_pci_ids_find(const char *root, const char *override, GError **error)
{
  static const char *const system_paths[] = {
      "/usr/share/misc/pci.ids",   /* Debian, Ubuntu (package pci.ids) */
      "/usr/share/hwdata/pci.ids", /* Fedora, RHEL, Arch (package hwdata) */
      "/usr/share/pci.ids",        /* older distributions, pciutils built from source */
  };
  g_autoptr(GPtrArray) tried = g_ptr_array_new_with_free_func(g_free);
  /* A file the user named must be used or reported, never silently replaced. */
  if (override != NULL && *override != '\0') {
    if (g_file_test(override, G_FILE_TEST_IS_REGULAR))
      return g_strdup(override);
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("pci.ids file %s (from --pci-ids) not found; pass an existing file"), override);
    return NULL;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(system_paths); i++)
    g_ptr_array_add(tried, cup_root_join(root, system_paths[i]));
  for (guint i = 0; i < tried->len; i++) {
    const char *candidate = g_ptr_array_index(tried, i);
    if (g_file_test(candidate, G_FILE_TEST_IS_REGULAR))
      return g_strdup(candidate);
  }
  g_ptr_array_add(tried, NULL);
  g_autofree char *list = g_strjoinv(", ", (char **)tried->pdata);
  g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
              _("pci.ids not found (tried %s); install the pci.ids package or pass --pci-ids FILE"),
              list);
  return NULL;
}

const char *cup_pci_ids_version(const CupPciIds *ids)
{
  g_return_val_if_fail(ids != NULL, NULL);
  return ids->version;
}

const char *cup_pci_ids_vendor_name(const CupPciIds *ids, guint16 vendor)
{
  g_return_val_if_fail(ids != NULL, NULL);
  return g_hash_table_lookup(ids->vendors, GUINT_TO_POINTER(vendor));
}

static const DeviceNames *find_device(const CupPciIds *ids, guint16 vendor, guint16 device)
{
  if (vendor != NVIDIA_VENDOR)
    return NULL;
  return g_hash_table_lookup(ids->devices, GUINT_TO_POINTER(device));
}

const char *cup_pci_ids_device_name(const CupPciIds *ids, guint16 vendor, guint16 device)
{
  g_return_val_if_fail(ids != NULL, NULL);
  const DeviceNames *dev = find_device(ids, vendor, device);
  return dev ? dev->name : NULL;
}

const char *cup_pci_ids_subsystem_name(const CupPciIds *ids, guint16 vendor, guint16 device,
                                       guint16 subvendor, guint16 subdevice)
{
  g_return_val_if_fail(ids != NULL, NULL);
  const DeviceNames *dev = find_device(ids, vendor, device);
  if (dev == NULL || dev->subsystems == NULL)
    return NULL;
  return g_hash_table_lookup(dev->subsystems, GUINT_TO_POINTER((guint)subvendor << 16 | subdevice));
}

guint cup_pci_ids_n_devices(const CupPciIds *ids)
{
  g_return_val_if_fail(ids != NULL, 0);
  return g_hash_table_size(ids->devices);
}

char *cup_pci_ids_marketing_name(const char *text)
{
  if (text == NULL)
    return NULL;
  const char *open = strrchr(text, '[');
  g_autofree char *inner = NULL;
  if (open != NULL) {
    const char *close = strchr(open, ']');
    inner = close ? g_strndup(open + 1, (gsize)(close - open - 1)) : g_strdup(open + 1);
  } else {
    inner = g_strdup(text);
  }
  g_strstrip(inner);
  if (*inner == '\0')
    return NULL;
  if (g_ascii_strncasecmp(inner, "NVIDIA", 6) == 0)
    return g_steal_pointer(&inner);
  return g_strconcat("NVIDIA ", inner, NULL);
}
