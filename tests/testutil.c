/* testutil.c - helpers shared by the GTest programs. */
#include "tests/testutil.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *cup_test_fixture(const char *relative)
{
  return g_build_filename(CUP_TEST_FIXTURES, relative, NULL);
}

char *cup_test_read_fixture(const char *relative, gsize *length)
{
  g_autofree char *path = cup_test_fixture(relative);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  g_file_get_contents(path, &contents, length, &error);
  g_assert_no_error(error);
  return contents;
}

char *cup_test_make_root(void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("cudaup-test-XXXXXX", &error);
  g_assert_no_error(error);
  return dir;
}

void cup_test_write(const char *root, const char *relative, const char *contents)
{
  g_autofree char *path = g_build_filename(root, relative, NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  g_autoptr(GError) error = NULL;
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_file_set_contents(path, contents, -1, &error);
  g_assert_no_error(error);
}

void cup_test_symlink(const char *root, const char *relative, const char *target)
{
  g_autofree char *path = g_build_filename(root, relative, NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_assert_cmpint(symlink(target, path), ==, 0);
}

static void remove_recursive(GFile *file)
{
  /* Never descend through a symlink: fixture roots link to real trees like /usr/local/cuda. */
  if (g_file_query_file_type(file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) !=
      G_FILE_TYPE_DIRECTORY) {
    g_file_delete(file, NULL, NULL);
    return;
  }
  g_autoptr(GFileEnumerator) en = g_file_enumerate_children(
      file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (en != NULL) {
    GFileInfo *info;
    while ((info = g_file_enumerator_next_file(en, NULL, NULL)) != NULL) {
      g_autoptr(GFile) child = g_file_get_child(file, g_file_info_get_name(info));
      remove_recursive(child);
      g_object_unref(info);
    }
  }
  g_file_delete(file, NULL, NULL);
}

void cup_test_remove_tree(const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path(path);
  remove_recursive(file);
}

gint cup_test_compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

CupTestRun cup_test_run(const char *const *argv, const char *const *envp)
{
  CupTestRun r = {0};
  int wait = 0;
  g_autoptr(GError) error = NULL;
  g_spawn_sync(NULL, (char **)argv, (char **)envp, G_SPAWN_DEFAULT, NULL, NULL, &r.out, &r.err,
               &wait, &error);
  g_assert_no_error(error);
  r.status = WIFEXITED(wait) ? WEXITSTATUS(wait) : 128 + WTERMSIG(wait);
  g_test_message("%s: exit %d\nstdout: %s\nstderr: %s", argv[0], r.status, r.out, r.err);
  return r;
}

void cup_test_run_clear(CupTestRun *run)
{
  g_clear_pointer(&run->out, g_free);
  g_clear_pointer(&run->err, g_free);
}
