/* retry.c - the retry policy of downloads; see retry.h for the sources. */
#include "core/retry.h"

#include <string.h>

CupRetryClass cup_retry_classify_http(long status)
{
  if (status == 200 || status == 206)
    return CUP_RETRY_OK;
  if (status == 408 || status == 425 || status == 429 || (status >= 500 && status <= 599))
    return CUP_RETRY_TRANSIENT;
  return CUP_RETRY_PERMANENT;
}

CupRetryClass cup_retry_classify_curl(CURLcode code)
{
  switch (code) {
  case CURLE_OK:
    return CUP_RETRY_OK;
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_PARTIAL_FILE:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_GOT_NOTHING:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_SSL_CONNECT_ERROR: /* a reset during the handshake, not a verification failure */
  case CURLE_PROXY:
  case CURLE_HTTP3:
  case CURLE_QUIC_CONNECT_ERROR:
  case CURLE_RANGE_ERROR:
  case CURLE_BAD_CONTENT_ENCODING:
    return CUP_RETRY_TRANSIENT;
  case CURLE_ABORTED_BY_CALLBACK:
  case CURLE_WRITE_ERROR:
  case CURLE_OUT_OF_MEMORY:
  case CURLE_BAD_FUNCTION_ARGUMENT:
  case CURLE_FAILED_INIT:
    return CUP_RETRY_FATAL;
  default:
    return CUP_RETRY_PERMANENT;
  }
}

guint cup_retry_backoff_ms(guint attempt, guint base_ms, guint cap_ms, guint32 random)
{
  guint64 ceiling = base_ms;
  for (guint i = 1; i < attempt && ceiling < cap_ms; i++)
    ceiling *= 2;
  if (ceiling > cap_ms)
    ceiling = cap_ms;
  guint64 wait = (ceiling * (guint64)random) / G_MAXUINT32;
  guint64 floor = base_ms / 4;
  return (guint)MAX(wait, MIN(floor, ceiling));
}

gint64 cup_retry_after_seconds(const char *value, gint64 now)
{
  if (value == NULL)
    return -1;
  while (*value == ' ' || *value == '\t')
    value++;
  if (g_ascii_isdigit(*value)) {
    char *end = NULL;
    guint64 seconds = g_ascii_strtoull(value, &end, 10);
    while (end && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
      end++;
    if (end == NULL || *end != '\0' || seconds > G_MAXINT32)
      return -1;
    return (gint64)seconds;
  }
  time_t when = curl_getdate(value, NULL);
  if (when == -1)
    return -1;
  return when > now ? (gint64)when - now : 0;
}

static const char *describe_code(CURLcode code)
{
  switch (code) {
  case CURLE_COULDNT_RESOLVE_HOST:
    return "host name not found";
  case CURLE_COULDNT_RESOLVE_PROXY:
    return "proxy name not found";
  case CURLE_COULDNT_CONNECT:
    return "connection refused";
  case CURLE_PARTIAL_FILE:
    return "connection closed before the whole body arrived";
  case CURLE_GOT_NOTHING:
    return "the server closed the connection without answering";
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
    return "connection reset";
  case CURLE_UNSUPPORTED_PROTOCOL:
    return "redirect to a URL that is not https:// refused (or a scheme this mirror may not use)";
  case CURLE_TOO_MANY_REDIRECTS:
    return "redirect loop (more than 10 redirects)";
  case CURLE_FILE_COULDNT_READ_FILE:
    return "not found";
  default:
    return NULL;
  }
}

static gboolean is_tls_verification(CURLcode code)
{
  return code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
         code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_ISSUER_ERROR ||
         code == CURLE_SSL_PINNEDPUBKEYNOTMATCH || code == CURLE_SSL_CRL_BADFILE;
}

char *cup_retry_describe_curl(CURLcode code, const char *errbuf, guint64 stall_bytes_per_s,
                              guint stall_seconds)
{
  const char *detail = errbuf && *errbuf ? errbuf : curl_easy_strerror(code);
  if (code == CURLE_OPERATION_TIMEDOUT && errbuf && strstr(errbuf, "too slow"))
    return g_strdup_printf("stalled below %" G_GUINT64_FORMAT " B/s for %u s", stall_bytes_per_s,
                           stall_seconds);
  if (is_tls_verification(code) || code == CURLE_SSL_CONNECT_ERROR)
    return g_strdup_printf("TLS: %s", detail);
  const char *words = describe_code(code);
  if (words)
    return g_strdup_printf("%s (%s)", words, detail);
  return g_strdup(detail);
}
