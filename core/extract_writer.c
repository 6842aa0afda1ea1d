/* extract_writer.c - the writer thread of core/extract: writes, hashes and closes the files the
 * decompressing thread opened, so that thread does nothing but decompress.
 *
 * Why: xz decoding is single-threaded and sets the pace of an install; the write(2) calls and
 * SHA-256 of every byte would add about 5% to it (measured on cuDNN's libraries: 4% in the
 * kernel's write path, 4% in SHA-256 with SHA-NI). Here they run on another core, fed with
 * copies of libarchive's blocks in order; at most WRITER_MAX_BYTES are queued, so memory stays
 * constant whatever the archive size.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sync_file_range(2) */
#endif
#include "core/extract_private.h"

#include "core/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITER_MAX_BYTES (8u * 1024 * 1024)
/* Dirty pages of a big file are handed to writeback every few MiB, so the transaction's sync
 * before its commit waits for the tail only (as the download cache does). */
#define WRITEBACK_STEP (8u * 1024 * 1024)
#define WRITE_MAX (1024 * 1024 * 1024)

typedef enum { OP_DATA, OP_CLOSE, OP_STOP } OpKind;

typedef struct {
  OpKind kind;
  int fd;
  guint64 offset;         /* DATA: where the bytes go; CLOSE: the file's size */
  guint32 mode;           /* CLOSE */
  CupExtractEntry *entry; /* the file; CLOSE fills its sha256 and size; NULL: only close */
  gsize len;
  guint8 data[];
} Op;

struct CupExtractWriter {
  GThread *thread;
  GAsyncQueue *ops;
  GMutex lock;
  GCond changed;
  gsize queued_bytes; /* DATA bytes not yet written */
  guint pending;      /* ops not yet done */
  gint failed;        /* atomic: set once failure holds the first error */
  CupExtractWriteFailure failure;
  /* The worker's own: the file being written. */
  CupSha256 *sha;
  guint64 pos, flushed, written;
};

static void fail(CupExtractWriter *w, int saved, const char *doing, const CupExtractEntry *entry)
{
  if (g_atomic_int_get(&w->failed))
    return;
  w->failure.saved_errno = saved;
  w->failure.doing = doing;
  w->failure.path = g_strdup(entry ? entry->path : "");
  w->failure.file_done = w->pos;
  w->failure.file_size = entry ? entry->size : 0;
  w->failure.written = w->written;
  g_atomic_int_set(&w->failed, TRUE);
}

