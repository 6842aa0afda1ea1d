/* env_apply.c - the environment of the default toolkit (env_apply.h). */
#include "core/i18n.h"
#include "cli/env_apply.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>
#ifdef G_OS_UNIX
#include <unistd.h>
#else
#include "platform/windows/envstore.h"
#endif

const char *cli_env_scope_name(CupEnvScope scope)
{
  return scope == CUP_ENV_SCOPE_SYSTEM ? "system" : "user";
}

gboolean cli_env_parse_scope(const char *text, CupEnvScope *scope, GError **error)
{
  if (text == NULL) {
#ifdef G_OS_UNIX
    *scope = geteuid() == 0 ? CUP_ENV_SCOPE_SYSTEM : CUP_ENV_SCOPE_USER;
#else
    *scope = cup_winenv_is_administrator() ? CUP_ENV_SCOPE_SYSTEM : CUP_ENV_SCOPE_USER;
#endif
    return TRUE;
  }
  if (strcmp(text, "user") == 0 || strcmp(text, "system") == 0) {
    *scope = strcmp(text, "user") == 0 ? CUP_ENV_SCOPE_USER : CUP_ENV_SCOPE_SYSTEM;
    return TRUE;
  }
  g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE, _("--scope %s: say user or system"), text);
  return FALSE;
}

#ifndef G_OS_WIN32 /* Windows: env_apply_win32.c */

/* HOME, XDG_CONFIG_HOME and SHELL as GLib reads them (tests point them at temp dirs). */
static CupProfileOptions options(const CliGlobals *g, gboolean dry_run)
{
  return (CupProfileOptions){.home = g_get_home_dir(),
                             .config_home = g_get_user_config_dir(),
                             .shell = g_getenv("SHELL"),
                             .root = g->root,
                             .dry_run = dry_run};
}

CupEnvState *cli_env_show(const CliGlobals *g, CupEnvScope scope, GError **error)
{
  CupProfileOptions o = options(g, FALSE);
  return cup_profile_show(scope, &o, error);
}

void cli_env_print_state(const CupEnvState *state)
{
  printf(_("Default CUDA (%s scope): "), cli_env_scope_name(state->scope));
  if (state->cuda)
    printf(_("%s at %s\n"), state->cuda, state->toolkit_root);
  else
    printf(_("none set by cudaup\n"));
  for (guint i = 0; i < state->files->len; i++) {
    const CupEnvFile *f = g_ptr_array_index(state->files, i);
    printf("  %-40s %s\n", f->path,
           f->problem   ? f->problem
           : !f->exists ? _("absent")
           : f->ours    ? _("set by cudaup")
                        : _("not touched"));
  }
  g_autofree char *nvcc = g_find_program_in_path("nvcc");
  printf(_("This shell: %s%s (a new terminal reads the files above)\n"),
         nvcc ? _("nvcc is ") : _("no nvcc on PATH"), nvcc ? nvcc : "");
}

static gboolean journal_outside(CupTxnOutside kind, const char *path, gpointer txn, GError **error)
{
  return cup_txn_journal_outside(txn, kind, path, error);
}

CupEnvChange *cli_env_apply(const CliGlobals *g, const char *root, const char *cuda,
                            CupEnvScope scope, gboolean dry_run, CupTxn *txn, GError **error)
{
  g_autoptr(CupEnvSpec) spec = cup_envset_spec_new("linux", root, cuda, scope, error);
  if (spec == NULL)
    return NULL;
  CupProfileOptions o = options(g, dry_run);
  if (txn != NULL) {
    o.journal = journal_outside;
    o.journal_data = txn;
  }
  CupProfileReport *report = NULL;
  cup_profile_apply(spec, &o, &report, error);
  return report;
}

CupEnvChange *cli_env_remove(const CliGlobals *g, CupEnvScope scope, gboolean dry_run,
                             GError **error)
{
  CupProfileOptions o = options(g, dry_run);
  CupProfileReport *report = NULL;
  cup_profile_remove(scope, &o, &report, error);
  return report;
}

void cli_env_print_change(const CupEnvChange *change, gboolean dry_run)
{
  if (dry_run) {
    g_autofree char *diff = cup_profile_report_diff(change);
    fputs(*diff ? diff : _("nothing to change\n"), stdout);
    return;
  }
  guint n = 0;
  for (guint i = 0; i < change->edits->len; i++) {
    const CupProfileEdit *e = g_ptr_array_index(change->edits, i);
    if (!e->done)
      continue;
    n++;
    printf("  %s %s\n",
           e->new_content == NULL   ? _("removed ")
           : e->old_content == NULL ? _("created ")
                                    : _("updated "),
           e->path);
  }
  if (change->ldconfig)
    printf(_("  ran ldconfig\n"));
  if (n == 0 && !change->ldconfig)
    printf(_("  nothing to change: already so\n"));
}
#endif /* !G_OS_WIN32 */
