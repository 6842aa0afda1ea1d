/* txn_record.c - install records (ROOT/.cudaup/installs/<name>.json): reading, writing,
 * listing, and whether a package is installed already. */
#include "core/i18n.h"
#include "core/txn_private.h"

#include "core/digest.h"
#include "core/error.h"
#include "core/system.h" /* g_autoptr(json_t) */

#include <errno.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#ifndef G_OS_WIN32
#include <unistd.h>
#endif

#define RECORD_FORMAT 1
#define RECORD_SUFFIX ".json"

CupTxnEntry *cup_txn_entry_new(CupTxnEntryType type, const char *path, guint32 mode,
                               const char *sha256, guint64 size, const char *link_target)
{
  CupTxnEntry *entry = g_new0(CupTxnEntry, 1);
  entry->type = type;
  entry->path = g_strdup(path);
  entry->mode = mode;
  entry->sha256 = g_strdup(sha256);
  entry->size = size;
  entry->link_target = g_strdup(link_target);
  return entry;
}

void cup_txn_entry_free(CupTxnEntry *entry)
{
  if (entry == NULL)
    return;
  g_free(entry->path);
  g_free(entry->sha256);
  g_free(entry->link_target);
  g_free(entry);
}

TxnRecord *txn_record_new(const char *name)
{
  TxnRecord *record = g_new0(TxnRecord, 1);
  record->name = g_strdup(name);
  record->archives = g_ptr_array_new_with_free_func(g_free);
  record->paths =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)cup_txn_entry_free);
  record->dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  record->replaced = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return record;
}

void txn_record_free(TxnRecord *record)
{
  if (record == NULL)
    return;
  g_free(record->name);
  g_free(record->component);
  g_free(record->version);
  g_free(record->installed_at);
  g_free(record->txn);
  g_ptr_array_unref(record->archives);
  g_hash_table_unref(record->paths);
  g_hash_table_unref(record->dirs);
  g_hash_table_unref(record->replaced);
  g_free(record);
}

gboolean txn_record_name_valid(const char *name)
{
  if (name == NULL || *name == '\0' || *name == '.')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++) {
    if (!g_ascii_isalnum(*p) && strchr("._+-", *p) == NULL)
      return FALSE;
  }
  return TRUE;
}

char *txn_record_path(const char *state, const char *name)
{
  g_autofree char *file = g_strconcat(name, RECORD_SUFFIX, NULL);
  return g_build_filename(state, TXN_INSTALLS, file, NULL);
}

/* ---- to JSON ---- */

