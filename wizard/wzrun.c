/* wzrun.c - the wizard's install in a worker thread (wzrun.h). */
#include "wizard/wzrun_private.h"

#include "core/envset.h"
#include "core/error.h"
#include "core/i18n.h"
#include "core/version.h"
#ifdef G_OS_UNIX
#include "platform/linux/profile.h"
#endif

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#ifdef G_OS_UNIX
#include <unistd.h>
#endif

#define DEFAULT_THROTTLE_MS 250 /* about 4 updates a second (issue 8) */

char *wz_run_default_log_path(void)
{
  return g_build_filename(g_get_user_state_dir(), "cudaup", "wizard-install.log", NULL);
}

void wz_run_outcome_free(WzRunOutcome *o)
{
  if (o == NULL)
    return;
  g_clear_pointer(&o->engine, cup_engine_result_free);
  if (o->helper)
    json_decref(o->helper);
  g_clear_pointer(&o->verify, cup_verify_result_free);
  g_ptr_array_unref(o->notes);
  g_free(o);
}

WzStage wz_stage_of(const char *engine_stage)
{
  static const struct {
    const char *name;
    WzStage stage;
  } table[] = {{"download", WZ_STAGE_DOWNLOAD},
               {"verify", WZ_STAGE_VERIFY},
               {"extract", WZ_STAGE_EXTRACT},
               {"commit", WZ_STAGE_EXTRACT},
               {"environment", WZ_STAGE_ENVIRONMENT},
               {"check", WZ_STAGE_CHECKS},
               {"checks", WZ_STAGE_CHECKS}};
  for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
    if (g_strcmp0(engine_stage, table[i].name) == 0)
      return table[i].stage;
  return WZ_STAGE_EXTRACT;
}

gboolean wz_run_needs_helper(const CupPlan *plan, gboolean user_scope)
{
#ifdef G_OS_UNIX
  if (user_scope || plan->toolkit_root == NULL)
    return FALSE;
  g_autofree char *dir = g_strdup(plan->toolkit_root);
  while (!g_file_test(dir, G_FILE_TEST_EXISTS)) {
    char *parent = g_path_get_dirname(dir);
    g_free(dir);
    dir = parent;
  }
  return access(dir, W_OK) != 0;
#else
  (void)plan, (void)user_scope;
  return FALSE; /* Windows elevates the whole installer instead */
#endif
}

/* ---- events and log, delivered in the caller's main context -------------------------------- */

static void run_free(WzRun *run)
{
  g_free(run->mirror), g_free(run->offline_dir), g_free(run->cache_dir), g_free(run->cacert);
  g_free(run->log_path);
  g_strfreev(run->helper_argv);
  wz_choices_clear(&run->choices);
  g_free(run->catalog_dir);
  g_clear_pointer(&run->own_plan, cup_plan_free);
  g_clear_pointer(&run->own_catalog, cup_catalog_free);
  g_main_context_unref(run->context);
  g_mutex_clear(&run->lock);
  if (run->log_file)
    fclose(run->log_file);
}

static WzRun *run_ref(WzRun *run)
{
  return g_atomic_rc_box_acquire(run);
}

static void run_unref(gpointer run)
{
  g_atomic_rc_box_release_full(run, (GDestroyNotify)run_free);
}

typedef struct {
  WzRun *run;
  WzRunEvent event;
  char *engine_stage;
  char *line; /* a log line instead of an event */
} Delivery;

static void delivery_free(gpointer data)
{
  Delivery *d = data;
  run_unref(d->run);
  g_free(d->engine_stage), g_free(d->line);
  g_free(d);
}

static gboolean deliver(gpointer data)
{
  Delivery *d = data;
  const WzRunOptions *o = &d->run->o;
  if (d->line && o->log)
    o->log(d->line, o->data);
  else if (d->line == NULL && o->progress)
    o->progress(&d->event, o->data);
  return G_SOURCE_REMOVE;
}

static void post(WzRun *run, Delivery *d)
{
  d->run = run_ref(run);
  g_main_context_invoke_full(run->context, G_PRIORITY_DEFAULT, deliver, d, delivery_free);
}

