/* paths.c - root-relative system paths. */
#include "core/paths.h"

#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#ifndef O_BINARY
#define O_BINARY 0
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

static gboolean root_is_system(const char *root)
{
  return root == NULL || *root == '\0' || strcmp(root, "/") == 0;
}

char *cup_root_join(const char *root, const char *path)
{
  if (root_is_system(root))
    return g_strdup(path);
  return g_build_filename(root, path, NULL);
}

char *cup_root_strip(const char *root, const char *path)
{
  gsize n;
  if (root_is_system(root))
    return g_strdup(path);
  g_autofree char *canon_root = g_canonicalize_filename(root, NULL);
  n = strlen(canon_root);
  if (strncmp(path, canon_root, n) == 0 && (path[n] == '/' || path[n] == '\0'))
    return g_strdup(path[n] ? path + n : "/");
  return g_strdup(path);
}

/* Resolve @components onto the stack @resolved, following links relative to @root. */
static gboolean resolve_components(const char *root, GPtrArray *resolved, char **components,
                                   int *links_left)
{
  for (char **c = components; *c; c++) {
    if (**c == '\0' || strcmp(*c, ".") == 0)
      continue;
    if (strcmp(*c, "..") == 0) {
      if (resolved->len > 0)
        g_ptr_array_remove_index(resolved, resolved->len - 1);
      continue;
    }
    g_ptr_array_add(resolved, g_strdup(*c));
    g_ptr_array_add(resolved, NULL);
    g_autofree char *sys_path = g_strjoinv("/", (char **)resolved->pdata);
    g_ptr_array_remove_index(resolved, resolved->len - 1);
    g_autofree char *abs = g_strconcat("/", sys_path, NULL);
    g_autofree char *real = cup_root_join(root, abs);
    g_autofree char *target = g_file_read_link(real, NULL);
    if (target == NULL) {
      if (!g_file_test(real, G_FILE_TEST_EXISTS))
        return FALSE;
      continue;
    }
    if (--(*links_left) < 0)
      return FALSE;
    g_ptr_array_remove_index(resolved, resolved->len - 1);
    if (g_path_is_absolute(target))
      g_ptr_array_set_size(resolved, 0);
    g_auto(GStrv) parts = g_strsplit(target, "/", -1);
    if (!resolve_components(root, resolved, parts, links_left))
      return FALSE;
  }
  return TRUE;
}

char *cup_root_realpath(const char *root, const char *path)
{
#ifdef G_OS_WIN32
  /* Windows paths ("C:\\...") are not split on '/', and toolkit trees there hold no links:
   * the lexical form of a path that exists is what Windows reports back (as core/check.c). */
  g_autofree char *host = cup_root_join(root, path);
  if (!g_path_is_absolute(path) || !g_file_test(host, G_FILE_TEST_EXISTS))
    return NULL;
  return g_canonicalize_filename(path, NULL);
#endif
  g_autoptr(GPtrArray) resolved = g_ptr_array_new_with_free_func(g_free);
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);
  int links_left = 40; /* the kernel's MAXSYMLINKS */
  if (!g_path_is_absolute(path) || !resolve_components(root, resolved, parts, &links_left))
    return NULL;
  g_ptr_array_add(resolved, NULL);
  g_autofree char *joined = g_strjoinv("/", (char **)resolved->pdata);
  return g_strconcat("/", joined, NULL);
}

char *cup_root_host_path(const char *root, const char *sys_path)
{
  g_autofree char *canon = cup_root_realpath(root, sys_path);
  return canon ? cup_root_join(root, canon) : NULL;
}

char *cup_read_small_file(const char *path, gsize max_bytes, gsize *length, GError **error)
{
  int fd = g_open(path, O_RDONLY | O_BINARY | O_CLOEXEC, 0);
  if (fd < 0) {
    int saved = errno;
    g_set_error_literal(error, G_FILE_ERROR, g_file_error_from_errno(saved), g_strerror(saved));
    return NULL;
  }
  GString *buf = g_string_sized_new(256);
  char chunk[4096];
  for (;;) {
    ssize_t got = read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      int saved = errno;
      g_set_error_literal(error, G_FILE_ERROR, g_file_error_from_errno(saved), g_strerror(saved));
      close(fd);
      g_string_free(buf, TRUE);
      return NULL;
    }
    if (got == 0)
      break;
    g_string_append_len(buf, chunk, got);
    if (buf->len > max_bytes) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE, "larger than %" G_GSIZE_FORMAT " bytes",
                  max_bytes);
      close(fd);
      g_string_free(buf, TRUE);
      return NULL;
    }
  }
  close(fd);
  if (length)
    *length = buf->len;
  return g_string_free(buf, FALSE);
}

void cup_remove_tree(const char *path)
{
  GStatBuf st;
  if (g_lstat(path, &st) != 0)
    return;
  if (!S_ISDIR(st.st_mode)) {
    g_unlink(path);
    return;
  }
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    cup_remove_tree(child);
  }
  g_rmdir(path);
}
