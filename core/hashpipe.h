/* hashpipe.h - SHA-256 of a byte stream on a worker thread, so a download's receive loop
 * never waits for the hash.
 *
 * Why: on a fast link the CPU is the limit, and SHA-256 (about 1.5 GB/s here with SHA-NI) costs
 * as much as TLS and the disk write together; hashing in the receive thread would make a
 * download about a third slower than `curl -o`. Bytes are copied into a small pool of 1 MiB
 * blocks handed to the worker in order; when every block is in flight the producer waits, so
 * memory stays at CUP_HASH_PIPE_BLOCKS MiB per stream whatever the file size.
 */
#pragma once

#include "core/digest.h"

G_BEGIN_DECLS

/* Blocks of 1 MiB per pipe: memory bound and how far the hash may lag behind the bytes. */
#define CUP_HASH_PIPE_BLOCKS 4

typedef struct CupHashPipe CupHashPipe;

/** cup_hash_pipe_new: a pipe with its worker thread started. Free with cup_hash_pipe_free. */
CupHashPipe *cup_hash_pipe_new(void);

/** cup_hash_pipe_update: queue @len bytes of @data (copied) for hashing, in order. */
void cup_hash_pipe_update(CupHashPipe *pipe, const void *data, gsize len);

/** cup_hash_pipe_length: bytes given to the pipe since the last reset or finish. */
guint64 cup_hash_pipe_length(const CupHashPipe *pipe);

/** cup_hash_pipe_reset: wait for the worker, then start over from zero bytes. */
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
