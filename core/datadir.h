/* datadir.h - where cudaup's own data (manifests/) lives. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * cup_exe_prefix: the prefix the running executable is installed in (PREFIX for
 * PREFIX/bin/cudaup; on Windows the folder above bin\), where its share/ is looked for. Newly
 * allocated, not canonical ("…/bin/.."); NULL when it cannot be told.
 */
char *cup_exe_prefix(void);

/**
 * cup_manifests_dir: the manifests/ directory to read: @override (--catalog DIR) when given;
 * else PREFIX/share/cudaup/manifests next to the running executable (an installed cudaup);
 * else the source tree's manifests/ (running from a build directory); else the configured
 * install location. Returns a newly allocated path (which may not exist: callers report a
 * missing file with CUP_ERROR_CATALOG).
 */
char *cup_manifests_dir(const char *override);

G_END_DECLS
