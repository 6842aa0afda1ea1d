/* test_fetch.c - core/fetch without a server: file:// mirrors the user named, offline bundles,
 * redistrib manifests and their pins, duplicates, progress events, and the mirror rules.
 * and proxies (a plain-HTTP test server on 127.0.0.1 acting as the proxy). The loopback HTTPS
 * tests (nginx, the fault-injecting server) are in test_fetch_faults.c. */
#include "core/error.h"
#include "core/fetch.h"
#include "core/redist.h"
#include "tests/support/faultserver.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  char *root;   /* temp dir: mirror/ and cache/ below it */
  char *mirror; /* the mirror tree */
  char *mirror_url;
  CupCache *cache;
} Fixture;

static void fixture_set_up(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  fx->root = cup_test_make_root();
  fx->mirror = g_build_filename(fx->root, "mirror", NULL);
  fx->mirror_url = g_filename_to_uri(fx->mirror, NULL, NULL);
  g_autofree char *cache = g_build_filename(fx->root, "cache", NULL);
  fx->cache = cup_cache_open(cache, &error);
  g_assert_no_error(error);
}

static void fixture_tear_down(Fixture *fx, gconstpointer data)
{
  (void)data;
  cup_cache_free(fx->cache);
  cup_test_remove_tree(fx->root);
  g_free(fx->root);
  g_free(fx->mirror);
  g_free(fx->mirror_url);
}

/* Put @content at mirror/@path; returns its sha256. */
static char *put(Fixture *fx, const char *path, const char *content)
{
  cup_test_write(fx->mirror, path, content);
  return g_compute_checksum_for_string(G_CHECKSUM_SHA256, content, -1);
}

static guint count_files(const char *dir, const char *suffix)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  guint n = 0;
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL)
    n += suffix == NULL || g_str_has_suffix(name, suffix);
  return n;
}

static guint cached_archives(Fixture *fx)
{
  g_autofree char *dir = g_build_filename(cup_cache_dir(fx->cache), "archives", NULL);
  return count_files(dir, NULL);
}

static CupFetchOptions file_options(Fixture *fx, const char *const *mirrors)
{
  (void)fx;
  return (CupFetchOptions){.mirrors = mirrors, .mirrors_explicit = TRUE, .backoff_base_ms = 1};
}

