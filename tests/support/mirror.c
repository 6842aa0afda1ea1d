/* mirror.c - builds a mirror tree in NVIDIA's redist layout for the tests: real files of the
 * CUDA toolkit on this machine packed with libarchive the way NVIDIA packs them, and redistrib
 * JSON written in the exact form of NVIDIA's files (manifests/redist holds real ones). */
#include "tests/support/mirror.h"
#include "tests/testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CUDA_ROOT "/usr/local/cuda"
#define IO_BLOCK (1024 * 1024)
/* A fixed mtime (2025-08-04) keeps archive bytes the same from one build to the next. */
#define ARCHIVE_MTIME 1754265600

typedef struct {
  char *name;          /* below the archive's top directory */
  char *source;        /* a file whose bytes are copied, or NULL */
  char *link;          /* a symlink target, or NULL */
  char *text;          /* generated content when there is neither */
  gboolean linux_only; /* left out of the Windows .zip (the 30 MB nvcc ELF) */
} Entry;

typedef struct {
  const char *release, *date, *cudart, *nvcc;
} CudaRelease;

typedef struct {
  const char *release, *date, *version;
} CudnnRelease;

/* Release dates and component versions of the releases in manifests/redist; other releases
 * get made-up ones. */
static const CudaRelease cuda_releases[] = {
    {"11.8.0", "2022-10-03", "11.8.89", "11.8.89"},
    {"12.4.1", "2024-04-03", "12.4.127", "12.4.131"},
    {"13.0.0", "2025-08-04", "13.0.48", "13.0.48"},
};
static const CudnnRelease cudnn_releases[] = {
    {"9.1.1", "2024-05-02", "9.1.1.17"},
    {"9.13.0", "2025-09-04", "9.13.0.50"},
};

static const char *const platforms[] = {"linux-x86_64", "windows-x86_64"};
static const char *const cudnn_variants[] = {"12", "13"};

/* ---- archive content ---- */

static void entry_free(gpointer data)
{
  Entry *e = data;
  g_free(e->name);
  g_free(e->source);
  g_free(e->link);
  g_free(e->text);
  g_free(e);
}

/* Adds @name with the bytes of @source, or generated text when @source is NULL or absent. */
static void add_file(GPtrArray *entries, const char *name, const char *source, gboolean *real)
{
  Entry *e = g_new0(Entry, 1);
  e->name = g_strdup(name);
  if (source != NULL && g_file_test(source, G_FILE_TEST_IS_REGULAR)) {
    e->source = g_strdup(source);
  } else {
    e->text =
        g_strdup_printf("%s: generated test content (no CUDA toolkit at " CUDA_ROOT ")\n", name);
    *real = FALSE;
  }
  g_ptr_array_add(entries, e);
}

static void add_link(GPtrArray *entries, const char *name, const char *target)
{
  Entry *e = g_new0(Entry, 1);
  e->name = g_strdup(name);
  e->link = g_strdup(target);
  g_ptr_array_add(entries, e);
}

/* The first file of @dir whose name starts with @prefix (a versioned library), or NULL. */
static char *find_prefixed(const char *dir, const char *prefix)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  if (d == NULL)
    return NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL)
    if (g_str_has_prefix(name, prefix))
      g_ptr_array_add(names, g_strdup(name));
  if (names->len == 0)
    return NULL;
  g_ptr_array_sort(names, cup_test_compare_strings);
  return g_build_filename(dir, g_ptr_array_index(names, 0), NULL);
}

/* The license text of a pip-style toolkit (dist-info/<wheel>-*), else the toolkit's EULA. */
static char *license_source(const char *wheel_prefix)
{
  g_autofree char *info = find_prefixed(CUDA_ROOT "/dist-info", wheel_prefix);
  if (info != NULL)
    return g_build_filename(info, "licenses", "License.txt", NULL);
  return g_strdup(CUDA_ROOT "/EULA.txt");
}

