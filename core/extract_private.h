/* extract_private.h - the pure half of core/extract: checks of entry names and symlink targets,
 * and the mapping of archive paths onto the toolkit tree (extract_checks.c), shared with the
 * writer (extract.c). */
#pragma once

#include "core/extract.h"

G_BEGIN_DECLS

/* How one archive maps onto the tree; filled by cup_extract_layout_init, completed by the
 * first entry (the top directory). */
typedef struct {
  const char *component;
  char *platform; /* from the options, else from the top directory once it is seen */
  char *top;      /* "<component>-<platform>-<version>-archive", once seen */
  gboolean windows;
  char *lib_dir;
  char *include_dir;
  char *doc_dir; /* share/doc/cudaup/<component> */
  guint max_depth;
} CupExtractLayout;

/**
 * cup_extract_layout_init: fill @layout from @o. Errors: CUP_ERROR_USAGE when @o->lib_dir or
 * @o->include_dir is not a plain relative path inside the tree.
 */
gboolean cup_extract_layout_init(CupExtractLayout *layout, const CupExtractOptions *o,
                                 GError **error);

void cup_extract_layout_clear(CupExtractLayout *layout);

/**
 * cup_extract_map: check the archive entry name @name (a directory when @is_dir) and return its
 * path in the tree (newly allocated, '/'-separated, never empty), or NULL with *@is_top set for
 * the top directory itself. Errors: CUP_ERROR_INTEGRITY as cup_extract_refuse.
 */
char *cup_extract_map(CupExtractLayout *layout, const char *name, gboolean is_dir, gboolean *is_top,
                      GError **error);

/**
 * cup_extract_check_link: the symlink at @path in the tree (named @name in the archive) may
 * point at @target: relative, `..` only leading, and lexically inside the tree from the
 * link's directory. Errors: CUP_ERROR_INTEGRITY.
 */
gboolean cup_extract_check_link(const CupExtractLayout *layout, const char *name, const char *path,
                                const char *target, GError **error);

/**
 * cup_extract_refuse: set CUP_ERROR_INTEGRITY "COMPONENT archive: entry 'NAME' WHY; the archive
 * is refused and nothing was written" (NAME escaped when it holds control characters). Always
 * returns FALSE.
 */
gboolean cup_extract_refuse(GError **error, const char *component, const char *name,
                            const char *format, ...) G_GNUC_PRINTF(4, 5);

/* ---- the writer thread (extract_writer.c) ---- */

typedef struct CupExtractWriter CupExtractWriter;

/* The first step the writer thread could not do. */
typedef struct {
  int saved_errno;
  const char *doing; /* "write", "set the mode of" */
  char *path;        /* the file's tree path */
  guint64 file_done; /* bytes of that file written */
  guint64 file_size; /* its size as the archive declares it, 0 when unknown */
  guint64 written;   /* bytes written by this writer in all */
} CupExtractWriteFailure;

/** cup_extract_writer_new: a writer with its thread started. Free with cup_extract_writer_free. */
CupExtractWriter *cup_extract_writer_new(void);

/**
 * cup_extract_writer_data: queue @len bytes of @data (copied) to be written at @offset of the
 * file @fd (@entry: its entry, whose size holds the declared size) and hashed, in order; waits
 * while the queue is full. Gaps before @offset are holes, hashed as zeros. FALSE once a write
 * has failed (see cup_extract_writer_drain); nothing is queued then.
 */
gboolean cup_extract_writer_data(CupExtractWriter *writer, int fd, CupExtractEntry *entry,
                                 guint64 offset, const void *data, gsize len);

/**
 * cup_extract_writer_close: queue the end of the file @fd: a hole up to @size, mode @mode, close,
 * then @entry's sha256 and size are set. With @entry NULL (an abandoned file) only closes @fd.
 * Always queued, so every descriptor handed over is closed.
 */
void cup_extract_writer_close(CupExtractWriter *writer, int fd, CupExtractEntry *entry,
                              guint64 size, guint32 mode);

/**
 * cup_extract_writer_drain: wait until everything queued is done. Returns NULL, or the first
 * failure (owned by @writer); entries are complete only after a NULL return.
 */
const CupExtractWriteFailure *cup_extract_writer_drain(CupExtractWriter *writer);

/** cup_extract_writer_free: finish what is queued, stop the thread, free. */
void cup_extract_writer_free(CupExtractWriter *writer);

G_END_DECLS
