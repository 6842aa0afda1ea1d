/* check.c - the post-install proof: the tree's own libcudart, libcudnn and nvcc, and nothing
 * else on the machine, answer with the versions the plan installed.
 *
 * Libraries are loaded in a child process (fork, no exec; Linux). In-process loading would
 * leave NVIDIA's libraries and whatever their constructors set up inside cudaup (and inside
 * the wizard, which lives on after the install); a library that crashes or hangs while it
 * loads would take cudaup down instead of failing one proof; and every later proof would run
 * against a link map that already holds an earlier copy, which glibc reuses for any
 * dependency of the same SONAME. A fresh fork per proof has none of these problems, and needs
 * no helper program (core has none to exec). The child only calls dlopen, dlsym, dlinfo,
 * dladdr and the version function, writes a few lines into a pipe and _exit()s; glibc resets
 * its malloc and loader locks in the child of fork, so this is safe in a threaded parent, and
 * the parent's deadline bounds a child that hangs anyway.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dlinfo(3), dladdr(3) */
#endif
#include "core/check.h"

#include "core/error.h"
#include "core/paths.h"
#include "core/proc.h"
#include "core/system.h"
#include "core/version.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#ifdef G_OS_WIN32
#include <windows.h>
#define NVCC_NAME "nvcc.exe"
#define OBJECT_NAME "k.obj"
#define DEFAULT_LIB_DIR "bin"
#define HOST_COMPILER "cl.exe"
#define LIB_FILE(unix_stem, windows_stem) windows_stem, ".dll"
#else
#include <dlfcn.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#define NVCC_NAME "nvcc"
#define OBJECT_NAME "k.o"
#define DEFAULT_LIB_DIR "lib64"
#define HOST_COMPILER "g++"
#define LIB_FILE(unix_stem, windows_stem) unix_stem, ""
#endif

#if defined(__aarch64__)
#define TARGET_LIB_DIR "targets/sbsa-linux/lib"
#else
#define TARGET_LIB_DIR "targets/x86_64-linux/lib"
#endif

/* The kernel of the compile proof: small, and without -arch it needs no GPU. */
static const char kernel_source[] =
    "__global__ void cudaup_check(float *x)\n{\n  x[threadIdx.x] *= 2.0f;\n}\n";

/* One library proof: its file is STEM N SUFFIX in the lib directory. */
typedef struct {
  const char *stem;   /* "libcudart.so." */
  const char *suffix; /* "" (Linux), ".dll" (Windows) */
  const char *symbol; /* the version function */
  char kind;          /* cup_version_from_encoded: 'c' CUDA, 'd' cuDNN */
  const char *what;   /* for the fix: "the CUDA toolkit", "cuDNN" */
  const char *flag;   /* for the fix: the cudaup install selector */
} LibSpec;

static const LibSpec cudart_spec = {LIB_FILE("libcudart.so.", "cudart64_"), "cudaRuntimeGetVersion",
                                    'c', "the CUDA toolkit", "--cuda"};
static const LibSpec cudnn_spec = {LIB_FILE("libcudnn.so.", "cudnn64_"), "cudnnGetVersion", 'd',
                                   "cuDNN", "--cudnn"};

/* The options, validated and resolved once. */
typedef struct {
  const CupCheckOptions *o;
  char *root;      /* absolute, as given */
  char *real_root; /* symlinks resolved */
  char *lib_dir;   /* absolute */
  CupVersion cuda, cudnn;
  guint timeout_ms;
} Check;

/* What a library load told us. */
typedef struct {
  char *error;         /* why it failed, or NULL */
  char *object;        /* the object the handle names (dlinfo) */
  char *symbol_object; /* the object that holds the version function (dladdr) */
  gint64 value;        /* what the version function returned */
  gboolean has_value;
} Probe;

static void check_clear(Check *c)
{
  g_free(c->root);
  g_free(c->real_root);
  g_free(c->lib_dir);
}

static void probe_clear(Probe *p)
{
  g_free(p->error);
  g_free(p->object);
  g_free(p->symbol_object);
}

