/* test_profile.c - platform/linux/profile against a temporary HOME and root, proven through
 * the real shells: `bash -lc`, `bash -ic`, `zsh -lc` and `fish -lc` started by `env -i` see the
 * toolkit's entries once after two applies, switching replaces the old toolkit's entries, and
 * remove gives back every file byte for byte (the script alone in sh, dash, bash and zsh is
 * tested by test_envset.c). Also: which files get the block, dry runs, a
 * read-only rc file (as an unprivileged user), damaged files, the system scope under a
 * temporary root (with ldconfig -r), revert and show. */
#define _GNU_SOURCE /* dladdr */
#include "core/error.h"
#include "core/proc.h"
#include "platform/linux/profile.h"
#include "tests/support/treelist.h"
#include "tests/testutil.h"

#include <dlfcn.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

/* A temporary directory with home/, dotfiles/ and two toolkits whose bin/nvcc says which. */
typedef struct {
  char *dir;
  char *home;
  char *tk121; /* DIR/tk/cuda-12.1 */
  char *tk124;
} World;

static void make_toolkit(const char *dir, const char *cuda)
{
  g_autofree char *nvcc = g_strdup_printf("#!/bin/sh\necho nvcc %s\n", cuda);
  g_autofree char *rel = g_strdup_printf("tk/cuda-%s/bin/nvcc", cuda);
  cup_test_write(dir, rel, nvcc);
  g_autofree char *path = g_build_filename(dir, rel, NULL);
  g_assert_cmpint(g_chmod(path, 0755), ==, 0);
  g_autofree char *lib = g_strdup_printf("tk/cuda-%s/lib64/libcudart.so.12", cuda);
  cup_test_write(dir, lib, "not a library");
}

static World *world_new(void)
{
  World *w = g_new0(World, 1);
  w->dir = cup_test_make_root();
  g_assert_cmpint(g_chmod(w->dir, 0755), ==, 0);
  w->home = g_build_filename(w->dir, "home", NULL);
  w->tk121 = g_build_filename(w->dir, "tk", "cuda-12.1", NULL);
  w->tk124 = g_build_filename(w->dir, "tk", "cuda-12.4", NULL);
  make_toolkit(w->dir, "12.1");
  make_toolkit(w->dir, "12.4");
  /* fish makes ~/.local/share/fish on its first run; have it there before any snapshot */
  cup_test_write(w->home, ".local/share/fish/.keep", "");
  return w;
}