static json_t *files_json(const TxnRecord *record, const GPtrArray *sorted, CupTxnEntryType type)
{
  json_t *array = json_array();
  for (guint i = 0; i < sorted->len; i++) {
    const CupTxnEntry *entry = g_hash_table_lookup(record->paths, g_ptr_array_index(sorted, i));
    if (entry->type != type)
      continue;
    if (type == CUP_TXN_ENTRY_FILE)
      json_array_append_new(array, json_pack("{s:s,s:s,s:I,s:i}", "path", entry->path, "sha256",
                                             entry->sha256, "size", (json_int_t)entry->size, "mode",
                                             (int)entry->mode));
    else
      json_array_append_new(
          array, json_pack("{s:s,s:s}", "path", entry->path, "target", entry->link_target));
  }
  return array;
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of @table (owned by it), sorted. */
static GPtrArray *sorted_keys(GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_sized_new(g_hash_table_size(table));
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init(&iter, table);
  while (g_hash_table_iter_next(&iter, &key, NULL))
    g_ptr_array_add(keys, key);
  g_ptr_array_sort(keys, compare_strings);
  return keys;
}

static json_t *strings_json(const GPtrArray *strings)
{
  json_t *array = json_array();
  for (guint i = 0; i < strings->len; i++)
    json_array_append_new(array, json_string(g_ptr_array_index(strings, i)));
  return array;
}

static json_t *replaced_json(const TxnRecord *record)
{
  g_autoptr(GPtrArray) paths = sorted_keys(record->replaced);
  json_t *array = json_array();
  for (guint i = 0; i < paths->len; i++) {
    const char *path = g_ptr_array_index(paths, i);
    json_array_append_new(array,
                          json_pack("{s:s,s:s}", "path", path, "saved",
                                    (const char *)g_hash_table_lookup(record->replaced, path)));
  }
  return array;
}

char *txn_record_to_text(const TxnRecord *record)
{
  g_autoptr(GPtrArray) paths = sorted_keys(record->paths);
  /* Sorted, a parent directory comes before everything inside it. */
  g_autoptr(GPtrArray) dirs = sorted_keys(record->dirs);
  g_autoptr(json_t) object = json_pack(
      "{s:i,s:s,s:s?,s:s?,s:s?,s:s?,s:o,s:o,s:o,s:o,s:o}", "format", RECORD_FORMAT, "name",
      record->name, "component", record->component, "version", record->version, "installed_at",
      record->installed_at, "txn", record->txn, "archives", strings_json(record->archives), "files",
      files_json(record, paths, CUP_TXN_ENTRY_FILE), "symlinks",
      files_json(record, paths, CUP_TXN_ENTRY_SYMLINK), "dirs", strings_json(dirs), "replaced",
      replaced_json(record));
  g_autofree char *text = json_dumps(object, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
  return g_strconcat(text, "\n", NULL);
}

/* ---- from JSON ---- */

static gboolean parse_file(TxnRecord *record, json_t *item, CupTxnEntryType type)
{
  const char *path = json_string_value(json_object_get(item, "path"));
  if (!txn_path_is_clean(path))
    return FALSE;
  CupTxnEntry *entry;
  if (type == CUP_TXN_ENTRY_FILE) {
    const char *sha256 = json_string_value(json_object_get(item, "sha256"));
    json_int_t size = json_integer_value(json_object_get(item, "size"));
    json_int_t mode = json_integer_value(json_object_get(item, "mode"));
    if (sha256 == NULL || !cup_sha256_is_hex(sha256) || size < 0)
      return FALSE;
    entry = cup_txn_entry_new(type, path, (guint32)mode & 0777, sha256, (guint64)size, NULL);
  } else {
    const char *target = json_string_value(json_object_get(item, "target"));
    if (target == NULL)
      return FALSE;
    entry = cup_txn_entry_new(type, path, 0777, NULL, 0, target);
  }
  g_hash_table_replace(record->paths, g_strdup(path), entry);
  return TRUE;
}

static gboolean parse_lists(TxnRecord *record, json_t *object)
{
  json_t *item;
  gsize i;
  json_array_foreach(json_object_get(object, "files"), i,
                     item) if (!parse_file(record, item, CUP_TXN_ENTRY_FILE)) return FALSE;
  json_array_foreach(json_object_get(object, "symlinks"), i,
                     item) if (!parse_file(record, item, CUP_TXN_ENTRY_SYMLINK)) return FALSE;
  json_array_foreach(json_object_get(object, "dirs"), i, item)
  {
    if (!txn_path_is_clean(json_string_value(item)))
      return FALSE;
    g_hash_table_add(record->dirs, g_strdup(json_string_value(item)));
  }
  json_array_foreach(json_object_get(object, "replaced"), i, item)
  {
    const char *path = json_string_value(json_object_get(item, "path"));
    const char *saved = json_string_value(json_object_get(item, "saved"));
    if (!txn_path_is_clean(path) || !txn_path_is_clean(saved))
      return FALSE;
    g_hash_table_replace(record->replaced, g_strdup(path), g_strdup(saved));
  }
  json_array_foreach(json_object_get(object, "archives"), i, item)
  {
    if (json_string_value(item) == NULL)
      return FALSE;
    g_ptr_array_add(record->archives, g_strdup(json_string_value(item)));
  }
  return TRUE;
}

static TxnRecord *parse_record(json_t *object, const char *name)
{
  if (json_integer_value(json_object_get(object, "format")) != RECORD_FORMAT ||
      g_strcmp0(json_string_value(json_object_get(object, "name")), name) != 0)
    return NULL;
  g_autoptr(TxnRecord) record = txn_record_new(name);
  record->component = g_strdup(json_string_value(json_object_get(object, "component")));
  record->version = g_strdup(json_string_value(json_object_get(object, "version")));
  record->installed_at = g_strdup(json_string_value(json_object_get(object, "installed_at")));
  record->txn = g_strdup(json_string_value(json_object_get(object, "txn")));
  if (!parse_lists(record, object))
    return NULL;
  return g_steal_pointer(&record);
}

TxnRecord *txn_record_load(const char *state, const char *name, GError **error)
{
  g_autofree char *path = txn_record_path(state, name);
  g_autofree char *root = g_path_get_dirname(state);
  if (!txn_record_name_valid(name) || !g_file_test(path, G_FILE_TEST_EXISTS)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("%s is not installed in %s: cudaup has no install record %s"), name, root, path);
    return NULL;
  }
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, NULL, &local)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot read %s: %s"), path, local->message);
    return NULL;
  }
  json_error_t parse_error;
  g_autoptr(json_t) object = json_loads(text, 0, &parse_error);
  TxnRecord *record = object != NULL ? parse_record(object, name) : NULL;
  if (record == NULL)
    g_set_error(
        error, CUP_ERROR, CUP_ERROR_PARSE,
        _("the install record %s is damaged%s%s; cudaup cannot tell which files are its own"), path,
        object == NULL ? ": " : "", object == NULL ? parse_error.text : "");
  return record;
}

