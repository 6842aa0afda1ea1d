/* txnscene.h - scenes for the core/txn tests: a toolkit tree as NVIDIA's installer leaves it,
 * a cuDNN package staged as core/extract would stage it, and a snapshot of a root to compare
 * before and after (every path with each file's sha256 and each symlink's target). */
#pragma once

#include "core/txn.h"

#include <glib.h>

#define CUP_TEST_TXN_NAME "cudnn-9.19"
#define CUP_TEST_TXN_WHAT "install of " CUP_TEST_TXN_NAME

/* NULL-terminated; the one archive of cup_test_txn_package. */
extern const char *const cup_test_txn_archives[];
/* cuDNN 9.19.0.56 recorded as CUP_TEST_TXN_NAME. */
extern const CupTxnPackage cup_test_txn_package;

/**
 * cup_test_txn_nvidia_tree: fill @root as NVIDIA's installer would: bin/nvcc, include/ (with a
 * cudnn.h copied in by hand and a same.h identical to the package's), targets/x86_64-linux/lib
 * with an old libcudnn.so symlink, and lib64 -> targets/x86_64-linux/lib.
 */
void cup_test_txn_nvidia_tree(const char *root);

/** cup_test_txn_nvidia_root: a fresh temporary root holding cup_test_txn_nvidia_tree. */
char *cup_test_txn_nvidia_root(void);

/** cup_test_txn_stage_file: write @text to @staging/@path; its entry (newly allocated). */
CupTxnEntry *cup_test_txn_stage_file(const char *staging, const char *path, const char *text);

/** cup_test_txn_stage_link: make @staging/@path a symlink to @target; its entry. */
CupTxnEntry *cup_test_txn_stage_link(const char *staging, const char *path, const char *target);

/** cup_test_txn_dir_entry: the entry of the directory @path (mode 0755). */
CupTxnEntry *cup_test_txn_dir_entry(const char *path);

/**
 * cup_test_txn_stage_cudnn: stage the package into @staging: include/{cudnn.h, same.h,
 * cudnn_version.h (holding @version_h)}, lib64/libcudnn.so.9.19.0 with its symlinks .so.9 and
 * .so, share/doc/cudnn/LICENSE, and the entries of their directories. Returns the entries.
 */
GPtrArray *cup_test_txn_stage_cudnn(const char *staging, const char *version_h);

/** cup_test_txn_install_version: install the package into @root in one transaction. */
gboolean cup_test_txn_install_version(const char *root, const char *version_h, GError **error);

/** cup_test_txn_install: install the package (asserts success). */
void cup_test_txn_install(const char *root);

/**
 * cup_test_txn_snapshot: one sorted line per path below @root but .cudaup/ ("d PATH MODE",
 * "f PATH SHA256 MODE", "l PATH -> TARGET"), then "record NAME" per install record.
 */
char *cup_test_txn_snapshot(const char *root);

/** cup_test_txn_installed_snapshot: the snapshot of a fresh root (NVIDIA's tree or empty)
 * after installing the package. */
char *cup_test_txn_installed_snapshot(gboolean nvidia);

/** cup_test_txn_read_text: the contents of @root/@rel (asserts that it can be read). */
char *cup_test_txn_read_text(const char *root, const char *rel);

/** cup_test_txn_exists: whether @root/@rel exists (a dangling symlink counts). */
gboolean cup_test_txn_exists(const char *root, const char *rel);

/**
 * cup_test_txn_assert_settled: nothing of a transaction is left in @root: no journal, no
 * staging, and exactly @n_kept saved originals.
 */
void cup_test_txn_assert_settled(const char *root, guint n_kept);

/** cup_test_txn_assert_lock_free: another open file can take @root's lock at once. */
void cup_test_txn_assert_lock_free(const char *root);
