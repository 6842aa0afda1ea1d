/* check_probe.c - loading a library of the tree and asking it for its version (and, for
 * `cudaup verify`, cudaGetDeviceCount() or cudnnGetCudartVersion()).
 *
 * Libraries are loaded in a child process (fork, no exec; Linux). In-process loading would
 * leave NVIDIA's libraries and whatever their constructors set up inside cudaup (and inside
 * the wizard, which lives on after the install); a library that crashes or hangs while it
 * loads would take cudaup down instead of failing one proof; and every later proof would run
 * against a link map that already holds an earlier copy, which glibc reuses for any
 * dependency of the same SONAME. A fresh fork per proof has none of these problems, and needs
 * no helper program (core has none to exec). The child only calls dlopen, dlsym, dlinfo,
 * dladdr, the version function and the extra one, writes a few lines into a pipe and
 * _exit()s; glibc resets its malloc and loader locks in the child of fork, so this is safe in
 * a threaded parent, and the parent's deadline bounds a child that hangs anyway. The version
 * is written before the extra call, so a driver that hangs cudaGetDeviceCount() still leaves
 * the version proven.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dlinfo(3), dladdr(3) */
#endif
#include "core/check_private.h"

#include "core/i18n.h"

#include <errno.h>
#include <string.h>

#ifdef G_OS_WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

void cup_check_probe_clear(CupCheckProbe *p)
{
  g_free(p->error);
  g_free(p->object);
  g_free(p->symbol_object);
  g_free(p->extra_name);
  g_free(p->extra_text);
  g_free(p->extra_error);
}

/* Call the version function at @sym into @value; FALSE with its error code in @rc. */
static gboolean call_version(void *sym, const CupCheckLibSpec *spec, gint64 *value, int *rc)
{
  if (spec->kind == 'c') { /* cudaError_t cudaRuntimeGetVersion(int *) */
    int (*fn)(int *);
    int v = 0;
    memcpy(&fn, &sym, sizeof fn);
    *rc = fn(&v);
    *value = v;
    return *rc == 0;
  }
  size_t (*fn)(void); /* size_t cudnnGetVersion(void) */
  memcpy(&fn, &sym, sizeof fn);
  *value = (gint64)fn();
  return TRUE;
}

/* The extra call at @sym: cudaError_t cudaGetDeviceCount(int *) for CUDA ('c'), size_t
 * cudnnGetCudartVersion(void) for cuDNN. Returns the cudaError_t (0 for cuDNN). */
static int call_extra(void *sym, const CupCheckLibSpec *spec, gint64 *value)
{
  if (spec->kind == 'c') {
    int (*fn)(int *);
    int n = -1;
    memcpy(&fn, &sym, sizeof fn);
    int rc = fn(&n);
    *value = n;
    return rc;
  }
  size_t (*fn)(void);
  memcpy(&fn, &sym, sizeof fn);
  *value = (gint64)fn();
  return 0;
}

/* const char *cudaGetErrorName(cudaError_t) and cudaGetErrorString: NULL when @sym is. */
static const char *call_error_text(void *sym, int rc)
{
  const char *(*fn)(int);
  if (sym == NULL)
    return NULL;
  memcpy(&fn, &sym, sizeof fn);
  return fn(rc);
}

#ifdef G_OS_WIN32
static void *win_symbol(HMODULE h, const char *name)
{
  FARPROC fn = GetProcAddress(h, name);
  void *sym = NULL;
  memcpy(&sym, &fn, sizeof sym);
  return sym;
}

static void win_extra(HMODULE h, const CupCheckLibSpec *spec, CupCheckProbe *p)
{
  void *sym = win_symbol(h, spec->extra);
  if (sym == NULL) {
    p->extra_error = g_strdup_printf(_("has no %s()"), spec->extra);
    return;
  }
  p->extra_rc = call_extra(sym, spec, &p->extra_value);
  p->has_extra = TRUE;
  if (spec->kind == 'c') {
    p->extra_name = g_strdup(call_error_text(win_symbol(h, "cudaGetErrorName"), p->extra_rc));
    p->extra_text = g_strdup(call_error_text(win_symbol(h, "cudaGetErrorString"), p->extra_rc));
  }
}

/* Windows has no fork: load in process, and unload again, since a loaded DLL cannot be
 * deleted and a rollback or uninstall in this same process must be able to. */
