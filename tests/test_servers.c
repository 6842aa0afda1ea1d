/* test_servers.c - the download-test harness itself: the throwaway CA, nginx over HTTPS with
 * HTTP/2, every knob of the fault server as a plain libcurl client sees it, and the mirror
 * builder's archives and redistrib JSON. */
#include "core/redist.h"
#include "tests/support/faultserver.h"
#include "tests/support/mirror.h"
#include "tests/support/nginx.h"
#include "tests/support/tlsca.h"
#include "tests/testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <gio/gio.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One shared CA: making one costs a few openssl runs. */
static CupTestCa *ca;

/* ---- a small libcurl client ---- */

typedef struct {
  const char *range, *if_range, *cainfo;
  long timeout_ms;
  gboolean follow;
  gsize max_body; /* abort the transfer beyond this many bytes (0: no cap) */
} Req;

typedef struct {
  CURLcode code;
  long status, http_version;
  GByteArray *body;
  GHashTable *headers; /* lower-case name -> value of the last response */
  gsize max_body;
} Resp;

static void resp_free(Resp *r)
{
  g_byte_array_unref(r->body);
  g_hash_table_unref(r->headers);
  g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Resp, resp_free)

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
  Resp *r = user;
  if (r->max_body > 0 && r->body->len + size * n > r->max_body)
    return 0;
  g_byte_array_append(r->body, (const guint8 *)data, (guint)(size * n));
  return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
  Resp *r = user;
  g_autofree char *line = g_strndup(data, size * n);
  if (g_str_has_prefix(line, "HTTP/"))
    g_hash_table_remove_all(r->headers);
  char *colon = strchr(line, ':');
  if (colon != NULL) {
    *colon = '\0';
    g_hash_table_insert(r->headers, g_ascii_strdown(line, -1), g_strstrip(g_strdup(colon + 1)));
  }
  return size * n;
}

static Resp *get(const char *url, const Req *q)
{
  Resp *r = g_new0(Resp, 1);
  r->body = g_byte_array_new();
  r->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  r->max_body = q ? q->max_body : 0;
  CURL *curl = curl_easy_init();
  struct curl_slist *headers = NULL;
  g_autofree char *if_range =
      q && q->if_range ? g_strdup_printf("If-Range: %s", q->if_range) : NULL;
  if (if_range != NULL)
    headers = curl_slist_append(headers, if_range);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_RANGE, q ? q->range : NULL);
  curl_easy_setopt(curl, CURLOPT_CAINFO, q && q->cainfo ? q->cainfo : ca->ca_cert);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, q && q->timeout_ms ? q->timeout_ms : 10000L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, q && q->follow ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
  r->code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
  curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &r->http_version);
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
  return r;
}

static const char *header(const Resp *r, const char *name)
{
  return g_hash_table_lookup(r->headers, name);
}

static char *url_of(CupFaultServer *server, const char *path)
{
  return g_strconcat(cup_fault_server_url(server), path, NULL);
}

/* A body whose every offset is recognisable. */
static guint8 *pattern(gsize len)
{
  guint8 *body = g_malloc(len);
  for (gsize i = 0; i < len; i++)
    body[i] = (guint8)(i * 7 + i / 251);
  return body;
}

static void assert_bytes(const GByteArray *got, const guint8 *want, gsize len)
{
  g_assert_cmpmem(got->data, got->len, want, len);
}

/* ---- the CA ---- */

static X509 *load_cert(const char *path)
{
  FILE *f = fopen(path, "r");
  g_assert_nonnull(f);
  X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  g_assert_nonnull(cert);
  return cert;
}