/* lib/<stem>.<version> with NVIDIA's two symlinks: <stem>.<major> and <stem>. */
static void add_library(GPtrArray *entries, const char *stem, const char *version, gboolean *real)
{
  g_autofree char *prefix = g_strdup_printf("%s.", stem);
  g_autofree char *source = find_prefixed(CUDA_ROOT "/lib64", prefix);
  g_auto(GStrv) parts = g_strsplit(version, ".", -1);
  g_autofree char *file = g_strdup_printf("%s.%s", stem, version);
  g_autofree char *major = g_strdup_printf("%s.%s", stem, parts[0]);
  g_autofree char *name = g_strdup_printf("lib/%s", file);
  g_autofree char *major_name = g_strdup_printf("lib/%s", major);
  g_autofree char *stem_name = g_strdup_printf("lib/%s", stem);
  add_file(entries, name, source, real);
  add_link(entries, major_name, file);
  add_link(entries, stem_name, major);
}

static GPtrArray *cudart_entries(const char *version, gboolean *real)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func(entry_free);
  add_library(entries, "libcudart.so", version, real);
  add_file(entries, "include/cuda_runtime_api.h", CUDA_ROOT "/include/cuda_runtime_api.h", real);
  add_file(entries, "include/cuda_runtime.h", CUDA_ROOT "/include/cuda_runtime.h", real);
  add_file(entries, "include/driver_types.h", CUDA_ROOT "/include/driver_types.h", real);
  g_autofree char *license = license_source("nvidia_cuda_runtime-");
  add_file(entries, "LICENSE", license, real);
  return entries;
}

static GPtrArray *nvcc_entries(gboolean *real)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func(entry_free);
  /* The real compiler driver, so an installed tree can run `nvcc --version`. */
  add_file(entries, "bin/nvcc", CUDA_ROOT "/bin/nvcc", real);
  ((Entry *)g_ptr_array_index(entries, 0))->linux_only = TRUE;
  add_file(entries, "bin/nvcc.profile", CUDA_ROOT "/bin/nvcc.profile", real);
  add_file(entries, "bin/crt/link.stub", CUDA_ROOT "/bin/crt/link.stub", real);
  g_autofree char *license = license_source("nvidia_cuda_nvcc-");
  add_file(entries, "LICENSE", license, real);
  return entries;
}

static GPtrArray *cudnn_entries(const char *version, gboolean *real)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func(entry_free);
  add_file(entries, "include/cudnn.h", CUDA_ROOT "/include/cudnn.h", real);
  add_file(entries, "include/cudnn_version.h", CUDA_ROOT "/include/cudnn_version.h", real);
  /* NVIDIA names the library by the first three parts: libcudnn.so.9.13.0. */
  g_auto(GStrv) parts = g_strsplit(version, ".", 4);
  g_autofree char *short_version = g_strjoin(".", parts[0], parts[1] ? parts[1] : "0",
                                             parts[1] && parts[2] ? parts[2] : "0", NULL);
  add_library(entries, "libcudnn.so", short_version, real);
  g_autofree char *license = license_source("nvidia_cudnn_");
  add_file(entries, "LICENSE", license, real);
  return entries;
}

/* Windows archives hold no symlinks; libraries go to bin/ (as DLLs do) and lib/x64/. */
static GPtrArray *windows_entries(const GPtrArray *linux_entries)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(entry_free);
  for (guint i = 0; i < linux_entries->len; i++) {
    const Entry *e = g_ptr_array_index(linux_entries, i);
    if (e->link != NULL || e->linux_only)
      continue;
    const char *base = g_str_has_prefix(e->name, "lib/") ? e->name + 4 : NULL;
    for (int copy = 0; copy < (base ? 2 : 1); copy++) {
      Entry *w = g_new0(Entry, 1);
      w->name = base ? g_strconcat(copy == 0 ? "bin/" : "lib/x64/", base, NULL) : g_strdup(e->name);
      w->source = g_strdup(e->source);
      w->text = g_strdup(e->text);
      g_ptr_array_add(out, w);
    }
  }
  return out;
}

/* ---- writing archives ---- */

static void check(struct archive *a, int r, const char *what, const char *file)
{
  if (r < ARCHIVE_OK)
    g_error("libarchive: %s %s: %s", what, file, archive_error_string(a));
}

static void write_header(struct archive *a, const char *path, mode_t type, mode_t perm, gint64 size,
                         const char *link, const char *file)
{
  struct archive_entry *entry = archive_entry_new();
  archive_entry_set_pathname(entry, path);
  archive_entry_set_filetype(entry, type);
  archive_entry_set_perm(entry, perm);
  archive_entry_set_size(entry, size);
  archive_entry_set_mtime(entry, ARCHIVE_MTIME, 0);
  if (link != NULL)
    archive_entry_set_symlink(entry, link);
  check(a, archive_write_header(a, entry), "writing a header of", file);
  archive_entry_free(entry);
}

