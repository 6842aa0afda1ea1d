/* cli.h - shared state of the cudaup command line: global options and error output. */
#pragma once

#include <glib.h>

typedef struct {
  char *root;
  char *catalog;
  char *log;
  gboolean verbose;
  gboolean no_color;
  gboolean json;
} CliGlobals;

/** cli_global_entries: the options every command accepts (--root, --catalog, --log, ...). */
const GOptionEntry *cli_global_entries(CliGlobals *globals);

/**
 * cli_fail: report @error as one line on stderr ("cudaup: error: ...") or, with --json, as the
 * stable {"error":{"code","message"}} object on stdout. Returns the exit code for @error.
 */
int cli_fail(const CliGlobals *globals, const GError *error);

/**
 * cli_parse: parse @argv (the command's own arguments) with the command's @entries plus the
 * global ones. @summary is shown by --help; @positional names the arguments that may follow
 * (NULL: none). Returns FALSE with CUP_ERROR_USAGE on a bad option or an extra argument.
 */
gboolean cli_parse(CliGlobals *globals, const char *command, const char *summary,
                   const char *positional, const GOptionEntry *entries, int *argc, char ***argv,
                   GError **error);

/** cli_detect: `cudaup detect`. Returns the exit code. */
int cli_detect(CliGlobals *globals, int argc, char **argv);
/** cli_plan: `cudaup plan`. Returns the exit code. */
int cli_plan(CliGlobals *globals, int argc, char **argv);
/** cli_fetch: `cudaup fetch`: download what the plan needs into the cache. Returns the exit code.
 */
int cli_fetch(CliGlobals *globals, int argc, char **argv);
/** cli_install: `cudaup install`. Returns the exit code. */
int cli_install(CliGlobals *globals, int argc, char **argv);
/** cli_uninstall: `cudaup uninstall`. Returns the exit code. */
int cli_uninstall(CliGlobals *globals, int argc, char **argv);
/** cli_env: `cudaup env show|apply|remove`. Returns the exit code. */
int cli_env(CliGlobals *globals, int argc, char **argv);
/** cli_list: `cudaup list gpus|cuda|cudnn|drivers|frameworks`. Returns the exit code. */
int cli_list(CliGlobals *globals, int argc, char **argv);
/** cli_verify: `cudaup verify`: prove that a toolkit works here. Returns the exit code. */
int cli_verify(CliGlobals *globals, int argc, char **argv);
/** cli_doctor: `cudaup doctor`: why the GPU is not used, and the fix. Returns the exit code. */
int cli_doctor(CliGlobals *globals, int argc, char **argv);