static void test_ca(void)
{
  X509 *root = load_cert(ca->ca_cert);
  X509 *other = load_cert(ca->other_ca);
  X509 *server = load_cert(ca->cert);
  g_assert_cmpint(X509_check_ca(root), ==, 1);
  g_assert_cmpint(X509_check_ca(other), ==, 1);
  g_assert_cmpint(X509_check_ca(server), ==, 0);
  g_assert_cmpint(X509_check_issued(root, server), ==, X509_V_OK);
  g_assert_cmpint(X509_check_issued(other, server), !=, X509_V_OK);
  g_assert_cmpint(X509_check_ip_asc(server, "127.0.0.1", 0), ==, 1);
  g_assert_cmpint(X509_check_host(server, "localhost", 0, 0, NULL), ==, 1);
  g_assert_true(X509_get_extended_key_usage(server) & XKU_SSL_SERVER);
  g_assert_true(g_file_test(ca->key, G_FILE_TEST_IS_REGULAR));
  X509_free(root);
  X509_free(other);
  X509_free(server);
}

/* ---- nginx ---- */

static void test_nginx_https_http2(void)
{
  g_autofree char *why = NULL;
  if (!cup_test_nginx_available(&why)) {
    g_test_skip(why);
    return;
  }
  g_autofree char *root = cup_test_make_root();
  g_autofree guint8 *body = pattern(300000);
  g_autofree char *file = g_build_filename(root, "dir", "file.bin", NULL);
  g_assert_cmpint(g_mkdir_with_parents(root, 0755), ==, 0);
  cup_test_write(root, "dir/.keep", "");
  g_assert_true(g_file_set_contents(file, (const char *)body, 300000, NULL));
  g_autoptr(CupTestNginx) nginx = cup_test_nginx_start(root, ca);
  g_autofree char *url = g_strconcat(cup_test_nginx_url(nginx), "/dir/file.bin", NULL);

  g_autoptr(Resp) ok = get(url, NULL);
  g_assert_cmpint(ok->code, ==, CURLE_OK);
  g_assert_cmpint(ok->status, ==, 200);
  g_assert_cmpint(ok->http_version, ==, CURL_HTTP_VERSION_2_0);
  assert_bytes(ok->body, body, 300000);
  const char *etag = header(ok, "etag");
  g_assert_nonnull(etag);

  /* Resume as the fetcher does it: Range + If-Range with the ETag. */
  Req resume = {.range = "100000-", .if_range = etag};
  g_autoptr(Resp) part = get(url, &resume);
  g_assert_cmpint(part->status, ==, 206);
  g_assert_cmpstr(header(part, "content-range"), ==, "bytes 100000-299999/300000");
  assert_bytes(part->body, body + 100000, 200000);
  Req stale = {.range = "100000-", .if_range = "\"stale\""};
  g_autoptr(Resp) full = get(url, &stale);
  g_assert_cmpint(full->status, ==, 200);
  g_assert_cmpuint(full->body->len, ==, 300000);

  g_autofree char *nothing = g_strconcat(cup_test_nginx_url(nginx), "/nothing", NULL);
  g_autoptr(Resp) not_found = get(nothing, NULL);
  g_assert_cmpint(not_found->status, ==, 404);

  Req wrong_ca = {.cainfo = ca->other_ca};
  g_autoptr(Resp) refused = get(url, &wrong_ca);
  g_assert_cmpint(refused->code, ==, CURLE_PEER_FAILED_VERIFICATION);
  cup_test_remove_tree(root);
}

/* ---- the fault server: HTTP semantics ---- */

#define LEN 1000

