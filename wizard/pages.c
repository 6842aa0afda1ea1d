/* pages.c - what the pages "Your computer", "What do you want to run" and "The plan" show,
 * worded by wzmodel.c from what core reports. */
#include "wizard/window_private.h"

#include "core/i18n.h"

GtkWidget *wz_add_label(GtkBox *box, const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new(text);
  gtk_label_set_wrap(GTK_LABEL(label), TRUE);
  gtk_label_set_xalign(GTK_LABEL(label), 0);
  if (css_class)
    gtk_widget_add_css_class(label, css_class);
  gtk_box_append(box, label);
  return label;
}

void wz_clear_box(GtkBox *box)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(GTK_WIDGET(box))) != NULL)
    gtk_box_remove(box, child);
}

static void add_lines(GtkBox *box, const char *heading, const GPtrArray *lines,
                      const char *css_class)
{
  if (lines->len == 0)
    return;
  wz_add_label(box, heading, "heading");
  for (guint i = 0; i < lines->len; i++)
    wz_add_label(box, g_ptr_array_index(lines, i), css_class);
}

/* ---- Your computer ------------------------------------------------------------------------ */

void wz_page_computer_fill(CupWizardWindow *win)
{
  GtkBox *box = win->computer_box;
  wz_clear_box(box);
  wz_add_label(box, _("Your computer"), "title-2");
  if (win->catalog == NULL || win->system == NULL) {
    const GError *e = win->catalog ? win->system_error : win->catalog_error;
    wz_add_label(box, _("cudaup could not read what it needs:"), "heading");
    wz_add_label(box, e->message, "error");
    return;
  }
  g_autoptr(WzSystemView) v = wz_system_view_new(win->system);
  if (v->gpus->len)
    add_lines(box, _("Graphics card"), v->gpus, NULL);
  wz_add_label(box, _("Driver"), "heading");
  wz_add_label(box, v->driver, NULL);
  add_lines(box, _("CUDA Toolkits"), v->toolkits, NULL);
  add_lines(box, _("Warnings"), v->warnings, "warning");
}

/* ---- What do you want to run -------------------------------------------------------------- */

static CupFramework chosen_framework(CupWizardWindow *win)
{
  if (gtk_check_button_get_active(win->tensorflow_check))
    return CUP_FRAMEWORK_TENSORFLOW;
  if (gtk_check_button_get_active(win->cuda_check))
    return CUP_FRAMEWORK_NONE;
  return CUP_FRAMEWORK_PYTORCH;
}

static char *entry_text(GtkEntry *entry)
{
  return g_strdup(gtk_editable_get_text(GTK_EDITABLE(entry)));
}

void wz_page_choose_read(CupWizardWindow *win, WzChoices *c)
{
  c->framework = chosen_framework(win);
  guint sel = gtk_drop_down_get_selected(win->version_dropdown);
  if (win->versions && sel < g_strv_length(win->versions))
    c->version = g_strdup(win->versions[sel]);
  c->python = entry_text(win->python_entry);
  c->cuda_pin = entry_text(win->cuda_entry);
  c->cudnn_pin = entry_text(win->cudnn_entry);
  c->prefix = entry_text(win->prefix_entry);
  c->user = gtk_drop_down_get_selected(win->scope_dropdown) == 0;
  c->mirror = entry_text(win->mirror_entry);
  c->offline_dir = entry_text(win->offline_entry);
}

/* The versions of the chosen framework, the newest that fits this computer selected. */
void wz_page_choose_fill_versions(CupWizardWindow *win)
{
  if (win->catalog == NULL || win->system == NULL)
    return;
  WzChoices c = {0};
  wz_page_choose_read(win, &c);
  g_clear_pointer(&c.version, g_free);
  g_strfreev(win->versions);
  win->versions = wz_versions(win->catalog, c.framework, win->system->os.family);
  gtk_drop_down_set_model(win->version_dropdown,
                          G_LIST_MODEL(gtk_string_list_new((const char *const *)win->versions)));
  int fit = wz_newest_fitting(win->system, win->catalog, &c, win->is_admin, g_get_user_data_dir(),
                              (const char *const *)win->versions);
  if (fit >= 0) {
    gtk_drop_down_set_selected(win->version_dropdown, (guint)fit);
    g_autofree char *text = g_strdup_printf(_("%s is the newest version that fits this "
                                              "computer."),
                                            win->versions[fit]);
    gtk_label_set_text(win->fit_label, text);
  } else {
    gtk_label_set_text(win->fit_label, _("None of these versions fits this computer: the next "
                                         "page says why."));
  }
  wz_choices_clear(&c);
}

