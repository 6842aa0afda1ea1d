/* gpudb.c - load and query manifests/gpus.json (schema: manifests/README.md). */
#include "core/i18n.h"
#include "core/gpudb.h"

#include "core/error.h"
#include "core/system.h" /* g_autoptr(json_t) */

#include <jansson.h>
#include <stdarg.h>
#include <string.h>

struct _CupGpuTable {
  GPtrArray *architectures; /* CupGpuArchitecture*, owned */
  GPtrArray *entries;       /* CupGpuEntry*, owned */
  GHashTable *by_id;        /* GUINT_TO_POINTER(vendor << 16 | device) -> CupGpuEntry* */
  GHashTable *by_chip;      /* chip (owned by its architecture) -> CupGpuArchitecture* */
};

/* The validation state: which file, and where the first error goes. */
typedef struct {
  const char *file;
  GError **error;
} Loader;

static void architecture_free(CupGpuArchitecture *arch)
{
  g_free(arch->compute_capability);
  g_free(arch->architecture);
  g_free(arch->sm);
  g_strfreev(arch->chips);
  g_free(arch);
}

static void entry_free(CupGpuEntry *entry)
{
  g_free(entry->pci_id);
  g_free(entry->chip);
  g_free(entry->name);
  g_free(entry->legacy_branch);
  g_free(entry);
}

static guint id_key(guint16 vendor, guint16 device)
{
  return ((guint)vendor << 16) | device;
}

