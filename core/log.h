/* log.h - structured logging (GLib's g_log_structured) to a log file and, with --verbose, to
 * stderr.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * cup_log_default_path: the log file used when --log is not given:
 * $XDG_STATE_HOME/cudaup/cudaup.log (g_get_user_state_dir) on Linux, %LOCALAPPDATA%\cudaup\
 * cudaup.log on Windows. Returns a newly allocated path.
 */
char *cup_log_default_path(void);

/**
 * cup_log_setup: install the log writer. Every message at any level is appended to @path
 * (NULL: cup_log_default_path(); parent directories are created) as one line
 * "TIME LEVEL DOMAIN: MESSAGE"; with @verbose, messages also go to stderr. May be called once
 * per process (GLib allows one writer).
 * When @path was given explicitly and cannot be opened, fails with CUP_ERROR_IO naming the
 * file. When the default log cannot be opened, logging to the file is silently skipped: a
 * read-only home must not stop `cudaup detect`.
 */
gboolean cup_log_setup(const char *path, gboolean verbose, GError **error);

/** cup_log_path: the log file in use, or NULL when none is open. */
const char *cup_log_path(void);

G_END_DECLS
