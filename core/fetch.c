/* fetch.c - the download run: mirrors, the cache check, the libcurl multi loop with its
 * parallel transfers, progress, cancel and the deadline; and redistrib manifests. One
 * transfer's request and outcome are in fetch_transfer.c. */
#include "core/i18n.h"
#include "core/fetch.h"

#include "core/error.h"
#include "core/fetch_private.h"
#include "core/plan.h"
#include "core/redist.h"

#include <errno.h>
#include <string.h>

/* Longest single wait of the loop, so a cancel is seen well within a second. */
#define POLL_MS 100

gboolean cup_fetch_check_mirror(const char *url, gboolean explicit_mirror, GError **error)
{
  g_autofree char *scheme = url ? g_uri_parse_scheme(url) : NULL;
  if (scheme && g_ascii_strcasecmp(scheme, "https") == 0 && strlen(url) > strlen("https://"))
    return TRUE;
  gboolean local = scheme && (g_ascii_strcasecmp(scheme, "http") == 0 ||
                              g_ascii_strcasecmp(scheme, "file") == 0);
  if (local && explicit_mirror)
    return TRUE;
  if (local) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("mirror %s: http:// and file:// are allowed only for a mirror named with "
                  "--mirror URL"),
                url);
    return FALSE;
  }
  g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
              _("--mirror %s: expected an https:// URL (or http:// or file:// for a local mirror) "
                "of a tree in NVIDIA's layout, e.g. https://developer.download.nvidia.com/compute"),
              url ? url : "(none)");
  return FALSE;
}

void cup_fetch_result_free(CupFetchResult *result)
{
  if (result == NULL)
    return;
  g_free(result->path);
  g_free(result->url);
  g_free(result);
}

void fetch_fail(Fetch *f, GError *error)
{
  if (f->error == NULL)
    f->error = error;
  else
    g_error_free(error);
}

/* ---- setting up ------------------------------------------------------------------------- */

static gpointer init_curl(gpointer unused)
{
  (void)unused;
  return GINT_TO_POINTER(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
}

static gboolean resolve_mirrors(Fetch *f, GError **error)
{
  const CupFetchOptions *o = f->options;
  f->mirrors = g_ptr_array_new_with_free_func(g_free);
  if (o->offline_dir) {
    g_autofree char *abs = g_canonicalize_filename(o->offline_dir, NULL);
    if (!g_file_test(abs, G_FILE_TEST_IS_DIR)) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                  _("--offline %s: not a directory; pass a bundle made by 'cudaup mirror' or a "
                    "copy of NVIDIA's layout (cuda/redist/..., cudnn/redist/...)"),
                  o->offline_dir);
      return FALSE;
    }
    f->offline = TRUE;
    g_ptr_array_add(f->mirrors, g_filename_to_uri(abs, NULL, NULL));
    return TRUE;
  }
  for (const char *const *m = o->mirrors; m && *m; m++) {
    if (!cup_fetch_check_mirror(*m, o->mirrors_explicit, error))
      return FALSE;
    char *root = g_strdup(*m);
    while (g_str_has_suffix(root, "/") && !g_str_has_suffix(root, "://"))
      root[strlen(root) - 1] = '\0';
    g_ptr_array_add(f->mirrors, root);
  }
  if (f->mirrors->len == 0)
    g_ptr_array_add(f->mirrors, g_strdup(CUP_DEFAULT_MIRROR));
  return TRUE;
}

static guint or_default(guint value, guint fallback)
{
  return value ? value : fallback;
}

static gboolean fetch_init(Fetch *f, const CupFetchOptions *o, CupCache *cache, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  memset(f, 0, sizeof *f);
  f->options = o;
  f->cache = cache;
  f->jobs = or_default(o->jobs, 4);
  f->attempts = or_default(o->attempts, 4);
  f->backoff_base_ms = or_default(o->backoff_base_ms, 500);
  f->backoff_cap_ms = or_default(o->backoff_cap_ms, 30000);
  f->retry_after_cap_s = or_default(o->retry_after_cap_s, 60);
  f->stall_seconds = or_default(o->stall_seconds, 30);
  f->stall_bytes_per_s = o->stall_bytes_per_s ? o->stall_bytes_per_s : 1024;
  f->connect_timeout_s = or_default(o->connect_timeout_s, 30);
  f->progress_interval_ms = or_default(o->progress_interval_ms, 200);
  f->transfers = g_ptr_array_new();
  f->rand = g_rand_new();
  if (o->deadline_s)
    f->deadline_us = g_get_monotonic_time() + (gint64)o->deadline_s * G_USEC_PER_SEC;
  if (!g_once(&once, init_curl, NULL)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL, _("libcurl could not be initialised"));
    return FALSE;
  }
  if (!resolve_mirrors(f, error))
    return FALSE;
  f->multi = curl_multi_init();
  curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)f->jobs);
  return TRUE;
}