/* Set "FILE: invalid at JPATH: WHY" and return FALSE. */
static gboolean invalid(const Loader *ld, const char *jpath, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static gboolean invalid(const Loader *ld, const char *jpath, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  cup_error_invalid_at(ld->error, ld->file, jpath, format, args);
  va_end(args);
  return FALSE;
}

/* invalid() at "@path.@key"; the path is only built when there is an error to report. */
static gboolean invalid_key(const Loader *ld, const char *path, const char *key, const char *format,
                            ...) G_GNUC_PRINTF(4, 5);

static gboolean invalid_key(const Loader *ld, const char *path, const char *key, const char *format,
                            ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *why = g_strdup_vprintf(format, args);
  va_end(args);
  g_autofree char *jpath = g_strdup_printf("%s.%s", path, key);
  return invalid(ld, jpath, "%s", why);
}

/* @obj[@key] as a non-empty string; a missing optional key gives NULL. */
static gboolean get_string(const Loader *ld, json_t *obj, const char *path, const char *key,
                           gboolean required, const char **out)
{
  json_t *v = json_object_get(obj, key);
  *out = NULL;
  if (v == NULL)
    return required ? invalid_key(ld, path, key, "missing key") : TRUE;
  if (!json_is_string(v))
    return invalid_key(ld, path, key, "expected a string");
  if (json_string_length(v) == 0) /* NUL inside a string is rejected by the JSON parser */
    return invalid_key(ld, path, key, "expected a non-empty string");
  *out = json_string_value(v);
  return TRUE;
}

/* @obj[@key] as an array (required). */
static gboolean get_array(const Loader *ld, json_t *obj, const char *path, const char *key,
                          json_t **out)
{
  json_t *v = json_object_get(obj, key);
  *out = v;
  if (v == NULL)
    return invalid_key(ld, path, key, "missing key");
  if (!json_is_array(v))
    return invalid_key(ld, path, key, "expected an array");
  return TRUE;
}

static gboolean is_digits(const char *s, gsize min, gsize max)
{
  gsize n = strspn(s, "0123456789");
  return n >= min && n <= max && s[n] == '\0';
}

/* "X.Y" with 1-2 digits each side, as CUDA prints compute capabilities ("8.6", "12.1"). */
static gboolean is_compute_capability(const char *s)
{
  const char *dot = strchr(s, '.');
  if (dot == NULL || dot - s < 1 || dot - s > 2 || strspn(s, "0123456789") != (gsize)(dot - s))
    return FALSE;
  return is_digits(dot + 1, 1, 2);
}

/* "vvvv:dddd", 4 lower-case hex digits each; fills @vendor and @device. */
static gboolean parse_pci_id(const char *s, guint16 *vendor, guint16 *device)
{
  static const char hex[] = "0123456789abcdef";
  if (strlen(s) != 9 || s[4] != ':' || strspn(s, hex) != 4 || strspn(s + 5, hex) != 4)
    return FALSE;
  *vendor = (guint16)g_ascii_strtoull(s, NULL, 16);
  *device = (guint16)g_ascii_strtoull(s + 5, NULL, 16);
  return TRUE;
}

/* $.architectures[i].chips: non-empty strings, each chip in one row of the whole table. */
static gboolean load_chips(const Loader *ld, CupGpuTable *table, json_t *array, const char *path,
                           CupGpuArchitecture *arch)
{
  size_t i;
  json_t *v;
  if (json_array_size(array) == 0)
    return invalid(ld, path, "expected at least one chip");
  arch->chips = g_new0(char *, json_array_size(array) + 1);
  json_array_foreach(array, i, v)
  {
    g_autofree char *jpath = g_strdup_printf("%s[%zu]", path, i);
    if (!json_is_string(v) || json_string_length(v) == 0)
      return invalid(ld, jpath, "expected a non-empty string");
    if (g_hash_table_contains(table->by_chip, json_string_value(v)))
      return invalid(ld, jpath, "chip \"%s\" is listed twice", json_string_value(v));
    arch->chips[i] = g_strdup(json_string_value(v));
    g_hash_table_insert(table->by_chip, arch->chips[i], arch);
  }
  return TRUE;
}

static gboolean load_architecture(const Loader *ld, CupGpuTable *table, json_t *obj,
                                  const char *path)
{
  const char *cc, *name, *sm;
  json_t *chips;
  if (!json_is_object(obj))
    return invalid(ld, path, "expected an object");
  if (!get_string(ld, obj, path, "compute_capability", TRUE, &cc) ||
      !get_string(ld, obj, path, "architecture", TRUE, &name) ||
      !get_string(ld, obj, path, "sm", FALSE, &sm) || !get_array(ld, obj, path, "chips", &chips))
    return FALSE;
  if (!is_compute_capability(cc)) {
    g_autofree char *jpath = g_strdup_printf("%s.compute_capability", path);
    return invalid(ld, jpath, "expected \"X.Y\", got \"%s\"", cc);
  }
  CupGpuArchitecture *arch = g_new0(CupGpuArchitecture, 1);
  arch->compute_capability = g_strdup(cc);
  arch->architecture = g_strdup(name);
  arch->sm = g_strdup(sm);
  g_ptr_array_add(table->architectures, arch);
  g_autofree char *chips_path = g_strdup_printf("%s.chips", path);
  return load_chips(ld, table, chips, chips_path, arch);
}

/* "470": the digits of a driver branch. */
static gboolean is_branch(const char *s)
{
  return is_digits(s, 1, 4);
}

static gboolean load_device(const Loader *ld, CupGpuTable *table, json_t *obj, const char *path)
{
  const char *pci_id, *chip, *name, *legacy;
  guint16 vendor, device;
  if (!json_is_object(obj))
    return invalid(ld, path, "expected an object");
  if (!get_string(ld, obj, path, "pci_id", TRUE, &pci_id) ||
      !get_string(ld, obj, path, "chip", TRUE, &chip) ||
      !get_string(ld, obj, path, "name", TRUE, &name) ||
      !get_string(ld, obj, path, "legacy_branch", FALSE, &legacy))
    return FALSE;
  if (legacy != NULL && !is_branch(legacy))
    return invalid_key(ld, path, "legacy_branch",
                       "expected a driver branch such as \"470\", got \"%s\"", legacy);
  if (!parse_pci_id(pci_id, &vendor, &device))
    return invalid_key(ld, path, "pci_id", "expected \"vvvv:dddd\" in lower-case hex, got \"%s\"",
                       pci_id);
  if (g_hash_table_contains(table->by_id, GUINT_TO_POINTER(id_key(vendor, device))))
    return invalid_key(ld, path, "pci_id", "\"%s\" is listed twice", pci_id);
  const CupGpuArchitecture *arch = g_hash_table_lookup(table->by_chip, chip);
  if (arch == NULL)
    return invalid_key(ld, path, "chip", "chip \"%s\" is not in $.architectures", chip);
  CupGpuEntry *entry = g_new0(CupGpuEntry, 1);
  entry->vendor = vendor;
  entry->device = device;
  entry->pci_id = g_strdup(pci_id);
  entry->chip = g_strdup(chip);
  entry->name = g_strdup(name);
  entry->legacy_branch = g_strdup(legacy);
  entry->arch = arch;
  g_ptr_array_add(table->entries, entry);
  g_hash_table_insert(table->by_id, GUINT_TO_POINTER(id_key(vendor, device)), entry);
  return TRUE;
}

typedef gboolean (*LoadItem)(const Loader *ld, CupGpuTable *table, json_t *obj, const char *path);

/* Run @load_item on every element of $.@key. */
static gboolean load_each(const Loader *ld, CupGpuTable *table, json_t *root, const char *key,
                          LoadItem load_item)
{
  json_t *array, *v;
  size_t i;
  if (!get_array(ld, root, "$", key, &array))
    return FALSE;
  json_array_foreach(array, i, v)
  {
    g_autofree char *jpath = g_strdup_printf("$.%s[%zu]", key, i);
    if (!load_item(ld, table, v, jpath))
      return FALSE;
  }
  return TRUE;
}

static gboolean load_root(const Loader *ld, CupGpuTable *table, json_t *root)
{
  const char *schema;
  if (!json_is_object(root))
    return invalid(ld, "$", "expected an object");
  if (!get_string(ld, root, "$", "schema", TRUE, &schema))
    return FALSE;
  if (strcmp(schema, CUP_GPU_TABLE_SCHEMA) != 0)
    return invalid(ld, "$.schema", "expected \"%s\", got \"%s\"", CUP_GPU_TABLE_SCHEMA, schema);
  return load_each(ld, table, root, "architectures", load_architecture) &&
         load_each(ld, table, root, "devices", load_device);
}

static CupGpuTable *table_new(void)
{
  CupGpuTable *table = g_new0(CupGpuTable, 1);
  table->architectures = g_ptr_array_new_with_free_func((GDestroyNotify)architecture_free);
  table->entries = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
  table->by_id = g_hash_table_new(g_direct_hash, g_direct_equal);
  table->by_chip = g_hash_table_new(g_str_hash, g_str_equal);
  return table;
}

CupGpuTable *cup_gpu_table_load(const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) read_error = NULL;
  json_error_t jerr;
  if (!g_file_get_contents(path, &contents, &length, &read_error)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG, _("%s: cannot read: %s"), path,
                read_error->message);
    return NULL;
  }
  g_autoptr(json_t) root = json_loadb(contents, length, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG,
                _("%s: not valid JSON: %s (line %d, column %d)"), path, jerr.text, jerr.line,
                jerr.column);
    return NULL;
  }
  g_autoptr(CupGpuTable) table = table_new();
  Loader ld = {path, error};
  if (!load_root(&ld, table, root))
    return NULL;
  return g_steal_pointer(&table);
}

void cup_gpu_table_free(CupGpuTable *table)
{
  if (table == NULL)
    return;
  g_hash_table_unref(table->by_id);
  g_hash_table_unref(table->by_chip);
  g_ptr_array_unref(table->entries);
  g_ptr_array_unref(table->architectures);
  g_free(table);
}

const CupGpuEntry *cup_gpu_table_lookup(const CupGpuTable *table, guint16 vendor, guint16 device)
{
  g_return_val_if_fail(table != NULL, NULL);
  return g_hash_table_lookup(table->by_id, GUINT_TO_POINTER(id_key(vendor, device)));
}

const CupGpuArchitecture *cup_gpu_table_lookup_chip(const CupGpuTable *table, const char *chip)
{
  g_return_val_if_fail(table != NULL, NULL);
  if (chip == NULL)
    return NULL;
  return g_hash_table_lookup(table->by_chip, chip);
}

const GPtrArray *cup_gpu_table_entries(const CupGpuTable *table)
{
  g_return_val_if_fail(table != NULL, NULL);
  return table->entries;
}

const GPtrArray *cup_gpu_table_architectures(const CupGpuTable *table)
{
  g_return_val_if_fail(table != NULL, NULL);
  return table->architectures;
}