static void item_free(gpointer data)
{
  CupCheckItem *it = data;
  g_free(it->name);
  g_free(it->path);
  g_free(it->version);
  g_free(it->detail);
  g_free(it);
}

void cup_check_result_free(CupCheckResult *r)
{
  if (r == NULL)
    return;
  g_free(r->root);
  g_ptr_array_unref(r->items);
  g_free(r);
}

static gint64 now_ms(void)
{
  return g_get_monotonic_time() / 1000;
}

static CupCheckItem *item_new(CupCheckResult *r, const char *name)
{
  CupCheckItem *it = g_new0(CupCheckItem, 1);
  it->name = g_strdup(name);
  it->ms = now_ms(); /* the start; item_done makes it the duration */
  g_ptr_array_add(r->items, it);
  return it;
}

static void item_done(CupCheckItem *it, gboolean ok, char *detail)
{
  it->ok = ok;
  it->detail = detail;
  it->ms = now_ms() - it->ms;
}

/* The fix for anything wrong in the tree: install that part into it again. */
static char *fix_for(const Check *c, const char *what, const char *flag, const char *expect)
{
  return g_strdup_printf("install %s into %s again (cudaup install %s %s --prefix %s)", what,
                         c->root, flag, expect ? expect : "<version>", c->root);
}

static char *real_path(const char *path)
{
#ifdef G_OS_WIN32
  /* Links are rare on Windows trees; the lexical form is what LoadLibrary reports back. */
  return g_canonicalize_filename(path, NULL);
#else
  char *real = realpath(path, NULL);
  int saved = errno;
  char *copy = g_strdup(real);
  free(real);
  errno = saved;
  return copy;
#endif
}

static gboolean path_is_below(const char *root, const char *path)
{
  gsize n = strlen(root);
  while (n > 0 && G_IS_DIR_SEPARATOR(root[n - 1]))
    n--;
#ifdef G_OS_WIN32
  gboolean same = g_ascii_strncasecmp(path, root, n) == 0;
#else
  gboolean same = strncmp(path, root, n) == 0;
#endif
  return same && (path[n] == '\0' || G_IS_DIR_SEPARATOR(path[n]));
}

/* NULL when @path resolves below the root, else why not (with the fix). */
static char *escape_problem(const Check *c, const char *path, const char *fix)
{
  g_autofree char *real = real_path(path);
  if (real == NULL)
    return g_strdup_printf("cannot be resolved (%s); %s", g_strerror(errno), fix);
  if (!path_is_below(c->real_root, real))
    return g_strdup_printf("resolves to %s, outside %s; %s", real, c->root, fix);
  return NULL;
}

/* Whether @seen equals @want on the parts @want gives ("9.19" matches "9.19.0"). */
static gboolean version_matches(const char *seen, const CupVersion *want)
{
  CupVersion v;
  if (!cup_version_parse(seen, &v, NULL))
    return FALSE;
  for (guint i = 0; i < want->n_parts; i++)
    if ((i < v.n_parts ? v.parts[i] : 0) != want->parts[i])
      return FALSE;
  return TRUE;
}

/* ---- finding and loading a library ---- */

/* STEM N SUFFIX in @dir: N = @want_major when present, else the highest N. */
static char *find_library(const char *dir, const LibSpec *spec, guint64 want_major)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  char *best = NULL;
  guint64 best_n = 0;
  gsize stem = strlen(spec->stem), suffix = strlen(spec->suffix);
  while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
    gsize len = strlen(name);
    if (len <= stem + suffix || strncmp(name, spec->stem, stem) != 0 ||
        strcmp(name + len - suffix, spec->suffix) != 0)
      continue;
    g_autofree char *digits = g_strndup(name + stem, len - stem - suffix);
    guint64 n = 0;
    if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT32, &n, NULL))
      continue;
    if (best == NULL || n == want_major || (n > best_n && best_n != want_major)) {
      g_free(best);
      best = g_strdup(name);
      best_n = n;
    }
  }
  return best;
}