void wz_run_log(WzRun *run, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  Delivery *d = g_new0(Delivery, 1);
  d->line = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_mutex_lock(&run->lock);
  if (run->log_file) {
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%F %T");
    fprintf(run->log_file, "%s %s\n", stamp, d->line);
    fflush(run->log_file);
  }
  g_mutex_unlock(&run->lock);
  post(run, d);
}

static const char *stage_title(WzStage s)
{
  static const char *const titles[] = {N_("Download"), N_("Verify"), N_("Extract"),
                                       N_("Environment"), N_("Checks")};
  return _(titles[s]);
}

void wz_run_emit(WzRun *run, const WzRunEvent *e)
{
  gint64 now = g_get_monotonic_time();
  guint throttle = run->o.throttle_ms ? run->o.throttle_ms : DEFAULT_THROTTLE_MS;
  g_mutex_lock(&run->lock);
  gboolean first = !run->started[e->stage];
  gboolean send = e->final || first || now - run->last_us[e->stage] >= (gint64)throttle * 1000;
  if (send)
    run->last_us[e->stage] = now, run->started[e->stage] = TRUE;
  g_mutex_unlock(&run->lock);
  if (first)
    wz_run_log(run, _("%s: started"), stage_title(e->stage));
  if (!send)
    return;
  Delivery *d = g_new0(Delivery, 1);
  d->event = *e;
  d->engine_stage = g_strdup(e->engine_stage);
  d->event.engine_stage = d->engine_stage;
  post(run, d);
}

/* The engine's events: download also feeds the Verify row (each archive's sha256 is checked as
 * its bytes arrive, and again for one taken from the cache). */
void wz_run_on_progress(const CupProgress *p, gpointer data)
{
  WzRun *run = data;
  WzRunEvent e = {.stage = wz_stage_of(p->stage),
                  .engine_stage = p->stage,
                  .done = p->done,
                  .total = p->total,
                  .speed = p->speed,
                  .eta_ms = p->eta_ms,
                  .n_items = p->n_items,
                  .final = p->final};
  for (guint i = 0; i < p->n_items; i++)
    if (p->items[i].state == CUP_PROGRESS_DONE || p->items[i].state == CUP_PROGRESS_CACHED)
      e.n_verified++;
  /* The commit that follows is the Extract row's end; the proof after the engine's is the
   * Checks row's. */
  if (g_strcmp0(p->stage, "extract") == 0 || (g_strcmp0(p->stage, "check") == 0 && run->verify))
    e.final = FALSE;
  wz_run_emit(run, &e);
  if (e.stage == WZ_STAGE_DOWNLOAD) {
    WzRunEvent v = {.stage = WZ_STAGE_VERIFY,
                    .engine_stage = "verify",
                    .done = e.n_verified,
                    .total = e.n_items,
                    .eta_ms = -1,
                    .n_items = e.n_items,
                    .n_verified = e.n_verified,
                    .final = p->final};
    wz_run_emit(run, &v);
  }
  if (p->final)
    wz_run_log(run, _("%s: finished"), p->stage);
}

/* ---- the in-process path ------------------------------------------------------------------ */

CupFetchOptions wz_run_fetch_options(WzRun *run, const char **mirrors)
{
  mirrors[0] = run->mirror, mirrors[1] = NULL;
  return (CupFetchOptions){.mirrors = run->mirror ? mirrors : NULL,
                           .mirrors_explicit = run->mirror != NULL,
                           .offline_dir = run->offline_dir,
                           .cacert = run->cacert};
}

#ifdef G_OS_UNIX
static gboolean journal(CupTxnOutside kind, const char *path, gpointer txn, GError **error)
{
  return cup_txn_journal_outside(txn, kind, path, error);
}

/* The environment stage, journaled in the install's transaction (core/engine.h). As the CLI
 * does, a failure here is kept as a note: the install stands and the log says what to add. */
