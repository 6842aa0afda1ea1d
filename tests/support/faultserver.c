/* faultserver.c - a fault-injecting HTTP/1.1 server (plain or TLS) on 127.0.0.1 for the
 * download tests. One thread accepts; each connection gets its own thread, so a stalled or
 * trickling response never holds up another. Every response closes its connection. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include "tests/support/faultserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define POLL_MS 20
#define MAX_HEAD 16384
#define CHUNK 16384
#define DRAIN_US (2 * G_USEC_PER_SEC)
#define NO_LIMIT G_MAXUINT64

typedef struct {
  char *path;
  guint8 *body;
  gsize len;
  CupFault fault;
  char *location;
  char *etag_base; /* 16 hex digits of the body's SHA-256 */
  guint served;    /* requests answered so far, under the server lock */
} Route;

typedef struct {
  CupFaultServer *server;
  int fd; /* -1 once closed; read and written under the server lock */
  SSL *ssl;
  GThread *thread;
  gint done;
} Conn;

struct CupFaultServer {
  int listen_fd;
  SSL_CTX *ctx;
  char *url;
  GThread *acceptor;
  gint stopping;
  GMutex lock;
  GHashTable *routes;  /* path -> Route* */
  GPtrArray *retired;  /* Route* replaced by a later add, freed at stop */
  GPtrArray *requests; /* CupFaultRequest* */
  GPtrArray *conns;    /* Conn* not joined yet */
};

/* What to send back, decided before the first byte goes out so the request can be recorded
 * with its status. */
typedef struct {
  guint status;
  GString *headers;       /* extra header lines, each ending in CRLF */
  const char *short_body; /* status answers; NULL: the route's body slice */
  gboolean endless;
  guint64 start, end;     /* body slice [start, end) */
  guint64 content_length; /* what the header says */
  guint8 xor_all;         /* applied to every body byte */
  guint64 flip_at;        /* absolute offset of one flipped byte, NO_LIMIT: none */
  guint64 cut_after;      /* body bytes sent before stopping, NO_LIMIT: all */
  gboolean stall;         /* after cut_after bytes, keep the connection open */
  guint64 rate;           /* bytes per second, 0: as fast as possible */
} Reply;

static gboolean stopping(const CupFaultServer *server)
{
  return g_atomic_int_get(&server->stopping) != 0;
}

static void route_free(gpointer data)
{
  Route *route = data;
  g_free(route->path);
  g_free(route->body);
  g_free(route->location);
  g_free(route->etag_base);
  g_free(route);
}

static void request_free(gpointer data)
{
  CupFaultRequest *req = data;
  g_free(req->method);
  g_free(req->path);
  g_free(req->range);
  g_free(req->if_range);
  g_free(req);
}

/* ---- connection I/O ---- */

static gssize conn_read(Conn *conn, void *buf, gsize len)
{
  if (conn->ssl != NULL)
    return SSL_read(conn->ssl, buf, (int)MIN(len, G_MAXINT));
  gssize n;
  do
    n = recv(conn->fd, buf, len, 0);
  while (n < 0 && errno == EINTR);
  return n;
}

