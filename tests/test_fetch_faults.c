/* test_fetch_faults.c - core/fetch against real servers on 127.0.0.1: the fault-injecting
 * HTTPS server (one test per fault: the error code and message, nothing unverified accepted,
 * the cache left consistent, resume bit-identical with Range + If-Range) and nginx over HTTP/2
 * serving a mirror built from real toolkit files. Rules under test are in core/fetch.h. */
#include "core/digest.h"
#include "core/error.h"
#include "core/fetch.h"
#include "tests/support/faultserver.h"
#include "tests/support/mirror.h"
#include "tests/support/nginx.h"
#include "tests/support/tlsca.h"
#include "tests/testutil.h"

#include <curl/curl.h>
#include <glib/gstdio.h>
#include <string.h>

#define ITEM_PATH "cuda/redist/cuda_fault/linux-x86_64/cuda_fault-linux-x86_64-1.0-archive.tar.xz"
#define BODY_LEN 200000

static CupTestCa *ca;         /* one CA for the program: each costs several openssl runs */
static CupTestMirror *mirror; /* built on first use */
static char *mirror_dir;

typedef struct {
  char *root;
  CupCache *cache;
  CupFaultServer *server; /* TLS with ca */
  guint8 *body;
  gsize len;
  char *sha;
  CupFetchItem item;
  char *mirrors[3];    /* <server>/a, <server>/b, <server>/c */
  const char *list[4]; /* the mirrors of options, NULL-terminated */
  CupFetchOptions options;
} Fx;

/* ---- fixture ---- */

static void set_body(Fx *fx, gsize len)
{
  g_free(fx->body);
  g_free(fx->sha);
  fx->len = len;
  fx->body = g_malloc(len);
  for (gsize i = 0; i < len; i++)
    fx->body[i] = (guint8)(i * 131 + i / 997);
  fx->sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, fx->body, len);
  fx->item = (CupFetchItem){"cuda_fault", ITEM_PATH, fx->sha, len};
}

/* Uses the first @n mirrors (a, b, c) in that order. */
static void use_mirrors(Fx *fx, guint n)
{
  for (guint i = 0; i < G_N_ELEMENTS(fx->list); i++)
    fx->list[i] = i < n ? fx->mirrors[i] : NULL;
}

static void fx_set_up(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  fx->root = cup_test_make_root();
  g_autofree char *cache = g_build_filename(fx->root, "cache", NULL);
  g_autoptr(GError) error = NULL;
  fx->cache = cup_cache_open(cache, &error);
  g_assert_no_error(error);
  fx->server = cup_fault_server_start(ca);
  set_body(fx, BODY_LEN);
  const char *names[] = {"a", "b", "c"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    fx->mirrors[i] = g_strdup_printf("%s/%s", cup_fault_server_url(fx->server), names[i]);
  use_mirrors(fx, 1);
  /* Quick backoff so retries cost milliseconds. */
  fx->options = (CupFetchOptions){
      .mirrors = fx->list,
      .cacert = ca->ca_cert,
      .attempts = 3,
      .backoff_base_ms = 10,
      .backoff_cap_ms = 40,
      .connect_timeout_s = 5,
  };
}

static GRegex *cache_name_regex(void)
{
  return g_regex_new("^[0-9a-f]{64}(\\.[^/]+\\.part(\\.meta)?)?$", 0, 0, NULL);
}

/* Only verified files under their sha256 and `.part` (+ `.part.meta`) files, nothing else. */
static void assert_cache_consistent(Fx *fx)
{
  g_autofree char *dir = g_build_filename(cup_cache_dir(fx->cache), "archives", NULL);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  g_autoptr(GRegex) re = cache_name_regex();
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    if (!g_regex_match(re, name, 0, NULL))
      g_error("unexpected file in the cache: %s", name);
    if (strlen(name) != CUP_SHA256_HEX_LEN)
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)contents, len);
    g_assert_cmpstr(sha, ==, name);
  }
}

