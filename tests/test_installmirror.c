/* test_installmirror.c - the real-content install mirror (tests/support/installmirror.h): its
 * archives against their manifests, NVIDIA's layout and symlink chain in the cuDNN archives, a
 * real nvcc run from the unpacked CUDA archives, the test catalog (loaded, and planned from by
 * the CLI), and the cache: fast reuse, damage found and rebuilt, two builders at once. The
 * cache tests use a small stand-in toolkit and a private cache, so they never disturb the
 * shared copy other test runs are using. */
#include "core/catalog.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/extract.h"
#include "core/redist.h"
#include "tests/support/installmirror.h"
#include "tests/support/nginx.h"
#include "tests/testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#define CUDNN_TOP "cudnn-linux-x86_64-" CUP_TEST_INSTALL_CUDNN_VERSION "_cuda13-archive/"
#define CUDNN_WIN_TOP "cudnn-windows-x86_64-" CUP_TEST_INSTALL_CUDNN_VERSION "_cuda13-archive/"

static const char *const cuda_components[] = {"cuda_cccl", "cuda_crt", "cuda_cudart", "cuda_nvcc",
                                              "libnvvm"};

static CupTestInstallMirror *mirror;
static char *reason;

/* The shared mirror of /usr/local/cuda, got once per program; NULL (and @why) without one. */
static CupTestInstallMirror *real_mirror(const char **why)
{
  if (mirror == NULL && reason == NULL) {
    g_autoptr(GError) error = NULL;
    mirror = cup_test_install_mirror_get(CUP_TEST_MANIFESTS, &error);
    if (mirror == NULL)
      reason = g_strdup_printf("no install mirror: %s", error->message);
  }
  *why = reason;
  return mirror;
}

#define GET_REAL_OR_SKIP(m)                                                                        \
  const char *why_ = NULL;                                                                         \
  const CupTestInstallMirror *m = real_mirror(&why_);                                              \
  if (m == NULL) {                                                                                 \
    g_test_skip(why_);                                                                             \
    return;                                                                                        \
  }

static CupRedistManifest *load_manifest(const char *path, CupRedistKind kind)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_get_contents(path, &text, &len, NULL));
  CupRedistManifest *manifest = cup_redist_parse(text, len, kind, path, &error);
  g_assert_no_error(error);
  return manifest;
}

/* Every archive is listed by its manifest with its path, size and SHA-256, and its bytes
 * have that SHA-256; the manifests list nothing else. */
static void test_archives_match_manifests(void)
{
  GET_REAL_OR_SKIP(m);
  g_autoptr(CupRedistManifest) cuda = load_manifest(m->cuda_manifest, CUP_REDIST_CUDA);
  g_autoptr(CupRedistManifest) cudnn = load_manifest(m->cudnn_manifest, CUP_REDIST_CUDNN);
  g_assert_cmpstr(cuda->release, ==, CUP_TEST_INSTALL_CUDA_RELEASE);
  g_assert_cmpstr(cudnn->release, ==, CUP_TEST_INSTALL_CUDNN_RELEASE);
  g_assert_cmpuint(cuda->components->len, ==, G_N_ELEMENTS(cuda_components));
  g_assert_cmpuint(m->archives->len, ==, G_N_ELEMENTS(cuda_components) + 2);
  for (guint i = 0; i < m->archives->len; i++) {
    const CupTestInstallArchive *a = g_ptr_array_index(m->archives, i);
    const CupRedistManifest *man = a->cuda_variant ? cudnn : cuda;
    const CupRedistArchive *r = cup_redist_find(man, a->component, a->platform, a->cuda_variant);
    g_assert_nonnull(r);
    g_autofree char *path =
        g_strdup_printf("%s/redist/%s", a->cuda_variant ? "cudnn" : "cuda", r->relative_path);
    g_assert_cmpstr(path, ==, a->path);
    g_assert_cmpstr(r->sha256, ==, a->sha256);
    g_assert_cmpuint(r->size, ==, a->size);
    g_assert_true(g_str_has_prefix(a->file, m->root));
    g_autoptr(GError) error = NULL;
    guint64 size = 0;
    g_autofree char *sha = cup_sha256_file(a->file, G_MAXUINT64, &size, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(sha, ==, a->sha256);
    g_assert_cmpuint(size, ==, a->size);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(cuda_components); i++)
    g_assert_nonnull(cup_test_install_mirror_find(m, cuda_components[i], "linux-x86_64"));
  g_assert_nonnull(cup_test_install_mirror_find(m, "cudnn", "windows-x86_64"));
}

/* The cuDNN .tar.xz is one xz stream of one block, as NVIDIA's are, and about the size the
 * benchmark expects (xz --robot --list reads only the index). */
static void test_cudnn_single_block(void)
{
  GET_REAL_OR_SKIP(m);
  g_autofree char *xz = g_find_program_in_path("xz");
  if (xz == NULL) {
    g_test_skip("xz is not installed (apt-get install xz-utils); it reads the block count");
    return;
  }
  const CupTestInstallArchive *a = cup_test_install_mirror_find(m, "cudnn", "linux-x86_64");
  const char *argv[] = {xz, "--robot", "--list", a->file, NULL};
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, NULL,
               &error);
  g_assert_no_error(error);
  g_autofree char *line =
      g_strstr_len(out, -1, "\nfile\t") ? g_strdup(strstr(out, "\nfile\t") + 1) : NULL;
  g_assert_nonnull(line);
  g_auto(GStrv) fields = g_strsplit(line, "\t", -1);
  g_assert_cmpstr(fields[1], ==, "1"); /* streams */
  g_assert_cmpstr(fields[2], ==, "1"); /* blocks */
  g_assert_cmpuint(a->unpacked_size, >, 400u * 1024 * 1024);
  g_assert_cmpuint(a->size, <, a->unpacked_size);
}

