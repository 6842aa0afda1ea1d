/* test_envset.c - core/envset: the spec of a toolkit, the generated scripts as text and run by
 * sh, dash, bash and zsh, the marked-block edits (applied, applied again, removed back to the
 * same bytes) and the dry-run diff. The scripts sourced from real profile files, fish included,
 * are proven by test_profile.c. */
#include "core/envset.h"
#include "core/error.h"
#include "core/plan.h"
#include "core/plan_private.h"
#include "core/proc.h"
#include "tests/testutil.h"

#include <string.h>

/* ---- the spec ---- */

typedef struct {
  const char *os, *root, *cuda;
  CupEnvScope scope;
  const char *lines; /* cup_envset_spec_describe joined by "|"; NULL: a usage error */
} SpecCase;

static const SpecCase spec_cases[] = {
    {"linux", "/opt/cuda-12.4", "12.4", CUP_ENV_SCOPE_USER,
     "PATH += /opt/cuda-12.4/bin|LD_LIBRARY_PATH += /opt/cuda-12.4/lib64|"
     "CUDA_HOME = /opt/cuda-12.4|CUDA_PATH = /opt/cuda-12.4"},
    {"linux", "/usr/local/cuda-12.1", "12.1", CUP_ENV_SCOPE_SYSTEM,
     "PATH += /usr/local/cuda-12.1/bin|"
     "/etc/ld.so.conf.d/cudaup-cuda-12.1.conf += /usr/local/cuda-12.1/lib64|"
     "CUDA_HOME = /usr/local/cuda-12.1|CUDA_PATH = /usr/local/cuda-12.1"},
    /* trailing separators, "." and ".." are canonicalised away */
    {"linux", "/opt/./x/../cuda-12.1//", "12.1", CUP_ENV_SCOPE_USER,
     "PATH += /opt/cuda-12.1/bin|LD_LIBRARY_PATH += /opt/cuda-12.1/lib64|"
     "CUDA_HOME = /opt/cuda-12.1|CUDA_PATH = /opt/cuda-12.1"},
    {"linux", "/home/kim/my cuda's/12.1", "12.1", CUP_ENV_SCOPE_USER,
     "PATH += /home/kim/my cuda's/12.1/bin|LD_LIBRARY_PATH += /home/kim/my cuda's/12.1/lib64|"
     "CUDA_HOME = /home/kim/my cuda's/12.1|CUDA_PATH = /home/kim/my cuda's/12.1"},
    {"windows", "C:/Program Files/NVIDIA GPU Computing Toolkit/CUDA/v12.1\\", "12.1",
     CUP_ENV_SCOPE_SYSTEM,
     "CUDA_PATH = C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.1|"
     "CUDA_PATH_V12_1 = C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.1|"
     "Path += C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.1\\bin"},
    {"windows", "\\\\lab\\share\\cuda\\v11.8", "11.8", CUP_ENV_SCOPE_USER,
     "CUDA_PATH = \\\\lab\\share\\cuda\\v11.8|CUDA_PATH_V11_8 = \\\\lab\\share\\cuda\\v11.8|"
     "Path += \\\\lab\\share\\cuda\\v11.8\\bin"},
    /* refused: roots that are not absolute, hold a list separator or a line break, or are
     * system directories whose entries must never be dropped from PATH */
    {"linux", "opt/cuda-12.1", "12.1", CUP_ENV_SCOPE_USER, NULL},
    {"linux", "/opt/cu:da", "12.1", CUP_ENV_SCOPE_USER, NULL},
    {"linux", "/opt/cu\nda", "12.1", CUP_ENV_SCOPE_USER, NULL},
    {"linux", "/", "12.1", CUP_ENV_SCOPE_USER, NULL},
    {"linux", "/usr/", "12.1", CUP_ENV_SCOPE_USER, NULL},
    {"linux", "/usr/local", "12.1", CUP_ENV_SCOPE_SYSTEM, NULL},
    {"linux", "/usr/local/cuda/..", "12.1", CUP_ENV_SCOPE_SYSTEM, NULL},
    {"linux", "", "12.1", CUP_ENV_SCOPE_USER, NULL},
    {"windows", "C:\\", "12.1", CUP_ENV_SCOPE_USER, NULL},
    {"windows", "CUDA\\v12.1", "12.1", CUP_ENV_SCOPE_USER, NULL},
    {"windows", "C:\\a;b", "12.1", CUP_ENV_SCOPE_USER, NULL},
    {"windows", "C:\\a\\..\\b", "12.1", CUP_ENV_SCOPE_USER, NULL},
    /* refused: CUDA versions not of the form X.Y, unknown systems */
    {"linux", "/opt/cuda", "12", CUP_ENV_SCOPE_USER, NULL},
    {"linux", "/opt/cuda", "12.1.1", CUP_ENV_SCOPE_USER, NULL},
    {"linux", "/opt/cuda", "12.x", CUP_ENV_SCOPE_USER, NULL},
    {"linux", "/opt/cuda", ".1", CUP_ENV_SCOPE_USER, NULL},
    {"macos", "/opt/cuda", "12.1", CUP_ENV_SCOPE_USER, NULL},
};

