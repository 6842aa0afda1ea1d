/* redist.c - NVIDIA redistrib manifests as components and archives (core/redist.h).
 *
 * Formats: manifests/README.md ("redist/") and the real files in manifests/redist/, which are
 * NVIDIA's compute/{cuda,cudnn}/redist/redistrib_<release>.json byte for byte. Every value a
 * later stage relies on is checked here: sizes are strict decimal strings, hashes are hex of
 * the right length, and a relative_path can never name a file outside the redist directory.
 */
#include "core/i18n.h"
#include "core/redist.h"

#include "core/error.h"
#include "core/system.h" /* g_autoptr(json_t) */
#include "core/version.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define HEX_DIGITS "0123456789abcdefABCDEF"
#define DIGITS "0123456789"
/* Characters of a key written as ".key" in a JSON path; other keys are written ["key"]. */
#define PLAIN_KEY_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" DIGITS "_-"
/* Characters of component and platform names ("cuda_nvcc", "linux-x86_64", "source"). */
#define NAME_CHARS PLAIN_KEY_CHARS ".+"
/* Characters of a relative_path; NVIDIA's use [a-z0-9._-/] only. */
#define PATH_CHARS PLAIN_KEY_CHARS ".+/"
#define MAX_RELATIVE_PATH 1024
#define MAX_QUOTED 80

/* Top-level keys that describe the release, not a component. */
static const char *const release_keys[] = {"release_date", "release_label", "release_product"};

/* The validation state: which file, and where the first error goes. */
typedef struct {
  const char *origin;
  GError **error;
} Parser;

static void archive_free(CupRedistArchive *archive)
{
  g_free(archive->platform);
  g_free(archive->cuda_variant);
  g_free(archive->relative_path);
  g_free(archive->sha256);
  g_free(archive->md5);
  g_free(archive);
}

static void component_free(CupRedistComponent *component)
{
  g_free(component->key);
  g_free(component->name);
  g_free(component->license);
  g_free(component->version);
  g_ptr_array_unref(component->archives);
  g_free(component);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupRedistArchive, archive_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupRedistComponent, component_free)

/* @s as a C-escaped, double-quoted string of at most MAX_QUOTED bytes, for messages. */
static char *quote(const char *s)
{
  gsize len = strlen(s);
  g_autofree char *cut = g_strndup(s, MIN(len, MAX_QUOTED));
  g_autofree char *escaped = g_strescape(cut, NULL);
  return g_strdup_printf("\"%s\"%s", escaped, len > MAX_QUOTED ? "..." : "");
}

/* The JSON path of member @key of @parent: "$.a.b", or $.a["x.y"] for other keys. */
static char *member_path(const char *parent, const char *key)
{
  /* g_strconcat, not printf: this runs for every field of every manifest. */
  if (key[0] != '\0' && strspn(key, PLAIN_KEY_CHARS) == strlen(key))
    return g_strconcat(parent, ".", key, NULL);
  g_autofree char *quoted = quote(key);
  return g_strconcat(parent, "[", quoted, "]", NULL);
}