void cup_check_probe_library(const char *path, const CupCheckLibSpec *spec, guint timeout_ms,
                             gboolean extra, CupCheckProbe *p)
{
  (void)timeout_ms;
  g_autofree gunichar2 *wpath = g_utf8_to_utf16(path, -1, NULL, NULL, NULL);
  HMODULE h = wpath ? LoadLibraryExW(wpath, NULL, LOAD_WITH_ALTERED_SEARCH_PATH) : NULL;
  if (h == NULL) {
    g_autofree char *msg = g_win32_error_message(GetLastError());
    p->error = g_strdup_printf(_("cannot be loaded: %s"), msg);
    return;
  }
  wchar_t name[MAX_PATH * 4];
  DWORD n = GetModuleFileNameW(h, name, G_N_ELEMENTS(name));
  p->object = g_utf16_to_utf8(name, n, NULL, NULL, NULL);
  p->symbol_object = g_strdup(p->object);
  void *sym = win_symbol(h, spec->symbol);
  int rc = 0;
  if (sym == NULL)
    p->error = g_strdup_printf(_("has no %s()"), spec->symbol);
  else if (!(p->has_value = call_version(sym, spec, &p->value, &rc)))
    p->error = g_strdup_printf(_("%s() failed with error %d"), spec->symbol, rc);
  if (p->has_value && extra)
    win_extra(h, spec, p);
  FreeLibrary(h);
}
#else
/* The child's report: 8 KiB, written to the pipe in pieces (child_flush). */
typedef struct {
  int fd;
  char buf[8192];
  size_t len;
} ChildOut;

static void child_put(ChildOut *out, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void child_put(ChildOut *out, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out->buf + out->len, sizeof out->buf - out->len, fmt, ap);
  va_end(ap);
  if (n > 0)
    out->len = MIN(sizeof out->buf - 1, out->len + (size_t)n);
}

static void child_flush(ChildOut *out)
{
  for (size_t done = 0; done < out->len;) {
    ssize_t n = write(out->fd, out->buf + done, out->len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += (size_t)n;
  }
  out->len = 0;
}

/* The extra call, reported as "X rc value", "N error name", "T error text" or "Y why not". */
static void child_extra(ChildOut *out, void *h, const CupCheckLibSpec *spec)
{
  void *sym = dlsym(h, spec->extra);
  if (sym == NULL) {
    child_put(out, "Y has no %s()\n", spec->extra);
    return;
  }
  gint64 value = 0;
  int rc = call_extra(sym, spec, &value);
  child_put(out, "X %d %" G_GINT64_FORMAT "\n", rc, value);
  const char *name = spec->kind == 'c' ? call_error_text(dlsym(h, "cudaGetErrorName"), rc) : NULL;
  const char *text = spec->kind == 'c' ? call_error_text(dlsym(h, "cudaGetErrorString"), rc) : NULL;
  if (name != NULL)
    child_put(out, "N %s\n", name);
  if (text != NULL)
    child_put(out, "T %s\n", text);
}

/* The child: load @path and report in lines on @fd ("O object", "S the symbol's object",
 * "V value", "E why", then the extra's lines), then leave without the parent's atexit
 * handlers or stdio flushes. */
G_GNUC_NORETURN static void probe_child(int fd, const char *path, const CupCheckLibSpec *spec,
                                        gboolean extra)
{
  static ChildOut out; /* static: 8 KiB off a stack the parent's thread may have made small */
  out.fd = fd;
  int devnull = open("/dev/null", O_RDWR);
  for (int std = 0; std <= 2 && devnull >= 0; std++)
    dup2(devnull, std); /* a library that prints must not garble cudaup's --json output */
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  struct link_map *map = NULL;
  void *sym = h ? dlsym(h, spec->symbol) : NULL;
  Dl_info info;
  gint64 value = 0;
  int rc = 0;
  gboolean answered = FALSE;
  if (h == NULL)
    child_put(&out, "E cannot be loaded: %s\n", dlerror());
  else if (dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map != NULL && map->l_name != NULL)
    child_put(&out, "O %s\n", map->l_name);
  if (h != NULL && sym == NULL)
    child_put(&out, "E has no %s()\n", spec->symbol);
  if (sym != NULL && dladdr(sym, &info) != 0 && info.dli_fname != NULL)
    child_put(&out, "S %s\n", info.dli_fname);
  if (sym != NULL && (answered = call_version(sym, spec, &value, &rc)))
    child_put(&out, "V %" G_GINT64_FORMAT "\n", value);
  else if (sym != NULL)
    child_put(&out, "E %s() failed with error %d\n", spec->symbol, rc);
  child_flush(&out);
  if (answered && extra && spec->extra != NULL) {
    child_extra(&out, h, spec);
    child_flush(&out);
  }
  _exit(0);
}

/* Read @fd to its end into @out; FALSE when @deadline (cup_check_now_ms) passed first. */
static gboolean read_until_eof(int fd, GString *out, gint64 deadline)
{
  for (;;) {
    gint64 left = deadline - cup_check_now_ms();
    struct pollfd pfd = {fd, POLLIN, 0};
    int n = left > 0 ? poll(&pfd, 1, (int)MIN(left, G_MAXINT)) : 0;
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0)
      return FALSE;
    char chunk[4096];
    ssize_t got = n > 0 ? read(fd, chunk, sizeof chunk) : 0;
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return TRUE;
    if (out->len < 65536)
      g_string_append_len(out, chunk, got);
  }
}

