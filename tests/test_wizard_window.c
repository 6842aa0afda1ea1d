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
#include "tests/wizard_walk.h"

#include <glib/gstdio.h>

#include <string.h>

static gboolean have_display;
static char *home;

static CupWizardWindow *open_window(const char *root)
{
  CupWizardConfig config = {.root = (char *)root, .catalog = (char *)CUP_TEST_MANIFESTS};
  CupWizardWindow *win = cup_wizard_window_new(NULL, &config);
  gtk_window_present(GTK_WINDOW(win));
  wzt_wait_ready(win);
  wzt_spin();
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "welcome");
  g_assert_false(gtk_widget_get_sensitive(wzt_child(win, "back_button")));
  wzt_assert_shows(win, "Language");
  return win;
}

static const char *selected_version(CupWizardWindow *win)
{
  GObject *item =
      gtk_drop_down_get_selected_item(GTK_DROP_DOWN(wzt_child(win, "version_dropdown")));
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

  wzt_click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "computer");
  wzt_assert_shows(win, "3070 Ti");
  wzt_assert_shows(win, "compute capability 8.6");
  wzt_assert_shows(win, "No NVIDIA driver is installed");
  wzt_assert_shows(win, "No CUDA Toolkit is installed yet");

  wzt_click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "choose");
  g_assert_true(gtk_check_button_get_active(GTK_CHECK_BUTTON(wzt_child(win, "pytorch_check"))));
  g_autofree char *torch = g_strdup(selected_version(win));
  g_autofree char *fits = g_strdup_printf("%s is the newest version that fits", torch);
  wzt_assert_shows(win, fits);

  wzt_click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "plan");
  wzt_assert_shows(win, "Plan for NVIDIA");
  wzt_assert_shows(win, "NVIDIA driver");
  wzt_assert_shows(win, "PyTorch");
  g_autofree char *pip = g_strdup_printf("pip install torch==%s", torch);
  wzt_assert_shows(win, pip);
  wzt_assert_shows(win, "Installing the NVIDIA driver needs administrator rights");
  g_assert_true(gtk_widget_get_sensitive(wzt_child(win, "next_button")));

  /* Back to the choices: CUDA development plans the toolkit and its downloads. */
  wzt_click(win, "back_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "choose");
  gtk_check_button_set_active(GTK_CHECK_BUTTON(wzt_child(win, "cuda_check")), TRUE);
  wzt_spin();
  g_autofree char *cuda = g_strdup(selected_version(win));
  wzt_click(win, "next_button");
  wzt_assert_shows(win, "CUDA Toolkit");
  wzt_assert_shows(win, "Total download:");
  wzt_assert_shows(win, "of free disk space");
  g_autofree char *text = wzt_page_text(win);
  g_assert_null(strstr(text, "PyTorch"));
  g_assert_nonnull(strstr(text, cuda));

  g_autoptr(GObject) keep = g_object_ref(G_OBJECT(win));
  wzt_click(win, "cancel_button");
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
    wzt_click(win, "next_button");
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
  wzt_spin();
  gtk_window_destroy(GTK_WINDOW(win));
  wzt_spin();
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
  wzt_spin();
  g_assert_false(cup_wizard_window_is_ready(win));
  g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
  wzt_click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "computer");
  wzt_assert_shows(win, "Looking at your computer");
  g_assert_false(gtk_widget_get_sensitive(wzt_child(win, "next_button")));
  wzt_wait_ready(win);
  g_assert_cmpint(g_get_monotonic_time() - start, >=, 3 * G_USEC_PER_SEC);
  wzt_assert_shows(win, "3070 Ti");
  wzt_assert_shows(win, "nvidia-smi");
  g_assert_true(gtk_widget_get_sensitive(wzt_child(win, "next_button")));
  gtk_window_destroy(GTK_WINDOW(win));
  wzt_spin();
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
  wzt_spin();
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
  wzt_click(win, "next_button");
  wzt_assert_shows(win, "No NVIDIA graphics card was found");
  wzt_click(win, "next_button");
  wzt_assert_shows(win, "None of these versions fits this computer");
  wzt_click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "plan");
  wzt_assert_shows(win, "No plan fits this computer");
  wzt_assert_shows(win, "no NVIDIA GPU was found");
  g_assert_false(gtk_widget_get_sensitive(wzt_child(win, "next_button")));
  gtk_window_destroy(GTK_WINDOW(win));
  wzt_spin();
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  have_display = wzt_setup("test_wizard_window", &home);
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
