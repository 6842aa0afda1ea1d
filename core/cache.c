/* cache.c - the content-addressed download cache: layout, locked `.part` files, atomic commit. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sync_file_range(2) */
#endif
#include "core/i18n.h"
#include "core/cache.h"

#include "core/digest.h"
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
#define cup_lseek _lseeki64
#define cup_getpid _getpid
#else
#include <unistd.h>
#define cup_lseek lseek
#define cup_getpid getpid
#endif

#ifndef O_BINARY
#define O_BINARY 0
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

#define META_GROUP "part"
/* The most one write() is asked to take: Windows' _write counts in an unsigned int. */
#define WRITE_MAX (1024 * 1024 * 1024)
#define WRITEBACK_STEP (8u * 1024 * 1024)

struct CupCache {
  char *dir;
  char *archives;
  char *manifests;
};

char *cup_cache_default_dir(void)
{
#ifdef G_OS_WIN32
  const char *base = g_getenv("LOCALAPPDATA");
  if (base == NULL || *base == '\0')
    base = g_get_user_cache_dir();
  return g_build_filename(base, "cudaup", "cache", NULL);
#else
  return g_build_filename(g_get_user_cache_dir(), "cudaup", NULL);
#endif
}

static gboolean ensure_dir(const char *path, GError **error)
{
  if (g_mkdir_with_parents(path, 0755) != 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("cannot create the cache directory %s: %s: use --cache DIR to choose another"),
                path, g_strerror(saved));
    return FALSE;
  }
  if (g_access(path, W_OK | X_OK) != 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("the cache directory %s is not writable: %s: use --cache DIR to choose another"),
                path, g_strerror(saved));
    return FALSE;
  }
  return TRUE;
}

CupCache *cup_cache_open(const char *dir, GError **error)
{
  g_autoptr(CupCache) cache = g_new0(CupCache, 1);
  cache->dir = dir != NULL ? g_strdup(dir) : cup_cache_default_dir();
  cache->archives = g_build_filename(cache->dir, "archives", NULL);
  cache->manifests = g_build_filename(cache->dir, "manifests", NULL);
  if (!ensure_dir(cache->archives, error) || !ensure_dir(cache->manifests, error))
    return NULL;
  return g_steal_pointer(&cache);
}

const char *cup_cache_dir(const CupCache *cache)
{
  return cache->dir;
}

const char *cup_cache_manifests_dir(const CupCache *cache)
{
  return cache->manifests;
}

char *cup_cache_archive_path(const CupCache *cache, const char *sha256)
{
  g_return_val_if_fail(cup_sha256_is_hex(sha256), NULL);
  return g_build_filename(cache->archives, sha256, NULL);
}

/* Cache keys become file names, so anything but a SHA-256 is refused before it reaches the
 * file system. */
static gboolean check_key(const char *sha256, GError **error)
{
  if (cup_sha256_is_hex(sha256))
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL, _("not a SHA-256 cache key: \"%s\""),
              sha256 != NULL ? sha256 : "(null)");
  return FALSE;
}

/* ---- lookup ---- */

static void remove_reporting(const char *path, const char *why)
{
  if (g_unlink(path) == 0)
    g_info("removed %s from the cache: %s", path, why);
  else if (errno != ENOENT)
    g_info("could not remove %s (%s): %s", path, why, g_strerror(errno));
}

/* Whether @path still names the file that was @before, so a file another process has just
 * renamed into place is not removed for the faults of the one it replaced. */
static gboolean same_file(const char *path, const GStatBuf *before)
{
  GStatBuf now;
  if (g_stat(path, &now) != 0)
    return FALSE;
  return now.st_dev == before->st_dev && now.st_ino == before->st_ino &&
         now.st_size == before->st_size && now.st_mtime == before->st_mtime;
}

char *cup_cache_lookup(CupCache *cache, const char *sha256, guint64 size, GCancellable *cancellable,
                       GError **error)
{
  if (!check_key(sha256, error))
    return NULL;
  g_autofree char *path = cup_cache_archive_path(cache, sha256);
  GStatBuf st;
  if (g_stat(path, &st) != 0) {
    int saved = errno;
    if (saved != ENOENT)
      g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot read %s: %s"), path, g_strerror(saved));
    return NULL;
  }
  if ((guint64)st.st_size != size) {
    remove_reporting(path, "its size differs from the manifest");
    return NULL;
  }
  guint64 hashed = 0;
  g_autofree char *hex = cup_sha256_file(path, size, &hashed, cancellable, error);
  if (hex == NULL)
    return NULL;
  if (hashed != size || strcmp(hex, sha256) != 0) {
    if (same_file(path, &st))
      remove_reporting(path, "its SHA-256 differs from its name");
    return NULL;
  }
  return g_steal_pointer(&path);
}