/* ---- The plan ----------------------------------------------------------------------------- */

static void attach(GtkGrid *grid, const char *text, int col, int row, gboolean heading)
{
  GtkWidget *label = gtk_label_new(text);
  gtk_label_set_xalign(GTK_LABEL(label), 0);
  gtk_label_set_wrap(GTK_LABEL(label), TRUE);
  if (col == 3)
    gtk_widget_set_hexpand(label, TRUE);
  if (heading)
    gtk_widget_add_css_class(label, "heading");
  gtk_grid_attach(grid, label, col, row, 1, 1);
}

static void add_rows(GtkBox *box, const WzPlanView *v)
{
  GtkGrid *grid = GTK_GRID(gtk_grid_new());
  gtk_grid_set_column_spacing(grid, 12);
  gtk_grid_set_row_spacing(grid, 6);
  attach(grid, _("What"), 0, 0, TRUE), attach(grid, _("Version"), 1, 0, TRUE);
  attach(grid, _("Download"), 2, 0, TRUE), attach(grid, _("Why"), 3, 0, TRUE);
  for (guint i = 0; i < v->rows->len; i++) {
    const WzPlanRow *r = g_ptr_array_index(v->rows, i);
    attach(grid, r->what, 0, (int)i + 1, FALSE), attach(grid, r->version, 1, (int)i + 1, FALSE);
    attach(grid, r->size, 2, (int)i + 1, FALSE), attach(grid, r->reason, 3, (int)i + 1, FALSE);
  }
  gtk_box_append(box, GTK_WIDGET(grid));
}

static void add_reasons(GtkBox *box, const GPtrArray *reasons)
{
  GtkWidget *expander = gtk_expander_new(_("Why these versions"));
  GtkBox *inner = GTK_BOX(gtk_box_new(GTK_ORIENTATION_VERTICAL, 4));
  for (guint i = 0; i < reasons->len; i++)
    wz_add_label(inner, g_ptr_array_index(reasons, i), NULL);
  gtk_expander_set_child(GTK_EXPANDER(expander), GTK_WIDGET(inner));
  gtk_box_append(box, expander);
}

void wz_page_plan_fill(CupWizardWindow *win)
{
  GtkBox *box = win->plan_box;
  wz_clear_box(box);
  g_clear_pointer(&win->plan, cup_plan_free);
  WzChoices c = {0};
  wz_page_choose_read(win, &c);
  CupRequest r = {0};
  wz_choices_to_request(&c, win->is_admin, g_get_user_data_dir(), &r);
  win->user_scope = r.user_scope;
  if (win->plan_note)
    wz_add_label(box, win->plan_note, "warning");
  g_autoptr(GError) error = NULL;
  win->plan = cup_plan_make(win->system, win->catalog, &r, &error);
  if (win->plan == NULL) {
    wz_add_label(box, _("No plan fits this computer"), "title-2");
    wz_add_label(box, error->message, "error");
  } else {
    g_autoptr(WzPlanView) v = wz_plan_view_new(win->plan, r.user_scope);
    wz_add_label(box, v->title, "title-2");
    add_rows(box, v);
    wz_add_label(box, v->download, "heading");
    if (v->location)
      wz_add_label(box, v->location, NULL);
    add_lines(box, _("Administrator rights"), v->admin, NULL);
    add_lines(box, _("Warnings"), v->warnings, "warning");
    add_reasons(box, v->reasons);
    wz_page_plan_add_save(win, box);
  }
  cup_request_clear(&r);
  wz_choices_clear(&c);
}
