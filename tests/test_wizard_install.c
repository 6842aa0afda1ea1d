/* test_wizard_install.c - the wizard's window installing for real: started against the laptop
 * fixture root (RTX 3070 Ti Laptop GPU, no driver), walked through every page by activating its
 * buttons in-process, installing CUDA 13.0 and cuDNN 9.19 from a loopback nginx serving the
 * real-content mirror (tests/support/installmirror.h) into a temp prefix with HOME in a temp
 * dir, and reaching the Done page with the real verify results (the libraries load from the
 * tree; the device check fails: no driver here). Cancel during a slow download (the fault
 * server trickles) rolls back and returns to the plan page with the prefix unchanged. Needs a
 * display (xvfb-run -a dbus-run-session); without one it is skipped with the reason printed. */
#include "wizard/window.h"

#include "core/i18n.h"
#include "tests/support/faultserver.h"
#include "tests/support/installmirror.h"
#include "tests/support/nginx.h"
#include "tests/support/tlsca.h"
#include "tests/testutil.h"
#include "tests/wizard_fixtures.h"

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

static void wait_for_page(CupWizardWindow *win, const char *page, int seconds)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
  while (g_strcmp0(cup_wizard_window_page(win), page) != 0 && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  if (g_strcmp0(cup_wizard_window_page(win), page) != 0) {
    g_autofree char *text = page_text(win);
    g_error("page %s not reached in %d s; page %s shows:\n%s", page, seconds,
            cup_wizard_window_page(win), text);
  }
  spin();
}

static void set_text(CupWizardWindow *win, const char *entry, const char *text)
{
  gtk_editable_set_text(GTK_EDITABLE(child(win, entry)), text);
}

/* Welcome -> computer -> choose (CUDA development 13.0, cuDNN 9.19, into @prefix from
 * @mirror) -> plan -> install. */
static void walk_to_install(CupWizardWindow *win, const char *prefix, const char *mirror)
{
  click(win, "next_button");
  assert_shows(win, "3070 Ti");
  click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "choose");
  gtk_check_button_set_active(GTK_CHECK_BUTTON(child(win, "cuda_check")), TRUE);
  spin();
  set_text(win, "cuda_entry", "13.0");
  set_text(win, "cudnn_entry", "9.19");
  set_text(win, "prefix_entry", prefix);
  set_text(win, "mirror_entry", mirror);
  click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "plan");
  assert_shows(win, "CUDA Toolkit");
  assert_shows(win, "cuDNN");
  click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "install");
  g_assert_false(gtk_widget_get_sensitive(child(win, "next_button")));
  g_assert_false(gtk_widget_get_sensitive(child(win, "back_button")));
  g_assert_true(gtk_widget_get_sensitive(child(win, "cancel_button")));
}

static CupWizardWindow *open_window(const char *root, const CupTestInstallMirror *m,
                                    const char *cache, const char *cacert)
{
  CupWizardConfig config = {.root = (char *)root,
                            .catalog = m->catalog,
                            .cache = (char *)cache,
                            .cacert = (char *)cacert};
  CupWizardWindow *win = cup_wizard_window_new(NULL, &config);
  gtk_window_present(GTK_WINDOW(win));
  spin();
  return win;
}

static CupTestInstallMirror *get_mirror(void)
{
  g_autoptr(GError) error = NULL;
  if (!have_display) {
    g_test_skip("no display (run under xvfb-run -a dbus-run-session)");
    return NULL;
  }
  CupTestInstallMirror *m = cup_test_install_mirror_get(CUP_TEST_MANIFESTS, &error);
  if (m == NULL)
    g_test_skip_printf("no real-content mirror: %s", error->message);
  return m;
}

