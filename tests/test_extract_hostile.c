/* test_extract_hostile.c - core/extract refuses hostile archives (zip-slip, absolute, drive and
 * UNC paths, symlink escapes and writes through symlinks, hard links, devices, FIFOs, setuid
 * files, caps on depth, entries and bytes, names Windows reads as others), written from tables
 * by tests/support/archspec: each fails naming the entry and why, and the staging directory is
 * left empty. A sparse entry is extracted with its holes and counted against the byte cap. */
#include "core/error.h"
#include "core/extract.h"
#include "tests/support/archspec.h"
#include "tests/support/treelist.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

#define KIB 1024
#define MIB (1024 * 1024)
#define TOP "cudnn-linux-x86_64-9.13.0.50_cuda13-archive"
#define WIN_TOP "cudnn-windows-x86_64-9.13.0.50_cuda13-archive"
#define REFUSED "the archive is refused and nothing was written"

/* ---- helpers ---- */

static char *make_staging(char **root)
{
  *root = cup_test_make_root();
  char *staging = g_build_filename(*root, "stage", NULL);
  g_assert_cmpint(g_mkdir(staging, 0755), ==, 0);
  return staging;
}

static GPtrArray *new_entries(void)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify)cup_extract_entry_free);
}

static gboolean extract(const CupExtractOptions *o, GPtrArray *entries, GError **error)
{
  return cup_extract_archive(o, entries, NULL, error);
}

static void assert_empty(const char *dir)
{
  g_autofree char *listing = cup_test_tree_listing(dir);
  g_assert_cmpstr(listing, ==, "");
}

static const CupExtractEntry *find_entry(GPtrArray *entries, const char *path)
{
  for (guint i = 0; i < entries->len; i++) {
    const CupExtractEntry *e = g_ptr_array_index(entries, i);
    if (strcmp(e->path, path) == 0)
      return e;
  }
  return NULL;
}

static char *sha_of_file(const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
}

/* ---- hostile archives ---- */

typedef struct {
  const char *test;
  CupTestFormat fmt;
  CupTestSpec bad[3];
  gboolean bare;     /* no good entries first */
  guint max_entries; /* 0: default */
  guint64 max_bytes; /* 0: default */
  const char *entry; /* named in the message */
  const char *why;   /* ... with this phrase */
} Hostile;

#define LONG_NAME                                                                                  \
  "x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789"     \
  "x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789"     \
  "x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789x123456789"
#define DEEP "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/a/b/c/d/e/f/g/h"

