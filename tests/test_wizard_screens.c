/* test_wizard_screens.c - a screenshot of every page of the wizard at 800x600, in English and in
 * Korean, on the laptop (RTX 3070 Ti Laptop, no driver) and no-GPU fixture roots, written under
 * the build directory (tests/screens/<lang>/<fixture>-<NN>-<page>.png; the path is printed).
 * Each page fails the test when it renders blank or when a label overflows the window
 * (tests/wizard_shot.h). The pages are the GtkStack's children, named by their stack names:
 * those Next reaches are reached by Next; those only an install reaches (WZ_SHOT_INSTALL_PAGES:
 * install, done and its error form) are rendered and checked by test_wizard_install, and this
 * test says so for each; a page in neither fails it.
 * Two more cases prove the checks can fail. Needs a display (xvfb-run -a dbus-run-session). */
#include "wizard/window.h"

#include "core/i18n.h"
#include "tests/testutil.h"
#include "tests/wizard_fixtures.h"
#include "tests/wizard_shot.h"
#include "tests/wizard_walk.h"

#include <locale.h>
#include <string.h>

#define WIN_W 800
#define WIN_H 600

static gboolean have_display;
static char *home;
static char *screens_dir;

static CupWizardWindow *open_window(const char *root)
{
  CupWizardConfig config = {.root = (char *)root, .catalog = (char *)CUP_TEST_MANIFESTS};
  CupWizardWindow *win = cup_wizard_window_new(NULL, &config);
  gtk_window_present(GTK_WINDOW(win));
  wzt_wait_ready(win);
  wz_shot_settle(GTK_WIDGET(win));
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "welcome");
  return win;
}

/* Korean the way a user gets it: the Welcome page's language switch, which rebuilds the
 * window. Returns the new window; @old is gone. */
static CupWizardWindow *switch_to_korean(CupWizardWindow *old)
{
  GListModel *toplevels = gtk_window_get_toplevels();
  gtk_drop_down_set_selected(GTK_DROP_DOWN(wzt_child(old, "language_dropdown")), 1);
  wzt_spin();
  CupWizardWindow *fresh = NULL;
  for (guint i = 0; i < g_list_model_get_n_items(toplevels); i++) {
    g_autoptr(GObject) w = g_list_model_get_item(toplevels, i);
    if (CUP_IS_WIZARD_WINDOW(w) && (gpointer)w != (gpointer)old &&
        gtk_widget_get_visible(GTK_WIDGET(w)))
      fresh = CUP_WIZARD_WINDOW(w);
  }
  g_assert_nonnull(fresh);
  g_assert_cmpstr(g_getenv("LANGUAGE"), ==, "ko");
  g_assert_cmpuint(gtk_drop_down_get_selected(GTK_DROP_DOWN(wzt_child(fresh, "language_dropdown"))),
                   ==, 1);
  wzt_wait_ready(fresh);
  wz_shot_settle(GTK_WIDGET(fresh));
  return fresh;
}

/* Write the page shown to @dir/<fixture>-<NN>-<page>.png; fail when it is blank or overflows. */
static void shoot(CupWizardWindow *win, const char *dir, const char *fixture, int n)
{
  g_autofree char *base =
      g_strdup_printf("%s-%02d-%s.png", fixture, n, cup_wizard_window_page(win));
  g_autofree char *why =
      wz_shot_page(GTK_WIDGET(win), GTK_STACK(wzt_child(win, "stack")), dir, base, WIN_W, WIN_H);
  g_test_message("%s: %s", base, why);
}

static gboolean only_by_installing(const char *page)
{
  return g_strv_contains((const char *const *)WZ_SHOT_INSTALL_PAGES, page);
}

/* Every page of the stack: Next while it is sensitive, up to the plan (Next there starts the
 * install); every other page must be one test_wizard_install covers. */
static void shoot_every_page(CupWizardWindow *win, const char *lang, const char *fixture)
{
  g_autofree char *dir = g_build_filename(screens_dir, lang, NULL);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  GtkStack *stack = GTK_STACK(wzt_child(win, "stack"));
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  int n = 1;
  for (;;) {
    const char *page = cup_wizard_window_page(win);
    g_assert_false(g_hash_table_contains(seen, page));
    shoot(win, dir, fixture, n++);
    g_hash_table_add(seen, g_strdup(page));
    if (strcmp(page, "plan") == 0 || !gtk_widget_get_sensitive(wzt_child(win, "next_button")))
      break;
    wzt_click(win, "next_button");
  }
  g_autofree char *last = g_strdup(cup_wizard_window_page(win));
  g_autoptr(GtkSelectionModel) pages = gtk_stack_get_pages(stack);
  for (const char *const *p = WZ_SHOT_INSTALL_PAGES; *p; p++)
    g_assert_nonnull(gtk_stack_get_child_by_name(stack, *p)); /* the list is not stale */
  for (guint i = 0; i < g_list_model_get_n_items(G_LIST_MODEL(pages)); i++) {
    g_autoptr(GObject) sp = g_list_model_get_item(G_LIST_MODEL(pages), i);
    const char *name = gtk_stack_page_get_name(GTK_STACK_PAGE(sp));
    g_assert_nonnull(name);
    if (g_hash_table_contains(seen, name))
      continue;
    if (!only_by_installing(name))
      g_error("%s/%s: page %s is not reached by Next from %s and not in WZ_SHOT_INSTALL_PAGES "
              "(tests/wizard_shot.h): no test renders it",
              lang, fixture, name, last);
    /* Shown without an install it would be empty: the install test shows it for real. */
    g_test_message("%s/%s: page %s is reached only by installing: rendered and checked by "
                   "test_wizard_install",
                   lang, fixture, name);
    g_hash_table_add(seen, g_strdup(name));
  }
  g_assert_cmpuint(g_hash_table_size(seen), ==, g_list_model_get_n_items(G_LIST_MODEL(pages)));
  g_print("# screenshots of %s, %s: %s\n", fixture, lang, dir);
}

