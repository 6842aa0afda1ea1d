/* hashpipe.c - SHA-256 on a worker thread fed with 1 MiB blocks; see hashpipe.h. */
#include "core/hashpipe.h"

#include <string.h>

#define BLOCK_BYTES (1024 * 1024)

typedef struct {
  gsize len;
  gboolean stop; /* tells the worker to exit */
  guint8 data[];
} Block;

struct CupHashPipe {
  CupSha256 *sha; /* used by the worker while blocks are in flight, else by the caller */
  GThread *thread;
  GAsyncQueue *work; /* Block*, in stream order */
  GAsyncQueue *idle; /* Block* free for the producer */
  Block *current;    /* being filled by the producer */
  guint64 length;
  GMutex lock;
  GCond drained;
  guint in_flight;
};

static gpointer worker(gpointer data)
{
  CupHashPipe *pipe = data;
  for (;;) {
    Block *block = g_async_queue_pop(pipe->work);
    if (block->stop) {
      g_free(block);
      return NULL;
    }
    cup_sha256_update(pipe->sha, block->data, block->len);
    block->len = 0;
    g_async_queue_push(pipe->idle, block);
    g_mutex_lock(&pipe->lock);
    if (--pipe->in_flight == 0)
      g_cond_signal(&pipe->drained);
    g_mutex_unlock(&pipe->lock);
  }
}

CupHashPipe *cup_hash_pipe_new(void)
{
  CupHashPipe *pipe = g_new0(CupHashPipe, 1);
  pipe->sha = cup_sha256_new();
  pipe->work = g_async_queue_new();
  pipe->idle = g_async_queue_new_full(g_free);
  for (guint i = 0; i < CUP_HASH_PIPE_BLOCKS; i++)
    g_async_queue_push(pipe->idle, g_malloc0(sizeof(Block) + BLOCK_BYTES));
  g_mutex_init(&pipe->lock);
  g_cond_init(&pipe->drained);
  pipe->thread = g_thread_new("cudaup-sha256", worker, pipe);
  return pipe;
}

static void submit(CupHashPipe *pipe, Block *block)
{
  g_mutex_lock(&pipe->lock);
  pipe->in_flight++;
  g_mutex_unlock(&pipe->lock);
  g_async_queue_push(pipe->work, block);
}

void cup_hash_pipe_update(CupHashPipe *pipe, const void *data, gsize len)
{
  const guint8 *bytes = data;
  pipe->length += len;
  while (len > 0) {
    if (pipe->current == NULL)
      pipe->current = g_async_queue_pop(pipe->idle); /* waits while every block is busy */
    gsize n = MIN(len, BLOCK_BYTES - pipe->current->len);
    memcpy(pipe->current->data + pipe->current->len, bytes, n);
    pipe->current->len += n;
    bytes += n;
    len -= n;
    if (pipe->current->len == BLOCK_BYTES)
      submit(pipe, g_steal_pointer(&pipe->current));
  }
}

/* After this the worker is idle and pipe->sha holds every byte given. */
static void drain(CupHashPipe *pipe)
{
  if (pipe->current && pipe->current->len > 0)
    submit(pipe, g_steal_pointer(&pipe->current));
  g_mutex_lock(&pipe->lock);
  while (pipe->in_flight > 0)
    g_cond_wait(&pipe->drained, &pipe->lock);
  g_mutex_unlock(&pipe->lock);
}

guint64 cup_hash_pipe_length(const CupHashPipe *pipe)
{
  return pipe->length;
}

void cup_hash_pipe_reset(CupHashPipe *pipe)
{
  drain(pipe);
  cup_sha256_reset(pipe->sha);
  pipe->length = 0;
}

gboolean cup_hash_pipe_update_from_file(CupHashPipe *pipe, const char *path, guint64 length,
                                        GCancellable *cancellable, GError **error)
{
  drain(pipe);
  if (!cup_sha256_update_from_file(pipe->sha, path, length, cancellable, error))
    return FALSE;
  pipe->length += length;
  return TRUE;
}

char *cup_hash_pipe_finish(CupHashPipe *pipe)
{
  drain(pipe);
  pipe->length = 0;
  return cup_sha256_finish(pipe->sha);
}

void cup_hash_pipe_free(CupHashPipe *pipe)
{
  if (pipe == NULL)
    return;
  drain(pipe);
  g_clear_pointer(&pipe->current, g_free);
  Block *stop = g_new0(Block, 1);
  stop->stop = TRUE;
  g_async_queue_push(pipe->work, stop);
  g_thread_join(pipe->thread);
  g_async_queue_unref(pipe->work);
  g_async_queue_unref(pipe->idle);
  g_mutex_clear(&pipe->lock);
  g_cond_clear(&pipe->drained);
  cup_sha256_free(pipe->sha);
  g_free(pipe);
}