typedef struct {
  GHashTable *types; /* name below the top -> "file" / "link:TARGET" / "dir" */
  GHashTable *sizes; /* name -> guint64 size, files only */
  guint64 unpacked;
} Listing;

static void listing_clear(Listing *l)
{
  g_hash_table_unref(l->types);
  g_hash_table_unref(l->sizes);
}

/* Every entry of @file below @top, read with libarchive (no data written anywhere). */
static Listing list_archive(const char *file, const char *top)
{
  Listing l = {g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
               g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL), 0};
  struct archive *a = archive_read_new();
  archive_read_support_filter_xz(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_zip_seekable(a);
  g_assert_cmpint(archive_read_open_filename(a, file, 1 << 20), ==, ARCHIVE_OK);
  struct archive_entry *e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    const char *path = archive_entry_pathname(e);
    g_assert_true(g_str_has_prefix(path, top)); /* one top directory */
    const char *name = path + strlen(top);
    mode_t type = archive_entry_filetype(e);
    char *what = type == AE_IFLNK   ? g_strconcat("link:", archive_entry_symlink(e), NULL)
                 : type == AE_IFDIR ? g_strdup("dir")
                                    : g_strdup("file");
    g_assert_true(type == AE_IFLNK || type == AE_IFDIR || type == AE_IFREG);
    g_hash_table_insert(l.types, g_strdup(name), what);
    if (type == AE_IFREG) {
      g_hash_table_insert(l.sizes, g_strdup(name), GSIZE_TO_POINTER((gsize)archive_entry_size(e)));
      l.unpacked += (guint64)archive_entry_size(e);
    }
  }
  g_assert_cmpint(archive_errno(a), ==, 0);
  archive_read_free(a);
  return l;
}

/* Every libcudnn*.so.9 of /usr/local/cuda is lib/X.so.9.19.0 (same size) with the links
 * X.so.9 -> X.so.9.19.0 and X.so -> X.so.9; headers in include/, LICENSE at the top, nothing
 * else. */