static gboolean conn_write(Conn *conn, const void *buf, gsize len)
{
  const char *p = buf;
  while (len > 0) {
    gssize n;
    if (conn->ssl != NULL)
      n = SSL_write(conn->ssl, p, (int)MIN(len, G_MAXINT));
    else
      n = send(conn->fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && conn->ssl == NULL && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    p += n;
    len -= (gsize)n;
  }
  return TRUE;
}

/* Sleeps @us microseconds in short steps, returning FALSE early when the server stops. */
static gboolean sleep_unless_stopping(const CupFaultServer *server, gint64 us)
{
  gint64 until = g_get_monotonic_time() + us;
  while (g_get_monotonic_time() < until) {
    if (stopping(server))
      return FALSE;
    gint64 left = until - g_get_monotonic_time();
    g_usleep((gulong)CLAMP(left, 1, POLL_MS * 1000));
  }
  return !stopping(server);
}

/* Waits until the client closes (or sends anything) or the server stops. */
static void wait_client_gone(Conn *conn)
{
  guint8 buf[512];
  while (!stopping(conn->server)) {
    struct pollfd p = {.fd = conn->fd, .events = POLLIN};
    int r = poll(&p, 1, POLL_MS);
    if (r < 0 && errno != EINTR)
      return;
    if (r > 0 && conn_read(conn, buf, sizeof buf) <= 0)
      return;
  }
}

static void conn_release_fd(Conn *conn)
{
  g_mutex_lock(&conn->server->lock);
  int fd = conn->fd;
  conn->fd = -1;
  g_mutex_unlock(&conn->server->lock);
  close(fd);
}

/* A clean end: TLS close_notify, FIN, and reading what the client still sends, so the kernel
 * never answers unread bytes with a reset that could destroy the response in flight. */
static void conn_close_gracefully(Conn *conn)
{
  if (conn->ssl != NULL)
    SSL_shutdown(conn->ssl);
  shutdown(conn->fd, SHUT_WR);
  gint64 until = g_get_monotonic_time() + DRAIN_US;
  guint8 buf[4096];
  while (!stopping(conn->server) && g_get_monotonic_time() < until) {
    struct pollfd p = {.fd = conn->fd, .events = POLLIN};
    int r = poll(&p, 1, POLL_MS);
    if (r > 0 && recv(conn->fd, buf, sizeof buf, 0) <= 0)
      break;
    if (r < 0 && errno != EINTR)
      break;
  }
}

/* ---- requests ---- */

static char *read_head(Conn *conn)
{
  g_autoptr(GString) head = g_string_new(NULL);
  char buf[4096];
  while (head->len < MAX_HEAD) {
    gssize n = conn_read(conn, buf, sizeof buf);
    if (n <= 0)
      return NULL;
    g_string_append_len(head, buf, n);
    if (strstr(head->str, "\r\n\r\n") != NULL)
      return g_string_free(g_steal_pointer(&head), FALSE);
  }
  return NULL;
}

static void parse_header(CupFaultRequest *req, const char *line)
{
  const char *colon = strchr(line, ':');
  if (colon == NULL)
    return;
  g_autofree char *name = g_strstrip(g_strndup(line, (gsize)(colon - line)));
  g_autofree char *value = g_strstrip(g_strdup(colon + 1));
  char **slot = NULL;
  if (g_ascii_strcasecmp(name, "Range") == 0)
    slot = &req->range;
  else if (g_ascii_strcasecmp(name, "If-Range") == 0)
    slot = &req->if_range;
  if (slot != NULL) {
    g_free(*slot);
    *slot = g_steal_pointer(&value);
  }
}

static CupFaultRequest *parse_request(const char *head)
{
  g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
  g_auto(GStrv) parts = g_strsplit(lines[0], " ", 3);
  if (g_strv_length(parts) != 3)
    return NULL;
  CupFaultRequest *req = g_new0(CupFaultRequest, 1);
  req->method = g_strdup(parts[0]);
  const char *query = strchr(parts[1], '?');
  req->path = query ? g_strndup(parts[1], (gsize)(query - parts[1])) : g_strdup(parts[1]);
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    parse_header(req, lines[i]);
  return req;
}

/* "bytes=N-" or "bytes=N-M" (RFC 9110 14.1.2); anything else is ignored like a missing Range. */
static gboolean parse_range(const char *value, guint64 total, guint64 *start, guint64 *end)
{
  if (value == NULL || !g_str_has_prefix(value, "bytes=") || strchr(value, ',') != NULL)
    return FALSE;
  g_auto(GStrv) ends = g_strsplit(value + 6, "-", 2);
  if (g_strv_length(ends) != 2 || ends[0][0] == '\0')
    return FALSE;
  guint64 first = 0, last = G_MAXUINT64;
  if (!g_ascii_string_to_unsigned(ends[0], 10, 0, G_MAXUINT64, &first, NULL))
    return FALSE;
  if (ends[1][0] != '\0' &&
      (!g_ascii_string_to_unsigned(ends[1], 10, 0, G_MAXUINT64, &last, NULL) || last < first))
    return FALSE;
  *start = first;
  *end = last == G_MAXUINT64 || last >= total ? total : last + 1;
  return TRUE;
}

static const char *reason_phrase(guint status)
{
  static const struct {
    guint status;
    const char *reason;
  } reasons[] = {{200, "OK"},
                 {206, "Partial Content"},
                 {301, "Moved Permanently"},
                 {302, "Found"},
                 {400, "Bad Request"},
                 {403, "Forbidden"},
                 {404, "Not Found"},
                 {408, "Request Timeout"},
                 {410, "Gone"},
                 {416, "Range Not Satisfiable"},
                 {429, "Too Many Requests"},
                 {500, "Internal Server Error"},
                 {502, "Bad Gateway"},
                 {503, "Service Unavailable"}};
  for (gsize i = 0; i < G_N_ELEMENTS(reasons); i++)
    if (reasons[i].status == status)
      return reasons[i].reason;
  return "Status";
}

/* ---- deciding the reply ---- */

static void reply_status(Reply *reply, guint status)
{
  reply->status = status;
  reply->short_body = "fault server: status answer\n";
  reply->content_length = strlen(reply->short_body);
}

static gboolean if_range_matches(const char *if_range, const char *etag, const char *modified)
{
  return if_range == NULL || g_strcmp0(if_range, etag) == 0 || g_strcmp0(if_range, modified) == 0;
}

/* Validators of the body served to request number @k (0-based) of @route. */
static void validators(const Route *route, guint k, char **etag, char **modified)
{
  guint n = route->fault.kind == CUP_FAULT_ETAG_CHANGES ? k : 0;
  if (route->fault.kind == CUP_FAULT_ETAG_CHANGES)
    *etag = g_strdup_printf("\"%s-%u\"", route->etag_base, n);
  else
    *etag = g_strdup_printf("\"%s\"", route->etag_base);
  *modified = g_strdup_printf("Wed, 01 Jan 2025 %02u:%02u:%02u GMT", (n / 3600) % 24, (n / 60) % 60,
                              n % 60);
}

static void reply_range(Reply *reply, const Route *route, const CupFaultRequest *req,
                        const char *etag, const char *modified)
{
  guint64 start = 0, end = route->len;
  gboolean ranged = route->fault.kind != CUP_FAULT_NO_RANGES &&
                    if_range_matches(req->if_range, etag, modified) &&
                    parse_range(req->range, route->len, &start, &end);
  if (ranged && start >= route->len) {
    reply_status(reply, 416);
    g_string_append_printf(reply->headers, "Content-Range: bytes */%" G_GSIZE_FORMAT "\r\n",
                           route->len);
    return;
  }
  reply->status = ranged ? 206 : 200;
  reply->start = start;
  reply->end = end;
  reply->content_length = end - start;
  if (ranged)
    g_string_append_printf(reply->headers,
                           "Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                           "/%" G_GSIZE_FORMAT "\r\n",
                           start, end - 1, route->len);
}

static void reply_content(Reply *reply, const Route *route, guint k, const CupFaultRequest *req)
{
  const CupFault *f = &route->fault;
  g_autofree char *etag = NULL, *modified = NULL;
  validators(route, k, &etag, &modified);
  g_string_append_printf(reply->headers,
                         "Content-Type: application/octet-stream\r\nETag: %s\r\n"
                         "Last-Modified: %s\r\nAccept-Ranges: %s\r\n",
                         etag, modified, f->kind == CUP_FAULT_NO_RANGES ? "none" : "bytes");
  if (f->kind == CUP_FAULT_ENDLESS) {
    reply->status = 200;
    reply->endless = TRUE;
    return;
  }
  reply_range(reply, route, req, etag, modified);
  if (reply->status == 416)
    return;
  gboolean first = k == 0;
  if (f->kind == CUP_FAULT_CUT || (f->kind == CUP_FAULT_CUT_ONCE && first) ||
      (f->kind == CUP_FAULT_ETAG_CHANGES && first && f->bytes > 0) || f->kind == CUP_FAULT_STALL)
    reply->cut_after = f->bytes;
  reply->stall = f->kind == CUP_FAULT_STALL;
  reply->xor_all = f->kind == CUP_FAULT_ETAG_CHANGES && first ? 0xff : 0;
  reply->flip_at = f->kind == CUP_FAULT_WRONG_BYTES ? f->bytes : NO_LIMIT;
  reply->rate = f->kind == CUP_FAULT_TRICKLE ? MAX(f->bytes, 1) : 0;
  if (f->kind == CUP_FAULT_WRONG_LENGTH)
    reply->content_length += f->bytes;
}

static void decide(Reply *reply, const Route *route, guint k, const CupFaultRequest *req)
{
  reply->flip_at = NO_LIMIT;
  reply->cut_after = NO_LIMIT;
  if (route == NULL) {
    reply_status(reply, 404);
    return;
  }
  const CupFault *f = &route->fault;
  switch (f->kind) {
  case CUP_FAULT_STATUS:
    reply_status(reply, f->status);
    return;
  case CUP_FAULT_STATUS_THEN_OK:
  case CUP_FAULT_RETRY_AFTER:
    if (k < f->count) {
      reply_status(reply, f->status != 0 ? f->status : 429);
      if (f->kind == CUP_FAULT_RETRY_AFTER)
        g_string_append_printf(reply->headers, "Retry-After: %u\r\n", f->retry_after);
      return;
    }
    break;
  case CUP_FAULT_REDIRECT:
  case CUP_FAULT_REDIRECT_LOOP:
    reply_status(reply, 302);
    g_string_append_printf(reply->headers, "Location: %s\r\n",
                           f->kind == CUP_FAULT_REDIRECT ? route->location : req->path);
    return;
  default:
    break;
  }
  reply_content(reply, route, k, req);
}

/* ---- sending ---- */

static void fill(guint8 *buf, const Route *route, guint64 pos, gsize n, const Reply *reply)
{
  for (gsize i = 0; i < n; i++) {
    guint64 at = pos + i;
    guint8 byte = route->len > 0 ? route->body[at % route->len] : 0;
    byte ^= reply->xor_all;
    if (at == reply->flip_at)
      byte ^= 0x01;
    buf[i] = byte;
  }
}

/* Sends body bytes from @reply->start up to @limit (exclusive), paced when a rate is set.
 * Returns FALSE when the client went away or the server stops. */
static gboolean send_body(Conn *conn, const Route *route, const Reply *reply, guint64 limit)
{
  guint8 buf[CHUNK];
  gsize piece = reply->rate > 0 ? (gsize)CLAMP(reply->rate / 10, 1, CHUNK) : CHUNK;
  for (guint64 pos = reply->start; pos < limit;) {
    if (stopping(conn->server))
      return FALSE;
    gsize n = (gsize)MIN((guint64)piece, limit - pos);
    fill(buf, route, pos, n, reply);
    if (!conn_write(conn, buf, n))
      return FALSE;
    pos += n;
    if (reply->rate > 0 &&
        !sleep_unless_stopping(conn->server, (gint64)(n * G_USEC_PER_SEC / reply->rate)))
      return FALSE;
  }
  return TRUE;
}

static gboolean send_head(Conn *conn, const Reply *reply)
{
  g_autoptr(GString) head = g_string_new(NULL);
  g_string_append_printf(head, "HTTP/1.1 %u %s\r\nServer: cudaup-fault-server\r\n", reply->status,
                         reason_phrase(reply->status));
  if (!reply->endless)
    g_string_append_printf(head, "Content-Length: %" G_GUINT64_FORMAT "\r\n",
                           reply->content_length);
  g_string_append(head, reply->headers->str);
  g_string_append(head, "Connection: close\r\n\r\n");
  return conn_write(conn, head->str, head->len);
}

/* Sends the reply; returns TRUE when the connection should be closed gracefully. */
static gboolean send_reply(Conn *conn, const Route *route, const Reply *reply, gboolean head_only)
{
  if (!send_head(conn, reply))
    return FALSE;
  if (head_only)
    return TRUE;
  if (reply->short_body != NULL)
    return conn_write(conn, reply->short_body, strlen(reply->short_body));
  if (reply->endless) {
    send_body(conn, route, reply, NO_LIMIT);
    return FALSE;
  }
  guint64 limit = reply->end;
  if (reply->cut_after != NO_LIMIT)
    limit = MIN(limit, reply->start + reply->cut_after);
  if (!send_body(conn, route, reply, limit))
    return FALSE;
  if (reply->stall) {
    wait_client_gone(conn);
    return FALSE;
  }
  return limit == reply->end;
}

static CupFaultRequest *request_copy(const CupFaultRequest *req, guint status)
{
  CupFaultRequest *copy = g_new0(CupFaultRequest, 1);
  copy->method = g_strdup(req->method);
  copy->path = g_strdup(req->path);
  copy->range = g_strdup(req->range);
  copy->if_range = g_strdup(req->if_range);
  copy->status = status;
  return copy;
}

static void record(CupFaultServer *server, const CupFaultRequest *req, guint status)
{
  CupFaultRequest *copy = request_copy(req, status);
  g_mutex_lock(&server->lock);
  g_ptr_array_add(server->requests, copy);
  g_mutex_unlock(&server->lock);
}

/* Looks the route up and counts the request; routes live until the server stops. */
static const Route *take_route(CupFaultServer *server, const char *path, guint *k)
{
  g_mutex_lock(&server->lock);
  Route *route = g_hash_table_lookup(server->routes, path);
  if (route != NULL)
    *k = route->served++;
  g_mutex_unlock(&server->lock);
  return route;
}

static gboolean serve_one(Conn *conn)
{
  g_autofree char *head = read_head(conn);
  if (head == NULL)
    return FALSE;
  CupFaultRequest *req = parse_request(head);
  if (req == NULL)
    return FALSE;
  guint k = 0;
  const Route *route = take_route(conn->server, req->path, &k);
  Reply reply = {.headers = g_string_new(NULL)};
  decide(&reply, route, k, req);
  record(conn->server, req, reply.status);
  gboolean graceful = send_reply(conn, route, &reply, g_strcmp0(req->method, "HEAD") == 0);
  g_string_free(reply.headers, TRUE);
  request_free(req);
  return graceful;
}

static gpointer conn_main(gpointer data)
{
  Conn *conn = data;
  gboolean graceful = FALSE;
  if (conn->ssl == NULL || SSL_accept(conn->ssl) == 1)
    graceful = serve_one(conn);
  if (graceful)
    conn_close_gracefully(conn);
  if (conn->ssl != NULL)
    SSL_free(conn->ssl);
  conn->ssl = NULL;
  /* OpenSSL keeps a per-thread error queue; leave nothing behind for the next test. */
  ERR_clear_error();
  conn_release_fd(conn);
  g_atomic_int_set(&conn->done, 1);
  return NULL;
}

/* ---- accepting ---- */

static void conn_free(gpointer data)
{
  Conn *conn = data;
  g_thread_join(conn->thread);
  g_free(conn);
}

/* Joins the threads of finished connections so a long test does not pile them up. */
static void reap_finished(CupFaultServer *server)
{
  g_autoptr(GPtrArray) finished = g_ptr_array_new_with_free_func(conn_free);
  g_mutex_lock(&server->lock);
  for (guint i = 0; i < server->conns->len;) {
    Conn *conn = g_ptr_array_index(server->conns, i);
    if (g_atomic_int_get(&conn->done))
      g_ptr_array_add(finished, g_ptr_array_steal_index_fast(server->conns, i));
    else
      i++;
  }
  g_mutex_unlock(&server->lock);
}

static void accept_one(CupFaultServer *server)
{
  int fd = accept4(server->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    return;
  Conn *conn = g_new0(Conn, 1);
  conn->server = server;
  conn->fd = fd;
  if (server->ctx != NULL) {
    conn->ssl = SSL_new(server->ctx);
    g_assert_nonnull(conn->ssl);
    SSL_set_fd(conn->ssl, fd);
  }
  g_mutex_lock(&server->lock);
  g_ptr_array_add(server->conns, conn);
  g_mutex_unlock(&server->lock);
  conn->thread = g_thread_new("cup-fault-conn", conn_main, conn);
}

static gpointer accept_main(gpointer data)
{
  CupFaultServer *server = data;
  while (!stopping(server)) {
    struct pollfd p = {.fd = server->listen_fd, .events = POLLIN};
    if (poll(&p, 1, POLL_MS) > 0)
      accept_one(server);
    reap_finished(server);
  }
  return NULL;
}

static int listen_loopback(guint16 *port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint(fd, >=, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
  g_assert_cmpint(listen(fd, 128), ==, 0);
  socklen_t len = sizeof addr;
  g_assert_cmpint(getsockname(fd, (struct sockaddr *)&addr, &len), ==, 0);
  *port = ntohs(addr.sin_port);
  return fd;
}

static SSL_CTX *make_tls_context(const CupTestCa *ca)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  g_assert_nonnull(ctx);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, ca->cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, ca->key, SSL_FILETYPE_PEM) != 1) {
    char why[256];
    ERR_error_string_n(ERR_get_error(), why, sizeof why);
    g_error("fault server: cannot load %s / %s: %s", ca->cert, ca->key, why);
  }
  return ctx;
}

