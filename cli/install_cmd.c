/* install_cmd.c - `cudaup install`: plan, confirm once (or --silent: never ask), then the
 * engine downloads, verifies, extracts, commits and proves (core/engine); --dry-run says what
 * would be written, --report FILE leaves a JSON report, --download-only stops after the
 * downloads (as `cudaup fetch`). */
#include "core/i18n.h"
#include "cli/answers.h"
#include "cli/download.h"
#include "cli/env_apply.h"

#include "core/engine.h"
#include "core/error.h"
#include "core/report.h"
#include "core/version.h"
#include "platform/platform.h"

#include <stdio.h>
#include <string.h>
#ifdef G_OS_UNIX
#include <unistd.h>
#else
#include <io.h> /* isatty */
#endif

typedef struct {
  CliDownloadArgs dl;
  char *answers, *report, *env_scope;
  gboolean silent, dry_run, set_default, download_only, skip_check;
} InstallArgs;

typedef struct {
  CliDownloadJob dl;
  const InstallArgs *a;
  GStrv choices;
  CupEngineResult *result;  /* on success */
  CupEngineResult *partial; /* what a failed install learnt */
  gboolean env_wanted;      /* set the environment (not --env-scope none, a plan for this OS) */
  CupEnvScope env_scope;
  CupEnvChange *env; /* the environment edits made in the install's transaction */
  GError *env_error; /* why they are not all made: the install stands (partial result) */
  GError *error;
} InstallJob;

static void add_install_entries(InstallArgs *a, GArray *entries)
{
  const GOptionEntry table[] = {
      {"silent", 0, 0, G_OPTION_ARG_NONE, &a->silent,
       N_("Never ask: take the answers file or the defaults, log every choice"), NULL},
      {"answers", 0, 0, G_OPTION_ARG_FILENAME, &a->answers,
       N_("Take options from this INI file ([install] keys are the long options)"), "FILE"},
      {"dry-run", 0, 0, G_OPTION_ARG_NONE, &a->dry_run,
       N_("Print the plan and the files it would write; change nothing"), NULL},
      {"report", 0, 0, G_OPTION_ARG_FILENAME, &a->report,
       N_("Write a JSON report of the run (machine, plan, what was done, result) to FILE"), "FILE"},
      {"set-default", 0, 0, G_OPTION_ARG_NONE, &a->set_default,
       N_("Point /usr/local/cuda (the 'cuda' link beside the root) at this toolkit"), NULL},
      {"download-only", 0, 0, G_OPTION_ARG_NONE, &a->download_only,
       N_("Download and verify what the plan needs; install nothing"), NULL},
      {"env-scope", 0, 0, G_OPTION_ARG_STRING, &a->env_scope,
       N_("Make this toolkit the default for new terminals: user, system, or none (default: "
          "system as root, else user)"),
       "SCOPE"},
      {"skip-check", 0, 0, G_OPTION_ARG_NONE, &a->skip_check,
       N_("Do not prove the install (a tree prepared for another machine)"), NULL},
  };
  cli_download_add_entries(&a->dl, entries);
  g_array_append_vals(entries, table, G_N_ELEMENTS(table));
}

static void install_args_clear(InstallArgs *a)
{
  cli_download_args_clear(&a->dl);
  g_clear_pointer(&a->answers, g_free);
  g_clear_pointer(&a->report, g_free);
  g_clear_pointer(&a->env_scope, g_free);
}

/* The engine's environment stage, inside the install's transaction (engine.h). A failure is
 * partial: the install stands and the user gets the line to add by hand. */
static gboolean install_environment(CupTxn *txn, const char *root, gpointer data, GError **error)
{
  InstallJob *j = data;
  (void)error;
  g_autofree char *cuda = cup_major_minor(j->dl.plan->cuda_version);
  j->env = cli_env_apply(j->dl.g, root, cuda, j->env_scope, FALSE, txn, &j->env_error);
  return TRUE;
}

static gpointer install_work(gpointer data)
{
  InstallJob *j = data;
  if (!cli_download_manifests(&j->dl, &j->error))
    return NULL;
  CupEngineOptions eo = {.plan = j->dl.plan,
                         .cache = j->dl.cache,
                         .fetch = &j->dl.opts,
                         .dry_run = j->a->dry_run,
                         .set_default = j->a->set_default,
                         .skip_check = j->a->skip_check,
                         .environment = j->env_wanted ? install_environment : NULL,
                         .environment_data = j,
                         .progress = j->dl.opts.progress,
                         .progress_data = j->dl.opts.progress_data,
                         .cancellable = j->dl.opts.cancellable};
  j->result = cup_engine_install(&eo, &j->partial, &j->error);
  return NULL;
}

