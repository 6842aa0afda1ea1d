/* window_private.h - the window's state, shared by window.c (navigation) and pages.c (what each
 * page shows). */
#pragma once

#include "wizard/window.h"
#include "wizard/wzmodel.h"
#include "wizard/wzrun.h"

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
  GtkBox *install_box, *done_box;
  GtkGrid *install_grid;
  GtkExpander *log_expander;
  GtkTextView *log_view;

  CupWizardConfig config;
  CupCatalog *catalog; /* NULL when it did not load (catalog_error says why) */
  GError *catalog_error;
  CupSystem *system; /* NULL when detection failed (system_error) */
  GError *system_error;
  GStrv versions; /* what version_dropdown lists */
  CupPlan *plan;  /* the plan shown, NULL when none fits */
  gboolean is_admin;
  gboolean facts_ready;            /* catalog and system (or their errors) are in (facts.c) */
  GCancellable *facts_cancellable; /* while they are gathered */

  /* the install (page_install.c) and its outcome (page_done.c) */
  GCancellable *cancellable; /* non-NULL while an install runs */
  GtkLabel *stage_state[WZ_N_STAGES];
  GtkProgressBar *stage_bar[WZ_N_STAGES];
  WzRunOutcome *outcome;        /* the last install's, NULL when none or failed */
  GError *install_error;        /* the last install's failure (not a cancel), or NULL */
  char *log_path;               /* the install's log file */
  char *plan_note;              /* one line the plan page shows first ("cancelled..."), or NULL */
  gboolean user_scope;          /* the scope of the plan shown */
  gboolean close_after_install; /* closed while installing: goes once the run is over */
};

/* pages.c */
void wz_page_computer_fill(CupWizardWindow *win);
/* facts.c: load the catalog and detect the machine in a worker; the page "Your computer" says
 * it is looking until then, and fills (wz_page_computer_fill) when they are in. */
void wz_facts_start(CupWizardWindow *win);
void wz_page_choose_fill_versions(CupWizardWindow *win);
void wz_page_choose_read(CupWizardWindow *win, WzChoices *c);
void wz_page_plan_fill(CupWizardWindow *win);
/* page_answers.c: the "Save answers…" button and its status line, appended to @box. */
void wz_page_plan_add_save(CupWizardWindow *win, GtkBox *box);
/* window.c: show page @name ("plan", "done") with its buttons. */
void wz_show_page(CupWizardWindow *win, const char *name);
/* Back and Next as the page shown and a running install allow. */
void wz_update_buttons(CupWizardWindow *win);
/* Empty @box. */
void wz_clear_box(GtkBox *box);

/* page_install.c: start installing win->plan (the Install page is shown); Cancel while it
 * runs cancels it. */
void wz_page_install_start(CupWizardWindow *win);
void wz_page_install_cancel(CupWizardWindow *win);

/* page_done.c: the Done page for win->outcome, or the error page for win->install_error. */
void wz_page_done_fill(CupWizardWindow *win);

/* A wrapped, left-aligned label appended to @box; @css_class may be NULL. */
GtkWidget *wz_add_label(GtkBox *box, const char *text, const char *css_class);
