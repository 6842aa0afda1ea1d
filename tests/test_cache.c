/* test_cache.c - core/cache: layout, resumable locked `.part` files, atomic commit, lookup,
 * several processes sharing one cache, a full disk and a read-only cache. */
#define _GNU_SOURCE
#include "core/cache.h"
#include "core/digest.h"
#include "core/error.h"
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define KIB 1024
#define MIB (1024 * 1024)
#define SKIP_STATUS 77 /* a helper process could not set up its scene */
#define SHARED_SIZE (2 * MIB)
#define SHARED_SEED 42

/* ---- helpers ---- */

/* @len deterministic pseudo-random bytes from @seed. */
static guint8 *content(guint32 seed, gsize len)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
  guint8 *data = g_malloc(len);
  for (gsize i = 0; i < len; i++)
    data[i] = (guint8)g_rand_int_range(rand, 0, 256);
  return data;
}

static char *sha_of(const guint8 *data, gsize len)
{
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

static char *host_tag(void)
{
  char *tag = g_strdup(g_get_host_name());
  return g_strcanon(tag, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "._-", '_');
}

static guint64 file_size(const char *path)
{
  GStatBuf st;
  g_assert_cmpint(g_stat(path, &st), ==, 0);
  return (guint64)st.st_size;
}

static gboolean exists(const char *path)
{
  return g_file_test(path, G_FILE_TEST_EXISTS);
}

static char *meta_of(const CupCachePart *part)
{
  return g_strconcat(part->path, ".meta", NULL);
}

static CupCache *open_cache(const char *root)
{
  g_autofree char *dir = g_build_filename(root, "cache", NULL);
  g_autoptr(GError) error = NULL;
  CupCache *cache = cup_cache_open(dir, &error);
  g_assert_no_error(error);
  g_assert_nonnull(cache);
  return cache;
}

static CupCachePart *open_part(CupCache *cache, const char *sha)
{
  g_autoptr(GError) error = NULL;
  CupCachePart *part = cup_cache_part_open(cache, sha, &error);
  g_assert_no_error(error);
  g_assert_nonnull(part);
  return part;
}

static void write_part(CupCachePart *part, const void *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_cache_part_write(part, data, len, &error));
  g_assert_no_error(error);
}

static char *commit_part(CupCachePart *part, CupCache *cache, const char *sha)
{
  g_autoptr(GError) error = NULL;
  char *final = cup_cache_part_commit(part, cache, sha, &error);
  g_assert_no_error(error);
  g_assert_nonnull(final);
  return final;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in DIR/archives, sorted, joined by spaces. */
static char *archive_names(CupCache *cache)
{
  g_autofree char *archives = g_build_filename(cup_cache_dir(cache), "archives", NULL);
  g_autoptr(GDir) dir = g_dir_open(archives, 0, NULL);
  g_assert_nonnull(dir);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL)
    g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, compare_names);
  g_ptr_array_add(names, NULL);
  return g_strjoinv(" ", (char **)names->pdata);
}

/* ---- layout ---- */

static void test_default_dir_child(void)
{
  g_autofree char *root = cup_test_make_root();
  g_setenv("XDG_CACHE_HOME", root, TRUE);
  g_autofree char *dir = cup_cache_default_dir();
  g_autofree char *expected = g_build_filename(root, "cudaup", NULL);
  g_assert_cmpstr(dir, ==, expected);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupCache) cache = cup_cache_open(NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(cup_cache_dir(cache), ==, expected);
  g_autofree char *archives = g_build_filename(expected, "archives", NULL);
  g_assert_true(g_file_test(archives, G_FILE_TEST_IS_DIR));
  cup_test_remove_tree(root);
}