/* Without --silent the plan is confirmed once, which only a terminal can do: checked before
 * anything is made on disk. */
static gboolean check_can_ask(const CliGlobals *g, const InstallArgs *a, GError **error)
{
  if (a->silent || a->dry_run || g->json || isatty(fileno(stdin)))
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
              _("nobody to confirm the install (standard input is not a terminal): add --silent to "
                "install without asking, or --dry-run to only look"));
  return FALSE;
}

/* Without --silent: show the plan and ask once. */
static gboolean confirm(const InstallJob *j, GError **error)
{
  cli_plan_print(j->dl.plan);
  printf(_("\nInstall into %s? [y/N] "), j->dl.plan->toolkit_root);
  fflush(stdout);
  char line[16] = "";
  if (fgets(line, sizeof line, stdin) != NULL && (line[0] == 'y' || line[0] == 'Y'))
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_CANCELLED,
              _("not installed: the plan was not confirmed"));
  return FALSE;
}

static void print_proof(const CupCheckResult *check)
{
  for (guint i = 0; check && i < check->items->len; i++) {
    const CupCheckItem *it = g_ptr_array_index(check->items, i);
    printf("  %s %-13s %s\n", it->ok ? "ok  " : "FAIL", it->name, it->detail ? it->detail : "");
  }
}

static void print_dry_run(const CupEngineResult *r)
{
  g_autofree char *names = cup_engine_package_names(r);
  printf(_("\nDry run: nothing was changed. %s into %s%s\n"), names, r->root,
         r->already ? _(" (installed already: nothing would be done)") : "");
  for (guint i = 0; i < r->files->len; i++) {
    const CupEngineFile *f = g_ptr_array_index(r->files, i);
    printf("  %-7s %s/%s\n", f->kind, r->root, f->path);
  }
}

static void print_result(const CupEngineResult *r)
{
  g_autofree char *names = cup_engine_package_names(r);
  if (r->already) {
    printf(_("%s: already installed in %s; nothing to do\n"), names, r->root);
    return;
  }
  guint files = 0;
  for (guint i = 0; i < r->packages->len; i++)
    files += ((CupEnginePackage *)g_ptr_array_index(r->packages, i))->n_files;
  g_autofree char *written = cli_format_size(r->written);
  g_autofree char *got = cli_format_size(r->downloaded);
  printf(_("Installed %s into %s: %u files, %s (downloaded %s) in %.1f s\n"), names, r->root, files,
         written, got, (double)r->ms_total / 1000.0);
  if (r->default_link)
    printf(_("%s now points at %s\n"), r->default_link, r->root);
  print_proof(r->check);
  g_autoptr(GString) undo = g_string_new(NULL);
  for (guint i = 0; i < r->packages->len; i++) {
    const CupEnginePackage *p = g_ptr_array_index(r->packages, i);
    g_autofree char *mm = cup_major_minor(p->version);
    g_string_append_printf(undo, " --%s %s", p->component, mm);
  }
  printf(_("Undo with: cudaup uninstall --prefix %s%s\n"), r->root, undo->str);
}

static void print_notes(const CupEngineResult *r)
{
  if (r && r->recovered)
    fprintf(stderr, "cudaup: %s\n", r->recovered);
  for (guint i = 0; r && i < r->notes->len; i++)
    fprintf(stderr, _("cudaup: note: %s\n"), (char *)g_ptr_array_index(r->notes, i));
}

/* The report, whatever happened after the arguments were accepted. */
static void write_report(const InstallJob *j, GDateTime *started, const GError *error)
{
  if (j->a->report == NULL)
    return;
  const CupEngineResult *done = j->result ? j->result : j->partial;
  g_autoptr(json_t) report = cup_report_build(
      "install", started, j->dl.sys, (const char *const *)j->choices, j->dl.plan, done, error);
  g_autoptr(GError) local = NULL;
  if (!cup_report_write(report, j->a->report, &local))
    fprintf(stderr, _("cudaup: error: %s\n"), local->message);
}

/* The environment is set unless --env-scope none says not to or the plan is for another OS;
 * the scope is decided before anything is downloaded, so a bad one changes nothing. */