static const Hostile hostile[] = {
    {"zip-slip",
     CUP_TEST_TAR_XZ,
     {{.name = "../x", .raw = TRUE}},
     .entry = "../x",
     .why = "leaves the toolkit tree"},
    {"zip-slip-below-top",
     CUP_TEST_ZIP,
     {{.name = "lib/../../../etc/passwd"}},
     .entry = TOP "/lib/../../../etc/passwd",
     .why = "leaves the toolkit tree"},
    {"dotdot-inside",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/../include/x.h"}},
     .entry = TOP "/lib/../include/x.h",
     .why = "has a '..' path component"},
    {"absolute",
     CUP_TEST_TAR_XZ,
     {{.name = "/etc/x", .raw = TRUE}},
     .entry = "/etc/x",
     .why = "is an absolute path"},
    {"zip-drive",
     CUP_TEST_ZIP,
     {{.name = "C:\\x", .raw = TRUE}},
     .entry = "C:/x",
     .why = "is a path with a drive letter"},
    {"zip-unc",
     CUP_TEST_ZIP,
     {{.name = "\\\\server\\x", .raw = TRUE}},
     .entry = "//server/x",
     .why = "is an absolute path"},
    {"zip-backslash",
     CUP_TEST_ZIP,
     {{.name = TOP "\\lib\\\xc3\xa9\\x", .raw = TRUE}},
     .entry = TOP "\\lib\\\xc3\xa9\\x",
     .why = "is a path with a backslash"},
    {"zip-stream-name",
     CUP_TEST_ZIP,
     {{.name = WIN_TOP "/", .raw = TRUE, .type = AE_IFDIR},
      {.name = WIN_TOP "/bin/x.dll:evil", .raw = TRUE}},
     .bare = TRUE,
     .entry = WIN_TOP "/bin/x.dll:evil",
     .why = "is a path with ':' (a Windows drive or stream name)"},
    {"zip-device-name",
     CUP_TEST_ZIP,
     {{.name = WIN_TOP "/", .raw = TRUE, .type = AE_IFDIR},
      {.name = WIN_TOP "/bin/nul.dll", .raw = TRUE}},
     .bare = TRUE,
     .entry = WIN_TOP "/bin/nul.dll",
     .why = "a device name like NUL"},
    {"zip-trailing-dot",
     CUP_TEST_ZIP,
     {{.name = WIN_TOP "/", .raw = TRUE, .type = AE_IFDIR},
      {.name = WIN_TOP "/bin/cudnn.dll.", .raw = TRUE}},
     .bare = TRUE,
     .entry = WIN_TOP "/bin/cudnn.dll.",
     .why = "a trailing dot or space"},
    {"symlink-absolute",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/evil", .type = AE_IFLNK, .link = "/etc"}, {.name = "lib/evil/passwd"}},
     .entry = TOP "/lib/evil",
     .why = "is a symlink to '/etc', an absolute path"},
    {"write-through-symlink",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/d", .type = AE_IFLNK, .link = "../include"}, {.name = "lib/d/x.h"}},
     .entry = TOP "/lib/d/x.h",
     .why = "would be written through the symlink 'lib64/d'"},
    {"write-below-file",
     CUP_TEST_TAR_XZ,
     {{.name = "bin/tool"}, {.name = "bin/tool/x"}},
     .entry = TOP "/bin/tool/x",
     .why = "would be written through the file 'bin/tool'"},
    {"symlink-escape",
     CUP_TEST_TAR_XZ,
     {{.name = "bin/a", .type = AE_IFLNK, .link = "../../.."}},
     .entry = TOP "/bin/a",
     .why = "which leaves the toolkit tree from 'bin/a'"},
    {"symlink-dotdot-after-name",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/b", .type = AE_IFLNK, .link = "libcudnn.so.9/../../.."}},
     .entry = TOP "/lib/b",
     .why = "with a '..' after a directory name"},
    {"hard-link",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/hard", .hardlink = "lib/libcudnn.so.9.13.0"}},
     .entry = TOP "/lib/hard",
     .why = "is a hard link"},
    {"char-device",
     CUP_TEST_TAR_XZ,
     {{.name = "bin/null", .type = AE_IFCHR}},
     .entry = TOP "/bin/null",
     .why = "is a character device"},
    {"fifo",
     CUP_TEST_TAR_XZ,
     {{.name = "bin/fifo", .type = AE_IFIFO}},
     .entry = TOP "/bin/fifo",
     .why = "is a FIFO"},
    {"setuid",
     CUP_TEST_TAR_XZ,
     {{.name = "bin/su", .perm = 04755}},
     .entry = TOP "/bin/su",
     .why = "has the setuid bit set (mode 4755)"},
    {"setgid-zip",
     CUP_TEST_ZIP,
     {{.name = "bin/sg", .perm = 02755}},
     .entry = TOP "/bin/sg",
     .why = "has the setgid bit set"},
    {"too-deep",
     CUP_TEST_TAR_XZ,
     {{.name = "extras/" DEEP "/x"}},
     .entry = TOP "/extras/" DEEP "/x",
     .why = "levels deep in the toolkit tree, more than the cap of 32"},
    {"too-many",
     CUP_TEST_TAR_XZ,
     {{.name = "bin/a"}, {.name = "bin/b"}, {.name = "bin/c"}},
     .max_entries = 6,
     .entry = TOP "/bin/b",
     .why = "is past the cap of 6 entries"},
    {"bomb",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/zeros", .zeros = 6 * MIB}},
     .max_bytes = 4 * MIB,
     .entry = TOP "/lib/zeros",
     .why = "would unpack past 4.2"},
    {"bomb-in-sum",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/z1", .zeros = 2 * MIB},
      {.name = "lib/z2", .zeros = 2 * MIB},
      {.name = "lib/z3", .zeros = 2 * MIB}},
     .max_bytes = 5 * MIB,
     .entry = TOP "/lib/z3",
     .why = "would unpack past 5.2"},
    {"outside-top",
     CUP_TEST_TAR_XZ,
     {{.name = "other-archive/lib/x", .raw = TRUE}},
     .entry = "other-archive/lib/x",
     .why = "is outside the archive's top directory '" TOP "/'"},
    {"wrong-top",
     CUP_TEST_TAR_XZ,
     {{.name = "cuda_nvcc-linux-x86_64-13.0.48-archive/bin/x", .raw = TRUE}},
     .bare = TRUE,
     .entry = "cuda_nvcc-linux-x86_64-13.0.48-archive/bin/x",
     .why = "is not below a top directory 'cudnn-<platform>-<version>-archive/'"},
    {"file-as-top",
     CUP_TEST_TAR_XZ,
     {{.name = TOP, .raw = TRUE}},
     .bare = TRUE,
     .entry = TOP,
     .why = "is not a directory"},
    {"same-destination",
     CUP_TEST_TAR_XZ,
     {{.name = "lib64/libcudnn.so.9", .type = AE_IFLNK, .link = "x"}},
     .entry = TOP "/lib64/libcudnn.so.9",
     .why = "maps onto 'lib64/libcudnn.so.9' in the toolkit tree, like an earlier entry"},
    {"long-name",
     CUP_TEST_TAR_XZ,
     {{.name = "bin/" LONG_NAME}},
     .entry = TOP "/bin/" LONG_NAME,
     .why = "is a path too long for the file system"},
    {"control-character",
     CUP_TEST_TAR_XZ,
     {{.name = "bin/a\nb"}},
     .entry = TOP "/bin/a\\nb",
     .why = "is a path with a control character"},
};

