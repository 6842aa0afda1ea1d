/* cache.h - the content-addressed download cache.
 *
 * Layout of a cache directory DIR (the XDG cache dir's cudaup/ on Linux, %LOCALAPPDATA%\cudaup
 * \cache on Windows, or --cache DIR):
 *   DIR/archives/<sha256>                 a verified archive, named by its SHA-256
 *   DIR/archives/<sha256>.<host>.part     bytes of an unfinished download by machine <host>
 *   DIR/archives/<sha256>.<host>.part.meta  its validators (GKeyFile: url, etag, last-modified)
 *   DIR/manifests/{cuda,cudnn}/redistrib_<release>.json   downloaded redistrib manifests
 *
 * Rules that make one directory safe for several machines at once (a USB stick, NFS):
 *  - only a file whose SHA-256 and size were checked is ever renamed to its final name, and
 *    the rename is atomic, so a reader sees a whole verified file or none;
 *  - a `.part` carries the host name, and is locked (flock/LockFileEx) while written, so two
 *    machines never write one file; a second process on the same host gets its own
 *    `<sha256>.<host>-<pid>.part`;
 *  - a final file is verified again before it is used; one that does not match (a copy
 *    damaged outside cudaup) is removed and downloaded again.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct CupCache CupCache;

/**
 * cup_cache_default_dir: the cache directory when --cache is not given: $XDG_CACHE_HOME/cudaup
 * (~/.cache/cudaup) on Linux, %LOCALAPPDATA%\cudaup\cache on Windows. Newly allocated.
 */
char *cup_cache_default_dir(void);

/**
 * cup_cache_open: use @dir (NULL: cup_cache_default_dir) as the cache, creating it and its
 * archives/ and manifests/ subdirectories (0755). Errors: CUP_ERROR_IO naming the directory
 * and the fix (--cache DIR) when it cannot be created or written. Free with cup_cache_free.
 */
CupCache *cup_cache_open(const char *dir, GError **error);

/** cup_cache_dir: the cache directory (owned by @cache). */
const char *cup_cache_dir(const CupCache *cache);

/** cup_cache_manifests_dir: DIR/manifests, where downloaded redistrib manifests go (owned). */
const char *cup_cache_manifests_dir(const CupCache *cache);

/** cup_cache_archive_path: DIR/archives/<@sha256> (newly allocated; need not exist). */
char *cup_cache_archive_path(const CupCache *cache, const char *sha256);

/**
 * cup_cache_lookup: whether the cache holds the archive @sha256 of @size bytes. The file is
 * hashed (about 1 s per GB) before the answer is yes; a file of the wrong size or hash is
 * removed. Returns the path (newly allocated) or NULL; NULL with @error set only for
 * CUP_ERROR_IO (unreadable) or CUP_ERROR_CANCELLED.
 */
char *cup_cache_lookup(CupCache *cache, const char *sha256, guint64 size, GCancellable *cancellable,
                       GError **error);

/* An unfinished download: an open, locked `.part` file. */
typedef struct {
  char *path;     /* DIR/archives/<sha256>.<host>.part */
  int fd;         /* open for writing, positioned at its end */
  guint64 length; /* bytes already in the file, in bytes */
  char *etag;     /* validators saved with the bytes (NULL when none) */
  char *last_modified;
  char *url;       /* where the bytes came from */
  guint64 flushed; /* bytes handed to the kernel's writeback so far (Linux), in bytes */
} CupCachePart;

/**
 * cup_cache_part_open: open (creating it when absent) and lock the `.part` of @sha256 for
 * this process. An existing `.part` of this host is continued: its length and validators are
 * returned so the download can resume. Errors: CUP_ERROR_IO naming the file.
 */
CupCachePart *cup_cache_part_open(CupCache *cache, const char *sha256, GError **error);

/**
 * cup_cache_part_write: append @len bytes; @part->length counts what reached the file, even
 * when an error stops part-way. Errors: CUP_ERROR_IO naming the file; a full disk says so
 * ("no space left on the disk of DIR while writing FILE: free space or use --cache DIR").
 */
gboolean cup_cache_part_write(CupCachePart *part, const void *data, gsize len, GError **error);

/**
 * cup_cache_part_set_validators: remember where the bytes come from and the server's ETag and
 * Last-Modified (any may be NULL), written to the `.part.meta` file so a later run can send
 * If-Range. Errors: CUP_ERROR_IO.
 */
gboolean cup_cache_part_set_validators(CupCachePart *part, const char *url, const char *etag,
                                       const char *last_modified, GError **error);

/** cup_cache_part_truncate: drop every byte and validator (restart from zero). CUP_ERROR_IO. */
gboolean cup_cache_part_truncate(CupCachePart *part, GError **error);

/**
 * cup_cache_part_commit: the bytes were verified against @sha256: flush them to disk (fsync)
 * and rename the `.part` atomically to its final name; the part is closed and freed. Returns
 * the final path (newly allocated). Unlocked `.part` files of @sha256 left by other runs are
 * removed too. Errors: CUP_ERROR_IO; the `.part` is kept and @part stays the caller's (close
 * or discard it).
 */
char *cup_cache_part_commit(CupCachePart *part, CupCache *cache, const char *sha256,
                            GError **error);

/** cup_cache_part_discard: delete the `.part` and its meta file, then close and free. */
void cup_cache_part_discard(CupCachePart *part);

/** cup_cache_part_close: close and unlock, keeping the `.part` for a later resume; frees. */
void cup_cache_part_close(CupCachePart *part);

void cup_cache_free(CupCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupCache, cup_cache_free)

G_END_DECLS
