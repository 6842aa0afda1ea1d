/* faultserver.h - a fault-injecting HTTP(S) server for the download tests, running in a thread
 * of the test on 127.0.0.1 (HTTP/1.1, OpenSSL for TLS).
 *
 * It serves one body per registered path; what goes wrong is chosen per path with knobs, and
 * every request is recorded (method, path, Range, If-Range) so a test can assert what the
 * client asked. Responses carry ETag and Last-Modified and honour Range/If-Range like nginx
 * (206 with Content-Range; 200 when If-Range does not match; 416 past the end).
 * Knobs count requests per path, the first being request 0; `count` 0 means none. Every
 * response says Connection: close; HEAD gets the headers only; an unknown path gets 404.
 */
#pragma once

#include "tests/support/tlsca.h"

#include <glib.h>

typedef enum {
  CUP_FAULT_NONE,
  CUP_FAULT_CUT,            /* close the connection after `bytes` body bytes (each request) */
  CUP_FAULT_CUT_ONCE,       /* cut after `bytes` on the first request only, then serve well */
  CUP_FAULT_STALL,          /* send `bytes` body bytes, then nothing (connection kept open) */
  CUP_FAULT_TRICKLE,        /* send `bytes` bytes per second */
  CUP_FAULT_WRONG_BYTES,    /* the right length, one byte flipped at offset `bytes` */
  CUP_FAULT_WRONG_LENGTH,   /* Content-Length says `bytes` more than it sends, then close */
  CUP_FAULT_STATUS,         /* answer `status` (404, 403, 500, ...) with a short body */
  CUP_FAULT_STATUS_THEN_OK, /* answer `status` to the first `count` requests, then serve */
  CUP_FAULT_RETRY_AFTER,    /* 429 (or `status`) with Retry-After: `retry_after` first `count` */
  CUP_FAULT_REDIRECT,       /* 302 to `location` */
  CUP_FAULT_REDIRECT_LOOP,  /* 302 to itself */
  CUP_FAULT_ENDLESS,        /* no Content-Length, never-ending body */
  CUP_FAULT_ETAG_CHANGES,   /* a new ETag and Last-Modified on every request; the first
                             * request gets other bytes (every byte flipped), cut after
                             * `bytes` when `bytes` > 0, later ones the real body; so a
                             * resume that ignores If-Range mixes two versions */
  CUP_FAULT_NO_RANGES,      /* ignore Range: always 200 with the whole body */
} CupFaultKind;

typedef struct {
  CupFaultKind kind;
  guint64 bytes;
  guint status;
  guint count;
  guint retry_after; /* seconds */
  const char *location;
} CupFault;

typedef struct {
  char *method, *path, *range, *if_range; /* NULL when the header was absent */
  guint status;                           /* what the server answered */
} CupFaultRequest;

typedef struct CupFaultServer CupFaultServer;

/** cup_fault_server_start: listen on a free port of 127.0.0.1, TLS with @ca (NULL: plain HTTP). */
CupFaultServer *cup_fault_server_start(const CupTestCa *ca);

/** cup_fault_server_url: "https://127.0.0.1:PORT" or "http://..." (owned). */
const char *cup_fault_server_url(const CupFaultServer *server);

/** cup_fault_server_add: serve @body (@len bytes, copied) at @path ("/..." or, for a proxy
 * test, the absolute form "http://host/...") with @fault (NULL: none). */
void cup_fault_server_add(CupFaultServer *server, const char *path, const void *body, gsize len,
                          const CupFault *fault);

/** cup_fault_server_requests: the requests made so far (CupFaultRequest*), a new reference. */
GPtrArray *cup_fault_server_requests(CupFaultServer *server);

/** cup_fault_server_stop: close every connection, join the thread, free. */
void cup_fault_server_stop(CupFaultServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupFaultServer, cup_fault_server_stop)