static void fx_tear_down(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  assert_cache_consistent(fx);
  cup_fault_server_stop(fx->server);
  cup_cache_free(fx->cache);
  cup_test_remove_tree(fx->root);
  g_free(fx->root);
  g_free(fx->body);
  g_free(fx->sha);
  for (gsize i = 0; i < G_N_ELEMENTS(fx->mirrors); i++)
    g_free(fx->mirrors[i]);
}

/* ---- helpers ---- */

/* Serves the body at mirror @m ("a", "b", "c") with @fault (NULL: none). */
static void serve(Fx *fx, const char *m, const CupFault *fault)
{
  g_autofree char *path = g_strdup_printf("/%s/%s", m, ITEM_PATH);
  cup_fault_server_add(fx->server, path, fx->body, fx->len, fault);
}

static char *item_url(Fx *fx, const char *m)
{
  return g_strdup_printf("%s/%s/%s", cup_fault_server_url(fx->server), m, ITEM_PATH);
}

static GPtrArray *run(Fx *fx, GError **error)
{
  return cup_fetch_run(&fx->options, fx->cache, &fx->item, 1, error);
}

static CupFetchResult *run_ok(Fx *fx, GPtrArray **results)
{
  g_autoptr(GError) error = NULL;
  *results = run(fx, &error);
  g_assert_no_error(error);
  g_assert_nonnull(*results);
  g_assert_cmpuint((*results)->len, ==, 1);
  CupFetchResult *r = g_ptr_array_index(*results, 0);
  g_autofree char *want = cup_cache_archive_path(fx->cache, fx->sha);
  g_assert_cmpstr(r->path, ==, want);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(r->path, &contents, &len, NULL));
  g_assert_cmpmem(contents, len, fx->body, fx->len); /* bit-identical to the served file */
  return r;
}

static gboolean accepted(Fx *fx)
{
  g_autofree char *path = cup_cache_archive_path(fx->cache, fx->sha);
  return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* The failure @error has @code (and its exit code), contains every string of the NULL-ended
 * list, and nothing unverified was accepted. */
static void assert_failed(Fx *fx, const GError *error, CupErrorCode code, ...)
{
  g_assert_nonnull(error);
  g_test_message("error: %s", error->message);
  g_assert_error(error, CUP_ERROR, (gint)code);
  g_assert_cmpint(cup_error_exit_code(error), ==, cup_error_exit_code_for(code));
  g_assert_null(strchr(error->message, '\n'));
  va_list args;
  va_start(args, code);
  for (const char *s = va_arg(args, const char *); s != NULL; s = va_arg(args, const char *))
    if (strstr(error->message, s) == NULL)
      g_error("'%s' is not in the error message: %s", s, error->message);
  va_end(args);
  g_assert_false(accepted(fx));
}

/* Length of this sha256's `.part`, -1 when there is none. */
static gint64 part_length(Fx *fx)
{
  g_autofree char *dir = g_build_filename(cup_cache_dir(fx->cache), "archives", NULL);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    if (!g_str_has_prefix(name, fx->sha) || !g_str_has_suffix(name, ".part"))
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    return st.st_size;
  }
  return -1;
}

/* The requests made to mirror @m, in order. */
static GPtrArray *requests_to(Fx *fx, const char *m)
{
  GPtrArray *reqs = cup_fault_server_requests(fx->server);
  g_autofree char *prefix = g_strdup_printf("/%s/", m);
  for (guint i = 0; i < reqs->len;) {
    const CupFaultRequest *req = g_ptr_array_index(reqs, i);
    if (g_str_has_prefix(req->path, prefix))
      i++;
    else
      g_ptr_array_remove_index(reqs, i);
  }
  return reqs;
}

static const CupFaultRequest *nth(GPtrArray *reqs, guint i)
{
  g_assert_cmpuint(i, <, reqs->len);
  return g_ptr_array_index(reqs, i);
}

/* Request @i asked for the bytes from @from on (G_MAXUINT64: no Range) with If-Range
 * @if_range (NULL: none), and was answered @status. */