static void transfer_free(Transfer *t)
{
  transfer_detach(t);
  if (t->part)
    cup_cache_part_close(t->part); /* keep the bytes: the next run resumes them */
  g_clear_pointer(&t->sha, cup_hash_pipe_free);
  if (t->memory)
    g_byte_array_unref(t->memory);
  g_ptr_array_unref(t->statuses);
  g_free(t->url);
  g_free(t->etag);
  g_free(t->last_modified);
  g_free(t->retry_after);
  g_free(t->content_range);
  g_clear_error(&t->io_error);
  cup_fetch_result_free(t->result);
  g_free(t);
}

static void fetch_clear(Fetch *f)
{
  for (guint i = 0; f->transfers && i < f->transfers->len; i++)
    transfer_free(g_ptr_array_index(f->transfers, i));
  g_clear_pointer(&f->transfers, g_ptr_array_unref);
  g_clear_pointer(&f->multi, curl_multi_cleanup);
  g_clear_pointer(&f->mirrors, g_ptr_array_unref);
  g_clear_pointer(&f->progress_items, g_free);
  g_clear_pointer(&f->rand, g_rand_free);
  g_clear_error(&f->error);
}

static Transfer *transfer_new(Fetch *f, const char *name, const char *path, const char *sha256,
                              guint64 size)
{
  Transfer *t = g_new0(Transfer, 1);
  t->fetch = f;
  t->name = name;
  t->path = path;
  t->sha256 = sha256;
  t->size = size;
  t->statuses = g_ptr_array_new_with_free_func(g_free);
  t->all_not_found = TRUE;
  t->result = g_new0(CupFetchResult, 1);
  g_ptr_array_add(f->transfers, t);
  return t;
}

/* One transfer per distinct sha256; @map[i] is the transfer of item i. */
static gboolean add_items(Fetch *f, const CupFetchItem *items, guint n, guint *map, GError **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < n; i++) {
    if (!cup_sha256_is_hex(items[i].sha256) || items[i].size == 0 || items[i].path == NULL) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG,
                  _("%s: the manifest gives no valid sha256, size and path for it"), items[i].name);
      return FALSE;
    }
    gpointer index;
    if (g_hash_table_lookup_extended(seen, items[i].sha256, NULL, &index)) {
      map[i] = GPOINTER_TO_UINT(index);
      continue;
    }
    map[i] = f->transfers->len;
    g_hash_table_insert(seen, (gpointer)items[i].sha256, GUINT_TO_POINTER(map[i]));
    transfer_new(f, items[i].name, items[i].path, items[i].sha256, items[i].size);
  }
  f->progress_items = g_new0(CupProgressItem, f->transfers->len);
  for (guint i = 0; i < f->transfers->len; i++) {
    Transfer *t = g_ptr_array_index(f->transfers, i);
    t->progress = &f->progress_items[i];
    t->progress->name = t->name;
    t->progress->total = t->size;
    t->progress->eta_ms = -1;
  }
  return TRUE;
}

/* ---- progress --------------------------------------------------------------------------- */

static void emit_progress(Fetch *f, gboolean final)
{
  const CupFetchOptions *o = f->options;
  gint64 now = g_get_monotonic_time();
  if (!final && now - f->last_progress_us < (gint64)f->progress_interval_ms * 1000)
    return;
  f->last_progress_us = now;
  CupProgress p = {.stage = "download", .eta_ms = -1, .final = final};
  guint64 received = 0;
  for (guint i = 0; i < f->transfers->len; i++) {
    Transfer *t = g_ptr_array_index(f->transfers, i);
    CupProgressItem *pi = t->progress;
    gboolean whole = pi->state == CUP_PROGRESS_CACHED || pi->state == CUP_PROGRESS_DONE;
    pi->done = whole && !t->memory ? t->size : transfer_bytes(t); /* a manifest's size is a cap */
    cup_rate_meter_sample(&t->meter, t->result->downloaded, now);
    pi->speed = pi->state == CUP_PROGRESS_RUNNING ? cup_rate_meter_rate(&t->meter) : 0;
    pi->eta_ms = cup_progress_eta_ms(pi->total - MIN(pi->done, pi->total), pi->speed);
    p.done += pi->done;
    p.total += pi->total;
    received += t->result->downloaded;
  }
  cup_rate_meter_sample(&f->meter, received, now);
  p.speed = cup_rate_meter_rate(&f->meter);
  p.eta_ms = cup_progress_eta_ms(p.total - MIN(p.done, p.total), p.speed);
  p.n_items = f->transfers->len;
  p.items = f->progress_items;
  if (o->progress)
    o->progress(&p, o->progress_data);
}