static char *describe(const CupEnvSpec *spec)
{
  g_autoptr(GPtrArray) lines = cup_envset_spec_describe(spec);
  g_ptr_array_add(lines, NULL);
  return g_strjoinv("|", (char **)lines->pdata);
}

static void test_spec_table(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(spec_cases); i++) {
    const SpecCase *c = &spec_cases[i];
    g_autoptr(GError) error = NULL;
    g_autoptr(CupEnvSpec) spec = cup_envset_spec_new(c->os, c->root, c->cuda, c->scope, &error);
    g_test_message("case %zu: %s %s %s", i, c->os, c->root, c->cuda);
    if (c->lines == NULL) {
      g_assert_null(spec);
      g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
      continue;
    }
    g_assert_no_error(error);
    g_autofree char *lines = describe(spec);
    g_assert_cmpstr(lines, ==, c->lines);
    g_assert_null(strstr(lines, "stubs"));
  }
}

static void test_spec_ldconf(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEnvSpec) sys =
      cup_envset_spec_new("linux", "/usr/local/cuda-12.1", "12.1", CUP_ENV_SCOPE_SYSTEM, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(sys->ldconf_name, ==, "cudaup-cuda-12.1.conf");
  g_assert_true(cup_envset_is_generated(sys->ldconf_content));
  g_assert_true(g_str_has_suffix(sys->ldconf_content, "\n/usr/local/cuda-12.1/lib64\n"));
  g_assert_true(cup_envset_ldconf_is_ours(sys->ldconf_name));
  g_autoptr(CupEnvSpec) user =
      cup_envset_spec_new("linux", "/usr/local/cuda-12.1", "12.1", CUP_ENV_SCOPE_USER, &error);
  g_assert_null(user->ldconf_name);
  g_assert_null(user->ldconf_content);
}

/* What the plan shows before the install is what envset sets at user scope. */
static void test_spec_matches_plan(void)
{
  const char *cases[][3] = {{"linux", "/usr/local/cuda-12.1", "12.1"},
                            {"windows", "C:\\cuda\\v12.1", "12.1"}};
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    CupPlan plan = {0};
    plan.os = (char *)cases[i][0];
    plan.toolkit_root = (char *)cases[i][1];
    plan.cuda_version = (char *)cases[i][2];
    plan.cuda_required = TRUE;
    plan.environment = g_ptr_array_new_with_free_func(g_free);
    cup_plan_add_environment(&plan);
    g_ptr_array_add(plan.environment, NULL);
    g_autofree char *planned = g_strjoinv("|", (char **)plan.environment->pdata);
    g_ptr_array_unref(plan.environment);
    g_autoptr(GError) error = NULL;
    g_autoptr(CupEnvSpec) spec =
        cup_envset_spec_new(cases[i][0], cases[i][1], cases[i][2], CUP_ENV_SCOPE_USER, &error);
    g_assert_no_error(error);
    g_autofree char *lines = describe(spec);
    g_assert_cmpstr(lines, ==, planned);
  }
}