static void test_install(void)
{
  g_autoptr(CupTestInstallMirror) m = get_mirror();
  if (m == NULL)
    return;
  g_autofree char *why = NULL;
  if (!cup_test_nginx_available(&why)) {
    g_test_skip_printf("nginx is not available: %s", why);
    return;
  }
  g_autoptr(CupTestCa) ca = cup_test_ca_new();
  g_autoptr(CupTestNginx) nginx = cup_test_nginx_start(m->root, ca);
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *prefix = g_build_filename(dir, "T", NULL);
  g_autofree char *cache = g_build_filename(dir, "cache", NULL);
  g_autofree char *root = wz_fixture_root(TRUE);
  CupWizardWindow *win = open_window(root, m, cache, ca->ca_cert);
  walk_to_install(win, prefix, cup_test_nginx_url(nginx));
  wait_for_page(win, "done", 240);
  assert_shows(win, "Installed into");
  assert_shows(win, prefix);
  assert_shows(win, "Checks");
  assert_shows(win, "pass");
  assert_shows(win, "fail"); /* the GPU itself: no driver on this machine */
  assert_shows(win, "insufficient");
  assert_shows(win, "What to do next");
  g_autofree char *nvcc = g_build_filename(prefix, "bin", "nvcc", NULL);
  g_assert_true(g_file_test(nvcc, G_FILE_TEST_IS_EXECUTABLE));
  g_assert_false(gtk_widget_get_sensitive(child(win, "next_button")));
  gtk_window_destroy(GTK_WINDOW(win));
  spin();
  cup_test_remove_tree(dir);
  cup_test_remove_tree(root);
}

static void test_cancel(void)
{
  g_autoptr(CupTestInstallMirror) m = get_mirror();
  if (m == NULL)
    return;
  /* every archive's path answered slowly, with bytes that never get to be checked */
  g_autoptr(CupFaultServer) server = cup_fault_server_start(NULL);
  CupFault trickle = {.kind = CUP_FAULT_TRICKLE, .bytes = 32 * 1024};
  for (guint i = 0; i < m->archives->len; i++) {
    const CupTestInstallArchive *a = g_ptr_array_index(m->archives, i);
    g_autofree guint8 *junk = g_malloc0(a->size);
    g_autofree char *path = g_strconcat("/", a->path, NULL);
    cup_fault_server_add(server, path, junk, a->size, &trickle);
  }
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *prefix = g_build_filename(dir, "T", NULL);
  g_autofree char *cache = g_build_filename(dir, "cache", NULL);
  g_autofree char *root = wz_fixture_root(TRUE);
  CupWizardWindow *win = open_window(root, m, cache, NULL);
  walk_to_install(win, prefix, cup_fault_server_url(server));
  gint64 until = g_get_monotonic_time() + G_USEC_PER_SEC;
  while (g_get_monotonic_time() < until)
    g_main_context_iteration(NULL, FALSE);
  assert_shows(win, "Download");
  click(win, "cancel_button");
  wait_for_page(win, "plan", 60);
  assert_shows(win, "cancelled");
  assert_shows(win, "nothing was changed");
  g_assert_false(g_file_test(prefix, G_FILE_TEST_EXISTS));
  g_assert_true(gtk_widget_get_sensitive(child(win, "next_button")));
  g_assert_true(gtk_widget_get_sensitive(child(win, "back_button")));
  gtk_window_destroy(GTK_WINDOW(win));
  spin();
  cup_test_remove_tree(dir);
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_setenv("LANGUAGE", "en", TRUE);
  cup_i18n_init();
  /* The real-content mirror stays in the real user's cache (built once, minutes): HOME moves
   * to a temp dir just below. */
  if (g_getenv(CUP_TEST_INSTALL_MIRROR_CACHE_ENV) == NULL) {
    g_autofree char *mirrors = g_build_filename(g_get_user_cache_dir(), "cudaup-test-mirror", NULL);
    g_setenv(CUP_TEST_INSTALL_MIRROR_CACHE_ENV, mirrors, TRUE);
  }
  home = g_dir_make_tmp("cup-wizard-home-XXXXXX", NULL);
  wz_fixture_environment(home);
  if (g_getenv("DBUS_SESSION_BUS_ADDRESS") == NULL)
    g_setenv("GTK_A11Y", "none", TRUE);
  have_display = gtk_init_check();
  if (!have_display)
    g_printerr("test_wizard_install: no display could be opened (DISPLAY=%s); the window tests "
               "are skipped: run them under `xvfb-run -a dbus-run-session`\n",
               g_getenv("DISPLAY") ? g_getenv("DISPLAY") : "unset");
  g_test_add_func("/wizard/install/laptop-to-done", test_install);
  g_test_add_func("/wizard/install/cancel-in-download", test_cancel);
  int rc = g_test_run();
  cup_test_remove_tree(home);
  g_free(home);
  return rc;
}
