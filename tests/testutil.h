/* testutil.h - helpers shared by the GTest programs. */
#pragma once

#include <glib.h>

/** cup_test_fixture: CUP_TEST_FIXTURES/@relative; newly allocated. */
char *cup_test_fixture(const char *relative);

/** cup_test_read_fixture: the bytes of a fixture file (asserts that it exists). */
char *cup_test_read_fixture(const char *relative, gsize *length);

/**
 * cup_test_make_root: a fresh temporary directory for a fixture root, removed by
 * cup_test_remove_tree. Returns a newly allocated path.
 */
char *cup_test_make_root(void);

/** cup_test_write: write @contents to @root/@relative, creating parent directories. */
void cup_test_write(const char *root, const char *relative, const char *contents);

/** cup_test_symlink: make @root/@relative a symlink to @target. */
void cup_test_symlink(const char *root, const char *relative, const char *target);

/** cup_test_remove_tree: rm -rf @path. */
void cup_test_remove_tree(const char *path);

/** cup_test_compare_strings: a GCompareFunc for g_ptr_array_sort over char* elements. */
gint cup_test_compare_strings(gconstpointer a, gconstpointer b);

/* What a program run to its end printed and how it ended. */
typedef struct {
  int status; /* the exit code, or 128 + the signal that killed it */
  char *out, *err;
} CupTestRun;

/**
 * cup_test_run: run @argv (NULL-terminated) with the environment @envp (NULL: ours) to its end,
 * capturing stdout and stderr (logged as a test message). Asserts it could be started.
 */
CupTestRun cup_test_run(const char *const *argv, const char *const *envp);
void cup_test_run_clear(CupTestRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CupTestRun, cup_test_run_clear)