/* Copies up to @limit bytes of @source into the current entry, in IO_BLOCK pieces. */
static void copy_data(struct archive *a, const char *source, guint64 limit, const char *file)
{
  int fd = g_open(source, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    g_error("cannot read %s: %s", source, g_strerror(errno));
  g_autofree char *buf = g_malloc(IO_BLOCK);
  while (limit > 0) {
    gssize n = read(fd, buf, (gsize)MIN(limit, (guint64)IO_BLOCK));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (archive_write_data(a, buf, (gsize)n) != n)
      g_error("libarchive: writing %s: %s", file, archive_error_string(a));
    limit -= (guint64)n;
  }
  close(fd);
}

static void write_entry(struct archive *a, const char *top, const Entry *e, const char *file)
{
  g_autofree char *path = g_strconcat(top, "/", e->name, NULL);
  if (e->link != NULL) {
    write_header(a, path, AE_IFLNK, 0777, 0, e->link, file);
    return;
  }
  if (e->text != NULL) {
    write_header(a, path, AE_IFREG, 0644, (gint64)strlen(e->text), NULL, file);
    if (archive_write_data(a, e->text, strlen(e->text)) != (la_ssize_t)strlen(e->text))
      g_error("libarchive: writing %s: %s", file, archive_error_string(a));
    return;
  }
  GStatBuf st;
  if (g_stat(e->source, &st) != 0)
    g_error("cannot stat %s: %s", e->source, g_strerror(errno));
  mode_t perm = (st.st_mode & 0111) != 0 ? 0755 : 0644;
  write_header(a, path, AE_IFREG, perm, (gint64)st.st_size, NULL, file);
  copy_data(a, e->source, (guint64)st.st_size, file);
}

/* Directory entries for the top directory and every parent of an entry, parents first. */
static void write_directories(struct archive *a, const char *top, const GPtrArray *entries,
                              const char *file)
{
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(dirs, g_strdup(top));
  for (guint i = 0; i < entries->len; i++) {
    const Entry *e = g_ptr_array_index(entries, i);
    for (const char *slash = strchr(e->name, '/'); slash; slash = strchr(slash + 1, '/')) {
      g_autofree char *dir = g_strdup_printf("%s/%.*s", top, (int)(slash - e->name), e->name);
      if (!g_ptr_array_find_with_equal_func(dirs, dir, g_str_equal, NULL))
        g_ptr_array_add(dirs, g_steal_pointer(&dir));
    }
  }
  g_ptr_array_sort(dirs, cup_test_compare_strings);
  for (guint i = 0; i < dirs->len; i++) {
    g_autofree char *path = g_strconcat(g_ptr_array_index(dirs, i), "/", NULL);
    write_header(a, path, AE_IFDIR, 0755, 0, NULL, file);
  }
}

static void write_archive(const char *file, const char *top, const GPtrArray *entries, gboolean zip)
{
  struct archive *a = archive_write_new();
  if (zip) {
    check(a, archive_write_set_format_zip(a), "zip format for", file);
    check(a, archive_write_set_format_option(a, "zip", "compression-level", "1"), "zip level",
          file);
  } else {
    /* NVIDIA's .tar.xz archives are pax-restricted (plain ustar where it fits) with xz; the
     * fastest xz preset keeps the tests quick under the sanitizers. */
    check(a, archive_write_set_format_pax_restricted(a), "tar format for", file);
    check(a, archive_write_add_filter_xz(a), "xz for", file);
    check(a, archive_write_set_filter_option(a, "xz", "compression-level", "0"), "xz level", file);
  }
  check(a, archive_write_open_filename(a, file), "opening", file);
  write_directories(a, top, entries, file);
  for (guint i = 0; i < entries->len; i++)
    write_entry(a, top, g_ptr_array_index(entries, i), file);
  check(a, archive_write_close(a), "closing", file);
  archive_write_free(a);
}

/* ---- the mirror ---- */

static void test_archive_free(gpointer data)
{
  CupTestArchive *ar = data;
  g_free(ar->component);
  g_free(ar->platform);
  g_free(ar->cuda_variant);
  g_free(ar->relative_path);
  g_free(ar->path);
  g_free(ar->file);
  g_free(ar->sha256);
  g_free(ar);
}

/* SHA-256, MD5 and size of @file in one pass. */
static void hash_file(const char *file, char **sha256, char **md5, guint64 *size)
{
  g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
  g_autoptr(GChecksum) m = g_checksum_new(G_CHECKSUM_MD5);
  int fd = g_open(file, O_RDONLY | O_CLOEXEC, 0);
  g_assert_cmpint(fd, >=, 0);
  g_autofree guchar *buf = g_malloc(IO_BLOCK);
  gssize n;
  *size = 0;
  while ((n = read(fd, buf, IO_BLOCK)) > 0) {
    g_checksum_update(sha, buf, n);
    g_checksum_update(m, buf, n);
    *size += (guint64)n;
  }
  g_assert_cmpint(n, ==, 0);
  close(fd);
  *sha256 = g_strdup(g_checksum_get_string(sha));
  *md5 = g_strdup(g_checksum_get_string(m));
}

typedef struct {
  CupTestMirror *mirror;
  const char *product;   /* "cuda", "cudnn" */
  const char *component; /* "cuda_cudart" */
  const char *version;   /* the component's */
  const char *variant;   /* "13" for cuDNN 9, else NULL */
  const GPtrArray *linux_entries;
} Build;

/* Writes one archive of @b for @platform and returns its manifest object. */
static json_t *build_archive(const Build *b, const char *platform)
{
  gboolean windows = g_str_has_prefix(platform, "windows");
  g_autofree char *suffix = b->variant ? g_strdup_printf("_cuda%s", b->variant) : g_strdup("");
  g_autofree char *top =
      g_strdup_printf("%s-%s-%s%s-archive", b->component, platform, b->version, suffix);
  g_autofree char *name = g_strconcat(top, windows ? ".zip" : ".tar.xz", NULL);
  CupTestArchive *ar = g_new0(CupTestArchive, 1);
  ar->component = g_strdup(b->component);
  ar->platform = g_strdup(platform);
  ar->cuda_variant = b->variant ? g_strdup_printf("cuda%s", b->variant) : NULL;
  ar->relative_path = g_strdup_printf("%s/%s/%s", b->component, platform, name);
  ar->path = g_strdup_printf("%s/redist/%s", b->product, ar->relative_path);
  ar->file = g_build_filename(b->mirror->root, ar->path, NULL);
  g_autofree char *dir = g_path_get_dirname(ar->file);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);

  g_autoptr(GPtrArray) win = windows ? windows_entries(b->linux_entries) : NULL;
  write_archive(ar->file, top, windows ? win : b->linux_entries, windows);
  g_autofree char *md5 = NULL;
  hash_file(ar->file, &ar->sha256, &md5, &ar->size);
  g_ptr_array_add(b->mirror->archives, ar);

  g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, ar->size);
  return json_pack("{s:s, s:s, s:s, s:s}", "relative_path", ar->relative_path, "sha256", ar->sha256,
                   "md5", md5, "size", size);
}