/* ---- summaries ---- */

void cup_txn_install_free(CupTxnInstall *install)
{
  if (install == NULL)
    return;
  g_free(install->name);
  g_free(install->component);
  g_free(install->version);
  g_free(install->installed_at);
  g_strfreev(install->archives);
  g_free(install);
}

static CupTxnInstall *summarise(const TxnRecord *record)
{
  CupTxnInstall *install = g_new0(CupTxnInstall, 1);
  install->name = g_strdup(record->name);
  install->component = g_strdup(record->component);
  install->version = g_strdup(record->version);
  install->installed_at = g_strdup(record->installed_at);
  install->archives = g_new0(char *, record->archives->len + 1);
  for (guint i = 0; i < record->archives->len; i++)
    install->archives[i] = g_strdup(g_ptr_array_index(record->archives, i));
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, record->paths);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    const CupTxnEntry *entry = value;
    install->n_files += entry->type == CUP_TXN_ENTRY_FILE;
    install->n_symlinks += entry->type == CUP_TXN_ENTRY_SYMLINK;
    install->bytes += entry->size;
  }
  install->n_dirs = g_hash_table_size(record->dirs);
  install->n_replaced = g_hash_table_size(record->replaced);
  return install;
}

CupTxnInstall *cup_txn_read_install(const char *root, const char *name, GError **error)
{
  g_autofree char *state = g_build_filename(root, CUP_TXN_STATE_DIR, NULL);
  g_autoptr(TxnRecord) record = txn_record_load(state, name, error);
  return record != NULL ? summarise(record) : NULL;
}

static gint compare_installs(gconstpointer a, gconstpointer b)
{
  const CupTxnInstall *x = *(CupTxnInstall *const *)a;
  const CupTxnInstall *y = *(CupTxnInstall *const *)b;
  return strcmp(x->name, y->name);
}

GPtrArray *cup_txn_list_installs(const char *root, GError **error)
{
  g_autofree char *state = g_build_filename(root, CUP_TXN_STATE_DIR, NULL);
  g_autofree char *dir_path = g_build_filename(state, TXN_INSTALLS, NULL);
  g_autoptr(GPtrArray) installs =
      g_ptr_array_new_with_free_func((GDestroyNotify)cup_txn_install_free);
  g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
  const char *file;
  while (dir != NULL && (file = g_dir_read_name(dir)) != NULL) {
    if (!g_str_has_suffix(file, RECORD_SUFFIX))
      continue;
    g_autofree char *name = g_strndup(file, strlen(file) - strlen(RECORD_SUFFIX));
    CupTxnInstall *install = cup_txn_read_install(root, name, error);
    if (install == NULL)
      return NULL;
    g_ptr_array_add(installs, install);
  }
  g_ptr_array_sort(installs, compare_installs);
  return g_steal_pointer(&installs);
}

/* ---- installed already? ---- */

static gboolean entry_present(const char *root, const CupTxnEntry *entry)
{
  g_autofree char *path = g_build_filename(root, entry->path, NULL);
  GStatBuf st;
  if (!txn_lstat(path, &st))
    return FALSE;
  if (entry->type == CUP_TXN_ENTRY_FILE)
    return S_ISREG(st.st_mode) && (guint64)st.st_size == entry->size;
  g_autofree char *target = g_file_read_link(path, NULL);
  return g_strcmp0(target, entry->link_target) == 0;
}

static gboolean has_archives(const TxnRecord *record, const char *const *archives)
{
  for (guint i = 0; archives != NULL && archives[i] != NULL; i++) {
    if (!g_ptr_array_find_with_equal_func(record->archives, archives[i], g_str_equal, NULL))
      return FALSE;
  }
  return TRUE;
}

gboolean cup_txn_is_installed(const char *root, const CupTxnPackage *package, GError **error)
{
  g_autofree char *state = g_build_filename(root, CUP_TXN_STATE_DIR, NULL);
  g_autofree char *journal = g_build_filename(state, TXN_JOURNAL, NULL);
  if (g_file_test(journal, G_FILE_TEST_EXISTS))
    return FALSE;
  g_autoptr(GError) local = NULL;
  g_autoptr(TxnRecord) record = txn_record_load(state, package->name, &local);
  if (record == NULL) {
    if (!g_error_matches(local, CUP_ERROR, CUP_ERROR_NOT_FOUND))
      g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  if (g_strcmp0(record->version, package->version) != 0 || !has_archives(record, package->archives))
    return FALSE;
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, record->paths);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    if (!entry_present(root, value))
      return FALSE;
  }
  return TRUE;
}