/* ---- locking ---- */

/* Whether the locked @fd is still the file named @path: another process may have removed
 * the name (a finished download cleaning up) between our open() and our lock. */

static int open_part_file(const char *path, int flags, GError **error)
{
  int fd = g_open(path, flags | O_RDWR | O_BINARY | O_CLOEXEC, 0644);
  if (fd < 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("cannot open %s: %s: use --cache DIR to choose another cache"), path,
                g_strerror(saved));
  }
  return fd;
}

/* Open (creating) and lock @path. Returns the descriptor; or -1 with *@busy set when another
 * open file holds the lock, or locks do not work here and @allow_unlocked is false; or -1
 * with @error set. */
static int open_locked(const char *path, gboolean allow_unlocked, gboolean *busy, GError **error)
{
  *busy = FALSE;
  for (int attempt = 0; attempt < 3; attempt++) {
    int fd = open_part_file(path, O_CREAT, error);
    if (fd < 0)
      return -1;
    CupLockResult result = cup_file_try_lock(fd);
    int saved = errno;
    if ((result == CUP_LOCK_TAKEN && cup_file_still_linked(fd, path)) ||
        (result == CUP_LOCK_UNSUPPORTED && allow_unlocked))
      return fd;
    g_close(fd, NULL);
    if (result == CUP_LOCK_FAILED) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot lock %s: %s"), path, g_strerror(saved));
      return -1;
    }
    if (result != CUP_LOCK_TAKEN) {
      *busy = TRUE;
      return -1;
    }
  }
  *busy = TRUE;
  return -1;
}

/* ---- `.part` files ---- */

/* This machine's name as it may appear in a file name: [A-Za-z0-9._-] only. */
static char *host_tag(void)
{
  char *tag = g_strdup(g_get_host_name());
  g_strcanon(tag, G_CSET_A_2_Z G_CSET_a_2_z G_CSET_DIGITS "._-", '_');
  if (*tag == '\0') {
    g_free(tag);
    tag = g_strdup("host");
  }
  return tag;
}

static char *part_path(const CupCache *cache, const char *sha256, gboolean own)
{
  g_autofree char *host = host_tag();
  g_autofree char *name = own ? g_strdup_printf("%s.%s-%d.part", sha256, host, (int)cup_getpid())
                              : g_strdup_printf("%s.%s.part", sha256, host);
  return g_build_filename(cache->archives, name, NULL);
}

static char *meta_path(const char *part_file)
{
  return g_strconcat(part_file, ".meta", NULL);
}

static void clear_validators(CupCachePart *part)
{
  g_clear_pointer(&part->url, g_free);
  g_clear_pointer(&part->etag, g_free);
  g_clear_pointer(&part->last_modified, g_free);
}

static void part_free(CupCachePart *part)
{
  if (part->fd >= 0)
    g_close(part->fd, NULL);
  clear_validators(part);
  g_free(part->path);
  g_free(part);
}

/* A meta file that cannot be read only costs the resume: the download starts over. */
static void load_meta(CupCachePart *part)
{
  g_autofree char *meta = meta_path(part->path);
  g_autoptr(GKeyFile) keys = g_key_file_new();
  g_autoptr(GError) error = NULL;
  if (!g_key_file_load_from_file(keys, meta, G_KEY_FILE_NONE, &error)) {
    if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_info("ignoring %s: %s", meta, error->message);
    return;
  }
  part->url = g_key_file_get_string(keys, META_GROUP, "url", NULL);
  part->etag = g_key_file_get_string(keys, META_GROUP, "etag", NULL);
  part->last_modified = g_key_file_get_string(keys, META_GROUP, "last-modified", NULL);
}

static CupCachePart *part_new(char *path, int fd, GError **error)
{
  CupCachePart *part = g_new0(CupCachePart, 1);
  part->path = path;
  part->fd = fd;
  gint64 end = cup_lseek(fd, 0, SEEK_END);
  if (end < 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot seek in %s: %s"), path,
                g_strerror(saved));
    part_free(part);
    return NULL;
  }
  part->length = (guint64)end;
  load_meta(part);
  return part;
}