/* Call the version function at @sym into @value; FALSE with its error code in @rc. */
static gboolean call_version(void *sym, const LibSpec *spec, gint64 *value, int *rc)
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

#ifdef G_OS_WIN32
/* Windows has no fork: load in process, and unload again, since a loaded DLL cannot be
 * deleted and a rollback or uninstall in this same process must be able to. */
static void probe_library(const char *path, const LibSpec *spec, guint timeout_ms, Probe *p)
{
  (void)timeout_ms;
  g_autofree gunichar2 *wpath = g_utf8_to_utf16(path, -1, NULL, NULL, NULL);
  HMODULE h = wpath ? LoadLibraryExW(wpath, NULL, LOAD_WITH_ALTERED_SEARCH_PATH) : NULL;
  if (h == NULL) {
    g_autofree char *msg = g_win32_error_message(GetLastError());
    p->error = g_strdup_printf("cannot be loaded: %s", msg);
    return;
  }
  wchar_t name[MAX_PATH * 4];
  DWORD n = GetModuleFileNameW(h, name, G_N_ELEMENTS(name));
  p->object = g_utf16_to_utf8(name, n, NULL, NULL, NULL);
  p->symbol_object = g_strdup(p->object);
  FARPROC fn = GetProcAddress(h, spec->symbol);
  void *sym = NULL;
  int rc = 0;
  memcpy(&sym, &fn, sizeof sym);
  if (sym == NULL)
    p->error = g_strdup_printf("has no %s()", spec->symbol);
  else if (!(p->has_value = call_version(sym, spec, &p->value, &rc)))
    p->error = g_strdup_printf("%s() failed with error %d", spec->symbol, rc);
  FreeLibrary(h);
}
#else
static void child_put(char *buf, size_t *len, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Append to the child's report (8 KiB, see probe_child). */
static void child_put(char *buf, size_t *len, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *len, 8192 - *len, fmt, ap);
  va_end(ap);
  if (n > 0)
    *len = MIN(8191, *len + (size_t)n);
}

/* The child: load @path and report in lines on @fd ("O object", "S the symbol's object",
 * "V value", "E why"), then leave without the parent's atexit handlers or stdio flushes. */
G_GNUC_NORETURN static void probe_child(int fd, const char *path, const LibSpec *spec)
{
  char buf[8192];
  size_t len = 0;
  int devnull = open("/dev/null", O_RDWR);
  for (int std = 0; std <= 2 && devnull >= 0; std++)
    dup2(devnull, std); /* a library that prints must not garble cudaup's --json output */
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  struct link_map *map = NULL;
  void *sym = h ? dlsym(h, spec->symbol) : NULL;
  Dl_info info;
  gint64 value = 0;
  int rc = 0;
  if (h == NULL)
    child_put(buf, &len, "E cannot be loaded: %s\n", dlerror());
  else if (dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map != NULL && map->l_name != NULL)
    child_put(buf, &len, "O %s\n", map->l_name);
  if (h != NULL && sym == NULL)
    child_put(buf, &len, "E has no %s()\n", spec->symbol);
  if (sym != NULL && dladdr(sym, &info) != 0 && info.dli_fname != NULL)
    child_put(buf, &len, "S %s\n", info.dli_fname);
  if (sym != NULL && call_version(sym, spec, &value, &rc))
    child_put(buf, &len, "V %" G_GINT64_FORMAT "\n", value);
  else if (sym != NULL)
    child_put(buf, &len, "E %s() failed with error %d\n", spec->symbol, rc);
  for (size_t done = 0; done < len;) {
    ssize_t n = write(fd, buf + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += (size_t)n;
  }
  _exit(0);
}

/* Read @fd to its end into @out; FALSE when @deadline (now_ms) passed first. */
static gboolean read_until_eof(int fd, GString *out, gint64 deadline)
{
  for (;;) {
    gint64 left = deadline - now_ms();
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
    if (got == 0 && now_ms() >= deadline) {
      kill(pid, SIGKILL);
      *killed = TRUE;
    } else if (got == 0) {
      g_usleep(2000);
    }
  }
}

/* Take the child's report apart into @p. */
static void probe_parse(const char *text, Probe *p)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l != NULL; l++) {
    char **slot = g_str_has_prefix(*l, "E ") ? &p->error
                  : g_str_has_prefix(*l, "O ") ? &p->object
                  : g_str_has_prefix(*l, "S ") ? &p->symbol_object
                                               : NULL;
    if (slot != NULL && *slot == NULL)
      *slot = g_strdup(*l + 2);
    if (g_str_has_prefix(*l, "V ")) {
      p->value = g_ascii_strtoll(*l + 2, NULL, 10);
      p->has_value = TRUE;
    }
  }
}