/* ---- the scripts as text ---- */

static CupEnvSpec *spec_for(const char *root, const char *cuda, CupEnvScope scope)
{
  g_autoptr(GError) error = NULL;
  CupEnvSpec *spec = cup_envset_spec_new("linux", root, cuda, scope, &error);
  g_assert_no_error(error);
  return spec;
}

static void test_script_sh_text(void)
{
  g_autoptr(CupEnvSpec) spec = spec_for("/opt/cuda-12.4", "12.4", CUP_ENV_SCOPE_USER);
  g_autofree char *alone = cup_envset_script_sh(spec, NULL);
  g_assert_true(cup_envset_is_generated(alone));
  g_assert_null(strstr(alone, "__cudaup_drop")); /* nothing to drop: no function either */
  g_assert_nonnull(strstr(alone, "case \":${PATH-}:\" in *:'/opt/cuda-12.4/bin':*) ;; "
                                 "*) PATH='/opt/cuda-12.4/bin'${PATH:+\":$PATH\"} ;; esac\n"
                                 "export PATH\n"));
  g_assert_nonnull(strstr(alone, "LD_LIBRARY_PATH='/opt/cuda-12.4/lib64'"));
  g_assert_nonnull(strstr(alone, "\nCUDA_HOME='/opt/cuda-12.4'\nexport CUDA_HOME\n"));
  g_assert_nonnull(strstr(alone, "\nCUDA_PATH='/opt/cuda-12.4'\nexport CUDA_PATH\n"));

  const char *known[] = {"/opt/cuda-12.1", "/opt/cuda-12.4", NULL};
  g_autofree char *switched = cup_envset_script_sh(spec, known);
  g_assert_nonnull(strstr(switched, "case \":${PATH-}:\" in *:'/opt/cuda-12.1/bin':*) "
                                    "__cudaup_drop \"$PATH\" '/opt/cuda-12.1/bin'; "
                                    "PATH=$__cudaup_out ;; esac\n"));
  g_assert_nonnull(strstr(switched, "__cudaup_drop \"$LD_LIBRARY_PATH\" '/opt/cuda-12.1/lib64'"));
  g_assert_null(strstr(switched, "__cudaup_drop \"$PATH\" '/opt/cuda-12.4/bin'"));
  g_assert_nonnull(strstr(switched, "unset -f __cudaup_drop\n"));

  g_autoptr(CupEnvSpec) sys = spec_for("/opt/cuda-12.4", "12.4", CUP_ENV_SCOPE_SYSTEM);
  g_autofree char *system = cup_envset_script_sh(sys, known);
  g_assert_null(strstr(system, "LD_LIBRARY_PATH")); /* ld.so.conf.d does that at system scope */
  g_assert_nonnull(strstr(system, "(system scope)"));
}

static void test_script_quoting(void)
{
  g_autoptr(CupEnvSpec) spec = spec_for("/home/kim/it's cuda", "12.1", CUP_ENV_SCOPE_USER);
  g_autofree char *sh = cup_envset_script_sh(spec, NULL);
  g_assert_nonnull(strstr(sh, "CUDA_HOME='/home/kim/it'\\''s cuda'\n"));
  g_autofree char *fish = cup_envset_script_fish(spec, NULL);
  g_assert_nonnull(strstr(fish, "set -gx CUDA_HOME '/home/kim/it\\'s cuda'\n"));
  g_autofree char *rc = cup_envset_rc_line("/home/kim/.config/cudaup/env.sh");
  g_assert_cmpstr(rc, ==,
                  "if [ -f '/home/kim/.config/cudaup/env.sh' ]; then "
                  ". '/home/kim/.config/cudaup/env.sh'; fi # cudaup");
  g_autofree char *fl = cup_envset_fish_line("/h/a\\b'c/env.fish");
  g_assert_cmpstr(fl, ==,
                  "if test -f '/h/a\\\\b\\'c/env.fish'; source '/h/a\\\\b\\'c/env.fish'; "
                  "end # cudaup");
  g_autofree char *conf = cup_envset_fish_conf("/h/env.fish");
  g_assert_true(cup_envset_is_generated(conf));
  g_assert_true(g_str_has_suffix(conf, "\nif test -f '/h/env.fish'; source '/h/env.fish'; end "
                                       "# cudaup\n"));
}