static void test_cudnn_linux_layout(void)
{
  GET_REAL_OR_SKIP(m);
  const CupTestInstallArchive *a = cup_test_install_mirror_find(m, "cudnn", "linux-x86_64");
  Listing l = list_archive(a->file, CUDNN_TOP);
  g_assert_cmpstr(g_hash_table_lookup(l.types, "LICENSE"), ==, "file");
  g_assert_cmpstr(g_hash_table_lookup(l.types, "include/cudnn.h"), ==, "file");
  g_assert_cmpstr(g_hash_table_lookup(l.types, "include/cudnn_version.h"), ==, "file");
  g_autoptr(GDir) dir = g_dir_open("/usr/local/cuda/lib", 0, NULL);
  g_assert_nonnull(dir);
  guint libs = 0;
  for (const char *n; (n = g_dir_read_name(dir)) != NULL;) {
    if (!g_str_has_prefix(n, "libcudnn") || !g_str_has_suffix(n, ".so.9"))
      continue;
    g_autofree char *stem = g_strndup(n, strlen(n) - 2); /* libcudnn_x.so */
    g_autofree char *full = g_strconcat("lib/", stem, ".9.19.0", NULL);
    g_autofree char *major = g_strconcat("lib/", n, NULL), *plain = g_strconcat("lib/", stem, NULL);
    g_autofree char *to_full = g_strconcat("link:", stem, ".9.19.0", NULL);
    g_autofree char *to_major = g_strconcat("link:", n, NULL);
    g_assert_cmpstr(g_hash_table_lookup(l.types, full), ==, "file");
    g_assert_cmpstr(g_hash_table_lookup(l.types, major), ==, to_full);
    g_assert_cmpstr(g_hash_table_lookup(l.types, plain), ==, to_major);
    g_autofree char *source = g_build_filename("/usr/local/cuda/lib", n, NULL);
    GStatBuf st;
    g_assert_cmpint(g_stat(source, &st), ==, 0);
    g_assert_cmpuint(GPOINTER_TO_SIZE(g_hash_table_lookup(l.sizes, full)), ==, (gsize)st.st_size);
    libs++;
  }
  g_assert_cmpuint(libs, >=, 8);
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, l.types);
  while (g_hash_table_iter_next(&it, &key, NULL)) {
    const char *name = key;
    g_assert_true(*name == '\0' || strcmp(name, "LICENSE") == 0 || strcmp(name, "lib/") == 0 ||
                  strcmp(name, "include/") == 0 || g_str_has_prefix(name, "lib/libcudnn") ||
                  g_str_has_prefix(name, "include/cudnn"));
  }
  g_assert_cmpuint(l.unpacked, ==, a->unpacked_size);
  listing_clear(&l);
}

/* The Windows .zip: bin/cudnn*64_9.dll, lib/x64/cudnn*.lib, include/, LICENSE, no links. */
static void test_cudnn_windows_layout(void)
{
  GET_REAL_OR_SKIP(m);
  const CupTestInstallArchive *a = cup_test_install_mirror_find(m, "cudnn", "windows-x86_64");
  g_assert_true(g_str_has_suffix(a->file, ".zip"));
  Listing l = list_archive(a->file, CUDNN_WIN_TOP);
  g_assert_cmpstr(g_hash_table_lookup(l.types, "LICENSE"), ==, "file");
  g_assert_cmpstr(g_hash_table_lookup(l.types, "bin/cudnn64_9.dll"), ==, "file");
  g_assert_cmpstr(g_hash_table_lookup(l.types, "bin/cudnn_ops64_9.dll"), ==, "file");
  g_assert_cmpstr(g_hash_table_lookup(l.types, "lib/x64/cudnn.lib"), ==, "file");
  g_assert_cmpstr(g_hash_table_lookup(l.types, "lib/x64/cudnn_ops.lib"), ==, "file");
  g_assert_cmpstr(g_hash_table_lookup(l.types, "include/cudnn.h"), ==, "file");
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, l.types);
  while (g_hash_table_iter_next(&it, NULL, &value))
    g_assert_false(g_str_has_prefix(value, "link:"));
  g_assert_cmpuint(l.unpacked, ==, a->unpacked_size);
  listing_clear(&l);
}

/* The five CUDA archives, unpacked as the installer unpacks them (core/extract), make a tree
 * whose nvcc says 13.0 and compiles a kernel to an object. */