CupCachePart *cup_cache_part_open(CupCache *cache, const char *sha256, GError **error)
{
  if (!check_key(sha256, error))
    return NULL;
  gboolean busy = FALSE;
  char *path = part_path(cache, sha256, FALSE);
  int fd = open_locked(path, FALSE, &busy, error);
  if (fd < 0 && busy) {
    /* Another download on this machine holds the shared `.part` (or locks do not work on
     * this file system): take one of our own so that nobody else ever writes it. */
    g_free(path);
    path = part_path(cache, sha256, TRUE);
    fd = open_locked(path, TRUE, &busy, error);
    if (fd < 0 && busy)
      g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                  _("%s is locked by another download: wait for it or use --cache DIR"), path);
  }
  if (fd < 0) {
    g_free(path);
    return NULL;
  }
  return part_new(path, fd, error);
}

/* The cache directory of a `.part` (DIR of DIR/archives/NAME), for messages. */
static char *cache_dir_of(const char *part_file)
{
  g_autofree char *archives = g_path_get_dirname(part_file);
  return g_path_get_dirname(archives);
}

static gboolean set_write_error(const char *path, int code, GError **error)
{
  g_autofree char *dir = cache_dir_of(path);
  if (code == ENOSPC
#ifdef EDQUOT
      || code == EDQUOT
#endif
  ) {
    g_set_error(
        error, CUP_ERROR, CUP_ERROR_IO,
        _("no space left on the disk of %s while writing %s: free space or use --cache DIR"), dir,
        path);
  } else if (code == EFBIG) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("%s is too large for the file system of %s (FAT32 holds at most 4 GiB per file): "
                  "use --cache DIR on another file system"),
                path, dir);
  } else {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot write %s: %s"), path, g_strerror(code));
  }
  return FALSE;
}

/* Start writing dirty pages out every few MiB while the download runs, so the fsync of the
 * commit waits only for the tail instead of the whole archive (Linux sync_file_range(2): it
 * queues writeback and does not wait). Elsewhere the commit's fsync does all the work. */
static void start_writeback(CupCachePart *part)
{
#ifdef SYNC_FILE_RANGE_WRITE
  if (part->length < part->flushed || part->length - part->flushed < WRITEBACK_STEP)
    return;
  sync_file_range(part->fd, (off_t)part->flushed, (off_t)(part->length - part->flushed),
                  SYNC_FILE_RANGE_WRITE);
  part->flushed = part->length;
#else
  (void)part;
#endif
}

gboolean cup_cache_part_write(CupCachePart *part, const void *data, gsize len, GError **error)
{
  const guint8 *next = data;
  while (len > 0) {
    gssize n = write(part->fd, next, MIN(len, (gsize)WRITE_MAX));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return set_write_error(part->path, n < 0 ? errno : ENOSPC, error);
    next += n;
    len -= (gsize)n;
    part->length += (guint64)n;
  }
  start_writeback(part);
  return TRUE;
}

static void key_set(GKeyFile *keys, const char *key, const char *value)
{
  if (value != NULL)
    g_key_file_set_string(keys, META_GROUP, key, value);
}

gboolean cup_cache_part_set_validators(CupCachePart *part, const char *url, const char *etag,
                                       const char *last_modified, GError **error)
{
  g_autoptr(GKeyFile) keys = g_key_file_new();
  key_set(keys, "url", url);
  key_set(keys, "etag", etag);
  key_set(keys, "last-modified", last_modified);
  gsize len = 0;
  g_autofree char *text = g_key_file_to_data(keys, &len, NULL);
  g_autofree char *meta = meta_path(part->path);
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents(meta, text, (gssize)len, &local)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot save the download state: %s"),
                local->message);
    return FALSE;
  }
  clear_validators(part);
  part->url = g_strdup(url);
  part->etag = g_strdup(etag);
  part->last_modified = g_strdup(last_modified);
  return TRUE;
}

static void remove_meta(const char *part_file)
{
  g_autofree char *meta = meta_path(part_file);
  if (g_unlink(meta) != 0 && errno != ENOENT)
    g_info("could not remove %s: %s", meta, g_strerror(errno));
}

static int truncate_fd(int fd)
{
#ifdef G_OS_WIN32
  return _chsize_s(fd, 0) == 0 ? 0 : -1;
#else
  return ftruncate(fd, 0);
#endif
}