/* The component object: name, license, license_path, version, then one member per platform
 * (cuDNN 9: per platform one member per cuda variant, and "cuda_variant" after the first
 * platform, where NVIDIA puts it). */
static json_t *build_component(Build *b, const char *display_name, const char *license)
{
  g_autofree char *license_path = g_strdup_printf("%s/LICENSE.txt", b->component);
  json_t *obj = json_pack("{s:s, s:s, s:s, s:s}", "name", display_name, "license", license,
                          "license_path", license_path, "version", b->version);
  for (gsize p = 0; p < G_N_ELEMENTS(platforms); p++) {
    if (g_strcmp0(b->product, "cudnn") != 0) {
      json_object_set_new(obj, platforms[p], build_archive(b, platforms[p]));
      continue;
    }
    json_t *variants = json_object();
    for (gsize v = 0; v < G_N_ELEMENTS(cudnn_variants); v++) {
      b->variant = cudnn_variants[v];
      g_autofree char *key = g_strdup_printf("cuda%s", b->variant);
      json_object_set_new(variants, key, build_archive(b, platforms[p]));
    }
    b->variant = NULL;
    json_object_set_new(obj, platforms[p], variants);
    if (p == 0)
      json_object_set_new(obj, "cuda_variant", json_pack("[s, s]", "12", "13"));
  }
  return obj;
}