static void test_script_fish_text(void)
{
  g_autoptr(CupEnvSpec) spec = spec_for("/opt/cuda-12.4", "12.4", CUP_ENV_SCOPE_USER);
  const char *known[] = {"/opt/cuda-12.1", NULL};
  g_autofree char *fish = cup_envset_script_fish(spec, known);
  g_assert_nonnull(strstr(fish, "while contains -- '/opt/cuda-12.1/bin' $PATH\n"
                                "    set -e PATH[(contains -i -- '/opt/cuda-12.1/bin' $PATH)]\n"
                                "end\n"));
  g_assert_nonnull(strstr(fish, "contains -- '/opt/cuda-12.4/lib64' $LD_LIBRARY_PATH; "
                                "or set -gx LD_LIBRARY_PATH '/opt/cuda-12.4/lib64' "
                                "$LD_LIBRARY_PATH\n"));
}

/* The roots a script records come back, each once; roots that could not be toolkit roots
 * (relative, a system directory) are never recorded, so they are never dropped from PATH. */
static void test_script_parse(void)
{
  g_autoptr(CupEnvSpec) spec = spec_for("/opt/cuda-12.4", "12.4", CUP_ENV_SCOPE_USER);
  const char *known[] = {"/opt/cuda-12.1",  "/usr", "relative", "/opt/cuda-12.1",
                         "/opt/cuda-11.8/", NULL};
  for (int fish = 0; fish < 2; fish++) {
    g_autofree char *text =
        fish ? cup_envset_script_fish(spec, known) : cup_envset_script_sh(spec, known);
    g_autofree char *cuda = NULL, *root = NULL;
    g_autoptr(GPtrArray) roots = g_ptr_array_new_with_free_func(g_free);
    g_assert_true(cup_envset_script_parse(text, &cuda, &root, roots));
    g_assert_cmpstr(cuda, ==, "12.4");
    g_assert_cmpstr(root, ==, "/opt/cuda-12.4");
    g_assert_cmpuint(roots->len, ==, 2);
    g_assert_cmpstr(roots->pdata[0], ==, "/opt/cuda-12.1");
    g_assert_cmpstr(roots->pdata[1], ==, "/opt/cuda-12.4");
    g_assert_null(strstr(text, "'/usr/bin'"));
  }
  g_assert_false(cup_envset_script_parse("export PATH=/x\n", NULL, NULL, NULL));
  g_assert_false(cup_envset_script_parse(NULL, NULL, NULL, NULL));
  g_assert_false(cup_envset_script_parse(CUP_ENVSET_GENERATED "\n", NULL, NULL, NULL));
}

/* The sh script in every POSIX shell here: under `set -eu`, sourced twice, for a root with a
 * quote and spaces, it drops the old toolkit's entries and keeps empty PATH entries (the
 * current directory) where they were. */
static void test_script_in_shells(void)
{
  const char *root = "/opt/it's cuda 12.4";
  g_autoptr(CupEnvSpec) spec = spec_for(root, "12.4", CUP_ENV_SCOPE_USER);
  const char *known[] = {"/opt/cuda-12.1", NULL};
  g_autofree char *text = cup_envset_script_sh(spec, known);
  g_autofree char *dir = cup_test_make_root();
  cup_test_write(dir, "env.sh", text);
  g_autofree char *script = g_build_filename(dir, "env.sh", NULL);
  const char *probe =
      "set -eu; . \"$1\"; . \"$1\"; printf '%s\\n' \"$PATH\" \"$LD_LIBRARY_PATH\" \"$CUDA_HOME\"";
  const char *envp[] = {"PATH=/a::/opt/cuda-12.1/bin:/usr/bin:/bin:", NULL};
  const char *expected = "/opt/it's cuda 12.4/bin:/a::/usr/bin:/bin:\n/opt/it's cuda 12.4/lib64\n"
                         "/opt/it's cuda 12.4\n";
  const char *shells[] = {"sh", "dash", "bash", "zsh"};
  guint ran = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(shells); i++) {
    g_autofree char *found = g_find_program_in_path(shells[i]);
    if (found == NULL)
      continue;
    const char *argv[] = {found, "-c", probe, "envset-test", script, NULL};
    CupProcOptions o = {.argv = argv, .envp = envp, .timeout_ms = 30000};
    int status = -1;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) out = cup_proc_run_full(&o, &status, &error);
    g_assert_no_error(error);
    g_autofree char *seen = cup_proc_output_text(out);
    g_test_message("%s: %s", shells[i], seen);
    g_assert_cmpint(status, ==, 0);
    g_assert_cmpstr(seen, ==, expected);
    ran++;
  }
  g_assert_cmpuint(ran, >, 0); /* sh at least */
  cup_test_remove_tree(dir);
}