CupFaultServer *cup_fault_server_start(const CupTestCa *ca)
{
  /* A client that goes away mid-response must not kill the test with SIGPIPE (OpenSSL writes
   * with write(2), which has no MSG_NOSIGNAL). */
  signal(SIGPIPE, SIG_IGN);
  CupFaultServer *server = g_new0(CupFaultServer, 1);
  g_mutex_init(&server->lock);
  guint16 port = 0;
  server->listen_fd = listen_loopback(&port);
  server->ctx = ca != NULL ? make_tls_context(ca) : NULL;
  server->url = g_strdup_printf("%s://127.0.0.1:%u", ca != NULL ? "https" : "http", (guint)port);
  server->routes = g_hash_table_new(g_str_hash, g_str_equal);
  server->retired = g_ptr_array_new_with_free_func(route_free);
  server->requests = g_ptr_array_new_with_free_func(request_free);
  server->conns = g_ptr_array_new();
  server->acceptor = g_thread_new("cup-fault-accept", accept_main, server);
  return server;
}

const char *cup_fault_server_url(const CupFaultServer *server)
{
  return server->url;
}

void cup_fault_server_add(CupFaultServer *server, const char *path, const void *body, gsize len,
                          const CupFault *fault)
{
  /* absolute form ("http://host/...") is what a client sends to a proxy */
  g_return_if_fail(path != NULL && (path[0] == '/' || g_str_has_prefix(path, "http://")));
  Route *route = g_new0(Route, 1);
  route->path = g_strdup(path);
  route->body = g_memdup2(body, len);
  route->len = len;
  if (fault != NULL)
    route->fault = *fault;
  route->location = g_strdup(route->fault.location);
  route->fault.location = NULL;
  g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, body, len);
  route->etag_base = g_strndup(sum, 16);
  g_mutex_lock(&server->lock);
  Route *old = g_hash_table_lookup(server->routes, path);
  if (old != NULL)
    g_ptr_array_add(server->retired, old);
  g_hash_table_insert(server->routes, route->path, route);
  g_mutex_unlock(&server->lock);
}