/* Set "ORIGIN: invalid at JPATH: WHY" (CUP_ERROR_CATALOG) and return FALSE. */
static gboolean invalid(const Parser *p, const char *jpath, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static gboolean invalid(const Parser *p, const char *jpath, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  cup_error_invalid_at(p->error, p->origin, jpath, format, args);
  va_end(args);
  return FALSE;
}

static gboolean all_of(const char *s, const char *accept)
{
  return strspn(s, accept) == strlen(s);
}

/* @obj[@key] as a non-empty string; a missing optional key gives NULL. */
static gboolean get_string(const Parser *p, json_t *obj, const char *path, const char *key,
                           gboolean required, const char **out)
{
  json_t *v = json_object_get(obj, key);
  g_autofree char *jpath = member_path(path, key);
  *out = NULL;
  if (v == NULL)
    return required ? invalid(p, jpath, "missing key") : TRUE;
  if (!json_is_string(v))
    return invalid(p, jpath, "expected a string");
  if (json_string_length(v) == 0) /* NUL inside a string is rejected by the JSON parser */
    return invalid(p, jpath, "expected a non-empty string");
  *out = json_string_value(v);
  return TRUE;
}

/* @obj[@key] as @digits hex digits, stored lower-case in @out (NULL when optional and absent). */
static gboolean get_hex(const Parser *p, json_t *obj, const char *path, const char *key,
                        gsize digits, gboolean required, char **out)
{
  const char *s;
  if (!get_string(p, obj, path, key, required, &s))
    return FALSE;
  if (s == NULL)
    return TRUE;
  if (strlen(s) != digits || !all_of(s, HEX_DIGITS)) {
    g_autofree char *jpath = member_path(path, key);
    g_autofree char *quoted = quote(s);
    return invalid(p, jpath, "expected %" G_GSIZE_FORMAT " hex digits, got %s", digits, quoted);
  }
  *out = g_ascii_strdown(s, -1);
  return TRUE;
}

/* A "dotted.version" made of digits and single dots only ("12.4.1", "8.9.7.29"). */
static gboolean is_release(const char *s)
{
  CupVersion v;
  return s[0] != '\0' && all_of(s, DIGITS ".") && cup_version_parse(s, &v, NULL);
}

/* @v (at @jpath) as a byte count: a decimal string of digits only, above 0, below 2^64. */
static gboolean parse_size(const Parser *p, json_t *v, const char *jpath, guint64 *out)
{
  if (v == NULL)
    return invalid(p, jpath, "missing key");
  if (!json_is_string(v))
    return invalid(p, jpath, "expected a decimal string");
  const char *s = json_string_value(v);
  g_autofree char *quoted = quote(s);
  guint64 n = 0;
  if (s[0] == '\0' || !all_of(s, DIGITS))
    return invalid(p, jpath, "expected a decimal string, got %s", quoted);
  for (const char *c = s; *c != '\0'; c++) {
    guint digit = (guint)(*c - '0');
    if (n > (G_MAXUINT64 - digit) / 10)
      return invalid(p, jpath, "%s does not fit in 64 bits", quoted);
    n = n * 10 + digit;
  }
  if (n == 0)
    return invalid(p, jpath, "expected a size above 0 bytes, got %s", quoted);
  *out = n;
  return TRUE;
}

/* Why @s is not a safe path below the redist directory, or NULL when it is. */
static const char *relative_path_problem(const char *s)
{
  if (strlen(s) > MAX_RELATIVE_PATH)
    return "is longer than 1024 bytes";
  if (s[0] == '/')
    return "is absolute; expected a path relative to the redist directory";
  if (g_ascii_isalpha(s[0]) && s[1] == ':')
    return "starts with a drive letter; expected a path relative to the redist directory";
  if (strchr(s, '\\') != NULL)
    return "contains a backslash; expected '/' separators";
  if (!all_of(s, PATH_CHARS))
    return "contains a character other than A-Z a-z 0-9 . _ + - /";
  g_auto(GStrv) segments = g_strsplit(s, "/", -1);
  for (gsize i = 0; segments[i] != NULL; i++) {
    if (strcmp(segments[i], "..") == 0)
      return "contains \"..\", which would leave the redist directory";
    if (strcmp(segments[i], ".") == 0)
      return "contains a \".\" segment";
    if (segments[i][0] == '\0')
      return "contains an empty segment (\"//\" or a trailing \"/\")";
  }
  return NULL;
}

/* "cuda" and 1 to 3 digits: "cuda11", "cuda12", "cuda13". */
static gboolean is_cuda_variant(const char *s)
{
  gsize digits = g_str_has_prefix(s, "cuda") ? strlen(s + 4) : 0;
  return digits >= 1 && digits <= 3 && all_of(s + 4, DIGITS);
}

/* A component or platform name: not empty, not starting with '.', NAME_CHARS only. */
static gboolean is_name(const char *s)
{
  return s[0] != '\0' && s[0] != '.' && all_of(s, NAME_CHARS);
}

/* The archive object @obj at @path for @platform (and @variant, may be NULL) of @comp. */
static gboolean parse_archive(const Parser *p, json_t *obj, const char *path, const char *platform,
                              const char *variant, CupRedistComponent *comp)
{
  const char *rel;
  if (!json_is_object(obj))
    return invalid(p, path, "expected an object");
  g_autoptr(CupRedistArchive) a = g_new0(CupRedistArchive, 1);
  g_autofree char *rel_path = member_path(path, "relative_path");
  g_autofree char *size_path = member_path(path, "size");
  if (!get_string(p, obj, path, "relative_path", TRUE, &rel))
    return FALSE;
  const char *problem = relative_path_problem(rel);
  if (problem != NULL) {
    g_autofree char *quoted = quote(rel);
    return invalid(p, rel_path, "%s %s", quoted, problem);
  }
  if (!get_hex(p, obj, path, "sha256", 64, TRUE, &a->sha256) ||
      !get_hex(p, obj, path, "md5", 32, FALSE, &a->md5) ||
      !parse_size(p, json_object_get(obj, "size"), size_path, &a->size))
    return FALSE;
  a->platform = g_strdup(platform);
  a->cuda_variant = g_strdup(variant);
  a->relative_path = g_strdup(rel);
  g_ptr_array_add(comp->archives, g_steal_pointer(&a));
  return TRUE;
}

/* cuDNN 9.x: @obj maps cuda variants ("cuda12") to the archives of @platform. */
static gboolean parse_variants(const Parser *p, json_t *obj, const char *path, const char *platform,
                               CupRedistComponent *comp)
{
  const char *key;
  json_t *v;
  if (json_object_size(obj) == 0)
    return invalid(p, path, "expected an archive or cuda variants (\"cuda12\": {...})");
  json_object_foreach(obj, key, v)
  {
    g_autofree char *vpath = member_path(path, key);
    if (!is_cuda_variant(key))
      return invalid(p, vpath, "expected a cuda variant key like \"cuda12\"");
    if (!parse_archive(p, v, vpath, platform, key, comp))
      return FALSE;
  }
  return TRUE;
}

/* Does @obj look like an archive rather than a map of cuda variants? */
static gboolean has_archive_keys(json_t *obj)
{
  return json_object_get(obj, "relative_path") != NULL || json_object_get(obj, "sha256") != NULL ||
         json_object_get(obj, "size") != NULL || json_object_get(obj, "md5") != NULL;
}

/* The object member @platform of a component: one archive, or (cuDNN) cuda variants. */
static gboolean parse_platform(const Parser *p, CupRedistKind kind, json_t *obj, const char *path,
                               const char *platform, CupRedistComponent *comp)
{
  if (!is_name(platform))
    return invalid(p, path, "expected a platform name like \"linux-x86_64\"");
  if (kind == CUP_REDIST_CUDA || has_archive_keys(obj))
    return parse_archive(p, obj, path, platform, NULL, comp);
  return parse_variants(p, obj, path, platform, comp);
}

/* Component @key (@obj): name, license, version and every object member as a platform. */
static gboolean parse_component(const Parser *p, CupRedistKind kind, json_t *obj, const char *key,
                                CupRedistManifest *manifest)
{
  const char *name, *license, *version, *member;
  json_t *v;
  g_autofree char *path = member_path("$", key);
  if (!is_name(key))
    return invalid(p, path, "expected a component name like \"cuda_nvcc\"");
  if (!get_string(p, obj, path, "name", TRUE, &name) ||
      !get_string(p, obj, path, "license", TRUE, &license) ||
      !get_string(p, obj, path, "version", TRUE, &version))
    return FALSE;
  g_autoptr(CupRedistComponent) comp = g_new0(CupRedistComponent, 1);
  comp->archives = g_ptr_array_new_with_free_func((GDestroyNotify)archive_free);
  json_object_foreach(obj, member, v)
  {
    g_autofree char *ppath = member_path(path, member);
    if (!json_is_object(v)) /* name, license, license_path, version, cuda_variant, ... */
      continue;
    if (!parse_platform(p, kind, v, ppath, member, comp))
      return FALSE;
  }
  if (comp->archives->len == 0)
    return invalid(p, path, "expected at least one platform archive");
  comp->key = g_strdup(key);
  comp->name = g_strdup(name);
  comp->license = g_strdup(license);
  comp->version = g_strdup(version);
  g_ptr_array_add(manifest->components, g_steal_pointer(&comp));
  return TRUE;
}

static gboolean is_release_key(const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS(release_keys); i++)
    if (strcmp(key, release_keys[i]) == 0)
      return TRUE;
  return FALSE;
}

