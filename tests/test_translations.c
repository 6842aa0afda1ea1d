/* test_translations.c - po/ko.po translates every message of the command line (cli/, the helper),
 * of core (errors are shown verbatim, doctor and verify explain themselves), of the Linux
 * platform code and of the wizard, with format directives that match. The messages are taken
 * from the sources with xgettext, as `cudaup-pot` does, and compared with msgcmp, which counts
 * an untranslated or fuzzy entry as missing. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

/* The sources whose messages a Korean user must read in Korean: patterns relative to the tree. */
static const char *const complete_sources[] = {"cli/*.c", "cli/helper/*.c", "core/*.c",
                                               "platform/linux/*.c", NULL};

/* The wizard's messages (its C sources and GtkBuilder files): po/ko.po translates them all, so
 * a wizard message added without its Korean fails the test (WIZARD_COMPLETE FALSE would only
 * list what is missing and report the check as incomplete). */
static const char *const wizard_sources[] = {"wizard/*.c", "wizard/ui/*.ui", NULL};
#define WIZARD_COMPLETE TRUE

static char *source_dir(void)
{
  return g_canonicalize_filename(CUP_TEST_FIXTURES "/../..", NULL);
}

/* Run @argv in @dir; returns the exit status, with the output in *@out. */
static int run_in(const char *dir, const char *const *argv, char **out)
{
  g_autoptr(GError) error = NULL;
  int status = -1;
  g_autofree char *err = NULL;
  g_assert_true(g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, &err,
                             &status, &error));
  g_assert_no_error(error);
  char *joined = g_strconcat(*out ? *out : "", err ? err : "", NULL);
  g_free(*out);
  *out = joined;
  return g_spawn_check_wait_status(status, NULL) ? 0 : 1;
}

static gboolean have_tools(void)
{
  g_autofree char *xgettext = g_find_program_in_path("xgettext");
  g_autofree char *msgcmp = g_find_program_in_path("msgcmp");
  if (xgettext != NULL && msgcmp != NULL)
    return TRUE;
  g_test_skip("xgettext or msgcmp is missing (Debian package gettext)");
  return FALSE;
}

/* The files under @src that @patterns (a folder and a glob) name, relative to @src, sorted. */
static GPtrArray *expand(const char *src, const char *const *patterns)
{
  GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
  for (const char *const *p = patterns; *p; p++) {
    g_autofree char *dir = g_path_get_dirname(*p);
    g_autofree char *glob = g_path_get_basename(*p);
    g_autofree char *abs = g_build_filename(src, dir, NULL);
    g_autoptr(GDir) d = g_dir_open(abs, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d)) != NULL)
      if (g_pattern_match_simple(glob, name))
        g_ptr_array_add(files, g_build_filename(dir, name, NULL));
  }
  g_ptr_array_sort(files, cup_test_compare_strings);
  return files;
}

/* xgettext over @files into @pot (C for *.c, Glade for *.ui, as cudaup-pot runs it); returns
 * how many messages it found. */
static guint extract(const char *src, const GPtrArray *files, const char *pot)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  const char *head[] = {"xgettext",
                        "--from-code=UTF-8",
                        "--keyword=_",
                        "--keyword=N_",
                        "--keyword=C_:1c,2",
                        "--keyword=NC_:1c,2",
                        "--keyword=g_dngettext:2,3",
                        "-o",
                        pot};
  for (gsize i = 0; i < G_N_ELEMENTS(head); i++)
    g_ptr_array_add(argv, (char *)head[i]);
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add(argv, g_ptr_array_index(files, i));
  g_ptr_array_add(argv, NULL);
  g_autofree char *out = NULL;
  g_assert_cmpint(run_in(src, (const char *const *)argv->pdata, &out), ==, 0);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(pot, &text, NULL, NULL));
  guint n = 0;
  for (const char *p = text; (p = strstr(p, "\nmsgid ")) != NULL; p++)
    n++;
  return n;
}

/* The entries of @pot that po/ko.po lacks (untranslated or fuzzy), one msgcmp line each; ""
 * when none. */
static char *missing_in_korean(const char *src, const char *pot)
{
  g_autofree char *po = g_build_filename(src, "po", "ko.po", NULL);
  const char *cmp[] = {"msgcmp", po, pot, NULL};
  g_autofree char *said = NULL;
  GString *missing = g_string_new(NULL);
  if (run_in(src, cmp, &said) == 0)
    return g_string_free(missing, FALSE);
  /* msgcmp also lists every entry of the .po that these sources do not use: not news */
  g_auto(GStrv) lines = g_strsplit(said, "\n", -1);
  for (char **l = lines; *l; l++)
    if (**l && strstr(*l, "this message is not used") == NULL)
      g_string_append_printf(missing, "%s\n", *l);
  return g_string_free(missing, FALSE);
}

static void test_korean_complete(void)
{
  if (!have_tools())
    return;
  g_autofree char *src = source_dir();
  g_autofree char *tmp = cup_test_make_root();
  g_autofree char *pot = g_build_filename(tmp, "complete.pot", NULL);
  g_autoptr(GPtrArray) files = expand(src, complete_sources);
  guint n = extract(src, files, pot);
  g_test_message("%u messages to translate in %u files", n, files->len);
  /* the sources do mark their messages: many hundreds, not none */
  g_assert_cmpuint(n, >, 500);
  g_autofree char *missing = missing_in_korean(src, pot);
  if (*missing)
    g_error("po/ko.po lacks translations:\n%s", missing);
  cup_test_remove_tree(tmp);
}

static void test_korean_wizard(void)
{
  if (!have_tools())
    return;
  g_autofree char *src = source_dir();
  g_autoptr(GPtrArray) files = expand(src, wizard_sources);
  if (files->len == 0) {
    g_test_skip("no wizard sources in this tree");
    return;
  }
  g_autofree char *tmp = cup_test_make_root();
  g_autofree char *pot = g_build_filename(tmp, "wizard.pot", NULL);
  guint n = extract(src, files, pot);
  g_test_message("%u wizard messages to translate in %u files", n, files->len);
  g_assert_cmpuint(n, >, 0);
  g_autofree char *missing = missing_in_korean(src, pot);
  cup_test_remove_tree(tmp);
  if (*missing == '\0')
    return;
  if (WIZARD_COMPLETE)
    g_error("po/ko.po lacks wizard translations:\n%s", missing);
  g_test_message("po/ko.po lacks wizard translations:\n%s", missing);
  g_test_incomplete("the wizard's messages are not all translated yet (WIZARD_COMPLETE)");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/translations/korean-complete", test_korean_complete);
  g_test_add_func("/translations/korean-wizard", test_korean_wizard);
  return g_test_run();
}