static void test_file_mirror(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *a = put(fx, "cuda/redist/cuda_a/linux-x86_64/a-archive.tar.xz", "alpha bytes");
  g_autofree char *b = put(fx, "cuda/redist/cuda_b/linux-x86_64/b-archive.tar.xz", "beta!");
  const CupFetchItem items[] = {
      {"cuda_a", "cuda/redist/cuda_a/linux-x86_64/a-archive.tar.xz", a, 11},
      {"cuda_b", "cuda/redist/cuda_b/linux-x86_64/b-archive.tar.xz", b, 5},
      {"cuda_a_again", "cuda/redist/cuda_a/linux-x86_64/a-archive.tar.xz", a, 11},
  };
  const char *mirrors[] = {fx->mirror_url, NULL};
  CupFetchOptions o = file_options(fx, mirrors);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = cup_fetch_run(&o, fx->cache, items, 3, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(first->len, ==, 3);
  CupFetchResult *r0 = g_ptr_array_index(first, 0), *r2 = g_ptr_array_index(first, 2);
  g_autofree char *want = cup_cache_archive_path(fx->cache, a);
  g_assert_cmpstr(r0->path, ==, want);
  g_assert_cmpstr(r2->path, ==, want); /* one download for one sha256 */
  g_assert_false(r0->from_cache);
  g_assert_cmpuint(r0->downloaded, ==, 11);
  g_autofree char *got = NULL;
  g_assert_true(g_file_get_contents(r0->path, &got, NULL, NULL));
  g_assert_cmpstr(got, ==, "alpha bytes");
  g_assert_cmpuint(cached_archives(fx), ==, 2);

  g_autoptr(GPtrArray) second = cup_fetch_run(&o, fx->cache, items, 3, &error);
  g_assert_no_error(error);
  for (guint i = 0; i < second->len; i++) {
    CupFetchResult *r = g_ptr_array_index(second, i);
    g_assert_true(r->from_cache);
    g_assert_cmpuint(r->downloaded, ==, 0);
    g_assert_cmpuint(r->attempts, ==, 0);
  }
}

static void test_mirror_rules(void)
{
  const struct {
    const char *url;
    gboolean explicit_mirror, ok;
  } rows[] = {
      {"https://developer.download.nvidia.com/compute", FALSE, TRUE},
      {"http://lab-server/nvidia", FALSE, FALSE},
      {"http://lab-server/nvidia", TRUE, TRUE},
      {"file:///srv/nvidia", FALSE, FALSE},
      {"file:///srv/nvidia", TRUE, TRUE},
      {"ftp://lab-server/nvidia", TRUE, FALSE},
      {"lab-server/nvidia", TRUE, FALSE},
      {"https://", TRUE, FALSE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    g_autoptr(GError) error = NULL;
    gboolean ok = cup_fetch_check_mirror(rows[i].url, rows[i].explicit_mirror, &error);
    g_assert_cmpint(ok, ==, rows[i].ok);
    if (!ok) {
      g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
      g_assert_nonnull(strstr(error->message, rows[i].url));
    }
  }
}

/* A file:// mirror that the user did not name is refused before anything is written. */
static void test_implicit_file_mirror_refused(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *a = put(fx, "cuda/redist/x.tar.xz", "x");
  const CupFetchItem item = {"x", "cuda/redist/x.tar.xz", a, 1};
  const char *mirrors[] = {fx->mirror_url, NULL};
  CupFetchOptions o = {.mirrors = mirrors};
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = cup_fetch_run(&o, fx->cache, &item, 1, &error);
  g_assert_null(r);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
  g_assert_cmpuint(cached_archives(fx), ==, 0);
}

static void test_offline(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *a = put(fx, "cudnn/redist/cudnn/linux-x86_64/c.tar.xz", "cudnn bytes");
  const CupFetchItem ok = {"cudnn", "cudnn/redist/cudnn/linux-x86_64/c.tar.xz", a, 11};
  /* Mirrors are ignored offline: this one would need the network. */
  const char *mirrors[] = {"https://developer.download.nvidia.com/compute", NULL};
  CupFetchOptions o = {.mirrors = mirrors, .offline_dir = fx->mirror};
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = cup_fetch_run(&o, fx->cache, &ok, 1, &error);
  g_assert_no_error(error);
  g_assert_true(g_str_has_prefix(((CupFetchResult *)g_ptr_array_index(r, 0))->url, "file://"));

  g_autofree char *n = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "nvcc", -1);
  const CupFetchItem missing = {"cuda_nvcc", "cuda/redist/cuda_nvcc/n.tar.xz", n, 4};
  g_autoptr(GPtrArray) none = cup_fetch_run(&o, fx->cache, &missing, 1, &error);
  g_assert_null(none);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NETWORK);
  g_assert_nonnull(strstr(error->message, "cuda_nvcc"));
  g_assert_nonnull(strstr(error->message, "not found"));
  g_clear_error(&error);

  g_autofree char *nowhere = g_build_filename(fx->root, "no-such-bundle", NULL);
  o.offline_dir = nowhere;
  g_assert_null(cup_fetch_run(&o, fx->cache, &ok, 1, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
  g_assert_nonnull(strstr(error->message, "--offline"));
}

/* Wrong bytes at the right length: discarded, one more try from zero, then a clear failure. */
static void test_mismatch(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *good = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "right", -1);
  g_autofree char *bad = put(fx, "cuda/redist/c/x.tar.xz", "wrong");
  const CupFetchItem item = {"cuda_c", "cuda/redist/c/x.tar.xz", good, 5};
  const char *mirrors[] = {fx->mirror_url, NULL};
  CupFetchOptions o = file_options(fx, mirrors);
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_fetch_run(&o, fx->cache, &item, 1, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_autofree char *want =
      g_strdup_printf("sha256 mismatch for cuda_c from %s/cuda/redist/c/x.tar.xz: expected %s, "
                      "got %s",
                      fx->mirror_url, good, bad);
  g_assert_cmpstr(error->message, ==, want);
  g_assert_cmpint(cup_error_exit_code(error), ==, cup_error_exit_code_for(CUP_ERROR_INTEGRITY));
  g_autofree char *final = cup_cache_archive_path(fx->cache, good);
  g_assert_false(g_file_test(final, G_FILE_TEST_EXISTS));
}

/* A file longer than its manifest size is cut at size + 1 bytes and refused. */
static void test_too_large(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *sha = put(fx, "cuda/redist/d/x.tar.xz", "0123456789");
  const CupFetchItem item = {"cuda_d", "cuda/redist/d/x.tar.xz", sha, 4};
  const char *mirrors[] = {fx->mirror_url, NULL};
  CupFetchOptions o = file_options(fx, mirrors);
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_fetch_run(&o, fx->cache, &item, 1, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_nonnull(strstr(error->message, "larger than the 4 bytes its manifest lists"));
  g_assert_cmpuint(cached_archives(fx), ==, 0);
}

/* Every mirror is tried in order, and the error names each with its last status. */
static void test_all_mirrors_listed(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "z", -1);
  g_autofree char *other = g_build_filename(fx->root, "other", NULL);
  g_autofree char *other_url = g_filename_to_uri(other, NULL, NULL);
  const char *mirrors[] = {fx->mirror_url, other_url, NULL};
  const CupFetchItem item = {"cuda_z", "cuda/redist/z.tar.xz", sha, 1};
  CupFetchOptions o = file_options(fx, mirrors);
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_fetch_run(&o, fx->cache, &item, 1, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NETWORK);
  g_autofree char *first = g_strdup_printf("%s/cuda/redist/z.tar.xz: not found", fx->mirror_url);
  g_autofree char *second = g_strdup_printf("%s/cuda/redist/z.tar.xz: not found", other_url);
  g_assert_nonnull(strstr(error->message, first));
  g_assert_nonnull(strstr(error->message, second));
  g_assert_nonnull(strstr(error->message, "--mirror URL"));
}

typedef struct {
  guint events, finals;
  guint64 last_done, last_total;
  CupProgressState last_state;
} Seen;

static void on_progress(const CupProgress *p, gpointer data)
{
  Seen *seen = data;
  seen->events++;
  seen->finals += p->final;
  seen->last_done = p->done;
  seen->last_total = p->total;
  g_assert_cmpuint(p->n_items, ==, 1);
  seen->last_state = p->items[0].state;
  g_assert_cmpstr(p->stage, ==, "download");
}

static void test_progress_events(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *sha = put(fx, "cuda/redist/p.tar.xz", "progress!");
  const CupFetchItem item = {"cuda_p", "cuda/redist/p.tar.xz", sha, 9};
  const char *mirrors[] = {fx->mirror_url, NULL};
  Seen seen = {0};
  CupFetchOptions o = file_options(fx, mirrors);
  o.progress = on_progress;
  o.progress_data = &seen;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = cup_fetch_run(&o, fx->cache, &item, 1, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(seen.finals, ==, 1);
  g_assert_cmpuint(seen.last_done, ==, 9);
  g_assert_cmpuint(seen.last_total, ==, 9);
  g_assert_cmpint(seen.last_state, ==, CUP_PROGRESS_DONE);

  Seen again = {0};
  o.progress_data = &again;
  g_autoptr(GPtrArray) r2 = cup_fetch_run(&o, fx->cache, &item, 1, &error);
  g_assert_no_error(error);
  g_assert_cmpint(again.last_state, ==, CUP_PROGRESS_CACHED);
}

static const char MANIFEST[] =
    "{\"release_date\": \"2025-08-01\", \"release_label\": \"13.0.0\", \"release_product\": "
    "\"cuda\", \"cuda_cudart\": {\"name\": \"CUDA Runtime (cudart)\", \"license\": \"CUDA "
    "Toolkit\", \"version\": \"13.0.48\", \"linux-x86_64\": {\"relative_path\": "
    "\"cuda_cudart/linux-x86_64/cuda_cudart-linux-x86_64-13.0.48-archive.tar.xz\", \"sha256\": "
    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"md5\": "
    "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\", \"size\": \"1234\"}}}";

static void test_manifest(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *sha = put(fx, "cuda/redist/redistrib_13.0.0.json", MANIFEST);
  const char *mirrors[] = {fx->mirror_url, NULL};
  CupFetchOptions o = file_options(fx, mirrors);
  g_autoptr(GHashTable) pins = g_hash_table_new(g_str_hash, g_str_equal);
  g_hash_table_insert(pins, "cuda/13.0.0", sha);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cup_fetch_manifest(&o, fx->cache, "cuda", "13.0.0", pins, &error);
  g_assert_no_error(error);
  g_autofree char *want =
      g_build_filename(cup_cache_manifests_dir(fx->cache), "cuda", "redistrib_13.0.0.json", NULL);
  g_assert_cmpstr(path, ==, want);

  /* A manifest that does not match its pin is refused and not written. */
  g_autofree char *tampered = g_strdup(MANIFEST);
  *strstr(tampered, "1234") = '9';
  g_free(put(fx, "cuda/redist/redistrib_13.0.0.json", tampered));
  g_assert_cmpint(g_unlink(path), ==, 0);
  g_assert_null(cup_fetch_manifest(&o, fx->cache, "cuda", "13.0.0", pins, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_nonnull(strstr(error->message, "pinned sha256"));
  g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
  g_clear_error(&error);

  /* A release no mirror has. */
  g_assert_null(cup_fetch_manifest(&o, fx->cache, "cuda", "12.9.9", pins, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_clear_error(&error);

  /* Not a redistrib manifest at all: refused, nothing written. */
  g_free(put(fx, "cudnn/redist/redistrib_9.13.0.json", "<html>login</html>"));
  g_assert_null(cup_fetch_manifest(&o, fx->cache, "cudnn", "9.13.0", NULL, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
  g_autofree char *cudnn = g_build_filename(cup_cache_manifests_dir(fx->cache), "cudnn", NULL);
  g_assert_cmpuint(count_files(cudnn, NULL), ==, 0);
}

static void test_cancelled_before_start(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *sha = put(fx, "cuda/redist/q.tar.xz", "q");
  const CupFetchItem item = {"cuda_q", "cuda/redist/q.tar.xz", sha, 1};
  const char *mirrors[] = {fx->mirror_url, NULL};
  g_autoptr(GCancellable) cancel = g_cancellable_new();
  g_cancellable_cancel(cancel);
  CupFetchOptions o = file_options(fx, mirrors);
  o.cancellable = cancel;
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_fetch_run(&o, fx->cache, &item, 1, &error));
  g_assert_true(g_error_matches(error, CUP_ERROR, CUP_ERROR_CANCELLED) ||
                g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_assert_cmpint(cup_error_exit_code(error), ==, cup_error_exit_code_for(CUP_ERROR_CANCELLED));
  g_autofree char *final = cup_cache_archive_path(fx->cache, sha);
  g_assert_false(g_file_test(final, G_FILE_TEST_EXISTS));
}

/* Through a proxy: the request reaches the proxy in absolute form, and the mirror's host
 * (which does not resolve) is never contacted directly. */
static void fetch_through_proxy(Fixture *fx, const char *proxy_option)
{
  g_autoptr(CupFaultServer) proxy = cup_fault_server_start(NULL);
  const char *body = "bytes through the proxy";
  g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, body, -1);
  const char *path = "cuda/redist/cuda_p/linux-x86_64/p-archive.tar.xz";
  g_autofree char *absolute = g_strdup_printf("http://mirror.invalid/nvidia/%s", path);
  cup_fault_server_add(proxy, absolute, body, strlen(body), NULL);
  const char *mirrors[] = {"http://mirror.invalid/nvidia", NULL};
  CupFetchOptions o = file_options(fx, mirrors);
  o.attempts = 1;
  if (proxy_option)
    o.proxy = cup_fault_server_url(proxy);
  else
    g_setenv("http_proxy", cup_fault_server_url(proxy), TRUE);
  const CupFetchItem item = {"cuda_p", path, sha, strlen(body)};
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) r = cup_fetch_run(&o, fx->cache, &item, 1, &error);
  g_unsetenv("http_proxy");
  g_assert_no_error(error);
  g_autoptr(GPtrArray) requests = cup_fault_server_requests(proxy);
  g_assert_cmpuint(requests->len, ==, 1);
  g_assert_cmpstr(((CupFaultRequest *)g_ptr_array_index(requests, 0))->path, ==, absolute);
}

static void test_proxy_option(Fixture *fx, gconstpointer data)
{
  (void)data;
  fetch_through_proxy(fx, "option");
}

static void test_proxy_environment(Fixture *fx, gconstpointer data)
{
  (void)data;
  fetch_through_proxy(fx, NULL);
}

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/fetch/mirror-rules", test_mirror_rules);
  ADD("/fetch/file-mirror", test_file_mirror);
  ADD("/fetch/implicit-file-mirror-refused", test_implicit_file_mirror_refused);
  ADD("/fetch/offline", test_offline);
  ADD("/fetch/mismatch", test_mismatch);
  ADD("/fetch/too-large", test_too_large);
  ADD("/fetch/all-mirrors-listed", test_all_mirrors_listed);
  ADD("/fetch/progress", test_progress_events);
  ADD("/fetch/manifest", test_manifest);
  ADD("/fetch/cancelled-before-start", test_cancelled_before_start);
  ADD("/fetch/proxy-option", test_proxy_option);
  ADD("/fetch/proxy-environment", test_proxy_environment);
  return g_test_run();
}