static void probe_library(const char *path, const LibSpec *spec, guint timeout_ms, Probe *p)
{
  int fds[2];
  g_autoptr(GError) local = NULL;
  if (!g_unix_open_pipe(fds, FD_CLOEXEC, &local)) {
    p->error = g_strdup_printf("cannot make a pipe: %s", local->message);
    return;
  }
  gint64 deadline = now_ms() + timeout_ms;
  pid_t pid = fork();
  int fork_errno = errno;
  if (pid == 0)
    probe_child(fds[1], path, spec);
  close(fds[1]);
  g_autoptr(GString) out = g_string_new(NULL);
  gboolean killed = pid > 0 && !read_until_eof(fds[0], out, deadline);
  close(fds[0]);
  if (pid < 0) {
    p->error = g_strdup_printf("cannot start a process to load it: %s", g_strerror(fork_errno));
    return;
  }
  if (killed)
    kill(pid, SIGKILL);
  int status = reap(pid, deadline, &killed);
  probe_parse(out->str, p);
  if (killed) {
    g_free(p->error);
    p->error = g_strdup_printf("did not load within %u ms and was killed", timeout_ms);
  } else if (p->error == NULL && WIFSIGNALED(status)) {
    p->error = g_strdup_printf("crashed while loading (signal %d, %s)", WTERMSIG(status),
                               g_strsignal(WTERMSIG(status)));
  } else if (p->error == NULL && !p->has_value) {
    p->error = g_strdup_printf("ended the loading process (exit status %d) before %s() answered",
                               WIFEXITED(status) ? WEXITSTATUS(status) : -1, spec->symbol);
  } else if (p->error == NULL && p->object == NULL) {
    p->error = g_strdup("was loaded, but the loader did not say from where");
  }
}
#endif

/* After a load: the objects that answered must be the tree's; NULL when they are. */
static char *copy_problem(const Check *c, const char *path, const Probe *p, const char *fix)
{
  const char *objects[] = {p->object, p->symbol_object};
  for (guint i = 0; i < G_N_ELEMENTS(objects); i++) {
    g_autofree char *real = objects[i] ? real_path(objects[i]) : NULL;
    if (objects[i] != NULL && (real == NULL || !path_is_below(c->real_root, real)))
      return g_strdup_printf("was answered by %s, another copy outside %s, not by %s; %s",
                             real ? real : objects[i], c->root, path, fix);
  }
  return NULL;
}

/* What is wrong with the library @it->path, after loading it; NULL when nothing is. */
static char *library_problem(const Check *c, const LibSpec *spec, const char *expect,
                             const CupVersion *want, CupCheckItem *it, const char *fix)
{
  char *problem = escape_problem(c, it->path, fix);
  if (problem != NULL)
    return problem;
  Probe p = {0};
  probe_library(it->path, spec, c->timeout_ms, &p);
  problem = p.error ? g_strdup_printf("%s; %s", p.error, fix) : copy_problem(c, it->path, &p, fix);
  if (problem == NULL) {
    it->version = cup_version_from_encoded((int)CLAMP(p.value, 0, G_MAXINT), spec->kind);
    if (it->version == NULL)
      problem = g_strdup_printf("%s() returned %" G_GINT64_FORMAT ", not a version; %s",
                                spec->symbol, p.value, fix);
    else if (expect != NULL && !version_matches(it->version, want))
      problem = g_strdup_printf("reports %s, expected %s; %s", it->version, expect, fix);
  }
  if (problem == NULL) { /* the success line, in the item until item_done */
    g_autofree char *real = real_path(it->path);
    it->detail = g_strdup_printf("%s() = %" G_GINT64_FORMAT " (%s), loaded from %s", spec->symbol,
                                 p.value, it->version, real);
  }
  probe_clear(&p);
  return problem;
}

