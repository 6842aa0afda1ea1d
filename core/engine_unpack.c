/* engine_unpack.c - download, unpack and apply (engine_private.h).
 *
 * A single-block xz stream decompresses on one core only, so decompression is the floor of an
 * install; the download and the hashing have to happen beside it, not before it. The largest
 * archive not yet in the cache is therefore unpacked while it downloads: fetch hands its bytes
 * to a stream (engine_stream.c) that the extractor reads on this thread while the transfers run
 * on another. Nothing unpacked is trusted until the download is verified: a stream whose bytes
 * did not follow on (a resumed or restarted transfer), or that failed for any reason, is thrown
 * away and the archive unpacked again from the verified cache file, as every other archive is.
 */
#include "core/i18n.h"
#include "core/engine_private.h"

#include "core/error.h"
#include "core/extract.h"
#include "core/fetchplan.h"
#include "core/paths.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  Run *run;
  CupEngineStream *stream;
  GError *error;
} Download;

static void record_downloads(Run *run)
{
  for (guint i = 0; i < run->fetched->len; i++) {
    const CupFetchResult *f = g_ptr_array_index(run->fetched, i);
    const CupPlanArchive *a = g_ptr_array_index(run->plan->archives, i);
    run->r->downloaded += f->downloaded;
    g_ptr_array_add(run->r->archives,
                    json_pack("{s:s,s:s,s:I,s:s,s:b,s:o}", "component", a->component, "sha256",
                              a->sha256, "size", (json_int_t)a->size, "cache_path", f->path,
                              "from_cache", f->from_cache, "url",
                              f->url ? json_string(f->url) : json_null()));
  }
}

static gpointer download_thread(gpointer data)
{
  Download *d = data;
  Run *run = d->run;
  gint64 start = g_get_monotonic_time();
  CupFetchOptions fo = *run->o->fetch;
  fo.progress = cup_engine_progress;
  fo.progress_data = run;
  fo.cancellable = run->o->cancellable;
  if (d->stream != NULL) {
    fo.sink = cup_engine_stream_sink;
    fo.sink_data = d->stream;
  }
  run->fetched = cup_fetch_plan_archives(&fo, run->o->cache, run->plan, &d->error);
  run->r->ms_download = cup_engine_ms_since(start);
  if (d->stream != NULL)
    cup_engine_stream_close_writer(d->stream);
  return NULL;
}

/* The archive worth unpacking while it downloads: the largest one not in the cache. Never a
 * .zip: a zip's central directory at its end is what holds the modes (setuid bits included),
 * which a reader going front to back does not see. */
static int pick_streamed(const Run *run)
{
#ifdef G_OS_UNIX
  int best = -1;
  guint64 best_size = 0;
  for (guint i = 0; i < run->plan->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(run->plan->archives, i);
    if (a->size > best_size && !g_str_has_suffix(a->path, ".zip") && !cup_engine_in_cache(run, a))
      best = (int)i, best_size = a->size;
  }
  return best;
#else
  (void)run;
  return -1;
#endif
}

/* An empty staging directory for archive @i (what an abandoned attempt left goes first). */
static char *staging_for(Run *run, guint i, GError **error)
{
  g_autofree char *name = g_strdup_printf("%u", i);
  char *staging = g_build_filename(cup_txn_staging_dir(run->txn), name, NULL);
  cup_remove_tree(staging);
  if (g_mkdir(staging, 0700) != 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot create %s: %s"), staging,
                g_strerror(saved));
    g_free(staging);
    return NULL;
  }
  return staging;
}

/* Unpacks archive @i, from @input or else from its verified cache file, into its own staging
 * directory: archives never collide there, and each is applied on its own. */
static gboolean unpack(Run *run, guint i, GInputStream *input, GError **error)
{
  const CupPlanArchive *a = g_ptr_array_index(run->plan->archives, i);
  g_autofree char *staging = staging_for(run, i, error);
  if (staging == NULL)
    return FALSE;
  g_autofree char *file = cup_cache_archive_path(run->o->cache, a->sha256);
  CupExtractOptions eo = {.archive = file,
                          .input = input,
                          .component = a->component,
                          .platform = run->plan->platform,
                          .staging = staging,
                          .archive_size = a->size,
                          .progress = cup_engine_progress,
                          .progress_data = run};
  GPtrArray *entries = g_ptr_array_new_with_free_func((GDestroyNotify)cup_extract_entry_free);
  if (!cup_extract_archive(&eo, entries, run->o->cancellable, error)) {
    g_ptr_array_unref(entries);
    return FALSE;
  }
  g_ptr_array_index(run->staged, i) = entries;
  return TRUE;
}

static void staged_free(gpointer entries)
{
  if (entries != NULL)
    g_ptr_array_unref(entries);
}

