/* test_wizard_install.c - the wizard's window installing for real: started against the laptop
 * fixture root (RTX 3070 Ti Laptop GPU, no driver), walked through every page by activating its
 * buttons in-process, installing CUDA 13.0 and cuDNN 9.19 from a loopback nginx serving the
 * real-content mirror (tests/support/installmirror.h) into a temp prefix with HOME in a temp
 * dir, and reaching the Done page with the real verify results (the libraries load from the
 * tree; the device check fails: no driver here). Cancel during a slow download (the fault
 * server trickles) rolls back and returns to the plan page with the prefix unchanged. A mirror
 * serving an archive whose bytes differ from its sha256 ends on the error page (cause, fix, the
 * log, Copy details, Open log). Each case runs in English and in Korean (LANGUAGE=ko, C.UTF-8,
 * set before the window is made) and screenshots the pages only an install reaches (install
 * while downloading, done, the error) at 800x600 with the checks of tests/wizard_shot.h, under
 * build/tests/screens/<lang>/laptop-<case>-<NN>-<page>.png (printed). One mirror and one nginx
 * serve every case. Needs a display (xvfb-run -a dbus-run-session); without one it is skipped
 * with the reason printed. */
#include "wizard/window.h"

#include "core/error.h"
#include "core/i18n.h"
#include "tests/support/faultserver.h"
#include "tests/support/installmirror.h"
#include "tests/support/nginx.h"
#include "tests/support/tlsca.h"
#include "tests/testutil.h"
#include "tests/wizard_fixtures.h"
#include "tests/wizard_shot.h"
#include "tests/wizard_walk.h"
#include "wizard/wzrun.h"

#include <locale.h>
#include <string.h>

#define WIN_W 800
#define WIN_H 600

static gboolean have_display;
static char *home;
static char *screens_dir;

/* Shared by every case: made by the first that needs it. */
static CupTestInstallMirror *the_mirror;
static char *mirror_missing; /* why there is none, once looked for */
static CupTestCa *ca;
static CupTestNginx *nginx;
static char *nginx_missing;

static void wait_for_page(CupWizardWindow *win, const char *page, int seconds)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
  while (g_strcmp0(cup_wizard_window_page(win), page) != 0 && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  if (g_strcmp0(cup_wizard_window_page(win), page) != 0) {
    g_autofree char *text = wzt_page_text(win);
    g_error("page %s not reached in %d s; page %s shows:\n%s", page, seconds,
            cup_wizard_window_page(win), text);
  }
  wzt_spin();
}

static void set_text(CupWizardWindow *win, const char *entry, const char *text)
{
  gtk_editable_set_text(GTK_EDITABLE(wzt_child(win, entry)), text);
}

/* Welcome -> computer -> choose (CUDA development 13.0, cuDNN 9.19, into @prefix from
 * @mirror) -> plan -> install. */
static void walk_to_install(CupWizardWindow *win, const char *prefix, const char *mirror)
{
  wzt_click(win, "next_button");
  wzt_assert_shows(win, "3070 Ti");
  wzt_click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "choose");
  gtk_check_button_set_active(GTK_CHECK_BUTTON(wzt_child(win, "cuda_check")), TRUE);
  wzt_spin();
  set_text(win, "cuda_entry", "13.0");
  set_text(win, "cudnn_entry", "9.19");
  set_text(win, "prefix_entry", prefix);
  set_text(win, "mirror_entry", mirror);
  wzt_click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "plan");
  wzt_assert_shows(win, _("CUDA Toolkit"));
  wzt_assert_shows(win, "cuDNN");
  wzt_click(win, "next_button");
  g_assert_cmpstr(cup_wizard_window_page(win), ==, "install");
  g_assert_false(gtk_widget_get_sensitive(wzt_child(win, "next_button")));
  g_assert_false(gtk_widget_get_sensitive(wzt_child(win, "back_button")));
  g_assert_true(gtk_widget_get_sensitive(wzt_child(win, "cancel_button")));
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
  wzt_wait_ready(win);
  wzt_spin();
  return win;
}