static void test_nvcc_compiles(void)
{
  GET_REAL_OR_SKIP(m);
  g_autofree char *root = cup_test_make_root();
  for (gsize i = 0; i < G_N_ELEMENTS(cuda_components); i++) {
    const CupTestInstallArchive *a =
        cup_test_install_mirror_find(m, cuda_components[i], "linux-x86_64");
    CupExtractOptions o = {.archive = a->file, .component = a->component, .staging = root};
    g_autoptr(GPtrArray) entries =
        g_ptr_array_new_with_free_func((GDestroyNotify)cup_extract_entry_free);
    g_autoptr(GError) error = NULL;
    g_assert_true(cup_extract_archive(&o, entries, NULL, &error));
    g_assert_no_error(error);
  }
  g_autofree char *nvcc = g_build_filename(root, "bin", "nvcc", NULL);
  g_autofree char *cu = g_build_filename(root, "k.cu", NULL);
  g_autofree char *obj = g_build_filename(root, "k.o", NULL);
  cup_test_write(root, "k.cu", "__global__ void k() {}\n");
  const char *version[] = {nvcc, "--version", NULL};
  const char *compile[] = {nvcc, "-c", cu, "-o", obj, NULL};
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(
      g_spawn_sync(root, (char **)version, NULL, 0, NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error(error);
  g_assert_nonnull(strstr(out, "release 13.0"));
  g_assert_true(
      g_spawn_sync(root, (char **)compile, NULL, 0, NULL, NULL, NULL, &err, &status, &error));
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("nvcc -c failed: %s", err);
  g_assert_true(g_file_test(obj, G_FILE_TEST_IS_REGULAR));
  cup_test_remove_tree(root);
}

/* The test catalog loads, pins both manifests (no unpinned warning) and knows cuDNN 9.19.0. */
static void test_catalog_loads(void)
{
  GET_REAL_OR_SKIP(m);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupCatalog) cat = cup_catalog_load(m->catalog, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(cat->redist->len, ==, 2);
  for (guint i = 0; i < cat->warnings->len; i++)
    g_assert_null(strstr(g_ptr_array_index(cat->warnings, i), "not in the pinned"));
  g_assert_nonnull(cup_catalog_cudnn_release(cat, CUP_TEST_INSTALL_CUDNN_RELEASE));
  g_assert_nonnull(cup_catalog_cuda_release(cat, CUP_TEST_INSTALL_CUDA_RELEASE));
}

/* `cudaup --catalog DIR plan --cuda 13.0 --cudnn 9.19.0` lists exactly the Linux archives. */
static void test_cli_plan_lists_mirror(void)
{
  GET_REAL_OR_SKIP(m);
  const char *argv[] = {CUP_TEST_CLI, "--catalog", m->catalog, "--json", "plan",
                        "--cuda",     "13.0",      "--cudnn",  "9.19.0", NULL};
  g_autofree char *out = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(
      g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error(error);
  g_assert_true(g_spawn_check_wait_status(status, NULL));
  json_t *doc = json_loads(out, 0, NULL);
  g_assert_nonnull(doc);
  json_t *archives = json_object_get(doc, "archives");
  g_assert_cmpuint(json_array_size(archives), ==, G_N_ELEMENTS(cuda_components) + 1);
  size_t i;
  json_t *o;
  json_array_foreach(archives, i, o)
  {
    const char *component = json_string_value(json_object_get(o, "component"));
    const CupTestInstallArchive *a = cup_test_install_mirror_find(m, component, "linux-x86_64");
    g_assert_nonnull(a);
    g_assert_cmpstr(json_string_value(json_object_get(o, "path")), ==, a->path);
    g_assert_cmpstr(json_string_value(json_object_get(o, "sha256")), ==, a->sha256);
    g_assert_cmpint(json_integer_value(json_object_get(o, "size")), ==, (json_int_t)a->size);
  }
  json_decref(doc);
}

/* A second get finds the verified copy: nothing is built and it takes seconds. */
static void test_reuse_is_fast(void)
{
  GET_REAL_OR_SKIP(m);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupTestInstallMirror) again = cup_test_install_mirror_get(CUP_TEST_MANIFESTS, &error);
  g_assert_no_error(error);
  g_assert_false(again->built);
  g_assert_cmpstr(again->root, ==, m->root);
  g_assert_cmpstr(again->catalog, ==, m->catalog);
  g_test_message("reuse took %.2f s (hashing %u archives)", again->seconds, again->archives->len);
  g_assert_cmpfloat(again->seconds, <, 15.0);
}

/* ---- the cache, on a stand-in toolkit ------------------------------------------------------- */

typedef struct {
  const char *wheel;
  const char *prefix;
  const char *files[4];
} FakeWheel;

static const FakeWheel fake_wheels[] = {
    {"nvidia_cuda_cccl-13.0.85", "nvidia/cu13/", {"include/cccl/cuda/std/version", NULL}},
    {"nvidia_cuda_crt-13.0.88", "nvidia/cu13/", {"include/crt/host_config.h", NULL}},
    {"nvidia_cuda_runtime-13.0.96",
     "nvidia/cu13/",
     {"include/cuda_runtime.h", "lib/libcudart.so.13", NULL}},
    {"nvidia_cuda_nvcc-13.0.88", "nvidia/cu13/", {"bin/nvcc", NULL}},
    {"nvidia_nvvm-13.0.88", "nvidia/cu13/", {"lib/libnvvm.so.4", "nvvm/bin/cicc", NULL}},
    {"nvidia_cudnn_cu13-9.19.0.56",
     "nvidia/cudnn/",
     {"include/cudnn.h", "lib/libcudnn.so.9", NULL}},
};

typedef struct {
  char *dir;   /* temp: toolkit/, cache/ */
  char *cuda;  /* the stand-in toolkit */
  char *cache; /* a private cache */
  CupTestInstallMirrorOptions options;
} Fake;

/* Writes @size bytes at @root/@rel: pseudo-random (slow to compress) when @size is large. */
static void write_sized(const char *root, const char *rel, gsize size)
{
  g_autofree char *path = g_build_filename(root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_autofree guint32 *buf = g_new(guint32, size / 4 + 1);
  g_autoptr(GRand) rand = g_rand_new_with_seed(42);
  for (gsize i = 0; i < size / 4 + 1; i++)
    buf[i] = g_rand_int(rand);
  g_autoptr(GError) error = NULL;
  g_file_set_contents(path, (const char *)buf, (gssize)size, &error);
  g_assert_no_error(error);
}

/* A toolkit of the expected wheels with small files; cuDNN's library is @cudnn_bytes long. */
static void fake_setup(Fake *fx, gsize cudnn_bytes)
{
  fx->dir = cup_test_make_root();
  fx->cuda = g_build_filename(fx->dir, "toolkit", NULL);
  fx->cache = g_build_filename(fx->dir, "cache", NULL);
  fx->options = (CupTestInstallMirrorOptions){.cuda_root = fx->cuda, .cache_dir = fx->cache};
  for (gsize w = 0; w < G_N_ELEMENTS(fake_wheels); w++) {
    g_autoptr(GString) record = g_string_new(NULL);
    for (const char *const *f = fake_wheels[w].files; *f; f++) {
      gsize size = g_str_has_prefix(*f, "lib/libcudnn") ? cudnn_bytes : 64 + strlen(*f);
      write_sized(fx->cuda, *f, size);
      g_string_append_printf(record, "%s%s,sha256=unchecked,%zu\n", fake_wheels[w].prefix, *f,
                             size);
    }
    g_autofree char *info = g_strdup_printf("dist-info/%s.dist-info", fake_wheels[w].wheel);
    g_string_append_printf(record, "%s.dist-info/RECORD,,\n", fake_wheels[w].wheel);
    g_autofree char *rec = g_build_filename(info, "RECORD", NULL);
    g_autofree char *lic = g_build_filename(info, "licenses", "License.txt", NULL);
    cup_test_write(fx->cuda, rec, record->str);
    cup_test_write(fx->cuda, lic, "stand-in licence\n");
  }
}

static void fake_teardown(Fake *fx)
{
  cup_test_remove_tree(fx->dir);
  g_free(fx->dir);
  g_free(fx->cuda);
  g_free(fx->cache);
}

static CupTestInstallMirror *fake_get(const Fake *fx)
{
  g_autoptr(GError) error = NULL;
  CupTestInstallMirror *m =
      cup_test_install_mirror_get_with(&fx->options, CUP_TEST_MANIFESTS, &error);
  g_assert_no_error(error);
  return m;
}

/* Overwrites one byte in the middle of @file, keeping its size. */
static void flip_byte(const char *file)
{
  int fd = g_open(file, O_RDWR, 0);
  g_assert_cmpint(fd, >=, 0);
  off_t middle = lseek(fd, 0, SEEK_END) / 2;
  unsigned char c = 0;
  g_assert_cmpint(pread(fd, &c, 1, middle), ==, 1);
  c ^= 0xff;
  g_assert_cmpint(pwrite(fd, &c, 1, middle), ==, 1);
  close(fd);
}

/* A flipped byte, a truncated archive or a broken index is found and the copy rebuilt; what a
 * killed builder left behind is removed. */
static void test_damage_rebuilds(void)
{
  Fake fx;
  fake_setup(&fx, 4096);
  g_autoptr(CupTestInstallMirror) first = fake_get(&fx);
  g_assert_true(first->built);
  g_autoptr(CupTestInstallMirror) reused = fake_get(&fx);
  g_assert_false(reused->built);
  g_assert_cmpstr(reused->dir, ==, first->dir);

  const CupTestInstallArchive *a = cup_test_install_mirror_find(first, "cudnn", "linux-x86_64");
  g_autofree char *leftover = g_strdup_printf("%s.tmp-KILLED", first->dir);
  g_assert_cmpint(g_mkdir(leftover, 0755), ==, 0);
  flip_byte(a->file);
  g_autoptr(CupTestInstallMirror) rebuilt = fake_get(&fx);
  g_assert_true(rebuilt->built);
  g_assert_false(g_file_test(leftover, G_FILE_TEST_EXISTS));
  g_autofree char *sha = cup_sha256_file(a->file, G_MAXUINT64, NULL, NULL, NULL);
  g_assert_cmpstr(sha, ==, a->sha256); /* the same bytes again: the build is reproducible */

  g_assert_cmpint(
      truncate(cup_test_install_mirror_find(rebuilt, "cuda_nvcc", "linux-x86_64")->file, 10), ==,
      0);
  g_autoptr(CupTestInstallMirror) after_truncate = fake_get(&fx);
  g_assert_true(after_truncate->built);

  cup_test_write(first->dir, "index.json", "{\"format\": 0}");
  g_autoptr(CupTestInstallMirror) after_index = fake_get(&fx);
  g_assert_true(after_index->built);
  fake_teardown(&fx);
}

/* A source that changes (size, mtime) makes a new cache entry; one that disagrees with its
 * RECORD is refused by name. */
static void test_key_follows_sources(void)
{
  Fake fx;
  fake_setup(&fx, 4096);
  g_autoptr(CupTestInstallMirror) first = fake_get(&fx);
  g_autofree char *header = g_build_filename(fx.cuda, "include", "cudnn.h", NULL);
  GStatBuf st;
  g_assert_cmpint(g_stat(header, &st), ==, 0);
  struct utimbuf older = {st.st_atime, st.st_mtime - 100}; /* same size, another mtime */
  g_assert_cmpint(g_utime(header, &older), ==, 0);
  g_autoptr(CupTestInstallMirror) second = fake_get(&fx);
  g_assert_true(second->built);
  g_assert_cmpstr(second->dir, !=, first->dir);

  cup_test_write(fx.cuda, "include/cudnn.h", "a different size\n");
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_test_install_mirror_get_with(&fx.options, CUP_TEST_MANIFESTS, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_nonnull(strstr(error->message, header));
  fake_teardown(&fx);
}

/* No toolkit, or one without a needed wheel: CUP_ERROR_NOT_FOUND naming what is missing. */
static void test_missing_toolkit(void)
{
  g_autoptr(GError) error = NULL;
  CupTestInstallMirrorOptions none = {.cuda_root = "/nonexistent/cuda"};
  g_assert_null(cup_test_install_mirror_get_with(&none, CUP_TEST_MANIFESTS, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_assert_nonnull(strstr(error->message, "/nonexistent/cuda"));
  g_clear_error(&error);

  Fake fx;
  fake_setup(&fx, 64);
  g_autofree char *info =
      g_build_filename(fx.cuda, "dist-info", "nvidia_nvvm-13.0.88.dist-info", NULL);
  cup_test_remove_tree(info);
  g_assert_null(cup_test_install_mirror_get_with(&fx.options, CUP_TEST_MANIFESTS, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_assert_nonnull(strstr(error->message, "nvidia_nvvm"));
  fake_teardown(&fx);
}

typedef struct {
  GPid pid;
  int out, err;
} Child;

static Child spawn_tool(const Fake *fx, const char *script)
{
  const char *argv[] = {CUP_TEST_MIRROR_TOOL,
                        "--cuda-root",
                        fx->cuda,
                        "--cache",
                        fx->cache,
                        "--",
                        "/bin/sh",
                        "-c",
                        script,
                        NULL};
  Child c = {0};
  g_autoptr(GError) error = NULL;
  g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &c.pid,
                           NULL, &c.out, &c.err, &error);
  g_assert_no_error(error);
  return c;
}

/* Reads the child's output to its end and waits for it; its exit status. */
static int finish(Child c, char **out, char **err)
{
  g_autoptr(GIOChannel) o = g_io_channel_unix_new(c.out), e = g_io_channel_unix_new(c.err);
  g_io_channel_set_close_on_unref(o, TRUE);
  g_io_channel_set_close_on_unref(e, TRUE);
  g_io_channel_read_to_end(o, out, NULL, NULL);
  g_io_channel_read_to_end(e, err, NULL, NULL);
  int status = 0;
  g_assert_cmpint(waitpid(c.pid, &status, 0), ==, c.pid);
  g_spawn_close_pid(c.pid);
  return status;
}

/* Two mirror_tool processes start on an empty cache at once: one builds, the other waits for
 * it and reuses its copy; both serve the same manifest over HTTPS and pass on the command's
 * exit status. */
static void test_two_builders(void)
{
  g_autofree char *why = NULL, *curl = g_find_program_in_path("curl");
  if (!cup_test_nginx_available(&why) || curl == NULL) {
    g_test_skip(why ? why : "curl is not installed; it fetches from the served mirror");
    return;
  }
  Fake fx;
  fake_setup(&fx, 8 * 1024 * 1024); /* packed twice (tar.xz and zip): the builds overlap */
  const char *script = "curl -sf --cacert \"$CUDAUP_MIRROR_CA\" "
                       "\"$CUDAUP_MIRROR_URL/cudnn/redist/redistrib_9.19.0.json\" && "
                       "test -d \"$CUDAUP_MIRROR_CATALOG\" && exit 7";
  Child a = spawn_tool(&fx, script), b = spawn_tool(&fx, script);
  g_autofree char *out_a = NULL, *err_a = NULL, *out_b = NULL, *err_b = NULL;
  int status_a = finish(a, &out_a, &err_a), status_b = finish(b, &out_b, &err_b);
  g_test_message("first: %s\nsecond: %s", err_a, err_b);
  g_assert_true(WIFEXITED(status_a) && WEXITSTATUS(status_a) == 7);
  g_assert_true(WIFEXITED(status_b) && WEXITSTATUS(status_b) == 7);
  gboolean built_a = strstr(err_a, "install mirror: built") != NULL;
  gboolean built_b = strstr(err_b, "install mirror: built") != NULL;
  g_assert_true(built_a != built_b);
  g_assert_nonnull(strstr(built_a ? err_b : err_a, "waiting for another process"));
  g_autoptr(CupTestInstallMirror) m = fake_get(&fx);
  g_assert_false(m->built);
  g_autofree char *manifest = NULL;
  g_assert_true(g_file_get_contents(m->cudnn_manifest, &manifest, NULL, NULL));
  g_assert_cmpstr(out_a, ==, manifest);
  g_assert_cmpstr(out_b, ==, manifest);
  fake_teardown(&fx);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/installmirror/real/archives-match-manifests", test_archives_match_manifests);
  g_test_add_func("/installmirror/real/cudnn-single-block", test_cudnn_single_block);
  g_test_add_func("/installmirror/real/cudnn-linux-layout", test_cudnn_linux_layout);
  g_test_add_func("/installmirror/real/cudnn-windows-layout", test_cudnn_windows_layout);
  g_test_add_func("/installmirror/real/nvcc-compiles", test_nvcc_compiles);
  g_test_add_func("/installmirror/real/catalog-loads", test_catalog_loads);
  g_test_add_func("/installmirror/real/cli-plan-lists-mirror", test_cli_plan_lists_mirror);
  g_test_add_func("/installmirror/real/reuse-is-fast", test_reuse_is_fast);
  g_test_add_func("/installmirror/cache/damage-rebuilds", test_damage_rebuilds);
  g_test_add_func("/installmirror/cache/key-follows-sources", test_key_follows_sources);
  g_test_add_func("/installmirror/cache/missing-toolkit", test_missing_toolkit);
  g_test_add_func("/installmirror/cache/two-builders", test_two_builders);
  int status = g_test_run();
  cup_test_install_mirror_free(mirror);
  g_free(reason);
  return status;
}
