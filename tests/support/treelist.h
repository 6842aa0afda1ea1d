/* treelist.h - a directory tree as text, for tests that compare a tree before and after. */
#pragma once

#include <glib.h>

/**
 * cup_test_tree_listing: every path below @dir, relative and sorted, one per line as
 * "d PATH", "f PATH" or "l PATH" (directory, file, symlink; symlinks are not followed).
 * "" for an empty or absent directory. Newly allocated.
 */
char *cup_test_tree_listing(const char *dir);

/**
 * cup_test_tree_snapshot: as cup_test_tree_listing, with each directory's and file's mode, each
 * file's SHA-256 and each symlink's target ("f 0644 PATH SHA256", "l PATH -> TARGET",
 * "d 0755 PATH"): equal snapshots mean byte-identical trees. Newly allocated.
 */
char *cup_test_tree_snapshot(const char *dir);
