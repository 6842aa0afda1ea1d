/* installmirror.c - hands out the real-content install mirror described in installmirror.h:
 * finds a cached copy and verifies it, or has installmirror_pack.c build one, under a lock;
 * then makes the test catalog next to it. */
#include "tests/support/installmirror.h"
#include "tests/support/installmirror_private.h"

#include "core/digest.h"
#include "core/error.h"
#include "core/redist.h"
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Bump when the catalog's making changes, so old catalogs are not reused. */
#define CATALOG_FORMAT_VERSION 1
#define DEFAULT_CUDA_ROOT "/usr/local/cuda"
/* xz -1: the cuDNN archive (494 MB of libraries) packs to 336 MB (320 MiB) in about 70 s here;
 * -2 and -3 save 1% and 1.6% for 1.8x and 2.5x the time, -6 about 5% for 3.3x. The first
 * test run pays the build (all archives, two threads, about 2 minutes), so -1 keeps it within
 * a test's timeout; its 1 MiB dictionary also keeps the decoder's memory small. */
#define DEFAULT_XZ_PRESET 1

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

/* ---- reading and checking a cached mirror --------------------------------------------------- */

static void test_archive_free(gpointer data)
{
  CupTestInstallArchive *a = data;
  g_free(a->component);
  g_free(a->platform);
  g_free(a->cuda_variant);
  g_free(a->version);
  g_free(a->path);
  g_free(a->file);
  g_free(a->sha256);
  g_free(a);
}

static CupTestInstallMirror *mirror_new(const char *dir)
{
  CupTestInstallMirror *m = g_new0(CupTestInstallMirror, 1);
  m->dir = g_strdup(dir);
  m->root = g_build_filename(dir, "root", NULL);
  m->cuda_manifest =
      g_strdup_printf("%s/cuda/redist/redistrib_%s.json", m->root, CUP_TEST_INSTALL_CUDA_RELEASE);
  m->cudnn_manifest =
      g_strdup_printf("%s/cudnn/redist/redistrib_%s.json", m->root, CUP_TEST_INSTALL_CUDNN_RELEASE);
  m->archives = g_ptr_array_new_with_free_func(test_archive_free);
  return m;
}

static CupTestInstallArchive *archive_from_json(json_t *o, const char *root)
{
  const char *component, *platform, *variant = NULL, *version, *path, *sha256;
  json_int_t size, unpacked;
  if (json_unpack(o, "{s:s, s:s, s?s, s:s, s:s, s:s, s:I, s:I}", "component", &component,
                  "platform", &platform, "cuda_variant", &variant, "version", &version, "path",
                  &path, "sha256", &sha256, "size", &size, "unpacked_size", &unpacked) != 0)
    return NULL;
  CupTestInstallArchive *a = g_new0(CupTestInstallArchive, 1);
  *a = (CupTestInstallArchive){g_strdup(component), g_strdup(platform), g_strdup(variant),
                               g_strdup(version),   g_strdup(path),     NULL,
                               g_strdup(sha256),    (guint64)size,      (guint64)unpacked};
  a->file = g_build_filename(root, path, NULL);
  return a;
}

/* The mirror in @dir as its index.json lists it, or NULL with *@why set. */
static CupTestInstallMirror *load_index(const char *dir, char **why)
{
  g_autoptr(CupTestInstallMirror) m = mirror_new(dir);
  g_autofree char *path = g_build_filename(dir, "index.json", NULL);
  json_error_t jerr;
  g_autoptr(json_t) doc = json_load_file(path, 0, &jerr);
  json_t *list = doc ? json_object_get(doc, "archives") : NULL;
  if (json_integer_value(json_object_get(doc, "format")) != CUP_TEST_IM_FORMAT_VERSION ||
      list == NULL) {
    *why = g_strdup_printf("%s is unreadable or of another format", path);
    return NULL;
  }
  size_t i;
  json_t *o;
  json_array_foreach(list, i, o)
  {
    CupTestInstallArchive *a = archive_from_json(o, m->root);
    if (a == NULL) {
      *why = g_strdup_printf("%s: archive %zu is malformed", path, i);
      return NULL;
    }
    g_ptr_array_add(m->archives, a);
  }
  return g_steal_pointer(&m);
}