static void test_ldconf_names(void)
{
  const struct {
    const char *name;
    gboolean ours;
  } cases[] = {{"cudaup-cuda-12.1.conf", TRUE},   {"cudaup-cuda-9.0.conf", TRUE},
               {"cudaup-cuda-12.conf", FALSE},    {"cudaup-cuda-12.1.conf~", FALSE},
               {"cuda-12.1.conf", FALSE},         {"cudaup-cuda-.conf", FALSE},
               {"cudaup-cuda-12.1.1.conf", FALSE}};
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    g_assert_cmpint(cup_envset_ldconf_is_ours(cases[i].name), ==, cases[i].ours);
}

/* ---- marked blocks ---- */

#define BODY "if [ -f '/h/env.sh' ]; then . '/h/env.sh'; fi # cudaup\n"
#define NOTE                                                                                       \
  "# Managed by cudaup: the CUDA toolkit's environment. Remove it with `cudaup env remove`."
#define BLOCK_LF(flags) CUP_ENVSET_BLOCK_BEGIN flags "\n" NOTE "\n" BODY CUP_ENVSET_BLOCK_END "\n"
#define BLOCK_CRLF(flags)                                                                          \
  CUP_ENVSET_BLOCK_BEGIN flags                                                                     \
      "\r\n" NOTE "\r\n"                                                                           \
      "if [ -f '/h/env.sh' ]; then . '/h/env.sh'; fi # cudaup\r\n" CUP_ENVSET_BLOCK_END "\r\n"
#define OLD_BLOCK CUP_ENVSET_BLOCK_BEGIN "\n. /old/env.sh\n" CUP_ENVSET_BLOCK_END "\n"

typedef struct {
  const char *name;
  const char *before; /* NULL: the file does not exist */
  const char *applied;
  const char *removed; /* what remove gives back for @applied: @before unless the case says */
} BlockCase;

static const BlockCase block_cases[] = {
    {"absent file", NULL, BLOCK_LF(" file-created"), NULL},
    {"empty file", "", BLOCK_LF(""), ""},
    {"final newline", "a\n", "a\n" BLOCK_LF(""), "a\n"},
    {"no final newline", "a", "a\n" BLOCK_LF(" newline-added"), "a"},
    {"CRLF", "a\r\nb\r\n", "a\r\nb\r\n" BLOCK_CRLF(""), "a\r\nb\r\n"},
    {"CRLF, no final newline", "a\r\nb", "a\r\nb\r\n" BLOCK_CRLF(" newline-added"), "a\r\nb"},
    {"block in the middle is replaced in place", "x\n" OLD_BLOCK "y\n", "x\n" BLOCK_LF("") "y\n",
     "x\ny\n"},
    {"a second block is dropped", "x\n" OLD_BLOCK "y\n" OLD_BLOCK "z", "x\n" BLOCK_LF("") "y\nz",
     "x\ny\nz"},
    {"look-alike lines are the user's", "# >>> cudaup env >>>x\n# <<< cudaup env <<<y\n",
     "# >>> cudaup env >>>x\n# <<< cudaup env <<<y\n" BLOCK_LF(""),
     "# >>> cudaup env >>>x\n# <<< cudaup env <<<y\n"},
    /* lines the user added after the block: the added newline stays, or they would join */
    {"lines after a newline-added block", "a\n" BLOCK_LF(" newline-added") "z\n",
     "a\n" BLOCK_LF(" newline-added") "z\n", "a\nz\n"},
    /* a created file the user wrote into since is kept */
    {"lines after a file-created block", BLOCK_LF(" file-created") "z\n",
     BLOCK_LF(" file-created") "z\n", "z\n"},
};