static const CupTestInstallMirror *get_mirror(void)
{
  if (!have_display) {
    g_test_skip("no display (run under xvfb-run -a dbus-run-session)");
    return NULL;
  }
  if (the_mirror == NULL && mirror_missing == NULL) {
    g_autoptr(GError) error = NULL;
    the_mirror = cup_test_install_mirror_get(CUP_TEST_MANIFESTS, &error);
    if (the_mirror == NULL)
      mirror_missing = g_strdup(error->message);
  }
  if (the_mirror == NULL)
    g_test_skip_printf("no real-content mirror: %s", mirror_missing);
  return the_mirror;
}

static CupTestNginx *get_nginx(const CupTestInstallMirror *m)
{
  if (nginx == NULL && nginx_missing == NULL) {
    if (!cup_test_nginx_available(&nginx_missing)) {
      g_assert_nonnull(nginx_missing);
    } else {
      ca = cup_test_ca_new();
      nginx = cup_test_nginx_start(m->root, ca);
    }
  }
  if (nginx == NULL)
    g_test_skip_printf("nginx is not available: %s", nginx_missing);
  return nginx;
}

typedef struct {
  const char *lang; /* "en", "ko" */
  char *saved_locale;
} Lang;

/* The language a user who runs the wizard in it gets from the start: LANGUAGE, and a UTF-8
 * locale for Korean (the wizard's own switch does the same, window.c on_language). */
static void lang_enter(Lang *l, const char *lang)
{
  l->lang = lang;
  l->saved_locale = g_strdup(setlocale(LC_ALL, NULL));
  g_setenv("LANGUAGE", lang, TRUE);
  if (strcmp(lang, "ko") == 0)
    g_assert_nonnull(setlocale(LC_ALL, "C.UTF-8"));
}

static void lang_leave(Lang *l)
{
  g_setenv("LANGUAGE", "en", TRUE);
  setlocale(LC_ALL, l->saved_locale);
  g_free(l->saved_locale);
}

/* The page shown, as <screens>/<lang>/laptop-<what>-<NN>-<page>.png, checked (blank, overflow,
 * glyphs, the window's size: tests/wizard_shot.h). @n numbers it as test_wizard_screens does:
 * welcome..plan are 01..04. */
static void shoot(CupWizardWindow *win, const Lang *l, const char *what, int n)
{
  const char *page = cup_wizard_window_page(win);
  g_assert_true(g_strv_contains((const char *const *)WZ_SHOT_INSTALL_PAGES, page));
  g_autofree char *dir = g_build_filename(screens_dir, l->lang, NULL);
  g_autofree char *base = g_strdup_printf("laptop-%s-%02d-%s.png", what, n, page);
  g_autofree char *why =
      wz_shot_page(GTK_WIDGET(win), GTK_STACK(wzt_child(win, "stack")), dir, base, WIN_W, WIN_H);
  g_test_message("%s/%s: %s", l->lang, base, why);
  g_print("# screenshot: %s/%s\n", dir, base);
}

/* The Korean window is Korean from the start: its language switch says so. */
static void assert_language(CupWizardWindow *win, const Lang *l)
{
  guint selected = gtk_drop_down_get_selected(GTK_DROP_DOWN(wzt_child(win, "language_dropdown")));
  g_assert_cmpuint(selected, ==, strcmp(l->lang, "ko") == 0 ? 1 : 0);
}

/* The text after the conversion in @format, translated: ", %s/s" -> "/s" (what a Korean
 * translation keeps of it can differ; the translation is what the page shows). */
static const char *after_conversion(const char *format, const char *conversion)
{
  const char *at = strstr(format, conversion);
  g_assert_nonnull(at);
  return at + strlen(conversion);
}

