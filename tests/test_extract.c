/* test_extract.c - core/extract on real archives: the mirror's cuda_cudart, cuda_nvcc and cuDNN
 * archives (.tar.xz and .zip, built from the machine's CUDA tree) land in the toolkit layout
 * with their hashes, modes and symlink chains, from the cache path or from a stream; damaged
 * archives, a full disk and a cancel leave the staging directory as it was. Hostile archives
 * are in test_extract_hostile.c. */
#define _GNU_SOURCE
#include "core/error.h"
#include "core/extract.h"
#include "tests/support/mirror.h"
#include "tests/support/treelist.h"
#include "tests/testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define KIB 1024
#define MIB (1024 * 1024)
#define SKIP_STATUS 77

static CupTestMirror *mirror; /* built once, in main */

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

static const CupTestArchive *archive_of(const char *component, const char *platform)
{
  const CupTestArchive *ar = cup_test_mirror_find(mirror, component, platform);
  g_assert_nonnull(ar);
  return ar;
}

static char *sha_of_file(const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
}

static char *entries_listing(GPtrArray *entries)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < entries->len; i++) {
    const CupExtractEntry *e = g_ptr_array_index(entries, i);
    char kind = e->type == CUP_EXTRACT_DIR ? 'd' : e->type == CUP_EXTRACT_SYMLINK ? 'l' : 'f';
    g_ptr_array_add(out, g_strdup_printf("%c %s", kind, e->path));
  }
  g_ptr_array_sort(out, cup_test_compare_strings);
  g_ptr_array_add(out, NULL);
  return g_strjoinv("\n", (char **)out->pdata);
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

/* ---- what the archive holds, read independently ---- */

typedef struct {
  char *path; /* expected place in the tree */
  char kind;  /* 'f' or 'l' */
  char *sha256;
  char *link;
  guint32 mode;
} Expected;

static void expected_free(gpointer data)
{
  Expected *e = data;
  g_free(e->path);
  g_free(e->sha256);
  g_free(e->link);
  g_free(e);
}

/* NVIDIA's layout mapped as extract.h documents it, written out separately. */
static char *expected_path(const char *rel, const char *component, gboolean windows,
                           const char *lib_dir, const char *include_dir)
{
  if (strchr(rel, '/') == NULL)
    return g_strdup_printf("share/doc/cudaup/%s/%s", component, rel);
  if (windows && g_str_has_prefix(rel, "lib/x64/"))
    return g_strconcat(lib_dir, rel + strlen("lib/x64"), NULL);
  if (!windows && g_str_has_prefix(rel, "lib/"))
    return g_strconcat(lib_dir, rel + strlen("lib"), NULL);
  if (g_str_has_prefix(rel, "include/"))
    return g_strconcat(include_dir, rel + strlen("include"), NULL);
  return g_strdup(rel);
}

static char *entry_sha(struct archive *a)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  char buf[64 * KIB];
  la_ssize_t n;
  while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
    g_checksum_update(sum, (const guchar *)buf, n);
  g_assert_cmpint(n, ==, 0);
  return g_strdup(g_checksum_get_string(sum));
}

static GPtrArray *read_expected(const char *file, const char *component, gboolean windows,
                                const char *lib_dir, const char *include_dir)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(expected_free);
  struct archive *a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_all(a);
  g_assert_cmpint(archive_read_open_filename(a, file, 64 * KIB), ==, ARCHIVE_OK);
  struct archive_entry *entry;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) == AE_IFDIR)
      continue;
    const char *rel = strchr(archive_entry_pathname(entry), '/') + 1;
    Expected *e = g_new0(Expected, 1);
    e->path = expected_path(rel, component, windows, lib_dir, include_dir);
    e->kind = archive_entry_filetype(entry) == AE_IFLNK ? 'l' : 'f';
    e->link = g_strdup(archive_entry_symlink(entry));
    e->mode = (archive_entry_perm(entry) & 0111) ? 0755 : 0644;
    if (e->kind == 'f')
      e->sha256 = entry_sha(a);
    g_ptr_array_add(out, e);
  }
  archive_read_free(a);
  g_assert_cmpuint(out->len, >, 0);
  return out;
}

