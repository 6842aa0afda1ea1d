/* page_answers.c - "Save answers…" on the plan page: the choices behind the plan shown, written
 * as an answers file (wizard/wzanswers.h) to replay with `cudaup install --silent --answers
 * FILE` on the other laptops of a lab. */
#include "wizard/window_private.h"
#include "wizard/wzanswers.h"

#include "core/i18n.h"

/* The status line under the button, found again by its widget name. */
#define STATUS_NAME "save_answers_status"

gboolean cup_wizard_window_save_answers(CupWizardWindow *win, const char *file, GError **error)
{
  WzChoices c = {0};
  wz_page_choose_read(win, &c);
  gboolean ok = wz_answers_save(&c, win->is_admin, file, error);
  wz_choices_clear(&c);
  return ok;
}

static GtkLabel *status_label(GtkWidget *button)
{
  GtkWidget *row = gtk_widget_get_parent(button);
  for (GtkWidget *w = gtk_widget_get_first_child(row); w; w = gtk_widget_get_next_sibling(w))
    if (g_strcmp0(gtk_widget_get_name(w), STATUS_NAME) == 0)
      return GTK_LABEL(w);
  return NULL;
}

static void on_response(GtkNativeDialog *dialog, int response, gpointer data)
{
  GtkWidget *button = data;
  CupWizardWindow *win = CUP_WIZARD_WINDOW(gtk_widget_get_root(button));
  g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
  g_autofree char *path = file ? g_file_get_path(file) : NULL;
  GtkLabel *status = status_label(button);
  if (response == GTK_RESPONSE_ACCEPT && path && status) {
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    if (cup_wizard_window_save_answers(win, path, &error))
      text = g_strdup_printf(_("Saved to %s. On another computer run: cudaup install --silent "
                               "--answers %s"),
                             path, path);
    else
      text = g_strdup(error->message);
    gtk_label_set_text(status, text);
  }
  gtk_native_dialog_destroy(dialog);
  g_object_unref(dialog);
  g_object_unref(button);
}

static void on_save(GtkButton *button, gpointer data)
{
  (void)data;
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(button));
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new(
      _("Save answers"), GTK_WINDOW(root), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(dialog), "cudaup-answers.ini");
  g_signal_connect(dialog, "response", G_CALLBACK(on_response), g_object_ref(button));
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

void wz_page_plan_add_save(CupWizardWindow *win, GtkBox *box)
{
  (void)win;
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *button = gtk_button_new_with_mnemonic(_("Save _answers…"));
  gtk_widget_set_name(button, "save_answers_button");
  gtk_widget_set_tooltip_text(button, _("Write these choices to a file that sets up other "
                                        "computers the same way without questions"));
  g_signal_connect(button, "clicked", G_CALLBACK(on_save), NULL);
  gtk_box_append(GTK_BOX(row), button);
  GtkWidget *status = gtk_label_new(NULL);
  gtk_widget_set_name(status, STATUS_NAME);
  gtk_label_set_wrap(GTK_LABEL(status), TRUE);
  gtk_label_set_xalign(GTK_LABEL(status), 0);
  gtk_label_set_selectable(GTK_LABEL(status), TRUE);
  gtk_widget_set_hexpand(status, TRUE);
  gtk_box_append(GTK_BOX(row), status);
  gtk_box_append(box, row);
}
