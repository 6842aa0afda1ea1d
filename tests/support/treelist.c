/* treelist.c - a directory tree as text; see treelist.h. */
#include "tests/support/treelist.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static char *describe(const char *path, const char *rel, const struct stat *st, gboolean detail)
{
  unsigned mode = (unsigned)(st->st_mode & 07777);
  if (S_ISLNK(st->st_mode)) {
    g_autofree char *target = detail ? g_file_read_link(path, NULL) : NULL;
    return detail ? g_strdup_printf("l %s -> %s", rel, target) : g_strdup_printf("l %s", rel);
  }
  if (S_ISDIR(st->st_mode))
    return detail ? g_strdup_printf("d %04o %s", mode, rel) : g_strdup_printf("d %s", rel);
  if (!detail)
    return g_strdup_printf("f %s", rel);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);
  return g_strdup_printf("f %04o %s %s", mode, rel, sha);
}

static void walk(const char *dir, const char *rel, gboolean detail, GPtrArray *out)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *r = *rel ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
    struct stat st;
    g_assert_cmpint(lstat(path, &st), ==, 0);
    g_ptr_array_add(out, describe(path, r, &st, detail));
    if (S_ISDIR(st.st_mode))
      walk(path, r, detail, out);
  }
}

static char *listing(const char *dir, gboolean detail)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  walk(dir, "", detail, out);
  g_ptr_array_sort(out, cup_test_compare_strings);
  g_ptr_array_add(out, NULL);
  return g_strjoinv("\n", (char **)out->pdata);
}

char *cup_test_tree_listing(const char *dir)
{
  return listing(dir, FALSE);
}

char *cup_test_tree_snapshot(const char *dir)
{
  return listing(dir, TRUE);
}