static void world_free(World *w)
{
  cup_test_remove_tree(w->dir);
  g_free(w->dir);
  g_free(w->home);
  g_free(w->tk121);
  g_free(w->tk124);
  g_free(w);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(World, world_free)

/* The HOME of the issue: a CRLF ~/.profile without a final newline, a ~/.bashrc that is a
 * symlink into a dotfiles directory (Debian's interactive guard first), a ~/.zshenv, and fish's
 * config directory. */
static void world_dotfiles(World *w)
{
  cup_test_write(w->home, ".profile", "# ~/.profile of a Windows editor\r\numask 022");
  g_autofree char *profile = g_build_filename(w->home, ".profile", NULL);
  g_assert_cmpint(g_chmod(profile, 0640), ==, 0);
  cup_test_write(w->dir, "dotfiles/bashrc",
                 "case $- in\n    *i*) ;;\n      *) return;;\nesac\nalias ll='ls -l'\n");
  cup_test_symlink(w->home, ".bashrc", "../dotfiles/bashrc");
  cup_test_write(w->home, ".zshenv", "# zsh for everyone\nexport EDITOR=vi\n");
  cup_test_write(w->home, ".config/fish/conf.d/other.fish", "set -gx OTHER 1\n");
}

static CupEnvSpec *spec_for(const char *root, const char *cuda, CupEnvScope scope)
{
  g_autoptr(GError) error = NULL;
  CupEnvSpec *spec = cup_envset_spec_new("linux", root, cuda, scope, &error);
  g_assert_no_error(error);
  return spec;
}

static CupProfileOptions user_options(const World *w, const char *shell)
{
  CupProfileOptions o = {.home = w->home, .shell = shell};
  return o;
}

static CupProfileReport *apply_ok(const CupEnvSpec *spec, const CupProfileOptions *o)
{
  CupProfileReport *report = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = cup_profile_apply(spec, o, &report, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  return report;
}

static CupProfileReport *remove_ok(CupEnvScope scope, const CupProfileOptions *o)
{
  CupProfileReport *report = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = cup_profile_remove(scope, o, &report, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  return report;
}

static char *read_text(const char *dir, const char *rel)
{
  g_autofree char *path = g_build_filename(dir, rel, NULL);
  char *text = NULL; /* stays NULL when the file cannot be read */
  g_file_get_contents(path, &text, NULL, NULL);
  return text;
}

/* ---- the shells ---- */

/* What a shell sees: nvcc's path, and the three variables as its children get them. */
typedef struct {
  char *nvcc, *path, *ld, *cuda_home;
} Seen;

static void seen_clear(Seen *s)
{
  g_free(s->nvcc);
  g_free(s->path);
  g_free(s->ld);
  g_free(s->cuda_home);
}

static const char probe[] = "command -v nvcc; /bin/sh -c 'echo \"P=$PATH\"; "
                            "echo \"L=${LD_LIBRARY_PATH-}\"; echo \"H=${CUDA_HOME-}\"'";

static gboolean have_program(const char *name)
{
  g_autofree char *path = g_find_program_in_path(name);
  return path != NULL;
}

/* `env -i HOME=... PATH=... SHELL FLAGS probe` with @extra ("NAME=value", may be NULL) added. */
static Seen run_shell(const World *w, const char *shell, const char *flags, const char *extra)
{
  g_autofree char *home = g_strdup_printf("HOME=%s", w->home);
  /* @extra replaces the PATH: an environment with two PATH entries means different things to
   * different shells */
  gboolean path = extra != NULL && g_str_has_prefix(extra, "PATH=");
  const char *envp[] = {home, path ? extra : "PATH=/usr/bin:/bin", "TERM=dumb", path ? NULL : extra,
                        NULL};
  const char *argv[] = {shell, flags, probe, NULL};
  CupProcOptions o = {.argv = argv, .envp = envp, .cwd = w->dir, .timeout_ms = 30000};
  int status = -1;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = cup_proc_run_full(&o, &status, &error);
  g_assert_no_error(error);
  g_autofree char *text = cup_proc_output_text(out);
  g_test_message("%s %s:\n%s", shell, flags, text);
  g_assert_cmpint(status, ==, 0);
  Seen s = {0};
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l != NULL; l++) {
    if (g_str_has_prefix(*l, "P="))
      s.path = g_strdup(*l + 2);
    else if (g_str_has_prefix(*l, "L="))
      s.ld = g_strdup(*l + 2);
    else if (g_str_has_prefix(*l, "H="))
      s.cuda_home = g_strdup(*l + 2);
    else if (**l == '/' && s.nvcc == NULL)
      s.nvcc = g_strdup(*l);
  }
  g_assert_nonnull(s.path);
  return s;
}

static guint count_entry(const char *list, const char *entry)
{
  guint n = 0;
  g_auto(GStrv) parts = g_strsplit(list ? list : "", ":", -1);
  for (char **p = parts; *p != NULL; p++)
    n += strcmp(*p, entry) == 0;
  return n;
}

/* @seen shows the toolkit at @root exactly once, and @gone's entries not at all. */
static void assert_sees(const Seen *seen, const char *root, const char *gone)
{
  g_autofree char *bin = g_build_filename(root, "bin", NULL);
  g_autofree char *lib = g_build_filename(root, "lib64", NULL);
  g_autofree char *nvcc = g_build_filename(bin, "nvcc", NULL);
  g_assert_cmpstr(seen->nvcc, ==, nvcc);
  g_assert_cmpuint(count_entry(seen->path, bin), ==, 1);
  g_assert_cmpuint(count_entry(seen->ld, lib), ==, 1);
  g_assert_cmpstr(seen->cuda_home, ==, root);
  g_assert_null(strstr(seen->path, "stubs"));
  g_assert_null(strstr(seen->ld, "stubs"));
  if (gone != NULL) {
    g_assert_null(strstr(seen->path, gone));
    g_assert_null(strstr(seen->ld, gone));
  }
}

static const char *const shells[][2] = {
    {"bash", "-lc"}, {"bash", "-ic"}, {"zsh", "-lc"}, {"fish", "-lc"}};

/* Every shell that is installed sees @root once (and nothing of @gone), also when it inherits
 * @inherited ("PATH=..." or "LD_LIBRARY_PATH=...", may be NULL). Returns the shells missing. */
static char *assert_shells_see(const World *w, const char *root, const char *gone,
                               const char *inherited)
{
  GString *missing = g_string_new(NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(shells); i++) {
    if (!have_program(shells[i][0])) {
      g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", shells[i][0]);
      continue;
    }
    Seen seen = run_shell(w, shells[i][0], shells[i][1], inherited);
    assert_sees(&seen, root, gone);
    seen_clear(&seen);
  }
  return g_string_free(missing, missing->len == 0);
}

static void skip_missing(char *missing)
{
  if (missing == NULL)
    return;
  g_autofree char *why = g_strdup_printf("not installed here: %s (packaging/deps-debian.sh "
                                         "installs them); those shells were not checked",
                                         missing);
  g_free(missing);
  g_test_skip(why);
}

/* The proof: two applies, every shell sees the entries once (also when it inherits
 * them already), remove gives back the same bytes and the shells see nothing any more. */
static void test_user_shells(void)
{
  g_autoptr(World) w = world_new();
  world_dotfiles(w);
  g_autofree char *before = cup_test_tree_snapshot(w->dir);
  g_autoptr(CupEnvSpec) spec = spec_for(w->tk124, "12.4", CUP_ENV_SCOPE_USER);
  CupProfileOptions o = user_options(w, "/bin/bash");
  g_autoptr(CupProfileReport) first = apply_ok(spec, &o);
  g_assert_cmpuint(first->edits->len, ==, 6); /* env.sh, env.fish, 3 rc files, fish conf.d */
  g_autoptr(CupProfileReport) second = apply_ok(spec, &o);
  g_assert_cmpuint(second->edits->len, ==, 0);

  g_autofree char *link = g_build_filename(w->home, ".bashrc", NULL);
  g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
  g_autofree char *bashrc = read_text(w->dir, "dotfiles/bashrc");
  g_assert_nonnull(strstr(bashrc, CUP_ENVSET_BLOCK_BEGIN "\n"));
  g_autofree char *profile = read_text(w->home, ".profile");
  g_assert_true(g_str_has_prefix(
      profile, "# ~/.profile of a Windows editor\r\numask 022\r\n" CUP_ENVSET_BLOCK_BEGIN
               " newline-added\r\n"));

  char *missing = assert_shells_see(w, w->tk124, NULL, NULL);
  g_autofree char *path_in = g_strdup_printf("PATH=%s/bin:/usr/bin:/bin", w->tk124);
  g_free(assert_shells_see(w, w->tk124, NULL, path_in));
  g_autofree char *ld_in = g_strdup_printf("LD_LIBRARY_PATH=%s/lib64", w->tk124);
  g_free(assert_shells_see(w, w->tk124, NULL, ld_in));

  g_autoptr(CupProfileReport) removed = remove_ok(CUP_ENV_SCOPE_USER, &o);
  g_assert_cmpuint(removed->edits->len, ==, 6);
  g_autofree char *after = cup_test_tree_snapshot(w->dir);
  g_assert_cmpstr(after, ==, before);
  if (have_program("bash")) {
    /* this machine's own /etc/profile.d may still find another nvcc; ours is gone */
    Seen seen = run_shell(w, "bash", "-lc", NULL);
    g_assert_false(g_str_has_prefix(seen.nvcc ? seen.nvcc : "", w->dir));
    g_assert_null(strstr(seen.path, w->tk124));
    g_assert_null(strstr(seen.ld, w->tk124));
    g_assert_cmpstr(seen.cuda_home, !=, w->tk124);
    seen_clear(&seen);
  }
  skip_missing(missing);
}

/* Switching to another toolkit replaces its entries, also in shells that inherited the old
 * ones (a terminal started from a desktop session that read the old ~/.profile). */
static void test_user_switch(void)
{
  g_autoptr(World) w = world_new();
  world_dotfiles(w);
  CupProfileOptions o = user_options(w, "/usr/bin/zsh");
  g_autoptr(CupEnvSpec) old = spec_for(w->tk121, "12.1", CUP_ENV_SCOPE_USER);
  g_autoptr(CupProfileReport) r1 = apply_ok(old, &o);
  g_free(assert_shells_see(w, w->tk121, w->tk124, NULL));
  g_autoptr(CupEnvSpec) spec = spec_for(w->tk124, "12.4", CUP_ENV_SCOPE_USER);
  g_autoptr(CupProfileReport) r2 = apply_ok(spec, &o);
  g_assert_cmpuint(r2->edits->len, ==, 2); /* the scripts only: the blocks stay as they are */
  g_free(assert_shells_see(w, w->tk124, w->tk121, NULL));
  g_autofree char *path_in =
      g_strdup_printf("PATH=/usr/bin:%s/bin:/bin:%s/bin", w->tk121, w->tk121);
  g_free(assert_shells_see(w, w->tk124, w->tk121, path_in));
  g_autofree char *ld_in = g_strdup_printf("LD_LIBRARY_PATH=%s/lib64", w->tk121);
  char *missing = assert_shells_see(w, w->tk124, w->tk121, ld_in);

  /* and back: 12.4 is now a known root too */
  g_autoptr(CupProfileReport) r3 = apply_ok(old, &o);
  g_autofree char *env_sh = read_text(w->home, ".config/cudaup/env.sh");
  g_autofree char *cuda = NULL, *root = NULL;
  g_autoptr(GPtrArray) roots = g_ptr_array_new_with_free_func(g_free);
  g_assert_true(cup_envset_script_parse(env_sh, &cuda, &root, roots));
  g_assert_cmpstr(cuda, ==, "12.1");
  g_assert_cmpstr(root, ==, w->tk121);
  g_assert_cmpuint(roots->len, ==, 2);
  g_free(assert_shells_see(w, w->tk121, w->tk124, NULL));
  skip_missing(missing);
}

/* ---- which files, byte-identical, dry run ---- */

static gboolean exists_in(const char *dir, const char *rel)
{
  g_autofree char *path = g_build_filename(dir, rel, NULL);
  return g_file_test(path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
}

/* The file rules of profile.h, for each login shell; remove gives back the same tree. */
static void test_user_files(void)
{
  const struct {
    const char *shell;
    const char *existing; /* rc files there before, "|"-separated */
    const char *edited;   /* files holding a block or made by cudaup after apply */
    const char *untouched;
  } cases[] = {
      {"/bin/bash", "", ".profile|.bashrc", ".zshenv|.bash_profile|.config/fish"},
      {"/bin/zsh", "", ".profile|.zshenv", ".bashrc|.bash_profile|.config/fish"},
      {"fish", "", ".profile|.config/fish/conf.d/cudaup.fish", ".bashrc|.zshenv|.bash_profile"},
      {NULL, ".bashrc|.zshenv", ".profile|.bashrc|.zshenv", ".bash_profile|.config/fish"},
      {"/bin/bash", ".bash_profile|.bash_login", ".profile|.bashrc|.bash_profile", ".bash_login"},
      {"/bin/bash", ".bash_login", ".profile|.bashrc|.bash_login", ".bash_profile"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(World) w = world_new();
    g_auto(GStrv) existing = g_strsplit(cases[i].existing, "|", -1);
    for (char **f = existing; *f && **f; f++)
      cup_test_write(w->home, *f, "# the user's\n");
    g_autofree char *before = cup_test_tree_snapshot(w->dir);
    g_autoptr(CupEnvSpec) spec = spec_for(w->tk124, "12.4", CUP_ENV_SCOPE_USER);
    CupProfileOptions o = user_options(w, cases[i].shell);
    g_autoptr(CupProfileReport) r = apply_ok(spec, &o);
    g_test_message("case %zu: shell %s", i, cases[i].shell ? cases[i].shell : "unknown");
    g_auto(GStrv) edited = g_strsplit(cases[i].edited, "|", -1);
    for (char **f = edited; *f; f++) {
      g_autofree char *text = read_text(w->home, *f);
      g_assert_true(cup_envset_block_present(text) || cup_envset_is_generated(text));
    }
    g_auto(GStrv) untouched = g_strsplit(cases[i].untouched, "|", -1);
    for (char **f = untouched; *f; f++) {
      g_autofree char *text = read_text(w->home, *f);
      g_assert_false(cup_envset_block_present(text) || cup_envset_is_generated(text));
    }
    g_assert_cmpint(exists_in(w->home, ".bash_profile"), ==,
                    strstr(cases[i].existing, ".bash_profile") != NULL);
    g_autoptr(CupProfileReport) gone = remove_ok(CUP_ENV_SCOPE_USER, &o);
    /* the directories made for the scripts stay (the user may add files there); none else */
    const char *dirs[] = {".config/fish/conf.d", ".config/fish", ".config"};
    for (gsize d = 0; d < G_N_ELEMENTS(dirs); d++) {
      g_autofree char *dir = g_build_filename(w->home, dirs[d], NULL);
      g_rmdir(dir);
    }
    g_autofree char *after = cup_test_tree_snapshot(w->dir);
    g_assert_cmpstr(after, ==, before);
  }
}

/* A dry run writes nothing and shows the exact edits. */
static void test_user_dry_run(void)
{
  g_autoptr(World) w = world_new();
  world_dotfiles(w);
  g_autofree char *before = cup_test_tree_snapshot(w->dir);
  g_autoptr(CupEnvSpec) spec = spec_for(w->tk124, "12.4", CUP_ENV_SCOPE_USER);
  CupProfileOptions o = user_options(w, "bash");
  o.dry_run = TRUE;
  g_autoptr(CupProfileReport) r = apply_ok(spec, &o);
  g_autofree char *after = cup_test_tree_snapshot(w->dir);
  g_assert_cmpstr(after, ==, before);
  g_assert_cmpuint(r->edits->len, ==, 6);
  for (guint i = 0; i < r->edits->len; i++)
    g_assert_false(((CupProfileEdit *)r->edits->pdata[i])->done);
  g_autofree char *diff = cup_profile_report_diff(r);
  g_autofree char *profile = g_build_filename(w->home, ".profile", NULL);
  g_autofree char *expect = g_strdup_printf(
      "--- %s\n+++ %s\n@@ -2,1 +2,5 @@\n-umask 022\n\\ No newline at end of file\n+umask 022\r\n"
      "+" CUP_ENVSET_BLOCK_BEGIN " newline-added\r\n",
      profile, profile);
  g_assert_nonnull(strstr(diff, expect));
  g_assert_nonnull(strstr(diff, "--- /dev/null\n+++ "));
  /* the block goes into the symlink's target, and the diff names the file the user knows */
  g_autofree char *bashrc = g_build_filename(w->home, ".bashrc", NULL);
  g_autofree char *label = g_strdup_printf("+++ %s\n", bashrc);
  g_assert_nonnull(strstr(diff, label));
  g_assert_null(strstr(diff, "ldconfig"));
}

/* Modes stay, and remove takes exactly what apply added, in every kind of file. */
static void test_user_byte_identical(void)
{
  g_autoptr(World) w = world_new();
  world_dotfiles(w);
  cup_test_write(w->home, ".bash_profile", "# no final newline, LF");
  g_autofree char *bp = g_build_filename(w->home, ".bash_profile", NULL);
  g_assert_cmpint(g_chmod(bp, 0600), ==, 0);
  g_autofree char *before = cup_test_tree_snapshot(w->dir);
  g_autoptr(CupEnvSpec) spec = spec_for(w->tk124, "12.4", CUP_ENV_SCOPE_USER);
  CupProfileOptions o = user_options(w, "zsh");
  g_autoptr(CupProfileReport) r1 = apply_ok(spec, &o);
  g_autoptr(CupProfileReport) r2 = apply_ok(spec, &o);
  g_autofree char *applied = cup_test_tree_snapshot(w->dir);
  g_assert_nonnull(strstr(applied, "f 0640 home/.profile "));
  g_assert_nonnull(strstr(applied, "f 0600 home/.bash_profile "));
  g_assert_nonnull(strstr(applied, "l home/.bashrc -> ../dotfiles/bashrc"));
  g_autoptr(CupProfileReport) gone = remove_ok(CUP_ENV_SCOPE_USER, &o);
  g_autofree char *after = cup_test_tree_snapshot(w->dir);
  g_assert_cmpstr(after, ==, before);
  g_autoptr(CupProfileReport) nothing = remove_ok(CUP_ENV_SCOPE_USER, &o);
  g_assert_cmpuint(nothing->edits->len, ==, 0);
}

/* ---- failures ---- */

static void assert_partial(GError *error, const char *file, const char *why, const char *line)
{
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARTIAL);
  g_autofree char *named = g_strdup_printf("cannot edit %s (", file);
  g_assert_nonnull(strstr(error->message, named));
  g_assert_nonnull(strstr(error->message, why));
  g_assert_nonnull(strstr(error->message, line));
  g_assert_null(strchr(error->message, '\n'));
}

/* Run @fn(@data) in a child process as an unprivileged user: as root the child becomes
 * nobody (root ignores file modes); otherwise it stays who we are. The child's exit code is
 * @fn's; 77 means it could not drop root. Returns the exit code. */
static int run_unprivileged(int (*fn)(gconstpointer), gconstpointer data)
{
  fflush(NULL);
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) {
    if (getuid() == 0 && (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0))
      _exit(77);
    _exit(fn(data));
  }
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77)
    g_test_skip("cannot become the unprivileged user 65534 (setuid failed), and root ignores "
                "file modes");
  return WEXITSTATUS(status);
}

/* As nobody: apply fails PARTIAL for the read-only ~/.bashrc alone and prints the line to
 * add by hand. */
static int apply_read_only(gconstpointer data)
{
  const World *w = data;
  g_autoptr(CupEnvSpec) spec = spec_for(w->tk124, "12.4", CUP_ENV_SCOPE_USER);
  CupProfileOptions o = user_options(w, "bash");
  g_autoptr(CupProfileReport) report = NULL;
  g_autoptr(GError) error = NULL;
  if (cup_profile_apply(spec, &o, &report, &error))
    return 4;
  g_test_message("%s", error->message);
  g_autofree char *bashrc = g_build_filename(w->home, ".bashrc", NULL);
  g_autofree char *env_sh = g_build_filename(w->home, ".config", "cudaup", "env.sh", NULL);
  g_autofree char *line = cup_envset_rc_line(env_sh);
  assert_partial(error, bashrc, "Permission denied", line);
  g_assert_cmpuint(report->edits->len, ==, 3); /* the scripts and ~/.profile */
  return 0;
}

static void chown_tree(const char *dir, uid_t uid)
{
  g_autofree char *listing = cup_test_tree_listing(dir);
  g_auto(GStrv) lines = g_strsplit(listing, "\n", -1);
  g_assert_cmpint(lchown(dir, uid, uid), ==, 0);
  for (char **l = lines; *l && **l; l++) {
    g_autofree char *path = g_build_filename(dir, *l + 2, NULL);
    g_assert_cmpint(lchown(path, uid, uid), ==, 0);
  }
}

static void test_user_read_only(void)
{
  g_autoptr(World) w = world_new();
  cup_test_write(w->home, ".bashrc", "# read-only on purpose\n");
  g_autofree char *bashrc = g_build_filename(w->home, ".bashrc", NULL);
  g_assert_cmpint(g_chmod(bashrc, 0444), ==, 0);
  if (getuid() == 0)
    chown_tree(w->home, NOBODY);
  int code = run_unprivileged(apply_read_only, w);
  if (code == 77)
    return;
  g_assert_cmpint(code, ==, 0);
  g_autofree char *text = read_text(w->home, ".bashrc");
  g_assert_cmpstr(text, ==, "# read-only on purpose\n");
  g_autofree char *profile = read_text(w->home, ".profile");
  g_assert_true(cup_envset_block_present(profile));
}

/* A damaged block, a dangling symlink and a binary file fail their file alone. */
static void test_user_damaged(void)
{
  g_autoptr(World) w = world_new();
  cup_test_write(w->home, ".bashrc", "x\n" CUP_ENVSET_BLOCK_BEGIN "\n. somewhere\n");
  cup_test_symlink(w->home, ".zshenv", "dotfiles/missing");
  g_autofree char *bash_profile = g_build_filename(w->home, ".bash_profile", NULL);
  g_assert_true(g_file_set_contents(bash_profile, "a\0b", 3, NULL));
  g_autoptr(CupEnvSpec) spec = spec_for(w->tk124, "12.4", CUP_ENV_SCOPE_USER);
  CupProfileOptions o = user_options(w, "bash");
  g_autoptr(CupProfileReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_profile_apply(spec, &o, &report, &error));
  g_autofree char *bashrc = g_build_filename(w->home, ".bashrc", NULL);
  g_autofree char *zshenv = g_build_filename(w->home, ".zshenv", NULL);
  assert_partial(error, bashrc, CUP_ENVSET_BLOCK_END, "add this line to it by hand: if [ -f ");
  assert_partial(error, zshenv, "symlink to a missing file", "by hand");
  assert_partial(error, bash_profile, "NUL byte", "by hand");
  g_assert_cmpuint(report->edits->len, ==, 3); /* the scripts and ~/.profile */
  g_clear_error(&error);
  g_autoptr(CupProfileReport) gone = NULL;
  g_assert_false(cup_profile_remove(CUP_ENV_SCOPE_USER, &o, &gone, &error));
  assert_partial(error, bashrc, CUP_ENVSET_BLOCK_END, "by hand");
  g_assert_cmpuint(gone->edits->len, ==, 3);
  g_clear_error(&error);
  g_autoptr(CupProfileReport) again = NULL;
  g_assert_false(cup_profile_remove(CUP_ENV_SCOPE_USER, &o, &again, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO); /* nothing left to remove but the damage */
}

static void test_user_bad_options(void)
{
  g_autoptr(CupEnvSpec) spec = spec_for("/opt/cuda-12.4", "12.4", CUP_ENV_SCOPE_USER);
  CupProfileOptions o = {.home = "relative/home"};
  g_autoptr(CupProfileReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_profile_apply(spec, &o, &report, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
  g_assert_cmpuint(report->edits->len, ==, 0);
  g_clear_error(&error);
  g_clear_pointer(&report, cup_profile_report_free);
  g_autoptr(CupEnvSpec) win =
      cup_envset_spec_new("windows", "C:\\cuda", "12.4", CUP_ENV_SCOPE_USER, NULL);
  o.home = "/nonexistent";
  g_assert_false(cup_profile_apply(win, &o, &report, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
}

/* ---- system scope ---- */

static void test_system_scope(void)
{
  g_autofree char *root = cup_test_make_root();
  cup_test_write(root, "etc/ld.so.conf.d/other.conf", "/opt/other/lib\n");
  cup_test_write(root, "etc/profile.d/other.sh", "export OTHER=1\n");
  cup_test_write(root, "etc/fish/conf.d/other.fish", "set -gx OTHER 1\n");
  g_autofree char *before = cup_test_tree_snapshot(root);
  CupProfileOptions o = {.root = root};
  g_autoptr(CupEnvSpec) s121 = spec_for("/opt/cuda-12.1", "12.1", CUP_ENV_SCOPE_SYSTEM);
  g_autoptr(CupEnvSpec) s124 = spec_for("/opt/cuda-12.4", "12.4", CUP_ENV_SCOPE_SYSTEM);
  g_autoptr(CupProfileReport) r1 = apply_ok(s121, &o);
  g_assert_false(r1->ldconfig); /* a temporary root has no cache of ours to rebuild */
  g_assert_cmpuint(r1->edits->len, ==, 3);
  g_assert_cmpstr(((CupProfileEdit *)r1->edits->pdata[0])->path, ==, "/etc/profile.d/cudaup.sh");
  g_autoptr(CupProfileReport) r2 = apply_ok(s124, &o);
  g_assert_false(exists_in(root, "etc/ld.so.conf.d/cudaup-cuda-12.1.conf"));
  g_autofree char *conf = read_text(root, "etc/ld.so.conf.d/cudaup-cuda-12.4.conf");
  g_assert_cmpstr(conf, ==, s124->ldconf_content);
  g_autofree char *other = read_text(root, "etc/ld.so.conf.d/other.conf");
  g_assert_cmpstr(other, ==, "/opt/other/lib\n");
  g_autofree char *sh = read_text(root, "etc/profile.d/cudaup.sh");
  g_assert_null(strstr(sh, "LD_LIBRARY_PATH"));
  g_assert_nonnull(strstr(sh, "__cudaup_drop \"$PATH\" '/opt/cuda-12.1/bin'"));
  g_autofree char *fish = read_text(root, "etc/fish/conf.d/cudaup.fish");
  g_assert_true(cup_envset_is_generated(fish));

  g_autofree char *script = g_build_filename(root, "etc/profile.d/cudaup.sh", NULL);
  const char *argv[] = {"sh", "-c", ". \"$1\"; echo \"$PATH|$CUDA_HOME\"", "t", script, NULL};
  const char *envp[] = {"PATH=/opt/cuda-12.1/bin:/usr/bin:/bin", NULL};
  CupProcOptions po = {.argv = argv, .envp = envp, .timeout_ms = 30000};
  int status = -1;
  g_autoptr(GBytes) out = cup_proc_run_full(&po, &status, NULL);
  g_autofree char *text = cup_proc_output_text(out);
  g_assert_cmpstr(text, ==, "/opt/cuda-12.4/bin:/usr/bin:/bin|/opt/cuda-12.4\n");

  g_autoptr(CupProfileReport) gone = remove_ok(CUP_ENV_SCOPE_SYSTEM, &o);
  g_assert_false(gone->ldconfig);
  g_autofree char *after = cup_test_tree_snapshot(root);
  g_assert_cmpstr(after, ==, before);
  cup_test_remove_tree(root);
}

/* The ld.so.conf.d file works: ldconfig -r (a chroot, so root only) builds the fixture's
 * cache from it, with a real library in the toolkit's lib64. */
static void test_system_ldconfig(void)
{
  Dl_info info;
  if (geteuid() != 0 || !g_file_test("/sbin/ldconfig", G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip("ldconfig -r needs root (it chroots) and /sbin/ldconfig");
    return;
  }
  g_assert_true(dladdr((void *)g_main_context_new, &info) != 0);
  g_autofree char *root = cup_test_make_root();
  cup_test_write(root, "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  g_autofree char *lib_dir = g_build_filename(root, "opt/cuda-12.4/lib64", NULL);
  g_assert_cmpint(g_mkdir_with_parents(lib_dir, 0755), ==, 0);
  g_autofree char *base = g_path_get_basename(info.dli_fname);
  g_autofree char *copy = g_build_filename(lib_dir, base, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(info.dli_fname, &data, &len, NULL));
  g_assert_true(g_file_set_contents(copy, data, (gssize)len, NULL));
  g_autoptr(CupEnvSpec) spec = spec_for("/opt/cuda-12.4", "12.4", CUP_ENV_SCOPE_SYSTEM);
  CupProfileOptions o = {.root = root};
  g_autoptr(CupProfileReport) r = apply_ok(spec, &o);
  const char *build[] = {"/sbin/ldconfig", "-r", root, NULL};
  int status = -1;
  g_autoptr(GBytes) out = cup_proc_run(build, TRUE, 60000, &status, NULL);
  g_assert_cmpint(status, ==, 0);
  g_autofree char *cache = g_build_filename(root, "etc/ld.so.cache", NULL);
  const char *print[] = {"/sbin/ldconfig", "-p", "-C", cache, NULL};
  g_autoptr(GBytes) listed = cup_proc_run(print, TRUE, 60000, &status, NULL);
  g_autofree char *text = cup_proc_output_text(listed);
  g_test_message("%s", text);
  g_autofree char *entry = g_strdup_printf("=> /opt/cuda-12.4/lib64/%s", base);
  g_assert_nonnull(strstr(text, entry));
  cup_test_remove_tree(root);
}

/* As an unprivileged user: nothing of the system scope can be written, and the error says
 * to run as root. */
static int apply_system_unprivileged(gconstpointer data)
{
  const char *root = data;
  g_autoptr(CupEnvSpec) spec = spec_for("/opt/cuda-12.4", "12.4", CUP_ENV_SCOPE_SYSTEM);
  CupProfileOptions o = {.root = root};
  g_autoptr(CupProfileReport) r = NULL;
  g_autoptr(GError) error = NULL;
  if (cup_profile_apply(spec, &o, &r, &error))
    return 4;
  g_test_message("%s", error->message);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "cannot edit /etc/profile.d/cudaup.sh ("));
  g_assert_nonnull(strstr(error->message, "run as root, or use --scope user"));
  g_assert_cmpuint(r->edits->len, ==, 0);
  return 0;
}

static void test_system_unwritable(void)
{
  g_autofree char *root = cup_test_make_root();
  g_assert_cmpint(g_chmod(root, 0755), ==, 0);
  cup_test_write(root, "etc/profile.d/other.sh", "");
  g_autofree char *dir = g_build_filename(root, "etc/profile.d", NULL);
  g_assert_cmpint(g_chmod(dir, 0555), ==, 0); /* for a non-root run: root's dir is ours */
  int code = run_unprivileged(apply_system_unprivileged, root);
  g_chmod(dir, 0755);
  if (code != 77)
    g_assert_cmpint(code, ==, 0);
  cup_test_remove_tree(root);
}

/* A dry run on the real system reads it and writes nothing: as root it would write
 * /etc/profile.d/cudaup.sh and run ldconfig; as a user it meets the refusal the real run
 * would. */
static void test_system_dry_run_real_root(void)
{
  if (g_file_test("/etc/profile.d/cudaup.sh", G_FILE_TEST_EXISTS)) {
    g_test_skip("this machine has a cudaup system environment already");
    return;
  }
  g_autoptr(CupEnvSpec) spec = spec_for("/opt/cuda-12.4", "12.4", CUP_ENV_SCOPE_SYSTEM);
  CupProfileOptions o = {.root = "/", .dry_run = TRUE};
  g_autoptr(CupProfileReport) r = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = cup_profile_apply(spec, &o, &r, &error);
  g_assert_false(g_file_test("/etc/profile.d/cudaup.sh", G_FILE_TEST_EXISTS));
  if (access("/etc", W_OK) != 0) {
    g_assert_false(ok);
    g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
    g_assert_nonnull(strstr(error->message, "run as root"));
    return;
  }
  g_assert_no_error(error);
  g_assert_true(ok);
  g_assert_true(r->ldconfig);
  g_assert_null(r->root);
  g_assert_cmpuint(r->edits->len, >=, 2);
  const CupProfileEdit *first = r->edits->pdata[0];
  g_assert_cmpstr(first->path, ==, "/etc/profile.d/cudaup.sh");
  g_assert_cmpstr(first->host_path, ==, "/etc/profile.d/cudaup.sh");
  g_assert_false(first->done);
  g_autofree char *diff = cup_profile_report_diff(r);
  g_assert_true(g_str_has_suffix(diff, "\nldconfig\n"));
}

/* ---- revert and show ---- */

static void test_revert(void)
{
  g_autoptr(World) w = world_new();
  world_dotfiles(w);
  g_autofree char *before = cup_test_tree_snapshot(w->dir);
  g_autoptr(CupEnvSpec) spec = spec_for(w->tk124, "12.4", CUP_ENV_SCOPE_USER);
  CupProfileOptions o = user_options(w, "bash");
  g_autoptr(CupProfileReport) applied = apply_ok(spec, &o);
  g_autofree char *after_apply = cup_test_tree_snapshot(w->dir);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_profile_revert(applied, &error));
  g_assert_no_error(error);
  g_autofree char *reverted = cup_test_tree_snapshot(w->dir);
  g_assert_cmpstr(reverted, ==, before);

  /* the undo of a remove puts the environment back */
  g_autoptr(CupProfileReport) again = apply_ok(spec, &o);
  g_autoptr(CupProfileReport) removed = remove_ok(CUP_ENV_SCOPE_USER, &o);
  g_assert_true(cup_profile_revert(removed, &error));
  g_autofree char *restored = cup_test_tree_snapshot(w->dir);
  g_assert_cmpstr(restored, ==, after_apply);

  /* a file changed since is left as the user made it */
  g_autoptr(CupProfileReport) gone = remove_ok(CUP_ENV_SCOPE_USER, &o);
  g_autoptr(CupProfileReport) third = apply_ok(spec, &o);
  g_autofree char *zshenv = g_build_filename(w->home, ".zshenv", NULL);
  g_assert_true(g_file_set_contents(zshenv, "# rewritten by the user\n", -1, NULL));
  g_assert_false(cup_profile_revert(third, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARTIAL);
  g_assert_nonnull(strstr(error->message, zshenv));
  g_autofree char *text = read_text(w->home, ".zshenv");
  g_assert_cmpstr(text, ==, "# rewritten by the user\n");
}

static void test_show(void)
{
  g_autoptr(World) w = world_new();
  world_dotfiles(w);
  CupProfileOptions o = user_options(w, "bash");
  g_autoptr(GError) error = NULL;
  g_autoptr(CupProfileState) empty = cup_profile_show(CUP_ENV_SCOPE_USER, &o, &error);
  g_assert_no_error(error);
  g_assert_null(empty->cuda);
  g_autoptr(CupEnvSpec) old = spec_for(w->tk121, "12.1", CUP_ENV_SCOPE_USER);
  g_autoptr(CupEnvSpec) spec = spec_for(w->tk124, "12.4", CUP_ENV_SCOPE_USER);
  g_autoptr(CupProfileReport) r1 = apply_ok(old, &o);
  g_autoptr(CupProfileReport) r2 = apply_ok(spec, &o);
  g_autoptr(CupProfileState) state = cup_profile_show(CUP_ENV_SCOPE_USER, &o, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(state->cuda, ==, "12.4");
  g_assert_cmpstr(state->toolkit_root, ==, w->tk124);
  g_assert_cmpuint(state->known_roots->len, ==, 2);
  GString *ours = g_string_new(NULL);
  for (guint i = 0; i < state->files->len; i++) {
    const CupProfileFile *f = state->files->pdata[i];
    g_autofree char *base = g_path_get_basename(f->path);
    g_assert_null(f->problem);
    if (f->ours)
      g_string_append_printf(ours, "%s ", base);
  }
  g_assert_cmpstr(ours->str, ==, "env.sh env.fish .profile .bashrc .zshenv cudaup.fish ");
  g_string_free(ours, TRUE);
  CupProfileOptions sys = {.root = w->dir};
  g_autoptr(CupProfileState) none = cup_profile_show(CUP_ENV_SCOPE_SYSTEM, &sys, &error);
  g_assert_no_error(error);
  g_assert_null(none->cuda);
  g_assert_cmpuint(none->files->len, ==, 2); /* profile.d/cudaup.sh, fish conf.d */
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/profile/user/shells", test_user_shells);
  g_test_add_func("/profile/user/switch", test_user_switch);
  g_test_add_func("/profile/user/files", test_user_files);
  g_test_add_func("/profile/user/dry-run", test_user_dry_run);
  g_test_add_func("/profile/user/byte-identical", test_user_byte_identical);
  g_test_add_func("/profile/user/read-only", test_user_read_only);
  g_test_add_func("/profile/user/damaged", test_user_damaged);
  g_test_add_func("/profile/user/bad-options", test_user_bad_options);
  g_test_add_func("/profile/system/scope", test_system_scope);
  g_test_add_func("/profile/system/ldconfig", test_system_ldconfig);
  g_test_add_func("/profile/system/unwritable", test_system_unwritable);
  g_test_add_func("/profile/system/dry-run-real-root", test_system_dry_run_real_root);
  g_test_add_func("/profile/revert", test_revert);
  g_test_add_func("/profile/show", test_show);
  return g_test_run();
}