typedef struct {
  const char *lang; /* "en", "ko" */
  gboolean nvidia;  /* the laptop fixture; else no NVIDIA GPU */
} Case;

static void test_screens(gconstpointer data)
{
  const Case *c = data;
  if (!have_display) {
    g_test_skip("no display (run under xvfb-run -a dbus-run-session)");
    return;
  }
  g_autofree char *saved_locale = g_strdup(setlocale(LC_ALL, NULL));
  g_autofree char *root = wz_fixture_root(c->nvidia);
  CupWizardWindow *win = open_window(root);
  if (strcmp(c->lang, "ko") == 0)
    win = switch_to_korean(win);
  shoot_every_page(win, c->lang, c->nvidia ? "laptop" : "no-gpu");
  gtk_window_destroy(GTK_WINDOW(win));
  wzt_spin();
  g_setenv("LANGUAGE", "en", TRUE);
  setlocale(LC_ALL, saved_locale);
  cup_test_remove_tree(root);
}

/* The checks can fail: a long unwrapped label on the Welcome page overflows; an empty page is
 * blank, while the Welcome page is not; a character no font draws is reported. */
static void test_checks_fail(void)
{
  if (!have_display) {
    g_test_skip("no display (run under xvfb-run -a dbus-run-session)");
    return;
  }
  g_autofree char *root = wz_fixture_root(TRUE);
  CupWizardWindow *win = open_window(root);
  GtkWidget *w = GTK_WIDGET(win);
  GtkStack *stack = GTK_STACK(wzt_child(win, "stack"));
  g_autoptr(GString) report = g_string_new(NULL);
  g_assert_true(wz_shot_overflow(w, WIN_W, WIN_H, report));

  g_autoptr(GdkTexture) welcome = wz_shot_render(gtk_stack_get_visible_child(stack));
  g_assert_false(wz_shot_is_blank(welcome, NULL));

  gtk_stack_add_named(stack, gtk_box_new(GTK_ORIENTATION_VERTICAL, 0), "blank-proof");
  gtk_stack_set_visible_child_name(stack, "blank-proof");
  wz_shot_settle(w);
  g_autoptr(GdkTexture) blank = wz_shot_render(gtk_stack_get_visible_child(stack));
  g_autofree char *why = NULL;
  g_assert_true(wz_shot_is_blank(blank, &why));
  g_test_message("an empty page: %s", why);

  GtkWidget *long_label = gtk_label_new(NULL);
  g_autoptr(GString) text = g_string_new("Overflowing");
  for (int i = 0; i < 40; i++)
    g_string_append(text, " and still on one line");
  gtk_label_set_text(GTK_LABEL(long_label), text->str);
  gtk_box_append(GTK_BOX(gtk_stack_get_child_by_name(stack, "welcome")), long_label);
  gtk_stack_set_visible_child_name(stack, "welcome");
  wz_shot_settle(w);
  g_assert_false(wz_shot_overflow(w, WIN_W, WIN_H, report));
  g_test_message("the checker reports:\n%s", report->str);
  g_assert_nonnull(strstr(report->str, "label \"Overflowing and still"));

  gtk_window_destroy(GTK_WINDOW(win));
  wzt_spin();

  /* A character no font has (U+10FFFD, private use) is drawn as a box: reported, alone. */
  win = open_window(root);
  w = GTK_WIDGET(win);
  gtk_label_set_text(GTK_LABEL(wzt_child(win, "fit_label")), "\xf4\x8f\xbf\xbd");
  gtk_stack_set_visible_child_name(GTK_STACK(wzt_child(win, "stack")), "choose");
  wz_shot_settle(w);
  g_string_truncate(report, 0);
  g_assert_false(wz_shot_overflow(w, WIN_W, WIN_H, report));
  g_test_message("the checker reports:\n%s", report->str);
  g_assert_cmpstr(strchr(report->str, '\n') + 1, ==, "");
  g_assert_nonnull(strstr(report->str, "1 characters no installed font can draw"));
  gtk_window_destroy(GTK_WINDOW(win));
  wzt_spin();
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  /* The screenshots stay in the build directory for a reader (and CI's artifacts). */
  g_autofree char *built = g_test_build_filename(G_TEST_BUILT, "screens", NULL);
  screens_dir = g_canonicalize_filename(built, NULL);
  have_display = wzt_setup("test_wizard_screens", &home);
  if (have_display)
    g_print("# screenshots are written under %s\n", screens_dir);
  static const Case cases[] = {{"en", TRUE}, {"en", FALSE}, {"ko", TRUE}, {"ko", FALSE}};
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *path = g_strdup_printf("/wizard/screens/%s/%s", cases[i].lang,
                                            cases[i].nvidia ? "laptop" : "no-gpu");
    g_test_add_data_func(path, &cases[i], test_screens);
  }
  g_test_add_func("/wizard/screens/checks-can-fail", test_checks_fail);
  int rc = g_test_run();
  cup_test_remove_tree(home);
  g_free(home);
  g_free(screens_dir);
  return rc;
}