/* The staged files are exactly the archive's, at their mapped places, with its bytes and
 * modes; the returned entries describe them; every directory is 0755. */
static void assert_matches(const char *staging, GPtrArray *entries, GPtrArray *expected)
{
  guint files = 0;
  for (guint i = 0; i < expected->len; i++) {
    const Expected *x = g_ptr_array_index(expected, i);
    const CupExtractEntry *e = find_entry(entries, x->path);
    g_assert_nonnull(e);
    g_autofree char *path = g_build_filename(staging, x->path, NULL);
    struct stat st;
    g_assert_cmpint(lstat(path, &st), ==, 0);
    if (x->kind == 'l') {
      g_autofree char *target = g_file_read_link(path, NULL);
      g_assert_cmpint(e->type, ==, CUP_EXTRACT_SYMLINK);
      g_assert_cmpstr(target, ==, x->link);
      g_assert_cmpstr(e->link_target, ==, x->link);
      continue;
    }
    files++;
    g_assert_cmpint(e->type, ==, CUP_EXTRACT_FILE);
    g_assert_true(S_ISREG(st.st_mode));
    g_assert_cmpuint(st.st_mode & 07777, ==, x->mode);
    g_assert_cmpuint(e->mode, ==, x->mode);
    g_assert_cmpuint(e->size, ==, (guint64)st.st_size);
    g_autofree char *sha = sha_of_file(path);
    g_assert_cmpstr(sha, ==, x->sha256);
    g_assert_cmpstr(e->sha256, ==, x->sha256);
  }
  for (guint i = 0; i < entries->len; i++) {
    const CupExtractEntry *e = g_ptr_array_index(entries, i);
    g_autofree char *path = g_build_filename(staging, e->path, NULL);
    struct stat st;
    g_assert_cmpint(lstat(path, &st), ==, 0);
    if (e->type == CUP_EXTRACT_DIR)
      g_assert_cmpuint(st.st_mode & 07777, ==, 0755);
  }
  g_assert_cmpuint(files, >, 0);
}

/* Extracts @component for @platform into a fresh staging directory and checks it against the
 * archive. Returns the staging directory; *@root is removed by the caller. */
static char *extract_and_match(const char *component, const char *platform, const char *lib_dir,
                               const char *include_dir, GPtrArray *entries, char **root)
{
  const CupTestArchive *ar = archive_of(component, platform);
  char *staging = make_staging(root);
  CupExtractOptions o = {.archive = ar->file,
                         .component = component,
                         .staging = staging,
                         .lib_dir = lib_dir,
                         .include_dir = include_dir,
                         .archive_size = ar->size};
  g_autoptr(GError) error = NULL;
  g_assert_true(extract(&o, entries, &error));
  g_assert_no_error(error);
  gboolean windows = g_str_has_prefix(platform, "windows");
  g_autoptr(GPtrArray) expected = read_expected(ar->file, component, windows,
                                                lib_dir   ? lib_dir
                                                : windows ? "lib/x64"
                                                          : "lib64",
                                                include_dir ? include_dir : "include");
  assert_matches(staging, entries, expected);
  g_autofree char *on_disk = cup_test_tree_listing(staging);
  g_autofree char *listed = entries_listing(entries);
  g_assert_cmpstr(on_disk, ==, listed);
  return staging;
}

/* ---- the mirror's archives ---- */

/* The symlink at @staging/@path resolves, link by link, inside @staging to a regular file. */
static void assert_chain_inside(const char *staging, const char *path, const char *final)
{
  g_autofree char *link = g_build_filename(staging, path, NULL);
  g_autofree char *real = realpath(link, NULL);
  g_autofree char *real_staging = realpath(staging, NULL);
  g_assert_nonnull(real);
  g_autofree char *prefix = g_strconcat(real_staging, "/", NULL);
  g_assert_true(g_str_has_prefix(real, prefix));
  g_assert_cmpstr(real + strlen(prefix), ==, final);
  g_assert_true(g_file_test(real, G_FILE_TEST_IS_REGULAR));
}

