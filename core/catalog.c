/* catalog.c - load and schema-check the data files of manifests/ into a CupCatalog.
 *
 * Schemas: manifests/README.md. Every check names the file ("manifests/cuda.json", whatever
 * directory it was read from) and the JSON path of the first offending value. Unknown keys are
 * ignored, so keys may be added within a schema version. Look-ups live in catalog_query.c.
 */
#include "core/i18n.h"
#include "core/catalog.h"

#include "core/redist.h"

#include "core/datadir.h"
#include "core/error.h"
#include "core/system.h" /* g_autoptr(json_t) */
#include "core/version.h"

#include <jansson.h>
#include <stdarg.h>
#include <string.h>

/* The validation state: the file as messages name it, and where the first error goes. */
typedef struct {
  const char *file;
  GError **error;
} Loader;

typedef enum { REQUIRED, NULLABLE } Need;

/* What a string value must look like: a test and the message when it fails. */
typedef struct {
  gboolean (*ok)(const char *s);
  const char *why;
} Kind;

typedef gpointer (*RowLoader)(const Loader *ld, json_t *obj, const char *path);

/* ---------------------------------------------------------------- freeing rows */

static void cuda_release_free(CupCudaRelease *r)
{
  g_free(r->version);
  g_free(r->label);
  g_free(r->driver_linux);
  g_free(r->driver_windows);
  g_free(r->source);
  g_free(r);
}

static void cuda_floor_free(CupCudaMajorFloor *r)
{
  g_free(r->driver_linux);
  g_free(r->driver_windows);
  g_free(r->source);
  g_free(r);
}

static void cuda_cc_free(CupCudaCcRange *r)
{
  g_free(r->cuda_from);
  g_free(r->cuda_to);
  g_free(r->min_cc);
  g_free(r->max_cc);
  g_free(r->change);
  g_free(r->source);
  g_free(r);
}

static void cudnn_release_free(CupCudnnRelease *r)
{
  g_free(r->version);
  g_strfreev(r->cuda);
  g_strfreev(r->cuda_variants);
  g_free(r->min_cc);
  g_free(r->source);
  g_free(r);
}

static void torch_variant_free(CupTorchVariant *v)
{
  g_free(v->tag);
  g_free(v->cuda);
  g_free(v->cudnn);
  g_free(v->index_url);
  g_strfreev(v->archs);
  g_free(v);
}

static void torch_release_free(CupTorchRelease *r)
{
  g_free(r->version);
  g_strfreev(r->patches);
  g_free(r->python_min);
  g_free(r->python_max);
  g_free(r->python_experimental);
  if (r->variants)
    g_ptr_array_unref(r->variants);
  g_free(r->source);
  g_free(r);
}

