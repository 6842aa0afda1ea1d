/* check_nvcc.c - the nvcc proofs: the tree's own nvcc reports the toolkit's version and
 * compiles a small kernel (for a given GPU architecture when asked), run with an environment
 * of our own so that no other toolkit on the machine answers instead. */
#include "core/check_private.h"

#include "core/i18n.h"
#include "core/paths.h"
#include "core/proc.h"

#include <string.h>

/* The kernel of the compile proof: small, and compiling needs no GPU for any -arch. */
static const char kernel_source[] =
    "__global__ void cudaup_check(float *x)\n{\n  x[threadIdx.x] *= 2.0f;\n}\n";

/* PATH for nvcc: ROOT/bin first, then ours without the directories that hold another nvcc,
 * unless they also hold the host compiler nvcc needs (/usr/bin with Debian's nvcc). */
static char *nvcc_path_variable(const CupCheck *c)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(keep, g_build_filename(c->root, "bin", NULL));
  const char *path = g_getenv("PATH");
  g_auto(GStrv) dirs =
      g_strsplit(path ? path : "/usr/local/bin:/usr/bin:/bin", G_SEARCHPATH_SEPARATOR_S, -1);
  for (char **d = dirs; *d != NULL; d++) {
    g_autofree char *nvcc = g_build_filename(*d, CUP_CHECK_NVCC_NAME, NULL);
    g_autofree char *host = g_build_filename(*d, CUP_CHECK_HOST_COMPILER, NULL);
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
static char **nvcc_environ(const CupCheck *c, const char *tmpdir)
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
  return g_strdup(_("(no output)"));
}

/* Run nvcc with @argv (temporary files and working directory in @dir, NULL: the usual) into
 * @output; NULL when it exited 0, else the failure and @fix. nvcc runs cicc, ptxas and gcc:
 * the timeout kills all of them, or one left alive would hold the output pipe open. */
static char *run_nvcc(const CupCheck *c, const char *const *argv, const char *dir, const char *fix,
                      char **output)
{
  g_auto(GStrv) env = nvcc_environ(c, dir);
  CupProcOptions run = {argv, (const char *const *)env, dir, TRUE, c->timeout_ms};
  g_autoptr(GError) local = NULL;
  int status = 0;
  g_autoptr(GBytes) bytes = cup_proc_run_full(&run, &status, &local);
  if (status == CUP_PROC_TIMED_OUT)
    return g_strdup_printf(_("did not finish within %u ms and was killed; %s"), c->timeout_ms, fix);
  if (bytes == NULL)
    return g_strdup_printf("%s; %s", local->message, fix);
  gsize size = 0;
  const char *data = g_bytes_get_data(bytes, &size);
  *output = g_utf8_make_valid(data ? data : "", data ? (gssize)size : 0);
  g_autofree char *line = last_line(*output);
  if (status < 0)
    return g_strdup_printf(_("was killed (%s); %s"), line, fix);
  return status ? g_strdup_printf(_("exited with status %d: %s; %s"), status, line, fix) : NULL;
}

/* ROOT/bin/nvcc when it exists below the root; else the item fails and NULL. */
static char *locate_nvcc(const CupCheck *c, CupCheckItem *it, const char *fix)
{
  g_autofree char *nvcc = g_build_filename(c->root, "bin", CUP_CHECK_NVCC_NAME, NULL);
  if (!g_file_test(nvcc, G_FILE_TEST_IS_REGULAR)) {
    cup_check_item_done(
        it, FALSE, g_strdup_printf(_("no %s in %s/bin; %s"), CUP_CHECK_NVCC_NAME, c->root, fix));
    return NULL;
  }
  it->path = g_strdup(nvcc);
  char *problem = cup_check_escape_problem(c, nvcc, fix);
  if (problem != NULL) {
    cup_check_item_done(it, FALSE, problem);
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

void cup_check_prove_nvcc(const CupCheck *c, CupCheckItem *it)
{
  g_autofree char *fix = cup_check_fix_for(c, "the CUDA toolkit", "--cuda", c->o->expect_cuda);
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
      problem = g_strdup_printf(_("printed no \"release X.Y, VX.Y.Z\" line (last line: %s); %s"),
                                line, fix);
    } else if (c->o->expect_cuda && !cup_check_version_matches(it->version, &c->cuda)) {
      problem =
          g_strdup_printf(_("reports %s, expected %s; %s"), it->version, c->o->expect_cuda, fix);
    }
  }
  cup_check_item_done(it, problem == NULL,
                      problem ? problem
                              : g_strdup_printf(_("nvcc --version says %s"), it->version));
}

/* NULL when @obj is a non-empty relocatable object of this platform, else what it is. */
static char *object_problem(const char *obj)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(obj, &data, &len, NULL))
    return g_strdup_printf(_("wrote no %s"), CUP_CHECK_OBJECT_NAME);
#ifdef G_OS_WIN32
  gboolean ok = len > 20 && (guchar)data[0] == 0x64 && (guchar)data[1] == 0x86; /* AMD64 COFF */