static void assert_request(GPtrArray *reqs, guint i, guint64 from, const char *if_range,
                           guint status)
{
  g_autofree char *range =
      from == G_MAXUINT64 ? NULL : g_strdup_printf("bytes=%" G_GUINT64_FORMAT "-", from);
  g_assert_cmpstr(nth(reqs, i)->range, ==, range);
  g_assert_cmpstr(nth(reqs, i)->if_range, ==, if_range);
  g_assert_cmpuint(nth(reqs, i)->status, ==, status);
}

/* The ETag the fault server gives the body (faultserver.c: 16 hex digits of its sha256). */
static char *etag_of(Fx *fx, const char *suffix)
{
  return g_strdup_printf("\"%.16s%s\"", fx->sha, suffix);
}

/* ---- serving well ---- */

static void test_clean(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", NULL);
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_autofree char *url = item_url(fx, "a");
  g_assert_cmpstr(r->url, ==, url);
  g_assert_false(r->from_cache);
  g_assert_cmpuint(r->attempts, ==, 1);
  g_assert_cmpuint(r->downloaded, ==, fx->len);
  g_assert_cmpuint(r->resumed_from, ==, 0);
  g_assert_cmpint(r->http_version, ==, CURL_HTTP_VERSION_1_1);
  g_autoptr(GPtrArray) again = NULL;
  r = run_ok(fx, &again);
  g_assert_true(r->from_cache);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_assert_cmpuint(reqs->len, ==, 1);
}

/* ---- cut transfers and resume ---- */

static void test_cut_once_resumes(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  const guint64 cut = 70000;
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_CUT_ONCE, .bytes = cut});
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_assert_cmpuint(r->attempts, ==, 2);
  g_assert_cmpuint(r->downloaded, ==, fx->len);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_autofree char *etag = etag_of(fx, "");
  g_assert_cmpuint(reqs->len, ==, 2);
  assert_request(reqs, 0, G_MAXUINT64, NULL, 200);
  assert_request(reqs, 1, cut, etag, 206);
}

/* A run that gives up after the server cut the body at @cut keeps the `.part`. */
static void leave_cut_part(Fx *fx, guint64 cut)
{
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_CUT, .bytes = cut});
  fx->options.attempts = 1;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) failed = run(fx, &error);
  g_assert_null(failed);
  g_autofree char *url = item_url(fx, "a");
  assert_failed(fx, error, CUP_ERROR_NETWORK, "cuda_fault", url, NULL);
  g_assert_cmpint(part_length(fx), ==, (gint64)cut);
  fx->options.attempts = 3;
}

/* The next run continues that `.part`. */
static void test_cut_resumes_next_run(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  const guint64 cut = 50000;
  leave_cut_part(fx, cut);
  serve(fx, "a", NULL); /* the server recovers */
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_assert_cmpuint(r->resumed_from, ==, cut);
  g_assert_cmpuint(r->downloaded, ==, fx->len - cut);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_autofree char *etag = etag_of(fx, "");
  g_assert_cmpuint(reqs->len, ==, 2);
  assert_request(reqs, 1, cut, etag, 206);
  g_assert_cmpint(part_length(fx), ==, -1);
}

/* Cut on every request: each try adds a piece, then the mirror is given up. */
static void test_cut_every_time(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_CUT, .bytes = 10000});
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  g_autofree char *url = item_url(fx, "a");
  assert_failed(fx, error, CUP_ERROR_NETWORK, "could not download cuda_fault", url, NULL);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_assert_cmpuint(reqs->len, ==, 3);
  g_assert_cmpstr(nth(reqs, 2)->range, ==, "bytes=20000-");
  g_assert_cmpint(part_length(fx), ==, 30000);
}

/* A server that ignores Range answers 200: the download starts again from zero. */
static void test_no_ranges_restarts(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  leave_cut_part(fx, 60000);
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_NO_RANGES});
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_assert_cmpuint(r->downloaded, ==, fx->len);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_autofree char *etag = etag_of(fx, "");
  assert_request(reqs, 1, 60000, etag, 200);
}

/* The file changed between tries: If-Range makes the server send all of the new one. */
static void test_etag_changes(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  const guint64 cut = 80000;
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_ETAG_CHANGES, .bytes = cut});
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_assert_cmpuint(r->downloaded, ==, cut + fx->len);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_autofree char *first_etag = etag_of(fx, "-0");
  g_assert_cmpuint(reqs->len, ==, 2);
  assert_request(reqs, 1, cut, first_etag, 200);
}

