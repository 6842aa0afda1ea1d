/* download.c - the download side shared by `cudaup fetch` and `cudaup install` (download.h). */
#include "core/i18n.h"
#include "cli/download.h"

#include "core/error.h"
#include "core/fetchplan.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef G_OS_UNIX
#include <glib-unix.h>
#include <signal.h>
#endif

#define MAX_JOBS 16

void cli_download_args_clear(CliDownloadArgs *a)
{
  cli_selectors_clear(&a->sel);
  g_clear_pointer(&a->offline, g_free);
  g_clear_pointer(&a->cacert, g_free);
  g_clear_pointer(&a->proxy, g_free);
}

void cli_download_add_entries(CliDownloadArgs *a, GArray *entries)
{
  const GOptionEntry table[] = {
      {"offline", 0, 0, G_OPTION_ARG_FILENAME, &a->offline,
       N_("Take everything from this bundle in NVIDIA's layout; never use the network"), "DIR"},
      {"jobs", 'j', 0, G_OPTION_ARG_INT, &a->jobs, N_("Parallel downloads, 1 to 16 (default 4)"),
       "N"},
      {"cacert", 0, 0, G_OPTION_ARG_FILENAME, &a->cacert,
       N_("Trust the CA certificates in this PEM file instead of the system's"), "FILE"},
      {"proxy", 0, 0, G_OPTION_ARG_STRING, &a->proxy,
       N_("Use this proxy (default: the https_proxy and no_proxy variables)"), "URL"},
      {"deadline", 0, 0, G_OPTION_ARG_INT, &a->deadline,
       N_("Give up when the downloads take longer than this (default: no limit)"), "SECONDS"},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &a->quiet, N_("Show no progress on stderr"), NULL},
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
gboolean cli_download_check(const CliDownloadArgs *a, GError **error)
{
  if (!cli_selectors_check(&a->sel, error))
    return FALSE;
  if (a->jobs < 1 || a->jobs > MAX_JOBS)
    return usage(error, _("--jobs %d: give 1 to %d parallel downloads"), a->jobs, MAX_JOBS);
  if (a->deadline < 0)
    return usage(error,
                 _("--deadline %d: give the seconds the downloads may take, or 0 for no "
                   "limit"),
                 a->deadline);
  if (a->cacert && !g_file_test(a->cacert, G_FILE_TEST_IS_REGULAR))
    return usage(error, _("--cacert %s: no such file; give a PEM file of CA certificates"),
                 a->cacert);
  if (a->offline && !g_file_test(a->offline, G_FILE_TEST_IS_DIR))
    return usage(error,
                 _("--offline %s: no such directory; give a bundle in NVIDIA's layout "
                   "(cuda/redist/..., cudnn/redist/...)"),
                 a->offline);
  if (a->offline && a->sel.mirrors)
    return usage(error, _("--offline and --mirror exclude each other: an offline bundle never "
                          "uses the network"));
  if (a->proxy && *a->proxy == '\0')
    return usage(error, _("--proxy: give a proxy URL such as http://proxy:3128"));
  return TRUE;
}

/* Plan again over a catalog that now holds the manifests just downloaded. */
static gboolean replan(CliDownloadJob *j, GError **error)
{
  g_autoptr(CupCatalog) cat =
      cup_catalog_load(j->g->catalog, cup_cache_manifests_dir(j->cache), error);
  CupPlan *plan = cat ? cli_selectors_plan(&j->a->sel, j->sys, cat, error) : NULL;
  if (plan == NULL)
    return FALSE;
  cup_plan_free(j->plan);
  j->plan = plan;
  cup_catalog_free(j->cat);
  j->cat = g_steal_pointer(&cat);
  return TRUE;
}

gboolean cli_download_manifests(CliDownloadJob *j, GError **error)
{
  j->manifests = cup_fetch_plan_manifests(&j->opts, j->cache, j->plan, j->cat, j->pins, error);
  return j->manifests == 0 || (j->manifests > 0 && replan(j, error));
}

static void set_options(CliDownloadJob *j, CliProgressView *view)
{
  const CliDownloadArgs *a = j->a;
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

gboolean cli_download_prepare(CliDownloadJob *j, CliProgressView *view, GError **error)
{
  const CliDownloadArgs *a = j->a;
  g_autofree char *dir = cli_selectors_cache_dir(&a->sel);
  set_options(j, view);
  return (j->cache = cup_cache_open(dir, error)) != NULL &&
         (j->cat = cup_catalog_load(j->g->catalog, cup_cache_manifests_dir(j->cache), error)) &&
         (j->sys = cli_selectors_system(j->g, &a->sel, j->cat, error)) &&
         (j->plan = cli_selectors_plan(&a->sel, j->sys, j->cat, error)) &&
         cup_fetch_plan_pins(j->cat, &j->pins, error);
}

CliProgressView *cli_download_view(const CliGlobals *g, const CliDownloadArgs *a)
{
  /* With --json stdout is the result, so progress stays plain lines on stderr. */
  gboolean tty = !g->json && isatty(fileno(stderr));
  return a->quiet ? NULL
                  : cli_progress_view_new(stderr, tty, !g->no_color && !g_getenv("NO_COLOR"));
}

typedef struct {
  GThreadFunc work;
  gpointer data;
  GMainLoop *loop;
} Worker;

#ifdef G_OS_UNIX
static gboolean quit_loop(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

static gpointer worker_thread(gpointer data)
{
  Worker *w = data;
  w->work(w->data);
  g_idle_add(quit_loop, w->loop);
  return NULL;
}

static gboolean on_signal(gpointer cancellable)
{
  g_cancellable_cancel(cancellable);
  return G_SOURCE_CONTINUE;
}

/* SIGINT and SIGTERM cancel: GLib turns them into main-loop events, so the work runs in a
 * thread while this one waits in the loop; transfers stop within a second and keep their
 * `.part` files, an install rolls back. */
void cli_download_run(CliDownloadJob *j, GThreadFunc work, gpointer data)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  Worker w = {work, data, loop};
  guint sigint = g_unix_signal_add(SIGINT, on_signal, j->opts.cancellable);
  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, j->opts.cancellable);
  GThread *thread = g_thread_new("work", worker_thread, &w);
  g_main_loop_run(loop);
  g_thread_join(thread);
  g_source_remove(sigint);
  g_source_remove(sigterm);
}
#else
void cli_download_run(CliDownloadJob *j, GThreadFunc work, gpointer data)
{
  (void)j;
  work(data);
}
#endif

void cli_download_explain_cancel(const CliDownloadJob *j, GError **error)
{
  if (!g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_error(error);
  g_set_error(error, CUP_ERROR, CUP_ERROR_CANCELLED,
              _("cancelled; finished downloads stay in %s and the next run continues the "
                "unfinished ones"),
              cup_cache_dir(j->cache));
}

void cli_download_job_clear(CliDownloadJob *j)
{
  g_clear_pointer(&j->plan, cup_plan_free);
  g_clear_pointer(&j->cat, cup_catalog_free);
  g_clear_pointer(&j->sys, cup_system_free);
  g_clear_pointer(&j->pins, g_hash_table_unref);
  g_clear_pointer(&j->cache, cup_cache_free);
  g_clear_object(&j->opts.cancellable);
}