#else
  /* ELF magic, then e_type (little-endian on every platform NVIDIA ships) ET_REL = 1. */
  gboolean ok = len > 18 && memcmp(data, "\177ELF", 4) == 0 && data[16] == 1 && data[17] == 0;
#endif
  return ok ? NULL
            : g_strdup_printf(_("wrote %s (%lu bytes), which is not an object file"),
                              CUP_CHECK_OBJECT_NAME, (unsigned long)len);
}

/* The lowest "compute_XY" `nvcc --list-gpu-arch` names, as "sm_XY"; NULL with @problem set
 * when nvcc cannot say. */
static char *lowest_arch(const CupCheck *c, const char *nvcc, const char *fix, char **problem)
{
  const char *argv[] = {nvcc, "--list-gpu-arch", NULL};
  g_autofree char *output = NULL;
  *problem = run_nvcc(c, argv, NULL, fix, &output);
  if (*problem != NULL)
    return NULL;
  g_autoptr(GRegex) re = g_regex_new("^compute_([0-9]+)[a-z]?$", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  guint64 lowest = G_MAXUINT64;
  for (g_regex_match(re, output, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
    g_autofree char *digits = g_match_info_fetch(m, 1);
    lowest = MIN(lowest, g_ascii_strtoull(digits, NULL, 10));
  }
  if (lowest != G_MAXUINT64)
    return g_strdup_printf("sm_%" G_GUINT64_FORMAT, lowest);
  g_autofree char *line = last_line(output);
  *problem = g_strdup_printf(_("nvcc --list-gpu-arch named no compute_XY architecture (last "
                               "line: %s); %s"),
                             line, fix);
  return NULL;
}

/* The -arch of the compile proof: NULL for nvcc's default (and then @problem NULL too). */
static char *compile_arch(const CupCheck *c, const char *nvcc, const char *fix, char **problem)
{
  const char *cc = c->o->compile_cc;
  *problem = NULL;
  if (cc == NULL)
    return NULL;
  if (strcmp(cc, CUP_CHECK_CC_LOWEST) == 0)
    return lowest_arch(c, nvcc, fix, problem);
  g_auto(GStrv) parts = g_strsplit(cc, ".", 2); /* "8.6", checked by check_init */
  return g_strdup_printf("sm_%s%s", parts[0], parts[1]);
}

static char *compile_in(const CupCheck *c, const char *nvcc, const char *arch, const char *dir,
                        const char *fix)
{
  g_autofree char *src = g_build_filename(dir, "k.cu", NULL);
  g_autofree char *obj = g_build_filename(dir, CUP_CHECK_OBJECT_NAME, NULL);
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents(src, kernel_source, -1, &local))
    return g_strdup_printf(_("cannot write %s: %s"), src, local->message);
  g_autofree char *arch_flag = arch ? g_strdup_printf("-arch=%s", arch) : NULL;
  const char *argv[] = {nvcc, "-c", src, "-o", obj, arch_flag, NULL};
  g_autofree char *output = NULL;
  g_autofree char *host_fix = g_strdup_printf(
      _("nvcc needs a supported host compiler (%s) on PATH; or %s"), CUP_CHECK_HOST_COMPILER, fix);
  char *problem = run_nvcc(c, argv, dir, host_fix, &output);
  if (problem != NULL)
    return problem;
  g_autofree char *bad = object_problem(obj);
  return bad ? g_strdup_printf("%s; %s", bad, fix) : NULL;
}

static char *compiled_line(const CupCheck *c, const char *arch)
{
  if (arch == NULL)
    return g_strdup(_("compiled a kernel to a relocatable object"));
  if (strcmp(c->o->compile_cc, CUP_CHECK_CC_LOWEST) == 0)
    return g_strdup_printf(_("compiled a kernel for %s (the lowest architecture this toolkit "
                             "supports) to a relocatable object"),
                           arch);
  return g_strdup_printf(_("compiled a kernel for %s (compute capability %s) to a relocatable "
                           "object"),
                         arch, c->o->compile_cc);
}

void cup_check_prove_compile(const CupCheck *c, CupCheckItem *it)
{
  g_autofree char *fix = cup_check_fix_for(c, "the CUDA toolkit", "--cuda", c->o->expect_cuda);
  g_autofree char *nvcc = locate_nvcc(c, it, fix);
  if (nvcc == NULL)
    return;
  char *problem = NULL;
  it->arch = compile_arch(c, nvcc, fix, &problem);
  if (problem != NULL) {
    cup_check_item_done(it, FALSE, problem);
    return;
  }
  g_autoptr(GError) local = NULL;
  g_autofree char *dir = g_dir_make_tmp("cudaup-check-XXXXXX", &local);
  if (dir == NULL) {
    cup_check_item_done(it, FALSE,
                        g_strdup_printf(_("cannot make a temporary directory: %s; set TMPDIR to a "
                                          "writable directory"),
                                        local->message));
    return;
  }
  problem = compile_in(c, nvcc, it->arch, dir, fix);
  cup_remove_tree(dir);
  cup_check_item_done(it, problem == NULL, problem ? problem : compiled_line(c, it->arch));
}