/* Runs the download on its own thread and, meanwhile, unpacks the streamed archive here. */
static gboolean download_streaming(Run *run, GError **error)
{
  Download d = {.run = run};
  run->streamed = pick_streamed(run);
  if (run->streamed >= 0) {
    const CupPlanArchive *a = g_ptr_array_index(run->plan->archives, run->streamed);
    d.stream = cup_engine_stream_new(a->sha256, error);
    if (d.stream == NULL)
      return FALSE;
  }
  GThread *thread = g_thread_new("download", download_thread, &d);
  g_autoptr(GError) stream_error = NULL;
  if (d.stream != NULL) {
    g_autoptr(GInputStream) input = cup_engine_stream_input(d.stream);
    if (!unpack(run, (guint)run->streamed, input, &stream_error))
      g_debug("unpacking while downloading stopped: %s", stream_error->message);
    cup_engine_stream_close_reader(d.stream);
  }
  g_thread_join(thread);
  gboolean ok = run->fetched != NULL;
  if (!ok)
    g_propagate_error(error, g_steal_pointer(&d.error));
  /* Trust what was unpacked only when the bytes read were the verified download's own. */
  if (d.stream != NULL &&
      (stream_error != NULL || cup_engine_stream_restarted(d.stream) || !ok ||
       ((CupFetchResult *)g_ptr_array_index(run->fetched, run->streamed))->from_cache))
    g_clear_pointer(&g_ptr_array_index(run->staged, run->streamed), staged_free);
  if (d.stream != NULL && g_ptr_array_index(run->staged, run->streamed) != NULL) {
    const CupPlanArchive *a = g_ptr_array_index(run->plan->archives, run->streamed);
    run->r->streamed = g_strdup(a->component);
  }
  cup_engine_stream_free(d.stream);
  return ok;
}

gboolean cup_engine_download_and_unpack(Run *run, GError **error)
{
  run->staged = g_ptr_array_new_full(run->plan->archives->len, staged_free);
  g_ptr_array_set_size(run->staged, (gint)run->plan->archives->len);
  gint64 start = g_get_monotonic_time();
  if (!download_streaming(run, error))
    return FALSE;
  record_downloads(run);
  for (guint i = 0; i < run->plan->archives->len; i++)
    if (g_ptr_array_index(run->staged, i) == NULL && !unpack(run, i, NULL, error))
      return FALSE;
  run->r->ms_extract = cup_engine_ms_since(start) - run->r->ms_download;
  return TRUE;
}

/* CupExtractEntry and CupTxnEntry carry the same fields (txn.h). */
static GPtrArray *txn_entries(const GPtrArray *extracted, CupEnginePackage *pkg)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)cup_txn_entry_free);
  for (guint i = 0; i < extracted->len; i++) {
    const CupExtractEntry *e = g_ptr_array_index(extracted, i);
    g_ptr_array_add(out, cup_txn_entry_new((CupTxnEntryType)e->type, e->path, e->mode, e->sha256,
                                           e->size, e->link_target));
    pkg->n_files += e->type == CUP_EXTRACT_FILE;
    pkg->n_links += e->type == CUP_EXTRACT_SYMLINK;
    if (e->type == CUP_EXTRACT_FILE)
      pkg->bytes += e->size;
  }
  return out;
}

static CupEnginePackage *package_of(const Run *run, const CupPlanArchive *a)
{
  for (guint i = 0; i < run->r->packages->len; i++) {
    CupEnginePackage *p = g_ptr_array_index(run->r->packages, i);
    for (guint k = 0; k < p->archives->len; k++)
      if (strcmp(g_ptr_array_index(p->archives, k), a->component) == 0)
        return p;
  }
  g_assert_not_reached();
}

gboolean cup_engine_apply(Run *run, GError **error)
{
  for (guint i = 0; i < run->plan->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(run->plan->archives, i);
    CupEnginePackage *pkg = package_of(run, a);
    g_autoptr(GPtrArray) entries = txn_entries(g_ptr_array_index(run->staged, i), pkg);
    g_auto(GStrv) archives = cup_engine_package_archives(run, pkg);
    CupTxnPackage tp = {pkg->name, pkg->component, pkg->version, (const char *const *)archives};
    g_autofree char *name = g_strdup_printf("%u", i);
    g_autofree char *staging = g_build_filename(cup_txn_staging_dir(run->txn), name, NULL);
    if (!cup_txn_apply(run->txn, &tp, staging, entries, run->o->cancellable, error))
      return FALSE;
  }
  for (guint i = 0; i < run->r->packages->len; i++)
    run->r->written += ((CupEnginePackage *)g_ptr_array_index(run->r->packages, i))->bytes;
  return TRUE;
}

void cup_engine_progress(const CupProgress *p, gpointer data)
{
  Run *run = data;
  if (run->o->progress == NULL)
    return;
  g_mutex_lock(&run->progress_lock);
  gboolean download = g_strcmp0(p->stage, "download") == 0;
  /* While the download is on screen the streamed archive's unpacking, a step behind it, is not
   * drawn over it; once the download is done, its rest is. */
  if (download || run->download_over || run->streamed < 0)
    run->o->progress(p, run->o->progress_data);
  if (download && p->final)
    run->download_over = TRUE;
  g_mutex_unlock(&run->progress_lock);
}
