/* txn_lock.c - one lock per toolkit root (ROOT/.cudaup/lock), and the free-space check. */
#include "core/i18n.h"
#include "core/txn_private.h"

#include "core/error.h"
#include "core/filelock.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
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

#define POLL_MS 50

/* Whether the locked @fd is still the file named @path: an uninstall that removed the last
 * record deletes the lock file while holding it, and whoever was waiting on it must start
 * over with a new file. */

/* The pid the holder wrote into the lock file, or 0 when it cannot be read yet. */
static int holder_pid(const char *path)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return 0;
  gint64 pid = g_ascii_strtoll(text, NULL, 10);
  return pid > 0 && pid <= G_MAXINT ? (int)pid : 0;
}

static void write_pid(int fd)
{
  g_autofree char *text = g_strdup_printf("%d\n", (int)cup_getpid());
#ifdef G_OS_WIN32
  gboolean ok = _chsize_s(fd, 0) == 0 && _lseeki64(fd, 0, SEEK_SET) == 0;
#else
  gboolean ok = ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0;
#endif
  /* The pid only makes the message of a waiting process better; a failure costs nothing. */
  if (!ok || write(fd, text, (unsigned int)strlen(text)) < 0)
    g_debug("cannot write the pid into the lock file: %s", g_strerror(errno));
}

static gboolean locked_error(GError **error, const char *root, const char *path)
{
  int pid = holder_pid(path);
  if (pid > 0)
    g_set_error(error, CUP_ERROR, CUP_ERROR_LOCKED,
                _("another cudaup (pid %d) is installing into %s; wait for it to finish"), pid,
                root);
  else
    g_set_error(error, CUP_ERROR, CUP_ERROR_LOCKED,
                _("another cudaup is installing into %s; wait for it to finish"), root);
  return FALSE;
}

/* Open and lock @path, polling until @deadline (monotonic, microseconds). Returns the fd;
 * -1 with @error set; or -2 when the file was removed under us (try again). */
static int lock_once(const char *root, const char *path, gint64 deadline, GError **error)
{
  int fd = g_open(path, O_RDWR | O_CREAT | O_BINARY | O_CLOEXEC, 0644);
  if (fd < 0) {
    txn_io_error(error, errno, root, "open the lock file", path);
    return -1;
  }
  CupLockResult result;
  while ((result = cup_file_try_lock(fd)) == CUP_LOCK_BUSY && g_get_monotonic_time() < deadline)
    g_usleep(POLL_MS * 1000);
  if (result == CUP_LOCK_TAKEN && cup_file_still_linked(fd, path))
    return fd;
  int saved = errno;
  g_close(fd, NULL);
  if (result == CUP_LOCK_TAKEN)
    return -2;
  if (result == CUP_LOCK_BUSY)
    locked_error(error, root, path);
  else
    txn_io_error(error, saved, root, "lock", path);
  return -1;
}

int txn_lock_acquire(const char *root, const char *state, guint wait_ms, GError **error)
{
  g_autofree char *path = g_build_filename(state, TXN_LOCK, NULL);
  gint64 deadline = g_get_monotonic_time() + (gint64)wait_ms * 1000;
  for (;;) {
    if (g_mkdir_with_parents(state, 0755) != 0) {
      txn_io_error(error, errno, root, "create", state);
      return -1;
    }
    int fd = lock_once(root, path, deadline, error);
    if (fd >= 0)
      write_pid(fd);
    if (fd != -2)
      return fd;
  }
}

void txn_lock_release(int fd)
{
  /* Closing the last descriptor of the open file releases flock and LockFileEx locks alike. */
  if (fd >= 0)
    g_close(fd, NULL);
}

void txn_lock_remove_state(const char *state)
{
  const char *own[] = {TXN_STAGING, TXN_SAVED, TXN_INSTALLS};
  for (guint i = 0; i < G_N_ELEMENTS(own); i++) {
    g_autofree char *dir = g_build_filename(state, own[i], NULL);
    g_rmdir(dir);
  }
  g_autoptr(GDir) dir = g_dir_open(state, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    if (strcmp(name, TXN_LOCK) != 0)
      return; /* something is left: a kept original, a file of the user's */
  }
#ifndef G_OS_WIN32
  /* Windows cannot delete an open file; the lock file stays there. */
  g_autofree char *lock = g_build_filename(state, TXN_LOCK, NULL);
  g_unlink(lock);
  g_rmdir(state);
#endif
}

/* ---- free space ---- */

/* @dir, or its nearest parent that exists (newly allocated). */
static char *nearest_existing(const char *dir)
{
  g_autofree char *path = g_canonicalize_filename(dir, NULL);
  while (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    char *parent = g_path_get_dirname(path);
    if (strcmp(parent, path) == 0) {
      g_free(parent);
      break;
    }
    g_free(path);
    path = parent;
  }
  return g_steal_pointer(&path);
}

/* g_format_size's "2.1 GB", with a plain space: GLib puts a no-break space there, which
 * surprises anyone who greps a log or a --report file. */
static char *format_size(guint64 bytes)
{
  g_autofree char *text = g_format_size(bytes);
  g_auto(GStrv) parts = g_strsplit(text, "\xc2\xa0", -1);
  return g_strjoinv(" ", parts);
}

gboolean cup_txn_check_space(const char *dir, guint64 bytes_needed, GError **error)
{
  g_autofree char *existing = nearest_existing(dir);
  g_autoptr(GFile) file = g_file_new_for_path(existing);
  g_autoptr(GError) local = NULL;
  g_autoptr(GFileInfo) info =
      g_file_query_filesystem_info(file, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, &local);
  if (info == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot read the free space of %s: %s"), existing,
                local->message);
    return FALSE;
  }
  if (!g_file_info_has_attribute(info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE)) {
    g_debug("%s does not report its free space; not checked", existing);
    return TRUE;
  }
  /* GIO reports the blocks available to unprivileged users (statfs f_bavail on Linux). */
  guint64 free_bytes = g_file_info_get_attribute_uint64(info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (free_bytes >= bytes_needed)
    return TRUE;
  g_autofree char *need = format_size(bytes_needed);
  g_autofree char *have = format_size(free_bytes);
  g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
              _("need %s on %s, %s free; free space or choose --prefix DIR"), need, existing, have);
  return FALSE;
}
