/* retry.h - which download failures are worth another try, how long to wait, and how to say
 * what happened. Pure functions (the clock and the random number are arguments), so the policy
 * is tested without a server.
 *
 * Sources: RFC 9110 section 15 (status codes; 408, 429 and 5xx are temporary by definition,
 * 404/403/410 are not), RFC 9110 section 10.2.3 and RFC 6585 section 4 (Retry-After: seconds
 * or an HTTP-date), "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015: full jitter,
 * sleep = random(0, min(cap, base * 2^attempt))).
 */
#pragma once

#include <curl/curl.h>
#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CUP_RETRY_OK,        /* success: nothing to retry */
  CUP_RETRY_TRANSIENT, /* try again on the same mirror after a backoff */
  CUP_RETRY_PERMANENT, /* this mirror will not serve it: go to the next mirror */
  CUP_RETRY_FATAL,     /* stop everything (cancelled, out of disk, our own bug) */
} CupRetryClass;

/** cup_retry_classify_http: 200/206 OK; 408, 425, 429, 5xx transient; other codes permanent. */
CupRetryClass cup_retry_classify_http(long status);

/**
 * cup_retry_classify_curl: connection resets, refusals, timeouts (stalls included), partial
 * bodies, HTTP/2 stream errors and name resolution are transient; TLS verification failures,
 * refused protocols (a redirect to http:// or file://), redirect loops and missing local files
 * are permanent: a certificate problem never falls back to an unverified connection.
 * CURLE_ABORTED_BY_CALLBACK and CURLE_WRITE_ERROR are fatal (our callbacks stopped it).
 */
CupRetryClass cup_retry_classify_curl(CURLcode code);

/**
 * cup_retry_backoff_ms: milliseconds to wait before try @attempt + 1 (@attempt >= 1 tries
 * already failed): full jitter, @random (uniform over guint32) scaled into
 * [0, min(@cap_ms, @base_ms * 2^(@attempt - 1))], never below @base_ms / 4.
 */
guint cup_retry_backoff_ms(guint attempt, guint base_ms, guint cap_ms, guint32 random);

/**
 * cup_retry_after_seconds: a Retry-After header value (delta-seconds or an HTTP-date) as
 * seconds from @now (Unix seconds); -1 when @value is NULL or malformed; 0 for a date past.
 */
gint64 cup_retry_after_seconds(const char *value, gint64 now);

/**
 * cup_retry_describe_curl: what a failed transfer was, in words for the final error: "TLS:
 * SSL certificate problem: unable to get local issuer certificate", "stalled below 1024 B/s
 * for 30 s", "connection refused", "redirect to a URL that is not https:// refused", ...
 * @errbuf is libcurl's CURLOPT_ERRORBUFFER text (may be empty). Newly allocated.
 */
char *cup_retry_describe_curl(CURLcode code, const char *errbuf, guint64 stall_bytes_per_s,
                              guint stall_seconds);

G_END_DECLS
