/* test_digest.c - core/digest: SHA-256 of streams and files, against known vectors and GLib. */
#include "core/digest.h"
#include "core/error.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MIB (1024 * 1024)

static guint8 *random_bytes(gsize len)
{
  guint8 *data = g_malloc(len);
  for (gsize i = 0; i < len; i++)
    data[i] = (guint8)g_test_rand_int_range(0, 256);
  return data;
}

static char *glib_sha256(const guint8 *data, gsize len)
{
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

/* A file of @len random bytes in a fresh directory; *@data gets the bytes. */
static char *random_file(const char *root, gsize len, guint8 **data)
{
  g_autofree char *path = g_build_filename(root, "blob", NULL);
  *data = random_bytes(len);
  g_autoptr(GError) error = NULL;
  g_file_set_contents(path, (const char *)*data, (gssize)len, &error);
  g_assert_no_error(error);
  return g_steal_pointer(&path);
}

static void test_vectors(void)
{
  g_autoptr(CupSha256) ctx = cup_sha256_new();
  g_autofree char *empty = cup_sha256_finish(ctx);
  g_assert_cmpstr(empty, ==, SHA_EMPTY);
  cup_sha256_update(ctx, "abc", 3);
  g_assert_cmpuint(cup_sha256_length(ctx), ==, 3);
  g_autofree char *abc = cup_sha256_finish(ctx);
  g_assert_cmpstr(abc, ==, SHA_ABC);
  /* finish resets: the context is fresh again */
  g_assert_cmpuint(cup_sha256_length(ctx), ==, 0);
  g_autofree char *again = cup_sha256_finish(ctx);
  g_assert_cmpstr(again, ==, SHA_EMPTY);
}

static void test_reset(void)
{
  g_autoptr(CupSha256) ctx = cup_sha256_new();
  cup_sha256_update(ctx, "some bytes of a download that restarted", 39);
  cup_sha256_reset(ctx);
  g_assert_cmpuint(cup_sha256_length(ctx), ==, 0);
  cup_sha256_update(ctx, "ab", 2);
  cup_sha256_update(ctx, "c", 1);
  g_autofree char *hex = cup_sha256_finish(ctx);
  g_assert_cmpstr(hex, ==, SHA_ABC);
}

/* The digest cannot depend on how the bytes were cut into chunks. */
static void test_chunks(void)
{
  const gsize len = 3 * 65536 + 17;
  g_autofree guint8 *data = random_bytes(len);
  g_autofree char *expected = glib_sha256(data, len);
  const gsize sizes[] = {1, 7, 63, 64, 65, 4096, 65537};
  for (guint s = 0; s < G_N_ELEMENTS(sizes); s++) {
    g_autoptr(CupSha256) ctx = cup_sha256_new();
    for (gsize off = 0; off < len; off += sizes[s])
      cup_sha256_update(ctx, data + off, MIN(sizes[s], len - off));
    g_assert_cmpuint(cup_sha256_length(ctx), ==, len);
    g_autofree char *hex = cup_sha256_finish(ctx);
    g_assert_cmpstr(hex, ==, expected);
  }
  g_autoptr(CupSha256) ctx = cup_sha256_new();
  for (gsize off = 0; off < len;) {
    gsize n = (gsize)g_test_rand_int_range(0, 5000);
    n = MIN(n, len - off);
    cup_sha256_update(ctx, data + off, n);
    off += n;
  }
  g_autofree char *hex = cup_sha256_finish(ctx);
  g_assert_cmpstr(hex, ==, expected);
}

/* A file larger than one read block, against GLib's own SHA-256. */
static void test_file(void)
{
  g_autofree char *root = cup_test_make_root();
  const gsize len = MIB + 12345;
  g_autofree guint8 *data = NULL;
  g_autofree char *path = random_file(root, len, &data);
  g_autofree char *expected = glib_sha256(data, len);
  g_autoptr(GError) error = NULL;
  guint64 size = 0;
  g_autofree char *hex = cup_sha256_file(path, G_MAXUINT64, &size, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(hex, ==, expected);
  g_assert_cmpuint(size, ==, len);
  /* a cap at the exact size reads it all */
  g_autofree char *capped = cup_sha256_file(path, len, &size, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(capped, ==, expected);
  g_assert_cmpuint(size, ==, len);
  cup_test_remove_tree(root);
}

/* A file longer than the cap: cap + 1 bytes are read and hashed, no more. */
static void test_file_cap(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree guint8 *data = NULL;
  g_autofree char *path = random_file(root, 300, &data);
  g_autofree char *expected = glib_sha256(data, 101);
  g_autoptr(GError) error = NULL;
  guint64 size = 0;
  g_autofree char *hex = cup_sha256_file(path, 100, &size, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(size, ==, 101);
  g_assert_cmpstr(hex, ==, expected);
  cup_test_remove_tree(root);
}

/* A resumed download primes its hash with the prefix already on disk. */
static void test_prefix(void)
{
  g_autofree char *root = cup_test_make_root();
  const gsize len = MIB + 4096;
  g_autofree guint8 *data = NULL;
  g_autofree char *path = random_file(root, len, &data);
  const gsize prefixes[] = {0, 1, 1000, MIB, MIB + 5, len};
  for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++) {
    gsize n = prefixes[i];
    g_autoptr(CupSha256) ctx = cup_sha256_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(cup_sha256_update_from_file(ctx, path, n, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(cup_sha256_length(ctx), ==, n);
    /* then the rest arrives from the network */
    cup_sha256_update(ctx, data + n, len - n);
    g_autofree char *hex = cup_sha256_finish(ctx);
    g_autofree char *expected = glib_sha256(data, len);
    g_assert_cmpstr(hex, ==, expected);
  }
  cup_test_remove_tree(root);
}

static void test_short_file(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree guint8 *data = NULL;
  g_autofree char *path = random_file(root, 500, &data);
  g_autoptr(CupSha256) ctx = cup_sha256_new();
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_sha256_update_from_file(ctx, path, 501, NULL, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, path));
  g_assert_nonnull(strstr(error->message, "500"));
  cup_test_remove_tree(root);
}

static void test_missing_file(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree char *path = g_build_filename(root, "absent", NULL);
  g_autoptr(GError) error = NULL;
  guint64 size = 7;
  g_autofree char *hex = cup_sha256_file(path, G_MAXUINT64, &size, NULL, &error);
  g_assert_null(hex);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, path));
  g_assert_cmpuint(size, ==, 7);
  cup_test_remove_tree(root);
}

static void test_cancelled_before(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree guint8 *data = NULL;
  g_autofree char *path = random_file(root, 100, &data);
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  g_cancellable_cancel(cancellable);
  g_autoptr(GError) error = NULL;
  g_autofree char *hex = cup_sha256_file(path, G_MAXUINT64, NULL, cancellable, &error);
  g_assert_null(hex);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CANCELLED);
  cup_test_remove_tree(root);
}

typedef struct {
  char *fifo;
  GCancellable *cancellable;
} Feeder;

/* Writes 2 MiB into the FIFO, cancels, then offers 8 MiB more until the reader goes away. */
static gpointer feed_fifo(gpointer user_data)
{
  Feeder *feeder = user_data;
  int fd = g_open(feeder->fifo, O_WRONLY, 0);
  g_assert_cmpint(fd, >=, 0);
  g_autofree guint8 *chunk = g_malloc0(65536);
  for (int i = 0; i < 160; i++) {
    if (i == 32)
      g_cancellable_cancel(feeder->cancellable);
    if (write(fd, chunk, 65536) != 65536)
      break;
  }
  close(fd);
  return NULL;
}

/* Cancellation is noticed between blocks of a long read, not only before it starts: the
 * reader of a FIFO would otherwise read all 10 MiB and then fail on the short file. */
static void test_cancelled_between_blocks(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree char *fifo = g_build_filename(root, "fifo", NULL);
  g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  signal(SIGPIPE, SIG_IGN);
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  Feeder feeder = {fifo, cancellable};
  GThread *thread = g_thread_new("feeder", feed_fifo, &feeder);
  g_autoptr(CupSha256) ctx = cup_sha256_new();
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_sha256_update_from_file(ctx, fifo, 64 * MIB, cancellable, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CANCELLED);
  g_assert_cmpuint(cup_sha256_length(ctx), >=, 2 * MIB - 65536);
  g_assert_cmpuint(cup_sha256_length(ctx), <, 10 * MIB);
  g_thread_join(thread);
  cup_test_remove_tree(root);
}

static void test_is_hex(void)
{
  g_assert_true(cup_sha256_is_hex(SHA_ABC));
  g_assert_false(cup_sha256_is_hex(NULL));
  g_assert_false(cup_sha256_is_hex(""));
  g_assert_false(cup_sha256_is_hex("abc"));
  g_autofree char *upper = g_ascii_strup(SHA_ABC, -1);
  g_assert_false(cup_sha256_is_hex(upper));
  g_autofree char *longer = g_strconcat(SHA_ABC, "0", NULL);
  g_assert_false(cup_sha256_is_hex(longer));
  g_autofree char *slash = g_strdup(SHA_ABC);
  slash[10] = '/';
  g_assert_false(cup_sha256_is_hex(slash));
  g_autofree char *g = g_strdup(SHA_ABC);
  g[0] = 'g';
  g_assert_false(cup_sha256_is_hex(g));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/digest/vectors", test_vectors);
  g_test_add_func("/digest/reset", test_reset);
  g_test_add_func("/digest/chunks", test_chunks);
  g_test_add_func("/digest/file", test_file);
  g_test_add_func("/digest/file-cap", test_file_cap);
  g_test_add_func("/digest/prefix", test_prefix);
  g_test_add_func("/digest/short-file", test_short_file);
  g_test_add_func("/digest/missing-file", test_missing_file);
  g_test_add_func("/digest/cancelled-before", test_cancelled_before);
  g_test_add_func("/digest/cancelled-between-blocks", test_cancelled_between_blocks);
  g_test_add_func("/digest/is-hex", test_is_hex);
  return g_test_run();
}