/* $.release_label (optional, a dotted release), $.release_date and $.release_product. */
static gboolean parse_release(const Parser *p, json_t *root, CupRedistManifest *manifest)
{
  const char *label, *date, *product;
  if (!get_string(p, root, "$", "release_label", FALSE, &label) ||
      !get_string(p, root, "$", "release_date", FALSE, &date) ||
      !get_string(p, root, "$", "release_product", FALSE, &product))
    return FALSE;
  if (label != NULL && !is_release(label)) {
    g_autofree char *quoted = quote(label);
    return invalid(p, "$.release_label", "expected a release like \"12.4.1\", got %s", quoted);
  }
  manifest->release = g_strdup(label);
  manifest->release_date = g_strdup(date);
  return TRUE;
}

static gboolean parse_root(const Parser *p, CupRedistKind kind, json_t *root,
                           CupRedistManifest *manifest)
{
  const char *key;
  json_t *v;
  if (!json_is_object(root))
    return invalid(p, "$", "expected an object");
  if (!parse_release(p, root, manifest))
    return FALSE;
  json_object_foreach(root, key, v)
  {
    if (is_release_key(key) || !json_is_object(v)) /* unknown metadata is ignored */
      continue;
    if (!parse_component(p, kind, v, key, manifest))
      return FALSE;
  }
  if (manifest->components->len == 0)
    return invalid(p, "$", "expected at least one component");
  return TRUE;
}