static gsize n_specs(const Hostile *h)
{
  gsize n = 0;
  while (n < G_N_ELEMENTS(h->bad) && h->bad[n].name != NULL)
    n++;
  return n;
}

static void test_hostile(gconstpointer data)
{
  const Hostile *h = data;
  g_autofree char *root = NULL;
  g_autofree char *staging = make_staging(&root);
  g_autofree char *file =
      g_build_filename(root, h->fmt == CUP_TEST_ZIP ? "a.zip" : "a.tar.xz", NULL);
  cup_test_archive_write(file, h->fmt, TOP, h->bad, n_specs(h), !h->bare);
  CupExtractOptions o = {.archive = file,
                         .component = "cudnn",
                         .staging = staging,
                         .max_entries = h->max_entries,
                         .max_bytes = h->max_bytes};
  g_autoptr(GPtrArray) entries = new_entries();
  g_autoptr(GError) error = NULL;
  g_assert_false(extract(&o, entries, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_autofree char *named = g_strdup_printf("cudnn archive: entry '%s' ", h->entry);
  if (!g_str_has_prefix(error->message, named) || strstr(error->message, h->why) == NULL ||
      !g_str_has_suffix(error->message, "; " REFUSED))
    g_test_fail_printf("%s: unexpected message: %s", h->test, error->message);
  g_assert_cmpuint(entries->len, ==, 0);
  assert_empty(staging);
  cup_test_remove_tree(root);
}

/* The default byte cap: 70 MiB of zeros pack into a few KiB, far past 32x; the floor of
 * 64 MiB is what stops them, before any byte is written. */
static void test_bomb_default_cap(void)
{
  g_autofree char *root = NULL;
  g_autofree char *staging = make_staging(&root);
  g_autofree char *file = g_build_filename(root, "bomb.tar.xz", NULL);
  const CupTestSpec bomb = {.name = "lib/zeros", .zeros = 70 * MIB};
  cup_test_archive_write(file, CUP_TEST_TAR_XZ, TOP, &bomb, 1, TRUE);
  CupExtractOptions o = {.archive = file, .component = "cudnn", .staging = staging};
  g_autoptr(GPtrArray) entries = new_entries();
  g_autoptr(GError) error = NULL;
  g_assert_false(extract(&o, entries, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_nonnull(strstr(error->message, "entry '" TOP "/lib/zeros' would unpack past 67.1"));
  assert_empty(staging);
  cup_test_remove_tree(root);
}

/* A sparse entry keeps its holes; its hash is that of the bytes it reads as, and its holes
 * count against the byte cap. */
static void write_sparse(const char *file)
{
  struct archive *a = cup_test_archive_open(file, CUP_TEST_TAR_XZ);
  for (gsize i = 0; i < cup_test_n_good_specs; i++)
    cup_test_archive_add(a, TOP, &cup_test_good_specs[i]);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, TOP "/lib/sparse");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, 3 * MIB);
  archive_entry_sparse_add_entry(e, MIB, 4 * KIB);
  archive_entry_sparse_add_entry(e, 3 * MIB, 0);
  g_assert_cmpint(archive_write_header(a, e), ==, ARCHIVE_OK);
  archive_entry_free(e);
  g_autofree char *data = g_malloc0(3 * MIB);
  memset(data + MIB, 'x', 4 * KIB);
  g_assert_cmpint(archive_write_data(a, data, 3 * MIB), ==, 3 * MIB);
  cup_test_archive_close(a);
}

static void test_sparse(void)
{
  g_autofree char *root = NULL;
  g_autofree char *staging = make_staging(&root);
  g_autofree char *file = g_build_filename(root, "sparse.tar.xz", NULL);
  write_sparse(file);
  CupExtractOptions o = {.archive = file, .component = "cudnn", .staging = staging};
  g_autoptr(GPtrArray) entries = new_entries();
  g_autoptr(GError) error = NULL;
  g_assert_true(extract(&o, entries, &error));
  g_assert_no_error(error);
  g_autofree char *data = g_malloc0(3 * MIB);
  memset(data + MIB, 'x', 4 * KIB);
  g_autofree char *want = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, 3 * MIB);
  const CupExtractEntry *e = find_entry(entries, "lib64/sparse");
  g_assert_nonnull(e);
  g_assert_cmpuint(e->size, ==, 3 * MIB);
  g_assert_cmpstr(e->sha256, ==, want);
  g_autofree char *path = g_build_filename(staging, "lib64/sparse", NULL);
  g_autofree char *sha = sha_of_file(path);
  g_assert_cmpstr(sha, ==, want);
  /* Under a cap of 2 MiB the 3 MiB it reads as are too many. */
  cup_test_remove_tree(staging);
  g_assert_cmpint(g_mkdir(staging, 0755), ==, 0);
  o.max_bytes = 2 * MIB;
  g_autoptr(GPtrArray) none = new_entries();
  g_clear_error(&error);
  g_assert_false(extract(&o, none, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_nonnull(strstr(error->message, "entry '" TOP "/lib/sparse' would unpack past"));
  assert_empty(staging);
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(hostile); i++) {
    g_autofree char *path = g_strdup_printf("/extract/hostile/%s", hostile[i].test);
    g_test_add_data_func(path, &hostile[i], test_hostile);
  }
  g_test_add_func("/extract/hostile/bomb-default-cap", test_bomb_default_cap);
  g_test_add_func("/extract/sparse", test_sparse);
  return g_test_run();
}