static void test_fault_http(void)
{
  g_autoptr(CupFaultServer) server = cup_fault_server_start(NULL);
  g_assert_true(g_str_has_prefix(cup_fault_server_url(server), "http://127.0.0.1:"));
  g_autofree guint8 *body = pattern(LEN);
  cup_fault_server_add(server, "/a", body, LEN, NULL);
  g_autofree char *url = url_of(server, "/a");

  g_autoptr(Resp) ok = get(url, NULL);
  g_assert_cmpint(ok->code, ==, CURLE_OK);
  g_assert_cmpint(ok->status, ==, 200);
  assert_bytes(ok->body, body, LEN);
  const char *etag = header(ok, "etag");
  const char *modified = header(ok, "last-modified");
  g_assert_true(etag != NULL && etag[0] == '"');
  g_assert_nonnull(modified);

  g_autoptr(Resp) tail = get(url, &(Req){.range = "990-", .if_range = etag});
  g_assert_cmpint(tail->status, ==, 206);
  g_assert_cmpstr(header(tail, "content-range"), ==, "bytes 990-999/1000");
  assert_bytes(tail->body, body + 990, 10);
  g_autoptr(Resp) mid = get(url, &(Req){.range = "10-19", .if_range = modified});
  g_assert_cmpint(mid->status, ==, 206);
  assert_bytes(mid->body, body + 10, 10);
  g_autoptr(Resp) plain_range = get(url, &(Req){.range = "500-"});
  g_assert_cmpint(plain_range->status, ==, 206);
  g_autoptr(Resp) changed = get(url, &(Req){.range = "990-", .if_range = "\"other\""});
  g_assert_cmpint(changed->status, ==, 200);
  assert_bytes(changed->body, body, LEN);
  g_autoptr(Resp) past = get(url, &(Req){.range = "1000-"});
  g_assert_cmpint(past->status, ==, 416);
  g_assert_cmpstr(header(past, "content-range"), ==, "bytes */1000");
  g_autofree char *nothing = url_of(server, "/nothing");
  g_autoptr(Resp) missing = get(nothing, NULL);
  g_assert_cmpint(missing->status, ==, 404);

  g_autoptr(GPtrArray) reqs = cup_fault_server_requests(server);
  g_assert_cmpuint(reqs->len, ==, 7);
  const CupFaultRequest *first = g_ptr_array_index(reqs, 0), *second = g_ptr_array_index(reqs, 1);
  g_assert_cmpstr(first->method, ==, "GET");
  g_assert_cmpstr(first->path, ==, "/a");
  g_assert_null(first->range);
  g_assert_cmpuint(first->status, ==, 200);
  g_assert_cmpstr(second->range, ==, "bytes=990-");
  g_assert_cmpstr(second->if_range, ==, etag);
  g_assert_cmpuint(second->status, ==, 206);
  g_assert_cmpuint(((CupFaultRequest *)g_ptr_array_index(reqs, 6))->status, ==, 404);
}

static void test_fault_tls(void)
{
  g_autoptr(CupFaultServer) server = cup_fault_server_start(ca);
  g_assert_true(g_str_has_prefix(cup_fault_server_url(server), "https://127.0.0.1:"));
  g_autofree guint8 *body = pattern(LEN);
  cup_fault_server_add(server, "/a", body, LEN, NULL);
  g_autofree char *url = url_of(server, "/a");
  g_autoptr(Resp) ok = get(url, NULL);
  g_assert_cmpint(ok->code, ==, CURLE_OK);
  g_assert_cmpint(ok->http_version, ==, CURL_HTTP_VERSION_1_1);
  assert_bytes(ok->body, body, LEN);
  g_autoptr(Resp) refused = get(url, &(Req){.cainfo = ca->other_ca});
  g_assert_cmpint(refused->code, ==, CURLE_PEER_FAILED_VERIFICATION);
}

/* ---- the fault server: knobs ---- */

static CupFaultServer *knob_server(const CupFault *fault, guint8 **body)
{
  CupFaultServer *server = cup_fault_server_start(NULL);
  *body = pattern(LEN);
  cup_fault_server_add(server, "/f", *body, LEN, fault);
  return server;
}

static void test_knob_cut(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server =
      knob_server(&(CupFault){.kind = CUP_FAULT_CUT, .bytes = 300}, &body);
  g_autofree char *url = url_of(server, "/f");
  for (int i = 0; i < 2; i++) {
    g_autoptr(Resp) r = get(url, NULL);
    g_assert_cmpint(r->code, ==, CURLE_PARTIAL_FILE);
    assert_bytes(r->body, body, 300);
  }
  g_autoptr(Resp) rest = get(url, &(Req){.range = "300-"});
  g_assert_cmpint(rest->status, ==, 206);
  assert_bytes(rest->body, body + 300, 300);
}