/* A `.part` left holding every byte (with or without damage), as a crash after the last
 * write leaves it. */
static void leave_complete_part(Fx *fx, gsize damage_at)
{
  g_autoptr(GError) error = NULL;
  CupCachePart *part = cup_cache_part_open(fx->cache, fx->sha, &error);
  g_assert_no_error(error);
  g_autofree guint8 *bytes = g_memdup2(fx->body, fx->len);
  if (damage_at < fx->len)
    bytes[damage_at] ^= 0x80;
  g_assert_true(cup_cache_part_write(part, bytes, fx->len, &error));
  g_autofree char *url = item_url(fx, "a");
  g_autofree char *etag = etag_of(fx, "");
  g_assert_true(cup_cache_part_set_validators(part, url, etag, NULL, &error));
  cup_cache_part_close(part);
}

/* 416 on a `.part` of the full size: the bytes are verified, not fetched again. */
static void test_complete_part_416(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", NULL);
  leave_complete_part(fx, G_MAXSIZE);
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_assert_cmpuint(r->downloaded, ==, 0);
  g_assert_cmpuint(r->resumed_from, ==, fx->len);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_autofree char *etag = etag_of(fx, "");
  g_assert_cmpuint(reqs->len, ==, 1);
  assert_request(reqs, 0, fx->len, etag, 416);
}

/* The same with a damaged `.part`: it fails verification and is fetched again from zero. */
static void test_damaged_part_refetched(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", NULL);
  leave_complete_part(fx, 4242);
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_assert_cmpuint(r->downloaded, ==, fx->len);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_autofree char *etag = etag_of(fx, "");
  g_assert_cmpuint(reqs->len, ==, 2);
  assert_request(reqs, 0, fx->len, etag, 416);
  assert_request(reqs, 1, G_MAXUINT64, NULL, 200); /* from zero */
}

/* ---- statuses, retries and mirrors ---- */

static void test_500_then_ok(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_STATUS_THEN_OK, .status = 500, .count = 2});
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_assert_cmpuint(r->attempts, ==, 3);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_assert_cmpuint(reqs->len, ==, 3);
  g_assert_cmpuint(nth(reqs, 0)->status, ==, 500);
  g_assert_cmpuint(nth(reqs, 1)->status, ==, 500);
  g_assert_cmpuint(nth(reqs, 2)->status, ==, 200);
}

static void test_retry_after_honoured(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_RETRY_AFTER, .count = 1, .retry_after = 1});
  gint64 start = g_get_monotonic_time();
  g_autoptr(GPtrArray) results = NULL;
  run_ok(fx, &results);
  gint64 elapsed = g_get_monotonic_time() - start;
  g_assert_cmpint(elapsed, >=, 950 * 1000); /* not the 10 ms backoff */
  g_assert_cmpint(elapsed, <, 5 * G_USEC_PER_SEC);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_assert_cmpuint(reqs->len, ==, 2);
  g_assert_cmpuint(nth(reqs, 0)->status, ==, 429);
}

/* A Retry-After above the cap is not waited for: the next mirror is tried at once. */
static void test_retry_after_over_cap(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  use_mirrors(fx, 2);
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_RETRY_AFTER, .count = 100, .retry_after = 120});
  serve(fx, "b", NULL);
  fx->options.retry_after_cap_s = 5;
  gint64 start = g_get_monotonic_time();
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_assert_cmpint(g_get_monotonic_time() - start, <, 3 * G_USEC_PER_SEC);
  g_autofree char *url_b = item_url(fx, "b");
  g_assert_cmpstr(r->url, ==, url_b);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_assert_cmpuint(reqs->len, ==, 1);
}