/* Whether @a is listed in @manifest with its path, size and SHA-256. */
static gboolean agrees(const CupRedistManifest *manifest, const CupTestInstallArchive *a)
{
  const CupRedistArchive *r = cup_redist_find(manifest, a->component, a->platform, a->cuda_variant);
  g_autofree char *path =
      r ? g_strdup_printf("%s/redist/%s", a->cuda_variant ? "cudnn" : "cuda", r->relative_path)
        : NULL;
  return r && strcmp(path, a->path) == 0 && r->size == a->size && strcmp(r->sha256, a->sha256) == 0;
}

static CupRedistManifest *read_manifest(const char *path, CupRedistKind kind)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &text, &len, NULL))
    return NULL;
  return cup_redist_parse(text, len, kind, path, NULL);
}

/* Checks every archive's size and SHA-256 against the index and both manifests. */
static gboolean verify(const CupTestInstallMirror *m, char **why)
{
  g_autoptr(CupRedistManifest) cuda = read_manifest(m->cuda_manifest, CUP_REDIST_CUDA);
  g_autoptr(CupRedistManifest) cudnn = read_manifest(m->cudnn_manifest, CUP_REDIST_CUDNN);
  if (cuda == NULL || cudnn == NULL || m->archives->len == 0) {
    *why = g_strdup("a redistrib manifest is missing or invalid");
    return FALSE;
  }
  for (guint i = 0; i < m->archives->len; i++) {
    const CupTestInstallArchive *a = g_ptr_array_index(m->archives, i);
    if (!agrees(a->cuda_variant ? cudnn : cuda, a)) {
      *why = g_strdup_printf("%s is not listed as it is in the redistrib manifest", a->path);
      return FALSE;
    }
    guint64 size = 0;
    g_autofree char *sha = cup_sha256_file(a->file, a->size, &size, NULL, NULL);
    if (sha == NULL || size != a->size || strcmp(sha, a->sha256) != 0) {
      *why = g_strdup_printf("%s does not match its manifest (size or sha256)", a->file);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- the test catalog ------------------------------------------------------------------------ */

/* Relative paths of the regular files below @dir/@rel, sorted. */
static void list_files(const char *dir, const char *rel, GPtrArray *out)
{
  g_autofree char *path = g_build_filename(dir, rel, NULL);
  g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *child = *rel ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
    g_autofree char *full = g_build_filename(dir, child, NULL);
    if (g_file_test(full, G_FILE_TEST_IS_SYMLINK))
      continue;
    if (g_file_test(full, G_FILE_TEST_IS_DIR))
      list_files(dir, child, out);
    else if (g_file_test(full, G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add(out, g_steal_pointer(&child));
  }
  if (*rel == '\0')
    g_ptr_array_sort(out, cup_test_compare_strings);
}

static gboolean copy_file(const char *from, const char *to, GError **error)
{
  g_autofree char *text = NULL, *dir = g_path_get_dirname(to);
  gsize len = 0;
  if (g_mkdir_with_parents(dir, 0755) != 0 || !g_file_get_contents(from, &text, &len, error) ||
      !g_file_set_contents(to, text, (gssize)len, error)) {
    if (error && *error == NULL)
      g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot create %s: %s", dir, g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

/* A hash of every file of @manifests_dir with its content, and the catalog format. */
static char *manifests_key(const char *manifests_dir, const GPtrArray *files)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_autofree char *head = g_strdup_printf("catalog/%d\n", CATALOG_FORMAT_VERSION);
  g_checksum_update(sum, (const guchar *)head, -1);
  for (guint i = 0; i < files->len; i++) {
    g_autofree char *path = g_build_filename(manifests_dir, g_ptr_array_index(files, i), NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_file_get_contents(path, &text, &len, NULL);
    g_checksum_update(sum, (const guchar *)path, -1);
    g_checksum_update(sum, (const guchar *)(text ? text : ""), (gssize)len);
  }
  return g_strndup(g_checksum_get_string(sum), 16);
}

static gboolean dump_json(json_t *doc, const char *path, GError **error)
{
  if (json_dump_file(doc, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) == 0)
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot write %s", path);
  return FALSE;
}

/* The pins of the project's file, with the mirror's two manifests pinned instead of NVIDIA's. */
static gboolean write_pins(const CupTestInstallMirror *m, const char *catalog, GError **error)
{
  g_autofree char *path = g_build_filename(catalog, "redist", "pinned-manifest-sha256.json", NULL);
  g_autoptr(json_t) doc = json_load_file(path, 0, NULL);
  if (doc == NULL)
    doc = json_pack("{s:s, s:{}, s:{}}", "schema", CUP_REDIST_PINS_SCHEMA, "cuda", "cudnn");
  const char *manifests[] = {m->cuda_manifest, m->cudnn_manifest};
  const char *kinds[] = {"cuda", "cudnn"};
  const char *releases[] = {CUP_TEST_INSTALL_CUDA_RELEASE, CUP_TEST_INSTALL_CUDNN_RELEASE};
  for (int i = 0; i < 2; i++) {
    g_autofree char *sha = cup_sha256_file(manifests[i], G_MAXUINT64, NULL, NULL, error);
    if (sha == NULL || !json_is_object(json_object_get(doc, kinds[i]))) {
      if (sha != NULL)
        g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG, "%s: no \"%s\" object", path, kinds[i]);
      return FALSE;
    }
    json_object_set_new(json_object_get(doc, kinds[i]), releases[i], json_string(sha));
  }
  json_object_set_new(doc, "description",
                      json_string("Test catalog: pins the loopback install mirror's own redistrib "
                                  "manifests (CUDA 13.0.2, cuDNN 9.19.0), built from this "
                                  "machine's toolkit, in place of NVIDIA's."));
  return dump_json(doc, path, error);
}

/* cudnn.json gains a 9.19.0 row, copied from 9.19.1, when it has none. */
static gboolean write_cudnn_row(const char *catalog, const char *cuda_root, GError **error)
{
  g_autofree char *path = g_build_filename(catalog, "cudnn.json", NULL);
  g_autoptr(json_t) doc = json_load_file(path, 0, NULL);
  json_t *rows = json_object_get(doc, "releases"), *row, *model = NULL;
  size_t i;
  json_array_foreach(rows, i, row)
  {
    const char *v = json_string_value(json_object_get(row, "version"));
    if (g_strcmp0(v, CUP_TEST_INSTALL_CUDNN_RELEASE) == 0)
      return TRUE;
    if (g_strcmp0(v, "9.19.1") == 0)
      model = row;
  }
  if (model == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG,
                "%s has no cuDNN 9.19.0 or 9.19.1 row to build the test catalog from; run "
                "manifests/tools/gen-catalog.py",
                path);
    return FALSE;
  }
  json_t *copy = json_deep_copy(model);
  g_autofree char *source = g_strdup_printf(
      "the nvidia-cudnn-cu13 %s wheel installed on this machine (%s/dist-info); CUDA list "
      "copied from the 9.19.1 row",
      CUP_TEST_INSTALL_CUDNN_VERSION, cuda_root);
  json_object_set_new(copy, "version", json_string(CUP_TEST_INSTALL_CUDNN_RELEASE));
  json_object_set_new(copy, "source", json_string(source));
  json_object_del(copy, "note");
  json_array_append_new(rows, copy);
  return dump_json(doc, path, error);
}

static gboolean build_catalog(const CupTestInstallMirror *m, const char *manifests_dir,
                              const GPtrArray *files, const char *cuda_root, const char *out,
                              GError **error)
{
  for (guint i = 0; i < files->len; i++) {
    const char *rel = g_ptr_array_index(files, i);
    if (g_str_has_prefix(rel, "redist/cuda/") || g_str_has_prefix(rel, "redist/cudnn/"))
      continue;
    g_autofree char *from = g_build_filename(manifests_dir, rel, NULL);
    g_autofree char *to = g_build_filename(out, rel, NULL);
    if (!copy_file(from, to, error))
      return FALSE;
  }
  g_autofree char *cuda =
      g_strdup_printf("%s/redist/cuda/redistrib_%s.json", out, CUP_TEST_INSTALL_CUDA_RELEASE);
  g_autofree char *cudnn =
      g_strdup_printf("%s/redist/cudnn/redistrib_%s.json", out, CUP_TEST_INSTALL_CUDNN_RELEASE);
  return copy_file(m->cuda_manifest, cuda, error) && copy_file(m->cudnn_manifest, cudnn, error) &&
         write_pins(m, out, error) && write_cudnn_row(out, cuda_root, error);
}

/* Renames @tmp to @final; when another process got there first, keeps theirs. */
static gboolean publish(const char *tmp, const char *final, GError **error)
{
  if (g_rename(tmp, final) == 0)
    return TRUE;
  int saved = errno;
  cup_test_remove_tree(tmp);
  if ((saved == ENOTEMPTY || saved == EEXIST) && g_file_test(final, G_FILE_TEST_IS_DIR))
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot rename %s to %s: %s", tmp, final,
              g_strerror(saved));
  return FALSE;
}

/* The catalog for @manifests_dir next to the mirror: made once per content of that dir. */
static gboolean ensure_catalog(CupTestInstallMirror *m, const char *manifests_dir,
                               const char *cuda_root, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  list_files(manifests_dir, "", files);
  if (!g_ptr_array_find_with_equal_func(files, "cudnn.json", g_str_equal, NULL)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG,
                "%s has no cudnn.json: pass the project's manifests/ directory", manifests_dir);
    return FALSE;
  }
  g_autofree char *key = manifests_key(manifests_dir, files);
  g_autofree char *name = g_strdup_printf("catalog-%s", key);
  m->catalog = g_build_filename(m->dir, name, NULL);
  if (g_file_test(m->catalog, G_FILE_TEST_IS_DIR))
    return TRUE;
  g_autofree char *tmp = g_strdup_printf("%s.tmp-XXXXXX", m->catalog);
  if (g_mkdtemp_full(tmp, 0755) == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot create %s: %s", tmp, g_strerror(errno));
    return FALSE;
  }
  if (!build_catalog(m, manifests_dir, files, cuda_root, tmp, error)) {
    cup_test_remove_tree(tmp);
    return FALSE;
  }
  return publish(tmp, m->catalog, error);
}

/* ---- the cache: lock, reuse or build ----------------------------------------------------------
 */

static int lock_key(const char *path, GError **error)
{
  int fd = g_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot open %s: %s", path, g_strerror(errno));
    return -1;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) == 0)
    return fd;
  fprintf(stderr, "install mirror: waiting for another process building it (%s)\n", path);
  while (flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot lock %s: %s", path, g_strerror(errno));
      close(fd);
      return -1;
    }
  }
  return fd;
}

