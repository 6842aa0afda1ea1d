/* fetch_cmd.c - `cudaup fetch` and `cudaup install --download-only`: plan, then download what
 * the plan needs (NVIDIA's redistrib manifests it lacks, then its archives) into the cache,
 * verified, with progress on stderr; Ctrl-C cancels and keeps partial downloads for resume. */
#include "cli/progress_view.h"
#include "cli/selectors.h"

#include "core/cache.h"
#include "core/error.h"
#include "core/fetchplan.h"
#include "core/redist.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef G_OS_UNIX
#include <glib-unix.h>
#include <signal.h>
#endif

#define MAX_JOBS 16

typedef struct {
  CliSelectors sel;
  char *offline, *cacert, *proxy;
  int jobs, deadline;
  gboolean quiet, download_only;
} FetchArgs;

/* One run: the state handed to the download thread and what it hands back. */
typedef struct {
  const CliGlobals *g;
  const FetchArgs *a;
  CupFetchOptions opts;
  CupCache *cache;
  GHashTable *pins;
  CupSystem *sys;
  CupCatalog *cat;
  CupPlan *plan;
  int manifests; /* redistrib manifests downloaded */
  GPtrArray *results;
  GError *error;
  GMainLoop *loop;
} FetchJob;

static void fetch_args_clear(FetchArgs *a)
{
  cli_selectors_clear(&a->sel);
  g_clear_pointer(&a->offline, g_free);
  g_clear_pointer(&a->cacert, g_free);
  g_clear_pointer(&a->proxy, g_free);
}

static void add_download_entries(FetchArgs *a, GArray *entries)
{
  const GOptionEntry table[] = {
      {"offline", 0, 0, G_OPTION_ARG_FILENAME, &a->offline,
       "Take everything from this bundle in NVIDIA's layout; never use the network", "DIR"},
      {"jobs", 'j', 0, G_OPTION_ARG_INT, &a->jobs, "Parallel downloads, 1 to 16 (default 4)", "N"},
      {"cacert", 0, 0, G_OPTION_ARG_FILENAME, &a->cacert,
       "Trust the CA certificates in this PEM file instead of the system's", "FILE"},
      {"proxy", 0, 0, G_OPTION_ARG_STRING, &a->proxy,
       "Use this proxy (default: the https_proxy and no_proxy variables)", "URL"},
      {"deadline", 0, 0, G_OPTION_ARG_INT, &a->deadline,
       "Give up when the downloads take longer than this (default: no limit)", "SECONDS"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &a->quiet, "Show no progress on stderr", NULL},
  };
  cli_selectors_add_entries(&a->sel, entries);
  g_array_append_vals(entries, table, G_N_ELEMENTS(table));
}

static gboolean usage(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);
static gboolean usage(GError **error, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, CUP_ERROR, CUP_ERROR_USAGE, message);
  return FALSE;
}

/* Every check that needs neither the cache nor the network, so a bad command line changes
 * nothing (DESIGN.md section 4). */
static gboolean check_download_args(const FetchArgs *a, GError **error)
{
  if (!cli_selectors_check(&a->sel, error))
    return FALSE;
  if (a->jobs < 1 || a->jobs > MAX_JOBS)
    return usage(error, "--jobs %d: give 1 to %d parallel downloads", a->jobs, MAX_JOBS);
  if (a->deadline < 0)
    return usage(error,
                 "--deadline %d: give the seconds the downloads may take, or 0 for no "
                 "limit",
                 a->deadline);
  if (a->cacert && !g_file_test(a->cacert, G_FILE_TEST_IS_REGULAR))
    return usage(error, "--cacert %s: no such file; give a PEM file of CA certificates", a->cacert);
  if (a->offline && !g_file_test(a->offline, G_FILE_TEST_IS_DIR))
    return usage(error,
                 "--offline %s: no such directory; give a bundle in NVIDIA's layout "
                 "(cuda/redist/..., cudnn/redist/...)",
                 a->offline);
  if (a->offline && a->sel.mirrors)
    return usage(error, "--offline and --mirror exclude each other: an offline bundle never "
                        "uses the network");
  if (a->proxy && *a->proxy == '\0')
    return usage(error, "--proxy: give a proxy URL such as http://proxy:3128");
  return TRUE;
}

/* The pinned redistrib manifest hashes of the catalog, or NULL when it has none. */
static gboolean load_pins(const CupCatalog *cat, GHashTable **pins, GError **error)
{
  g_autofree char *path = g_build_filename(cat->dir, "redist", "pinned-manifest-sha256.json", NULL);
  *pins = NULL;
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    return TRUE;
  *pins = cup_redist_pins_load(path, error);
  return *pins != NULL;
}