/* 404 is final for a mirror (one request), and the next mirror serves the file. */
static void test_404_next_mirror(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  use_mirrors(fx, 2);
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_STATUS, .status = 404});
  serve(fx, "b", NULL);
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_autofree char *url_b = item_url(fx, "b");
  g_assert_cmpstr(r->url, ==, url_b);
  g_autoptr(GPtrArray) a = requests_to(fx, "a");
  g_autoptr(GPtrArray) b = requests_to(fx, "b");
  g_assert_cmpuint(a->len, ==, 1);
  g_assert_cmpuint(b->len, ==, 1);
}

/* Every mirror fails differently: the error names each with its last status. */
static void test_every_mirror_listed(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  use_mirrors(fx, 3);
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_STATUS, .status = 404});
  serve(fx, "b", &(CupFault){.kind = CUP_FAULT_STATUS, .status = 403});
  serve(fx, "c", &(CupFault){.kind = CUP_FAULT_STATUS, .status = 503});
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  g_autofree char *url_a = item_url(fx, "a"), *url_b = item_url(fx, "b");
  g_autofree char *url_c = item_url(fx, "c");
  g_autofree char *a = g_strdup_printf("%s: HTTP 404", url_a);
  g_autofree char *b = g_strdup_printf("%s: HTTP 403", url_b);
  g_autofree char *c = g_strdup_printf("%s: HTTP 503", url_c);
  assert_failed(fx, error, CUP_ERROR_NETWORK, "cuda_fault", a, b, c, NULL);
  g_autoptr(GPtrArray) ra = requests_to(fx, "a");
  g_autoptr(GPtrArray) rb = requests_to(fx, "b");
  g_autoptr(GPtrArray) rc = requests_to(fx, "c");
  g_assert_cmpuint(ra->len, ==, 1);
  g_assert_cmpuint(rb->len, ==, 1);
  g_assert_cmpuint(rc->len, ==, 3); /* transient: every attempt */
  g_assert_cmpint(part_length(fx), <=, 0);
}

/* ---- redirects ---- */

static void test_redirect_https_followed(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *target = g_strdup_printf("/b/%s", ITEM_PATH);
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_REDIRECT, .location = target});
  serve(fx, "b", NULL);
  g_autoptr(GPtrArray) results = NULL;
  run_ok(fx, &results);
  g_autoptr(GPtrArray) b = requests_to(fx, "b");
  g_assert_cmpuint(b->len, ==, 1);
}

static void test_redirect_to_http_refused(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(CupFaultServer) plain = cup_fault_server_start(NULL);
  cup_fault_server_add(plain, "/x", fx->body, fx->len, NULL); /* the right bytes, over http */
  g_autofree char *location = g_strdup_printf("%s/x", cup_fault_server_url(plain));
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_REDIRECT, .location = location});
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  g_autofree char *url = item_url(fx, "a");
  assert_failed(fx, error, CUP_ERROR_NETWORK, url, "redirect", "not https:// refused", NULL);
  g_autoptr(GPtrArray) reqs = cup_fault_server_requests(plain);
  g_assert_cmpuint(reqs->len, ==, 0);
}

static void test_redirect_to_file_refused(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *copy = g_build_filename(fx->root, "copy.bin", NULL);
  g_assert_true(g_file_set_contents(copy, (const char *)fx->body, fx->len, NULL));
  g_autofree char *location = g_filename_to_uri(copy, NULL, NULL);
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_REDIRECT, .location = location});
  fx->options.mirrors_explicit = TRUE; /* even a named mirror may not send us to a file */
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  assert_failed(fx, error, CUP_ERROR_NETWORK, "redirect", "not https:// refused", NULL);
}

static void test_redirect_loop(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_REDIRECT_LOOP});
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  g_autofree char *url = item_url(fx, "a");
  assert_failed(fx, error, CUP_ERROR_NETWORK, url, "redirect loop", NULL);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_assert_cmpuint(reqs->len, >, 1);
  g_assert_cmpuint(reqs->len, <=, 12); /* a bounded chain, not retried as transient */
}

/* ---- wrong bytes ---- */

