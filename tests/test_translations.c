/* test_translations.c - po/ko.po translates every message of the modules that must be complete
 * in Korean (issue 7: every doctor and verify message), and only with format directives that
 * match (the proof's details in core/check*.c are what verify shows as evidence). The messages are
 * taken from the sources with xgettext, as `cudaup-pot` does, and compared with msgcmp, which
 * counts an untranslated or fuzzy entry as missing. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

/* The sources whose messages a Korean user must read in Korean, relative to the tree. */
static const char *const complete_sources[] = {"core/doctor.c",
                                               "core/doctor_gather.c",
                                               "core/doctor_rules.c",
                                               "core/doctor_rules_fw.c",
                                               "core/verify.c",
                                               "core/verify_env.c",
                                               "core/verify_python.c",
                                               "core/pyprobe.c",
                                               "cli/doctor_cmd.c",
                                               "cli/verify_cmd.c",
                                               NULL};

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

static void test_korean_complete(void)
{
  if (!have_tools())
    return;
  g_autofree char *src = source_dir();
  g_autofree char *tmp = cup_test_make_root();
  g_autofree char *pot = g_build_filename(tmp, "complete.pot", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  const char *head[] = {"xgettext",     "--from-code=UTF-8",         "--language=C", "--keyword=_",
                        "--keyword=N_", "--keyword=g_dngettext:2,3", "-o",           pot};
  for (gsize i = 0; i < G_N_ELEMENTS(head); i++)
    g_ptr_array_add(argv, (char *)head[i]);
  for (const char *const *f = complete_sources; *f; f++)
    g_ptr_array_add(argv, (char *)*f);
  g_ptr_array_add(argv, NULL);
  g_autofree char *out = NULL;
  g_assert_cmpint(run_in(src, (const char *const *)argv->pdata, &out), ==, 0);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(pot, &text, NULL, NULL));
  /* the sources do mark their messages: a few hundred, not none */
  guint n = 0;
  for (const char *p = text; (p = strstr(p, "\nmsgid ")) != NULL; p++)
    n++;
  g_test_message("%u messages to translate", n);
  g_assert_cmpuint(n, >, 100);
  /* every one of them translated in po/ko.po (msgcmp: untranslated and fuzzy count as absent) */
  g_autofree char *po = g_build_filename(src, "po", "ko.po", NULL);
  const char *cmp[] = {"msgcmp", po, pot, NULL};
  g_autofree char *said = NULL;
  int rc = run_in(src, cmp, &said);
  if (rc != 0) {
    /* msgcmp also lists every entry of the .po that these sources do not use: not news */
    g_auto(GStrv) lines = g_strsplit(said, "\n", -1);
    g_autoptr(GString) missing = g_string_new(NULL);
    for (char **l = lines; *l; l++)
      if (**l && strstr(*l, "this message is not used") == NULL)
        g_string_append_printf(missing, "%s\n", *l);
    g_error("po/ko.po lacks translations:\n%s", missing->str);
  }
  cup_test_remove_tree(tmp);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/translations/korean-complete", test_korean_complete);
  return g_test_run();
}
