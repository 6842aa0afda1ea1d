/* verify_env.c - whether a new terminal gets the toolkit: on Linux a new login shell of the
 * user, started with an empty environment (as `env -i HOME=$HOME SHELL -lc ...`), must find the
 * toolkit's nvcc and its lib64 (on LD_LIBRARY_PATH or in /etc/ld.so.conf.d), which is what
 * core/envset says the toolkit needs; on Windows the registry must hold CUDA_PATH and the
 * toolkit's bin on Path. Nothing is changed.
 */
#include "core/verify_private.h"

#include "core/check.h"
#include "core/envset.h"
#include "core/i18n.h"
#include "core/proc.h"

#include <string.h>

#ifdef G_OS_WIN32
#include "platform/windows/envstore.h"
#else
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>
#endif

/* How long the login shell may take: profile scripts can be slow, but not this slow. */
#define SHELL_TIMEOUT_MS 20000

#ifndef G_OS_WIN32
/* Marks our lines among whatever the profile scripts print. */
#define MARK_NVCC "cudaup-verify-nvcc="
#define MARK_LD "cudaup-verify-ld="

static const char shell_script[] =
    "printf '\\n" MARK_NVCC "%s\\n" MARK_LD "%s\\n' \"$(command -v nvcc)\" \"$LD_LIBRARY_PATH\"";

/* Shells that read /etc/profile and ~/.profile-like files as a login shell and run sh code. */
static const char *const sh_shells[] = {"sh",    "bash", "dash", "zsh",  "ksh", "mksh",
                                        "ksh93", "ash",  "yash", "posh", NULL};

static char *user_shell(const CupVerifyOptions *o)
{
  if (o->shell != NULL)
    return g_strdup(o->shell);
  struct passwd *pw = getpwuid(getuid());
  if (pw != NULL && pw->pw_shell != NULL && pw->pw_shell[0] != '\0')
    return g_strdup(pw->pw_shell);
  return g_strdup("/bin/sh");
}

static char *real_or_null(const char *path)
{
  char *real = path && path[0] ? realpath(path, NULL) : NULL;
  char *copy = g_strdup(real);
  free(real);
  return copy;
}

static gboolean same_file(const char *a, const char *b)
{
  g_autofree char *ra = real_or_null(a), *rb = real_or_null(b);
  return ra != NULL && rb != NULL && strcmp(ra, rb) == 0;
}

/* The value after @mark in @output, or NULL when the shell never printed it. */
static char *marked(const char *output, const char *mark)
{
  const char *at = strstr(output, mark);
  if (at == NULL)
    return NULL;
  at += strlen(mark);
  const char *end = strchr(at, '\n');
  return end ? g_strndup(at, end - at) : g_strdup(at);
}

/* The ld.so.conf.d file that names @dir, or NULL. */
static char *ldconf_naming(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open("/etc/ld.so.conf.d", 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *path = g_build_filename("/etc/ld.so.conf.d", name, NULL);
    g_autofree char *text = NULL;
    if (!g_str_has_suffix(name, ".conf") || !g_file_get_contents(path, &text, NULL, NULL))
      continue;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL; l++)
      if (same_file(g_strstrip(*l), dir))
        return g_steal_pointer(&path);
  }
  return NULL;
}

/* Where the loader finds @dir for a new shell: LD_LIBRARY_PATH or ld.so.conf.d; NULL: nowhere. */
static char *library_route(const char *dir, const char *ld_library_path)
{
  g_auto(GStrv) entries = g_strsplit(ld_library_path ? ld_library_path : "", ":", -1);
  for (char **e = entries; *e != NULL; e++)
    if (same_file(*e, dir))
      return g_strdup("LD_LIBRARY_PATH");
  return ldconf_naming(dir);
}

