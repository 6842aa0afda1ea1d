/* test_wizard_window.c - the wizard's window in a real display: started against the fixture
 * roots (a laptop with an RTX 3070 Ti Laptop GPU and no driver; a machine without an NVIDIA
 * GPU), walked through pages 1 to 4 by activating its buttons in-process, and what each page
 * shows asserted. Needs a display: CI runs it under `xvfb-run -a dbus-run-session`; without
 * one it is skipped with the reason printed. */
#include "wizard/window.h"

#include "core/i18n.h"
#include "tests/testutil.h"
#include "tests/wizard_fixtures.h"
#include "tests/wizard_shot.h"

#include <glib/gstdio.h>

#include <string.h>

static gboolean have_display;
static char *home;

static void spin(void)
{
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

static GtkWidget *child(CupWizardWindow *win, const char *id)
{
  GObject *o = gtk_widget_get_template_child(GTK_WIDGET(win), CUP_TYPE_WIZARD_WINDOW, id);
  g_assert_nonnull(o);
  return GTK_WIDGET(o);
}

/* Every label's text under @w, one per line: what a reader of the page sees. */
static void collect(GtkWidget *w, GString *out)
{
  if (GTK_IS_LABEL(w) && gtk_widget_get_visible(w))
    g_string_append_printf(out, "%s\n", gtk_label_get_text(GTK_LABEL(w)));
  for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
    collect(c, out);
}

static char *page_text(CupWizardWindow *win)
{
  GtkStack *stack = GTK_STACK(child(win, "stack"));
  GString *out = g_string_new(NULL);
  collect(gtk_stack_get_visible_child(stack), out);
  return g_string_free(out, FALSE);
}

static void assert_shows(CupWizardWindow *win, const char *needle)
{
  g_autofree char *text = page_text(win);
  if (strstr(text, needle) == NULL)
    g_error("page %s does not show \"%s\"; it shows:\n%s", cup_wizard_window_page(win), needle,
            text);
}

static void mark_done(gboolean *done)
{
  *done = TRUE;
}

static void click(CupWizardWindow *win, const char *button)
{
  GtkWidget *b = child(win, button);
  g_autoptr(GObject) hold = g_object_ref(G_OBJECT(b)); /* Cancel destroys the window */
  g_assert_true(gtk_widget_get_sensitive(b));
  /* A GtkButton's activation shows the press for a moment (250 ms), then emits "clicked". */
  gulong clicked = 0;
  gboolean done = FALSE;
  clicked = g_signal_connect_swapped(b, "clicked", G_CALLBACK(mark_done), &done);
  gtk_widget_activate(b);
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_true(done);
  if (g_signal_handler_is_connected(b, clicked))
    g_signal_handler_disconnect(b, clicked);
  spin();
}

static CupWizardWindow *open_window(const char *root)
{
  CupWizardConfig config = {.root = (char *)root, .catalog = (char *)CUP_TEST_MANIFESTS};
  CupWizardWindow *win = cup_wizard_window_new(NULL, &config);
  gtk_window_present(GTK_WINDOW(win));
  wz_test_wait_ready(win);
  spin();
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "welcome");
  g_assert_false(gtk_widget_get_sensitive(child(win, "back_button")));
  assert_shows(win, "Language");
  return win;
}

static const char *selected_version(CupWizardWindow *win)
{
  GObject *item = gtk_drop_down_get_selected_item(GTK_DROP_DOWN(child(win, "version_dropdown")));
  g_assert_nonnull(item);
  return gtk_string_object_get_string(GTK_STRING_OBJECT(item));
}

