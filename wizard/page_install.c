/* page_install.c - the Install page: one row per stage (download with bytes, speed and ETA;
 * verify; extract; environment; checks), the log in an expander, and Cancel, which rolls the
 * install back and returns to the plan. The work is wzrun.c's, in a worker thread; this file
 * only renders the events it hands to the main loop. */
#include "wizard/window_private.h"

#include "core/error.h"
#include "core/i18n.h"

static const char *row_title(WzStage s)
{
  static const char *const titles[] = {N_("Download"), N_("Verify"), N_("Extract"),
                                       N_("Environment"), N_("Checks")};
  return _(titles[s]);
}

static void build_rows(CupWizardWindow *win)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(GTK_WIDGET(win->install_grid))) != NULL)
    gtk_grid_remove(win->install_grid, child);
  for (int s = 0; s < WZ_N_STAGES; s++) {
    GtkWidget *title = gtk_label_new(row_title(s));
    gtk_label_set_xalign(GTK_LABEL(title), 0);
    gtk_widget_add_css_class(title, "heading");
    GtkWidget *bar = gtk_progress_bar_new();
    gtk_widget_set_hexpand(bar, TRUE);
    gtk_widget_set_valign(bar, GTK_ALIGN_CENTER);
    GtkWidget *state = gtk_label_new(_("waiting"));
    gtk_label_set_xalign(GTK_LABEL(state), 0);
    gtk_label_set_width_chars(GTK_LABEL(state), 36);
    gtk_grid_attach(win->install_grid, title, 0, s, 1, 1);
    gtk_grid_attach(win->install_grid, bar, 1, s, 1, 1);
    gtk_grid_attach(win->install_grid, state, 2, s, 1, 1);
    win->stage_bar[s] = GTK_PROGRESS_BAR(bar);
    win->stage_state[s] = GTK_LABEL(state);
  }
}

/* "1.2 GB of 2.1 GB, 35.0 MB/s, 26 s left" */
static char *download_text(const WzRunEvent *e)
{
  g_autofree char *done = g_format_size(e->done);
  g_autofree char *total = g_format_size(e->total);
  GString *s = g_string_new(NULL);
  g_string_printf(s, _("%s of %s"), done, total);
  if (e->speed > 0) {
    g_autofree char *speed = g_format_size((guint64)e->speed);
    g_string_append_printf(s, _(", %s/s"), speed);
  }
  if (e->eta_ms >= 0 && !e->final)
    g_string_append_printf(s, _(", %lld s left"), (long long)((e->eta_ms + 999) / 1000));
  return g_string_free(s, FALSE);
}

static char *state_text(const WzRunEvent *e)
{
  if (e->stage == WZ_STAGE_DOWNLOAD)
    return download_text(e);
  if (e->stage == WZ_STAGE_VERIFY)
    return g_strdup_printf(_("%u of %u archives match their sha256"), e->n_verified, e->n_items);
  return g_strdup(e->final ? _("done") : _("working…"));
}

static void on_event(const WzRunEvent *e, gpointer data)
{
  CupWizardWindow *win = data;
  if (win->stage_bar[e->stage] == NULL)
    return;
  /* Verify runs alongside Download (each archive's sha256 is checked as its bytes arrive), so
   * it ends nothing; from Extract on, a stage that starts ends the ones before it. */
  for (int s = 0; e->stage > WZ_STAGE_VERIFY && s < (int)e->stage; s++)
    if (gtk_progress_bar_get_fraction(win->stage_bar[s]) < 1.0)
      gtk_progress_bar_set_fraction(win->stage_bar[s], 1.0);
  double fraction = e->final ? 1.0 : e->total ? (double)e->done / (double)e->total : 0.0;
  if (e->total == 0 && !e->final)
    gtk_progress_bar_pulse(win->stage_bar[e->stage]);
  else
    gtk_progress_bar_set_fraction(win->stage_bar[e->stage], CLAMP(fraction, 0.0, 1.0));
  g_autofree char *text = state_text(e);
  gtk_label_set_text(win->stage_state[e->stage], text);
}

static void on_log(const char *line, gpointer data)
{
  CupWizardWindow *win = data;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer(win->log_view);
  GtkTextIter end;
  gtk_text_buffer_get_end_iter(buffer, &end);
  gtk_text_buffer_insert(buffer, &end, line, -1);
  gtk_text_buffer_insert(buffer, &end, "\n", 1);
}

static gboolean release_window(gpointer data)
{
  CupWizardWindow *win = data;
  if (win->close_after_install)
    gtk_window_destroy(GTK_WINDOW(win));
  g_object_unref(win);
  return G_SOURCE_REMOVE;
}

static void on_finished(GObject *source, GAsyncResult *result, gpointer data)
{
  (void)source;
  CupWizardWindow *win = data;
  g_clear_object(&win->cancellable);
  g_clear_pointer(&win->outcome, wz_run_outcome_free);
  g_clear_error(&win->install_error);
  GError *error = NULL;
  win->outcome = wz_run_finish(result, &error);
  if (g_error_matches(error, CUP_ERROR, CUP_ERROR_CANCELLED)) {
    g_free(win->plan_note);
    win->plan_note = g_strdup(_("The install was cancelled and rolled back: nothing was "
                                "changed."));
    g_error_free(error);
    wz_show_page(win, "plan");
  } else {
    win->install_error = error;
    wz_show_page(win, "done");
  }
  /* Events still queued before this callback's are delivered first: let go of the window
   * after them. */
  g_idle_add_full(G_PRIORITY_LOW, release_window, win, NULL);
}

void wz_page_install_start(CupWizardWindow *win)
{
  if (win->plan == NULL || win->cancellable != NULL)
    return;
  build_rows(win);
  gtk_text_buffer_set_text(gtk_text_view_get_buffer(win->log_view), "", -1);
  g_clear_pointer(&win->plan_note, g_free);
  WzChoices c = {0};
  wz_page_choose_read(win, &c);
  g_free(win->log_path);
  win->log_path = wz_run_default_log_path();
  g_autofree char *mirror = wz_choice_given(c.mirror);
  g_autofree char *offline = wz_choice_given(c.offline_dir);
  WzRunOptions o = {.plan = win->plan,
                    .system = win->system,
                    .catalog = win->catalog,
                    .mirror = mirror,
                    .offline_dir = offline,
                    .cache_dir = win->config.cache,
                    .cacert = win->config.cacert,
                    .log_path = win->log_path,
                    .user_scope = win->user_scope,
                    .choices = &c,
                    .is_admin = win->is_admin,
                    .catalog_dir = win->config.catalog,
                    .progress = on_event,
                    .log = on_log,
                    .data = win};
  win->cancellable = g_cancellable_new();
  wz_run_async(&o, win->cancellable, on_finished, g_object_ref(win));
  wz_choices_clear(&c);
}

/* Also the window's close while installing (window.c). */
void wz_page_install_cancel(CupWizardWindow *win)
{
  if (win->cancellable == NULL)
    return;
  on_log(_("Cancelling: the install is being rolled back…"), win);
  g_cancellable_cancel(win->cancellable);
  gtk_widget_set_sensitive(GTK_WIDGET(win->cancel_button), FALSE);
}