static void test_knob_cut_once(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server =
      knob_server(&(CupFault){.kind = CUP_FAULT_CUT_ONCE, .bytes = 300}, &body);
  g_autofree char *url = url_of(server, "/f");
  g_autoptr(Resp) cut = get(url, NULL);
  g_assert_cmpint(cut->code, ==, CURLE_PARTIAL_FILE);
  g_assert_cmpuint(cut->body->len, ==, 300);
  g_autoptr(Resp) rest = get(url, &(Req){.range = "300-", .if_range = header(cut, "etag")});
  g_assert_cmpint(rest->code, ==, CURLE_OK);
  g_assert_cmpint(rest->status, ==, 206);
  assert_bytes(rest->body, body + 300, LEN - 300);
}

static void test_knob_stall(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server =
      knob_server(&(CupFault){.kind = CUP_FAULT_STALL, .bytes = 100}, &body);
  g_autofree char *url = url_of(server, "/f");
  gint64 start = g_get_monotonic_time();
  g_autoptr(Resp) r = get(url, &(Req){.timeout_ms = 400});
  g_assert_cmpint(r->code, ==, CURLE_OPERATION_TIMEDOUT);
  g_assert_cmpint(g_get_monotonic_time() - start, >=, 350 * 1000);
  assert_bytes(r->body, body, 100);
}

static void test_knob_trickle(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server =
      knob_server(&(CupFault){.kind = CUP_FAULT_TRICKLE, .bytes = 2000}, &body);
  g_autofree char *url = url_of(server, "/f");
  gint64 start = g_get_monotonic_time();
  g_autoptr(Resp) r = get(url, NULL);
  gint64 elapsed = g_get_monotonic_time() - start;
  g_assert_cmpint(r->code, ==, CURLE_OK);
  assert_bytes(r->body, body, LEN);
  /* 1000 bytes at 2000 B/s: half a second, give or take a piece. */
  g_assert_cmpint(elapsed, >=, 400 * 1000);
  g_assert_cmpint(elapsed, <, 3 * G_USEC_PER_SEC);
}

static void test_knob_wrong_bytes(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server =
      knob_server(&(CupFault){.kind = CUP_FAULT_WRONG_BYTES, .bytes = 5}, &body);
  g_autofree char *url = url_of(server, "/f");
  g_autoptr(Resp) r = get(url, NULL);
  g_assert_cmpint(r->code, ==, CURLE_OK);
  g_assert_cmpuint(r->body->len, ==, LEN);
  g_assert_cmpmem(r->body->data, 5, body, 5);
  g_assert_cmpuint(r->body->data[5], ==, body[5] ^ 1);
  g_assert_cmpmem(r->body->data + 6, LEN - 6, body + 6, LEN - 6);
}

static void test_knob_wrong_length(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server =
      knob_server(&(CupFault){.kind = CUP_FAULT_WRONG_LENGTH, .bytes = 10}, &body);
  g_autofree char *url = url_of(server, "/f");
  g_autoptr(Resp) r = get(url, NULL);
  g_assert_cmpint(r->code, ==, CURLE_PARTIAL_FILE);
  g_assert_cmpstr(header(r, "content-length"), ==, "1010");
  assert_bytes(r->body, body, LEN);
}

static void test_knob_status(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server =
      knob_server(&(CupFault){.kind = CUP_FAULT_STATUS, .status = 403}, &body);
  g_autofree char *url = url_of(server, "/f");
  for (int i = 0; i < 2; i++) {
    g_autoptr(Resp) r = get(url, NULL);
    g_assert_cmpint(r->code, ==, CURLE_OK);
    g_assert_cmpint(r->status, ==, 403);
  }
}

static void test_knob_status_then_ok(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server =
      knob_server(&(CupFault){.kind = CUP_FAULT_STATUS_THEN_OK, .status = 500, .count = 2}, &body);
  g_autofree char *url = url_of(server, "/f");
  const long want[] = {500, 500, 200};
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
    g_autoptr(Resp) r = get(url, NULL);
    g_assert_cmpint(r->status, ==, want[i]);
  }
}