static void tf_release_free(CupTfRelease *r)
{
  g_free(r->version);
  g_free(r->package);
  g_free(r->os);
  g_free(r->python_min);
  g_free(r->python_max);
  g_free(r->cuda);
  g_free(r->cudnn);
  g_free(r->source);
  g_free(r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupCudaRelease, cuda_release_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupCudaMajorFloor, cuda_floor_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupCudaCcRange, cuda_cc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupCudnnRelease, cudnn_release_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupTorchVariant, torch_variant_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupTorchRelease, torch_release_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupTfRelease, tf_release_free)

/* ---------------------------------------------------------------- value kinds */

static gboolean is_version(const char *s)
{
  CupVersion v;
  return cup_version_parse(s, &v, NULL) && strchr(s, ' ') == NULL;
}

static gboolean is_digits(const char *s, gsize min, gsize max)
{
  gsize n = strspn(s, "0123456789");
  return n >= min && n <= max && s[n] == '\0';
}

/* "X.Y", 1-2 digits each side ("8.6", "12.1"). */
static gboolean is_cc(const char *s)
{
  const char *dot = strchr(s, '.');
  if (dot == NULL || dot - s < 1 || dot - s > 2 || strspn(s, "0123456789") != (gsize)(dot - s))
    return FALSE;
  return is_digits(dot + 1, 1, 2);
}

static gboolean is_nonempty(const char *s)
{
  return s[0] != '\0';
}

static gboolean is_variant(const char *s) /* "cuda12" */
{
  return g_str_has_prefix(s, "cuda") && is_digits(s + 4, 1, 3);
}

static gboolean is_tag(const char *s) /* "cu121" */
{
  return g_str_has_prefix(s, "cu") && is_digits(s + 2, 2, 4);
}

static gboolean is_https_url(const char *s)
{
  return g_str_has_prefix(s, "https://") && s[8] != '\0' && strpbrk(s, " \t\n") == NULL;
}

static gboolean is_os(const char *s)
{
  return strcmp(s, "linux") == 0 || strcmp(s, "windows") == 0;
}

/* "3.13" or a free-threaded "3.13t". */
static gboolean is_python(const char *s)
{
  gsize n = strlen(s);
  if (n > 0 && s[n - 1] == 't') {
    g_autofree char *bare = g_strndup(s, n - 1);
    return is_cc(bare);
  }
  return is_cc(s);
}

static const Kind K_STRING = {is_nonempty, "expected a non-empty string"};
static const Kind K_VERSION = {is_version, "expected a version string"};
static const Kind K_CC = {is_cc, "expected a compute capability \"X.Y\""};
static const Kind K_VARIANT = {is_variant, "expected a CUDA variant such as \"cuda12\""};
static const Kind K_TAG = {is_tag, "expected a wheel tag such as \"cu121\""};
static const Kind K_URL = {is_https_url, "expected an https:// URL"};
static const Kind K_OS = {is_os, "expected \"linux\" or \"windows\""};
static const Kind K_PYTHON = {is_python, "expected a Python version \"X.Y\" or \"X.Yt\""};

/* ---------------------------------------------------------------- checked accessors */

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

/* A string element @v at @jpath of @kind; K_STRING reports a wrong type as "expected a
 * string", the other kinds by their own message. */
static gboolean check_string(const Loader *ld, json_t *v, const char *jpath, const Kind *kind)
{
  if (!json_is_string(v))
    return invalid(ld, jpath, "%s", kind == &K_STRING ? "expected a string" : kind->why);
  if (!kind->ok(json_string_value(v)))
    return invalid(ld, jpath, "%s", kind->why);
  return TRUE;
}

/* @obj[@key] of @kind into *@out (newly allocated; NULL for a NULLABLE key absent or null). */
static gboolean get_string(const Loader *ld, json_t *obj, const char *path, const char *key,
                           const Kind *kind, Need need, char **out)
{
  json_t *v = json_object_get(obj, key);
  g_autofree char *jpath = g_strconcat(path, ".", key, NULL);
  *out = NULL;
  if (v == NULL && need == REQUIRED)
    return invalid(ld, jpath, "missing key");
  if (v == NULL || (json_is_null(v) && need == NULLABLE))
    return TRUE;
  if (!check_string(ld, v, jpath, kind))
    return FALSE;
  *out = g_strdup(json_string_value(v));
  return TRUE;
}

/* @obj[@key] as an array of strings of @kind, at least one; NULL when NULLABLE and absent. */
static gboolean get_strv(const Loader *ld, json_t *obj, const char *path, const char *key,
                         const Kind *kind, Need need, GStrv *out)
{
  json_t *v = json_object_get(obj, key), *item;
  g_autofree char *jpath = g_strconcat(path, ".", key, NULL);
  size_t i;
  *out = NULL;
  if (v == NULL && need == REQUIRED)
    return invalid(ld, jpath, "missing key");
  if (v == NULL || (json_is_null(v) && need == NULLABLE))
    return TRUE;
  if (!json_is_array(v))
    return invalid(ld, jpath, "expected an array");
  if (json_array_size(v) == 0)
    return invalid(ld, jpath, "expected at least one element");
  g_auto(GStrv) strv = g_new0(char *, json_array_size(v) + 1);
  json_array_foreach(v, i, item)
  {
    g_autofree char *ipath = g_strdup_printf("%s[%zu]", jpath, i);
    if (!check_string(ld, item, ipath, kind))
      return FALSE;
    if (g_strv_contains((const char *const *)strv, json_string_value(item)))
      return invalid(ld, ipath, "\"%s\" is listed twice", json_string_value(item));
    strv[i] = g_strdup(json_string_value(item));
  }
  *out = g_steal_pointer(&strv);
  return TRUE;
}

static gboolean get_bool(const Loader *ld, json_t *obj, const char *path, const char *key,
                         gboolean *out)
{
  json_t *v = json_object_get(obj, key);
  g_autofree char *jpath = g_strconcat(path, ".", key, NULL);
  if (v == NULL)
    return invalid(ld, jpath, "missing key");
  if (!json_is_boolean(v))
    return invalid(ld, jpath, "expected true or false");
  *out = json_is_true(v);
  return TRUE;
}

static gboolean get_uint(const Loader *ld, json_t *obj, const char *path, const char *key,
                         guint *out)
{
  json_t *v = json_object_get(obj, key);
  g_autofree char *jpath = g_strconcat(path, ".", key, NULL);
  if (v == NULL)
    return invalid(ld, jpath, "missing key");
  if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > 1000)
    return invalid(ld, jpath, "expected a positive integer");
  *out = (guint)json_integer_value(v);
  return TRUE;
}