static void prove_library(const Check *c, const LibSpec *spec, const char *expect,
                          const CupVersion *want, CupCheckItem *it)
{
  g_autofree char *fix = fix_for(c, spec->what, spec->flag, expect);
  g_autofree char *file = find_library(c->lib_dir, spec, expect ? want->parts[0] : G_MAXUINT64);
  if (file == NULL) {
    item_done(it, FALSE,
              g_strdup_printf("no %sN%s in %s; %s", spec->stem, spec->suffix, c->lib_dir, fix));
    return;
  }
  it->path = g_build_filename(c->lib_dir, file, NULL);
  char *problem = library_problem(c, spec, expect, want, it, fix);
  item_done(it, problem == NULL, problem ? problem : it->detail);
}

/* ---- running nvcc ---- */

/* PATH for nvcc: ROOT/bin first, then ours without the directories that hold another nvcc,
 * unless they also hold the host compiler nvcc needs (/usr/bin with Debian's nvcc). */
static char *nvcc_path_variable(const Check *c)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(keep, g_build_filename(c->root, "bin", NULL));
  const char *path = g_getenv("PATH");
  g_auto(GStrv) dirs =
      g_strsplit(path ? path : "/usr/local/bin:/usr/bin:/bin", G_SEARCHPATH_SEPARATOR_S, -1);
  for (char **d = dirs; *d != NULL; d++) {
    g_autofree char *nvcc = g_build_filename(*d, NVCC_NAME, NULL);
    g_autofree char *host = g_build_filename(*d, HOST_COMPILER, NULL);
    if (g_path_is_absolute(*d) &&
        (!g_file_test(nvcc, G_FILE_TEST_EXISTS) || g_file_test(host, G_FILE_TEST_EXISTS)))
      g_ptr_array_add(keep, g_strdup(*d));
  }
  g_ptr_array_add(keep, NULL);
  return g_strjoinv(G_SEARCHPATH_SEPARATOR_S, (char **)keep->pdata);
}

/* The environment nvcc runs in: nothing that points at another toolkit or changes nvcc's
 * flags (CUDA_PATH, LD_LIBRARY_PATH, NVCC_APPEND_FLAGS...); temporary files in @tmpdir.
 * Windows keeps the rest, since cl.exe needs its INCLUDE, LIB and friends. */
static char **nvcc_environ(const Check *c, const char *tmpdir)
{
#ifdef G_OS_WIN32
  char **env = g_get_environ();
  static const char *const drop[] = {"CUDA_PATH",  "CUDA_HOME",          "CUDA_ROOT",
                                     "NVCC_CCBIN", "NVCC_PREPEND_FLAGS", "NVCC_APPEND_FLAGS"};
  for (guint i = 0; i < G_N_ELEMENTS(drop); i++)
    env = g_environ_unsetenv(env, drop[i]);
  if (tmpdir != NULL)
    env = g_environ_setenv(g_environ_setenv(env, "TEMP", tmpdir, TRUE), "TMP", tmpdir, TRUE);
#else
  char **env = g_new0(char *, 1);
  const char *home = g_getenv("HOME");
  const char *tmp = tmpdir ? tmpdir : g_getenv("TMPDIR");
  if (home != NULL)
    env = g_environ_setenv(env, "HOME", home, TRUE);
  if (tmp != NULL)
    env = g_environ_setenv(env, "TMPDIR", tmp, TRUE);
  env = g_environ_setenv(env, "LC_ALL", "C", TRUE);
#endif
  g_autofree char *path = nvcc_path_variable(c);
  return g_environ_setenv(env, "PATH", path, TRUE);
}