static gboolean write_all(int fd, const guint8 *data, gsize len, guint64 offset)
{
  while (len > 0) {
    gssize n = pwrite(fd, data, MIN(len, (gsize)WRITE_MAX), (off_t)offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return FALSE;
    data += n;
    len -= (gsize)n;
    offset += (guint64)n;
  }
  return TRUE;
}

/* Hashes the zeros a hole reads as, from w->pos to @end. */
static void hash_hole(CupExtractWriter *w, guint64 end)
{
  static const guint8 zeros[64 * 1024];
  for (; w->pos < end; w->pos += MIN(sizeof zeros, end - w->pos))
    cup_sha256_update(w->sha, zeros, (gsize)MIN(sizeof zeros, end - w->pos));
}

static void start_writeback(CupExtractWriter *w, int fd)
{
#ifdef SYNC_FILE_RANGE_WRITE
  if (w->pos - w->flushed < WRITEBACK_STEP)
    return;
  sync_file_range(fd, (off_t)w->flushed, (off_t)(w->pos - w->flushed), SYNC_FILE_RANGE_WRITE);
  w->flushed = w->pos;
#else
  (void)w, (void)fd;
#endif
}

static void do_data(CupExtractWriter *w, const Op *op)
{
  if (g_atomic_int_get(&w->failed))
    return;
  hash_hole(w, op->offset);
  if (!write_all(op->fd, op->data, op->len, op->offset)) {
    fail(w, errno, "write", op->entry);
    return;
  }
  cup_sha256_update(w->sha, op->data, op->len);
  w->pos = op->offset + op->len;
  w->written += op->len;
  start_writeback(w, op->fd);
}

static void do_close(CupExtractWriter *w, const Op *op)
{
  gboolean ok = op->entry != NULL && !g_atomic_int_get(&w->failed);
  if (ok) {
    gboolean hole = op->offset > w->pos;
    hash_hole(w, op->offset);
    if (hole && ftruncate(op->fd, (off_t)op->offset) != 0)
      fail(w, errno, "write", op->entry), ok = FALSE;
    else if (fchmod(op->fd, op->mode) != 0)
      fail(w, errno, "set the mode of", op->entry), ok = FALSE;
  }
  if (close(op->fd) != 0 && ok)
    fail(w, errno, "write", op->entry), ok = FALSE;
  if (ok) {
    op->entry->size = w->pos;
    op->entry->sha256 = cup_sha256_finish(w->sha);
  }
  cup_sha256_reset(w->sha);
  w->pos = w->flushed = 0;
}

static gpointer worker(gpointer data)
{
  CupExtractWriter *w = data;
  for (;;) {
    Op *op = g_async_queue_pop(w->ops);
    OpKind kind = op->kind;
    if (kind == OP_DATA)
      do_data(w, op);
    else if (kind == OP_CLOSE)
      do_close(w, op);
    g_mutex_lock(&w->lock);
    w->queued_bytes -= op->len;
    w->pending--;
    g_cond_broadcast(&w->changed);
    g_mutex_unlock(&w->lock);
    g_free(op);
    if (kind == OP_STOP)
      return NULL;
  }
}

CupExtractWriter *cup_extract_writer_new(void)
{
  CupExtractWriter *w = g_new0(CupExtractWriter, 1);
  w->ops = g_async_queue_new();
  g_mutex_init(&w->lock);
  g_cond_init(&w->changed);
  w->sha = cup_sha256_new();
  w->thread = g_thread_new("cudaup-extract", worker, w);
  return w;
}

/* Queues @op, first waiting while more than WRITER_MAX_BYTES are queued. */
static void submit(CupExtractWriter *w, Op *op)
{
  g_mutex_lock(&w->lock);
  while (op->len > 0 && w->queued_bytes > 0 && w->queued_bytes + op->len > WRITER_MAX_BYTES)
    g_cond_wait(&w->changed, &w->lock);
  w->queued_bytes += op->len;
  w->pending++;
  g_mutex_unlock(&w->lock);
  g_async_queue_push(w->ops, op);
}

gboolean cup_extract_writer_data(CupExtractWriter *w, int fd, CupExtractEntry *entry,
                                 guint64 offset, const void *data, gsize len)
{
  if (g_atomic_int_get(&w->failed))
    return FALSE;
  Op *op = g_malloc(sizeof(Op) + len);
  *op = (Op){OP_DATA, fd, offset, 0, entry, len};
  memcpy(op->data, data, len);
  submit(w, op);
  return TRUE;
}

void cup_extract_writer_close(CupExtractWriter *w, int fd, CupExtractEntry *entry, guint64 size,
                              guint32 mode)
{
  Op *op = g_new0(Op, 1);
  *op = (Op){OP_CLOSE, fd, size, mode, entry, 0};
  submit(w, op);
}

const CupExtractWriteFailure *cup_extract_writer_drain(CupExtractWriter *w)
{
  g_mutex_lock(&w->lock);
  while (w->pending > 0)
    g_cond_wait(&w->changed, &w->lock);
  g_mutex_unlock(&w->lock);
  return g_atomic_int_get(&w->failed) ? &w->failure : NULL;
}

void cup_extract_writer_free(CupExtractWriter *w)
{
  if (w == NULL)
    return;
  Op *stop = g_new0(Op, 1);
  stop->kind = OP_STOP;
  submit(w, stop);
  g_thread_join(w->thread);
  g_async_queue_unref(w->ops);
  g_mutex_clear(&w->lock);
  g_cond_clear(&w->changed);
  cup_sha256_free(w->sha);
  g_free(w->failure.path);
  g_free(w);
}
