/* hashpipe.h - SHA-256 of a byte stream on a worker thread, and its write to a `.part` file in
 * 1 MiB batches, so a download's receive loop never waits for the hash.
 *
 * Why: on a fast link the CPU is the limit, and SHA-256 (about 1.5 GB/s here with SHA-NI) costs
 * as much as TLS and the disk write together; hashing in the receive thread, and one write(2)
 * per 16 KiB HTTP/2 frame, made a download about 40% slower than `curl -o`. Bytes are copied
 * into a small pool of 1 MiB blocks; a full block (or one older than 300 ms, so a slow link
 * still reaches the disk) is written by the producer and handed to the worker for hashing, in
 * order. When every block is in flight the producer waits, so memory stays at
 * CUP_HASH_PIPE_BLOCKS MiB per stream whatever the file size.
 */
#pragma once

#include "core/cache.h"
#include "core/digest.h"

G_BEGIN_DECLS

/* Blocks of 1 MiB per pipe: memory bound and how far the hash may lag behind the bytes. */
#define CUP_HASH_PIPE_BLOCKS 8

typedef struct CupHashPipe CupHashPipe;

/** cup_hash_pipe_new: a pipe with its worker thread started. Free with cup_hash_pipe_free. */
CupHashPipe *cup_hash_pipe_new(void);

/**
 * cup_hash_pipe_set_part: also append every byte given from now on to @part, a block at a time;
 * NULL: hash only. The pipe does not own @part; flush it (cup_hash_pipe_flush or reset) before
 * the part is truncated, committed or closed.
 */
void cup_hash_pipe_set_part(CupHashPipe *pipe, CupCachePart *part);

/**
 * cup_hash_pipe_flush: wait until every byte given is hashed and written. Returns FALSE with
 * the first write error (CUP_ERROR_IO as cup_cache_part_write; cleared once returned); bytes
 * after a failed write are hashed but not written.
 */
gboolean cup_hash_pipe_flush(CupHashPipe *pipe, GError **error);

/** cup_hash_pipe_failed: a write failed (cheap; from the producer thread). */
gboolean cup_hash_pipe_failed(const CupHashPipe *pipe);

/** cup_hash_pipe_update: queue @len bytes of @data (copied) for hashing, in order. */
void cup_hash_pipe_update(CupHashPipe *pipe, const void *data, gsize len);

/** cup_hash_pipe_length: bytes given to the pipe since the last reset or finish. */
guint64 cup_hash_pipe_length(const CupHashPipe *pipe);

/** cup_hash_pipe_reset: wait for the worker, then start over from zero bytes; a pending write
 * error is dropped. */
void cup_hash_pipe_reset(CupHashPipe *pipe);

/**
 * cup_hash_pipe_update_from_file: hash the first @length bytes of @path, in this thread (the
 * worker is idle then), as cup_sha256_update_from_file; errors as that.
 */
gboolean cup_hash_pipe_update_from_file(CupHashPipe *pipe, const char *path, guint64 length,
                                        GCancellable *cancellable, GError **error);

/**
 * cup_hash_pipe_finish: wait for every queued byte, then return the digest as 64 lower-case
 * hex digits (newly allocated) and start over from zero bytes.
 */
char *cup_hash_pipe_finish(CupHashPipe *pipe);

/** cup_hash_pipe_free: drain and stop the worker, free everything. */
void cup_hash_pipe_free(CupHashPipe *pipe);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupHashPipe, cup_hash_pipe_free)

G_END_DECLS
