/* engine_private.h - shared between engine.c and engine_result.c. */
#pragma once

#include "core/engine.h"
#include "core/txn.h"

/* One run of cup_engine_install. */
typedef struct CupEngineStream CupEngineStream;
typedef struct {
  const CupEngineOptions *o;
  const CupPlan *plan;
  CupEngineResult *r;
  CupTxn *txn;
  GPtrArray *fetched;     /* CupFetchResult*, in the order of plan->archives */
  GPtrArray *staged;      /* per archive: GPtrArray of CupExtractEntry*, NULL until unpacked */
  GMutex progress_lock;   /* progress comes from the download thread and this one */
  gboolean download_over; /* the download stage sent its last event */
  int streamed;           /* index of the archive unpacked while it downloads, -1: none */
  char *first_created;    /* the topmost directory of the root's path begin() created, or NULL */
  gboolean committed;
} Run;

/* engine.c helpers shared with engine_unpack.c. */
gint64 cup_engine_ms_since(gint64 start_us);
gboolean cup_engine_in_cache(const Run *run, const CupPlanArchive *a);
/* The NULL-terminated sha256 list of @pkg's archives, for its install record. */
GStrv cup_engine_package_archives(const Run *run, const CupEnginePackage *pkg);

/* engine_unpack.c: stage 4 and 5 of engine.h. Download every archive (unpacking the largest
 * one not yet in the cache while it arrives), unpack the others from the verified cache files,
 * then apply them all to the transaction. Errors: fetch's, extract's, txn's. */
gboolean cup_engine_download_and_unpack(Run *run, GError **error);
gboolean cup_engine_apply(Run *run, GError **error);

/* The progress callback the stages use: serialised, and silent about the streamed archive's
 * unpacking while its download is shown. */
void cup_engine_progress(const CupProgress *p, gpointer run);

/* A result for @root with empty arrays. */
CupEngineResult *cup_engine_result_new(const char *root);

/* One package per kind (cuda, cudnn) of @plan's archives, CUDA first, each listing its
 * archives' components. */
void cup_engine_result_add_packages(CupEngineResult *r, const CupPlan *plan);

/* Appends a file the dry run would write. */
void cup_engine_add_file(CupEngineResult *r, const char *path, const char *kind, guint64 size);

/* engine_stream.c: one archive unpacked while it downloads. Unix only. */

/* A stream for the archive @sha256. Errors: CUP_ERROR_IO. */
CupEngineStream *cup_engine_stream_new(const char *sha256, GError **error);

/* The CupFetchOptions.sink: passes the archive's bytes on while they follow on from offset 0;
 * bytes that do not (a resumed or restarted transfer) end the stream and mark it restarted. */
void cup_engine_stream_sink(const char *sha256, guint64 offset, const guint8 *data, gsize len,
                            gpointer stream);

/* The reading end, for CupExtractOptions.input (the stream keeps owning the descriptor). */
GInputStream *cup_engine_stream_input(CupEngineStream *s);

/* End of the archive for the reader (the download is over). From the download's thread. */
void cup_engine_stream_close_writer(CupEngineStream *s);

/* The reader is done: a sink still sending gets EPIPE and stops. */
void cup_engine_stream_close_reader(CupEngineStream *s);

/* Whether bytes came that did not follow on: what the reader got is not the verified file. */
gboolean cup_engine_stream_restarted(const CupEngineStream *s);

void cup_engine_stream_free(CupEngineStream *s);