/* @text (@len bytes) as a JSON object or array, or NULL with "ORIGIN: not valid JSON: ...". */
static json_t *load_json(const char *text, gsize len, const char *origin, GError **error)
{
  json_error_t jerr;
  json_t *root = json_loadb(text != NULL ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG,
                _("%s: not valid JSON: %s (line %d, column %d)"), origin, jerr.text, jerr.line,
                jerr.column);
  return root;
}

CupRedistManifest *cup_redist_parse(const char *text, gsize len, CupRedistKind kind,
                                    const char *origin, GError **error)
{
  g_return_val_if_fail(text != NULL || len == 0, NULL);
  g_return_val_if_fail(origin != NULL, NULL);
  g_autoptr(json_t) root = load_json(text, len, origin, error);
  if (root == NULL)
    return NULL;
  g_autoptr(CupRedistManifest) manifest = g_new0(CupRedistManifest, 1);
  manifest->kind = kind;
  manifest->origin = g_strdup(origin);
  manifest->components = g_ptr_array_new_with_free_func((GDestroyNotify)component_free);
  Parser p = {origin, error};
  if (!parse_root(&p, kind, root, manifest))
    return NULL;
  return g_steal_pointer(&manifest);
}

const CupRedistComponent *cup_redist_component(const CupRedistManifest *manifest, const char *key)
{
  g_return_val_if_fail(manifest != NULL, NULL);
  if (key == NULL)
    return NULL;
  for (guint i = 0; i < manifest->components->len; i++) {
    const CupRedistComponent *comp = g_ptr_array_index(manifest->components, i);
    if (strcmp(comp->key, key) == 0)
      return comp;
  }
  return NULL;
}

const CupRedistArchive *cup_redist_find(const CupRedistManifest *manifest, const char *component,
                                        const char *platform, const char *cuda_variant)
{
  g_return_val_if_fail(manifest != NULL, NULL);
  const CupRedistComponent *comp = cup_redist_component(manifest, component);
  if (comp == NULL || platform == NULL)
    return NULL;
  for (guint i = 0; i < comp->archives->len; i++) {
    const CupRedistArchive *a = g_ptr_array_index(comp->archives, i);
    if (strcmp(a->platform, platform) != 0)
      continue;
    if (cuda_variant == NULL || a->cuda_variant == NULL ||
        strcmp(a->cuda_variant, cuda_variant) == 0)
      return a;
  }
  return NULL;
}

void cup_redist_manifest_free(CupRedistManifest *manifest)
{
  if (manifest == NULL)
    return;
  g_free(manifest->release);
  g_free(manifest->release_date);
  g_free(manifest->origin);
  if (manifest->components != NULL)
    g_ptr_array_unref(manifest->components);
  g_free(manifest);
}

/* ---- files: size cap, pins, directories ---- */

