/* env_apply.h - the environment of the default toolkit for `cudaup env` and `cudaup install`:
 * core/envset decides what a toolkit needs; the platform's store writes it (Linux: profile
 * files, platform/linux/profile.h). */
#pragma once

#include "cli/cli.h"

#include "core/envset.h"
#include "platform/linux/profile.h"

typedef CupProfileState CupEnvState;
typedef CupProfileFile CupEnvFile;
typedef CupProfileReport CupEnvChange;
#define cup_env_state_free cup_profile_state_free
#define cup_env_change_free cup_profile_report_free
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupEnvState, cup_env_state_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupEnvChange, cup_env_change_free)

/** cli_env_scope_name: "user" or "system" (static). */
const char *cli_env_scope_name(CupEnvScope scope);

/**
 * cli_env_parse_scope: "user" or "system"; NULL gives system as root (administrator), user
 * otherwise, as `cudaup install` chooses its default root. Errors: CUP_ERROR_USAGE.
 */
gboolean cli_env_parse_scope(const char *text, CupEnvScope *scope, GError **error);

/** cli_env_show: what @scope has now (see cup_profile_show). */
CupEnvState *cli_env_show(const CliGlobals *g, CupEnvScope scope, GError **error);

/**
 * cli_env_apply: make the toolkit of CUDA @cuda ("X.Y") at @root the default at @scope (with
 * @dry_run, only compute the edits). With @txn (an install's transaction), every change is
 * journaled in it first (cup_txn_journal_outside), so its rollback undoes them. Returns the edits
 * made (also when @error is set: a partial result), or NULL when nothing could be decided. Errors:
 * cup_envset_spec_new's, and cup_profile_apply's (CUP_ERROR_PARTIAL names the line to add by hand).
 */
CupEnvChange *cli_env_apply(const CliGlobals *g, const char *root, const char *cuda,
                            CupEnvScope scope, gboolean dry_run, CupTxn *txn, GError **error);

/** cli_env_remove: take cudaup's edits of @scope away (see cup_profile_remove). */
CupEnvChange *cli_env_remove(const CliGlobals *g, CupEnvScope scope, gboolean dry_run,
                             GError **error);

/** cli_env_print_change: one line per file changed, or with @dry_run the exact edits. */
void cli_env_print_change(const CupEnvChange *change, gboolean dry_run);