static char *write_manifest(const char *root, const char *product, const char *release, json_t *doc)
{
  char *path = g_strdup_printf("%s/%s/redist/redistrib_%s.json", root, product, release);
  g_autofree char *dir = g_path_get_dirname(path);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  /* NVIDIA's files: 4-space indent, keys in this order, no newline at the end. */
  if (json_dump_file(doc, path, JSON_INDENT(4) | JSON_PRESERVE_ORDER) != 0)
    g_error("cannot write %s", path);
  json_decref(doc);
  return path;
}

static json_t *manifest_head(const char *date, const char *release, const char *product)
{
  return json_pack("{s:s, s:s, s:s}", "release_date", date, "release_label", release,
                   "release_product", product);
}

static void build_cuda(CupTestMirror *mirror, const char *release, gboolean *real)
{
  CudaRelease r = {release, "2025-01-01", release, release};
  for (gsize i = 0; i < G_N_ELEMENTS(cuda_releases); i++)
    if (g_strcmp0(cuda_releases[i].release, release) == 0)
      r = cuda_releases[i];
  json_t *doc = manifest_head(r.date, release, "cuda");
  g_autoptr(GPtrArray) cudart = cudart_entries(r.cudart, real);
  Build b = {mirror, "cuda", "cuda_cudart", r.cudart, NULL, cudart};
  json_object_set_new(doc, "cuda_cudart",
                      build_component(&b, "CUDA Runtime (cudart)", "CUDA Toolkit"));
  g_autoptr(GPtrArray) nvcc = nvcc_entries(real);
  Build n = {mirror, "cuda", "cuda_nvcc", r.nvcc, NULL, nvcc};
  json_object_set_new(doc, "cuda_nvcc", build_component(&n, "CUDA NVCC", "CUDA Toolkit"));
  mirror->cuda_manifest = write_manifest(mirror->root, "cuda", release, doc);
}

static void build_cudnn(CupTestMirror *mirror, const char *release, gboolean *real)
{
  g_autofree char *made_up = g_strdup_printf("%s.0", release);
  CudnnRelease r = {release, "2025-01-01", made_up};
  for (gsize i = 0; i < G_N_ELEMENTS(cudnn_releases); i++)
    if (g_strcmp0(cudnn_releases[i].release, release) == 0)
      r = cudnn_releases[i];
  json_t *doc = manifest_head(r.date, release, "cudnn");
  g_autoptr(GPtrArray) entries = cudnn_entries(r.version, real);
  Build b = {mirror, "cudnn", "cudnn", r.version, NULL, entries};
  json_object_set_new(doc, "cudnn",
                      build_component(&b, "NVIDIA CUDA Deep Neural Network library", "cudnn"));
  mirror->cudnn_manifest = write_manifest(mirror->root, "cudnn", release, doc);
}

CupTestMirror *cup_test_mirror_build(const char *root, const char *cuda_release,
                                     const char *cudnn_release)
{
  g_assert_cmpint(g_mkdir_with_parents(root, 0755), ==, 0);
  CupTestMirror *mirror = g_new0(CupTestMirror, 1);
  mirror->root = g_strdup(root);
  mirror->archives = g_ptr_array_new_with_free_func(test_archive_free);
  gboolean real = TRUE;
  build_cuda(mirror, cuda_release, &real);
  build_cudnn(mirror, cudnn_release, &real);
  mirror->real_content = real;
  if (!real)
    g_printerr("mirror: no complete CUDA toolkit with cuDNN at " CUDA_ROOT "; archives hold "
               "generated files instead of real ones\n");
  return mirror;
}

const CupTestArchive *cup_test_mirror_find(const CupTestMirror *mirror, const char *component,
                                           const char *platform)
{
  for (guint i = 0; i < mirror->archives->len; i++) {
    const CupTestArchive *ar = g_ptr_array_index(mirror->archives, i);
    if (g_strcmp0(ar->component, component) == 0 && g_strcmp0(ar->platform, platform) == 0)
      return ar;
  }
  return NULL;
}

