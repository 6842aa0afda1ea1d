/* filelock.h - the file primitives the download cache and the toolkit transaction share: a
 * non-blocking exclusive lock the kernel drops when its holder dies, the check that a locked
 * file still has its name, and making a rename durable. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CUP_LOCK_TAKEN,
  CUP_LOCK_BUSY,        /* another open file (this process or another) holds it */
  CUP_LOCK_UNSUPPORTED, /* the file system cannot lock (some FUSE and network mounts) */
  CUP_LOCK_FAILED,      /* errno says why */
} CupLockResult;

/**
 * cup_file_try_lock: take an exclusive lock on the open file @fd without waiting.
 * Linux: flock(2), which belongs to the open file (two opens in one process exclude each
 * other) and which NFS forwards to the server as a byte-range lock ("NFS details" in flock(2)).
 * Windows: LockFileEx on one byte far past any data, since Windows locks are mandatory and
 * readers (hashing, reading a holder's pid) must still get at the bytes.
 */
CupLockResult cup_file_try_lock(int fd);

/**
 * cup_file_still_linked: whether @path still names the file open as @fd (a lock taken just
 * after another process removed or replaced the file protects nothing). Always TRUE on
 * Windows, where a file open without FILE_SHARE_DELETE cannot be removed.
 */
gboolean cup_file_still_linked(int fd, const char *path);

/**
 * cup_file_sync_dir: fsync the directory @dir so a rename in it survives a power cut
 * (rename(2) is atomic but not durable on its own). Best effort: some file systems refuse to
 * sync a directory; nothing on Windows.
 */
void cup_file_sync_dir(const char *dir);

G_END_DECLS
