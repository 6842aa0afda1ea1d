/* fetch_transfer.c - one transfer of a download: its request (resume, protocols, TLS, proxy,
 * stall limits), the callbacks that hash and store bytes as they arrive, and what its outcome
 * means (verify, retry after a backoff, next mirror, or fail). The rules are in fetch.h. */
#include "core/i18n.h"
#include "core/fetch_private.h"

#include "core/error.h"
#include "core/retry.h"
#include "cudaup-config.h"

#include <string.h>

/* Bigger than libcurl's 16 KiB default: fewer callbacks and writes per MB on fast links. */
#define RECEIVE_BUFFER_BYTES (256 * 1024)
#define MAX_REDIRECTS 10L

guint64 transfer_bytes(const Transfer *t)
{
  if (t->memory)
    return t->memory->len;
  return t->sha ? cup_hash_pipe_length(t->sha) : 0;
}

static void response_reset(Transfer *t)
{
  t->decided = FALSE;
  t->skip_body = FALSE;
  t->announced = 0;
  g_clear_pointer(&t->etag, g_free);
  g_clear_pointer(&t->last_modified, g_free);
  g_clear_pointer(&t->retry_after, g_free);
  g_clear_pointer(&t->content_range, g_free);
  t->abort = ABORT_NONE;
  g_clear_error(&t->io_error);
  t->errbuf[0] = '\0';
}

void transfer_detach(Transfer *t)
{
  if (t->easy) {
    curl_multi_remove_handle(t->fetch->multi, t->easy);
    curl_easy_cleanup(t->easy);
    t->easy = NULL;
  }
  g_clear_pointer(&t->headers, curl_slist_free_all);
}

/* Drop every byte received so far: the next request starts from zero. */
static gboolean restart_from_zero(Transfer *t, GError **error)
{
  if (t->memory)
    g_byte_array_set_size(t->memory, 0);
  if (t->sha)
    cup_hash_pipe_reset(t->sha);
  return t->part == NULL || cup_cache_part_truncate(t->part, error);
}

/* ---- receiving --------------------------------------------------------------------------- */

static char *header_value(const char *line, gsize len, const char *name)
{
  gsize n = strlen(name);
  if (len <= n + 1 || g_ascii_strncasecmp(line, name, n) != 0 || line[n] != ':')
    return NULL;
  g_autofree char *value = g_strndup(line + n + 1, len - n - 1);
  return g_strdup(g_strstrip(value));
}

static size_t on_header(char *data, size_t size, size_t count, void *user)
{
  Transfer *t = user;
  gsize len = size * count;
  if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    response_reset(t); /* each response of a redirect chain starts afresh */
    return len;
  }
  const char *names[] = {"ETag", "Last-Modified", "Retry-After", "Content-Range"};
  char **slots[] = {&t->etag, &t->last_modified, &t->retry_after, &t->content_range};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    char *value = header_value(data, len, names[i]);
    if (value) {
      g_free(*slots[i]);
      *slots[i] = value;
    }
  }
  return len;
}

/* A 206 must continue exactly where our bytes end ("bytes START-END/TOTAL", RFC 9110 14.4). */
static TransferAbort check_content_range(Transfer *t)
{
  guint64 start = 0, end = 0, total = 0;
  if (t->content_range == NULL ||
      sscanf(t->content_range,
             "bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, &start, &end,
             &total) < 2 ||
      start != transfer_bytes(t))
    return ABORT_RANGE;
  t->announced = total; /* the whole file's size, for the message when it is wrong */
  if (total > t->size || end >= t->size)
    return ABORT_TOO_LARGE;
  return total && total < t->size ? ABORT_WRONG_SIZE : ABORT_NONE;
}

static void save_validators(Transfer *t)
{
  g_autoptr(GError) error = NULL;
  if (t->part &&
      !cup_cache_part_set_validators(t->part, t->url, t->etag, t->last_modified, &error)) {
    t->abort = ABORT_IO;
    t->io_error = g_steal_pointer(&error);
  }
}