/* The last non-empty line of @text, for a message. */
static char *last_line(const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint n = g_strv_length(lines); n > 0; n--)
    if (g_strstrip(lines[n - 1])[0] != '\0')
      return g_strdup(lines[n - 1]);
  return g_strdup("(no output)");
}

/* Run nvcc with @argv (temporary files and working directory in @dir, NULL: the usual) into
 * @output; NULL when it exited 0, else the failure and @fix. nvcc runs cicc, ptxas and gcc:
 * the timeout kills all of them, or one left alive would hold the output pipe open. */
static char *run_nvcc(const Check *c, const char *const *argv, const char *dir, const char *fix,
                      char **output)
{
  g_auto(GStrv) env = nvcc_environ(c, dir);
  CupProcOptions run = {argv, (const char *const *)env, dir, TRUE, c->timeout_ms};
  g_autoptr(GError) local = NULL;
  int status = 0;
  g_autoptr(GBytes) bytes = cup_proc_run_full(&run, &status, &local);
  if (status == CUP_PROC_TIMED_OUT)
    return g_strdup_printf("did not finish within %u ms and was killed; %s", c->timeout_ms, fix);
  if (bytes == NULL)
    return g_strdup_printf("%s; %s", local->message, fix);
  gsize size = 0;
  const char *data = g_bytes_get_data(bytes, &size);
  *output = g_utf8_make_valid(data ? data : "", data ? (gssize)size : 0);
  g_autofree char *line = last_line(*output);
  if (status < 0)
    return g_strdup_printf("was killed (%s); %s", line, fix);
  return status ? g_strdup_printf("exited with status %d: %s; %s", status, line, fix) : NULL;
}

/* ROOT/bin/nvcc when it exists below the root; else the item fails and NULL. */
static char *locate_nvcc(const Check *c, CupCheckItem *it, const char *fix)
{
  g_autofree char *nvcc = g_build_filename(c->root, "bin", NVCC_NAME, NULL);
  if (!g_file_test(nvcc, G_FILE_TEST_IS_REGULAR)) {
    item_done(it, FALSE, g_strdup_printf("no %s in %s/bin; %s", NVCC_NAME, c->root, fix));
    return NULL;
  }
  it->path = g_strdup(nvcc);
  char *problem = escape_problem(c, nvcc, fix);
  if (problem != NULL) {
    item_done(it, FALSE, problem);
    return NULL;
  }
  return g_steal_pointer(&nvcc);
}

/* "Cuda compilation tools, release 13.0, V13.0.88" -> "13.0.88". */
static char *nvcc_version(const char *output)
{
  g_autoptr(GRegex) re = g_regex_new("release [0-9]+\\.[0-9]+, V([0-9]+(\\.[0-9]+)+)", 0, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  return g_regex_match(re, output, 0, &m) ? g_match_info_fetch(m, 1) : NULL;
}

static void prove_nvcc(const Check *c, CupCheckItem *it)
{
  g_autofree char *fix = fix_for(c, "the CUDA toolkit", "--cuda", c->o->expect_cuda);
  g_autofree char *nvcc = locate_nvcc(c, it, fix);
  if (nvcc == NULL)
    return;
  const char *argv[] = {nvcc, "--version", NULL};
  g_autofree char *output = NULL;
  char *problem = run_nvcc(c, argv, NULL, fix, &output);
  if (problem == NULL) {
    it->version = nvcc_version(output);
    if (it->version == NULL) {
      g_autofree char *line = last_line(output);
      problem =
          g_strdup_printf("printed no \"release X.Y, VX.Y.Z\" line (last line: %s); %s", line, fix);
    } else if (c->o->expect_cuda && !version_matches(it->version, &c->cuda)) {
      problem = g_strdup_printf("reports %s, expected %s; %s", it->version, c->o->expect_cuda, fix);
    }
  }
  item_done(it, problem == NULL,
            problem ? problem : g_strdup_printf("nvcc --version says %s", it->version));
}

/* NULL when @obj is a non-empty relocatable object of this platform, else what it is. */
static char *object_problem(const char *obj)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(obj, &data, &len, NULL))
    return g_strdup_printf("wrote no %s", OBJECT_NAME);