static void test_endless_body(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_ENDLESS});
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  g_autofree char *url = item_url(fx, "a");
  g_autofree char *want = g_strdup_printf(
      "cuda_fault from %s is larger than the %u bytes its manifest lists", url, (guint)fx->len);
  assert_failed(fx, error, CUP_ERROR_INTEGRITY, NULL);
  g_assert_cmpstr(error->message, ==, want);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_assert_cmpuint(reqs->len, ==, 2); /* discarded, one more try from zero */
  g_assert_cmpint(part_length(fx), <=, 0);
}

static void test_wrong_bytes(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  const guint64 at = 123457;
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_WRONG_BYTES, .bytes = at});
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  fx->body[at] ^= 1;
  g_autofree char *got = g_compute_checksum_for_data(G_CHECKSUM_SHA256, fx->body, fx->len);
  fx->body[at] ^= 1;
  g_autofree char *url = item_url(fx, "a");
  g_autofree char *want = g_strdup_printf("sha256 mismatch for cuda_fault from %s: expected %s, "
                                          "got %s",
                                          url, fx->sha, got);
  assert_failed(fx, error, CUP_ERROR_INTEGRITY, NULL);
  g_assert_cmpstr(error->message, ==, want);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_assert_cmpuint(reqs->len, ==, 2);
  g_assert_null(nth(reqs, 1)->range); /* the retry starts from zero */
  g_assert_cmpint(part_length(fx), <=, 0);
}

/* Content-Length larger than the manifest's size: refused before the bytes are kept. */
static void test_wrong_length(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_WRONG_LENGTH, .bytes = 10});
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  g_autofree char *url = item_url(fx, "a");
  assert_failed(fx, error, CUP_ERROR_INTEGRITY, url, "is larger than the 200000 bytes", NULL);
  g_assert_cmpint(part_length(fx), <=, 0);
}

/* The mirror holds a shorter file (a complete answer, Content-Length below the manifest's
 * size): refused as soon as the length is announced, one retry from zero, then an integrity
 * error naming both sizes. */
static void test_short_file(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *path = g_strdup_printf("/a/%s", ITEM_PATH);
  cup_fault_server_add(fx->server, path, fx->body, fx->len - 1000, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  g_assert_null(results);
  g_assert_nonnull(error);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_autofree char *url = item_url(fx, "a");
  g_autofree char *want =
      g_strdup_printf("%s from %s is %" G_GSIZE_FORMAT " bytes, not the %" G_GSIZE_FORMAT
                      " bytes its manifest lists",
                      fx->item.name, url, fx->len - 1000, fx->len);
  g_assert_cmpstr(error->message, ==, want);
  g_assert_false(accepted(fx));
}

/* ---- slow servers, the deadline and cancel ---- */

static void test_stall(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  /* A small first burst: libcurl averages the speed over its last 5 s, so a big one would
   * keep the average above the floor for seconds after the server went silent. */
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_STALL, .bytes = 500});
  fx->options.stall_bytes_per_s = 1000;
  fx->options.stall_seconds = 1;
  fx->options.attempts = 2;
  gint64 start = g_get_monotonic_time();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  g_assert_cmpint(g_get_monotonic_time() - start, <, 8 * G_USEC_PER_SEC);
  g_autofree char *url = item_url(fx, "a");
  assert_failed(fx, error, CUP_ERROR_NETWORK, url, "stalled below 1000 B/s for 1 s", NULL);
  g_assert_cmpint(part_length(fx), ==, 1000); /* the second try resumed the first */
}

static void test_trickle_above_floor(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  set_body(fx, 12000);
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_TRICKLE, .bytes = 10000});
  fx->options.stall_bytes_per_s = 1000;
  fx->options.stall_seconds = 1;
  gint64 start = g_get_monotonic_time();
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_assert_cmpint(g_get_monotonic_time() - start, >=, G_USEC_PER_SEC);
  g_assert_cmpuint(r->attempts, ==, 1);
}

static void test_deadline(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_TRICKLE, .bytes = 5000});
  fx->options.deadline_s = 1;
  gint64 start = g_get_monotonic_time();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  gint64 elapsed = g_get_monotonic_time() - start;
  assert_failed(fx, error, CUP_ERROR_NETWORK, "deadline", NULL);
  g_assert_cmpint(elapsed, >=, 900 * 1000);
  g_assert_cmpint(elapsed, <, 3 * G_USEC_PER_SEC);
  g_assert_cmpint(part_length(fx), >, 0);
}

