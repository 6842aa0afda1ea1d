/* txn_fs.c - file-system helpers of core/txn: durable writes, syncs, tree removal, path
 * checks, and the test-only crash hook. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syncfs(2) */
#endif
#include "core/i18n.h"
#include "core/txn_private.h"

#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#ifdef G_OS_WIN32
#include <io.h>
#include <process.h>
#include <windows.h>
#define cup_getpid _getpid
#else
#include <unistd.h>
#define cup_getpid getpid
#endif

#ifndef O_BINARY
#define O_BINARY 0
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_DIRECTORY
#define O_DIRECTORY 0
#endif

/* ---- the crash hook (txn.h) ---- */

static guint64 crash_target(void)
{
  static gsize once = 0;
  static guint64 target = 0;
  if (g_once_init_enter(&once)) {
    const char *value = g_getenv(CUP_TXN_CRASH_ENV);
    if (value != NULL)
      target = g_ascii_strtoull(value, NULL, 10);
    g_once_init_leave(&once, 1);
  }
  return target;
}

void txn_crash_point(void)
{
  static guint64 count = 0;
  guint64 target = crash_target();
  if (target == 0 || ++count != target)
    return;
    /* As `kill -9` would: no atexit handlers, no buffers flushed, no cleanup. */
#ifdef G_OS_WIN32
  TerminateProcess(GetCurrentProcess(), 137);
#else
  kill(getpid(), SIGKILL);
#endif
}

/* ---- errors ---- */

gboolean txn_io_error(GError **error, int errnum, const char *root, const char *what,
                      const char *path)
{
  if (errnum == ENOSPC
#ifdef EDQUOT
      || errnum == EDQUOT
#endif
  ) {
    g_set_error(
        error, CUP_ERROR, CUP_ERROR_IO,
        _("cannot %s %s: no space left on the disk of %s; free space or choose --prefix DIR"), what,
        path, root);
  } else if (errnum == EACCES || errnum == EPERM || errnum == EROFS) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("cannot %s %s: %s; run as root or choose --prefix DIR"), what, path,
                g_strerror(errnum));
  } else if (errnum == EXDEV) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("cannot %s %s: the staging directory is on another file system than %s; "
                  "stage into cup_txn_staging_dir"),
                what, path, root);
  } else {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot %s %s: %s"), what, path,
                g_strerror(errnum));
  }
  return FALSE;
}

/* ---- removal and syncing ---- */

gboolean txn_lstat(const char *path, GStatBuf *st)
{
  return g_lstat(path, st) == 0;
}

/* The renames of a transaction touch many directories; one syncfs(2) makes all of them (and
 * the staged files' data) durable before the commit line, instead of an fsync per directory. */
void txn_sync_filesystem(const char *path)
{
#if defined(__linux__)
  int fd = g_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0)
    return;
  if (syncfs(fd) != 0)
    g_debug("syncfs of %s: %s", path, g_strerror(errno));
  g_close(fd, NULL);
#elif defined(G_OS_WIN32)
  /* NTFS journals its metadata; renames are ordered on their own. */
  (void)path;
#else
  (void)path;
  sync();
#endif
}

static int flush_fd(int fd)
{
#ifdef G_OS_WIN32
  return _commit(fd);
#elif defined(__linux__)
  return fdatasync(fd);
#else
  return fsync(fd);
#endif
}

gboolean txn_write_durable(int fd, const char *data, gsize len)
{
  while (len > 0) {
    gssize n = write(fd, data, (unsigned int)MIN(len, 1u << 30));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return FALSE;
    }
    data += n;
    len -= (gsize)n;
  }
  /* EINVAL: a file system that cannot sync (some FUSE and virtual ones); nothing to wait for. */
  return flush_fd(fd) == 0 || errno == EINVAL;
}

/* ---- paths ---- */

gboolean txn_path_is_clean(const char *path)
{
  if (path == NULL || *path == '\0' || *path == '/' || strchr(path, '\\') != NULL ||
      strchr(path, ':') != NULL)
    return FALSE;
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++) {
    if (*parts[i] == '\0' || strcmp(parts[i], ".") == 0 || strcmp(parts[i], "..") == 0)
      return FALSE;
  }
  return TRUE;
}

gboolean txn_link_stays_inside(const char *path, const char *target)
{
  if (target == NULL || *target == '\0' || *target == '/' || strchr(target, '\\') != NULL ||
      strchr(target, ':') != NULL)
    return FALSE;
  /* The link's directory is as deep as @path has components before its last. */
  int depth = 0;
  for (const char *p = path; *p != '\0'; p++)
    depth += *p == '/';
  g_auto(GStrv) parts = g_strsplit(target, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++) {
    if (strcmp(parts[i], "..") == 0)
      depth--;
    else if (*parts[i] != '\0' && strcmp(parts[i], ".") != 0)
      depth++;
    if (depth < 0)
      return FALSE;
  }
  return TRUE;
}

/* ---- names ---- */

char *txn_now_iso8601(void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  return g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
}

char *txn_new_id(void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
  return g_strdup_printf("%s-%d-%04x", stamp, (int)cup_getpid(), g_random_int_range(0, 0x10000));
}