/* What a builder killed half-way left: <key>.tmp-* and <key>.stale-* (we hold the key's lock,
 * so none of them is in use). */
static void remove_leftovers(const char *base, const char *key)
{
  g_autoptr(GDir) d = g_dir_open(base, 0, NULL);
  g_autofree char *tmp = g_strconcat(key, ".tmp-", NULL),
                  *stale = g_strconcat(key, ".stale-", NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    if (g_str_has_prefix(name, tmp) || g_str_has_prefix(name, stale)) {
      g_autofree char *path = g_build_filename(base, name, NULL);
      cup_test_remove_tree(path);
    }
  }
}

static void discard(const char *base, const char *key, const char *entry)
{
  g_autofree char *stale = g_strdup_printf("%s/%s.stale-XXXXXX", base, key);
  if (g_mkdtemp(stale) != NULL && g_rename(entry, stale) != 0)
    cup_test_remove_tree(entry);
  cup_test_remove_tree(stale);
}

static gboolean build(GPtrArray *jobs, const char *base, const char *key, const char *cuda_root,
                      GError **error)
{
  g_autofree char *tmp = g_strdup_printf("%s/%s.tmp-XXXXXX", base, key);
  g_autofree char *entry = g_build_filename(base, key, NULL);
  if (g_mkdtemp_full(tmp, 0755) == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot create %s: %s", tmp, g_strerror(errno));
    return FALSE;
  }
  g_autofree char *what = cup_test_im_describe(jobs);
  fprintf(stderr, "install mirror: building it from %s into %s (%s)\n", cuda_root, entry, what);
  gint64 start = g_get_monotonic_time();
  if (!cup_test_im_write(jobs, tmp, error)) {
    cup_test_remove_tree(tmp);
    return FALSE;
  }
  fprintf(stderr, "install mirror: built in %.0f s\n",
          (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
  return publish(tmp, entry, error);
}

/* Under the key's lock: the verified cached mirror, else a fresh one. */
static CupTestInstallMirror *reuse_or_build(GPtrArray *jobs, const char *base, const char *key,
                                            const char *cuda_root, GError **error)
{
  remove_leftovers(base, key);
  g_autofree char *entry = g_build_filename(base, key, NULL);
  g_autofree char *why = NULL;
  if (g_file_test(entry, G_FILE_TEST_IS_DIR)) {
    CupTestInstallMirror *m = load_index(entry, &why);
    if (m != NULL && verify(m, &why))
      return m;
    cup_test_install_mirror_free(m);
    fprintf(stderr, "install mirror: the cached copy at %s is damaged (%s); rebuilding\n", entry,
            why);
    discard(base, key, entry);
  }
  if (!build(jobs, base, key, cuda_root, error))
    return NULL;
  g_clear_pointer(&why, g_free);
  CupTestInstallMirror *m = load_index(entry, &why);
  if (m == NULL)
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "the mirror just built is unreadable: %s", why);
  else
    m->built = TRUE;
  return m;
}

static char *cache_base(const CupTestInstallMirrorOptions *o)
{
  if (o && o->cache_dir)
    return g_strdup(o->cache_dir);
  const char *env = g_getenv(CUP_TEST_INSTALL_MIRROR_CACHE_ENV);
  if (env && *env)
    return g_strdup(env);
  return g_build_filename(g_get_user_cache_dir(), "cudaup-test-mirror", NULL);
}

CupTestInstallMirror *cup_test_install_mirror_get_with(const CupTestInstallMirrorOptions *options,
                                                       const char *manifests_dir, GError **error)
{
  gint64 start = g_get_monotonic_time();
  const char *cuda_root = options && options->cuda_root ? options->cuda_root : DEFAULT_CUDA_ROOT;
  int preset = options && options->xz_preset > 0 ? MIN(options->xz_preset, 9) : DEFAULT_XZ_PRESET;
  g_autoptr(GPtrArray) jobs = cup_test_im_plan(cuda_root, preset, error);
  if (jobs == NULL)
    return NULL;
  g_autofree char *key = cup_test_im_key(jobs, cuda_root);
  g_autofree char *base = cache_base(options);
  g_autofree char *lock = g_strdup_printf("%s/%s.lock", base, key);
  if (g_mkdir_with_parents(base, 0755) != 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot create %s: %s", base, g_strerror(errno));
    return NULL;
  }
  int fd = lock_key(lock, error);
  if (fd < 0)
    return NULL;
  g_autoptr(CupTestInstallMirror) m = reuse_or_build(jobs, base, key, cuda_root, error);
  gboolean ok = m != NULL && ensure_catalog(m, manifests_dir, cuda_root, error);
  close(fd);
  if (!ok)
    return NULL;
  m->seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
  return g_steal_pointer(&m);
}

CupTestInstallMirror *cup_test_install_mirror_get(const char *manifests_dir, GError **error)
{
  return cup_test_install_mirror_get_with(NULL, manifests_dir, error);
}

const CupTestInstallArchive *cup_test_install_mirror_find(const CupTestInstallMirror *mirror,
                                                          const char *component,
                                                          const char *platform)
{
  for (guint i = 0; i < mirror->archives->len; i++) {
    const CupTestInstallArchive *a = g_ptr_array_index(mirror->archives, i);
    if (strcmp(a->component, component) == 0 && strcmp(a->platform, platform) == 0)
      return a;
  }
  return NULL;
}

void cup_test_install_mirror_free(CupTestInstallMirror *mirror)
{
  if (mirror == NULL)
    return;
  g_free(mirror->dir);
  g_free(mirror->root);
  g_free(mirror->catalog);
  g_free(mirror->cuda_manifest);
  g_free(mirror->cudnn_manifest);
  g_ptr_array_unref(mirror->archives);
  g_free(mirror);
}