static gpointer cancel_later(gpointer data)
{
  g_usleep(500 * 1000);
  g_cancellable_cancel(data);
  return GINT_TO_POINTER(1);
}

static void test_cancel(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", &(CupFault){.kind = CUP_FAULT_TRICKLE, .bytes = 20000});
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  fx->options.cancellable = cancellable;
  gint64 start = g_get_monotonic_time();
  GThread *thread = g_thread_new("cancel", cancel_later, cancellable);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  gint64 elapsed = g_get_monotonic_time() - start;
  g_thread_join(thread);
  assert_failed(fx, error, CUP_ERROR_CANCELLED, "cancelled", NULL);
  g_assert_cmpint(elapsed, <, 1500 * 1000); /* within a second of the cancel at 0.5 s */
  g_assert_cmpint(part_length(fx), >, 0);   /* kept for the next run */
}

/* ---- TLS and schemes ---- */

static void test_wrong_ca(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  serve(fx, "a", NULL);
  fx->options.cacert = ca->other_ca;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = run(fx, &error);
  g_autofree char *url = item_url(fx, "a");
  assert_failed(fx, error, CUP_ERROR_NETWORK, url, "TLS: ", "certificate", NULL);
  g_autoptr(GPtrArray) reqs = requests_to(fx, "a");
  g_assert_cmpuint(reqs->len, ==, 0); /* no request went out without verification */
}

static void test_http_mirror_needs_explicit(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  g_autoptr(CupFaultServer) plain = cup_fault_server_start(NULL);
  g_autofree char *path = g_strdup_printf("/%s", ITEM_PATH);
  cup_fault_server_add(plain, path, fx->body, fx->len, NULL);
  const char *mirrors[] = {cup_fault_server_url(plain), NULL};
  fx->options.mirrors = mirrors;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) refused = run(fx, &error);
  g_assert_null(refused);
  assert_failed(fx, error, CUP_ERROR_USAGE, mirrors[0], "--mirror", NULL);
  g_autoptr(GPtrArray) none = cup_fault_server_requests(plain);
  g_assert_cmpuint(none->len, ==, 0);

  fx->options.mirrors_explicit = TRUE;
  g_autoptr(GPtrArray) results = NULL;
  CupFetchResult *r = run_ok(fx, &results);
  g_assert_true(g_str_has_prefix(r->url, "http://127.0.0.1:"));
}

/* ---- nginx and the mirror ---- */

static CupTestMirror *shared_mirror(void)
{
  if (mirror == NULL) {
    mirror_dir = cup_test_make_root();
    g_autofree char *root = g_build_filename(mirror_dir, "mirror", NULL);
    mirror = cup_test_mirror_build(root, "13.0.0", "9.13.0");
  }
  return mirror;
}

static CupFetchItem *mirror_items(const CupTestMirror *m)
{
  CupFetchItem *items = g_new0(CupFetchItem, m->archives->len);
  for (guint i = 0; i < m->archives->len; i++) {
    const CupTestArchive *ar = g_ptr_array_index(m->archives, i);
    items[i] = (CupFetchItem){ar->component, ar->path, ar->sha256, ar->size};
  }
  return items;
}

static void assert_mirror_fetched(Fx *fx, const CupTestMirror *m, GPtrArray *results)
{
  g_assert_cmpuint(results->len, ==, m->archives->len);
  for (guint i = 0; i < results->len; i++) {
    const CupTestArchive *ar = g_ptr_array_index(m->archives, i);
    const CupFetchResult *r = g_ptr_array_index(results, i);
    g_autofree char *want = cup_cache_archive_path(fx->cache, ar->sha256);
    g_assert_cmpstr(r->path, ==, want);
    g_autofree char *a = NULL, *b = NULL;
    gsize la = 0, lb = 0;
    g_assert_true(g_file_get_contents(r->path, &a, &la, NULL));
    g_assert_true(g_file_get_contents(ar->file, &b, &lb, NULL));
    g_assert_cmpmem(a, la, b, lb);
  }
}