static void test_knob_retry_after(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server =
      knob_server(&(CupFault){.kind = CUP_FAULT_RETRY_AFTER, .count = 1, .retry_after = 7}, &body);
  g_autofree char *url = url_of(server, "/f");
  g_autoptr(Resp) busy = get(url, NULL);
  g_assert_cmpint(busy->status, ==, 429);
  g_assert_cmpstr(header(busy, "retry-after"), ==, "7");
  g_autoptr(Resp) ok = get(url, NULL);
  g_assert_cmpint(ok->status, ==, 200);
  assert_bytes(ok->body, body, LEN);
}

static void test_knob_redirects(void)
{
  g_autoptr(CupFaultServer) server = cup_fault_server_start(NULL);
  g_autofree guint8 *body = pattern(LEN);
  CupFault away = {.kind = CUP_FAULT_REDIRECT, .location = "file:///etc/passwd"};
  cup_fault_server_add(server, "/away", body, LEN, &away);
  CupFault loop = {.kind = CUP_FAULT_REDIRECT_LOOP};
  cup_fault_server_add(server, "/loop", body, LEN, &loop);
  CupFault near = {.kind = CUP_FAULT_REDIRECT, .location = "/target"};
  cup_fault_server_add(server, "/near", body, LEN, &near);
  cup_fault_server_add(server, "/target", body, LEN, NULL);

  g_autofree char *away_url = url_of(server, "/away");
  g_autoptr(Resp) r = get(away_url, NULL);
  g_assert_cmpint(r->status, ==, 302);
  g_assert_cmpstr(header(r, "location"), ==, "file:///etc/passwd");
  g_autofree char *loop_url = url_of(server, "/loop");
  g_autoptr(Resp) l = get(loop_url, &(Req){.follow = TRUE});
  g_assert_cmpint(l->code, ==, CURLE_TOO_MANY_REDIRECTS);
  g_autofree char *near_url = url_of(server, "/near");
  g_autoptr(Resp) n = get(near_url, &(Req){.follow = TRUE});
  g_assert_cmpint(n->status, ==, 200);
  assert_bytes(n->body, body, LEN);
}

static void test_knob_endless(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server = knob_server(&(CupFault){.kind = CUP_FAULT_ENDLESS}, &body);
  g_autofree char *url = url_of(server, "/f");
  g_autoptr(Resp) r = get(url, &(Req){.max_body = 50 * LEN});
  g_assert_cmpint(r->code, ==, CURLE_WRITE_ERROR);
  g_assert_null(header(r, "content-length"));
  g_assert_cmpuint(r->body->len, >, 40 * LEN);
  g_assert_cmpmem(r->body->data, LEN, body, LEN); /* the body, then the body again */
  g_assert_cmpmem(r->body->data + LEN, LEN, body, LEN);
}

static void test_knob_etag_changes(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server =
      knob_server(&(CupFault){.kind = CUP_FAULT_ETAG_CHANGES, .bytes = 400}, &body);
  g_autofree char *url = url_of(server, "/f");
  g_autoptr(Resp) first = get(url, NULL);
  g_assert_cmpint(first->code, ==, CURLE_PARTIAL_FILE);
  g_assert_cmpuint(first->body->len, ==, 400);
  for (gsize i = 0; i < 400; i++)
    g_assert_cmpuint(first->body->data[i], ==, body[i] ^ 0xff);
  /* A client that resumes with If-Range gets the whole new version... */
  Req resume = {.range = "400-", .if_range = header(first, "etag")};
  g_autoptr(Resp) second = get(url, &resume);
  g_assert_cmpint(second->status, ==, 200);
  assert_bytes(second->body, body, LEN);
  g_assert_cmpstr(header(second, "etag"), !=, header(first, "etag"));
  g_assert_cmpstr(header(second, "last-modified"), !=, header(first, "last-modified"));
  /* ... and one that does not would splice two versions. */
  g_autoptr(Resp) blind = get(url, &(Req){.range = "400-"});
  g_assert_cmpint(blind->status, ==, 206);
  g_assert_cmpstr(header(blind, "etag"), !=, header(second, "etag"));
}