static void test_cudnn_linux(void)
{
  g_autoptr(GPtrArray) entries = new_entries();
  g_autofree char *root = NULL;
  g_autofree char *staging = extract_and_match("cudnn", "linux-x86_64", NULL, NULL, entries, &root);
  /* libcudnn.so -> libcudnn.so.9 -> libcudnn.so.9.13.0, all in lib64. */
  const CupExtractEntry *so = find_entry(entries, "lib64/libcudnn.so");
  g_assert_nonnull(so);
  g_assert_cmpstr(so->link_target, ==, "libcudnn.so.9");
  const CupExtractEntry *major = find_entry(entries, "lib64/libcudnn.so.9");
  g_assert_nonnull(major);
  g_assert_cmpstr(major->link_target, ==, "libcudnn.so.9.13.0");
  assert_chain_inside(staging, "lib64/libcudnn.so", "lib64/libcudnn.so.9.13.0");
  g_assert_nonnull(find_entry(entries, "include/cudnn.h"));
  g_assert_nonnull(find_entry(entries, "share/doc/cudaup/cudnn/LICENSE"));
  g_assert_null(find_entry(entries, "LICENSE"));
  /* Parents come before their children. */
  g_assert_cmpint(((CupExtractEntry *)g_ptr_array_index(entries, 0))->type, ==, CUP_EXTRACT_DIR);
  cup_test_remove_tree(root);
}

/* list_only (the dry run): the same entries, in the same order and with the same sizes, as an
 * extraction, and nothing written anywhere. */