static void test_nginx_http2_parallel(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  g_autofree char *why = NULL;
  if (!cup_test_nginx_available(&why)) {
    g_test_skip(why);
    return;
  }
  const CupTestMirror *m = shared_mirror();
  g_autoptr(CupTestNginx) nginx = cup_test_nginx_start(m->root, ca);
  g_autofree CupFetchItem *items = mirror_items(m);
  const char *mirrors[] = {cup_test_nginx_url(nginx), NULL};
  fx->options.mirrors = mirrors;
  fx->options.jobs = 4;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results =
      cup_fetch_run(&fx->options, fx->cache, items, m->archives->len, &error);
  g_assert_no_error(error);
  assert_mirror_fetched(fx, m, results);
  for (guint i = 0; i < results->len; i++) {
    const CupFetchResult *r = g_ptr_array_index(results, i);
    g_assert_cmpint(r->http_version, ==, CURL_HTTP_VERSION_2_0);
    g_assert_true(g_str_has_prefix(r->url, mirrors[0]));
    g_assert_cmpuint(r->attempts, ==, 1);
  }
}

static void test_offline_bundle(Fx *fx, G_GNUC_UNUSED gconstpointer data)
{
  const CupTestMirror *m = shared_mirror();
  g_autofree CupFetchItem *items = mirror_items(m);
  fx->options.offline_dir = m->root;
  const char *unreachable[] = {"https://127.0.0.1:1", NULL}; /* never contacted */
  fx->options.mirrors = unreachable;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results =
      cup_fetch_run(&fx->options, fx->cache, items, m->archives->len, &error);
  g_assert_no_error(error);
  assert_mirror_fetched(fx, m, results);
  for (guint i = 0; i < results->len; i++)
    g_assert_true(
        g_str_has_prefix(((CupFetchResult *)g_ptr_array_index(results, i))->url, "file://"));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  ca = cup_test_ca_new();
#define ADD(path, fn) g_test_add("/fetch-faults/" path, Fx, NULL, fx_set_up, fn, fx_tear_down)
  ADD("clean", test_clean);
  ADD("cut-once-resumes", test_cut_once_resumes);
  ADD("cut-resumes-next-run", test_cut_resumes_next_run);
  ADD("cut-every-time", test_cut_every_time);
  ADD("no-ranges-restarts", test_no_ranges_restarts);
  ADD("etag-changes", test_etag_changes);
  ADD("complete-part-416", test_complete_part_416);
  ADD("damaged-part-refetched", test_damaged_part_refetched);
  ADD("500-then-ok", test_500_then_ok);
  ADD("retry-after-honoured", test_retry_after_honoured);
  ADD("retry-after-over-cap", test_retry_after_over_cap);
  ADD("404-next-mirror", test_404_next_mirror);
  ADD("every-mirror-listed", test_every_mirror_listed);
  ADD("redirect-https-followed", test_redirect_https_followed);
  ADD("redirect-to-http-refused", test_redirect_to_http_refused);
  ADD("redirect-to-file-refused", test_redirect_to_file_refused);
  ADD("redirect-loop", test_redirect_loop);
  ADD("endless-body", test_endless_body);
  ADD("wrong-bytes", test_wrong_bytes);
  ADD("wrong-length", test_wrong_length);
  ADD("short-file", test_short_file);
  ADD("stall", test_stall);
  ADD("trickle-above-floor", test_trickle_above_floor);
  ADD("deadline", test_deadline);
  ADD("cancel", test_cancel);
  ADD("wrong-ca", test_wrong_ca);
  ADD("http-mirror-needs-explicit", test_http_mirror_needs_explicit);
  ADD("nginx-http2-parallel", test_nginx_http2_parallel);
  ADD("offline-bundle", test_offline_bundle);
#undef ADD
  int status = g_test_run();
  if (mirror != NULL) {
    cup_test_mirror_free(mirror);
    cup_test_remove_tree(mirror_dir);
    g_free(mirror_dir);
  }
  cup_test_ca_free(ca);
  return status;
}
