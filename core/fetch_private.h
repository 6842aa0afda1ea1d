/* fetch_private.h - the state shared by fetch.c (the run loop) and fetch_transfer.c (one
 * transfer: its request, callbacks and what its outcome means). Not a public interface. */
#pragma once

#include "core/hashpipe.h"
#include "core/fetch.h"

#include <curl/curl.h>

typedef enum { T_WAITING, T_ACTIVE, T_DONE, T_FAILED } TransferState;

typedef enum { ABORT_NONE, ABORT_TOO_LARGE, ABORT_WRONG_SIZE, ABORT_IO, ABORT_RANGE } TransferAbort;

typedef struct Fetch Fetch;

typedef struct {
  Fetch *fetch;
  const char *name, *path, *sha256; /* borrowed from the item; sha256 NULL for a manifest */
  guint64 size;                     /* bytes; for a manifest the cap */
  GByteArray *memory;               /* a manifest is kept in memory, not in the cache */
  TransferState state;
  CupProgressItem *progress;
  CupFetchResult *result;

  CURL *easy;
  struct curl_slist *headers;
  CupCachePart *part;
  CupHashPipe *sha; /* hashed on a worker thread: hashpipe.h */
  guint mirror, attempt, restarts;
  GPtrArray *statuses; /* char*: "<url>: <last status>" per mirror given up on */
  gboolean all_not_found;
  gint64 not_before_us;
  char *url;
  gboolean is_file;

  /* the response being received */
  gboolean decided, skip_body;
  guint64 announced; /* the size the server gave for the whole file, 0 when unknown */
  char *etag, *last_modified, *retry_after, *content_range;
  TransferAbort abort;
  GError *io_error;
  char errbuf[CURL_ERROR_SIZE];
  CupRateMeter meter;
} Transfer;

struct Fetch {
  const CupFetchOptions *options;
  CupCache *cache;
  GPtrArray *mirrors; /* char*: roots without a trailing '/' */
  gboolean offline;
  guint jobs, attempts, backoff_base_ms, backoff_cap_ms, retry_after_cap_s, stall_seconds;
  guint connect_timeout_s, progress_interval_ms;
  guint64 stall_bytes_per_s;
  gint64 deadline_us; /* monotonic; 0 = none */
  CURLM *multi;
  GPtrArray *transfers; /* Transfer* */
  CupProgressItem *progress_items;
  CupRateMeter meter;
  gint64 last_progress_us;
  GRand *rand;
  GError *error; /* the first fatal error */
};

/** transfer_start: open the `.part` when needed and add a request for the current mirror. */
gboolean transfer_start(Transfer *t, GError **error);

/** transfer_finished: judge a completed request (libcurl @code) and move @t on. */
void transfer_finished(Transfer *t, CURLcode code);

/** transfer_bytes: bytes of the archive held (in the `.part` or in memory). */
guint64 transfer_bytes(const Transfer *t);

/** transfer_detach: remove @t's request from the multi handle and free its response state. */
void transfer_detach(Transfer *t);

/** fetch_fail: record the first fatal error of the run (takes @error). */
void fetch_fail(Fetch *f, GError *error);
