/* wzanswers.h - "Save answers…": the wizard's choices written as an answers file for
 * `cudaup install --silent --answers FILE` (cli/answers.h has the format), so one laptop set
 * up by hand can be replayed on thirty; and `cudaup-wizard --silent`, which runs that same
 * unattended install through the cudaup command without opening a display. No GTK.
 */
#pragma once

#include "wizard/wzmodel.h"

G_BEGIN_DECLS

/**
 * wz_answers_text: the answers file for @c: a comment naming how to replay it, then the
 * [install] group with one key per choice given (framework with its version, python, cuda,
 * cudnn, with-toolkit for CUDA development, prefix made absolute, user and env-scope from the
 * scope, mirror, offline). Choices left at "the newest that fits" are left out, so a replay
 * on another laptop plans for that laptop. @is_admin as for wz_choices_to_request. Returns a
 * newly allocated UTF-8 text.
 */
char *wz_answers_text(const WzChoices *c, gboolean is_admin);

/**
 * wz_answers_save: write wz_answers_text() to @file atomically (a temporary file renamed over
 * it: a crash leaves the old file or the new one). Errors: CUP_ERROR_USAGE for a value an
 * answers file cannot hold (a line break, a path starting with '~' that cannot be expanded);
 * CUP_ERROR_IO naming the file when it cannot be written.
 */
gboolean wz_answers_save(const WzChoices *c, gboolean is_admin, const char *file, GError **error);

/**
 * wz_silent_argv: the command line `cudaup-wizard --silent` runs: the cudaup program (@cli,
 * see wz_silent_cli_path), then @globals (the wizard's --root/--catalog as "--root=DIR"..., may
 * be NULL), then "install --silent", then "--answers=FILE" when @answers is given. Returns a
 * new GStrv.
 */
GStrv wz_silent_argv(const char *cli, const char *const *globals, const char *answers);

/**
 * wz_silent_cli_path: the cudaup program to run: $CUDAUP_CLI when set, else the cudaup beside
 * the running cudaup-wizard (PREFIX/bin), else the first in PATH. Newly allocated; NULL with
 * CUP_ERROR_NOT_FOUND ("install the cudaup package, or set CUDAUP_CLI") when there is none.
 */
char *wz_silent_cli_path(GError **error);

/**
 * wz_silent_run: run @argv (wz_silent_argv) with this process's stdin, stdout and stderr, and
 * return its exit status, so `cudaup-wizard --silent` exits as `cudaup install --silent` would
 * (the exit codes of core/error.h). A program that cannot be started returns
 * the exit code of CUP_ERROR_NOT_FOUND after printing one line naming it.
 */
int wz_silent_run(const char *const *argv);

G_END_DECLS