/* GLib reads XDG_CACHE_HOME once per process, so the check runs in a fresh one. */
static void test_default_dir(void)
{
  g_test_trap_subprocess("/cache/default-dir/subprocess", 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed();
}

static void test_open_layout(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  g_autofree char *dir = g_build_filename(root, "cache", NULL);
  g_autofree char *archives = g_build_filename(dir, "archives", NULL);
  g_autofree char *manifests = g_build_filename(dir, "manifests", NULL);
  g_assert_cmpstr(cup_cache_dir(cache), ==, dir);
  g_assert_cmpstr(cup_cache_manifests_dir(cache), ==, manifests);
  g_assert_true(g_file_test(archives, G_FILE_TEST_IS_DIR));
  g_assert_true(g_file_test(manifests, G_FILE_TEST_IS_DIR));
  const char *sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  g_autofree char *path = cup_cache_archive_path(cache, sha);
  g_autofree char *expected = g_build_filename(archives, sha, NULL);
  g_assert_cmpstr(path, ==, expected);
  /* opening again is fine */
  g_autoptr(CupCache) again = open_cache(root);
  cup_test_remove_tree(root);
}

/* A cache key becomes a file name: anything but 64 hex digits is refused. */
static void test_bad_key(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  g_autoptr(GError) error = NULL;
  CupCachePart *part = cup_cache_part_open(cache, "../../escape", &error);
  g_assert_null(part);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTERNAL);
  g_clear_error(&error);
  g_assert_null(cup_cache_lookup(cache, "ABC", 3, NULL, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTERNAL);
  g_autofree char *names = archive_names(cache);
  g_assert_cmpstr(names, ==, "");
  cup_test_remove_tree(root);
}

/* ---- `.part` files ---- */

static void test_part_resume(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  g_autofree guint8 *data = content(1, 1500);
  g_autofree char *sha = sha_of(data, 1500);
  CupCachePart *part = open_part(cache, sha);
  g_autofree char *host = host_tag();
  g_autofree char *name = g_strdup_printf("%s.%s.part", sha, host);
  g_assert_true(g_str_has_suffix(part->path, name));
  g_assert_cmpuint(part->length, ==, 0);
  g_assert_null(part->etag);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_cache_part_set_validators(part, "https://127.0.0.1/a.tar.xz", "\"abc\"",
                                              "Wed, 21 Oct 2015 07:28:00 GMT", &error));
  g_assert_no_error(error);
  write_part(part, data, 1000);
  g_assert_cmpuint(part->length, ==, 1000);
  g_autofree char *path = g_strdup(part->path);
  cup_cache_part_close(part);
  g_assert_cmpuint(file_size(path), ==, 1000);

  part = open_part(cache, sha);
  g_assert_cmpstr(part->path, ==, path);
  g_assert_cmpuint(part->length, ==, 1000);
  g_assert_cmpstr(part->url, ==, "https://127.0.0.1/a.tar.xz");
  g_assert_cmpstr(part->etag, ==, "\"abc\"");
  g_assert_cmpstr(part->last_modified, ==, "Wed, 21 Oct 2015 07:28:00 GMT");
  /* the descriptor is at the end: more bytes are appended */
  write_part(part, data + 1000, 500);
  g_autofree char *final = commit_part(part, cache, sha);
  g_autofree char *copy = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(final, &copy, &len, NULL));
  g_assert_cmpmem(copy, len, data, 1500);
  cup_test_remove_tree(root);
}

static void test_part_validators_optional(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  const char *sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  CupCachePart *part = open_part(cache, sha);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_cache_part_set_validators(part, "https://h/x", "\"e1\"", NULL, &error));
  g_assert_true(
      cup_cache_part_set_validators(part, "https://h/y", NULL, "Thu, 01 Jan 2026", &error));
  g_assert_no_error(error);
  cup_cache_part_close(part);
  part = open_part(cache, sha);
  g_assert_cmpstr(part->url, ==, "https://h/y");
  g_assert_null(part->etag);
  g_assert_cmpstr(part->last_modified, ==, "Thu, 01 Jan 2026");
  cup_cache_part_discard(part);
  cup_test_remove_tree(root);
}

