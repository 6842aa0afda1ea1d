/* page_done.c - the Done page (core/verify's results, the exact pip command with Copy, what to
 * do next) and, when the install failed, the error page in its place (the cause, the fix,
 * "Copy details" and "Open log"). */
#include "wizard/window_private.h"

#include "core/i18n.h"

static void copy_text(GtkWidget *button, const char *text)
{
  gdk_clipboard_set_text(gtk_widget_get_clipboard(button), text);
}

/* A button that puts @text (copied) on the clipboard. */
static GtkWidget *copy_button(const char *label, const char *text)
{
  GtkWidget *b = gtk_button_new_with_label(label);
  g_signal_connect_data(b, "clicked", G_CALLBACK(copy_text), g_strdup(text),
                        (GClosureNotify)(void (*)(void))g_free, 0);
  gtk_widget_set_halign(b, GTK_ALIGN_START);
  return b;
}

static void open_log(GtkWidget *button, const char *path)
{
  g_autofree char *uri = g_filename_to_uri(path, NULL, NULL);
  GtkRoot *root = gtk_widget_get_root(button);
  if (uri)
    gtk_show_uri(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, uri, GDK_CURRENT_TIME);
}

static const char *status_word(CupVerifyStatus s)
{
  return s == CUP_VERIFY_PASS ? _("pass") : s == CUP_VERIFY_FAIL ? _("fail") : _("skip");
}

static void add_checks(GtkBox *box, const CupVerifyResult *v)
{
  wz_add_label(box, v->verdict, v->ok ? "success" : "warning");
  GtkGrid *grid = GTK_GRID(gtk_grid_new());
  gtk_grid_set_column_spacing(grid, 12);
  gtk_grid_set_row_spacing(grid, 4);
  for (guint i = 0; i < v->checks->len; i++) {
    const CupVerifyCheck *c = g_ptr_array_index(v->checks, i);
    g_autofree char *evidence =
        c->fix ? g_strdup_printf("%s\n%s", c->evidence, c->fix) : g_strdup(c->evidence);
    const char *texts[] = {status_word(c->status), c->title, evidence};
    for (int col = 0; col < 3; col++) {
      GtkWidget *label = gtk_label_new(texts[col]);
      gtk_label_set_xalign(GTK_LABEL(label), 0);
      gtk_label_set_wrap(GTK_LABEL(label), TRUE);
      gtk_widget_set_hexpand(label, col == 2);
      if (col == 0)
        gtk_widget_add_css_class(label, c->status == CUP_VERIFY_FAIL ? "error" : "heading");
      gtk_grid_attach(grid, label, col, (int)i, 1, 1);
    }
  }
  gtk_box_append(box, GTK_WIDGET(grid));
}

static void fill_done(CupWizardWindow *win, GtkBox *box)
{
  const WzRunOutcome *o = win->outcome;
  const CupPlan *plan = win->plan;
  wz_add_label(box, _("Done"), "title-2");
  g_autofree char *where = g_strdup_printf(_("Installed into %s."), plan->toolkit_root);
  wz_add_label(box, where, NULL);
  for (guint i = 0; o->notes && i < o->notes->len; i++)
    wz_add_label(box, g_ptr_array_index(o->notes, i), "warning");
  wz_add_label(box, _("Checks"), "heading");
  if (o->verify)
    add_checks(box, o->verify);
  else
    wz_add_label(box, _("The install was not verified."), "warning");
  if (plan->pip_command) {
    wz_add_label(box, _("Install the framework into your Python"), "heading");
    GtkWidget *pip = wz_add_label(box, plan->pip_command, "monospace");
    gtk_label_set_selectable(GTK_LABEL(pip), TRUE);
    gtk_box_append(box, copy_button(_("Copy"), plan->pip_command));
  }
  wz_add_label(box, _("What to do next"), "heading");
  wz_add_label(box, _("Open a new terminal: it finds nvcc and the CUDA libraries."), NULL);
  if (plan->driver_action && g_strcmp0(plan->driver_action, "keep") != 0)
    wz_add_label(box,
                 _("Install the NVIDIA driver the plan names, then restart the computer: "
                   "the GPU itself can only be used with it."),
                 NULL);
  wz_add_label(box, _("Run 'cudaup verify' at any time to check again."), NULL);
}

static void fill_error(CupWizardWindow *win, GtkBox *box)
{
  const GError *e = win->install_error;
  wz_add_label(box, _("The install did not finish"), "title-2");
  wz_add_label(box, _("What went wrong"), "heading");
  wz_add_label(box, e->message, "error");
  wz_add_label(box, _("What to do"), "heading");
  g_autofree char *fix = wz_run_fix(e);
  wz_add_label(box, fix, NULL);
  g_autofree char *log = g_strdup_printf(_("The log: %s"), win->log_path);
  GtkWidget *log_label = wz_add_label(box, log, NULL);
  gtk_label_set_selectable(GTK_LABEL(log_label), TRUE);
  g_autofree char *details = wz_run_details(e, win->plan, win->log_path);
  GtkBox *buttons = GTK_BOX(gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12));
  gtk_box_append(buttons, copy_button(_("Copy details"), details));
  GtkWidget *open = gtk_button_new_with_label(_("Open log"));
  g_signal_connect_data(open, "clicked", G_CALLBACK(open_log), g_strdup(win->log_path),
                        (GClosureNotify)(void (*)(void))g_free, 0);
  gtk_box_append(buttons, open);
  gtk_box_append(box, GTK_WIDGET(buttons));
}

void wz_page_done_fill(CupWizardWindow *win)
{
  wz_clear_box(win->done_box);
  if (win->install_error)
    fill_error(win, win->done_box);
  else if (win->outcome && win->plan)
    fill_done(win, win->done_box);
}
