/* digest.c - SHA-256 with OpenSSL 3 EVP, of byte streams and of files. */
#include "core/i18n.h"
#include "core/digest.h"

#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <string.h>
#ifdef G_OS_WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#ifndef O_BINARY
#define O_BINARY 0
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* Files are read in blocks this large: big enough that the syscalls cost nothing next to the
 * hashing, small enough that cancellation is noticed within a few milliseconds. */
#define READ_BLOCK (1024 * 1024)

struct CupSha256 {
  EVP_MD_CTX *md_ctx;
  guint64 length;
};

/* The SHA-256 implementation, fetched once: an explicit fetch spares every
 * EVP_DigestInit_ex the provider look-up that EVP_sha256() would cost (OpenSSL 3
 * migration guide, "Fetching algorithms"). Never freed: it lives as long as the process. */
static const EVP_MD *sha256_md(void)
{
  static gsize md_once = 0;
  if (g_once_init_enter(&md_once)) {
    const EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (md == NULL)
      md = EVP_sha256();
    g_once_init_leave(&md_once, (gsize)md);
  }
  return (const EVP_MD *)md_once;
}

static void digest_init(CupSha256 *ctx)
{
  /* Only an allocation failure inside OpenSSL can make this fail. */
  if (EVP_DigestInit_ex(ctx->md_ctx, sha256_md(), NULL) != 1)
    g_error("OpenSSL could not start a SHA-256 digest");
  ctx->length = 0;
}

CupSha256 *cup_sha256_new(void)
{
  CupSha256 *ctx = g_new0(CupSha256, 1);
  ctx->md_ctx = EVP_MD_CTX_new();
  if (ctx->md_ctx == NULL)
    g_error("OpenSSL could not allocate a digest context");
  digest_init(ctx);
  return ctx;
}

void cup_sha256_update(CupSha256 *ctx, const void *data, gsize len)
{
  if (len == 0)
    return;
  if (EVP_DigestUpdate(ctx->md_ctx, data, len) != 1)
    g_error("OpenSSL SHA-256 update failed");
  ctx->length += len;
}

guint64 cup_sha256_length(const CupSha256 *ctx)
{
  return ctx->length;
}

void cup_sha256_reset(CupSha256 *ctx)
{
  digest_init(ctx);
}

char *cup_sha256_finish(CupSha256 *ctx)
{
  static const char hex[] = "0123456789abcdef";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_DigestFinal_ex(ctx->md_ctx, md, &md_len) != 1 || md_len * 2 != CUP_SHA256_HEX_LEN)
    g_error("OpenSSL SHA-256 finish failed");
  char *out = g_malloc(CUP_SHA256_HEX_LEN + 1);
  for (unsigned int i = 0; i < md_len; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 0xf];
  }
  out[CUP_SHA256_HEX_LEN] = '\0';
  digest_init(ctx);
  return out;
}

static gboolean set_cancelled(GCancellable *cancellable, const char *path, GError **error)
{
  if (!g_cancellable_is_cancelled(cancellable))
    return FALSE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_CANCELLED, _("cancelled while reading %s"), path);
  return TRUE;
}

/* One read() of at most @want bytes, retried on EINTR. Returns the count, 0 at the end of
 * the file, -1 with @error set. */
static gssize read_block(int fd, void *buf, gsize want, const char *path, GError **error)
{
  for (;;) {
    gssize got = read(fd, buf, want);
    if (got >= 0)
      return got;
    if (errno != EINTR) {
      int saved = errno;
      g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot read %s: %s"), path, g_strerror(saved));
      return -1;
    }
  }
}

/* Hash bytes of @fd until @limit bytes or the end of the file; *@done gets the count. */
static gboolean hash_fd(CupSha256 *ctx, int fd, const char *path, guint64 limit, guint64 *done,
                        GCancellable *cancellable, GError **error)
{
  g_autofree guint8 *buf = g_malloc(READ_BLOCK);
  *done = 0;
  while (*done < limit) {
    if (set_cancelled(cancellable, path, error))
      return FALSE;
    gsize want = (gsize)MIN((guint64)READ_BLOCK, limit - *done);
    gssize got = read_block(fd, buf, want, path, error);
    if (got < 0)
      return FALSE;
    if (got == 0)
      break;
    cup_sha256_update(ctx, buf, (gsize)got);
    *done += (guint64)got;
  }
  return TRUE;
}

static int open_for_reading(const char *path, GError **error)
{
  int fd = g_open(path, O_RDONLY | O_BINARY | O_CLOEXEC, 0);
  if (fd < 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot open %s: %s"), path, g_strerror(saved));
  }
  return fd;
}

/* Hash up to @limit bytes of the file @path; *@done gets how many there were. */
static gboolean hash_path(CupSha256 *ctx, const char *path, guint64 limit, guint64 *done,
                          GCancellable *cancellable, GError **error)
{
  int fd = open_for_reading(path, error);
  if (fd < 0)
    return FALSE;
#ifdef POSIX_FADV_SEQUENTIAL
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  gboolean ok = hash_fd(ctx, fd, path, limit, done, cancellable, error);
  g_close(fd, NULL);
  return ok;
}

gboolean cup_sha256_update_from_file(CupSha256 *ctx, const char *path, guint64 length,
                                     GCancellable *cancellable, GError **error)
{
  guint64 done = 0;
  if (!hash_path(ctx, path, length, &done, cancellable, error))
    return FALSE;
  if (done < length) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                "%s is shorter than expected: %" G_GUINT64_FORMAT
                " bytes instead of %" G_GUINT64_FORMAT,
                path, done, length);
    return FALSE;
  }
  return TRUE;
}

char *cup_sha256_file(const char *path, guint64 max_bytes, guint64 *size, GCancellable *cancellable,
                      GError **error)
{
  g_autoptr(CupSha256) ctx = cup_sha256_new();
  guint64 limit = max_bytes == G_MAXUINT64 ? G_MAXUINT64 : max_bytes + 1;
  guint64 done = 0;
  if (!hash_path(ctx, path, limit, &done, cancellable, error))
    return NULL;
  if (size != NULL)
    *size = done;
  return cup_sha256_finish(ctx);
}

gboolean cup_sha256_is_hex(const char *text)
{
  if (text == NULL || strlen(text) != CUP_SHA256_HEX_LEN)
    return FALSE;
  for (const char *p = text; *p; p++) {
    if (!g_ascii_isdigit(*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  }
  return TRUE;
}

void cup_sha256_free(CupSha256 *ctx)
{
  if (ctx == NULL)
    return;
  EVP_MD_CTX_free(ctx->md_ctx);
  g_free(ctx);
}