static void test_part_truncate(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  g_autofree guint8 *data = content(2, 4000);
  g_autofree char *sha = sha_of(data, 4000);
  CupCachePart *part = open_part(cache, sha);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_cache_part_set_validators(part, "https://h/old", "\"old\"", NULL, &error));
  write_part(part, "stale bytes", 11);
  g_autofree char *meta = meta_of(part);
  g_assert_true(exists(meta));
  g_assert_true(cup_cache_part_truncate(part, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(part->length, ==, 0);
  g_assert_null(part->url);
  g_assert_null(part->etag);
  g_assert_false(exists(meta));
  g_assert_cmpuint(file_size(part->path), ==, 0);
  write_part(part, data, 4000);
  g_assert_cmpuint(file_size(part->path), ==, 4000);
  g_autofree char *final = commit_part(part, cache, sha);
  g_autofree char *hex = cup_sha256_file(final, G_MAXUINT64, NULL, NULL, &error);
  g_assert_cmpstr(hex, ==, sha);
  cup_test_remove_tree(root);
}

static void test_part_commit(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  g_autofree guint8 *data = content(3, 300 * KIB);
  g_autofree char *sha = sha_of(data, 300 * KIB);
  CupCachePart *part = open_part(cache, sha);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_cache_part_set_validators(part, "https://h/x", "\"e\"", NULL, &error));
  for (gsize off = 0; off < 300 * KIB; off += 7 * KIB)
    write_part(part, data + off, MIN(7 * KIB, 300 * KIB - off));
  g_autofree char *path = g_strdup(part->path);
  g_autofree char *meta = meta_of(part);
  g_autofree char *final = commit_part(part, cache, sha);
  g_autofree char *expected = cup_cache_archive_path(cache, sha);
  g_assert_cmpstr(final, ==, expected);
  g_assert_false(exists(path));
  g_assert_false(exists(meta));
  g_autofree char *names = archive_names(cache);
  g_assert_cmpstr(names, ==, sha);
  g_autofree char *found = cup_cache_lookup(cache, sha, 300 * KIB, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(found, ==, expected);
  cup_test_remove_tree(root);
}

static void test_part_discard(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  const char *sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  CupCachePart *part = open_part(cache, sha);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_cache_part_set_validators(part, "https://h/x", "\"e\"", NULL, &error));
  write_part(part, "abd", 3);
  g_autofree char *path = g_strdup(part->path);
  g_autofree char *meta = meta_of(part);
  cup_cache_part_discard(part);
  g_assert_false(exists(path));
  g_assert_false(exists(meta));
  g_autofree char *names = archive_names(cache);
  g_assert_cmpstr(names, ==, "");
  cup_test_remove_tree(root);
}

/* Two downloads of one archive in one process: the second gets a `.part` of its own, and
 * both may commit (the bytes are the same). */
static void test_part_twice(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  g_autofree guint8 *data = content(4, 64 * KIB);
  g_autofree char *sha = sha_of(data, 64 * KIB);
  CupCachePart *first = open_part(cache, sha);
  CupCachePart *second = open_part(cache, sha);
  g_assert_cmpstr(first->path, !=, second->path);
  g_autofree char *own = g_strdup_printf("-%d.part", (int)getpid());
  g_assert_true(g_str_has_suffix(second->path, own));
  write_part(first, data, 64 * KIB);
  write_part(second, data, 64 * KIB);
  g_autofree char *a = commit_part(second, cache, sha);
  g_autofree char *b = commit_part(first, cache, sha);
  g_assert_cmpstr(a, ==, b);
  g_autofree char *names = archive_names(cache);
  g_assert_cmpstr(names, ==, sha);
  cup_test_remove_tree(root);
}

/* A commit removes `.part` files of the same archive that nobody holds (an earlier run, a
 * download that lost the race), and leaves alone one that is still being written. */
static void test_commit_removes_stale(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  g_autofree guint8 *data = content(5, 10 * KIB);
  g_autofree char *sha = sha_of(data, 10 * KIB);
  g_autofree char *stale = g_strdup_printf("archives/%s.otherhost.part", sha);
  g_autofree char *stale_meta = g_strdup_printf("%s.meta", stale);
  g_autofree char *orphan_meta = g_strdup_printf("archives/%s.gone.part.meta", sha);
  const char *other =
      "archives/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.h.part";
  g_autofree char *dir = g_build_filename(root, "cache", NULL);
  cup_test_write(dir, stale, "old");
  cup_test_write(dir, stale_meta, "[part]\nurl=https://h/x\n");
  cup_test_write(dir, orphan_meta, "[part]\nurl=https://h/x\n");
  cup_test_write(dir, other, "another archive");
  CupCachePart *busy = open_part(cache, sha);
  CupCachePart *part = open_part(cache, sha);
  write_part(part, data, 10 * KIB);
  g_autofree char *busy_path = g_strdup(busy->path);
  g_autofree char *final = commit_part(part, cache, sha);
  g_autofree char *names = archive_names(cache);
  g_autofree char *busy_name = g_path_get_basename(busy_path);
  g_autofree char *other_name = g_path_get_basename(other);
  g_autofree char *expected = g_strjoin(" ", sha, busy_name, other_name, NULL);
  g_assert_cmpstr(names, ==, expected);
  cup_cache_part_discard(busy);
  cup_test_remove_tree(root);
}