/* The evidence and fix of the shell's answer against what @spec says the toolkit needs. */
static CupVerifyStatus judge_shell(const CupEnvSpec *spec, const char *shell, const char *nvcc,
                                   const char *ld, char **evidence, char **fix)
{
  g_autoptr(GString) bad = g_string_new(NULL);
  g_autoptr(GString) good = g_string_new(NULL);
  for (guint i = 0; i < spec->path_entries->len; i++) {
    const CupEnvPathEntry *e = g_ptr_array_index(spec->path_entries, i);
    if (strcmp(e->variable, "PATH") == 0) {
      g_autofree char *want = g_build_filename(e->entry, "nvcc", NULL);
      if (same_file(nvcc, want))
        g_string_append_printf(good, _("finds nvcc at %s"), nvcc);
      else if (nvcc == NULL || nvcc[0] == '\0')
        g_string_append_printf(bad, _("finds no nvcc (wanted %s)"), want);
      else
        g_string_append_printf(bad, _("finds nvcc at %s, not %s"), nvcc, want);
    } else {
      g_autofree char *route = library_route(e->entry, ld);
      GString *into = route ? good : bad;
      if (into->len)
        g_string_append(into, _(" and "));
      if (route)
        g_string_append_printf(into, _("finds %s through %s"), e->entry, route);
      else
        g_string_append_printf(into,
                               _("finds %s neither on LD_LIBRARY_PATH nor in "
                                 "/etc/ld.so.conf.d"),
                               e->entry);
    }
  }
  g_autofree char *base = g_path_get_basename(shell);
  *evidence =
      g_strdup_printf(_("a new login shell (%s -l) %s"), base, bad->len ? bad->str : good->str);
  *fix = bad->len ? g_strdup_printf(_("make it the default toolkit with 'cudaup env apply "
                                      "--prefix %s', then open a new terminal"),
                                    spec->root)
                  : NULL;
  return bad->len ? CUP_VERIFY_FAIL : CUP_VERIFY_PASS;
}

/* Ask @shell; NULL output with *@evidence set when it could not answer. */
static char *ask_shell(const CupVerifyOptions *o, const char *shell, char **evidence)
{
  const char *home = o->home ? o->home : g_getenv("HOME");
  g_autofree char *home_var = g_strdup_printf("HOME=%s", home ? home : "/");
  const char *envp[] = {home_var, NULL};
  const char *argv[] = {shell, "-lc", shell_script, NULL};
  CupProcOptions run = {argv, envp, home && g_file_test(home, G_FILE_TEST_IS_DIR) ? home : "/",
                        TRUE,
                        o->timeout_ms ? MIN(o->timeout_ms, SHELL_TIMEOUT_MS) : SHELL_TIMEOUT_MS};
  g_autoptr(GError) local = NULL;
  int status = 0;
  g_autoptr(GBytes) out = cup_proc_run_full(&run, &status, &local);
  if (out == NULL) {
    *evidence =
        g_strdup_printf(_("the login shell %s could not be run: %s"), shell, local->message);
    return NULL;
  }
  char *text = cup_proc_output_text(out);
  if (strstr(text, MARK_NVCC) == NULL) {
    *evidence = g_strdup_printf(_("the login shell %s -lc exited with status %d without "
                                  "answering"),
                                shell, status);
    g_free(text);
    return NULL;
  }
  return text;
}