/* Append all of @f to @buf, failing past CUP_REDIST_MAX_FILE_SIZE bytes. */
static gboolean read_stream(FILE *f, const char *path, GByteArray *buf, GError **error)
{
  guint8 chunk[16384];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (buf->len + n > CUP_REDIST_MAX_FILE_SIZE) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG,
                  _("%s: larger than %u MiB, which no redistrib manifest is; remove the file"),
                  path, CUP_REDIST_MAX_FILE_SIZE >> 20);
      return FALSE;
    }
    g_byte_array_append(buf, chunk, (guint)n);
  }
  if (ferror(f)) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG, _("%s: cannot read: %s"), path,
                g_strerror(saved));
    return FALSE;
  }
  return TRUE;
}

/* The bytes of @path, at most CUP_REDIST_MAX_FILE_SIZE of them. */
static GBytes *read_capped(const char *path, GError **error)
{
  FILE *f = g_fopen(path, "rb");
  if (f == NULL) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG, _("%s: cannot read: %s"), path,
                g_strerror(saved));
    return NULL;
  }
  g_autoptr(GByteArray) buf = g_byte_array_new();
  gboolean ok = read_stream(f, path, buf, error);
  fclose(f);
  if (!ok)
    return NULL;
  return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/* $.@kind of the pins file: release -> sha256, added to @table as "@kind/release". */
static gboolean load_pins_kind(const Parser *p, json_t *root, const char *kind, GHashTable *table)
{
  const char *release;
  json_t *v;
  g_autofree char *path = member_path("$", kind);
  json_t *obj = json_object_get(root, kind);
  if (obj == NULL)
    return invalid(p, path, "missing key");
  if (!json_is_object(obj))
    return invalid(p, path, "expected an object");
  json_object_foreach(obj, release, v)
  {
    g_autofree char *rpath = member_path(path, release);
    const char *hex = json_is_string(v) ? json_string_value(v) : "";
    if (!is_release(release))
      return invalid(p, rpath, "expected a release like \"12.4.1\" as the key");
    if (strlen(hex) != 64 || !all_of(hex, HEX_DIGITS))
      return invalid(p, rpath, "expected a string of 64 hex digits");
    g_hash_table_insert(table, g_strdup_printf("%s/%s", kind, release), g_ascii_strdown(hex, -1));
  }
  return TRUE;
}

static gboolean load_pins_root(const Parser *p, json_t *root, GHashTable *table)
{
  const char *schema;
  if (!json_is_object(root))
    return invalid(p, "$", "expected an object");
  if (!get_string(p, root, "$", "schema", TRUE, &schema))
    return FALSE;
  if (strcmp(schema, CUP_REDIST_PINS_SCHEMA) != 0) {
    g_autofree char *quoted = quote(schema);
    return invalid(p, "$.schema", "expected \"%s\", got %s", CUP_REDIST_PINS_SCHEMA, quoted);
  }
  return load_pins_kind(p, root, "cuda", table) && load_pins_kind(p, root, "cudnn", table);
}

GHashTable *cup_redist_pins_load(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  g_autoptr(GBytes) bytes = read_capped(path, error);
  if (bytes == NULL)
    return NULL;
  gsize len = 0;
  const char *text = g_bytes_get_data(bytes, &len);
  g_autoptr(json_t) root = load_json(text, len, path, error);
  if (root == NULL)
    return NULL;
  g_autoptr(GHashTable) table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  Parser p = {path, error};
  if (!load_pins_root(&p, root, table))
    return NULL;
  return g_steal_pointer(&table);
}

/* Check @bytes of @path (release @release of @kind) against @pins. */
static gboolean check_pin(const char *path, const char *kind, const char *release, GBytes *bytes,
                          GHashTable *pins, GPtrArray *warnings, GError **error)
{
  g_autofree char *key = g_strdup_printf("%s/%s", kind, release);
  g_autofree char *actual = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, bytes);
  const char *expected = pins != NULL ? g_hash_table_lookup(pins, key) : NULL;
  if (expected == NULL) {
    g_ptr_array_add(warnings,
                    g_strdup_printf("%s: %s %s is not in the pinned manifest hashes (its sha256 is "
                                    "%s); loaded without a pin check",
                                    path, kind, release, actual));
    return TRUE;
  }
  if (g_ascii_strcasecmp(expected, actual) != 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY,
                _("%s: sha256 mismatch: expected %s, got %s; restore the file from NVIDIA or "
                  "reinstall cudaup"),
                path, expected, actual);
    return FALSE;
  }
  return TRUE;
}