static void test_knob_no_ranges(void)
{
  g_autofree guint8 *body = NULL;
  g_autoptr(CupFaultServer) server = knob_server(&(CupFault){.kind = CUP_FAULT_NO_RANGES}, &body);
  g_autofree char *url = url_of(server, "/f");
  g_autoptr(Resp) r = get(url, &(Req){.range = "500-"});
  g_assert_cmpint(r->status, ==, 200);
  g_assert_cmpstr(header(r, "accept-ranges"), ==, "none");
  assert_bytes(r->body, body, LEN);
}

/* A client stuck on a stalled response must not hold up stop. */
static void test_fault_stop_with_stalled_client(void)
{
  g_autofree guint8 *body = NULL;
  CupFaultServer *server = knob_server(&(CupFault){.kind = CUP_FAULT_STALL, .bytes = 10}, &body);
  guint port = 0;
  g_assert_cmpint(sscanf(cup_fault_server_url(server), "http://127.0.0.1:%u", &port), ==, 1);
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn =
      g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)port, NULL, &error);
  g_assert_no_error(error);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  const char req[] = "GET /f HTTP/1.1\r\nHost: x\r\n\r\n";
  g_output_stream_write_all(out, req, strlen(req), NULL, NULL, &error);
  g_assert_no_error(error);
  char buf[512];
  gssize n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf,
                                 sizeof buf - 1, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpint(n, >, 0);
  gint64 start = g_get_monotonic_time();
  cup_fault_server_stop(server);
  g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
}

/* ---- the mirror ---- */

static CupRedistManifest *parse_file(const char *path, CupRedistKind kind)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_get_contents(path, &text, &len, &error));
  /* NVIDIA's form: 4-space indent, the release keys first, no newline at the end. */
  g_assert_true(g_str_has_prefix(text, "{\n    \"release_date\": \""));
  g_assert_cmpint(text[len - 1], ==, '}');
  g_assert_nonnull(strstr(text, "\"size\": \""));
  CupRedistManifest *m = cup_redist_parse(text, len, kind, path, &error);
  g_assert_no_error(error);
  return m;
}

/* Keys of @obj that @reference also has, in @reference's order, must come in that order. */
static void assert_same_key_order(json_t *obj, json_t *reference)
{
  const char *key;
  json_t *value;
  g_autoptr(GPtrArray) ours = g_ptr_array_new(), theirs = g_ptr_array_new();
  json_object_foreach(obj, key, value) g_ptr_array_add(ours, (gpointer)key);
  json_object_foreach(reference, key, value) if (json_object_get(obj, key))
      g_ptr_array_add(theirs, (gpointer)key);
  g_assert_cmpuint(ours->len, ==, theirs->len);
  for (guint i = 0; i < ours->len; i++)
    g_assert_cmpstr(g_ptr_array_index(ours, i), ==, g_ptr_array_index(theirs, i));
}

static void compare_with_real(const char *ours, const char *product, const char *release,
                              const char *component)
{
  g_autofree char *real =
      g_strdup_printf("%s/redist/%s/redistrib_%s.json", CUP_TEST_MANIFESTS, product, release);
  json_t *a = json_load_file(ours, 0, NULL), *b = json_load_file(real, 0, NULL);
  g_assert_true(a != NULL && b != NULL);
  json_t *ca_ = json_object_get(a, component), *cb = json_object_get(b, component);
  assert_same_key_order(ca_, cb);
  g_assert_cmpstr(json_string_value(json_object_get(ca_, "version")), ==,
                  json_string_value(json_object_get(cb, "version")));
  g_assert_cmpstr(json_string_value(json_object_get(ca_, "name")), ==,
                  json_string_value(json_object_get(cb, "name")));
  json_t *va = json_object_get(ca_, "cuda_variant"), *vb = json_object_get(cb, "cuda_variant");
  g_assert_true(va == vb || json_equal(va, vb)); /* both absent, or the same list */
  json_decref(a);
  json_decref(b);
}

