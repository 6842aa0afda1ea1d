/* test_retry.c - the download retry policy: what is retried, how long to wait, what is said. */
#include "core/retry.h"

#include <string.h>

static void test_http_classes(void)
{
  const struct {
    long status;
    CupRetryClass want;
  } rows[] = {
      {200, CUP_RETRY_OK},        {206, CUP_RETRY_OK},        {404, CUP_RETRY_PERMANENT},
      {403, CUP_RETRY_PERMANENT}, {410, CUP_RETRY_PERMANENT}, {401, CUP_RETRY_PERMANENT},
      {408, CUP_RETRY_TRANSIENT}, {429, CUP_RETRY_TRANSIENT}, {500, CUP_RETRY_TRANSIENT},
      {502, CUP_RETRY_TRANSIENT}, {503, CUP_RETRY_TRANSIENT}, {301, CUP_RETRY_PERMANENT},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
    g_assert_cmpint(cup_retry_classify_http(rows[i].status), ==, rows[i].want);
}

static void test_curl_classes(void)
{
  g_assert_cmpint(cup_retry_classify_curl(CURLE_OK), ==, CUP_RETRY_OK);
  g_assert_cmpint(cup_retry_classify_curl(CURLE_COULDNT_CONNECT), ==, CUP_RETRY_TRANSIENT);
  g_assert_cmpint(cup_retry_classify_curl(CURLE_RECV_ERROR), ==, CUP_RETRY_TRANSIENT);
  g_assert_cmpint(cup_retry_classify_curl(CURLE_PARTIAL_FILE), ==, CUP_RETRY_TRANSIENT);
  g_assert_cmpint(cup_retry_classify_curl(CURLE_OPERATION_TIMEDOUT), ==, CUP_RETRY_TRANSIENT);
  /* A certificate problem never falls back: it is not retried on the same mirror. */
  g_assert_cmpint(cup_retry_classify_curl(CURLE_PEER_FAILED_VERIFICATION), ==, CUP_RETRY_PERMANENT);
  g_assert_cmpint(cup_retry_classify_curl(CURLE_UNSUPPORTED_PROTOCOL), ==, CUP_RETRY_PERMANENT);
  g_assert_cmpint(cup_retry_classify_curl(CURLE_TOO_MANY_REDIRECTS), ==, CUP_RETRY_PERMANENT);
  g_assert_cmpint(cup_retry_classify_curl(CURLE_ABORTED_BY_CALLBACK), ==, CUP_RETRY_FATAL);
}

static void test_backoff(void)
{
  /* Full jitter: the ceiling doubles per try up to the cap; random 0 gives the floor. */
  g_assert_cmpuint(cup_retry_backoff_ms(1, 500, 30000, G_MAXUINT32), ==, 500);
  g_assert_cmpuint(cup_retry_backoff_ms(2, 500, 30000, G_MAXUINT32), ==, 1000);
  g_assert_cmpuint(cup_retry_backoff_ms(4, 500, 30000, G_MAXUINT32), ==, 4000);
  g_assert_cmpuint(cup_retry_backoff_ms(20, 500, 30000, G_MAXUINT32), ==, 30000);
  g_assert_cmpuint(cup_retry_backoff_ms(3, 500, 30000, 0), ==, 125);
  g_assert_cmpuint(cup_retry_backoff_ms(3, 500, 30000, G_MAXUINT32 / 2), ==, 999);
  for (guint attempt = 1; attempt < 40; attempt++)
    g_assert_cmpuint(cup_retry_backoff_ms(attempt, 500, 30000, g_random_int()), <=, 30000);
}

static void test_retry_after(void)
{
  gint64 now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date */
  g_assert_cmpint(cup_retry_after_seconds("120", now), ==, 120);
  g_assert_cmpint(cup_retry_after_seconds(" 7 ", now), ==, 7);
  g_assert_cmpint(cup_retry_after_seconds("Sun, 06 Nov 1994 08:49:47 GMT", now), ==, 10);
  g_assert_cmpint(cup_retry_after_seconds("Sun, 06 Nov 1994 08:00:00 GMT", now), ==, 0);
  g_assert_cmpint(cup_retry_after_seconds(NULL, now), ==, -1);
  g_assert_cmpint(cup_retry_after_seconds("soon", now), ==, -1);
  g_assert_cmpint(cup_retry_after_seconds("12abc", now), ==, -1);
}

static void test_describe(void)
{
  g_autofree char *stall = cup_retry_describe_curl(
      CURLE_OPERATION_TIMEDOUT,
      "Operation too slow. Less than 1024 bytes/sec transferred the last 30 seconds", 1024, 30);
  g_assert_cmpstr(stall, ==, "stalled below 1024 B/s for 30 s");
  g_autofree char *tls = cup_retry_describe_curl(
      CURLE_PEER_FAILED_VERIFICATION,
      "SSL certificate problem: unable to get local issuer certificate", 1024, 30);
  g_assert_cmpstr(tls, ==, "TLS: SSL certificate problem: unable to get local issuer certificate");
  g_autofree char *refused = cup_retry_describe_curl(CURLE_COULDNT_CONNECT, "", 1024, 30);
  g_assert_true(g_str_has_prefix(refused, "connection refused"));
  g_autofree char *redirect = cup_retry_describe_curl(CURLE_UNSUPPORTED_PROTOCOL, "", 1024, 30);
  g_assert_nonnull(strstr(redirect, "not https://"));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/retry/http", test_http_classes);
  g_test_add_func("/retry/curl", test_curl_classes);
  g_test_add_func("/retry/backoff", test_backoff);
  g_test_add_func("/retry/retry-after", test_retry_after);
  g_test_add_func("/retry/describe", test_describe);
  return g_test_run();
}
