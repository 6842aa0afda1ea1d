/* env_apply_win32.c - the environment of the default toolkit on Windows (env_apply.h): the
 * registry through platform/windows/envdefault.h (which toolkit is the default, and what
 * making it so changed) and envstore.h (the variables). Built on Windows only. */
#include "cli/env_apply.h"

#include "core/error.h"
#include "core/i18n.h"
#include "platform/windows/envstore.h"

#include <stdio.h>
#include <string.h>

static CupWinEnvScope win_scope(CupEnvScope scope)
{
  return scope == CUP_ENV_SCOPE_SYSTEM ? CUP_WINENV_SYSTEM : CUP_WINENV_USER;
}

void cli_env_state_free(CupEnvState *state)
{
  if (state == NULL)
    return;
  g_free(state->cuda);
  g_free(state->toolkit_root);
  cup_winenv_default_free(state->kept);
  g_free(state);
}

CupEnvState *cli_env_show(const CliGlobals *g, CupEnvScope scope, GError **error)
{
  (void)g;
  CupWinEnvDefault *kept = cup_winenv_default_load(win_scope(scope), error);
  if (kept == NULL)
    return NULL;
  CupEnvState *state = g_new0(CupEnvState, 1);
  state->scope = scope;
  state->cuda = g_strdup(kept->cuda);
  state->toolkit_root = g_strdup(kept->root);
  state->kept = kept;
  return state;
}

static const char *type_name(CupWinRegType type)
{
  return type == CUP_WINREG_EXPAND_SZ ? "REG_EXPAND_SZ"
         : type == CUP_WINREG_SZ      ? "REG_SZ"
         : type == CUP_WINREG_NONE    ? _("absent")
                                      : _("not a string");
}

/* One line for variable @name as the registry has it now, and whether cudaup's value is it. */
static void print_value(CupWinEnvScope scope, const char *name, const CupWinEnvRecord *record)
{
  CupWinRegType type;
  g_autofree char *value = NULL;
  g_autoptr(GError) error = NULL;
  if (!cup_winenv_read(scope, name, &type, &value, &error)) {
    printf("    %-18s %s\n", name, error->message);
    return;
  }
  gboolean ours = FALSE;
  for (guint i = 0; record && value && i < record->changes->len; i++) {
    const CupWinEnvChange *c = g_ptr_array_index(record->changes, i);
    ours = ours || (c->kind == CUP_WINENV_SET_VALUE && strcmp(c->name, name) == 0 &&
                    strcmp(c->value, value) == 0);
  }
  printf("    %-18s %-13s %s%s\n", name, type_name(type), value ? value : "",
         ours ? _("  (set by cudaup)") : "");
}

/* The Path entries cudaup added, each with whether Path still has it. */
static void print_entries(CupWinEnvScope scope, const CupWinEnvRecord *record)
{
  CupWinRegType type;
  g_autofree char *path = NULL;
  if (record == NULL || !cup_winenv_read(scope, "Path", &type, &path, NULL))
    return;
  for (guint i = 0; i < record->changes->len; i++) {
    const CupWinEnvChange *c = g_ptr_array_index(record->changes, i);
    if (c->kind == CUP_WINENV_ADD_ENTRY)
      printf("    Path %-13s %-13s %s\n",
             cup_winpath_contains(path, c->value) ? _("has") : _("lacks"), type_name(type),
             c->value);
  }
}

void cli_env_print_state(const CupEnvState *state)
{
  CupWinEnvScope scope = win_scope(state->scope);
  printf(_("Default CUDA (%s scope): "), cli_env_scope_name(state->scope));
  if (state->cuda)
    printf(_("%s at %s\n"), state->cuda, state->toolkit_root);
  else
    fputs(_("none set by cudaup\n"), stdout);
  printf("  %s\n", cup_winenv_scope_key(scope));
  const CupWinEnvRecord *record = state->kept->record;
  print_value(scope, "CUDA_PATH", record);
  if (state->cuda != NULL) {
    g_autofree char *versioned = g_strdup_printf("CUDA_PATH_V%s", state->cuda);
    g_strdelimit(versioned, ".", '_');
    print_value(scope, versioned, record);
  }
  print_entries(scope, record);
  const char *cuda_path = g_getenv("CUDA_PATH");
  printf(_("This program: CUDA_PATH is %s (a new terminal reads the registry)\n"),
         cuda_path ? cuda_path : _("not set"));
}

CupEnvChange *cli_env_apply(const CliGlobals *g, const char *root, const char *cuda,
                            CupEnvScope scope, gboolean dry_run, CupTxn *txn, GError **error)
{
  (void)g;
  /* In an install, the registry as it is now goes into the journal first: a rollback or the
   * recovery after a crash writes it back (core/txn.h, "winenv"). */
  if (txn != NULL && !dry_run) {
    g_autofree char *snapshot = cup_winenv_snapshot_take(win_scope(scope), error);
    if (snapshot == NULL || !cup_txn_journal_registry(txn, snapshot, error))
      return NULL;
  }
  return cup_winenv_default_set(win_scope(scope), root, cuda, dry_run, error);
}

CupEnvChange *cli_env_remove(const CliGlobals *g, CupEnvScope scope, gboolean dry_run,
                             GError **error)
{
  (void)g;
  return cup_winenv_default_clear(win_scope(scope), dry_run, error);
}

/* The lines of @record's changes, undone (taken back) or made. */
static guint print_record(const CupWinEnvRecord *record, gboolean undone, gboolean dry_run)
{
  const char *key = cup_winenv_scope_key(record->scope);
  guint n = record->changes->len;
  for (guint k = 0; k < n; k++) {
    const CupWinEnvChange *c = g_ptr_array_index(record->changes, undone ? n - 1 - k : k);
    const char *verb;
    const char *value = c->value;
    if (c->kind == CUP_WINENV_ADD_ENTRY)
      verb = undone ? (dry_run ? _("would take out of") : _("took out of"))
                    : (dry_run ? _("would add to") : _("added to"));
    else if (!undone)
      verb = dry_run ? _("would set") : _("set");
    else if (c->old_type == CUP_WINREG_NONE)
      verb = dry_run ? _("would delete") : _("deleted"), value = NULL;
    else
      verb = dry_run ? _("would restore") : _("restored"), value = c->old_value;
    if (c->kind == CUP_WINENV_ADD_ENTRY)
      printf("  %s %s\\Path: %s\n", verb, key, value);
    else
      printf("  %s %s\\%s%s%s\n", verb, key, c->name, value ? " = " : "", value ? value : "");
  }
  return n;
}

void cli_env_print_change(const CupEnvChange *change, gboolean dry_run)
{
  guint n = 0;
  if (change->undone != NULL) {
    printf(_("  the previous default %s:\n"), change->old_root);
    n += print_record(change->undone, TRUE, dry_run);
  }
  if (change->made != NULL)
    n += print_record(change->made, FALSE, dry_run);
  for (guint i = 0; i < change->warnings->len; i++)
    fprintf(stderr, _("cudaup: warning: %s\n"), (const char *)change->warnings->pdata[i]);
  if (n == 0)
    fputs(dry_run ? _("nothing to change\n") : _("  nothing to change: already so\n"), stdout);
}