/* The first body byte of a response: is this body ours, and from where does it continue? */
static void decide(Transfer *t)
{
  long status = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  t->decided = TRUE;
  if (status == 206 && !t->memory) {
    t->abort = check_content_range(t);
    if (t->abort == ABORT_NONE && t->part->etag == NULL && t->part->last_modified == NULL)
      save_validators(t);
    return;
  }
  if (status != 200 && !(t->is_file && status == 0)) {
    t->skip_body = TRUE; /* an error page is not archive bytes */
    return;
  }
  g_autoptr(GError) error = NULL;
  if (transfer_bytes(t) > 0 && !restart_from_zero(t, &error)) {
    t->abort = ABORT_IO;
    t->io_error = g_steal_pointer(&error);
    return;
  }
  /* The server says how long the file is: one that is not the manifest's size is refused
   * before its bytes are stored (a manifest's size here is only a cap). */
  curl_off_t length = -1;
  curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  t->announced = length > 0 ? (guint64)length : 0;
  if (length > 0 && (guint64)length > t->size)
    t->abort = ABORT_TOO_LARGE;
  else if (length >= 0 && (guint64)length < t->size && !t->memory)
    t->abort = ABORT_WRONG_SIZE;
  else if (!t->memory)
    save_validators(t);
}

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
  Transfer *t = user;
  gsize len = size * count;
  if (!t->decided)
    decide(t);
  if (t->abort != ABORT_NONE)
    return 0;
  if (t->skip_body)
    return len;
  if (transfer_bytes(t) + len > t->size) {
    t->abort = ABORT_TOO_LARGE; /* stop at size + 1 bytes: never store more than listed */
    return 0;
  }
  t->result->downloaded += len;
  if (t->memory) {
    g_byte_array_append(t->memory, (const guint8 *)data, (guint)len);
    return len;
  }
  const CupFetchOptions *o = t->fetch->options;
  if (o->sink != NULL)
    o->sink(t->sha256, transfer_bytes(t), (const guint8 *)data, len, o->sink_data);
  g_autoptr(GError) error = NULL;
  if (!cup_cache_part_write(t->part, data, len, &error)) {
    t->abort = ABORT_IO;
    t->io_error = g_steal_pointer(&error);
    return 0;
  }
  cup_hash_pipe_update(t->sha, data, len);
  return len;
}

/* ---- the request ------------------------------------------------------------------------- */

/* Allowed schemes: https always; http and file only on a mirror the user named (fetch.h). */
static const char *protocols_for(const Transfer *t)
{
  if (t->is_file)
    return "file";
  if (g_str_has_prefix(t->url, "http://"))
    return "http,https";
  return "https";
}

/* If-Range takes a strong ETag or a date (RFC 9110 13.1.5); weak ETags cannot be used. */
static void add_resume_headers(Transfer *t)
{
  guint64 have = transfer_bytes(t);
  if (have == 0 || t->is_file || t->memory)
    return;
  g_autofree char *range = g_strdup_printf("%" G_GUINT64_FORMAT "-", have);
  curl_easy_setopt(t->easy, CURLOPT_RANGE, range);
  const char *validator = NULL;
  if (t->part->etag && !g_str_has_prefix(t->part->etag, "W/"))
    validator = t->part->etag;
  else if (t->part->last_modified)
    validator = t->part->last_modified;
  if (validator) {
    g_autofree char *header = g_strdup_printf("If-Range: %s", validator);
    t->headers = curl_slist_append(t->headers, header);
  }
}

static void set_limits(Transfer *t)
{
  Fetch *f = t->fetch;
  curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT, (long)f->connect_timeout_s);
  curl_easy_setopt(t->easy, CURLOPT_LOW_SPEED_LIMIT, (long)f->stall_bytes_per_s);
  curl_easy_setopt(t->easy, CURLOPT_LOW_SPEED_TIME, (long)f->stall_seconds);
  if (f->deadline_us) {
    gint64 left_ms = (f->deadline_us - g_get_monotonic_time()) / 1000;
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, (long)MAX(left_ms, 1));
  }
}