static gboolean decide_environment(InstallJob *j, GError **error)
{
  const char *scope = j->a->env_scope;
  if (g_strcmp0(scope, "none") == 0)
    return TRUE;
  if (!cli_env_parse_scope(scope, &j->env_scope, error))
    return FALSE;
  j->env_wanted = TRUE;
  return TRUE;
}

static void environment_outcome(InstallJob *j)
{
  if (j->env_error == NULL || j->error != NULL)
    return;
  const char *root = j->result ? j->result->root : j->dl.plan->toolkit_root;
  g_set_error(&j->error, CUP_ERROR, CUP_ERROR_PARTIAL,
              _("installed into %s, but the environment was not set: %s"), root,
              j->env_error->message);
}

static void print_environment(const InstallJob *j)
{
  if (j->env == NULL || j->error != NULL)
    return;
  printf(_("Environment (%s scope): new terminals find this toolkit\n"),
         cli_env_scope_name(j->env_scope));
  cli_env_print_change(j->env, FALSE);
}

static int finish(CliGlobals *g, InstallJob *j)
{
  const CupEngineResult *r = j->result ? j->result : j->partial;
  print_notes(r);
  if (j->error) {
    if (j->partial && j->partial->check)
      print_proof(j->partial->check);
    return cli_fail(g, j->error);
  }
  if (g->json)
    cli_print_json(cup_engine_result_to_json(r));
  else if (r->dry_run)
    print_dry_run(r);
  else
    print_result(r);
  if (!g->json)
    print_environment(j);
  return j->error ? cli_fail(g, j->error) : 0;
}

static void log_choices(const InstallJob *j)
{
  for (char **c = j->choices; c && *c; c++)
    g_message("install choice: %s", *c);
}

static int run_install(CliGlobals *g, InstallJob *j)
{
  const InstallArgs *a = j->a;
  g_autoptr(GDateTime) started = g_date_time_new_now_utc();
  g_autoptr(CliProgressView) view = cli_download_view(g, &a->dl);
  if (!cli_download_check(&a->dl, &j->error) || !check_can_ask(g, a, &j->error) ||
      !decide_environment(j, &j->error))
    return cli_fail(g, j->error);
  log_choices(j);
  if (cli_download_prepare(&j->dl, view, &j->error) &&
      (a->silent || a->dry_run || g->json || confirm(j, &j->error))) {
    if (a->dry_run && !g->json)
      cli_plan_print(j->dl.plan);
    if (g_strcmp0(j->dl.plan->os, cup_platform_family()) != 0)
      j->env_wanted = FALSE;
    cli_download_run(&j->dl, install_work, j);
    cli_download_explain_cancel(&j->dl, &j->error);
    environment_outcome(j);
  }
  write_report(j, started, j->error);
  return finish(g, j);
}

static const char *const default_texts[] = {
    "cuda",   "the newest that fits",
    "cudnn",  "the newest that fits",
    "prefix", "/usr/local/cuda-X.Y as root, else ~/.local/share/cudaup/cuda-X.Y",
    "cache",  "~/.cache/cudaup",
    "mirror", CUP_DEFAULT_MIRROR,
    NULL};

static int parse_and_run(CliGlobals *g, InstallArgs *a, GArray *entries, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  const GOptionEntry *table = (const GOptionEntry *)(void *)entries->data;
  const char *file = cli_answers_file_arg(table, argc, argv);
  g_autoptr(CliAnswers) answers = cli_answers_merge(file, table, &argc, &argv, &error);
  if (answers == NULL ||
      !cli_parse(g, "install",
                 N_("download, verify and install what the plan needs, then prove it"), NULL, table,
                 &argc, &argv, &error))
    return cli_fail(g, error);
  if (a->download_only)
    return cli_fetch_run(g, &a->dl);
  InstallJob j = {.dl = {.g = g, .a = &a->dl}, .a = a};
  j.choices = cli_answers_describe(answers, table, default_texts);
  int rc = run_install(g, &j);
  g_strfreev(j.choices);
  g_clear_pointer(&j.result, cup_engine_result_free);
  g_clear_pointer(&j.partial, cup_engine_result_free);
  g_clear_pointer(&j.env, cup_env_change_free);
  g_clear_error(&j.env_error);
  g_clear_error(&j.error);
  cli_download_job_clear(&j.dl);
  return rc;
}

int cli_install(CliGlobals *g, int argc, char **argv)
{
  InstallArgs a = {.dl = {.jobs = 4}};
  g_autoptr(GArray) entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
  add_install_entries(&a, entries);
  int rc = parse_and_run(g, &a, entries, argc, argv);
  install_args_clear(&a);
  return rc;
}
