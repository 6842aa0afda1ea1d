/* fetch.h - downloads you can trust: parallel transfers (libcurl multi) into the
 * content-addressed cache (core/cache.h), SHA-256 and size checked while bytes arrive, resume,
 * retries with backoff, several mirrors, proxy, stall detection, deadline, progress, cancel.
 *
 * Rules (DESIGN.md section 4):
 *  - HTTPS only, redirects included; http:// and file:// only for mirrors the user named;
 *    TLS always verified (system CA store or a CA file); no insecure fallback.
 *  - an archive is accepted only when both its SHA-256 and its size match the manifest; a
 *    transfer is aborted at size + 1 bytes; on a mismatch the bytes are discarded and the
 *    download retried once from zero, then it fails (CUP_ERROR_INTEGRITY).
 *  - an interrupted download resumes from its `.part` with Range + If-Range (ETag, else
 *    Last-Modified); a 200 answer restarts it from zero; a 416 on a `.part` of the full size
 *    goes to verification.
 *  - transient failures (connection reset or refused, timeouts, stalls, HTTP 5xx, 408, 429)
 *    are retried with exponential backoff and full jitter, honouring Retry-After up to a cap;
 *    404, 403 and 410 are not retried; then the next mirror is tried.
 */
#pragma once

#include "core/cache.h"
#include "core/progress.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* One archive to download: where it lives below a mirror, and what it must be. */
typedef struct {
  const char *name;   /* component, for messages and progress: "cuda_nvcc" */
  const char *path;   /* below the mirror root: "cuda/redist/cuda_nvcc/linux-x86_64/..." */
  const char *sha256; /* 64 lower-case hex digits */
  guint64 size;       /* bytes */
} CupFetchItem;

typedef struct {
  /* Mirror roots in order of preference, each holding NVIDIA's layout below it
   * (cuda/redist/..., cudnn/redist/...). NULL or empty: CUP_DEFAULT_MIRROR. */
  const char *const *mirrors;
  gboolean mirrors_explicit; /* the user named them: http:// and file:// are allowed */
  const char *offline_dir;   /* a local bundle in the mirror layout: never touch the network */
  guint jobs;                /* parallel transfers; 0 = 4 */
  const char *cacert;        /* CA bundle file; NULL = the system store */
  const char *proxy;         /* proxy URL; NULL = the standard environment variables */
  guint64 stall_bytes_per_s; /* a transfer slower than this ... (0 = 1024) */
  guint stall_seconds;       /* ... for this long is a stall (0 = 30) */
  guint deadline_s;          /* give up on the whole run after this long (0 = never) */
  guint connect_timeout_s;   /* 0 = 30 */
  guint attempts;            /* tries per mirror for transient failures (0 = 4) */
  guint backoff_base_ms;     /* first backoff (0 = 500); doubles each try */
  guint backoff_cap_ms;      /* longest backoff (0 = 30000) */
  guint retry_after_cap_s;   /* longest Retry-After honoured (0 = 60); longer: next mirror */
  CupProgressFunc progress;
  gpointer progress_data;
  guint progress_interval_ms; /* 0 = 200 */
  GCancellable *cancellable;  /* cancel from any thread: every transfer stops within 1 s,
                               * `.part` files are kept */
  /* Optional: every body byte stored for an archive is also handed to @sink, in order, from
   * the thread doing the transfers, so a caller can unpack while the bytes arrive (it still
   * waits for the verdict before trusting them). @offset is where @data starts in the file: a
   * resumed or restarted transfer calls it with an offset that does not follow on. The sink
   * may block, which slows every transfer. Not called for archives taken from the cache. */
  void (*sink)(const char *sha256, guint64 offset, const guint8 *data, gsize len,
               gpointer sink_data);
  gpointer sink_data;
} CupFetchOptions;

/* What happened to one item. */
typedef struct {
  char *path;           /* the verified file in the cache */
  gboolean from_cache;  /* it was there already */
  char *url;            /* where the bytes came from (NULL when from_cache) */
  guint64 downloaded;   /* bytes received in this run */
  guint64 resumed_from; /* bytes of a `.part` this run continued from (0: none) */
  guint attempts;       /* requests made for it */
  long http_version;    /* CURL_HTTP_VERSION_* of the last transfer, 0 when none */
} CupFetchResult;

/**
 * cup_fetch_check_mirror: whether @url may be used as a mirror root: https:// always; http://
 * and file:// only when @explicit_mirror. Errors: CUP_ERROR_USAGE "--mirror URL: ..." naming
 * the fix.
 */
gboolean cup_fetch_check_mirror(const char *url, gboolean explicit_mirror, GError **error);

/**
 * cup_fetch_run: make every one of the @n_items @items present and verified in @cache,
 * downloading what is missing with up to @options->jobs transfers at once. Items with the
 * same sha256 are downloaded once.
 * Returns a GPtrArray of CupFetchResult* in the order of @items (free with
 * g_ptr_array_unref), or NULL with @error:
 *  - CUP_ERROR_INTEGRITY "sha256 mismatch for <name> from <url>: expected <hex>, got <hex>"
 *    or "<name> from <url> is larger than the N bytes its manifest lists";
 *  - CUP_ERROR_NETWORK naming the item and every mirror tried with its last status
 *    ("HTTP 404", "TLS: certificate problem: ...", "stalled below 1024 B/s for 30 s", ...);
 *  - CUP_ERROR_IO for the cache (disk full, permissions);
 *  - CUP_ERROR_CANCELLED; CUP_ERROR_USAGE for a mirror refused by cup_fetch_check_mirror.
 * On error, finished items stay in the cache and unfinished ones keep their `.part`.
 */
GPtrArray *cup_fetch_run(const CupFetchOptions *options, CupCache *cache, const CupFetchItem *items,
                         guint n_items, GError **error);

/**
 * cup_fetch_manifest: download NVIDIA's redistrib manifest <@product>/redist/redistrib_
 * <@release>.json (@product "cuda" or "cudnn") from the mirrors (or the offline bundle) into
 * cup_cache_manifests_dir(@cache)/<@product>/, at most CUP_REDIST_MAX_FILE_SIZE bytes. When
 * @pins (cup_redist_pins_load) lists the release, the file's sha256 must match its pin or it
 * is refused (CUP_ERROR_INTEGRITY) and nothing is written. Returns the path (newly allocated).
 * Errors: as cup_fetch_run; CUP_ERROR_NOT_FOUND when every mirror answers 404.
 */
char *cup_fetch_manifest(const CupFetchOptions *options, CupCache *cache, const char *product,
                         const char *release, GHashTable *pins, GError **error);

void cup_fetch_result_free(CupFetchResult *result);

G_END_DECLS
