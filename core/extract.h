/* extract.h - unpack one verified NVIDIA redist archive into a staging directory, laid out as
 * the toolkit tree it will be moved into, refusing anything that could write outside that tree.
 *
 * NVIDIA's archives (`<component>-<platform>-<version>-archive.tar.xz` on Linux, `.zip` on
 * Windows) hold one top directory of the same name with the component's subtrees (bin/,
 * include/, lib/ or lib/x64/, nvvm/, ...) and a LICENSE. Mapping onto the toolkit tree:
 *   <top>/lib/...            -> LIB_DIR/...      (Linux archives: lib64, or what the tree uses)
 *   <top>/lib/x64/...        -> LIB_DIR/...      (Windows archives: lib/x64)
 *   <top>/include/...        -> INCLUDE_DIR/...  (include, or targets/<arch>/include)
 *   <top>/<dir>/...          -> <dir>/...        (bin/, nvvm/, extras/, ... as they are)
 *   <top>/<file>             -> share/doc/cudaup/<component>/<file>
 * Top-level files go to a directory of their own because every archive has a LICENSE at its
 * top: merged into the root they would collide, and NVIDIA's runfile installs none of them at
 * the root either (it ships one EULA.txt); share/doc/<package>/ is where the FHS, Debian and
 * conda keep a package's licence. Symlinks are kept as they are (cuDNN's libcudnn.so ->
 * libcudnn.so.9 -> libcudnn.so.9.x.y chain moves with its directory).
 *
 * Files are written with open(O_CREAT|O_EXCL|O_NOFOLLOW) below directory descriptors opened
 * with O_NOFOLLOW|O_DIRECTORY, one component at a time, so no symlink is ever followed while
 * writing. libarchive's archive_write_disk is not used: it resolves paths against the process's
 * working directory, so it could only write below the staging directory through chdir() (a
 * process-wide change, unsafe with the download threads) or through absolute paths, which its
 * ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS flag refuses. The checks those flags stand for
 * (SECURE_NODOTDOT, SECURE_SYMLINKS, SECURE_NOABSOLUTEPATHS) are all made here, stricter.
 *
 * Memory is constant whatever the archive size: libarchive's buffers, the xz dictionary the
 * archive asks for (8 MiB at xz -6, 64 MiB at -9) and at most 8 MiB of data queued for the
 * thread that writes and hashes files while this one decompresses.
 */
#pragma once

#include "core/progress.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* Default caps (CupExtractOptions, 0 = default). Depth: NVIDIA's deepest paths (nsight_compute,
 * cuda_cupti samples) have about 12 components. Entries: the largest archives (nsight_compute,
 * nsight_systems) hold tens of thousands. Bytes: the most compressible real archive, the
 * header-only cuda_cccl, unpacks to about 15x its .tar.xz size at xz -9e; 32x leaves twice
 * that margin while a decompression bomb (zeros: over 1000x) is stopped early; small archives
 * may always unpack to CUP_EXTRACT_MIN_BYTES. */
#define CUP_EXTRACT_MAX_DEPTH 32
#define CUP_EXTRACT_MAX_ENTRIES 100000
#define CUP_EXTRACT_BYTES_RATIO 32
#define CUP_EXTRACT_MIN_BYTES (G_GUINT64_CONSTANT(64) * 1024 * 1024)

typedef enum {
  CUP_EXTRACT_FILE,
  CUP_EXTRACT_SYMLINK,
  CUP_EXTRACT_DIR,
} CupExtractType;

/* One thing written below the staging directory. */
typedef struct {
  char *path;          /* relative to the toolkit root, '/'-separated: "lib64/libcudnn.so.9" */
  CupExtractType type; /* */
  guint32 mode;        /* permission bits: 0755 or 0644 for files, 0755 dirs, 0777 symlinks */
  char *sha256;        /* files: SHA-256 of the content, 64 lower-case hex; else NULL */
  char *link_target;   /* symlinks: the target as stored in the archive; else NULL */
  guint64 size;        /* files: bytes; symlinks: length of the target; dirs: 0 */
} CupExtractEntry;