static void test_block_table(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(block_cases); i++) {
    const BlockCase *c = &block_cases[i];
    g_autoptr(GError) error = NULL;
    g_test_message("case %s", c->name);
    g_autofree char *applied = cup_envset_block_apply(c->before, BODY, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(applied, ==, c->applied);
    g_assert_true(cup_envset_block_present(applied));
    g_autofree char *again = cup_envset_block_apply(applied, BODY, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(again, ==, applied);
    g_autofree char *removed = NULL;
    g_assert_true(cup_envset_block_remove(applied, &removed, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(removed, ==, c->removed);
    g_assert_false(cup_envset_block_present(removed));
  }
}

static void test_block_remove_without_block(void)
{
  const char *texts[] = {"", "a", "a\r\nb\r\n", "# >>> cudaup env >>>x\n"};
  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(cup_envset_block_remove(texts[i], &out, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(out, ==, texts[i]);
  }
}

static void test_block_unterminated(void)
{
  const char *texts[] = {"a\n" CUP_ENVSET_BLOCK_BEGIN "\n. x\n",
                         "a\n" BLOCK_LF("") CUP_ENVSET_BLOCK_BEGIN "\n"};
  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *applied = cup_envset_block_apply(texts[i], BODY, &error);
    g_assert_null(applied);
    g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
    g_clear_error(&error);
    g_autofree char *out = NULL;
    g_assert_false(cup_envset_block_remove(texts[i], &out, &error));
    g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
    g_assert_true(cup_envset_block_present(texts[i]));
  }
}

/* ---- diff ---- */

static void test_diff_table(void)
{
  const struct {
    const char *old, *new, *diff;
  } cases[] = {
      {"a\n", "a\n", ""},
      {NULL, "x\n", "--- /dev/null\n+++ f\n@@ -0,0 +1,1 @@\n+x\n"},
      {"x\n", NULL, "--- f\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-x\n"},
      {"a\nb\nc\n", "a\nB\nc\n", "--- f\n+++ f\n@@ -2,1 +2,1 @@\n-b\n+B\n"},
      {"a\nc\n", "a\nb\nc\n", "--- f\n+++ f\n@@ -1,0 +2,1 @@\n+b\n"},
      {"a", "a\nb\n", "--- f\n+++ f\n@@ -1,1 +1,2 @@\n-a\n\\ No newline at end of file\n+a\n+b\n"},
      {"a\r\n", "a\r\nb\r\n", "--- f\n+++ f\n@@ -1,0 +2,1 @@\n+b\r\n"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *diff = cup_envset_diff("f", cases[i].old, cases[i].new);
    g_assert_cmpstr(diff, ==, cases[i].diff);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/envset/spec/table", test_spec_table);
  g_test_add_func("/envset/spec/ldconf", test_spec_ldconf);
  g_test_add_func("/envset/spec/matches-plan", test_spec_matches_plan);
  g_test_add_func("/envset/script/sh", test_script_sh_text);
  g_test_add_func("/envset/script/fish", test_script_fish_text);
  g_test_add_func("/envset/script/quoting", test_script_quoting);
  g_test_add_func("/envset/script/parse", test_script_parse);
  g_test_add_func("/envset/script/in-shells", test_script_in_shells);
  g_test_add_func("/envset/ldconf-names", test_ldconf_names);
  g_test_add_func("/envset/block/table", test_block_table);
  g_test_add_func("/envset/block/remove-without-block", test_block_remove_without_block);
  g_test_add_func("/envset/block/unterminated", test_block_unterminated);
  g_test_add_func("/envset/diff", test_diff_table);
  return g_test_run();
}