/* Plan again over a catalog that now holds the manifests just downloaded. */
static gboolean replan(FetchJob *j)
{
  g_autoptr(CupCatalog) cat =
      cup_catalog_load(j->g->catalog, cup_cache_manifests_dir(j->cache), &j->error);
  CupPlan *plan = cat ? cli_selectors_plan(&j->a->sel, j->sys, cat, &j->error) : NULL;
  if (plan == NULL)
    return FALSE;
  cup_plan_free(j->plan);
  j->plan = plan;
  cup_catalog_free(j->cat);
  j->cat = g_steal_pointer(&cat);
  return TRUE;
}

static void fetch_work(FetchJob *j)
{
  j->manifests = cup_fetch_plan_manifests(&j->opts, j->cache, j->plan, j->cat, j->pins, &j->error);
  if (j->manifests < 0 || (j->manifests > 0 && !replan(j)))
    return;
  j->results = cup_fetch_plan_archives(&j->opts, j->cache, j->plan, &j->error);
}

#ifdef G_OS_UNIX
static gboolean quit_loop(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

static gpointer fetch_thread(gpointer data)
{
  FetchJob *j = data;
  fetch_work(j);
  g_idle_add(quit_loop, j->loop);
  return NULL;
}

static gboolean on_signal(gpointer cancellable)
{
  g_cancellable_cancel(cancellable);
  return G_SOURCE_CONTINUE;
}

/* SIGINT and SIGTERM cancel: GLib turns them into main-loop events, so the downloads run in a
 * thread while this one waits in the loop; the transfers stop within a second and keep their
 * `.part` files. */
static void run_cancellable(FetchJob *j)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  j->loop = loop;
  guint sigint = g_unix_signal_add(SIGINT, on_signal, j->opts.cancellable);
  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, j->opts.cancellable);
  GThread *thread = g_thread_new("fetch", fetch_thread, j);
  g_main_loop_run(loop);
  g_thread_join(thread);
  g_source_remove(sigint);
  g_source_remove(sigterm);
}
#else
static void run_cancellable(FetchJob *j)
{
  fetch_work(j);
}
#endif

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
  if (j->manifests > 0)
    printf("Fetched %d redistrib manifest%s into %s\n", j->manifests, j->manifests == 1 ? "" : "s",
           cup_cache_manifests_dir(j->cache));
  if (j->results->len == 0) {
    printf("Nothing to download: the plan needs no NVIDIA archive (see 'cudaup plan')\n");
    return;
  }
  for (guint i = 0; i < j->results->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(j->plan->archives, i);
    const CupFetchResult *r = g_ptr_array_index(j->results, i);
    g_autofree char *size = cli_format_size(a->size);
    total += a->size, downloaded += r->downloaded;
    printf("%-22s %-12s %10s  ", a->component, a->version ? a->version : "", size);
    if (r->from_cache) {
      printf("cached\n");
      continue;
    }
    g_autofree char *got = cli_format_size(r->downloaded);
    g_autofree char *resumed = cli_format_size(r->resumed_from);
    printf("%s %s from %s", j->a->offline ? "copied" : "downloaded", got,
           r->url ? source_of(j, r->url) : "?");
    printf(r->resumed_from ? " (resumed from %s)\n" : "\n", resumed);
  }
  g_autofree char *total_text = cli_format_size(total);
  g_autofree char *downloaded_text = cli_format_size(downloaded);
  printf("Cache      %s: %u archive%s, %s", cup_cache_dir(j->cache), j->results->len,
         j->results->len == 1 ? "" : "s", total_text);
  printf(downloaded ? ", %s of it downloaded now\n" : ", all of it there already\n",
         downloaded_text);
}

static json_t *results_json(const FetchJob *j)
{
  json_t *archives = json_array();
  for (guint i = 0; i < j->results->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(j->plan->archives, i);
    const CupFetchResult *r = g_ptr_array_index(j->results, i);
    json_array_append_new(
        archives,
        json_pack("{s:s,s:s,s:I,s:s,s:b,s:o,s:I,s:I}", "component", a->component, "sha256",
                  a->sha256, "size", (json_int_t)a->size, "path", r->path, "from_cache",
                  r->from_cache, "url", r->url ? json_string(r->url) : json_null(), "downloaded",
                  (json_int_t)r->downloaded, "resumed_from", (json_int_t)r->resumed_from));
  }
  return json_pack("{s:s,s:i,s:o}", "cache", cup_cache_dir(j->cache), "manifests_fetched",
                   j->manifests, "archives", archives);
}