static gboolean set_environment(CupTxn *txn, const char *root, gpointer data, GError **error)
{
  WzRun *run = data;
  (void)error;
  g_autofree char *mm = cup_major_minor(run->o.plan->cuda_version);
  CupEnvScope scope = run->o.user_scope ? CUP_ENV_SCOPE_USER : CUP_ENV_SCOPE_SYSTEM;
  g_autoptr(GError) local = NULL;
  g_autoptr(CupEnvSpec) spec = cup_envset_spec_new("linux", root, mm, scope, &local);
  CupProfileOptions po = {
      .home = g_get_home_dir(), .config_home = g_get_user_config_dir(), .shell = g_getenv("SHELL")};
  if (txn != NULL)
    po.journal = journal, po.journal_data = txn;
  g_autoptr(CupProfileReport) report = NULL;
  if (spec == NULL || !cup_profile_apply(spec, &po, &report, &local))
    wz_run_log(run, _("The environment was not set: %s"), local->message);
  for (guint i = 0; report && i < report->edits->len; i++) {
    const CupProfileEdit *edit = g_ptr_array_index(report->edits, i);
    if (edit->done)
      wz_run_log(run, _("Environment: wrote %s"), edit->path);
  }
  return TRUE;
}
#endif

static WzRunOutcome *run_engine(WzRun *run, GCancellable *cancellable, GError **error)
{
  g_autoptr(CupCache) cache = cup_cache_open(run->cache_dir, error);
  if (cache == NULL)
    return NULL;
  const char *mirrors[2];
  CupFetchOptions fo = wz_run_fetch_options(run, mirrors);
  CupEngineOptions eo = {.plan = run->o.plan,
                         .cache = cache,
                         .fetch = &fo,
                         .progress = wz_run_on_progress,
                         .progress_data = run,
                         .cancellable = cancellable};
#ifdef G_OS_UNIX
  if (!run->o.no_environment && run->o.plan->cuda_version)
    eo.environment = set_environment, eo.environment_data = run;
#endif
  g_autoptr(CupEngineResult) partial = NULL;
  CupEngineResult *result = cup_engine_install(&eo, &partial, error);
  if (result == NULL)
    return NULL;
  WzRunOutcome *out = g_new0(WzRunOutcome, 1);
  out->notes = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; result->notes && i < result->notes->len; i++)
    g_ptr_array_add(out->notes, g_strdup(g_ptr_array_index(result->notes, i)));
  out->engine = result;
  return out;
}

/* ---- the proof and the task --------------------------------------------------------------- */

static void run_verify(WzRun *run, WzRunOutcome *out)
{
  WzRunEvent e = {.stage = WZ_STAGE_CHECKS, .engine_stage = "verify", .eta_ms = -1};
  wz_run_emit(run, &e);
  CupToolkit tk = {.version = run->o.plan->cuda_version, .root = run->o.plan->toolkit_root};
  CupVerifyOptions vo = {.toolkit = &tk, .system = run->o.system, .catalog = run->o.catalog};
  g_autoptr(GError) error = NULL;
  out->verify = cup_verify_run(&vo, &error);
  if (out->verify == NULL) {
    g_ptr_array_add(out->notes,
                    g_strdup_printf(_("The install could not be verified: %s"), error->message));
    wz_run_log(run, "%s", (char *)g_ptr_array_index(out->notes, out->notes->len - 1));
  } else {
    wz_run_log(run, "%s", out->verify->verdict);
  }
  e.final = TRUE, e.done = e.total = 1;
  wz_run_emit(run, &e);
}

static void run_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  (void)source;
  WzRun *run = data;
  g_autofree char *dir = g_path_get_dirname(run->log_path);
  if (g_mkdir_with_parents(dir, 0700) == 0)
    run->log_file = g_fopen(run->log_path, "a");
  wz_run_log(run, _("Installing into %s"), run->o.plan->toolkit_root);
  g_autoptr(GError) error = NULL;
  if (!wz_run_fetch_manifests(run, cancellable, &error)) {
    wz_run_log(run, _("Failed: %s"), error->message);
    g_task_return_error(task, g_steal_pointer(&error));
    return;
  }
  gboolean helper = run->o.force_helper || wz_run_needs_helper(run->o.plan, run->o.user_scope);
  WzRunOutcome *out =
      helper ? wz_run_privileged(run, cancellable, &error) : run_engine(run, cancellable, &error);
  if (out == NULL) {
    wz_run_log(run, _("Failed: %s"), error->message);
    g_task_return_error(task, g_steal_pointer(&error));
    return;
  }
  wz_run_log(run, _("Installed into %s"), run->o.plan->toolkit_root);
  if (run->verify)
    run_verify(run, out);
  g_task_return_pointer(task, out, (GDestroyNotify)wz_run_outcome_free);
}

