/* env_apply.h - the environment of the default toolkit for `cudaup env` and `cudaup install`:
 * core/envset and core/winpath decide what a toolkit needs; the platform's store writes it
 * (Linux: profile files, platform/linux/profile.h, in env_apply.c; Windows: the registry,
 * platform/windows/envstore.h and envdefault.h, in env_apply_win32.c). */
#pragma once

#include "cli/cli.h"

#include "core/envset.h"
#include "core/txn.h"

#ifdef G_OS_WIN32
#include "platform/windows/envdefault.h"

typedef struct {
  CupEnvScope scope;
  char *cuda;             /* the default toolkit's CUDA X.Y; NULL when none is set */
  char *toolkit_root;     /* its root; NULL likewise */
  CupWinEnvDefault *kept; /* what cudaup keeps about it in the registry */
} CupEnvState;
typedef CupWinEnvSwitch CupEnvChange;
/** cli_env_state_free: free @state (Windows); NULL is ignored. */
void cli_env_state_free(CupEnvState *state);
#define cup_env_state_free cli_env_state_free
#define cup_env_change_free cup_winenv_switch_free
#else
#include "platform/linux/profile.h"

typedef CupProfileState CupEnvState;
typedef CupProfileFile CupEnvFile;
typedef CupProfileReport CupEnvChange;
#define cup_env_state_free cup_profile_state_free
#define cup_env_change_free cup_profile_report_free
#endif
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupEnvState, cup_env_state_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupEnvChange, cup_env_change_free)

/** cli_env_scope_name: "user" or "system" (static). */
const char *cli_env_scope_name(CupEnvScope scope);

/**
 * cli_env_parse_scope: "user" or "system"; NULL gives system as root (Windows: an elevated
 * administrator), user otherwise, as `cudaup install` chooses its default root. Errors:
 * CUP_ERROR_USAGE.
 */
gboolean cli_env_parse_scope(const char *text, CupEnvScope *scope, GError **error);

/** cli_env_show: what @scope has now (see cup_profile_show; Windows: the kept default). */
CupEnvState *cli_env_show(const CliGlobals *g, CupEnvScope scope, GError **error);

/** cli_env_print_state: `cudaup env show`'s lines for @state (reads the registry on Windows). */
void cli_env_print_state(const CupEnvState *state);

/**
 * cli_env_apply: make the toolkit of CUDA @cuda ("X.Y") at @root the default at @scope (with
 * @dry_run, only compute the edits). With @txn (an install's transaction), every change is
 * journaled in it first (cup_txn_journal_outside), so its rollback undoes them. Returns the edits
 * made (also when @error is set: a partial result), or NULL when nothing could be decided. Errors:
 * cup_envset_spec_new's, and cup_profile_apply's (CUP_ERROR_PARTIAL names the line to add by
 * hand); on Windows cup_winenv_default_set's (CUP_ERROR_PERMISSION: system scope without
 * administrator rights).
 */
CupEnvChange *cli_env_apply(const CliGlobals *g, const char *root, const char *cuda,
                            CupEnvScope scope, gboolean dry_run, CupTxn *txn, GError **error);

/** cli_env_remove: take cudaup's edits of @scope away (see cup_profile_remove and
 * cup_winenv_default_clear). */
CupEnvChange *cli_env_remove(const CliGlobals *g, CupEnvScope scope, gboolean dry_run,
                             GError **error);

/** cli_env_print_change: one line per file (Windows: registry value) changed, or with @dry_run
 * the exact edits. */
void cli_env_print_change(const CupEnvChange *change, gboolean dry_run);