static void test_install(gconstpointer data)
{
  const CupTestInstallMirror *m = get_mirror();
  if (m == NULL)
    return;
  CupTestNginx *server = get_nginx(m);
  if (server == NULL)
    return;
  Lang l;
  lang_enter(&l, data);
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *prefix = g_build_filename(dir, "T", NULL);
  g_autofree char *cache = g_build_filename(dir, "cache", NULL);
  g_autofree char *root = wz_fixture_root(TRUE);
  CupWizardWindow *win = open_window(root, m, cache, ca->ca_cert);
  assert_language(win, &l);
  walk_to_install(win, prefix, cup_test_nginx_url(server));
  wait_for_page(win, "done", 240);
  wzt_assert_shows(win, prefix);
  wzt_assert_shows(win, _("Checks"));
  wzt_assert_shows(win, _("pass"));
  wzt_assert_shows(win, _("fail")); /* the GPU itself: no driver on this machine */
  wzt_assert_shows(win, _("What to do next"));
  if (strcmp(l.lang, "en") == 0) {
    wzt_assert_shows(win, "Installed into");
    wzt_assert_shows(win, "insufficient");
  }
  shoot(win, &l, "install", 6);
  g_autofree char *nvcc = g_build_filename(prefix, "bin", "nvcc", NULL);
  g_assert_true(g_file_test(nvcc, G_FILE_TEST_IS_EXECUTABLE));
  g_assert_false(gtk_widget_get_sensitive(wzt_child(win, "next_button")));
  gtk_window_destroy(GTK_WINDOW(win));
  wzt_spin();
  cup_test_remove_tree(dir);
  cup_test_remove_tree(root);
  lang_leave(&l);
}

/* A fault server with every archive's path answering @fault (zeros of the archive's size,
 * which never match its sha256). */
static CupFaultServer *junk_server(const CupTestInstallMirror *m, const CupFault *fault)
{
  CupFaultServer *server = cup_fault_server_start(NULL);
  for (guint i = 0; i < m->archives->len; i++) {
    const CupTestInstallArchive *a = g_ptr_array_index(m->archives, i);
    g_autofree guint8 *junk = g_malloc0(a->size);
    g_autofree char *path = g_strconcat("/", a->path, NULL);
    cup_fault_server_add(server, path, junk, a->size, fault);
  }
  return server;
}

/* The Download row's state once it shows bytes, speed and ETA (at most 10 s). */
static void wait_for_download_rate(CupWizardWindow *win)
{
  GtkGrid *grid = GTK_GRID(wzt_child(win, "install_grid"));
  const char *speed = after_conversion(_(", %s/s"), "%s");
  const char *eta = after_conversion(_(", %lld s left"), "%lld");
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  const char *text = "";
  while (g_get_monotonic_time() < deadline) {
    GtkWidget *state = gtk_grid_get_child_at(grid, 2, 0);
    text = state ? gtk_label_get_text(GTK_LABEL(state)) : "";
    if (strstr(text, speed) && strstr(text, eta))
      break;
    g_main_context_iteration(NULL, TRUE);
  }
  if (!strstr(text, speed) || !strstr(text, eta))
    g_error("the Download row shows \"%s\", without a speed (\"%s\") and ETA (\"%s\")", text, speed,
            eta);
  g_test_message("the Download row: %s", text);
}

static void test_cancel(gconstpointer data)
{
  const CupTestInstallMirror *m = get_mirror();
  if (m == NULL)
    return;
  Lang l;
  lang_enter(&l, data);
  /* every archive's path answered slowly, with bytes that never get to be checked */
  CupFault trickle = {.kind = CUP_FAULT_TRICKLE, .bytes = 32 * 1024};
  g_autoptr(CupFaultServer) server = junk_server(m, &trickle);
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *prefix = g_build_filename(dir, "T", NULL);
  g_autofree char *cache = g_build_filename(dir, "cache", NULL);
  g_autofree char *root = wz_fixture_root(TRUE);
  CupWizardWindow *win = open_window(root, m, cache, NULL);
  assert_language(win, &l);
  walk_to_install(win, prefix, cup_fault_server_url(server));
  wait_for_download_rate(win);
  wzt_assert_shows(win, _("Download"));
  /* Verify runs beside the download: its events must not fill the Download bar early. */
  GtkWidget *bar = gtk_grid_get_child_at(GTK_GRID(wzt_child(win, "install_grid")), 1, 0);
  g_assert_true(GTK_IS_PROGRESS_BAR(bar));
  g_assert_cmpfloat(gtk_progress_bar_get_fraction(GTK_PROGRESS_BAR(bar)), <, 0.5);
  shoot(win, &l, "cancel", 5);
  wzt_click(win, "cancel_button");
  wait_for_page(win, "plan", 60);
  wzt_assert_shows(win, _("The install was cancelled and rolled back: nothing was changed."));
  g_assert_false(g_file_test(prefix, G_FILE_TEST_EXISTS));
  g_assert_true(gtk_widget_get_sensitive(wzt_child(win, "next_button")));
  g_assert_true(gtk_widget_get_sensitive(wzt_child(win, "back_button")));
  gtk_window_destroy(GTK_WINDOW(win));
  wzt_spin();
  cup_test_remove_tree(dir);
  cup_test_remove_tree(root);
  lang_leave(&l);
}