static void test_list_only(void)
{
  for (int w = 0; w < 2; w++) {
    const char *platform = w ? "windows-x86_64" : "linux-x86_64";
    g_autoptr(GPtrArray) extracted = new_entries();
    g_autofree char *root = NULL;
    g_autofree char *staging = extract_and_match("cudnn", platform, NULL, NULL, extracted, &root);
    const CupTestArchive *ar = archive_of("cudnn", platform);
    CupExtractOptions o = {
        .archive = ar->file, .component = "cudnn", .list_only = TRUE, .archive_size = ar->size};
    g_autoptr(GPtrArray) listed = new_entries();
    g_autoptr(GError) error = NULL;
    g_assert_true(extract(&o, listed, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(listed->len, ==, extracted->len);
    for (guint i = 0; i < listed->len; i++) {
      const CupExtractEntry *a = g_ptr_array_index(listed, i), *b = g_ptr_array_index(extracted, i);
      g_assert_cmpstr(a->path, ==, b->path);
      g_assert_cmpint(a->type, ==, b->type);
      g_assert_cmpuint(a->size, ==, b->size);
      g_assert_cmpuint(a->mode, ==, b->mode);
      g_assert_cmpstr(a->link_target, ==, b->link_target);
      g_assert_null(a->sha256);
    }
    cup_test_remove_tree(root);
  }
}

/* A tree made by NVIDIA's runfile: lib64 -> targets/x86_64-linux/lib, include likewise. */
static void test_cudnn_targets_layout(void)
{
  g_autoptr(GPtrArray) entries = new_entries();
  g_autofree char *root = NULL;
  g_autofree char *staging = extract_and_match("cudnn", "linux-x86_64", "targets/x86_64-linux/lib",
                                               "targets/x86_64-linux/include", entries, &root);
  assert_chain_inside(staging, "targets/x86_64-linux/lib/libcudnn.so",
                      "targets/x86_64-linux/lib/libcudnn.so.9.13.0");
  g_assert_nonnull(find_entry(entries, "targets/x86_64-linux/include/cudnn.h"));
  g_assert_null(find_entry(entries, "lib64"));
  cup_test_remove_tree(root);
}

static void test_cudnn_windows(void)
{
  g_autoptr(GPtrArray) entries = new_entries();
  g_autofree char *root = NULL;
  g_autofree char *staging =
      extract_and_match("cudnn", "windows-x86_64", NULL, NULL, entries, &root);
  g_assert_nonnull(find_entry(entries, "lib/x64/libcudnn.so.9.13.0"));
  g_assert_nonnull(find_entry(entries, "bin/libcudnn.so.9.13.0"));
  g_assert_nonnull(find_entry(entries, "include/cudnn_version.h"));
  g_assert_nonnull(find_entry(entries, "share/doc/cudaup/cudnn/LICENSE"));
  cup_test_remove_tree(root);
}

static void test_cuda_components(void)
{
  const char *platforms[] = {"linux-x86_64", "windows-x86_64"};
  for (gsize p = 0; p < G_N_ELEMENTS(platforms); p++) {
    for (int c = 0; c < 2; c++) {
      const char *component = c ? "cuda_nvcc" : "cuda_cudart";
      g_autoptr(GPtrArray) entries = new_entries();
      g_autofree char *root = NULL;
      g_autofree char *staging =
          extract_and_match(component, platforms[p], NULL, NULL, entries, &root);
      g_autofree char *license = g_strdup_printf("share/doc/cudaup/%s/LICENSE", component);
      g_assert_nonnull(find_entry(entries, license));
      cup_test_remove_tree(root);
    }
  }
}

/* nvcc stays executable; cudart's chain lands in lib64. */
static void test_nvcc_modes(void)
{
  g_autoptr(GPtrArray) entries = new_entries();
  g_autofree char *root = NULL;
  g_autofree char *staging =
      extract_and_match("cuda_nvcc", "linux-x86_64", NULL, NULL, entries, &root);
  const CupExtractEntry *nvcc = find_entry(entries, "bin/nvcc");
  g_assert_nonnull(nvcc);
  g_assert_cmpuint(nvcc->mode, ==, 0755);
  g_autofree char *path = g_build_filename(staging, "bin/nvcc", NULL);
  g_assert_true(g_file_test(path, G_FILE_TEST_IS_EXECUTABLE));
  g_assert_cmpuint(find_entry(entries, "bin/nvcc.profile")->mode, ==, 0644);
  cup_test_remove_tree(root);
}

/* Three components into one staging directory: shared directories, separate licences; the
 * same archive a second time is refused and leaves the first one's files as they were. */
static void test_shared_staging(void)
{
  g_autofree char *root = NULL;
  g_autofree char *staging = make_staging(&root);
  const char *components[] = {"cuda_cudart", "cuda_nvcc", "cudnn"};
  for (gsize i = 0; i < G_N_ELEMENTS(components); i++) {
    const CupTestArchive *ar = archive_of(components[i], "linux-x86_64");
    CupExtractOptions o = {.archive = ar->file, .component = components[i], .staging = staging};
    g_autoptr(GPtrArray) entries = new_entries();
    g_autoptr(GError) error = NULL;
    g_assert_true(extract(&o, entries, &error));
    g_assert_no_error(error);
    g_autofree char *license =
        g_strdup_printf("%s/share/doc/cudaup/%s/LICENSE", staging, components[i]);
    g_assert_true(g_file_test(license, G_FILE_TEST_IS_REGULAR));
  }
  g_autofree char *before = cup_test_tree_snapshot(staging);
  const CupTestArchive *ar = archive_of("cudnn", "linux-x86_64");
  CupExtractOptions o = {.archive = ar->file, .component = "cudnn", .staging = staging};
  g_autoptr(GPtrArray) entries = new_entries();
  g_autoptr(GError) error = NULL;
  g_assert_false(extract(&o, entries, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_nonnull(strstr(error->message, "already in the staging directory"));
  g_assert_cmpuint(entries->len, ==, 0);
  g_autofree char *after = cup_test_tree_snapshot(staging);
  g_assert_cmpstr(after, ==, before);
  g_autofree char *header = g_build_filename(staging, "include/cudnn.h", NULL);
  g_assert_true(g_file_test(header, G_FILE_TEST_IS_REGULAR));
  cup_test_remove_tree(root);
}

/* A umask of 077 does not make a system toolkit unreadable to its users. */
static void test_modes_despite_umask(void)
{
  mode_t old = umask(077);
  g_autoptr(GPtrArray) entries = new_entries();
  g_autofree char *root = NULL;
  g_autofree char *staging =
      extract_and_match("cuda_cudart", "linux-x86_64", NULL, NULL, entries, &root);
  umask(old);
  g_autofree char *header = g_build_filename(staging, "include/cuda_runtime.h", NULL);
  struct stat st;
  g_assert_cmpint(stat(header, &st), ==, 0);
  g_assert_cmpuint(st.st_mode & 0777, ==, 0644);
  cup_test_remove_tree(root);
}

/* ---- damaged archives ---- */

static char *damaged_copy(const char *root, const char *source, const char *name, gsize keep,
                          gsize flip_at)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(source, &data, &len, NULL));
  if (flip_at > 0)
    for (gsize i = flip_at; i < MIN(len, flip_at + 4096); i++)
      data[i] ^= 0x5a;
  char *file = g_build_filename(root, name, NULL);
  g_assert_true(g_file_set_contents(file, data, (gssize)MIN(len, keep), NULL));
  return file;
}

static void assert_parse_error(const char *root, const char *file, const char *staging,
                               const char *component)
{
  CupExtractOptions o = {.archive = file, .component = component, .staging = staging};
  g_autoptr(GPtrArray) entries = new_entries();
  g_autoptr(GError) error = NULL;
  g_assert_false(extract(&o, entries, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
  g_autofree char *named = g_strdup_printf("the %s archive %s is corrupt", component, file);
  g_assert_true(g_str_has_prefix(error->message, named));
  g_assert_true(g_str_has_suffix(error->message, "; download it again"));
  g_assert_cmpuint(entries->len, ==, 0);
  assert_empty(staging);
  (void)root;
}

static void test_damaged(void)
{
  g_autofree char *root = NULL;
  g_autofree char *staging = make_staging(&root);
  const CupTestArchive *xz = archive_of("cuda_nvcc", "linux-x86_64");
  const CupTestArchive *zip = archive_of("cuda_cudart", "windows-x86_64");
  struct {
    const char *source, *name, *component;
    gsize keep, flip_at;
  } cases[] = {
      {xz->file, "half.tar.xz", "cuda_nvcc", xz->size / 2, 0},
      {xz->file, "flipped.tar.xz", "cuda_nvcc", xz->size, xz->size / 3},
      {xz->file, "head.tar.xz", "cuda_nvcc", 100, 0},
      {zip->file, "half.zip", "cuda_cudart", zip->size / 2, 0},
      {zip->file, "flipped.zip", "cuda_cudart", zip->size, zip->size / 3},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *file =
        damaged_copy(root, cases[i].source, cases[i].name, cases[i].keep, cases[i].flip_at);
    assert_parse_error(root, file, staging, cases[i].component);
  }
  g_autofree char *text = g_build_filename(root, "notes.txt", NULL);
  g_assert_true(g_file_set_contents(text, "not an archive\n", -1, NULL));
  assert_parse_error(root, text, staging, "cudnn");
  g_autofree char *empty = g_build_filename(root, "empty.tar.xz", NULL);
  g_assert_true(g_file_set_contents(empty, "", 0, NULL));
  assert_parse_error(root, empty, staging, "cudnn");
  cup_test_remove_tree(root);
}

/* ---- options, progress, cancel ---- */

static void test_bad_options(void)
{
  g_autofree char *root = NULL;
  g_autofree char *staging = make_staging(&root);
  const CupTestArchive *ar = archive_of("cudnn", "linux-x86_64");
  const char *bad_dirs[] = {"../lib",   "/usr/lib", "lib/../..", "",
                            "lib\\x64", "./lib",    "lib/",      "C:/lib"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad_dirs); i++) {
    CupExtractOptions o = {
        .archive = ar->file, .component = "cudnn", .staging = staging, .lib_dir = bad_dirs[i]};
    g_autoptr(GPtrArray) entries = new_entries();
    g_autoptr(GError) error = NULL;
    g_assert_false(extract(&o, entries, &error));
    g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
    g_assert_nonnull(strstr(error->message, "lib_dir"));
  }
  CupExtractOptions o = {.archive = ar->file, .component = "../x", .staging = staging};
  g_autoptr(GPtrArray) entries = new_entries();
  g_autoptr(GError) error = NULL;
  g_assert_false(extract(&o, entries, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
  g_clear_error(&error);
  /* The platform the caller expects must be the archive's. */
  o.component = "cudnn";
  o.platform = "linux-sbsa";
  g_assert_false(extract(&o, entries, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_nonnull(strstr(error->message, "'cudnn-linux-sbsa-<version>-archive/'"));
  g_clear_error(&error);
  o.platform = NULL;
  o.archive = "/nonexistent/cudnn.tar.xz";
  g_assert_false(extract(&o, entries, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "/nonexistent/cudnn.tar.xz"));
  g_clear_error(&error);
  o.archive = ar->file;
  o.staging = "/nonexistent/stage";
  g_assert_false(extract(&o, entries, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "/nonexistent/stage"));
  assert_empty(staging);
  cup_test_remove_tree(root);
}

typedef struct {
  guint events, finals;
  guint64 last_done, total;
  gboolean stage_ok, monotonic, done_state;
  GCancellable *cancel_after_first;
} Seen;

static void on_progress(const CupProgress *p, gpointer data)
{
  Seen *s = data;
  s->events++;
  s->stage_ok = s->events == 1 ? g_strcmp0(p->stage, "extract") == 0
                               : s->stage_ok && g_strcmp0(p->stage, "extract") == 0;
  s->monotonic = (s->events == 1 || p->done >= s->last_done) && (s->events == 1 || s->monotonic);
  s->last_done = p->done;
  s->total = p->total;
  g_assert_cmpuint(p->n_items, ==, 1);
  g_assert_cmpstr(p->items[0].name, ==, "cuda_nvcc");
  if (p->final) {
    s->finals++;
    s->done_state = p->items[0].state == CUP_PROGRESS_DONE;
  }
  if (s->cancel_after_first != NULL)
    g_cancellable_cancel(s->cancel_after_first);
}

static void test_progress(void)
{
  g_autofree char *root = NULL;
  g_autofree char *staging = make_staging(&root);
  const CupTestArchive *ar = archive_of("cuda_nvcc", "linux-x86_64");
  Seen seen = {0};
  CupExtractOptions o = {.archive = ar->file,
                         .component = "cuda_nvcc",
                         .staging = staging,
                         .archive_size = ar->size,
                         .progress = on_progress,
                         .progress_data = &seen};
  g_autoptr(GPtrArray) entries = new_entries();
  g_autoptr(GError) error = NULL;
  g_assert_true(extract(&o, entries, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(seen.events, >=, 1);
  g_assert_cmpuint(seen.finals, ==, 1);
  g_assert_true(seen.stage_ok);
  g_assert_true(seen.monotonic);
  g_assert_true(seen.done_state);
  g_assert_cmpuint(seen.total, ==, ar->size);
  g_assert_cmpuint(seen.last_done, ==, ar->size);
  cup_test_remove_tree(root);
}

/* Cancelled at the first progress event, in the middle of the archive: nothing is left. */
static void test_cancel(void)
{
  g_autofree char *root = NULL;
  g_autofree char *staging = make_staging(&root);
  const CupTestArchive *ar = archive_of("cuda_nvcc", "linux-x86_64");
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  Seen seen = {.cancel_after_first = cancellable};
  CupExtractOptions o = {.archive = ar->file,
                         .component = "cuda_nvcc",
                         .staging = staging,
                         .progress = on_progress,
                         .progress_data = &seen};
  g_autoptr(GPtrArray) entries = new_entries();
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_extract_archive(&o, entries, cancellable, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CANCELLED);
  g_assert_cmpuint(entries->len, ==, 0);
  g_assert_cmpuint(seen.finals, ==, 1);
  g_assert_false(seen.done_state);
  assert_empty(staging);
  cup_test_remove_tree(root);
}

/* ---- an archive read from a stream ---- */

/* A stream that serves the first @limit bytes of @bytes, then fails as a download would (or
 * ends, when that is all of them). */
typedef struct {
  GInputStream parent;
  GBytes *bytes;
  gsize pos, limit;
} CutStream;
typedef GInputStreamClass CutStreamClass;
static GType cut_stream_get_type(void);
G_DEFINE_TYPE(CutStream, cut_stream, G_TYPE_INPUT_STREAM)

static gssize cut_stream_read(GInputStream *stream, void *buffer, gsize count,
                              GCancellable *cancellable, GError **error)
{
  (void)cancellable;
  CutStream *cut = (CutStream *)stream;
  if (cut->pos == g_bytes_get_size(cut->bytes))
    return 0;
  if (cut->pos >= cut->limit) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NETWORK, "the mirror went away");
    return -1;
  }
  gsize n = MIN(count, cut->limit - cut->pos);
  memcpy(buffer, (const guint8 *)g_bytes_get_data(cut->bytes, NULL) + cut->pos, n);
  cut->pos += n;
  return (gssize)n;
}

static void cut_stream_finalize(GObject *object)
{
  g_bytes_unref(((CutStream *)object)->bytes);
  G_OBJECT_CLASS(cut_stream_parent_class)->finalize(object);
}

static void cut_stream_class_init(CutStreamClass *klass)
{
  klass->read_fn = cut_stream_read;
  G_OBJECT_CLASS(klass)->finalize = cut_stream_finalize;
}

static void cut_stream_init(CutStream *cut)
{
  (void)cut;
}

static GInputStream *cut_stream_new(const char *file, gsize limit)
{
  CutStream *cut = g_object_new(cut_stream_get_type(), NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(file, &data, &len, NULL));
  cut->bytes = g_bytes_new_take(g_steal_pointer(&data), len);
  cut->limit = MIN(limit, len);
  return G_INPUT_STREAM(cut);
}

/* The .tar.xz and the .zip (read by libarchive's streaming zip reader) give the same files as
 * from the cache path. */
static void test_stream(void)
{
  const char *platforms[] = {"linux-x86_64", "windows-x86_64"};
  for (gsize p = 0; p < G_N_ELEMENTS(platforms); p++) {
    const CupTestArchive *ar = archive_of("cudnn", platforms[p]);
    g_autofree char *root = NULL;
    g_autofree char *staging = make_staging(&root);
    g_autoptr(GInputStream) input = cut_stream_new(ar->file, G_MAXSIZE);
    CupExtractOptions o = {.archive = ar->file,
                           .input = input,
                           .component = "cudnn",
                           .staging = staging,
                           .archive_size = ar->size};
    g_autoptr(GPtrArray) entries = new_entries();
    g_autoptr(GError) error = NULL;
    g_assert_true(extract(&o, entries, &error));
    g_assert_no_error(error);
    gboolean windows = p == 1;
    g_autoptr(GPtrArray) expected =
        read_expected(ar->file, "cudnn", windows, windows ? "lib/x64" : "lib64", "include");
    assert_matches(staging, entries, expected);
    g_autofree char *on_disk = cup_test_tree_listing(staging);
    g_autofree char *listed = entries_listing(entries);
    g_assert_cmpstr(on_disk, ==, listed);
    cup_test_remove_tree(root);
  }
}

/* A stream that fails part-way: its error comes back as it is, and nothing is left. */
static void test_stream_fails(void)
{
  const CupTestArchive *ar = archive_of("cuda_nvcc", "linux-x86_64");
  g_autofree char *root = NULL;
  g_autofree char *staging = make_staging(&root);
  g_autoptr(GInputStream) input = cut_stream_new(ar->file, ar->size / 2);
  CupExtractOptions o = {.archive = ar->file,
                         .input = input,
                         .component = "cuda_nvcc",
                         .staging = staging,
                         .archive_size = ar->size};
  g_autoptr(GPtrArray) entries = new_entries();
  g_autoptr(GError) error = NULL;
  g_assert_false(extract(&o, entries, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NETWORK);
  g_assert_cmpstr(error->message, ==, "the mirror went away");
  g_assert_cmpuint(entries->len, ==, 0);
  assert_empty(staging);
  cup_test_remove_tree(root);
}

/* ---- a full disk: a small tmpfs in a mount namespace of our own ---- */

static gboolean write_proc(const char *path, const char *text)
{
  return g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL);
}

/* Mount a tmpfs of @size on @dir, seen by this process only (directly as root, else in a user
 * namespace where we are root). Returns NULL, or why not (newly allocated). */
static char *mount_tmpfs(const char *dir, const char *size)
{
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (!(uid == 0 && unshare(CLONE_NEWNS) == 0)) {
    if (unshare(CLONE_NEWNS | CLONE_NEWUSER) != 0)
      return g_strdup_printf("no mount namespace for a tmpfs: unshare: %s", g_strerror(errno));
    g_autofree char *uid_map = g_strdup_printf("0 %d 1\n", (int)uid);
    g_autofree char *gid_map = g_strdup_printf("0 %d 1\n", (int)gid);
    if (!write_proc("/proc/self/setgroups", "deny") || !write_proc("/proc/self/uid_map", uid_map) ||
        !write_proc("/proc/self/gid_map", gid_map))
      return g_strdup("no mount namespace for a tmpfs: cannot map our user");
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    return g_strdup_printf("cannot make / private for a tmpfs: %s", g_strerror(errno));
  g_autofree char *options = g_strdup_printf("size=%s", size);
  if (mount("tmpfs", dir, "tmpfs", 0, options) != 0)
    return g_strdup_printf("cannot mount a tmpfs: %s", g_strerror(errno));
  return NULL;
}

/* nvcc's 30 MB into a 1 MiB file system: the message says the disk is full and how far it got,
 * and nothing is left on it. */
static int run_disk_full(const char *dir, const char *archive)
{
  char *why = mount_tmpfs(dir, "1m");
  if (why != NULL) {
    g_print("%s\n", why);
    g_free(why);
    return SKIP_STATUS;
  }
  g_autofree char *staging = g_build_filename(dir, "stage", NULL);
  g_assert_cmpint(g_mkdir(staging, 0755), ==, 0);
  CupExtractOptions o = {.archive = archive, .component = "cuda_nvcc", .staging = staging};
  g_autoptr(GPtrArray) entries = new_entries();
  g_autoptr(GError) error = NULL;
  g_assert_false(extract(&o, entries, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_autofree char *start = g_strdup_printf("no space left on the disk of %s while writing bin/nvcc "
                                           "from the cuda_nvcc archive (",
                                           staging);
  g_assert_true(g_str_has_prefix(error->message, start));
  g_assert_true(g_str_has_suffix(error->message, "): free space and try again"));
  g_assert_cmpuint(entries->len, ==, 0);
  assert_empty(staging);
  return 0;
}

static void test_disk_full(void)
{
  const CupTestArchive *ar = archive_of("cuda_nvcc", "linux-x86_64");
  g_autofree char *root = cup_test_make_root();
  g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child =
      g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
                       self, "--disk-full", root, ar->file, NULL);
  g_assert_no_error(error);
  g_autofree char *output = NULL;
  g_assert_true(g_subprocess_communicate_utf8(child, NULL, NULL, &output, NULL, &error));
  g_assert_no_error(error);
  g_strchomp(output);
  if (g_subprocess_get_if_exited(child) && g_subprocess_get_exit_status(child) == SKIP_STATUS)
    g_test_skip(output);
  else if (!g_subprocess_get_successful(child))
    g_test_fail_printf("%s --disk-full failed: %s", self, output);
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  if (argc == 4 && strcmp(argv[1], "--disk-full") == 0)
    return run_disk_full(argv[2], argv[3]);
  g_test_init(&argc, &argv, NULL);
  g_autofree char *root = cup_test_make_root();
  g_autofree char *mirror_root = g_build_filename(root, "mirror", NULL);
  mirror = cup_test_mirror_build(mirror_root, "13.0.0", "9.13.0");
  g_test_add_func("/extract/cudnn/linux", test_cudnn_linux);
  g_test_add_func("/extract/cudnn/targets-layout", test_cudnn_targets_layout);
  g_test_add_func("/extract/list-only", test_list_only);
  g_test_add_func("/extract/cudnn/windows", test_cudnn_windows);
  g_test_add_func("/extract/cuda-components", test_cuda_components);
  g_test_add_func("/extract/nvcc-modes", test_nvcc_modes);
  g_test_add_func("/extract/shared-staging", test_shared_staging);
  g_test_add_func("/extract/modes-despite-umask", test_modes_despite_umask);
  g_test_add_func("/extract/damaged", test_damaged);
  g_test_add_func("/extract/bad-options", test_bad_options);
  g_test_add_func("/extract/progress", test_progress);
  g_test_add_func("/extract/cancel", test_cancel);
  g_test_add_func("/extract/disk-full", test_disk_full);
  g_test_add_func("/extract/stream", test_stream);
  g_test_add_func("/extract/stream-fails", test_stream_fails);
  int status = g_test_run();
  cup_test_mirror_free(mirror);
  cup_test_remove_tree(root);
  return status;
}