#ifdef G_OS_WIN32
  gboolean ok = len > 20 && (guchar)data[0] == 0x64 && (guchar)data[1] == 0x86; /* AMD64 COFF */
#else
  /* ELF magic, then e_type (little-endian on every platform NVIDIA ships) ET_REL = 1. */
  gboolean ok = len > 18 && memcmp(data, "\177ELF", 4) == 0 && data[16] == 1 && data[17] == 0;
#endif
  return ok ? NULL
            : g_strdup_printf("wrote %s (%" G_GSIZE_FORMAT " bytes), which is not an object file",
                              OBJECT_NAME, len);
}

static char *compile_in(const Check *c, const char *nvcc, const char *dir, const char *fix)
{
  g_autofree char *src = g_build_filename(dir, "k.cu", NULL);
  g_autofree char *obj = g_build_filename(dir, OBJECT_NAME, NULL);
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents(src, kernel_source, -1, &local))
    return g_strdup_printf("cannot write %s: %s", src, local->message);
  const char *argv[] = {nvcc, "-c", src, "-o", obj, NULL};
  g_autofree char *output = NULL;
  g_autofree char *host_fix = g_strdup_printf(
      "nvcc needs a supported host compiler (%s) on PATH; or %s", HOST_COMPILER, fix);
  char *problem = run_nvcc(c, argv, dir, host_fix, &output);
  if (problem != NULL)
    return problem;
  g_autofree char *bad = object_problem(obj);
  return bad ? g_strdup_printf("%s; %s", bad, fix) : NULL;
}

static void prove_compile(const Check *c, CupCheckItem *it)
{
  g_autofree char *fix = fix_for(c, "the CUDA toolkit", "--cuda", c->o->expect_cuda);
  g_autofree char *nvcc = locate_nvcc(c, it, fix);
  if (nvcc == NULL)
    return;
  g_autoptr(GError) local = NULL;
  g_autofree char *dir = g_dir_make_tmp("cudaup-check-XXXXXX", &local);
  if (dir == NULL) {
    item_done(it, FALSE,
              g_strdup_printf("cannot make a temporary directory: %s; set TMPDIR to a writable "
                              "directory",
                              local->message));
    return;
  }
  char *problem = compile_in(c, nvcc, dir, fix);
  cup_remove_tree(dir);
  item_done(it, problem == NULL,
            problem ? problem : g_strdup("compiled a kernel to a relocatable object"));
}

/* ---- options ---- */

static gboolean parse_expect(const char *text, const char *what, CupVersion *out, GError **error)
{
  if (text == NULL || cup_version_parse(text, out, NULL))
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
              "expected %s version \"%s\" is not a version; give it as X.Y or X.Y.Z", what, text);
  return FALSE;
}

static gboolean lib_dir_ok(const char *lib_dir, GError **error)
{
  g_auto(GStrv) parts = g_regex_split_simple("[/\\\\]", lib_dir, 0, 0);
  if (lib_dir[0] != '\0' && !g_path_is_absolute(lib_dir) &&
      !g_strv_contains((const char *const *)parts, ".."))
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
              "library directory \"%s\" must be a path inside the toolkit root, like lib64",
              lib_dir);
  return FALSE;
}

static char *default_lib_dir(const char *root)
{
  char *lib = g_build_filename(root, DEFAULT_LIB_DIR, NULL);
  g_autofree char *target = g_build_filename(root, TARGET_LIB_DIR, NULL);
  if (!g_file_test(lib, G_FILE_TEST_IS_DIR) && g_file_test(target, G_FILE_TEST_IS_DIR)) {
    g_free(lib);
    return g_steal_pointer(&target);
  }
  return lib;
}