static gboolean check_object(const Loader *ld, json_t *obj, const char *path)
{
  return json_is_object(obj) ? TRUE : invalid(ld, path, "expected an object");
}

/* Fails unless version @a <= @b; both were checked by K_VERSION/K_CC already. */
static gboolean check_order(const Loader *ld, const char *path, const char *key_a, const char *a,
                            const char *key_b, const char *b)
{
  int order = 0;
  if (!cup_version_compare_strings(a, b, &order, NULL) || order > 0) {
    g_autofree char *jpath = g_strdup_printf("%s.%s", path, key_b);
    return invalid(ld, jpath, "\"%s\" is below %s \"%s\"", b, key_a, a);
  }
  return TRUE;
}

/* ---------------------------------------------------------------- duplicates and order */

/* The identity of a row, for the duplicate check; newly allocated. */
typedef char *(*RowKey)(gconstpointer row);

static char *key_cuda_release(gconstpointer row)
{
  return g_strdup(((const CupCudaRelease *)row)->version);
}

static char *key_cuda_floor(gconstpointer row)
{
  return g_strdup_printf("%u", ((const CupCudaMajorFloor *)row)->cuda_major);
}

static char *key_cuda_cc(gconstpointer row)
{
  return g_strdup(((const CupCudaCcRange *)row)->cuda_from);
}

static char *key_cudnn(gconstpointer row)
{
  return g_strdup(((const CupCudnnRelease *)row)->version);
}

static char *key_torch(gconstpointer row)
{
  return g_strdup(((const CupTorchRelease *)row)->version);
}

static char *key_torch_variant(gconstpointer row)
{
  return g_strdup(((const CupTorchVariant *)row)->tag);
}

static char *key_tf(gconstpointer row)
{
  const CupTfRelease *r = row;
  return g_strdup_printf("%s %s on %s", r->package, r->version, r->os);
}

/* Fails at "@path[i].@field" for the second row of @rows with the key of an earlier one. */
static gboolean check_unique(const Loader *ld, const GPtrArray *rows, const char *path,
                             const char *field, RowKey key_of)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < rows->len; i++) {
    char *key = key_of(g_ptr_array_index(rows, i));
    if (!g_hash_table_add(seen, key)) {
      g_autofree char *jpath = g_strdup_printf("%s[%u].%s", path, i, field);
      return invalid(ld, jpath, "\"%s\" is listed twice", key);
    }
  }
  return TRUE;
}

/* Newest first; both strings were checked to be versions. */
static int newer_first(const char *a, const char *b)
{
  int order = 0;
  cup_version_compare_strings(a, b, &order, NULL);
  return -order;
}

static int cmp_cuda_release(gconstpointer a, gconstpointer b)
{
  return newer_first((*(CupCudaRelease *const *)a)->version,
                     (*(CupCudaRelease *const *)b)->version);
}

static int cmp_cuda_floor(gconstpointer a, gconstpointer b)
{
  guint x = (*(CupCudaMajorFloor *const *)a)->cuda_major;
  guint y = (*(CupCudaMajorFloor *const *)b)->cuda_major;
  return (x < y) - (x > y);
}

static int cmp_cuda_cc(gconstpointer a, gconstpointer b)
{
  return newer_first((*(CupCudaCcRange *const *)a)->cuda_from,
                     (*(CupCudaCcRange *const *)b)->cuda_from);
}

static int cmp_cudnn(gconstpointer a, gconstpointer b)
{
  return newer_first((*(CupCudnnRelease *const *)a)->version,
                     (*(CupCudnnRelease *const *)b)->version);
}