static void fetch_job_clear(FetchJob *j)
{
  g_clear_pointer(&j->results, g_ptr_array_unref);
  g_clear_pointer(&j->plan, cup_plan_free);
  g_clear_pointer(&j->cat, cup_catalog_free);
  g_clear_pointer(&j->sys, cup_system_free);
  g_clear_pointer(&j->pins, g_hash_table_unref);
  g_clear_pointer(&j->cache, cup_cache_free);
  g_clear_object(&j->opts.cancellable);
  g_clear_error(&j->error);
}

/* Open the cache, load the catalog with the manifests cached there, detect and plan. */
static gboolean prepare(FetchJob *j, GError **error)
{
  const FetchArgs *a = j->a;
  g_autofree char *dir = cli_selectors_cache_dir(&a->sel);
  return (j->cache = cup_cache_open(dir, error)) != NULL &&
         (j->cat = cup_catalog_load(j->g->catalog, cup_cache_manifests_dir(j->cache), error)) &&
         (j->sys = cli_selectors_system(j->g, &a->sel, j->cat, error)) &&
         (j->plan = cli_selectors_plan(&a->sel, j->sys, j->cat, error)) &&
         load_pins(j->cat, &j->pins, error);
}

static void set_options(FetchJob *j, CliProgressView *view)
{
  const FetchArgs *a = j->a;
  j->opts = (CupFetchOptions){
      .mirrors = (const char *const *)a->sel.mirrors,
      .mirrors_explicit = a->sel.mirrors != NULL,
      .offline_dir = a->offline,
      .jobs = (guint)a->jobs,
      .cacert = a->cacert,
      .proxy = a->proxy,
      .deadline_s = (guint)a->deadline,
      .progress = view ? cli_progress_view_func : NULL,
      .progress_data = view,
      .cancellable = g_cancellable_new(),
  };
}

/* A cancel seen outside the transfers (while hashing the cache) says what was kept, as the
 * fetch's own cancel error does. */
static void explain_cancel(FetchJob *j)
{
  if (!g_error_matches(j->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_error(&j->error);
  g_set_error(&j->error, CUP_ERROR, CUP_ERROR_CANCELLED,
              "download cancelled; finished archives stay in %s and the next run continues the "
              "unfinished ones",
              cup_cache_dir(j->cache));
}

static int run_fetch(CliGlobals *g, const FetchArgs *a)
{
  g_autoptr(GError) error = NULL;
  FetchJob j = {.g = g, .a = a};
  if (!check_download_args(a, &error) || !prepare(&j, &error)) {
    fetch_job_clear(&j);
    return cli_fail(g, error);
  }
  /* With --json stdout is the result, so progress stays plain lines on stderr. */
  gboolean tty = !g->json && isatty(fileno(stderr));
  g_autoptr(CliProgressView) view =
      a->quiet ? NULL : cli_progress_view_new(stderr, tty, !g->no_color && !g_getenv("NO_COLOR"));
  set_options(&j, view);
  run_cancellable(&j);
  int rc = 0;
  if (j.results == NULL) {
    explain_cancel(&j);
    rc = cli_fail(g, j.error);
  } else if (g->json) {
    cli_print_json(results_json(&j));
  } else {
    print_text(&j);
  }
  fetch_job_clear(&j);
  return rc;
}

static int fetch_command(CliGlobals *g, const char *name, const char *summary, gboolean install,
                         int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  FetchArgs a = {.jobs = 4};
  g_autoptr(GArray) entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
  add_download_entries(&a, entries);
  const GOptionEntry only[] = {
      {"download-only", 0, 0, G_OPTION_ARG_NONE, &a.download_only,
       "Download and verify what the plan needs; install nothing", NULL},
  };
  if (install)
    g_array_append_vals(entries, only, G_N_ELEMENTS(only));
  int rc;
  if (!cli_parse(g, name, summary, NULL, (const GOptionEntry *)(void *)entries->data, &argc, &argv,
                 &error)) {
    rc = cli_fail(g, error);
  } else if (install && !a.download_only) {
    g_set_error(&error, CUP_ERROR, CUP_ERROR_UNSUPPORTED,
                "cudaup install: only --download-only is available in this version; use "
                "'cudaup fetch' (or 'cudaup install --download-only') to download and verify "
                "the archives");
    rc = cli_fail(g, error);
  } else {
    rc = run_fetch(g, &a);
  }
  fetch_args_clear(&a);
  return rc;
}

int cli_fetch(CliGlobals *g, int argc, char **argv)
{
  return fetch_command(g, "fetch", "download and verify what the plan needs into the cache", FALSE,
                       argc, argv);
}

int cli_install(CliGlobals *g, int argc, char **argv)
{
  return fetch_command(g, "install", "install what the plan needs (this version: --download-only)",
                       TRUE, argc, argv);
}