/* Closing the window during the download is Cancel: the window stays until the rollback is
 * over, then goes, and the prefix was never made. */
static void test_close_in_download(void)
{
  const CupTestInstallMirror *m = get_mirror();
  if (m == NULL)
    return;
  CupFault trickle = {.kind = CUP_FAULT_TRICKLE, .bytes = 32 * 1024};
  g_autoptr(CupFaultServer) server = junk_server(m, &trickle);
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *prefix = g_build_filename(dir, "T", NULL);
  g_autofree char *cache = g_build_filename(dir, "cache", NULL);
  g_autofree char *root = wz_fixture_root(TRUE);
  CupWizardWindow *win = open_window(root, m, cache, NULL);
  g_autoptr(GObject) keep = g_object_ref(G_OBJECT(win));
  walk_to_install(win, prefix, cup_fault_server_url(server));
  wait_for_download_rate(win);
  gtk_window_close(GTK_WINDOW(win));
  /* refused for now: the install is being cancelled (the rollback may then be quick) */
  g_assert_true(gtk_widget_get_visible(GTK_WIDGET(win)));
  g_assert_false(gtk_widget_get_sensitive(wzt_child(win, "cancel_button")));
  gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
  while (gtk_widget_get_visible(GTK_WIDGET(win)) && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_false(gtk_widget_get_visible(GTK_WIDGET(win)));
  g_assert_false(g_file_test(prefix, G_FILE_TEST_EXISTS));
  cup_test_remove_tree(dir);
  cup_test_remove_tree(root);
}

static GtkWidget *find_button(GtkWidget *w, const char *label)
{
  if (GTK_IS_BUTTON(w) && g_strcmp0(gtk_button_get_label(GTK_BUTTON(w)), label) == 0)
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
    GtkWidget *found = find_button(c, label);
    if (found)
      return found;
  }
  return NULL;
}

static GtkWidget *page_button(CupWizardWindow *win, const char *label)
{
  GtkWidget *page = gtk_stack_get_visible_child(GTK_STACK(wzt_child(win, "stack")));
  GtkWidget *b = find_button(page, label);
  if (b == NULL)
    g_error("page %s has no button \"%s\"", cup_wizard_window_page(win), label);
  g_assert_true(gtk_widget_get_mapped(b));
  g_assert_true(gtk_widget_is_sensitive(b));
  return b;
}

static void got_text(GObject *clipboard, GAsyncResult *result, gpointer data)
{
  *(char **)data = gdk_clipboard_read_text_finish(GDK_CLIPBOARD(clipboard), result, NULL);
  if (*(char **)data == NULL)
    *(char **)data = g_strdup("");
}