static void set_security(Transfer *t)
{
  const CupFetchOptions *o = t->fetch->options;
  curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, protocols_for(t));
  curl_easy_setopt(t->easy, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(t->easy, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
  curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (o->cacert)
    curl_easy_setopt(t->easy, CURLOPT_CAINFO, o->cacert);
  if (o->proxy)
    curl_easy_setopt(t->easy, CURLOPT_PROXY, o->proxy);
}

static void build_request(Transfer *t)
{
  t->easy = curl_easy_init();
  curl_easy_setopt(t->easy, CURLOPT_URL, t->url);
  curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
  curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "cudaup/" CUDAUP_VERSION);
  curl_easy_setopt(t->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(t->easy, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(t->easy, CURLOPT_BUFFERSIZE, (long)RECEIVE_BUFFER_BYTES);
  curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
  set_security(t);
  set_limits(t);
  add_resume_headers(t);
  if (t->headers)
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
}

/* A `.part` left by an earlier run: prime the hash with its bytes so the download continues. */
static gboolean open_part(Transfer *t, GError **error)
{
  Fetch *f = t->fetch;
  t->part = cup_cache_part_open(f->cache, t->sha256, error);
  if (t->part == NULL)
    return FALSE;
  t->sha = cup_hash_pipe_new();
  if (t->part->length > t->size)
    return cup_cache_part_truncate(t->part, error);
  if (t->part->length == 0)
    return TRUE;
  t->progress->state = CUP_PROGRESS_VERIFYING;
  t->result->resumed_from = t->part->length;
  return cup_hash_pipe_update_from_file(t->sha, t->part->path, t->part->length,
                                        f->options->cancellable, error);
}

gboolean transfer_start(Transfer *t, GError **error)
{
  Fetch *f = t->fetch;
  if (t->part == NULL && t->memory == NULL && !open_part(t, error))
    return FALSE;
  const char *mirror = g_ptr_array_index(f->mirrors, t->mirror);
  g_free(t->url);
  t->url = g_strdup_printf("%s/%s", mirror, t->path);
  t->is_file = g_str_has_prefix(t->url, "file:");
  if (t->is_file && transfer_bytes(t) > 0 && !restart_from_zero(t, error))
    return FALSE; /* a local copy is quick: no resume */
  response_reset(t);
  build_request(t);
  t->state = T_ACTIVE;
  t->attempt++;
  t->result->attempts++;
  t->progress->state = CUP_PROGRESS_CONNECTING;
  t->progress->attempt = t->attempt;
  t->progress->source = t->url;
  curl_multi_add_handle(f->multi, t->easy);
  return TRUE;
}

/* ---- outcomes ---------------------------------------------------------------------------- */

static void transfer_fail(Transfer *t, GError *error)
{
  t->state = T_FAILED;
  t->progress->state = CUP_PROGRESS_FAILED;
  fetch_fail(t->fetch, error);
}

/* The item gave up on every mirror: one error listing each with its last status. */
static void give_up(Transfer *t)
{
  g_autoptr(GString) list = g_string_new(NULL);
  for (guint i = 0; i < t->statuses->len; i++)
    g_string_append_printf(list, "%s%s", i ? "; " : "", (char *)g_ptr_array_index(t->statuses, i));
  CupErrorCode code = t->memory && t->all_not_found ? CUP_ERROR_NOT_FOUND : CUP_ERROR_NETWORK;
  transfer_fail(t,
                g_error_new(CUP_ERROR, code,
                            _("could not download %s (%s) from any mirror: %s; check the network "
                              "and proxy, or pass --mirror URL or --offline DIR"),
                            t->name, t->path, list->str));
}

static void next_mirror(Transfer *t, const char *status, gboolean not_found)
{
  g_ptr_array_add(t->statuses, g_strdup_printf("%s: %s", t->url, status));
  t->all_not_found = t->all_not_found && not_found;
  t->mirror++;
  t->attempt = 0;
  if (t->mirror >= t->fetch->mirrors->len) {
    give_up(t);
    return;
  }
  t->state = T_WAITING;
  t->not_before_us = 0;
  t->progress->state = CUP_PROGRESS_QUEUED;
}

/* A transient failure: wait (Retry-After when the server said, else backoff) and try again. */
static void retry(Transfer *t, const char *status, gint64 retry_after_s)
{
  Fetch *f = t->fetch;
  if (t->attempt >= f->attempts) {
    next_mirror(t, status, FALSE);
    return;
  }
  guint wait_ms = retry_after_s >= 0 ? (guint)retry_after_s * 1000u
                                     : cup_retry_backoff_ms(t->attempt, f->backoff_base_ms,
                                                            f->backoff_cap_ms, g_rand_int(f->rand));
  g_info("%s: %s; try %u of %u in %u ms", t->url, status, t->attempt + 1, f->attempts, wait_ms);
  t->state = T_WAITING;
  t->not_before_us = g_get_monotonic_time() + (gint64)wait_ms * 1000;
  t->progress->state = CUP_PROGRESS_RETRYING;
}

/* Bytes that do not match the manifest: discard them, one more try from zero, then fail. */
static void integrity_failure(Transfer *t, char *message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *owned = message;
  if (t->restarts > 0) {
    if (t->part)
      cup_cache_part_discard(g_steal_pointer(&t->part)); /* nothing of it can be trusted */
    transfer_fail(t, g_error_new_literal(CUP_ERROR, CUP_ERROR_INTEGRITY, message));
    return;
  }
  t->restarts++;
  g_info("%s; discarded, downloading again from zero", message);
  if (!restart_from_zero(t, &error)) {
    transfer_fail(t, g_steal_pointer(&error));
    return;
  }
  t->state = T_WAITING;
  t->not_before_us = 0;
}

static void accept_bytes(Transfer *t)
{
  g_autoptr(GError) error = NULL;
  t->state = T_DONE;
  t->progress->state = CUP_PROGRESS_DONE;
  t->result->url = g_strdup(t->url);
  if (t->memory)
    return;
  t->result->path = cup_cache_part_commit(t->part, t->fetch->cache, t->sha256, &error);
  if (t->result->path == NULL)
    transfer_fail(t, g_steal_pointer(&error)); /* the `.part` stays ours to close */
  else
    t->part = NULL;
}

static void verify(Transfer *t)
{
  if (t->memory) {
    accept_bytes(t); /* a manifest is checked against its pin by the caller */
    return;
  }
  t->progress->state = CUP_PROGRESS_VERIFYING;
  g_autofree char *got = cup_hash_pipe_finish(t->sha);
  if (strcmp(got, t->sha256) == 0) {
    accept_bytes(t);
    return;
  }
  integrity_failure(t, g_strdup_printf("sha256 mismatch for %s from %s: expected %s, got %s",
                                       t->name, t->url, t->sha256, got));
}

static void finished_body(Transfer *t, long status)
{
  guint64 have = transfer_bytes(t);
  if (t->memory ? have > 0 : have == t->size) {
    verify(t);
    return;
  }
  g_autofree char *what = g_strdup_printf(
      "%s%sbody ended after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes",
      status ? "HTTP " : "", status ? (status == 206 ? "206, " : "200, ") : "", have, t->size);
  retry(t, what, -1);
}

static void finished_status(Transfer *t, long status)
{
  Fetch *f = t->fetch;
  g_autofree char *what = g_strdup_printf("HTTP %ld", status);
  if (status == 416 && !t->memory && transfer_bytes(t) == t->size) {
    verify(t); /* the `.part` already holds every byte */
    return;
  }
  if (status == 416) {
    g_autoptr(GError) error = NULL;
    if (!restart_from_zero(t, &error))
      transfer_fail(t, g_steal_pointer(&error));
    else
      retry(t, what, -1);
    return;
  }
  if (cup_retry_classify_http(status) == CUP_RETRY_PERMANENT) {
    next_mirror(t, what, status == 404 || status == 410);
    return;
  }
  gint64 after =
      cup_retry_after_seconds(t->retry_after, (gint64)(g_get_real_time() / G_USEC_PER_SEC));
  if (after > (gint64)f->retry_after_cap_s) {
    g_autofree char *longer =
        g_strdup_printf("%s, Retry-After %" G_GINT64_FORMAT " s is longer than the %u s cap", what,
                        after, f->retry_after_cap_s);
    next_mirror(t, longer, FALSE);
    return;
  }
  retry(t, what, after);
}

static void finished_abort(Transfer *t)
{
  g_autoptr(GError) error = NULL;
  switch (t->abort) {
  case ABORT_TOO_LARGE:
    integrity_failure(
        t, g_strdup_printf("%s from %s is larger than the %" G_GUINT64_FORMAT " bytes %s", t->name,
                           t->url, t->size,
                           t->memory ? "a redistrib manifest may have" : "its manifest lists"));
    return;
  case ABORT_WRONG_SIZE:
    integrity_failure(t, g_strdup_printf("%s from %s is %" G_GUINT64_FORMAT
                                         " bytes, not the %" G_GUINT64_FORMAT
                                         " bytes its manifest lists",
                                         t->name, t->url, t->announced, t->size));
    return;
  case ABORT_IO:
    transfer_fail(t, g_steal_pointer(&t->io_error));
    return;
  case ABORT_RANGE:
    if (!restart_from_zero(t, &error))
      transfer_fail(t, g_steal_pointer(&error));
    else
      retry(t, "a partial answer that does not continue our bytes", -1);
    return;
  case ABORT_NONE:
    break;
  }
}

static void finished_error(Transfer *t, CURLcode code)
{
  Fetch *f = t->fetch;
  g_autofree char *what =
      cup_retry_describe_curl(code, t->errbuf, f->stall_bytes_per_s, f->stall_seconds);
  if (f->deadline_us && g_get_monotonic_time() >= f->deadline_us) {
    transfer_fail(t, g_error_new(CUP_ERROR, CUP_ERROR_NETWORK,
                                 _("gave up on %s (%s): the deadline passed (%s); allow more time "
                                   "with --deadline SECONDS or try a closer --mirror"),
                                 t->name, t->url, what));
    return;
  }
  switch (cup_retry_classify_curl(code)) {
  case CUP_RETRY_TRANSIENT:
    retry(t, what, -1);
    return;
  case CUP_RETRY_PERMANENT:
    next_mirror(t, what, code == CURLE_FILE_COULDNT_READ_FILE);
    return;
  default:
    transfer_fail(t, g_error_new(CUP_ERROR, CUP_ERROR_INTERNAL, _("downloading %s from %s: %s"),
                                 t->name, t->url, what));
  }
}

void transfer_finished(Transfer *t, CURLcode code)
{
  long status = 0, version = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &version);
  t->result->http_version = version;
  TransferAbort why = t->abort;
  transfer_detach(t);
  if (why != ABORT_NONE)
    finished_abort(t);
  else if (code != CURLE_OK)
    finished_error(t, code);
  else if (status == 200 || status == 206 || (t->is_file && status == 0))
    finished_body(t, status);
  else
    finished_status(t, status);
}
