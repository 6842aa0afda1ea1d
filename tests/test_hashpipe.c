/* test_hashpipe.c - SHA-256 on a worker thread gives the same digest as hashing in place. */
#include "core/hashpipe.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>

static GBytes *random_bytes(gsize len)
{
  guint8 *data = g_malloc(len);
  for (gsize i = 0; i < len; i++)
    data[i] = (guint8)g_random_int();
  return g_bytes_new_take(data, len);
}

static void feed(CupHashPipe *pipe, GBytes *bytes, gsize from, gsize to)
{
  const guint8 *data = g_bytes_get_data(bytes, NULL);
  for (gsize at = from; at < to;) {
    gsize step = (gsize)g_random_int_range(1, 300000); /* sizes across the block edges */
    gsize n = MIN(step, to - at);
    cup_hash_pipe_update(pipe, data + at, n);
    at += n;
  }
}

static void test_same_digest(void)
{
  g_autoptr(GBytes) bytes = random_bytes(9 * 1024 * 1024 + 17); /* more than the block pool */
  g_autofree char *want = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, bytes);
  g_autoptr(CupHashPipe) pipe = cup_hash_pipe_new();
  feed(pipe, bytes, 0, g_bytes_get_size(bytes));
  g_assert_cmpuint(cup_hash_pipe_length(pipe), ==, g_bytes_get_size(bytes));
  g_autofree char *got = cup_hash_pipe_finish(pipe);
  g_assert_cmpstr(got, ==, want);
  g_assert_cmpuint(cup_hash_pipe_length(pipe), ==, 0);
  /* After finish the pipe starts over. */
  cup_hash_pipe_update(pipe, "abc", 3);
  g_autofree char *abc = cup_hash_pipe_finish(pipe);
  g_assert_cmpstr(abc, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_reset_and_prime(void)
{
  g_autoptr(GBytes) bytes = random_bytes(3 * 1024 * 1024 + 5);
  gsize len = g_bytes_get_size(bytes);
  g_autofree char *want = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, bytes);
  g_autoptr(CupHashPipe) pipe = cup_hash_pipe_new();
  g_autoptr(GBytes) noise = random_bytes(2 * 1024 * 1024);
  feed(pipe, noise, 0, g_bytes_get_size(noise));
  cup_hash_pipe_reset(pipe); /* a download restarted from zero */
  g_assert_cmpuint(cup_hash_pipe_length(pipe), ==, 0);

  /* A resumed download: the first part comes from the file, the rest from the network. */
  g_autofree char *root = cup_test_make_root();
  g_autofree char *path = g_build_filename(root, "part", NULL);
  gsize have = 1234567;
  g_assert_true(g_file_set_contents(path, g_bytes_get_data(bytes, NULL), (gssize)have, NULL));
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_hash_pipe_update_from_file(pipe, path, have, NULL, &error));
  g_assert_no_error(error);
  feed(pipe, bytes, have, len);
  g_autofree char *got = cup_hash_pipe_finish(pipe);
  g_assert_cmpstr(got, ==, want);

  g_assert_false(cup_hash_pipe_update_from_file(pipe, path, have + 1, NULL, &error));
  g_assert_nonnull(error);
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/hashpipe/same-digest", test_same_digest);
  g_test_add_func("/hashpipe/reset-and-prime", test_reset_and_prime);
  return g_test_run();
}
