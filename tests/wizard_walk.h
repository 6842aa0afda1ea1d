/* wizard_walk.h - walking the wizard's window in-process, shared by the window tests
 * (test_wizard_window, test_wizard_install, test_wizard_screens): set up a display and a
 * temp HOME, wait for the window's facts, find template children, activate buttons, read what
 * a page shows. Header-only (static inline), GTK 4.8 API only. */
#pragma once

#include "core/i18n.h"
#include "tests/wizard_fixtures.h"
#include "wizard/window.h"

#include <gtk/gtk.h>
#include <stdio.h>
#include <string.h>

/* Run what the main loop has pending, without waiting. */
static inline void wzt_spin(void)
{
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

/* The template child @id of @win (wizard/ui/window.ui); asserts it exists. */
static inline GtkWidget *wzt_child(CupWizardWindow *win, const char *id)
{
  GObject *o = gtk_widget_get_template_child(GTK_WIDGET(win), CUP_TYPE_WIZARD_WINDOW, id);
  g_assert_nonnull(o);
  return GTK_WIDGET(o);
}

/* The window gathers the catalog and detection in a worker (wizard/facts.c): wait for them
 * (at most 30 s) before walking past the Welcome page. */
static inline void wzt_wait_ready(CupWizardWindow *win)
{
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (!cup_wizard_window_is_ready(win) && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_true(cup_wizard_window_is_ready(win));
}

/* Every visible label's text under @w, one per line: what a reader of the page sees. */
static inline void wzt_collect(GtkWidget *w, GString *out)
{
  if (GTK_IS_LABEL(w) && gtk_widget_get_visible(w))
    g_string_append_printf(out, "%s\n", gtk_label_get_text(GTK_LABEL(w)));
  for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
    wzt_collect(c, out);
}

/* The text of the page shown. Newly allocated. */
static inline char *wzt_page_text(CupWizardWindow *win)
{
  GtkStack *stack = GTK_STACK(wzt_child(win, "stack"));
  GString *out = g_string_new(NULL);
  wzt_collect(gtk_stack_get_visible_child(stack), out);
  return g_string_free(out, FALSE);
}

/* Fails, saying what the page shows instead, unless it shows @needle. */
static inline void wzt_assert_shows(CupWizardWindow *win, const char *needle)
{
  g_autofree char *text = wzt_page_text(win);
  if (strstr(text, needle) == NULL)
    g_error("page %s does not show \"%s\"; it shows:\n%s", cup_wizard_window_page(win), needle,
            text);
}

static inline void wzt_mark_done(gboolean *done)
{
  *done = TRUE;
}

/* Activate the (sensitive) header button @button and wait for its "clicked": a GtkButton's
 * activation shows the press for a moment (250 ms) first. */
static inline void wzt_click(CupWizardWindow *win, const char *button)
{
  GtkWidget *b = wzt_child(win, button);
  g_autoptr(GObject) hold = g_object_ref(G_OBJECT(b)); /* Cancel destroys the window */
  g_assert_true(gtk_widget_get_sensitive(b));
  gboolean done = FALSE;
  gulong clicked = g_signal_connect_swapped(b, "clicked", G_CALLBACK(wzt_mark_done), &done);
  gtk_widget_activate(b);
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_true(done);
  if (g_signal_handler_is_connected(b, clicked))
    g_signal_handler_disconnect(b, clicked);
  wzt_spin();
}

/* Before the tests of @program: English whatever the machine's locale (assertions read
 * English unless a case switches), HOME in a new temp dir (*@home, see wz_fixture_environment),
 * no accessibility bridge without a session bus (the in-process walk needs none), then GTK.
 * Returns whether a display could be opened; without one it says why the window tests will be
 * skipped. */
static inline gboolean wzt_setup(const char *program, char **home)
{
  g_setenv("LANGUAGE", "en", TRUE);
  cup_i18n_init();
  *home = g_dir_make_tmp("cup-wizard-home-XXXXXX", NULL);
  wz_fixture_environment(*home);
  if (g_getenv("DBUS_SESSION_BUS_ADDRESS") == NULL)
    g_setenv("GTK_A11Y", "none", TRUE);
  gboolean display = gtk_init_check();
  if (!display)
    g_printerr("%s: no display could be opened (DISPLAY=%s, WAYLAND_DISPLAY=%s); the window "
               "tests are skipped: run them under `xvfb-run -a dbus-run-session`\n",
               program, g_getenv("DISPLAY") ? g_getenv("DISPLAY") : "unset",
               g_getenv("WAYLAND_DISPLAY") ? g_getenv("WAYLAND_DISPLAY") : "unset");
  return display;
}