typedef struct {
  const char *archive;      /* the verified archive (the cache file), .tar.xz or .zip */
  GInputStream *input;      /* optional: read the archive from here instead (@archive then only
                             * names it in messages; @archive_size is required). Lets a caller
                             * decompress while the bytes arrive; it must then check their
                             * SHA-256 before it moves anything staged into the tree. A read
                             * error of the stream is returned as it is (cancelled: CANCELLED). */
  const char *component;    /* "cudnn", "cuda_nvcc": names the archive in messages; required */
  const char *platform;     /* "linux-x86_64", "windows-x86_64"; NULL: read from the top dir */
  const char *staging;      /* an existing directory on the toolkit root's file system */
  gboolean list_only;       /* write nothing (@staging may be NULL): check every entry as for
                             * extraction and return the entries (files with the size their
                             * header declares, no sha256): what a dry run shows */
  const char *lib_dir;      /* NULL: "lib64" for Linux archives, "lib/x64" for Windows ones;
                             * "targets/x86_64-linux/lib" for a tree where lib64 links there */
  const char *include_dir;  /* NULL: "include"; "targets/x86_64-linux/include" likewise */
  guint64 archive_size;     /* the manifest's size in bytes; 0: the file's size */
  guint64 max_bytes;        /* cap on bytes written; 0: CUP_EXTRACT_BYTES_RATIO x archive size,
                             * at least CUP_EXTRACT_MIN_BYTES */
  guint max_entries;        /* 0: CUP_EXTRACT_MAX_ENTRIES */
  guint max_depth;          /* components of a path in the tree; 0: CUP_EXTRACT_MAX_DEPTH */
  CupProgressFunc progress; /* optional; stage "extract", done = compressed bytes consumed */
  gpointer progress_data;
} CupExtractOptions;

/**
 * cup_extract_archive: unpack @o->archive below @o->staging as described at the top of this
 * file, and append one CupExtractEntry per directory, file and symlink of the archive to
 * @entries_out (which must free them with cup_extract_entry_free), parents before children,
 * in archive order. Nothing is appended on failure.
 *
 * The whole archive is refused, and everything this call wrote below @o->staging removed, when
 * any entry: is not below one top directory `<component>-<platform>-<version>-archive/`; has
 * a `..`, absolute, drive-letter (C:), UNC (\\server) path, a backslash, a control character,
 * a name over 255 bytes or invalid UTF-8 (in a Windows archive also a ':', a device name such as
 * NUL, or a name ending in a dot or space; libarchive's zip reader turns the '\' of most names into
 * '/' before we see them, so those are checked as Windows would read them); is a hard link, a
 * device, FIFO or socket; has setuid, setgid or sticky bits; is a symlink whose target is
 * absolute or leaves the toolkit tree when resolved lexically from the link's place in the
 * tree (`..` may only lead a target); maps onto the same place as an earlier entry or would
 * be written through an earlier symlink or file; or passes a cap (bytes, entries, depth).
 * Files already in @o->staging (another archive's) are never replaced; directories are
 * shared. Modes are 0755 (any executable bit) or 0644, and 0755 for directories, whatever the
 * umask. Files are not fsynced: the transaction syncs the file system before it commits.
 *
 * Errors: CUP_ERROR_INTEGRITY for unsafe content ("cudnn archive: entry 'E' leaves the toolkit
 * tree; the archive is refused and nothing was written"); CUP_ERROR_PARSE for a corrupt or
 * truncated archive; CUP_ERROR_IO naming the path for a disk problem (a full disk says how much
 * was written and how big the file was); CUP_ERROR_USAGE for a bad lib_dir, include_dir or
 * component; CUP_ERROR_CANCELLED when @cancellable fires (checked between data blocks); a
 * failing @o->input's own error.
 */
gboolean cup_extract_archive(const CupExtractOptions *o, GPtrArray *entries_out,
                             GCancellable *cancellable, GError **error);

/**
 * cup_extract_default_lib_dir: the tree's library directory for @platform when the caller
 * gives none: "lib/x64" for "windows-*", else "lib64". Static string.
 */
const char *cup_extract_default_lib_dir(const char *platform);

/** cup_extract_type_name: "file", "symlink" or "dir" (static), for records and logs. */
const char *cup_extract_type_name(CupExtractType type);

void cup_extract_entry_free(CupExtractEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupExtractEntry, cup_extract_entry_free)

G_END_DECLS
