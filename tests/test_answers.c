/* test_answers.c - the answers file of `cudaup install --silent` (cli/answers.c): each value
 * type merged into the command line and parsed by GOption, the command line winning, lists,
 * relative paths, the files Windows editors write, every error (and that nothing is merged
 * then), and the description of each choice and its source. */
#include "cli/answers.h"
#include "core/error.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

/* A stand-in for the install command's options: one option of every kind the reader handles. */
typedef struct {
  char *cuda, *prefix, *cache, *answers, *secret;
  char **mirrors, **extra;
  gboolean user, with_toolkit, verbose, quiet, color;
  int jobs;
  gint64 limit;
  double ratio;
  GOptionEntry entries[18];
} Opts;

static void opts_init(Opts *o)
{
  memset(o, 0, sizeof *o);
  o->jobs = 4;
  o->color = TRUE;
  const GOptionEntry table[] = {
      {"cuda", 0, 0, G_OPTION_ARG_STRING, &o->cuda, "Pin the CUDA version", "X.Y[.Z]"},
      {"prefix", 0, 0, G_OPTION_ARG_FILENAME, &o->prefix, "Toolkit root", "DIR"},
      {"cache", 0, 0, G_OPTION_ARG_FILENAME, &o->cache, "Download cache", "DIR"},
      {"answers", 0, 0, G_OPTION_ARG_FILENAME, &o->answers, "Answers file", "FILE"},
      {"mirror", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->mirrors, "Mirror", "URL"},
      {"extra-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->extra, "Extra directory", "DIR"},
      {"user", 0, 0, G_OPTION_ARG_NONE, &o->user, "For this user", NULL},
      {"with-toolkit", 0, 0, G_OPTION_ARG_NONE, &o->with_toolkit, "The toolkit too", NULL},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "Say more", NULL},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "Say less", NULL},
      {"no-color", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &o->color, "No colour", NULL},
      {"jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs, "Parallel downloads", "N"},
      {"limit", 0, 0, G_OPTION_ARG_INT64, &o->limit, "Byte limit", "BYTES"},
      {"ratio", 0, 0, G_OPTION_ARG_DOUBLE, &o->ratio, "A ratio", "R"},
      {"secret", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &o->secret, "Hidden", "S"},
      G_OPTION_ENTRY_NULL,
  };
  G_STATIC_ASSERT(sizeof table <= sizeof o->entries);
  memcpy(o->entries, table, sizeof table);
}

static void opts_clear(Opts *o)
{
  g_free(o->cuda), g_free(o->prefix), g_free(o->cache), g_free(o->answers), g_free(o->secret);
  g_strfreev(o->mirrors), g_strfreev(o->extra);
}

/* One merge: the command line as main() would have it (owned here, as the OS owns its argv)
 * and the merged one. */
typedef struct {
  char **orig;
  int argc;
  char **argv;
  CliAnswers *answers;
} Merge;

static CliAnswers *merge(Merge *m, Opts *o, const char *file, const char *const *args,
                         GError **error)
{
  m->orig = g_strdupv((char **)args);
  m->argc = (int)g_strv_length(m->orig);
  m->argv = m->orig;
  m->answers = cli_answers_merge(file, o->entries, &m->argc, &m->argv, error);
  return m->answers;
}

static void merge_clear(Merge *m)
{
  cli_answers_free(m->answers);
  g_strfreev(m->orig);
}

static void assert_argv(const Merge *m, const char *const *want)
{
  g_assert_cmpint(m->argc, ==, (int)g_strv_length((char **)want));
  g_assert_null(m->argv[m->argc]);
  for (int i = 0; i < m->argc; i++)
    g_assert_cmpstr(m->argv[i], ==, want[i]);
}

static void parse(Opts *o, Merge *m)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
  g_option_context_add_main_entries(ctx, o->entries, NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(g_option_context_parse(ctx, &m->argc, &m->argv, &error));
  g_assert_no_error(error);
}

