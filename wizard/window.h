/* window.h - the wizard's one window: a header bar with Back / Next / Cancel over a GtkStack of
 * the pages "welcome", "computer", "choose", "plan", "install" and "done" (wizard/ui/window.ui).
 * The window gathers choices and renders what core reports; it computes nothing itself. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Where the wizard looks at the machine and the catalog (the command line's --root, ...). */
typedef struct {
  char *root;    /* every system path is taken under it; NULL: "/" */
  char *catalog; /* manifests/ directory; NULL: cup_manifests_dir(NULL) */
  char *pci_ids; /* pci.ids to name GPUs with; NULL: the usual places under the root */
  char *cache;   /* download cache; NULL: cup_cache_default_dir() */
  char *cacert;  /* CA bundle for the mirror; NULL: the system store */
} CupWizardConfig;

/** cup_wizard_config_clear: free every string of @c and zero it. */
void cup_wizard_config_clear(CupWizardConfig *c);

#define CUP_TYPE_WIZARD_WINDOW (cup_wizard_window_get_type())
G_DECLARE_FINAL_TYPE(CupWizardWindow, cup_wizard_window, CUP, WIZARD_WINDOW, GtkApplicationWindow)

/**
 * cup_wizard_window_new: a new window for @app (may be NULL in tests) showing the Welcome page
 * at once, while the catalog is loaded and the machine of @config (copied) detected in a
 * worker thread (nvidia-smi may take up to its 10 s timeout on a hung driver). Until then the
 * page "Your computer" says it is looking and its Next waits. A catalog that does not load is
 * shown on that page, and Next stops there.
 */
CupWizardWindow *cup_wizard_window_new(GtkApplication *app, const CupWizardConfig *config);

/** cup_wizard_window_is_ready: whether the catalog and detection are in (or failed). */
gboolean cup_wizard_window_is_ready(CupWizardWindow *win);

/** cup_wizard_window_page: the name of the visible page ("welcome", ...). Not copied. */
const char *cup_wizard_window_page(CupWizardWindow *win);

/**
 * cup_wizard_window_save_answers: what "Save answers…" does once a file is chosen: write the
 * choices of the page "What do you want to run" to @file as an answers file for `cudaup
 * install --silent --answers FILE` (wizard/wzanswers.h). Errors: wz_answers_save's
 * (CUP_ERROR_USAGE, CUP_ERROR_IO).
 */
gboolean cup_wizard_window_save_answers(CupWizardWindow *win, const char *file, GError **error);

G_END_DECLS