/* ---- the loop --------------------------------------------------------------------------- */

/* What the cache already holds is not downloaded again (it is hashed first: cache.h). */
static gboolean check_cache(Fetch *f, GError **error)
{
  for (guint i = 0; i < f->transfers->len; i++) {
    Transfer *t = g_ptr_array_index(f->transfers, i);
    if (t->memory)
      continue;
    t->progress->state = CUP_PROGRESS_VERIFYING;
    emit_progress(f, FALSE);
    t->result->path =
        cup_cache_lookup(f->cache, t->sha256, t->size, f->options->cancellable, error);
    if (t->result->path == NULL && error && *error)
      return FALSE;
    t->state = t->result->path ? T_DONE : T_WAITING;
    t->result->from_cache = t->result->path != NULL;
    t->progress->state = t->result->path ? CUP_PROGRESS_CACHED : CUP_PROGRESS_QUEUED;
  }
  return TRUE;
}

/* Start waiting transfers whose backoff is over, up to the number of jobs. Returns the
 * number running and sets *@wake_us to the earliest backoff end among the rest (0: none). */
static guint start_ready(Fetch *f, gint64 *wake_us)
{
  guint active = 0;
  gint64 now = g_get_monotonic_time();
  *wake_us = 0;
  for (guint i = 0; i < f->transfers->len; i++)
    active += ((Transfer *)g_ptr_array_index(f->transfers, i))->state == T_ACTIVE;
  for (guint i = 0; i < f->transfers->len && f->error == NULL; i++) {
    Transfer *t = g_ptr_array_index(f->transfers, i);
    if (t->state != T_WAITING)
      continue;
    if (t->not_before_us > now) {
      *wake_us = *wake_us ? MIN(*wake_us, t->not_before_us) : t->not_before_us;
      continue;
    }
    if (active >= f->jobs)
      continue;
    GError *error = NULL;
    if (!transfer_start(t, &error)) {
      t->state = T_FAILED;
      fetch_fail(f, error);
    } else {
      active++;
    }
  }
  return active;
}

static void collect_finished(Fetch *f)
{
  CURLMsg *msg;
  int left = 0;
  while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    Transfer *t = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
    transfer_finished(t, msg->data.result);
  }
  for (guint i = 0; i < f->transfers->len; i++) {
    Transfer *t = g_ptr_array_index(f->transfers, i);
    if (t->state == T_ACTIVE && t->progress->state == CUP_PROGRESS_CONNECTING &&
        transfer_bytes(t) > t->result->resumed_from)
      t->progress->state = CUP_PROGRESS_RUNNING;
  }
}

static gboolean all_settled(Fetch *f)
{
  for (guint i = 0; i < f->transfers->len; i++) {
    TransferState s = ((Transfer *)g_ptr_array_index(f->transfers, i))->state;
    if (s == T_WAITING || s == T_ACTIVE)
      return FALSE;
  }
  return TRUE;
}

static gboolean out_of_time(Fetch *f)
{
  GCancellable *c = f->options->cancellable;
  if (c && g_cancellable_is_cancelled(c)) {
    fetch_fail(f, g_error_new(CUP_ERROR, CUP_ERROR_CANCELLED,
                              _("download cancelled; unfinished files are kept in %s and the next "
                                "run continues them"),
                              cup_cache_dir(f->cache)));
    return TRUE;
  }
  if (f->deadline_us && g_get_monotonic_time() >= f->deadline_us + G_USEC_PER_SEC) {
    fetch_fail(f, g_error_new(CUP_ERROR, CUP_ERROR_NETWORK,
                              _("the download deadline of %u s passed; unfinished files are kept "
                                "in %s: run again, or allow more time with --deadline SECONDS"),
                              f->options->deadline_s, cup_cache_dir(f->cache)));
    return TRUE;
  }
  return FALSE;
}

static void wake_multi(GCancellable *cancellable, gpointer multi)
{
  (void)cancellable;
  curl_multi_wakeup(multi); /* thread-safe: ends curl_multi_poll at once */
}

static void run_loop(Fetch *f)
{
  GCancellable *c = f->options->cancellable;
  gulong handler = c ? g_cancellable_connect(c, G_CALLBACK(wake_multi), f->multi, NULL) : 0;
  while (f->error == NULL && !out_of_time(f)) {
    gint64 wake_us = 0;
    guint active = start_ready(f, &wake_us);
    if (f->error || (active == 0 && all_settled(f)))
      break;
    int running = 0;
    curl_multi_perform(f->multi, &running);
    collect_finished(f);
    emit_progress(f, FALSE);
    if (running == 0 && wake_us == 0)
      continue; /* something finished: start the next transfer or stop, without waiting */
    int timeout = POLL_MS;
    if (wake_us)
      timeout = (int)CLAMP((wake_us - g_get_monotonic_time()) / 1000, 0, POLL_MS);
    curl_multi_poll(f->multi, NULL, 0, timeout, NULL);
  }
  if (c)
    g_cancellable_disconnect(c, handler);
  emit_progress(f, TRUE);
}