/* Reap @pid; one still running at @deadline (a library that closed our pipe and went on) is
 * killed first. Sets @killed when it was. */
static int reap(pid_t pid, gint64 deadline, gboolean *killed)
{
  int status = 0;
  for (;;) {
    pid_t got = waitpid(pid, &status, *killed ? 0 : WNOHANG);
    if (got == pid || (got < 0 && errno != EINTR))
      return status;
    if (got == 0 && cup_check_now_ms() >= deadline) {
      kill(pid, SIGKILL);
      *killed = TRUE;
    } else if (got == 0) {
      g_usleep(2000);
    }
  }
}

static void parse_extra(const char *line, CupCheckProbe *p)
{
  char **slot = line[0] == 'N' ? &p->extra_name : line[0] == 'T' ? &p->extra_text : NULL;
  if (line[0] == 'Y' && p->extra_error == NULL)
    p->extra_error = g_strdup(line + 2);
  if (slot != NULL && *slot == NULL)
    *slot = g_strdup(line + 2);
  if (line[0] == 'X' && !p->has_extra) {
    char *end = NULL;
    p->extra_rc = (int)g_ascii_strtoll(line + 2, &end, 10);
    p->extra_value = g_ascii_strtoll(end, NULL, 10);
    p->has_extra = TRUE;
  }
}

/* Take the child's report apart into @p. */
static void probe_parse(const char *text, CupCheckProbe *p)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l != NULL; l++) {
    if (strlen(*l) < 2 || (*l)[1] != ' ')
      continue;
    char **slot = (*l)[0] == 'E'   ? &p->error
                  : (*l)[0] == 'O' ? &p->object
                  : (*l)[0] == 'S' ? &p->symbol_object
                                   : NULL;
    if (slot != NULL && *slot == NULL)
      *slot = g_strdup(*l + 2);
    if ((*l)[0] == 'V') {
      p->value = g_ascii_strtoll(*l + 2, NULL, 10);
      p->has_value = TRUE;
    }
    parse_extra(*l, p);
  }
}

/* What went wrong in a child that ended with @status (@killed at the deadline). */
static void probe_verdict(CupCheckProbe *p, const CupCheckLibSpec *spec, guint timeout_ms,
                          gboolean extra, gboolean killed, int status)
{
  if (killed && p->has_value && extra) {
    if (!p->has_extra && p->extra_error == NULL)
      p->extra_error = g_strdup_printf(_("%s() did not return within %u ms and was killed"),
                                       spec->extra, timeout_ms);
  } else if (killed) {
    g_free(p->error);
    p->error = g_strdup_printf(_("did not load within %u ms and was killed"), timeout_ms);
  } else if (p->error == NULL && WIFSIGNALED(status) && !p->has_value) {
    p->error = g_strdup_printf(_("crashed while loading (signal %d, %s)"), WTERMSIG(status),
                               g_strsignal(WTERMSIG(status)));
  } else if (p->error == NULL && !p->has_value) {
    p->error = g_strdup_printf(_("ended the loading process (exit status %d) before %s() answered"),
                               WIFEXITED(status) ? WEXITSTATUS(status) : -1, spec->symbol);
  } else if (p->error == NULL && p->object == NULL) {
    p->error = g_strdup(_("was loaded, but the loader did not say from where"));
  }
  if (!killed && extra && p->has_value && !p->has_extra && p->extra_error == NULL)
    p->extra_error = WIFSIGNALED(status)
                         ? g_strdup_printf(_("%s() crashed (signal %d, %s)"), spec->extra,
                                           WTERMSIG(status), g_strsignal(WTERMSIG(status)))
                         : g_strdup_printf(_("%s() gave no answer"), spec->extra);
}

void cup_check_probe_library(const char *path, const CupCheckLibSpec *spec, guint timeout_ms,
                             gboolean extra, CupCheckProbe *p)
{
  int fds[2];
  g_autoptr(GError) local = NULL;
  extra = extra && spec->extra != NULL;
  if (!g_unix_open_pipe(fds, FD_CLOEXEC, &local)) {
    p->error = g_strdup_printf(_("cannot make a pipe: %s"), local->message);
    return;
  }
  gint64 deadline = cup_check_now_ms() + timeout_ms;
  pid_t pid = fork();
  int fork_errno = errno;
  if (pid == 0)
    probe_child(fds[1], path, spec, extra);
  close(fds[1]);
  g_autoptr(GString) out = g_string_new(NULL);
  gboolean killed = pid > 0 && !read_until_eof(fds[0], out, deadline);
  close(fds[0]);
  if (pid < 0) {
    p->error = g_strdup_printf(_("cannot start a process to load it: %s"), g_strerror(fork_errno));
    return;
  }
  if (killed)
    kill(pid, SIGKILL);
  int status = reap(pid, deadline, &killed);
  probe_parse(out->str, p);
  probe_verdict(p, spec, timeout_ms, extra, killed, status);
}
#endif
