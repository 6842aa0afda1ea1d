/* paths.h - system paths under a settable root (`--root DIR`), so that detection and the
 * platform backends run against fixture trees in tests.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * cup_root_join: @path (absolute, e.g. "/sys/bus/pci/devices") under @root. A NULL, empty or
 * "/" root returns a copy of @path. Returns a newly allocated string.
 */
char *cup_root_join(const char *root, const char *path);

/**
 * cup_root_strip: the inverse of cup_root_join: @path with the @root prefix removed, so that
 * paths shown to the user are the ones the real system would have. Paths outside @root are
 * returned unchanged. Returns a newly allocated string.
 */
char *cup_root_strip(const char *root, const char *path);

/**
 * cup_root_realpath: resolve every symlink of @path (a system path, root-relative) inside
 * @root, the way the system would see it: absolute link targets are taken relative to @root.
 * Returns the canonical system path (without @root), newly allocated, or NULL when a component
 * does not exist or the links loop.
 */
char *cup_root_realpath(const char *root, const char *path);

/**
 * cup_root_host_path: the file to open for the system path @sys_path: every link resolved
 * inside @root (cup_root_realpath), then joined onto it, so that absolute links of a fixture
 * tree stay inside the fixture. Returns a newly allocated path, or NULL when it does not exist.
 */
char *cup_root_host_path(const char *root, const char *sys_path);

/**
 * cup_read_small_file: read at most @max_bytes of a file into a NUL-terminated string.
 * Files of pseudo file systems (sysfs, procfs, efivars) report size 0, which is why this reads
 * until EOF instead of trusting stat. Longer files fail with CUP_ERROR_PARSE; other failures
 * set a G_FILE_ERROR. Error messages say why without naming @path: under --root the caller
 * names the system path the user knows. Returns the contents (newly allocated) and their
 * length in @length.
 */
char *cup_read_small_file(const char *path, gsize max_bytes, gsize *length, GError **error);

/**
 * cup_remove_tree: remove @path and, when it is a directory, everything below it, without
 * following symlinks. Best effort: what cannot be removed stays (nothing is reported).
 */
void cup_remove_tree(const char *path);

G_END_DECLS