static int cmp_torch_variant(gconstpointer a, gconstpointer b)
{
  const CupTorchVariant *x = *(CupTorchVariant *const *)a, *y = *(CupTorchVariant *const *)b;
  int order = newer_first(x->cuda, y->cuda);
  return order ? order : strcmp(x->tag, y->tag);
}

static int cmp_torch(gconstpointer a, gconstpointer b)
{
  return newer_first((*(CupTorchRelease *const *)a)->version,
                     (*(CupTorchRelease *const *)b)->version);
}

static int cmp_tf(gconstpointer a, gconstpointer b)
{
  const CupTfRelease *x = *(CupTfRelease *const *)a, *y = *(CupTfRelease *const *)b;
  int order = newer_first(x->version, y->version);
  if (order == 0)
    order = strcmp(x->os, y->os);
  return order ? order : strcmp(x->package, y->package);
}

/* ---------------------------------------------------------------- row loaders */

static gpointer load_cuda_release(const Loader *ld, json_t *obj, const char *path)
{
  g_autoptr(CupCudaRelease) r = g_new0(CupCudaRelease, 1);
  if (!check_object(ld, obj, path) ||
      !get_string(ld, obj, path, "version", &K_VERSION, REQUIRED, &r->version) ||
      !get_string(ld, obj, path, "label", &K_STRING, REQUIRED, &r->label) ||
      !get_string(ld, obj, path, "driver_linux", &K_VERSION, NULLABLE, &r->driver_linux) ||
      !get_string(ld, obj, path, "driver_windows", &K_VERSION, NULLABLE, &r->driver_windows) ||
      !get_string(ld, obj, path, "source", &K_STRING, REQUIRED, &r->source))
    return NULL;
  return g_steal_pointer(&r);
}

static gpointer load_cuda_floor(const Loader *ld, json_t *obj, const char *path)
{
  g_autoptr(CupCudaMajorFloor) r = g_new0(CupCudaMajorFloor, 1);
  if (!check_object(ld, obj, path) || !get_uint(ld, obj, path, "cuda_major", &r->cuda_major) ||
      !get_string(ld, obj, path, "driver_linux", &K_VERSION, NULLABLE, &r->driver_linux) ||
      !get_string(ld, obj, path, "driver_windows", &K_VERSION, NULLABLE, &r->driver_windows) ||
      !get_string(ld, obj, path, "source", &K_STRING, REQUIRED, &r->source))
    return NULL;
  return g_steal_pointer(&r);
}

static gpointer load_cuda_cc(const Loader *ld, json_t *obj, const char *path)
{
  g_autoptr(CupCudaCcRange) r = g_new0(CupCudaCcRange, 1);
  if (!check_object(ld, obj, path) ||
      !get_string(ld, obj, path, "cuda_from", &K_VERSION, REQUIRED, &r->cuda_from) ||
      !get_string(ld, obj, path, "cuda_to", &K_VERSION, REQUIRED, &r->cuda_to) ||
      !get_string(ld, obj, path, "min_cc", &K_CC, REQUIRED, &r->min_cc) ||
      !get_string(ld, obj, path, "max_cc", &K_CC, REQUIRED, &r->max_cc) ||
      !get_string(ld, obj, path, "change", &K_STRING, NULLABLE, &r->change) ||
      !get_string(ld, obj, path, "source", &K_STRING, REQUIRED, &r->source) ||
      !check_order(ld, path, "cuda_from", r->cuda_from, "cuda_to", r->cuda_to) ||
      !check_order(ld, path, "min_cc", r->min_cc, "max_cc", r->max_cc))
    return NULL;
  return g_steal_pointer(&r);
}

static gpointer load_cudnn_release(const Loader *ld, json_t *obj, const char *path)
{
  g_autoptr(CupCudnnRelease) r = g_new0(CupCudnnRelease, 1);
  if (!check_object(ld, obj, path) ||
      !get_string(ld, obj, path, "version", &K_VERSION, REQUIRED, &r->version) ||
      !get_strv(ld, obj, path, "cuda", &K_VERSION, REQUIRED, &r->cuda) ||
      !get_strv(ld, obj, path, "cuda_variants", &K_VARIANT, NULLABLE, &r->cuda_variants) ||
      !get_string(ld, obj, path, "min_cc", &K_CC, NULLABLE, &r->min_cc) ||
      !get_string(ld, obj, path, "source", &K_STRING, REQUIRED, &r->source))
    return NULL;
  return g_steal_pointer(&r);
}

