/* test_packaging.c - packaging/: the desktop file passes desktop-file-validate, the AppStream
 * metainfo passes `appstreamcli validate --no-net`, both carry Korean text and name each other,
 * and the polkit policy of cudaup-helper (as configured by the build) asks for auth_admin_keep
 * with a Korean message and names the helper's installed path. A validator that is not
 * installed skips its test, saying which package brings it (packaging/deps-debian.sh). */
#include "tests/testutil.h"

#include <string.h>

#define DESKTOP CUP_TEST_PACKAGING "/io.github.cudaup.Wizard.desktop"
#define METAINFO CUP_TEST_PACKAGING "/io.github.cudaup.Wizard.metainfo.xml"

/* Runs @program with @args, or returns FALSE (skipping the test) when it is not installed. */
static gboolean validate(const char *program, const char *package, const char *const *args)
{
  g_autofree char *path = g_find_program_in_path(program);
  if (path == NULL) {
    g_autofree char *why = g_strdup_printf(
        "%s is not installed (apt-get install %s; packaging/deps-debian.sh)", program, package);
    g_printerr("SKIP: %s\n", why);
    g_test_skip(why);
    return FALSE;
  }
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, path);
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add(argv, (gpointer)*a);
  g_ptr_array_add(argv, NULL);
  g_auto(CupTestRun) run = cup_test_run((const char *const *)argv->pdata, NULL);
  if (run.status != 0)
    g_printerr("%s%s", run.out, run.err);
  g_assert_cmpint(run.status, ==, 0);
  return TRUE;
}

static void test_desktop_file(void)
{
  const char *args[] = {DESKTOP, NULL};
  if (!validate("desktop-file-validate", "desktop-file-utils", args))
    return;
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_assert_true(g_key_file_load_from_file(kf, DESKTOP, G_KEY_FILE_KEEP_TRANSLATIONS, NULL));
  const char *keys[] = {"Name", "Comment"};
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    g_autofree char *en = g_key_file_get_string(kf, "Desktop Entry", keys[i], NULL);
    g_autofree char *ko = g_key_file_get_locale_string(kf, "Desktop Entry", keys[i], "ko", NULL);
    g_assert_nonnull(ko);
    g_assert_cmpstr(ko, !=, en);
    g_assert_true(g_utf8_validate(ko, -1, NULL));
    /* Hangul syllables, U+AC00..U+D7A3: really Korean, not a copy of the English text. */
    gboolean hangul = FALSE;
    for (const char *p = ko; *p; p = g_utf8_next_char(p))
      hangul = hangul || (g_utf8_get_char(p) >= 0xAC00 && g_utf8_get_char(p) <= 0xD7A3);
    g_assert_true(hangul);
  }
  g_autofree char *exec = g_key_file_get_string(kf, "Desktop Entry", "Exec", NULL);
  g_assert_cmpstr(exec, ==, "cudaup-wizard");
}

static void test_metainfo(void)
{
  const char *args[] = {"validate", "--no-net", METAINFO, NULL};
  if (!validate("appstreamcli", "appstream", args))
    return;
  g_autofree char *xml = NULL;
  g_assert_true(g_file_get_contents(METAINFO, &xml, NULL, NULL));
  g_assert_nonnull(strstr(xml, "<id>io.github.cudaup.Wizard</id>"));
  g_assert_nonnull(
      strstr(xml, "<launchable type=\"desktop-id\">io.github.cudaup.Wizard.desktop</launchable>"));
  g_assert_nonnull(strstr(xml, "<name xml:lang=\"ko\">"));
  g_assert_nonnull(strstr(xml, "<summary xml:lang=\"ko\">"));
}

/* The policy as the build configured it: well-formed XML, one action, the helper's path. */
typedef struct {
  GString *text;
  GPtrArray *path; /* element names from the top */
  char *action, *allow_active, *exec_path;
  gboolean message_ko;
  const char *annotate_key;
} Policy;

static void on_start(GMarkupParseContext *ctx, const char *name, const char **names,
                     const char **values, gpointer data, GError **error)
{
  (void)ctx, (void)error;
  Policy *p = data;
  g_ptr_array_add(p->path, g_strdup(name));
  g_string_truncate(p->text, 0);
  p->annotate_key = NULL;
  for (gsize i = 0; names[i]; i++) {
    if (strcmp(name, "action") == 0 && strcmp(names[i], "id") == 0)
      p->action = g_strdup(values[i]);
    if (strcmp(name, "message") == 0 && strcmp(names[i], "xml:lang") == 0 &&
        strcmp(values[i], "ko") == 0)
      p->message_ko = TRUE;
    if (strcmp(name, "annotate") == 0 && strcmp(names[i], "key") == 0 &&
        strcmp(values[i], "org.freedesktop.policykit.exec.path") == 0)
      p->annotate_key = values[i];
  }
  if (p->annotate_key)
    p->exec_path = g_strdup(""); /* filled by on_end */
}

static void on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
                    GError **error)
{
  (void)ctx, (void)error;
  g_string_append_len(((Policy *)data)->text, text, (gssize)len);
}

static void on_end(GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
  (void)ctx, (void)error;
  Policy *p = data;
  if (strcmp(name, "allow_active") == 0)
    p->allow_active = g_strdup(g_strstrip(p->text->str));
  if (strcmp(name, "annotate") == 0 && p->exec_path && *p->exec_path == '\0') {
    g_free(p->exec_path);
    p->exec_path = g_strdup(g_strstrip(p->text->str));
  }
  g_ptr_array_remove_index(p->path, p->path->len - 1);
}

static void test_polkit_policy(void)
{
  g_autofree char *xml = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(CUP_TEST_POLICY, &xml, &len, NULL));
  /* GMarkup reads no DOCTYPE: parse from the root element on. */
  const char *start = strstr(xml, "<policyconfig>");
  g_assert_nonnull(start);
  Policy p = {.text = g_string_new(NULL), .path = g_ptr_array_new_with_free_func(g_free)};
  GMarkupParser parser = {.start_element = on_start, .end_element = on_end, .text = on_text};
  g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new(&parser, 0, &p, NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(g_markup_parse_context_parse(ctx, start, -1, &error) &&
                g_markup_parse_context_end_parse(ctx, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(p.action, ==, "io.github.cudaup.helper");
  g_assert_cmpstr(p.allow_active, ==, "auth_admin_keep");
  g_assert_true(p.message_ko);
  g_assert_cmpstr(p.exec_path, ==, CUP_TEST_HELPER_INSTALLED);
  g_assert_null(strchr(xml, '@')); /* every placeholder was replaced */
  g_string_free(p.text, TRUE);
  g_ptr_array_unref(p.path);
  g_free(p.action), g_free(p.allow_active), g_free(p.exec_path);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/packaging/desktop-file", test_desktop_file);
  g_test_add_func("/packaging/metainfo", test_metainfo);
  g_test_add_func("/packaging/polkit-policy", test_polkit_policy);
  return g_test_run();
}