/* Reads every entry; returns the entry names, asserting they share @top. */
static GPtrArray *archive_names(const char *file, const char *top)
{
  struct archive *a = archive_read_new();
  archive_read_support_format_all(a);
  archive_read_support_filter_all(a);
  g_assert_cmpint(archive_read_open_filename(a, file, 65536), ==, ARCHIVE_OK);
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  struct archive_entry *entry;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    const char *name = archive_entry_pathname(entry);
    g_assert_true(g_str_has_prefix(name, top) && name[strlen(top)] == '/');
    if (archive_entry_filetype(entry) == AE_IFLNK)
      g_ptr_array_add(
          names, g_strconcat(name + strlen(top) + 1, " -> ", archive_entry_symlink(entry), NULL));
    else
      g_ptr_array_add(names, g_strdup(name + strlen(top) + 1));
    archive_read_data_skip(a);
  }
  g_assert_cmpint(archive_read_free(a), ==, ARCHIVE_OK);
  return names;
}

static gboolean has_name(GPtrArray *names, const char *name)
{
  return g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL);
}

static void check_archive(const CupTestArchive *ar, const CupRedistManifest *m)
{
  const CupRedistArchive *listed =
      cup_redist_find(m, ar->component, ar->platform, ar->cuda_variant);
  g_assert_nonnull(listed);
  g_assert_cmpstr(listed->relative_path, ==, ar->relative_path);
  g_assert_cmpstr(listed->sha256, ==, ar->sha256);
  g_assert_cmpuint(listed->size, ==, ar->size);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(ar->file, &contents, &len, NULL));
  g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)contents, len);
  g_autofree char *md5 = g_compute_checksum_for_data(G_CHECKSUM_MD5, (guchar *)contents, len);
  g_assert_cmpstr(sha, ==, ar->sha256);
  g_assert_cmpuint(len, ==, ar->size);
  g_assert_cmpstr(listed->md5, ==, md5);
  g_autofree char *base = g_path_get_basename(ar->file);
  g_autofree char *top = g_strndup(base, strlen(base) - (g_str_has_suffix(base, ".zip") ? 4 : 7));
  g_autoptr(GPtrArray) names = archive_names(ar->file, top);
  g_assert_true(has_name(names, "LICENSE"));
  gboolean windows = g_str_has_prefix(ar->platform, "windows");
  if (g_strcmp0(ar->component, "cuda_cudart") == 0) {
    g_assert_true(has_name(names, "include/cuda_runtime_api.h"));
    g_assert_true(windows ? has_name(names, "lib/x64/libcudart.so.13.0.48")
                          : has_name(names, "lib/libcudart.so -> libcudart.so.13"));
  } else if (g_strcmp0(ar->component, "cudnn") == 0) {
    g_assert_true(has_name(names, "include/cudnn_version.h"));
    g_assert_true(windows ? has_name(names, "bin/libcudnn.so.9.13.0")
                          : has_name(names, "lib/libcudnn.so.9 -> libcudnn.so.9.13.0"));
  } else {
    g_assert_true(has_name(names, "bin/nvcc.profile"));
    g_assert_true(has_name(names, "bin/nvcc") != windows);
  }
}

