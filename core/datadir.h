/* datadir.h - where cudaup's own data (manifests/) lives. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * cup_manifests_dir: the manifests/ directory to read: @override (--catalog DIR) when given;
 * else PREFIX/share/cudaup/manifests next to the running executable (an installed cudaup);
 * else the source tree's manifests/ (running from a build directory); else the configured
 * install location. Returns a newly allocated path (which may not exist: callers report a
 * missing file with CUP_ERROR_CATALOG).
 */
char *cup_manifests_dir(const char *override);

G_END_DECLS