void wz_run_async(const WzRunOptions *o, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  WzRun *run = g_atomic_rc_box_new0(WzRun);
  run->o = *o;
  g_mutex_init(&run->lock);
  run->o.mirror = run->mirror = g_strdup(o->mirror);
  run->o.offline_dir = run->offline_dir = g_strdup(o->offline_dir);
  run->o.cache_dir = run->cache_dir =
      o->cache_dir ? g_strdup(o->cache_dir) : cup_cache_default_dir();
  run->o.cacert = run->cacert = g_strdup(o->cacert);
  run->o.log_path = run->log_path = o->log_path ? g_strdup(o->log_path) : wz_run_default_log_path();
  run->helper_argv = g_strdupv((char **)o->helper_argv);
  run->o.helper_argv = (const char *const *)run->helper_argv;
  if (o->choices) {
    wz_choices_copy(o->choices, &run->choices);
    run->o.choices = &run->choices;
  }
  run->o.catalog_dir = run->catalog_dir = g_strdup(o->catalog_dir);
  run->context = g_main_context_ref_thread_default();
  run->verify = !o->skip_verify && o->system && o->catalog;
  g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
  g_task_set_source_tag(task, wz_run_async);
  g_task_set_return_on_cancel(task, FALSE);  /* the rollback must finish first */
  g_task_set_check_cancellable(task, FALSE); /* the engine says CUP_ERROR_CANCELLED */
  g_task_set_task_data(task, run, run_unref);
  g_task_run_in_thread(task, run_thread);
}

WzRunOutcome *wz_run_finish(GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- what the error page says -------------------------------------------------------------- */

char *wz_run_fix(const GError *error)
{
  if (error->domain != CUP_ERROR)
    return g_strdup(_("Try again; if it happens again, send the details to whoever helps you."));
  switch ((CupErrorCode)error->code) {
  case CUP_ERROR_NETWORK:
    return g_strdup(_("Check the internet connection (or the mirror under Advanced) and try "
                      "again: what was downloaded is kept."));
  case CUP_ERROR_INTEGRITY:
    return g_strdup(_("A download was not what NVIDIA published. Try again, or another mirror; "
                      "nothing was installed from it."));
  case CUP_ERROR_IO:
    return g_strdup(_("Make room on the disk (or choose another install location) and try "
                      "again."));
  case CUP_ERROR_LOCKED:
    return g_strdup(_("Another cudaup is installing into the same place: wait for it to finish, "
                      "then try again."));
  case CUP_ERROR_CANCELLED:
    return g_strdup(_("Nothing was changed. Start the install again when you are ready."));
  case CUP_ERROR_PERMISSION:
    return g_strdup(_("Installing for everyone needs administrator rights: choose \"Only me\" "
                      "under Advanced, or ask an administrator."));
  case CUP_ERROR_CHECK:
    return g_strdup(_("The toolkit was installed but did not work: the checks say why. "
                      "'cudaup doctor' finds the usual causes."));
  default:
    return g_strdup(_("Go back to the plan and try again; 'cudaup doctor' finds the usual "
                      "causes."));
  }
}

char *wz_run_details(const GError *error, const CupPlan *plan, const char *log_path)
{
  GString *s = g_string_new(NULL);
  gboolean ours = error->domain == CUP_ERROR;
  g_string_append_printf(s, "cudaup-wizard install failed: %s\n", error->message);
  g_string_append_printf(s, "error: %s (exit code %d)\n",
                         ours ? cup_error_code_id(error->code) : g_quark_to_string(error->domain),
                         ours ? cup_error_exit_code(error) : 1);
  g_autofree char *fix = wz_run_fix(error);
  g_string_append_printf(s, "fix: %s\n", fix);
  if (plan)
    g_string_append_printf(s, "plan: CUDA %s, cuDNN %s, into %s\n",
                           plan->cuda_version ? plan->cuda_version : "-",
                           plan->cudnn_version ? plan->cudnn_version : "-",
                           plan->toolkit_root ? plan->toolkit_root : "-");
  if (log_path)
    g_string_append_printf(s, "log: %s\n", log_path);
  return g_string_free(s, FALSE);
}