static void test_mirror(void)
{
  g_autofree char *tmp = cup_test_make_root();
  g_autofree char *root = g_build_filename(tmp, "mirror", NULL);
  g_autoptr(CupTestMirror) mirror = cup_test_mirror_build(root, "13.0.0", "9.13.0");
  g_assert_cmpuint(mirror->archives->len, ==, 8);
  g_autoptr(CupRedistManifest) cuda = parse_file(mirror->cuda_manifest, CUP_REDIST_CUDA);
  g_autoptr(CupRedistManifest) cudnn = parse_file(mirror->cudnn_manifest, CUP_REDIST_CUDNN);
  g_assert_cmpstr(cuda->release, ==, "13.0.0");
  g_assert_cmpuint(cuda->components->len, ==, 2);
  g_assert_cmpstr(cudnn->release, ==, "9.13.0");
  compare_with_real(mirror->cuda_manifest, "cuda", "13.0.0", "cuda_cudart");
  compare_with_real(mirror->cuda_manifest, "cuda", "13.0.0", "cuda_nvcc");
  compare_with_real(mirror->cudnn_manifest, "cudnn", "9.13.0", "cudnn");
  guint64 total = 0;
  for (guint i = 0; i < mirror->archives->len; i++) {
    const CupTestArchive *ar = g_ptr_array_index(mirror->archives, i);
    g_autofree char *joined = g_build_filename(root, ar->path, NULL);
    g_assert_cmpstr(joined, ==, ar->file);
    g_assert_true(g_str_has_suffix(ar->path, ar->relative_path));
    check_archive(ar, g_str_has_prefix(ar->path, "cudnn/") ? cudnn : cuda);
    total += ar->size;
  }
  g_assert_nonnull(cup_test_mirror_find(mirror, "cuda_nvcc", "windows-x86_64"));
  g_assert_null(cup_test_mirror_find(mirror, "cuda_nvcc", "linux-sbsa"));
  g_test_message("mirror: %u archives, %" G_GUINT64_FORMAT " bytes, real content: %s",
                 mirror->archives->len, total, mirror->real_content ? "yes" : "no");
  cup_test_remove_tree(tmp);
}

static void test_big_archive(void)
{
  g_autofree char *tmp = cup_test_make_root();
  g_autofree char *file = g_build_filename(tmp, "big.tar", NULL);
  const guint64 want = 12 * 1024 * 1024;
  g_autofree char *sha = cup_test_mirror_big_archive(file, want);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(file, &contents, &len, NULL));
  g_assert_cmpuint(len, >=, want);
  g_assert_cmpuint(len, <, want + 1024 * 1024);
  g_autofree char *check = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)contents, len);
  g_assert_cmpstr(check, ==, sha);
  g_autoptr(GPtrArray) names = archive_names(file, "big");
  g_assert_cmpuint(names->len, >=, 1);
  cup_test_remove_tree(tmp);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  ca = cup_test_ca_new();
  g_test_add_func("/servers/ca", test_ca);
  g_test_add_func("/servers/nginx-https-http2", test_nginx_https_http2);
  g_test_add_func("/servers/fault/http", test_fault_http);
  g_test_add_func("/servers/fault/tls", test_fault_tls);
  g_test_add_func("/servers/fault/stop-with-stalled-client", test_fault_stop_with_stalled_client);
  g_test_add_func("/servers/knob/cut", test_knob_cut);
  g_test_add_func("/servers/knob/cut-once", test_knob_cut_once);
  g_test_add_func("/servers/knob/stall", test_knob_stall);
  g_test_add_func("/servers/knob/trickle", test_knob_trickle);
  g_test_add_func("/servers/knob/wrong-bytes", test_knob_wrong_bytes);
  g_test_add_func("/servers/knob/wrong-length", test_knob_wrong_length);
  g_test_add_func("/servers/knob/status", test_knob_status);
  g_test_add_func("/servers/knob/status-then-ok", test_knob_status_then_ok);
  g_test_add_func("/servers/knob/retry-after", test_knob_retry_after);
  g_test_add_func("/servers/knob/redirects", test_knob_redirects);
  g_test_add_func("/servers/knob/endless", test_knob_endless);
  g_test_add_func("/servers/knob/etag-changes", test_knob_etag_changes);
  g_test_add_func("/servers/knob/no-ranges", test_knob_no_ranges);
  g_test_add_func("/servers/mirror", test_mirror);
  g_test_add_func("/servers/mirror/big-archive", test_big_archive);
  int status = g_test_run();
  cup_test_ca_free(ca);
  curl_global_cleanup();
  return status;
}
