/* download.h - what `cudaup fetch` and `cudaup install` share: the download options, the
 * preparation (cache, catalog, detection, plan), NVIDIA's redistrib manifests the plan lacks,
 * and running the long work in a thread that SIGINT and SIGTERM cancel. */
#pragma once

#include "cli/progress_view.h"
#include "cli/selectors.h"

#include "core/cache.h"
#include "core/fetch.h"

typedef struct {
  CliSelectors sel;
  char *offline, *cacert, *proxy;
  int jobs, deadline;
  gboolean quiet;
} CliDownloadArgs;

/* One run of a command: what it prepared and how it downloads. */
typedef struct {
  const CliGlobals *g;
  const CliDownloadArgs *a;
  CupFetchOptions opts;
  CupCache *cache;
  GHashTable *pins;
  CupSystem *sys;
  CupCatalog *cat;
  CupPlan *plan;
  int manifests; /* redistrib manifests downloaded */
} CliDownloadJob;

/** cli_download_add_entries: the selectors plus --offline, --jobs, --cacert, --proxy,
 * --deadline and --quiet, bound to @a, appended to @entries (GOptionEntry, unterminated). */
void cli_download_add_entries(CliDownloadArgs *a, GArray *entries);

/**
 * cli_download_check: every check that needs neither the cache nor the network, so a bad
 * command line changes nothing. Errors: CUP_ERROR_USAGE naming the option and the fix.
 */
gboolean cli_download_check(const CliDownloadArgs *a, GError **error);

/**
 * cli_download_prepare: open the cache, load the catalog (with the manifests cached there),
 * detect, plan, load the pins, and set @j->opts (progress to @view when not NULL, a new
 * cancellable). Errors: those of cup_cache_open, cup_catalog_load, detection and planning.
 */
gboolean cli_download_prepare(CliDownloadJob *j, CliProgressView *view, GError **error);

/**
 * cli_download_manifests: download the redistrib manifests the plan lacks and, when any came,
 * plan again over the catalog that now has them. Errors: as cup_fetch_plan_manifests.
 */
gboolean cli_download_manifests(CliDownloadJob *j, GError **error);

/**
 * cli_download_run: call @work(@data) in a thread while this one waits in a main loop where
 * SIGINT and SIGTERM cancel @j->opts.cancellable (elsewhere: call it directly).
 */
void cli_download_run(CliDownloadJob *j, GThreadFunc work, gpointer data);

/**
 * cli_download_explain_cancel: replace a GIO "cancelled" in *@error by CUP_ERROR_CANCELLED
 * saying what the cache kept.
 */
void cli_download_explain_cancel(const CliDownloadJob *j, GError **error);

/** cli_download_view: the progress view the options ask for (NULL with --quiet). */
CliProgressView *cli_download_view(const CliGlobals *g, const CliDownloadArgs *a);

/** cli_fetch_run: `cudaup fetch` with parsed @a (also `cudaup install --download-only`). */
int cli_fetch_run(CliGlobals *g, const CliDownloadArgs *a);

void cli_download_job_clear(CliDownloadJob *j);
void cli_download_args_clear(CliDownloadArgs *a);