static gpointer load_torch_variant(const Loader *ld, json_t *obj, const char *path)
{
  g_autoptr(CupTorchVariant) v = g_new0(CupTorchVariant, 1);
  if (!check_object(ld, obj, path) ||
      !get_string(ld, obj, path, "tag", &K_TAG, REQUIRED, &v->tag) ||
      !get_string(ld, obj, path, "cuda", &K_VERSION, REQUIRED, &v->cuda) ||
      !get_string(ld, obj, path, "cudnn", &K_VERSION, NULLABLE, &v->cudnn) ||
      !get_string(ld, obj, path, "index_url", &K_URL, REQUIRED, &v->index_url) ||
      !get_strv(ld, obj, path, "archs", &K_CC, NULLABLE, &v->archs) ||
      !get_bool(ld, obj, path, "experimental", &v->experimental))
    return NULL;
  return g_steal_pointer(&v);
}

static gboolean load_rows(const Loader *ld, json_t *parent, const char *path, const char *key,
                          RowLoader load_row, GPtrArray *out);

static gpointer load_torch_release(const Loader *ld, json_t *obj, const char *path)
{
  g_autoptr(CupTorchRelease) r = g_new0(CupTorchRelease, 1);
  r->variants = g_ptr_array_new_with_free_func((GDestroyNotify)torch_variant_free);
  if (!check_object(ld, obj, path) ||
      !get_string(ld, obj, path, "version", &K_VERSION, REQUIRED, &r->version) ||
      !get_strv(ld, obj, path, "patches", &K_VERSION, NULLABLE, &r->patches) ||
      !get_string(ld, obj, path, "python_min", &K_VERSION, REQUIRED, &r->python_min) ||
      !get_string(ld, obj, path, "python_max", &K_VERSION, REQUIRED, &r->python_max) ||
      !get_string(ld, obj, path, "python_experimental", &K_PYTHON, NULLABLE,
                  &r->python_experimental) ||
      !check_order(ld, path, "python_min", r->python_min, "python_max", r->python_max) ||
      !load_rows(ld, obj, path, "variants", load_torch_variant, r->variants) ||
      !get_string(ld, obj, path, "source", &K_STRING, REQUIRED, &r->source))
    return NULL;
  g_autofree char *variants_path = g_strdup_printf("%s.variants", path);
  if (!check_unique(ld, r->variants, variants_path, "tag", key_torch_variant))
    return NULL;
  g_ptr_array_sort(r->variants, cmp_torch_variant);
  return g_steal_pointer(&r);
}

static gpointer load_tf_release(const Loader *ld, json_t *obj, const char *path)
{
  g_autoptr(CupTfRelease) r = g_new0(CupTfRelease, 1);
  if (!check_object(ld, obj, path) ||
      !get_string(ld, obj, path, "version", &K_VERSION, REQUIRED, &r->version) ||
      !get_string(ld, obj, path, "package", &K_STRING, REQUIRED, &r->package) ||
      !get_string(ld, obj, path, "os", &K_OS, REQUIRED, &r->os) ||
      !get_string(ld, obj, path, "python_min", &K_VERSION, REQUIRED, &r->python_min) ||
      !get_string(ld, obj, path, "python_max", &K_VERSION, REQUIRED, &r->python_max) ||
      !check_order(ld, path, "python_min", r->python_min, "python_max", r->python_max) ||
      !get_string(ld, obj, path, "cuda", &K_VERSION, REQUIRED, &r->cuda) ||
      !get_string(ld, obj, path, "cudnn", &K_VERSION, REQUIRED, &r->cudnn) ||
      !get_string(ld, obj, path, "source", &K_STRING, REQUIRED, &r->source))
    return NULL;
  return g_steal_pointer(&r);
}

