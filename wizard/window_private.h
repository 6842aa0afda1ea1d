/* window_private.h - the window's state, shared by window.c (navigation) and pages.c (what each
 * page shows). */
#pragma once

#include "wizard/window.h"
#include "wizard/wzmodel.h"

#include "core/catalog.h"
#include "core/plan.h"
#include "core/system.h"

struct _CupWizardWindow {
  GtkApplicationWindow parent;

  /* template children (wizard/ui/window.ui) */
  GtkButton *back_button, *next_button, *cancel_button;
  GtkStack *stack;
  GtkDropDown *language_dropdown;
  GtkBox *computer_box, *plan_box;
  GtkCheckButton *pytorch_check, *tensorflow_check, *cuda_check;
  GtkDropDown *version_dropdown, *scope_dropdown;
  GtkEntry *python_entry, *cuda_entry, *cudnn_entry, *prefix_entry, *mirror_entry, *offline_entry;
  GtkLabel *fit_label;
  GtkExpander *advanced_expander;

  CupWizardConfig config;
  CupCatalog *catalog; /* NULL when it did not load (catalog_error says why) */
  GError *catalog_error;
  CupSystem *system; /* NULL when detection failed (system_error) */
  GError *system_error;
  GStrv versions; /* what version_dropdown lists */
  CupPlan *plan;  /* the plan shown, NULL when none fits */
  gboolean is_admin;
};

/* pages.c */
void wz_page_computer_fill(CupWizardWindow *win);
void wz_page_choose_fill_versions(CupWizardWindow *win);
void wz_page_choose_read(CupWizardWindow *win, WzChoices *c);
void wz_page_plan_fill(CupWizardWindow *win);
/* A wrapped, left-aligned label appended to @box; @css_class may be NULL. */
GtkWidget *wz_add_label(GtkBox *box, const char *text, const char *css_class);