static gboolean check_init(Check *c, const CupCheckOptions *o, GError **error)
{
  c->o = o;
  c->timeout_ms = o->timeout_ms ? o->timeout_ms : CUP_CHECK_TIMEOUT_MS;
  if (o->root == NULL || o->root[0] == '\0' || !(o->cudart || o->cudnn || o->nvcc || o->compile)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                "nothing to check: give a toolkit root and at least one proof to run");
    return FALSE;
  }
  if (!parse_expect(o->expect_cuda, "CUDA", &c->cuda, error) ||
      !parse_expect(o->expect_cudnn, "cuDNN", &c->cudnn, error) ||
      (o->lib_dir != NULL && !lib_dir_ok(o->lib_dir, error)))
    return FALSE;
  c->root = g_canonicalize_filename(o->root, NULL);
  c->real_root = real_path(c->root);
  if (c->real_root == NULL || !g_file_test(c->real_root, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                "toolkit root %s is not a directory; give the --prefix the install used", c->root);
    return FALSE;
  }
  c->lib_dir = o->lib_dir ? g_build_filename(c->root, o->lib_dir, NULL) : default_lib_dir(c->root);
  return TRUE;
}

CupCheckResult *cup_check_toolkit(const CupCheckOptions *o, GError **error)
{
  g_return_val_if_fail(o != NULL, NULL);
  Check c = {0};
  if (!check_init(&c, o, error)) {
    check_clear(&c);
    return NULL;
  }
  CupCheckResult *r = g_new0(CupCheckResult, 1);
  r->root = g_strdup(c.root);
  r->items = g_ptr_array_new_with_free_func(item_free);
  if (o->cudart)
    prove_library(&c, &cudart_spec, o->expect_cuda, &c.cuda, item_new(r, CUP_CHECK_LIBCUDART));
  if (o->cudnn)
    prove_library(&c, &cudnn_spec, o->expect_cudnn, &c.cudnn, item_new(r, CUP_CHECK_LIBCUDNN));
  if (o->nvcc)
    prove_nvcc(&c, item_new(r, CUP_CHECK_NVCC));
  if (o->compile)
    prove_compile(&c, item_new(r, CUP_CHECK_NVCC_COMPILE));
  r->ok = TRUE;
  for (guint i = 0; i < r->items->len; i++) {
    const CupCheckItem *it = g_ptr_array_index(r->items, i);
    g_debug("check: %s %s: %s", it->name, it->ok ? "ok" : "FAILED", it->detail);
    r->ok = r->ok && it->ok;
  }
  check_clear(&c);
  return r;
}

/* ---- output ---- */

char *cup_check_summary(const CupCheckResult *r)
{
  g_return_val_if_fail(r != NULL, NULL);
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint i = 0; i < r->items->len; i++) {
    const CupCheckItem *it = g_ptr_array_index(r->items, i);
    if (!it->ok && it->path != NULL)
      return g_strdup_printf("%s at %s %s", it->name, it->path, it->detail);
    if (!it->ok)
      return g_strdup_printf("%s: %s", it->name, it->detail);
    if (g_str_equal(it->name, CUP_CHECK_NVCC_COMPILE))
      g_string_append_printf(s, "%snvcc compiles", s->len ? ", " : "");
    else
      g_string_append_printf(s, "%s%s %s", s->len ? ", " : "", it->name, it->version);
  }
  return g_strdup_printf("%s works: %s", r->root, s->str);
}

static json_t *string_or_null(const char *s)
{
  return s ? json_string(s) : json_null();
}

json_t *cup_check_to_json(const CupCheckResult *r)
{
  g_return_val_if_fail(r != NULL, NULL);
  json_t *items = json_array();
  for (guint i = 0; i < r->items->len; i++) {
    const CupCheckItem *it = g_ptr_array_index(r->items, i);
    json_array_append_new(items, json_pack("{s:s, s:b, s:o, s:o, s:o, s:I}", "name", it->name, "ok",
                                           it->ok, "path", string_or_null(it->path), "version",
                                           string_or_null(it->version), "detail",
                                           string_or_null(it->detail), "ms", (json_int_t)it->ms));
  }
  return json_pack("{s:s, s:b, s:o}", "root", r->root, "ok", r->ok, "items", items);
}
