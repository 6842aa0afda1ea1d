/* filelock.c - file locks, the still-linked check and directory sync; see filelock.h. */
#include "core/filelock.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#ifdef G_OS_WIN32
#include <io.h>
#include <windows.h>
#else
#include <sys/file.h>
#include <unistd.h>
#endif

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

#ifdef G_OS_WIN32
CupLockResult cup_file_try_lock(int fd)
{
  HANDLE handle = (HANDLE)_get_osfhandle(fd);
  OVERLAPPED where = {0};
  where.Offset = 0xFFFFFFFE;
  where.OffsetHigh = 0x7FFFFFFF;
  if (LockFileEx(handle, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &where))
    return CUP_LOCK_TAKEN;
  DWORD code = GetLastError();
  if (code == ERROR_LOCK_VIOLATION || code == ERROR_IO_PENDING)
    return CUP_LOCK_BUSY;
  if (code == ERROR_NOT_SUPPORTED || code == ERROR_INVALID_FUNCTION)
    return CUP_LOCK_UNSUPPORTED;
  errno = EIO;
  return CUP_LOCK_FAILED;
}
#else
CupLockResult cup_file_try_lock(int fd)
{
  if (flock(fd, LOCK_EX | LOCK_NB) == 0)
    return CUP_LOCK_TAKEN;
  if (errno == EWOULDBLOCK || errno == EINTR)
    return CUP_LOCK_BUSY;
  if (errno == ENOLCK || errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL)
    return CUP_LOCK_UNSUPPORTED;
  return CUP_LOCK_FAILED;
}
#endif

gboolean cup_file_still_linked(int fd, const char *path)
{
#ifdef G_OS_WIN32
  (void)fd;
  (void)path;
  return TRUE;
#else
  struct stat by_fd, by_name;
  if (fstat(fd, &by_fd) != 0 || stat(path, &by_name) != 0)
    return FALSE;
  return by_fd.st_dev == by_name.st_dev && by_fd.st_ino == by_name.st_ino;
#endif
}

void cup_file_sync_dir(const char *dir)
{
#ifndef G_OS_WIN32
  int fd = g_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0)
    return;
  if (fsync(fd) != 0)
    g_debug("fsync of %s: %s", dir, g_strerror(errno));
  g_close(fd, NULL);
#else
  (void)dir;
#endif
}
