/* fetch_cmd.c - `cudaup fetch` and `cudaup install --download-only`: plan, then download what
 * the plan needs (NVIDIA's redistrib manifests it lacks, then its archives) into the cache,
 * verified, with progress on stderr; Ctrl-C cancels and keeps partial downloads for resume. */
#include "core/i18n.h"
#include "cli/download.h"

#include "core/error.h"
#include "core/fetchplan.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  CliDownloadJob dl;
  const CliDownloadArgs *a;
  GPtrArray *results;
  GError *error;
} FetchJob;

static gpointer fetch_work(gpointer data)
{
  FetchJob *j = data;
  if (cli_download_manifests(&j->dl, &j->error))
    j->results = cup_fetch_plan_archives(&j->dl.opts, j->dl.cache, j->dl.plan, &j->error);
  return NULL;
}

/* Where @url came from, for the summary: the mirror root it starts with, else itself. */
static const char *source_of(const FetchJob *j, const char *url)
{
  static const char *const fallback[] = {CUP_DEFAULT_MIRROR, NULL};
  const char *const *mirrors =
      j->a->sel.mirrors ? (const char *const *)j->a->sel.mirrors : fallback;
  if (j->a->offline)
    return j->a->offline;
  for (const char *const *m = mirrors; *m; m++)
    if (g_str_has_prefix(url, *m))
      return *m;
  return url;
}

static void print_text(const FetchJob *j)
{
  guint64 total = 0, downloaded = 0;
  if (j->dl.manifests > 0)
    printf(g_dngettext(GETTEXT_PACKAGE, "Fetched %d redistrib manifest into %s\n",
                       "Fetched %d redistrib manifests into %s\n", (gulong)j->dl.manifests),
           j->dl.manifests, cup_cache_manifests_dir(j->dl.cache));
  if (j->results->len == 0) {
    printf(_("Nothing to download: the plan needs no NVIDIA archive (see 'cudaup plan')\n"));
    return;
  }
  for (guint i = 0; i < j->results->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(j->dl.plan->archives, i);
    const CupFetchResult *r = g_ptr_array_index(j->results, i);
    g_autofree char *size = cli_format_size(a->size);
    total += a->size, downloaded += r->downloaded;
    printf("%-22s %-12s %10s  ", a->component, a->version ? a->version : "", size);
    if (r->from_cache) {
      printf(_("cached\n"));
      continue;
    }
    g_autofree char *got = cli_format_size(r->downloaded);
    g_autofree char *resumed = cli_format_size(r->resumed_from);
    printf(_("%s %s from %s"), j->a->offline ? _("copied") : _("downloaded"), got,
           r->url ? source_of(j, r->url) : "?");
    printf(r->resumed_from ? _(" (resumed from %s)\n") : "\n", resumed);
  }
  g_autofree char *total_text = cli_format_size(total);
  g_autofree char *downloaded_text = cli_format_size(downloaded);
  printf(g_dngettext(GETTEXT_PACKAGE, "Cache      %s: %u archive, %s",
                     "Cache      %s: %u archives, %s", j->results->len),
         cup_cache_dir(j->dl.cache), j->results->len, total_text);
  printf(downloaded ? _(", %s of it downloaded now\n") : _(", all of it there already\n"),
         downloaded_text);
}

static json_t *results_json(const FetchJob *j)
{
  json_t *archives = json_array();
  for (guint i = 0; i < j->results->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(j->dl.plan->archives, i);
    const CupFetchResult *r = g_ptr_array_index(j->results, i);
    json_array_append_new(
        archives,
        json_pack("{s:s,s:s,s:I,s:s,s:b,s:o,s:I,s:I}", "component", a->component, "sha256",
                  a->sha256, "size", (json_int_t)a->size, "path", r->path, "from_cache",
                  r->from_cache, "url", r->url ? json_string(r->url) : json_null(), "downloaded",
                  (json_int_t)r->downloaded, "resumed_from", (json_int_t)r->resumed_from));
  }
  return json_pack("{s:s,s:i,s:o}", "cache", cup_cache_dir(j->dl.cache), "manifests_fetched",
                   j->dl.manifests, "archives", archives);
}

int cli_fetch_run(CliGlobals *g, const CliDownloadArgs *a)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CliProgressView) view = cli_download_view(g, a);
  FetchJob j = {.dl = {.g = g, .a = a}, .a = a};
  int rc = 0;
  if (!cli_download_check(a, &error) || !cli_download_prepare(&j.dl, view, &error)) {
    rc = cli_fail(g, error);
  } else {
    cli_download_run(&j.dl, fetch_work, &j);
    if (j.results == NULL) {
      cli_download_explain_cancel(&j.dl, &j.error);
      rc = cli_fail(g, j.error);
    } else if (g->json) {
      cli_print_json(results_json(&j));
    } else {
      print_text(&j);
    }
  }
  g_clear_pointer(&j.results, g_ptr_array_unref);
  g_clear_error(&j.error);
  cli_download_job_clear(&j.dl);
  return rc;
}

int cli_fetch(CliGlobals *g, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  CliDownloadArgs a = {.jobs = 4};
  g_autoptr(GArray) entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
  cli_download_add_entries(&a, entries);
  int rc;
  if (!cli_parse(g, "fetch", N_("download and verify what the plan needs into the cache"), NULL,
                 (const GOptionEntry *)(void *)entries->data, &argc, &argv, &error))
    rc = cli_fail(g, error);
  else
    rc = cli_fetch_run(g, &a);
  cli_download_args_clear(&a);
  return rc;
}
