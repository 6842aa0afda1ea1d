/* digest.h - SHA-256 computed while bytes arrive (OpenSSL EVP), and of whole files.
 *
 * Archives are accepted only when their SHA-256 and byte count match NVIDIA's redistrib
 * manifest, so the hash is fed from the download's write path instead of a second pass.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Hex length of a SHA-256 digest, without the NUL. */
#define CUP_SHA256_HEX_LEN 64

typedef struct CupSha256 CupSha256;

/** cup_sha256_new: a fresh SHA-256 context (OpenSSL EVP). Free with cup_sha256_free. */
CupSha256 *cup_sha256_new(void);

/** cup_sha256_update: hash @len bytes of @data; also counts them (cup_sha256_length). */
void cup_sha256_update(CupSha256 *ctx, const void *data, gsize len);

/** cup_sha256_length: the number of bytes hashed since the last reset, in bytes. */
guint64 cup_sha256_length(const CupSha256 *ctx);

/** cup_sha256_reset: start over, as if new (a download restarted from byte zero). */
void cup_sha256_reset(CupSha256 *ctx);

/**
 * cup_sha256_finish: the digest of everything hashed, as 64 lower-case hex digits (newly
 * allocated). The context is reset afterwards.
 */
char *cup_sha256_finish(CupSha256 *ctx);

/**
 * cup_sha256_update_from_file: hash the first @length bytes of @path into @ctx (a resumed
 * download primes its hash with the bytes already in its `.part`). Reads in 1 MiB blocks.
 * Errors: CUP_ERROR_IO naming @path when it cannot be read or is shorter than @length;
 * CUP_ERROR_CANCELLED when @cancellable fires.
 */
gboolean cup_sha256_update_from_file(CupSha256 *ctx, const char *path, guint64 length,
                                     GCancellable *cancellable, GError **error);

/**
 * cup_sha256_file: the SHA-256 (newly allocated hex) and size in bytes of the file @path,
 * reading at most @max_bytes + 1 bytes (G_MAXUINT64: no cap; a file longer than the cap gets
 * *@size = @max_bytes + 1 and the hash of that prefix, so a caller comparing sizes rejects it
 * without reading the rest). Errors as cup_sha256_update_from_file.
 */
char *cup_sha256_file(const char *path, guint64 max_bytes, guint64 *size, GCancellable *cancellable,
                      GError **error);

/** cup_sha256_is_hex: @text is 64 lower-case hex digits (a cache key). */
gboolean cup_sha256_is_hex(const char *text);

void cup_sha256_free(CupSha256 *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupSha256, cup_sha256_free)

G_END_DECLS