gboolean cup_cache_part_truncate(CupCachePart *part, GError **error)
{
  if (truncate_fd(part->fd) != 0 || cup_lseek(part->fd, 0, SEEK_SET) != 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot truncate %s: %s"), part->path,
                g_strerror(saved));
    return FALSE;
  }
  part->length = 0;
  part->flushed = 0;
  clear_validators(part);
  remove_meta(part->path);
  return TRUE;
}

/* ---- commit ---- */

static gboolean sync_part(CupCachePart *part, GError **error)
{
#ifdef G_OS_WIN32
  int rc = _commit(part->fd);
#else
  int rc = fsync(part->fd);
#endif
  /* EINVAL: a file system that cannot sync (some FUSE and virtual ones); nothing to wait for. */
  if (rc == 0 || errno == EINVAL)
    return TRUE;
  return set_write_error(part->path, errno, error);
}

/* Windows refuses to rename or delete a file that is open without FILE_SHARE_DELETE, which
 * the C runtime never asks for; elsewhere the file stays open (and locked) until its name
 * is gone, so no other process can take it over in between. */
static void release_before_rename(CupCachePart *part)
{
#ifdef G_OS_WIN32
  if (part->fd >= 0) {
    g_close(part->fd, NULL);
    part->fd = -1;
  }
#else
  (void)part;
#endif
}

/* Remove the `.part` @path unless some download holds it. */
static void remove_part_if_idle(const char *path)
{
  int fd = g_open(path, O_RDWR | O_BINARY | O_CLOEXEC, 0);
  if (fd < 0)
    return;
  gboolean idle = cup_file_try_lock(fd) == CUP_LOCK_TAKEN && cup_file_still_linked(fd, path);
#ifdef G_OS_WIN32
  g_close(fd, NULL);
  fd = -1;
#endif
  if (idle) {
    remove_meta(path);
    remove_reporting(path, "its archive is complete");
  }
  if (fd >= 0)
    g_close(fd, NULL);
}

/* Once the archive is in place, unfinished copies of it from earlier runs or from downloads
 * that lost the race are worthless; those still being written are left to their owners. */
static void remove_stale_parts(const CupCache *cache, const char *sha256)
{
  g_autoptr(GDir) dir = g_dir_open(cache->archives, 0, NULL);
  if (dir == NULL)
    return;
  g_autofree char *prefix = g_strconcat(sha256, ".", NULL);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL) {
    if (!g_str_has_prefix(name, prefix))
      continue;
    g_autofree char *path = g_build_filename(cache->archives, name, NULL);
    if (g_str_has_suffix(name, ".part")) {
      remove_part_if_idle(path);
    } else if (g_str_has_suffix(name, ".part.meta")) {
      g_autofree char *part_file = g_strndup(path, strlen(path) - strlen(".meta"));
      if (!g_file_test(part_file, G_FILE_TEST_EXISTS))
        remove_reporting(path, "its download is gone");
    }
  }
}

char *cup_cache_part_commit(CupCachePart *part, CupCache *cache, const char *sha256, GError **error)
{
  if (!check_key(sha256, error) || !sync_part(part, error))
    return NULL;
  g_autofree char *final = cup_cache_archive_path(cache, sha256);
  release_before_rename(part);
  /* Atomic: readers see no file or the whole one. A concurrent commit of the same key
   * replaces identical bytes, so the last rename winning is harmless. */
  if (g_rename(part->path, final) != 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot move %s to %s: %s"), part->path, final,
                g_strerror(saved));
    return NULL;
  }
  cup_file_sync_dir(cache->archives);
  remove_meta(part->path);
  part_free(part);
  remove_stale_parts(cache, sha256);
  return g_steal_pointer(&final);
}

void cup_cache_part_discard(CupCachePart *part)
{
  if (part == NULL)
    return;
  release_before_rename(part);
  remove_meta(part->path);
  if (g_unlink(part->path) != 0 && errno != ENOENT)
    g_info("could not remove %s: %s", part->path, g_strerror(errno));
  part_free(part);
}

void cup_cache_part_close(CupCachePart *part)
{
  if (part != NULL)
    part_free(part);
}

void cup_cache_free(CupCache *cache)
{
  if (cache == NULL)
    return;
  g_free(cache->dir);
  g_free(cache->archives);
  g_free(cache->manifests);
  g_free(cache);
}