/* Give @manifest the @release of its file name, which a release_label must agree with. */
static gboolean check_release(CupRedistManifest *manifest, const char *release, GError **error)
{
  if (manifest->release == NULL) {
    manifest->release = g_strdup(release); /* CUDA 11.8.0 has no release_label */
    return TRUE;
  }
  if (strcmp(manifest->release, release) == 0)
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG,
              _("%s: invalid at $.release_label: \"%s\" does not match the file name's \"%s\""),
              manifest->origin, manifest->release, release);
  return FALSE;
}

/* Load @dir/redistrib_@release.json of @kind (subdirectory @sub) into @loaded. */
static gboolean load_file(const char *dir, const char *sub, CupRedistKind kind, const char *release,
                          GHashTable *pins, GPtrArray *loaded, GPtrArray *warnings, GError **error)
{
  g_autofree char *name = g_strdup_printf("redistrib_%s.json", release);
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autoptr(GBytes) bytes = read_capped(path, error);
  if (bytes == NULL || !check_pin(path, sub, release, bytes, pins, warnings, error))
    return FALSE;
  gsize len = 0;
  const char *text = g_bytes_get_data(bytes, &len);
  g_autoptr(CupRedistManifest) manifest = cup_redist_parse(text, len, kind, path, error);
  if (manifest == NULL || !check_release(manifest, release, error))
    return FALSE;
  g_ptr_array_add(loaded, g_steal_pointer(&manifest));
  return TRUE;
}

static gint compare_releases(gconstpointer a, gconstpointer b)
{
  int order = 0;
  cup_version_compare_strings(*(const char *const *)a, *(const char *const *)b, &order, NULL);
  return order;
}

/* The releases of the redistrib_<release>.json files of @dir, oldest first. */
static GPtrArray *list_releases(const char *dir, GPtrArray *warnings, GError **error)
{
  g_autoptr(GError) dir_error = NULL;
  g_autoptr(GDir) d = g_dir_open(dir, 0, &dir_error);
  if (d == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG, _("%s: cannot read: %s"), dir,
                dir_error->message);
    return NULL;
  }
  GPtrArray *releases = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    if (!g_str_has_prefix(name, "redistrib_") || !g_str_has_suffix(name, ".json"))
      continue;
    g_autofree char *release = g_strndup(name + 10, strlen(name) - 15);
    if (is_release(release))
      g_ptr_array_add(releases, g_steal_pointer(&release));
    else
      g_ptr_array_add(warnings, g_strdup_printf("%s/%s: ignored: expected a file name "
                                                "redistrib_<release>.json (\"12.4.1\")",
                                                dir, name));
  }
  g_ptr_array_sort(releases, compare_releases);
  return releases;
}

/* Every manifest of @root/@sub (a missing directory has none). */
static gboolean load_kind_dir(const char *root, const char *sub, CupRedistKind kind,
                              GHashTable *pins, GPtrArray *loaded, GPtrArray *warnings,
                              GError **error)
{
  g_autofree char *dir = g_build_filename(root, sub, NULL);
  if (!g_file_test(dir, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autoptr(GPtrArray) releases = list_releases(dir, warnings, error);
  if (releases == NULL)
    return FALSE;
  for (guint i = 0; i < releases->len; i++)
    if (!load_file(dir, sub, kind, g_ptr_array_index(releases, i), pins, loaded, warnings, error))
      return FALSE;
  return TRUE;
}

gboolean cup_redist_load_dir(const char *dir, GHashTable *pins, GPtrArray *out, GPtrArray *warnings,
                             GError **error)
{
  g_return_val_if_fail(dir != NULL && out != NULL, FALSE);
  g_autoptr(GPtrArray) loaded =
      g_ptr_array_new_with_free_func((GDestroyNotify)cup_redist_manifest_free);
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
  if (!load_kind_dir(dir, "cuda", CUP_REDIST_CUDA, pins, loaded, notes, error) ||
      !load_kind_dir(dir, "cudnn", CUP_REDIST_CUDNN, pins, loaded, notes, error))
    return FALSE;
  g_ptr_array_extend_and_steal(out, g_steal_pointer(&loaded));
  if (warnings != NULL)
    g_ptr_array_extend_and_steal(warnings, g_steal_pointer(&notes));
  return TRUE;
}