/* ---- lookup ---- */

static void test_lookup(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  g_autofree guint8 *data = content(6, 1 * MIB + 3);
  g_autofree char *sha = sha_of(data, 1 * MIB + 3);
  g_autofree char *path = cup_cache_archive_path(cache, sha);
  g_autoptr(GError) error = NULL;

  g_assert_null(cup_cache_lookup(cache, sha, 1 * MIB + 3, NULL, &error));
  g_assert_no_error(error);

  g_assert_true(g_file_set_contents(path, (const char *)data, 1 * MIB + 3, NULL));
  g_autofree char *found = cup_cache_lookup(cache, sha, 1 * MIB + 3, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(found, ==, path);
  g_assert_true(exists(path));

  /* a manifest listing another size: the file is not the archive wanted */
  g_assert_null(cup_cache_lookup(cache, sha, 1 * MIB + 4, NULL, &error));
  g_assert_no_error(error);
  g_assert_false(exists(path));

  /* the right size but damaged bytes */
  data[MIB] ^= 0x01;
  g_assert_true(g_file_set_contents(path, (const char *)data, 1 * MIB + 3, NULL));
  g_assert_null(cup_cache_lookup(cache, sha, 1 * MIB + 3, NULL, &error));
  g_assert_no_error(error);
  g_assert_false(exists(path));
  cup_test_remove_tree(root);
}

static void test_lookup_cancelled(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  g_autofree guint8 *data = content(7, 1000);
  g_autofree char *sha = sha_of(data, 1000);
  g_autofree char *path = cup_cache_archive_path(cache, sha);
  g_assert_true(g_file_set_contents(path, (const char *)data, 1000, NULL));
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  g_cancellable_cancel(cancellable);
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_cache_lookup(cache, sha, 1000, cancellable, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CANCELLED);
  g_assert_true(exists(path)); /* not judged, so not removed */
  cup_test_remove_tree(root);
}

/* ---- several processes ---- */

static void wait_for_file(const char *path)
{
  for (int i = 0; i < 10000 && !exists(path); i++)
    g_usleep(1000);
}

/* One simulated download of the shared archive into @dir, started when @dir/go appears. */
static int run_writer(const char *dir)
{
  g_autofree char *go = g_build_filename(dir, "go", NULL);
  wait_for_file(go);
  g_autofree guint8 *data = content(SHARED_SEED, SHARED_SIZE);
  g_autofree char *sha = sha_of(data, SHARED_SIZE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupCache) cache = cup_cache_open(dir, &error);
  g_assert_no_error(error);
  CupCachePart *part = open_part(cache, sha);
  g_autoptr(CupSha256) hash = cup_sha256_new();
  g_assert_true(cup_sha256_update_from_file(hash, part->path, part->length, NULL, &error));
  g_assert_true(cup_cache_part_set_validators(part, "https://127.0.0.1/x", "\"e\"", NULL, &error));
  for (gsize off = part->length; off < SHARED_SIZE; off += 64 * KIB) {
    gsize n = MIN(64 * KIB, SHARED_SIZE - off);
    write_part(part, data + off, n);
    cup_sha256_update(hash, data + off, n);
    g_usleep(g_random_int_range(0, 4000));
  }
  g_autofree char *hex = cup_sha256_finish(hash);
  g_assert_cmpstr(hex, ==, sha);
  g_autofree char *final = commit_part(part, cache, sha);
  return 0;
}

static char *self_path(void)
{
  char *self = g_file_read_link("/proc/self/exe", NULL);
  g_assert_nonnull(self);
  return self;
}

/* Four processes download the same archive into one cache at once: afterwards there is one
 * verified file and no `.part` or meta file left. */
static void test_processes(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree char *dir = g_build_filename(root, "cache", NULL);
  g_autofree char *self = self_path();
  GSubprocess *children[4];
  for (guint i = 0; i < G_N_ELEMENTS(children); i++) {
    g_autoptr(GError) error = NULL;
    children[i] = g_subprocess_new(G_SUBPROCESS_FLAGS_NONE, &error, self, "--writer", dir, NULL);
    g_assert_no_error(error);
  }
  cup_test_write(root, "cache/go", "");
  for (guint i = 0; i < G_N_ELEMENTS(children); i++) {
    g_autoptr(GError) error = NULL;
    g_assert_true(g_subprocess_wait_check(children[i], NULL, &error));
    g_assert_no_error(error);
    g_object_unref(children[i]);
  }
  g_autofree guint8 *data = content(SHARED_SEED, SHARED_SIZE);
  g_autofree char *sha = sha_of(data, SHARED_SIZE);
  g_autoptr(CupCache) cache = open_cache(root);
  g_autofree char *names = archive_names(cache);
  g_assert_cmpstr(names, ==, sha);
  g_autoptr(GError) error = NULL;
  g_autofree char *found = cup_cache_lookup(cache, sha, SHARED_SIZE, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(found);
  cup_test_remove_tree(root);
}

/* ---- a full disk and a read-only cache, on a tmpfs in a mount namespace of our own ---- */

static gboolean write_proc(const char *path, const char *text)
{
  return g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL);
}

/* Enter a mount namespace of our own: directly as root, else (not root, or root without
 * CAP_SYS_ADMIN in a container) inside a user namespace where we are root. Returns NULL, or
 * why not (newly allocated). */
static char *enter_mount_namespace(void)
{
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (uid == 0 && unshare(CLONE_NEWNS) == 0)
    return NULL;
  if (unshare(CLONE_NEWNS | CLONE_NEWUSER) != 0)
    return g_strdup_printf("no mount namespace for a tmpfs: unshare: %s", g_strerror(errno));
  g_autofree char *uid_map = g_strdup_printf("0 %d 1\n", (int)uid);
  g_autofree char *gid_map = g_strdup_printf("0 %d 1\n", (int)gid);
  if (!write_proc("/proc/self/setgroups", "deny") || !write_proc("/proc/self/uid_map", uid_map) ||
      !write_proc("/proc/self/gid_map", gid_map))
    return g_strdup("no mount namespace for a tmpfs: cannot map our user into a user namespace");
  return NULL;
}

/* Mount a tmpfs of @size on @dir, seen by this process only. Returns NULL, or why not. */
static char *mount_tmpfs(const char *dir, const char *size)
{
  char *why = enter_mount_namespace();
  if (why != NULL)
    return why;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    return g_strdup_printf("cannot make / private for a tmpfs: %s", g_strerror(errno));
  g_autofree char *options = g_strdup_printf("size=%s", size);
  if (mount("tmpfs", dir, "tmpfs", 0, options) != 0)
    return g_strdup_printf("cannot mount a tmpfs: %s", g_strerror(errno));
  return NULL;
}

static int helper_skip(char *why)
{
  g_print("%s\n", why);
  g_free(why);
  return SKIP_STATUS;
}

/* A 64 KiB file system: writing 256 KiB fails with the message that names the cure. */
static int run_disk_full(const char *dir)
{
  char *why = mount_tmpfs(dir, "64k");
  if (why != NULL)
    return helper_skip(why);
  g_autoptr(CupCache) cache = open_cache(dir);
  g_autofree guint8 *data = content(8, 256 * KIB);
  g_autofree char *sha = sha_of(data, 256 * KIB);
  CupCachePart *part = open_part(cache, sha);
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_cache_part_write(part, data, 256 * KIB, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_autofree char *expected = g_strdup_printf("no space left on the disk of %s while writing %s: "
                                              "free space or use --cache DIR",
                                              cup_cache_dir(cache), part->path);
  g_assert_cmpstr(error->message, ==, expected);
  g_assert_cmpuint(part->length, <, 256 * KIB);
  g_assert_cmpuint(part->length, ==, file_size(part->path));
  g_autofree char *final = cup_cache_archive_path(cache, sha);
  g_assert_false(exists(final));
  cup_cache_part_discard(part);
  return 0;
}

static void assert_open_fails(const char *dir, const char *named, const char *phrase)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CupCache) cache = cup_cache_open(dir, &error);
  g_assert_null(cache);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, named));
  g_assert_nonnull(strstr(error->message, phrase));
  g_assert_nonnull(strstr(error->message, "--cache DIR"));
}