GPtrArray *cup_fault_server_requests(CupFaultServer *server)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func(request_free);
  g_mutex_lock(&server->lock);
  for (guint i = 0; i < server->requests->len; i++) {
    const CupFaultRequest *req = g_ptr_array_index(server->requests, i);
    g_ptr_array_add(copy, request_copy(req, req->status));
  }
  g_mutex_unlock(&server->lock);
  return copy;
}

void cup_fault_server_stop(CupFaultServer *server)
{
  if (server == NULL)
    return;
  g_atomic_int_set(&server->stopping, 1);
  g_thread_join(server->acceptor);
  /* Wake every connection thread blocked in read or write; none closes its fd meanwhile
   * because closing takes the lock too. */
  g_mutex_lock(&server->lock);
  for (guint i = 0; i < server->conns->len; i++) {
    Conn *conn = g_ptr_array_index(server->conns, i);
    if (conn->fd >= 0)
      shutdown(conn->fd, SHUT_RDWR);
  }
  g_mutex_unlock(&server->lock);
  for (guint i = 0; i < server->conns->len; i++)
    conn_free(g_ptr_array_index(server->conns, i));
  g_ptr_array_unref(server->conns);
  close(server->listen_fd);
  if (server->ctx != NULL)
    SSL_CTX_free(server->ctx);
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, server->routes);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    route_free(value);
  g_hash_table_unref(server->routes);
  g_ptr_array_unref(server->retired);
  g_ptr_array_unref(server->requests);
  g_mutex_clear(&server->lock);
  g_free(server->url);
  g_free(server);
}
