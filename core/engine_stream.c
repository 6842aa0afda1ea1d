/* engine_stream.c - one archive unpacked while it downloads (engine_private.h). The bytes go
 * from fetch's sink to the extractor through a Unix socket pair: the kernel's buffer is the
 * bounded queue (a full one blocks the sink, which slows the download to the speed of
 * decompression, so memory stays flat), closing the writer is the end of the archive, and a
 * reader that stops makes the writer's send() fail with EPIPE instead of blocking forever
 * (MSG_NOSIGNAL: no SIGPIPE). */
#include "core/i18n.h"
#include "core/engine_private.h"

#include "core/error.h"

#ifdef G_OS_UNIX

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Enough to keep the decompressor fed between the download's bursts. */
#define STREAM_BUFFER_BYTES (2 * 1024 * 1024)

struct CupEngineStream {
  char *sha256;       /* the archive streamed */
  int reader, writer; /* the socket pair's ends; -1 once closed */
  guint64 expected;   /* the file offset the next bytes must start at */
  gboolean restarted; /* bytes came that did not follow on: what was read is not the file */
};

CupEngineStream *cup_engine_stream_new(const char *sha256, GError **error)
{
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot make a socket pair: %s"),
                g_strerror(saved));
    return NULL;
  }
  int size = STREAM_BUFFER_BYTES;
  setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  CupEngineStream *s = g_new0(CupEngineStream, 1);
  s->sha256 = g_strdup(sha256);
  s->reader = fds[0];
  s->writer = fds[1];
  return s;
}

void cup_engine_stream_sink(const char *sha256, guint64 offset, const guint8 *data, gsize len,
                            gpointer stream)
{
  CupEngineStream *s = stream;
  if (s->writer < 0 || strcmp(sha256, s->sha256) != 0)
    return;
  if (offset != s->expected) {
    s->restarted = TRUE;
    cup_engine_stream_close_writer(s);
    return;
  }
  while (len > 0) {
    ssize_t n = send(s->writer, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) { /* the reader is gone: it finished or failed; the download goes on */
      cup_engine_stream_close_writer(s);
      return;
    }
    data += n;
    len -= (gsize)n;
    s->expected += (guint64)n;
  }
}

GInputStream *cup_engine_stream_input(CupEngineStream *s)
{
  return g_unix_input_stream_new(s->reader, FALSE);
}

void cup_engine_stream_close_writer(CupEngineStream *s)
{
  if (s->writer >= 0)
    close(s->writer);
  s->writer = -1;
}

void cup_engine_stream_close_reader(CupEngineStream *s)
{
  if (s->reader >= 0)
    close(s->reader);
  s->reader = -1;
}

gboolean cup_engine_stream_restarted(const CupEngineStream *s)
{
  return s->restarted;
}

void cup_engine_stream_free(CupEngineStream *s)
{
  if (s == NULL)
    return;
  cup_engine_stream_close_writer(s);
  cup_engine_stream_close_reader(s);
  g_free(s->sha256);
  g_free(s);
}

#else
/* Windows: no archive is unpacked while it downloads (engine_unpack.c never picks one). */
CupEngineStream *cup_engine_stream_new(const char *sha256, GError **error)
{
  (void)sha256;
  g_set_error_literal(error, CUP_ERROR, CUP_ERROR_UNSUPPORTED, _("no streaming on this OS"));
  return NULL;
}
void cup_engine_stream_sink(const char *sha256, guint64 offset, const guint8 *data, gsize len,
                            gpointer stream)
{
  (void)sha256, (void)offset, (void)data, (void)len, (void)stream;
}
GInputStream *cup_engine_stream_input(CupEngineStream *s)
{
  (void)s;
  return NULL;
}
void cup_engine_stream_close_writer(CupEngineStream *s)
{
  (void)s;
}
void cup_engine_stream_close_reader(CupEngineStream *s)
{
  (void)s;
}
gboolean cup_engine_stream_restarted(const CupEngineStream *s)
{
  (void)s;
  return FALSE;
}
void cup_engine_stream_free(CupEngineStream *s)
{
  (void)s;
}
#endif