/* What "Copy details" put on the clipboard. */
static char *copied_details(CupWizardWindow *win)
{
  GtkWidget *b = page_button(win, _("Copy details"));
  g_signal_emit_by_name(b, "clicked");
  char *text = NULL;
  gdk_clipboard_read_text_async(gtk_widget_get_clipboard(b), NULL, got_text, &text);
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (text == NULL && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_nonnull(text);
  return text;
}

/* A mirror that serves every archive in full, fast, with bytes that do not match its sha256:
 * the fetch downloads one twice, gives up with an integrity error (the first archive to fail
 * ends the fetch), and the window shows the error page. */
static void test_error(gconstpointer data)
{
  const CupTestInstallMirror *m = get_mirror();
  if (m == NULL)
    return;
  Lang l;
  lang_enter(&l, data);
  CupFault fast = {.kind = CUP_FAULT_NONE};
  g_autoptr(CupFaultServer) server = junk_server(m, &fast);
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *prefix = g_build_filename(dir, "T", NULL);
  g_autofree char *cache = g_build_filename(dir, "cache", NULL);
  g_autofree char *root = wz_fixture_root(TRUE);
  CupWizardWindow *win = open_window(root, m, cache, NULL);
  assert_language(win, &l);
  walk_to_install(win, prefix, cup_fault_server_url(server));
  wait_for_page(win, "done", 60);
  wzt_assert_shows(win, _("The install did not finish"));
  wzt_assert_shows(win, _("What went wrong"));
  wzt_assert_shows(win, "sha256 mismatch for "); /* the cause, naming the archive */
  wzt_assert_shows(win, _("What to do"));
  g_autoptr(GError) kind = g_error_new_literal(CUP_ERROR, CUP_ERROR_INTEGRITY, "");
  g_autofree char *fix = wz_run_fix(kind);
  wzt_assert_shows(win, fix);
  g_autofree char *log = wz_run_default_log_path();
  g_assert_true(g_file_test(log, G_FILE_TEST_IS_REGULAR));
  wzt_assert_shows(win, log);
  page_button(win, _("Open log"));
  g_assert_false(gtk_widget_get_sensitive(wzt_child(win, "next_button")));
  shoot(win, &l, "error", 6);
  g_autofree char *details = copied_details(win);
  g_test_message("Copy details put:\n%s", details);
  g_assert_nonnull(strstr(details, "sha256 mismatch for "));
  g_assert_nonnull(strstr(details, log));
  g_assert_false(g_file_test(prefix, G_FILE_TEST_EXISTS));
  gtk_window_destroy(GTK_WINDOW(win));
  wzt_spin();
  cup_test_remove_tree(dir);
  cup_test_remove_tree(root);
  lang_leave(&l);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  /* The real-content mirror stays in the real user's cache (built once, minutes): HOME moves
   * to a temp dir just below. */
  if (g_getenv(CUP_TEST_INSTALL_MIRROR_CACHE_ENV) == NULL) {
    g_autofree char *mirrors = g_build_filename(g_get_user_cache_dir(), "cudaup-test-mirror", NULL);
    g_setenv(CUP_TEST_INSTALL_MIRROR_CACHE_ENV, mirrors, TRUE);
  }
  /* Next to test_wizard_screens' (the same directory scheme). */
  g_autofree char *built = g_test_build_filename(G_TEST_BUILT, "screens", NULL);
  screens_dir = g_canonicalize_filename(built, NULL);
  have_display = wzt_setup("test_wizard_install", &home);
  if (have_display)
    g_print("# screenshots are written under %s\n", screens_dir);
  static const char *const langs[] = {"en", "ko"};
  for (gsize i = 0; i < G_N_ELEMENTS(langs); i++) {
    g_autofree char *done = g_strdup_printf("/wizard/install/%s/laptop-to-done", langs[i]);
    g_autofree char *cancel = g_strdup_printf("/wizard/install/%s/cancel-in-download", langs[i]);
    g_autofree char *error = g_strdup_printf("/wizard/install/%s/integrity-error", langs[i]);
    g_test_add_data_func(done, langs[i], test_install);
    g_test_add_data_func(cancel, langs[i], test_cancel);
    g_test_add_data_func(error, langs[i], test_error);
  }
  g_test_add_func("/wizard/install/en/close-in-download", test_close_in_download);
  int rc = g_test_run();
  g_clear_pointer(&nginx, cup_test_nginx_stop);
  g_clear_pointer(&ca, cup_test_ca_free);
  g_clear_pointer(&the_mirror, cup_test_install_mirror_free);
  g_free(mirror_missing);
  g_free(nginx_missing);
  g_free(screens_dir);
  cup_test_remove_tree(home);
  g_free(home);
  return rc;
}