static void test_laptop(void)
{
  if (!have_display) {
    g_test_skip("no display (run under xvfb-run -a)");
    return;
  }
  g_autofree char *root = wz_fixture_root(TRUE);
  CupWizardWindow *win = open_window(root);

  click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "computer");
  assert_shows(win, "3070 Ti");
  assert_shows(win, "compute capability 8.6");
  assert_shows(win, "No NVIDIA driver is installed");
  assert_shows(win, "No CUDA Toolkit is installed yet");

  click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "choose");
  g_assert_true(gtk_check_button_get_active(GTK_CHECK_BUTTON(child(win, "pytorch_check"))));
  g_autofree char *torch = g_strdup(selected_version(win));
  g_autofree char *fits = g_strdup_printf("%s is the newest version that fits", torch);
  assert_shows(win, fits);

  click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "plan");
  assert_shows(win, "Plan for NVIDIA");
  assert_shows(win, "NVIDIA driver");
  assert_shows(win, "PyTorch");
  g_autofree char *pip = g_strdup_printf("pip install torch==%s", torch);
  assert_shows(win, pip);
  assert_shows(win, "Installing the NVIDIA driver needs administrator rights");
  g_assert_true(gtk_widget_get_sensitive(child(win, "next_button")));

  /* Back to the choices: CUDA development plans the toolkit and its downloads. */
  click(win, "back_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "choose");
  gtk_check_button_set_active(GTK_CHECK_BUTTON(child(win, "cuda_check")), TRUE);
  spin();
  g_autofree char *cuda = g_strdup(selected_version(win));
  click(win, "next_button");
  assert_shows(win, "CUDA Toolkit");
  assert_shows(win, "Total download:");
  assert_shows(win, "of free disk space");
  g_autofree char *text = page_text(win);
  g_assert_null(strstr(text, "PyTorch"));
  g_assert_nonnull(strstr(text, cuda));

  g_autoptr(GObject) keep = g_object_ref(G_OBJECT(win));
  click(win, "cancel_button");
  g_assert_false(gtk_widget_get_visible(GTK_WIDGET(win))); /* destroyed: closed */
  cup_test_remove_tree(root);
}

static GtkWidget *find_named(GtkWidget *w, const char *name)
{
  if (g_strcmp0(gtk_widget_get_name(w), name) == 0)
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
    GtkWidget *found = find_named(c, name);
    if (found)
      return found;
  }
  return NULL;
}

/* The toplevel whose title is @title, other than @not, or NULL. */
static GtkWindow *find_toplevel(const char *title, GtkWindow * not )
{
  GListModel *tops = gtk_window_get_toplevels(); /* not ours */
  for (guint i = 0; i < g_list_model_get_n_items(tops); i++) {
    g_autoptr(GtkWindow) w = g_list_model_get_item(tops, i);
    if (w != not &&g_strcmp0(gtk_window_get_title(w), title) == 0)
      return w;
  }
  return NULL;
}

/* "Save answers…" on the plan page: the choices shown, as an answers file; the button opens a
 * save dialog. */
static void test_save_answers(void)
{
  if (!have_display) {
    g_test_skip("no display (run under xvfb-run -a)");
    return;
  }
  g_autofree char *root = wz_fixture_root(TRUE);
  CupWizardWindow *win = open_window(root);
  for (int i = 0; i < 3; i++)
    click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "plan");
  GtkWidget *button = find_named(GTK_WIDGET(win), "save_answers_button");
  g_assert_nonnull(button);
  g_assert_true(gtk_widget_get_mapped(button));

  g_autofree char *file = g_build_filename(home, "lab-answers.ini", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_wizard_window_save_answers(win, file, &error));
  g_assert_no_error(error);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_assert_true(g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, NULL));
  g_autofree char *framework = g_key_file_get_value(kf, "install", "framework", NULL);
  g_assert_true(g_str_has_prefix(framework, "pytorch=="));
  g_autofree char *scope = g_key_file_get_value(kf, "install", "env-scope", NULL);
  g_assert_nonnull(scope);

  gtk_widget_activate(button);
  GtkWindow *dialog = NULL;
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (dialog == NULL && g_get_monotonic_time() < deadline) {
    g_main_context_iteration(NULL, FALSE);
    dialog = find_toplevel("Save answers", GTK_WINDOW(win));
  }
  g_assert_nonnull(dialog);
  gtk_window_close(dialog);
  spin();
  gtk_window_destroy(GTK_WINDOW(win));
  spin();
  cup_test_remove_tree(root);
}

/* A driver whose nvidia-smi hangs (here: answers nothing for 3 s) does not hold the window
 * back: Welcome shows at once, "Your computer" says it is looking and its Next waits, then the
 * GPU appears (from the PCI bus) with a warning naming nvidia-smi. */