void cup_test_mirror_free(CupTestMirror *mirror)
{
  if (mirror == NULL)
    return;
  g_free(mirror->root);
  g_ptr_array_unref(mirror->archives);
  g_free(mirror->cuda_manifest);
  g_free(mirror->cudnn_manifest);
  g_free(mirror);
}

/* ---- the big archive ---- */

typedef struct {
  int fd;
  GChecksum *sha;
} BigSink;

static la_ssize_t big_write(struct archive *a, void *data, const void *buf, size_t len)
{
  BigSink *sink = data;
  const char *p = buf;
  for (size_t left = len; left > 0;) {
    ssize_t n = write(sink->fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      archive_set_error(a, errno, "write: %s", g_strerror(errno));
      return -1;
    }
    p += n;
    left -= (size_t)n;
  }
  g_checksum_update(sink->sha, buf, (gssize)len);
  return (la_ssize_t)len;
}

/* Regular non-empty files of CUDA_ROOT/lib64 (the cuDNN and CUDA libraries), by name. */
static GPtrArray *big_sources(void)
{
  GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GDir) d = g_dir_open(CUDA_ROOT "/lib64", 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *path = g_build_filename(CUDA_ROOT "/lib64", name, NULL);
    GStatBuf st;
    if (!g_file_test(path, G_FILE_TEST_IS_SYMLINK) && g_stat(path, &st) == 0 &&
        S_ISREG(st.st_mode) && st.st_size > 0)
      g_ptr_array_add(files, g_steal_pointer(&path));
  }
  g_ptr_array_sort(files, cup_test_compare_strings);
  return files;
}

/* One entry of @size bytes of pseudo-random data, for machines without a toolkit. */
static void write_generated(struct archive *a, const char *path, guint64 size, const char *file)
{
  write_header(a, path, AE_IFREG, 0644, (gint64)size, NULL, file);
  g_autoptr(GRand) rand = g_rand_new_with_seed((guint32)size);
  g_autofree guint32 *buf = g_malloc(IO_BLOCK);
  for (guint64 left = size; left > 0;) {
    gsize n = (gsize)MIN(left, (guint64)IO_BLOCK);
    for (gsize i = 0; i < IO_BLOCK / 4; i++)
      buf[i] = g_rand_int(rand);
    if (archive_write_data(a, buf, n) != (la_ssize_t)n)
      g_error("libarchive: writing %s: %s", file, archive_error_string(a));
    left -= n;
  }
}

char *cup_test_mirror_big_archive(const char *file, guint64 bytes)
{
  g_autoptr(GPtrArray) sources = big_sources();
  if (sources->len == 0)
    g_printerr("mirror: no CUDA libraries at " CUDA_ROOT "/lib64; the big archive holds "
               "generated bytes\n");
  BigSink sink = {g_open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644),
                  g_checksum_new(G_CHECKSUM_SHA256)};
  g_assert_cmpint(sink.fd, >=, 0);
  struct archive *a = archive_write_new();
  check(a, archive_write_set_format_pax_restricted(a), "tar format for", file);
  check(a, archive_write_open2(a, &sink, NULL, big_write, NULL, NULL), "opening", file);
  /* Entries are repeated under new names until the payload reaches @bytes. */
  guint64 written = 0;
  for (guint i = 0; written < bytes; i++) {
    guint64 left = bytes - written;
    g_autofree char *path = NULL;
    if (sources->len == 0) {
      path = g_strdup_printf("big/generated-%u.bin", i);
      write_generated(a, path, MIN(left, (guint64)64 * IO_BLOCK), file);
      written += MIN(left, (guint64)64 * IO_BLOCK);
      continue;
    }
    const char *source = g_ptr_array_index(sources, i % sources->len);
    GStatBuf st;
    g_assert_cmpint(g_stat(source, &st), ==, 0);
    guint64 size = MIN((guint64)st.st_size, left);
    g_autofree char *base = g_path_get_basename(source);
    path = g_strdup_printf("big/%u/%s", i / sources->len, base);
    write_header(a, path, AE_IFREG, 0644, (gint64)size, NULL, file);
    copy_data(a, source, size, file);
    written += size;
  }
  check(a, archive_write_close(a), "closing", file);
  archive_write_free(a);
  close(sink.fd);
  char *sha = g_strdup(g_checksum_get_string(sink.sha));
  g_checksum_free(sink.sha);
  return sha;
}