/* @ro_dir is read-only and holds a cache in cache/: neither that cache nor a new one in it
 * can be used. */
static void check_read_only(const char *ro_dir)
{
  g_autofree char *existing = g_build_filename(ro_dir, "cache", NULL);
  g_autofree char *archives = g_build_filename(existing, "archives", NULL);
  assert_open_fails(existing, archives, "is not writable");
  g_autofree char *absent = g_build_filename(ro_dir, "new", NULL);
  assert_open_fails(absent, absent, "cannot create");
}

/* Root passes permission checks, so the directory is made read-only by remounting. */
static int run_read_only(const char *dir)
{
  char *why = mount_tmpfs(dir, "1m");
  if (why != NULL)
    return helper_skip(why);
  g_autoptr(CupCache) cache = open_cache(dir);
  if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0)
    return helper_skip(g_strdup_printf("cannot remount a tmpfs read-only: %s", g_strerror(errno)));
  check_read_only(dir);
  return 0;
}

/* Runs this program as `--MODE DIR`; returns after a pass, skips with the helper's reason. */
static void run_helper(const char *mode)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree char *self = self_path();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child =
      g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
                       self, mode, root, NULL);
  g_assert_no_error(error);
  g_autofree char *output = NULL;
  g_assert_true(g_subprocess_communicate_utf8(child, NULL, NULL, &output, NULL, &error));
  g_assert_no_error(error);
  g_strchomp(output);
  if (g_subprocess_get_if_exited(child) && g_subprocess_get_exit_status(child) == SKIP_STATUS)
    g_test_skip(output);
  else if (!g_subprocess_get_successful(child))
    g_test_fail_printf("%s %s failed: %s", self, mode, output);
  cup_test_remove_tree(root);
}

