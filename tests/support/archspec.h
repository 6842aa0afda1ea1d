/* archspec.h - archives written entry by entry from a table, for the tests of what core/extract
 * and the engine do with them: NVIDIA's layout (one top directory <component>-<platform>-
 * <version>-archive/) with anything a hostile archive can hold (paths with '..', absolute
 * paths, symlinks, hard links, devices, FIFOs, setuid bits, decompression bombs). */
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>

typedef enum {
  CUP_TEST_TAR_XZ, /* pax tar, xz at level 0 (fast; NVIDIA's Linux archives are .tar.xz) */
  CUP_TEST_ZIP,    /* deflate (NVIDIA's Windows archives) */
  CUP_TEST_TAR,    /* pax tar, not compressed */
} CupTestFormat;

/* One entry. Every field but @name may be left 0/NULL. */
typedef struct {
  const char *name;     /* below TOP/ ("lib/libcudnn.so.9"), or as it is when @raw */
  gboolean raw;         /* @name is the whole path in the archive */
  int type;             /* AE_IFREG (0 means that too), AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO */
  int perm;             /* permission bits; 0: 0755 for directories, 0644 otherwise */
  const char *link;     /* symlink target, as stored */
  const char *hardlink; /* a hard link to this entry below TOP/ */
  guint64 zeros;        /* a file of this many zero bytes */
  const char *source;   /* a file whose bytes are copied (read whole: keep it small) */
} CupTestSpec;
/* A file with neither @zeros nor @source holds one line of text: its path in the archive. */

/* What a well-formed cuDNN archive holds (the top directory, include/cudnn.h,
 * lib/libcudnn.so.9.13.0, the symlink lib/libcudnn.so.9 to it, LICENSE): written first into a
 * hostile archive so that refusing its bad entry has something to clean up. */
extern const CupTestSpec cup_test_good_specs[];
extern const gsize cup_test_n_good_specs;

/**
 * cup_test_archive_open: start writing @file (replaced) in @format. Asserts. Add entries with
 * cup_test_archive_add or libarchive's own calls, then cup_test_archive_close.
 */
struct archive *cup_test_archive_open(const char *file, CupTestFormat format);

/** cup_test_archive_add: write @spec, its name below @top unless it is raw. Asserts. */
void cup_test_archive_add(struct archive *a, const char *top, const CupTestSpec *spec);

/** cup_test_archive_close: finish the archive and free @a. Asserts. */
void cup_test_archive_close(struct archive *a);

/**
 * cup_test_archive_write: write @file in @format holding the good entries below @top (when
 * @with_good_entries) and then the @n entries of @specs. Asserts.
 */
void cup_test_archive_write(const char *file, CupTestFormat format, const char *top,
                            const CupTestSpec *specs, gsize n, gboolean with_good_entries);
