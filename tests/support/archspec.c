/* archspec.c - archives written from a table of entries (see archspec.h). */
#include "tests/support/archspec.h"

#include <string.h>
#include <sys/sysmacros.h>

/* A fixed mtime keeps the bytes of an archive the same from one run to the next. */
#define SPEC_MTIME 1700000000
#define ZERO_BLOCK (64 * 1024)

const CupTestSpec cup_test_good_specs[] = {
    {.name = "", .type = AE_IFDIR},
    {.name = "include/cudnn.h"},
    {.name = "lib/libcudnn.so.9.13.0", .perm = 0755},
    {.name = "lib/libcudnn.so.9", .type = AE_IFLNK, .link = "libcudnn.so.9.13.0"},
    {.name = "LICENSE"},
};
const gsize cup_test_n_good_specs = G_N_ELEMENTS(cup_test_good_specs);

struct archive *cup_test_archive_open(const char *file, CupTestFormat format)
{
  struct archive *a = archive_write_new();
  if (format == CUP_TEST_ZIP) {
    g_assert_cmpint(archive_write_set_format_zip(a), ==, ARCHIVE_OK);
  } else {
    g_assert_cmpint(archive_write_set_format_pax_restricted(a), ==, ARCHIVE_OK);
    if (format == CUP_TEST_TAR_XZ) {
      g_assert_cmpint(archive_write_add_filter_xz(a), ==, ARCHIVE_OK);
      archive_write_set_filter_option(a, "xz", "compression-level", "0");
    }
  }
  g_assert_cmpint(archive_write_open_filename(a, file), ==, ARCHIVE_OK);
  return a;
}

/* The bytes of a text or @source file (NULL for zeros, whose size is returned alone). */
static char *spec_content(const CupTestSpec *s, const char *name, gsize *size)
{
  if (s->zeros != 0) {
    *size = s->zeros;
    return NULL;
  }
  if (s->source == NULL) {
    *size = strlen(name) + 1;
    return g_strdup_printf("%s\n", name);
  }
  char *data = NULL;
  g_autoptr(GError) error = NULL;
  g_file_get_contents(s->source, &data, size, &error);
  g_assert_no_error(error);
  return data;
}

static void write_data(struct archive *a, const char *data, gsize size)
{
  static const char zeros[ZERO_BLOCK];
  for (gsize done = 0; done < size;) {
    gsize n = MIN(size - done, (gsize)ZERO_BLOCK);
    la_ssize_t w = archive_write_data(a, data ? data + done : zeros, n);
    g_assert_cmpint(w, >, 0);
    done += (gsize)w;
  }
}

void cup_test_archive_add(struct archive *a, const char *top, const CupTestSpec *s)
{
  g_autofree char *name = s->raw ? g_strdup(s->name) : g_strconcat(top, "/", s->name, NULL);
  int type = s->type ? s->type : (int)AE_IFREG;
  gboolean data = type == AE_IFREG && s->hardlink == NULL;
  gsize size = 0;
  g_autofree char *content = data ? spec_content(s, name, &size) : NULL;
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, (unsigned)type);
  archive_entry_set_perm(e, s->perm ? s->perm : type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_mtime(e, SPEC_MTIME, 0);
  if (type == AE_IFLNK)
    archive_entry_set_symlink(e, s->link);
  if (type == AE_IFCHR)
    archive_entry_set_rdev(e, makedev(1, 3));
  if (s->hardlink != NULL) {
    g_autofree char *target = g_strconcat(top, "/", s->hardlink, NULL);
    archive_entry_set_hardlink(e, target);
  }
  archive_entry_set_size(e, (la_int64_t)size);
  g_assert_cmpint(archive_write_header(a, e), ==, ARCHIVE_OK);
  archive_entry_free(e);
  write_data(a, content, size);
}

void cup_test_archive_close(struct archive *a)
{
  g_assert_cmpint(archive_write_close(a), ==, ARCHIVE_OK);
  archive_write_free(a);
}

void cup_test_archive_write(const char *file, CupTestFormat format, const char *top,
                            const CupTestSpec *specs, gsize n, gboolean with_good_entries)
{
  struct archive *a = cup_test_archive_open(file, format);
  for (gsize i = 0; with_good_entries && i < cup_test_n_good_specs; i++)
    cup_test_archive_add(a, top, &cup_test_good_specs[i]);
  for (gsize i = 0; i < n; i++)
    cup_test_archive_add(a, top, &specs[i]);
  cup_test_archive_close(a);
}