static void login_shell(const CupVerifyOptions *o, const char *root, const char *cuda,
                        CupVerifyResult *r)
{
  const char *title = _("A new login shell finds the toolkit");
  if (o->sysroot != NULL && strcmp(o->sysroot, "/") != 0) {
    cup_verify_add(r, CUP_VERIFY_LOGIN_SHELL, title, CUP_VERIFY_SKIP,
                   g_strdup(_("not asked with --root: a login shell runs on the real system")),
                   NULL);
    return;
  }
  g_autofree char *shell = user_shell(o);
  g_autofree char *base = g_path_get_basename(shell);
  g_autoptr(GError) local = NULL;
  g_autoptr(CupEnvSpec) spec = cup_envset_spec_new("linux", root, cuda, CUP_ENV_SCOPE_USER, &local);
  if (spec == NULL) {
    cup_verify_add(r, CUP_VERIFY_LOGIN_SHELL, title, CUP_VERIFY_FAIL, g_strdup(local->message),
                   NULL);
    return;
  }
  if (!g_strv_contains(sh_shells, base)) {
    cup_verify_add(r, CUP_VERIFY_LOGIN_SHELL, title, CUP_VERIFY_SKIP,
                   g_strdup_printf(_("your login shell %s is not sh-compatible, so it cannot be "
                                     "asked the same way"),
                                   shell),
                   g_strdup_printf(_("open a new terminal and check that 'command -v nvcc' "
                                     "prints %s/bin/nvcc"),
                                   root));
    return;
  }
  char *evidence = NULL, *fix = NULL;
  g_autofree char *out = ask_shell(o, shell, &evidence);
  if (out == NULL) {
    cup_verify_add(r, CUP_VERIFY_LOGIN_SHELL, title, CUP_VERIFY_FAIL, evidence,
                   g_strdup(_("fix the errors your profile files print, then open a new "
                              "terminal")));
    return;
  }
  g_autofree char *nvcc = marked(out, MARK_NVCC);
  g_autofree char *ld = marked(out, MARK_LD);
  CupVerifyStatus status = judge_shell(spec, shell, nvcc, ld, &evidence, &fix);
  cup_verify_add(r, CUP_VERIFY_LOGIN_SHELL, title, status, evidence, fix);
}
#else
/* Whether @list (a Path value) holds @entry, compared as Windows does: case and a trailing
 * backslash do not matter. */
static gboolean path_holds(const char *list, const char *entry)
{
  g_auto(GStrv) parts = g_strsplit(list ? list : "", ";", -1);
  g_autofree char *want = g_utf8_casefold(entry, -1);
  for (char **p = parts; *p != NULL; p++) {
    g_autofree char *have = g_utf8_casefold(*p, -1);
    gsize n = strlen(have);
    while (n > 0 && have[n - 1] == '\\')
      have[--n] = '\0';
    if (strcmp(have, want) == 0)
      return TRUE;
  }
  return FALSE;
}

static char *read_var(CupWinEnvScope scope, const char *name)
{
  CupWinRegType type = CUP_WINREG_NONE;
  char *value = NULL;
  if (!cup_winenv_read(scope, name, &type, &value, NULL))
    return NULL;
  return value;
}

static void registry(const CupVerifyOptions *o, const char *root, const char *cuda,
                     CupVerifyResult *r)
{
  (void)o;
  (void)cuda;
  const char *title = _("The registry holds the toolkit's environment");
  g_autofree char *bin = g_build_filename(root, "bin", NULL);
  const CupWinEnvScope scopes[] = {CUP_WINENV_USER, CUP_WINENV_SYSTEM};
  gboolean cuda_path = FALSE, on_path = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS(scopes); i++) {
    g_autofree char *value = read_var(scopes[i], "CUDA_PATH");
    g_autofree char *path = read_var(scopes[i], "Path");
    cuda_path = cuda_path || (value && path_holds(value, root));
    on_path = on_path || path_holds(path, bin);
  }
  if (cuda_path && on_path) {
    cup_verify_add(r, CUP_VERIFY_REGISTRY, title, CUP_VERIFY_PASS,
                   g_strdup_printf(_("CUDA_PATH is %s and Path holds %s"), root, bin), NULL);
    return;
  }
  cup_verify_add(r, CUP_VERIFY_REGISTRY, title, CUP_VERIFY_FAIL,
                 g_strdup_printf(_("the registry lacks %s"), !cuda_path ? "CUDA_PATH" : bin),
                 g_strdup_printf(_("make it the default toolkit with 'cudaup env apply "
                                   "--prefix %s', then open a new terminal"),
                                 root));
}
#endif

void cup_verify_environment(const CupVerifyOptions *o, const char *root, const char *cuda,
                            CupVerifyResult *r)
{
#ifdef G_OS_WIN32
  registry(o, root, cuda, r);
#else
  login_shell(o, root, cuda, r);
#endif
}