static void test_disk_full(void)
{
  run_helper("--disk-full");
}

static void test_read_only(void)
{
  if (geteuid() == 0) {
    run_helper("--read-only");
    return;
  }
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupCache) cache = open_cache(root);
  g_assert_cmpint(g_chmod(root, 0555), ==, 0);
  g_autofree char *dir = g_build_filename(root, "cache", NULL);
  g_assert_cmpint(g_chmod(dir, 0555), ==, 0);
  g_autofree char *archives = g_build_filename(dir, "archives", NULL);
  g_assert_cmpint(g_chmod(archives, 0555), ==, 0);
  check_read_only(root);
  g_chmod(archives, 0755);
  g_chmod(dir, 0755);
  g_chmod(root, 0755);
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  if (argc == 3 && strcmp(argv[1], "--writer") == 0)
    return run_writer(argv[2]);
  if (argc == 3 && strcmp(argv[1], "--disk-full") == 0)
    return run_disk_full(argv[2]);
  if (argc == 3 && strcmp(argv[1], "--read-only") == 0)
    return run_read_only(argv[2]);
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cache/default-dir", test_default_dir);
  g_test_add_func("/cache/default-dir/subprocess", test_default_dir_child);
  g_test_add_func("/cache/open-layout", test_open_layout);
  g_test_add_func("/cache/bad-key", test_bad_key);
  g_test_add_func("/cache/part/resume", test_part_resume);
  g_test_add_func("/cache/part/validators-optional", test_part_validators_optional);
  g_test_add_func("/cache/part/truncate", test_part_truncate);
  g_test_add_func("/cache/part/commit", test_part_commit);
  g_test_add_func("/cache/part/discard", test_part_discard);
  g_test_add_func("/cache/part/twice-in-one-process", test_part_twice);
  g_test_add_func("/cache/part/commit-removes-stale", test_commit_removes_stale);
  g_test_add_func("/cache/lookup", test_lookup);
  g_test_add_func("/cache/lookup-cancelled", test_lookup_cancelled);
  g_test_add_func("/cache/processes", test_processes);
  g_test_add_func("/cache/disk-full", test_disk_full);
  g_test_add_func("/cache/read-only", test_read_only);
  return g_test_run();
}