static void test_slow_detection(void)
{
  if (!have_display) {
    g_test_skip("no display (run under xvfb-run -a)");
    return;
  }
  g_autofree char *root = wz_fixture_root(TRUE);
  cup_test_write(root, "usr/bin/nvidia-smi", "#!/bin/sh\nsleep 3\nexit 9\n");
  g_autofree char *smi = g_build_filename(root, "usr", "bin", "nvidia-smi", NULL);
  g_assert_cmpint(g_chmod(smi, 0755), ==, 0);
  CupWizardConfig config = {.root = root, .catalog = (char *)CUP_TEST_MANIFESTS};
  gint64 start = g_get_monotonic_time();
  CupWizardWindow *win = cup_wizard_window_new(NULL, &config);
  gtk_window_present(GTK_WINDOW(win));
  spin();
  g_assert_false(cup_wizard_window_is_ready(win));
  g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
  click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "computer");
  assert_shows(win, "Looking at your computer");
  g_assert_false(gtk_widget_get_sensitive(child(win, "next_button")));
  wz_test_wait_ready(win);
  g_assert_cmpint(g_get_monotonic_time() - start, >=, 3 * G_USEC_PER_SEC);
  assert_shows(win, "3070 Ti");
  assert_shows(win, "nvidia-smi");
  g_assert_true(gtk_widget_get_sensitive(child(win, "next_button")));
  gtk_window_destroy(GTK_WINDOW(win));
  spin();
  cup_test_remove_tree(root);
}

/* Closed while detection runs: its late result is dropped without touching the window. */
static void test_close_while_detecting(void)
{
  if (!have_display) {
    g_test_skip("no display (run under xvfb-run -a)");
    return;
  }
  g_autofree char *root = wz_fixture_root(TRUE);
  cup_test_write(root, "usr/bin/nvidia-smi", "#!/bin/sh\nsleep 1\nexit 9\n");
  g_autofree char *smi = g_build_filename(root, "usr", "bin", "nvidia-smi", NULL);
  g_assert_cmpint(g_chmod(smi, 0755), ==, 0);
  CupWizardConfig config = {.root = root, .catalog = (char *)CUP_TEST_MANIFESTS};
  CupWizardWindow *win = cup_wizard_window_new(NULL, &config);
  g_autoptr(GObject) keep = g_object_ref(G_OBJECT(win));
  gtk_window_present(GTK_WINDOW(win));
  spin();
  gtk_window_destroy(GTK_WINDOW(win));
  gint64 deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, FALSE), g_usleep(10000);
  g_assert_false(cup_wizard_window_is_ready(win)); /* dropped: G_DEBUG=fatal-criticals */
  cup_test_remove_tree(root);
}

static void test_no_gpu(void)
{
  if (!have_display) {
    g_test_skip("no display (run under xvfb-run -a)");
    return;
  }
  g_autofree char *root = wz_fixture_root(FALSE);
  CupWizardWindow *win = open_window(root);
  click(win, "next_button");
  assert_shows(win, "No NVIDIA graphics card was found");
  click(win, "next_button");
  assert_shows(win, "None of these versions fits this computer");
  click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "plan");
  assert_shows(win, "No plan fits this computer");
  assert_shows(win, "no NVIDIA GPU was found");
  g_assert_false(gtk_widget_get_sensitive(child(win, "next_button")));
  gtk_window_destroy(GTK_WINDOW(win));
  spin();
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  /* English, whatever the machine's locale: the assertions read English text. */
  g_setenv("LANGUAGE", "en", TRUE);
  cup_i18n_init();
  home = g_dir_make_tmp("cup-wizard-home-XXXXXX", NULL);
  wz_fixture_environment(home);
  /* Without a session bus (no dbus-run-session) the accessibility bridge has nothing to talk
   * to; the in-process walk does not need it. */
  if (g_getenv("DBUS_SESSION_BUS_ADDRESS") == NULL)
    g_setenv("GTK_A11Y", "none", TRUE);
  have_display = gtk_init_check();
  if (!have_display)
    g_printerr("test_wizard_window: no display could be opened (DISPLAY=%s, WAYLAND_DISPLAY=%s); "
               "the window tests are skipped: run them under `xvfb-run -a`\n",
               g_getenv("DISPLAY") ? g_getenv("DISPLAY") : "unset",
               g_getenv("WAYLAND_DISPLAY") ? g_getenv("WAYLAND_DISPLAY") : "unset");
  g_test_add_func("/wizard/window/laptop-without-driver", test_laptop);
  g_test_add_func("/wizard/window/no-nvidia-gpu", test_no_gpu);
  g_test_add_func("/wizard/window/save-answers", test_save_answers);
  g_test_add_func("/wizard/window/slow-detection", test_slow_detection);
  g_test_add_func("/wizard/window/close-while-detecting", test_close_while_detecting);
  int rc = g_test_run();
  cup_test_remove_tree(home);
  g_free(home);
  return rc;
}