/* Run @load_row on every element of @parent[@key] (a non-empty array) into @out. */
static gboolean load_rows(const Loader *ld, json_t *parent, const char *path, const char *key,
                          RowLoader load_row, GPtrArray *out)
{
  json_t *array = json_object_get(parent, key), *v;
  g_autofree char *jpath = g_strconcat(path, ".", key, NULL);
  size_t i;
  if (array == NULL)
    return invalid(ld, jpath, "missing key");
  if (!json_is_array(array))
    return invalid(ld, jpath, "expected an array");
  if (json_array_size(array) == 0)
    return invalid(ld, jpath, "expected at least one element");
  json_array_foreach(array, i, v)
  {
    g_autofree char *rpath = g_strdup_printf("%s[%zu]", jpath, i);
    gpointer row = load_row(ld, v, rpath);
    if (row == NULL)
      return FALSE;
    g_ptr_array_add(out, row);
  }
  return TRUE;
}

/* ---------------------------------------------------------------- whole files */

/* Read @dir/@name as JSON; errors name the file "manifests/@name". */
static json_t *read_json(const char *dir, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) read_error = NULL;
  json_error_t jerr;
  if (!g_file_get_contents(path, &contents, &length, &read_error)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG, _("manifests/%s: cannot read: %s"), name,
                read_error->message);
    return NULL;
  }
  json_t *root = json_loadb(contents, length, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG,
                _("manifests/%s: not valid JSON: %s (line %d, column %d)"), name, jerr.text,
                jerr.line, jerr.column);
  return root;
}

/* $ must be an object whose "schema" is @schema. */
static gboolean check_root(const Loader *ld, json_t *root, const char *schema)
{
  g_autofree char *got = NULL;
  if (!check_object(ld, root, "$") ||
      !get_string(ld, root, "$", "schema", &K_STRING, REQUIRED, &got))
    return FALSE;
  if (strcmp(got, schema) != 0)
    return invalid(ld, "$.schema", "expected \"%s\", got \"%s\"", schema, got);
  return TRUE;
}

/* One table of a file: $.@key rows, unique by @field, sorted by @cmp. */
typedef struct {
  const char *key;
  RowLoader load_row;
  const char *field;
  RowKey key_of;
  GCompareFunc cmp;
} Table;

static gboolean load_table(const Loader *ld, json_t *root, const Table *t, GPtrArray *out)
{
  g_autofree char *path = g_strdup_printf("$.%s", t->key);
  if (!load_rows(ld, root, "$", t->key, t->load_row, out) ||
      !check_unique(ld, out, path, t->field, t->key_of))
    return FALSE;
  g_ptr_array_sort(out, t->cmp);
  return TRUE;
}

static const Table cuda_tables[] = {
    {"releases", load_cuda_release, "version", key_cuda_release, cmp_cuda_release},
    {"minor_version_compatibility", load_cuda_floor, "cuda_major", key_cuda_floor, cmp_cuda_floor},
    {"compute_capability", load_cuda_cc, "cuda_from", key_cuda_cc, cmp_cuda_cc},
};
static const Table cudnn_table = {"releases", load_cudnn_release, "version", key_cudnn, cmp_cudnn};
static const Table torch_table = {"releases", load_torch_release, "version", key_torch, cmp_torch};
static const Table tf_table = {"releases", load_tf_release, "version", key_tf, cmp_tf};

/* Load @name (schema @schema): its tables @tables[0..@n) into @outs[0..@n), and the string
 * list "toolkit_components" into @components when that is not NULL. */
static gboolean load_file(const char *dir, const char *name, const char *schema,
                          const Table *tables, GPtrArray **outs, gsize n, GStrv *components,
                          GError **error)
{
  g_autofree char *file = g_strdup_printf("manifests/%s", name);
  Loader ld = {file, error};
  g_autoptr(json_t) root = read_json(dir, name, error);
  if (root == NULL || !check_root(&ld, root, schema))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!load_table(&ld, root, &tables[i], outs[i]))
      return FALSE;
  return components == NULL ||
         get_strv(&ld, root, "$", "toolkit_components", &K_STRING, REQUIRED, components);
}

/* NVIDIA's redistrib manifests: the vendored ones, then those the download stage cached; each
 * checked against the pinned hashes (manifests/redist/pinned-manifest-sha256.json). */