static gboolean fetch_execute(Fetch *f, GError **error)
{
  if (!check_cache(f, error))
    return FALSE;
  run_loop(f);
  if (f->error) {
    g_propagate_error(error, g_steal_pointer(&f->error));
    return FALSE;
  }
  return TRUE;
}

static CupFetchResult *result_copy(const CupFetchResult *r)
{
  CupFetchResult *copy = g_memdup2(r, sizeof *r);
  copy->path = g_strdup(r->path);
  copy->url = g_strdup(r->url);
  return copy;
}

GPtrArray *cup_fetch_run(const CupFetchOptions *options, CupCache *cache, const CupFetchItem *items,
                         guint n_items, GError **error)
{
  Fetch f;
  g_autofree guint *map = g_new0(guint, MAX(n_items, 1));
  gboolean ok = fetch_init(&f, options, cache, error) &&
                add_items(&f, items, n_items, map, error) && fetch_execute(&f, error);
  GPtrArray *results = NULL;
  if (ok) {
    results = g_ptr_array_new_with_free_func((GDestroyNotify)cup_fetch_result_free);
    for (guint i = 0; i < n_items; i++) {
      Transfer *t = g_ptr_array_index(f.transfers, map[i]);
      g_ptr_array_add(results, result_copy(t->result));
    }
  }
  fetch_clear(&f);
  return results;
}

/* ---- redistrib manifests ---------------------------------------------------------------- */

static gboolean check_pin(const GByteArray *bytes, GHashTable *pins, const char *product,
                          const char *release, const char *url, GError **error)
{
  g_autofree char *key = g_strdup_printf("%s/%s", product, release);
  const char *pin = pins ? g_hash_table_lookup(pins, key) : NULL;
  if (pin == NULL)
    return TRUE;
  g_autofree char *got = g_compute_checksum_for_data(G_CHECKSUM_SHA256, bytes->data, bytes->len);
  if (strcmp(got, pin) == 0)
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY,
              _("redistrib_%s.json from %s does not match its pinned sha256 (expected %s, got %s): "
                "the mirror serves a modified manifest; use NVIDIA's server or fix the mirror"),
              release, url, pin, got);
  return FALSE;
}

static GByteArray *download_manifest(Fetch *f, const char *path, char **url, GError **error)
{
  Transfer *t = transfer_new(f, path, path, NULL, CUP_REDIST_MAX_FILE_SIZE);
  t->memory = g_byte_array_new();
  f->progress_items = g_new0(CupProgressItem, 1);
  t->progress = f->progress_items;
  t->progress->name = path;
  t->progress->eta_ms = -1;
  t->state = T_WAITING;
  if (!fetch_execute(f, error))
    return NULL;
  *url = g_strdup(t->result->url);
  return g_byte_array_ref(t->memory);
}

static gboolean store_manifest(CupCache *cache, const char *product, const char *name,
                               const GByteArray *bytes, char **path, GError **error)
{
  g_autofree char *dir = g_build_filename(cup_cache_manifests_dir(cache), product, NULL);
  *path = g_build_filename(dir, name, NULL);
  g_autoptr(GError) local = NULL;
  if (g_mkdir_with_parents(dir, 0755) != 0 ||
      !g_file_set_contents(*path, (const char *)bytes->data, bytes->len, &local)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("cannot write %s: %s; check the cache directory "
                  "or pass --cache DIR"),
                *path, local ? local->message : g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

char *cup_fetch_manifest(const CupFetchOptions *options, CupCache *cache, const char *product,
                         const char *release, GHashTable *pins, GError **error)
{
  CupRedistKind kind = strcmp(product, "cudnn") == 0 ? CUP_REDIST_CUDNN : CUP_REDIST_CUDA;
  g_autofree char *name = g_strdup_printf("redistrib_%s.json", release);
  g_autofree char *rel = g_strdup_printf("%s/redist/%s", product, name);
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  Fetch f;
  g_autoptr(GByteArray) bytes = NULL;
  if (fetch_init(&f, options, cache, error))
    bytes = download_manifest(&f, rel, &url, error);
  fetch_clear(&f);
  if (bytes == NULL || !check_pin(bytes, pins, product, release, url, error))
    return NULL;
  g_autoptr(CupRedistManifest) m =
      cup_redist_parse((const char *)bytes->data, bytes->len, kind, url, error);
  if (m == NULL || !store_manifest(cache, product, name, bytes, &path, error))
    return NULL;
  return g_steal_pointer(&path);
}