static char *write_file(const char *dir, const char *name, const char *text, gssize len)
{
  char *path = g_build_filename(dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_file_set_contents(path, text, len, &error);
  g_assert_no_error(error);
  return path;
}

static void assert_strv(char **got, const char *const *want)
{
  g_assert_nonnull(got);
  g_assert_cmpuint(g_strv_length(got), ==, g_strv_length((char **)want));
  for (guint i = 0; want[i]; i++)
    g_assert_cmpstr(got[i], ==, want[i]);
}

/* ---- merging ---- */

static void test_each_type(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *file = write_file(dir, "answers.ini",
                                     "[install]\n"
                                     "cuda = 12.1\n"
                                     "prefix = /opt/cuda\n"
                                     "user = true\n"
                                     "with-toolkit = false\n"
                                     "no-color = true\n"
                                     "jobs = 010\n"
                                     "limit = 5000000000\n"
                                     "ratio = 0.5\n"
                                     "mirror = https://a.example/;https://b.example/\n",
                                     -1);
  Opts o;
  opts_init(&o);
  Merge m = {0};
  const char *args[] = {"cudaup", "--cache", "/c", NULL};
  g_autoptr(GError) error = NULL;
  g_assert_nonnull(merge(&m, &o, file, args, &error));
  g_assert_no_error(error);
  /* Ahead of the user's arguments; a false flag adds nothing; 010 is ten, not octal eight. */
  const char *want[] = {"cudaup",
                        "--cuda=12.1",
                        "--prefix=/opt/cuda",
                        "--user",
                        "--no-color",
                        "--jobs=10",
                        "--limit=5000000000",
                        "--ratio=0.5",
                        "--mirror=https://a.example/",
                        "--mirror=https://b.example/",
                        "--cache",
                        "/c",
                        NULL};
  assert_argv(&m, want);
  g_assert_true(m.argv != m.orig);
  parse(&o, &m);
  g_assert_cmpint(m.argc, ==, 1);
  g_assert_cmpstr(o.cuda, ==, "12.1");
  g_assert_cmpstr(o.prefix, ==, "/opt/cuda");
  g_assert_cmpstr(o.cache, ==, "/c");
  g_assert_true(o.user);
  g_assert_false(o.with_toolkit);
  g_assert_false(o.color);
  g_assert_cmpint(o.jobs, ==, 10);
  g_assert_cmpint(o.limit, ==, G_GINT64_CONSTANT(5000000000));
  g_assert_cmpfloat(o.ratio, ==, 0.5);
  const char *mirrors[] = {"https://a.example/", "https://b.example/", NULL};
  assert_strv(o.mirrors, mirrors);
  g_assert_cmpint(cli_answers_source(m.answers, "cuda"), ==, CLI_FROM_ANSWERS);
  g_assert_cmpint(cli_answers_source(m.answers, "with-toolkit"), ==, CLI_FROM_ANSWERS);
  g_assert_cmpint(cli_answers_source(m.answers, "cache"), ==, CLI_FROM_COMMAND_LINE);
  g_assert_cmpint(cli_answers_source(m.answers, "verbose"), ==, CLI_FROM_DEFAULT);
  merge_clear(&m);
  opts_clear(&o);
  cup_test_remove_tree(dir);
}

/* Every form GOption accepts counts as given: "--k V", "--k=V", a short option in a cluster
 * with its value in the next argument; what follows "--" is no option. A repeatable option
 * given once takes none of the file's values. */
static void test_command_line_wins(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *file = write_file(dir, "answers.ini",
                                     "[install]\n"
                                     "cuda = 12.1\n"
                                     "prefix = /file\n"
                                     "verbose = true\n"
                                     "jobs = 8\n"
                                     "mirror = https://a/;https://b/\n"
                                     "quiet = true\n"
                                     "user = true\n",
                                     -1);
  Opts o;
  opts_init(&o);
  Merge m = {0};
  const char *args[] = {
      "cudaup", "--cuda", "13.0", "--prefix=/cli", "-vj", "3", "--mirror=https://c/",
      "--",     "--user", NULL};
  g_autoptr(GError) error = NULL;
  g_assert_nonnull(merge(&m, &o, file, args, &error));
  g_assert_no_error(error);
  const char *want[] = {"cudaup", "--quiet", "--user",
                        "--cuda", "13.0",    "--prefix=/cli",
                        "-vj",    "3",       "--mirror=https://c/",
                        "--",     "--user",  NULL};
  assert_argv(&m, want);
  parse(&o, &m);
  g_assert_cmpstr(o.cuda, ==, "13.0");
  g_assert_cmpstr(o.prefix, ==, "/cli");
  g_assert_true(o.verbose);
  g_assert_cmpint(o.jobs, ==, 3);
  const char *mirrors[] = {"https://c/", NULL};
  assert_strv(o.mirrors, mirrors);
  g_assert_true(o.quiet);
  g_assert_true(o.user);
  g_assert_cmpint(cli_answers_source(m.answers, "cuda"), ==, CLI_FROM_COMMAND_LINE);
  g_assert_cmpint(cli_answers_source(m.answers, "jobs"), ==, CLI_FROM_COMMAND_LINE);
  g_assert_cmpint(cli_answers_source(m.answers, "verbose"), ==, CLI_FROM_COMMAND_LINE);
  g_assert_cmpint(cli_answers_source(m.answers, "mirror"), ==, CLI_FROM_COMMAND_LINE);
  g_assert_cmpint(cli_answers_source(m.answers, "quiet"), ==, CLI_FROM_ANSWERS);
  g_assert_cmpint(cli_answers_source(m.answers, "user"), ==, CLI_FROM_ANSWERS);
  merge_clear(&m);
  opts_clear(&o);
  cup_test_remove_tree(dir);
}

static void test_lists(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *file = write_file(dir, "answers.ini",
                                     "[install]\n"
                                     "mirror = \"https://a/\" ; https://b/;; https://c/?k=v ;\n"
                                     "extra-dir = /x;/y\n",
                                     -1);
  Opts o;
  opts_init(&o);
  Merge m = {0};
  const char *args[] = {"cudaup", NULL};
  g_autoptr(GError) error = NULL;
  g_assert_nonnull(merge(&m, &o, file, args, &error));
  g_assert_no_error(error);
  const char *want[] = {"cudaup",
                        "--mirror=https://a/",
                        "--mirror=https://b/",
                        "--mirror=https://c/?k=v",
                        "--extra-dir=/x",
                        "--extra-dir=/y",
                        NULL};
  assert_argv(&m, want);
  parse(&o, &m);
  const char *mirrors[] = {"https://a/", "https://b/", "https://c/?k=v", NULL};
  assert_strv(o.mirrors, mirrors);
  const char *extra[] = {"/x", "/y", NULL};
  assert_strv(o.extra, extra);
  merge_clear(&m);
  opts_clear(&o);
  cup_test_remove_tree(dir);
}

/* Relative paths are taken from the answers file's directory, also when the file itself was
 * named by a relative path; strings are never taken as paths. */
static void test_relative_paths(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *sub = g_build_filename(dir, "sub", NULL);
  g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
  g_autofree char *file = write_file(sub, "answers.ini",
                                     "[install]\n"
                                     "prefix = cuda-root\n"
                                     "cache = ../cache\n"
                                     "extra-dir = a;./b/../c;/abs\n"
                                     "cuda = relative-looking\n",
                                     -1);
  g_autofree char *cwd = g_get_current_dir();
  g_assert_cmpint(g_chdir(dir), ==, 0);
  g_autofree char *here = g_get_current_dir(); /* dir with any symlink resolved */
  Opts o;
  opts_init(&o);
  Merge m = {0};
  const char *args[] = {"cudaup", NULL};
  g_autoptr(GError) error = NULL;
  g_assert_nonnull(merge(&m, &o, "sub/answers.ini", args, &error));
  g_assert_no_error(error);
  g_assert_cmpint(g_chdir(cwd), ==, 0);
  parse(&o, &m);
  g_autofree char *prefix = g_build_filename(here, "sub", "cuda-root", NULL);
  g_autofree char *cache = g_build_filename(here, "cache", NULL);
  g_autofree char *a = g_build_filename(here, "sub", "a", NULL);
  g_autofree char *c = g_build_filename(here, "sub", "c", NULL);
  g_assert_cmpstr(o.prefix, ==, prefix);
  g_assert_cmpstr(o.cache, ==, cache);
  const char *extra[] = {a, c, "/abs", NULL};
  assert_strv(o.extra, extra);
  g_assert_cmpstr(o.cuda, ==, "relative-looking");
  merge_clear(&m);
  opts_clear(&o);
  cup_test_remove_tree(dir);
}

/* Without a file the argv is the same list (a new array) and the sources still tell the
 * command line from the defaults. */
static void test_no_file(void)
{
  Opts o;
  opts_init(&o);
  Merge m = {0};
  const char *args[] = {"cudaup", "--user", "extra", NULL};
  g_autoptr(GError) error = NULL;
  g_assert_nonnull(merge(&m, &o, NULL, args, &error));
  g_assert_no_error(error);
  assert_argv(&m, args);
  g_assert_true(m.argv != m.orig);
  parse(&o, &m);
  g_assert_cmpint(m.argc, ==, 2);
  g_assert_cmpstr(m.argv[1], ==, "extra");
  g_assert_true(o.user);
  g_assert_cmpint(cli_answers_source(m.answers, "user"), ==, CLI_FROM_COMMAND_LINE);
  g_assert_cmpint(cli_answers_source(m.answers, "cuda"), ==, CLI_FROM_DEFAULT);
  merge_clear(&m);
  opts_clear(&o);
}

static void test_file_arg(void)
{
  Opts o;
  opts_init(&o);
  char *given[] = {"cudaup", "--answers", "a.ini", NULL};
  g_assert_cmpstr(cli_answers_file_arg(o.entries, 3, given), ==, "a.ini");
  char *twice[] = {"cudaup", "--answers=a.ini", "-v", "--answers=b.ini", NULL};
  g_assert_cmpstr(cli_answers_file_arg(o.entries, 4, twice), ==, "b.ini");
  /* The value of --prefix, and anything after "--", is no option. */
  char *value[] = {"cudaup", "--prefix", "--answers", "x", NULL};
  g_assert_null(cli_answers_file_arg(o.entries, 4, value));
  char *after[] = {"cudaup", "--", "--answers=z.ini", NULL};
  g_assert_null(cli_answers_file_arg(o.entries, 3, after));
  char *none[] = {"cudaup", "--user", NULL};
  g_assert_null(cli_answers_file_arg(o.entries, 2, none));
}

/* ---- files from Windows editors ---- */

static const char *const notepad_want[] = {"cudaup",
                                           "--cuda=12.1",
                                           "--user",
                                           "--mirror=https://a/",
                                           "--mirror=https://b/",
                                           "--secret=C:\\Program Files\\CUDA",
                                           NULL};

/* What Windows Notepad writes: a UTF-8 BOM and CRLF; ';' comments are the Windows INI habit;
 * backslashes are not escapes. */
static const char notepad_text[] = "\xEF\xBB\xBF; answers for the lab\r\n"
                                   "[install]\r\n"
                                   "# pin the toolkit\r\n"
                                   "cuda = 12.1  \r\n"
                                   "   ; indented comment\r\n"
                                   "\r\n"
                                   "user = True\r\n"
                                   "mirror = https://a/;https://b/\r\n"
                                   "secret = \"C:\\Program Files\\CUDA\"\r\n";

static void check_merges_like_notepad(const char *file)
{
  Opts o;
  opts_init(&o);
  Merge m = {0};
  const char *args[] = {"cudaup", NULL};
  g_autoptr(GError) error = NULL;
  g_assert_nonnull(merge(&m, &o, file, args, &error));
  g_assert_no_error(error);
  assert_argv(&m, notepad_want);
  merge_clear(&m);
}

static void test_bom_crlf(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *file = write_file(dir, "answers.ini", notepad_text, -1);
  check_merges_like_notepad(file);
  /* Line numbers count CRLF lines. */
  g_autofree char *bad =
      write_file(dir, "bad.ini", "\xEF\xBB\xBF[install]\r\n\r\nbogus = 1\r\n", -1);
  Opts o;
  opts_init(&o);
  Merge m = {0};
  const char *args[] = {"cudaup", NULL};
  g_autoptr(GError) error = NULL;
  g_assert_null(merge(&m, &o, bad, args, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
  g_autofree char *at = g_strdup_printf("%s:3: unknown key 'bogus'", bad);
  g_assert_true(g_str_has_prefix(error->message, at));
  merge_clear(&m);
  cup_test_remove_tree(dir);
}

/* PowerShell 5's `>` and Notepad's "Unicode" write UTF-16 LE with a BOM. */
static void test_utf16(void)
{
  g_autofree char *dir = cup_test_make_root();
  const char *utf8 = notepad_text + 3;
  gsize n = 0;
  g_autofree char *body = g_convert(utf8, -1, "UTF-16LE", "UTF-8", NULL, &n, NULL);
  g_assert_nonnull(body);
  g_autofree char *bytes = g_malloc(n + 2);
  memcpy(bytes, "\xFF\xFE", 2);
  memcpy(bytes + 2, body, n);
  g_autofree char *file = write_file(dir, "answers.ini", bytes, (gssize)n + 2);
  check_merges_like_notepad(file);
  cup_test_remove_tree(dir);
}

/* ---- errors ---- */

typedef struct {
  const char *text;
  gssize len;       /* -1: text is a string */
  int line;         /* the line the message names; 0: none */
  const char *what; /* what follows "FILE[:LINE]: " */
} BadFile;

static const BadFile bad_files[] = {
    {"[install]\ncuda = 1\nhello world\n", -1, 3, "not an INI answers file ("},
    {"cuda = 1\n[install]\n", -1, 1, "not an INI answers file ("},
    {"# only a comment\n", -1, 0,
     "no [install] group; start the file with the line [install] and put the answers under it"},
    {"", -1, 0, "no [install] group;"},
    {"[cudaup]\ncuda = 1\n", -1, 1, "no [install] group, only [cudaup]; rename it to [install]"},
    {"[install]\ncuda = 1\n[Install]\nuser = true\n", -1, 3,
     "unknown group [Install]; an answers file has one group, [install]"},
    {"[install]\ncuda_version = 12.1\n", -1, 2,
     "unknown key 'cuda_version' in [install]; did you mean 'cuda'? Keys are the long options "
     "of 'cudaup install --help' without the dashes"},
    {"[install]\n--cuda = 12.1\n", -1, 2,
     "unknown key '--cuda' in [install]; did you mean 'cuda'?"},
    {"[install]\nWith_Toolkit = true\n", -1, 2,
     "unknown key 'With_Toolkit' in [install]; did "
     "you mean 'with-toolkit'?"},
    {"[install]\nmirrors = https://a/\n", -1, 2,
     "unknown key 'mirrors' in [install]; did you mean 'mirror'?"},
    {"[install]\n\nfrobnicate = 1\n", -1, 3,
     "unknown key 'frobnicate' in [install]; keys are the long options of 'cudaup install "
     "--help' without the dashes, e.g. 'cuda = X.Y[.Z]' for --cuda X.Y[.Z]"},
    {"[install]\ncuda[de] = 12.1\n", -1, 2, "unknown key 'cuda[de]'"},
    {"[install]\nuser = yes\n", -1, 2, "'user' takes true or false, not 'yes'"},
    {"[install]\njobs = four\n", -1, 2, "'jobs' takes a whole number, not 'four'"},
    {"[install]\njobs = 99999999999\n", -1, 2, "'jobs' takes a whole number"},
    {"[install]\nlimit = 1.5\n", -1, 2, "'limit' takes a whole number, not '1.5'"},
    {"[install]\nratio = half\n", -1, 2, "'ratio' takes a number, not 'half'"},
    /* The command line gives --cuda, yet the file's mistake is still reported. */
    {"[install]\ncuda =\n", -1, 2, "'cuda' has no value; give one or remove the line"},
    {"[install]\nmirror = ; ;\n", -1, 2, "'mirror' has no value"},
    {"[install]\nanswers = other.ini\n", -1, 2,
     "'answers' cannot be set in an answers file; give --answers FILE on the command line"},
    {"[install]\nhelp = true\n", -1, 2, "'help' cannot be set in an answers file"},
    {"[install]\nmirror = https://a/\n\nmirror = https://b/\n", -1, 4,
     "'mirror' is set twice (first on line 2); give all its values on one line, separated by "
     "';'"},
    {"[install]\ncuda = 1\n[install]\ncuda = 2\n", -1, 4,
     "'cuda' is set twice (first on line 2); keep one of the two lines"},
    {"[install]\nprefix = ~/cuda\n", -1, 2,
     "'prefix' is '~/cuda', but '~' is not expanded in an answers file; write the full path"},
    {"[install]\ncuda = \xff\n", -1, 2, "not UTF-8 text; save the answers file as UTF-8"},
    {"[install]\n\0cuda = 1\n", 20, 2, "not UTF-8 text"},
};

/* The error, one line, and the command line left as it was. */
static void check_error(const char *file, int line, const char *what)
{
  Opts o;
  opts_init(&o);
  Merge m = {0};
  const char *args[] = {"cudaup", "--cuda", "1", NULL};
  m.orig = g_strdupv((char **)args);
  m.argc = 3;
  m.argv = m.orig;
  g_autoptr(GError) error = NULL;
  g_assert_null(cli_answers_merge(file, o.entries, &m.argc, &m.argv, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_USAGE);
  g_test_message("%s", error->message);
  g_autofree char *start =
      line ? g_strdup_printf("%s:%d: %s", file, line, what) : g_strdup_printf("%s: %s", file, what);
  if (!g_str_has_prefix(error->message, start))
    g_error("got '%s', want it to start with '%s'", error->message, start);
  g_assert_null(strchr(error->message, '\n'));
  g_assert_cmpint(m.argc, ==, 3);
  g_assert_true(m.argv == m.orig);
  merge_clear(&m);
}

static void test_errors(void)
{
  g_autofree char *dir = cup_test_make_root();
  for (gsize i = 0; i < G_N_ELEMENTS(bad_files); i++) {
    const BadFile *b = &bad_files[i];
    g_autofree char *name = g_strdup_printf("bad%zu.ini", i);
    g_autofree char *file = write_file(dir, name, b->text, b->len);
    check_error(file, b->line, b->what);
  }
  g_autofree char *missing = g_build_filename(dir, "missing.ini", NULL);
  check_error(missing, 0, "no such answers file; check the path given to --answers");
  check_error(dir, 0, "cannot read the answers file (");
  cup_test_remove_tree(dir);
}

/* ---- the log of choices ---- */

static void test_describe(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *file = write_file(dir, "answers.ini",
                                     "[install]\n"
                                     "cuda = 12.1\n"
                                     "user = false\n"
                                     "mirror = https://a/;https://b/\n"
                                     "prefix = /file\n",
                                     -1);
  Opts o;
  opts_init(&o);
  Merge m = {0};
  const char *args[] = {"cudaup", "--answers", file, "--prefix", "/opt/cuda", "--secret=s", NULL};
  g_autoptr(GError) error = NULL;
  g_assert_nonnull(merge(&m, &o, file, args, &error));
  g_assert_no_error(error);
  parse(&o, &m);
  const char *defaults[] = {"cache", "the user cache", "cuda", "newest that fits", NULL};
  g_auto(GStrv) lines = cli_answers_describe(m.answers, o.entries, defaults);
  g_autofree char *cuda = g_strdup_printf("cuda = 12.1 (answers file %s:2)", file);
  g_autofree char *answers = g_strdup_printf("answers = %s (command line)", file);
  g_autofree char *mirror =
      g_strdup_printf("mirror = https://a/;https://b/ (answers file %s:4)", file);
  g_autofree char *user = g_strdup_printf("user = false (answers file %s:3)", file);
  const char *want[] = {cuda,
                        "prefix = /opt/cuda (command line)",
                        "cache = the user cache (default)",
                        answers,
                        mirror,
                        "extra-dir = not set (default)",
                        user,
                        "with-toolkit = false (default)",
                        "verbose = false (default)",
                        "quiet = false (default)",
                        "no-color = false (default)",
                        "jobs = 4 (default)",
                        "limit = 0 (default)",
                        "ratio = 0 (default)",
                        "secret = s (command line)",
                        NULL};
  assert_strv(lines, want);
  merge_clear(&m);
  opts_clear(&o);
  cup_test_remove_tree(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/answers/each-type", test_each_type);
  g_test_add_func("/answers/command-line-wins", test_command_line_wins);
  g_test_add_func("/answers/lists", test_lists);
  g_test_add_func("/answers/relative-paths", test_relative_paths);
  g_test_add_func("/answers/no-file", test_no_file);
  g_test_add_func("/answers/file-arg", test_file_arg);
  g_test_add_func("/answers/bom-crlf", test_bom_crlf);
  g_test_add_func("/answers/utf16", test_utf16);
  g_test_add_func("/answers/errors", test_errors);
  g_test_add_func("/answers/describe", test_describe);
  return g_test_run();
}