static gboolean load_redist(CupCatalog *c, const char *root, const char *cache_dir, GError **error)
{
  g_autofree char *redist = g_build_filename(root, "redist", NULL);
  g_autofree char *pins_path = g_build_filename(redist, "pinned-manifest-sha256.json", NULL);
  g_autoptr(GHashTable) pins = NULL;
  /* A catalog without redist/ (an older or hand-made --catalog) plans without archives. */
  if (!g_file_test(redist, G_FILE_TEST_IS_DIR)) {
    g_ptr_array_add(c->warnings, g_strdup_printf("%s is missing: no NVIDIA archives and no "
                                                 "pinned manifest hashes",
                                                 redist));
  } else if ((pins = cup_redist_pins_load(pins_path, error)) == NULL) {
    return FALSE;
  }
  if (!cup_redist_load_dir(redist, pins, c->redist, c->warnings, error))
    return FALSE;
  return cache_dir == NULL || cup_redist_load_dir(cache_dir, pins, c->redist, c->warnings, error);
}

/* gpus.json through core/gpudb, its messages renamed to "manifests/gpus.json: ...". */
static CupGpuTable *load_gpus(const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename(dir, "gpus.json", NULL);
  g_autoptr(GError) local = NULL;
  CupGpuTable *table = cup_gpu_table_load(path, &local);
  if (table != NULL)
    return table;
  const char *rest = local->message;
  if (g_str_has_prefix(rest, path))
    rest += strlen(path);
  g_set_error(error, local->domain, local->code, _("manifests/gpus.json%s"), rest);
  return NULL;
}

static CupCatalog *catalog_new(const char *dir)
{
  CupCatalog *c = g_new0(CupCatalog, 1);
  c->dir = g_strdup(dir);
  c->cuda_releases = g_ptr_array_new_with_free_func((GDestroyNotify)cuda_release_free);
  c->cuda_floors = g_ptr_array_new_with_free_func((GDestroyNotify)cuda_floor_free);
  c->cuda_cc = g_ptr_array_new_with_free_func((GDestroyNotify)cuda_cc_free);
  c->cudnn_releases = g_ptr_array_new_with_free_func((GDestroyNotify)cudnn_release_free);
  c->torch_releases = g_ptr_array_new_with_free_func((GDestroyNotify)torch_release_free);
  c->tf_releases = g_ptr_array_new_with_free_func((GDestroyNotify)tf_release_free);
  c->redist = g_ptr_array_new_with_free_func((GDestroyNotify)cup_redist_manifest_free);
  c->warnings = g_ptr_array_new_with_free_func(g_free);
  return c;
}

CupCatalog *cup_catalog_load(const char *dir, const char *cache_dir, GError **error)
{
  g_autofree char *root = cup_manifests_dir(dir);
  g_autoptr(CupCatalog) c = catalog_new(root);
  GPtrArray *cuda[] = {c->cuda_releases, c->cuda_floors, c->cuda_cc};
  c->gpus = load_gpus(root, error);
  if (c->gpus == NULL ||
      !load_file(root, "cuda.json", CUP_CATALOG_SCHEMA_CUDA, cuda_tables, cuda, 3,
                 &c->toolkit_components, error) ||
      !load_file(root, "cudnn.json", CUP_CATALOG_SCHEMA_CUDNN, &cudnn_table, &c->cudnn_releases, 1,
                 NULL, error) ||
      !load_file(root, "pytorch.json", CUP_CATALOG_SCHEMA_PYTORCH, &torch_table, &c->torch_releases,
                 1, NULL, error) ||
      !load_file(root, "tensorflow.json", CUP_CATALOG_SCHEMA_TENSORFLOW, &tf_table, &c->tf_releases,
                 1, NULL, error) ||
      !load_redist(c, root, cache_dir, error))
    return NULL;
  return g_steal_pointer(&c);
}

void cup_catalog_free(CupCatalog *catalog)
{
  if (catalog == NULL)
    return;
  g_free(catalog->dir);
  cup_gpu_table_free(catalog->gpus);
  g_ptr_array_unref(catalog->cuda_releases);
  g_ptr_array_unref(catalog->cuda_floors);
  g_ptr_array_unref(catalog->cuda_cc);
  g_ptr_array_unref(catalog->cudnn_releases);
  g_ptr_array_unref(catalog->torch_releases);
  g_ptr_array_unref(catalog->tf_releases);
  g_ptr_array_unref(catalog->redist);
  g_strfreev(catalog->toolkit_components);
  g_ptr_array_unref(catalog->warnings);
  g_free(catalog);
}
