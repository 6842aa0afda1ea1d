/* facts.c - what the window knows about the machine: the catalog and detection, gathered in a
 * worker thread so the window shows at once. Detection may run nvidia-smi, which waits up to
 * its timeout (10 s) on a driver that hangs; meanwhile the page "Your computer" says it is
 * looking and its Next waits. */
#include "wizard/window_private.h"

#include "core/cache.h"
#include "core/detect.h"
#include "core/i18n.h"

#ifdef G_OS_UNIX
#include <unistd.h>
#endif

typedef struct {
  CupWizardConfig config; /* a copy: the window may go away first */
  CupCatalog *catalog;
  GError *catalog_error;
  CupSystem *system;
  GError *system_error;
} Facts;

static void facts_free(gpointer data)
{
  Facts *f = data;
  cup_wizard_config_clear(&f->config);
  g_clear_pointer(&f->catalog, cup_catalog_free);
  g_clear_error(&f->catalog_error);
  g_clear_pointer(&f->system, cup_system_free);
  g_clear_error(&f->system_error);
  g_free(f);
}

static void gather(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  (void)source, (void)cancellable;
  Facts *f = data;
  /* The redistrib manifests an earlier install downloaded are in the cache (wzrun_manifests.c):
   * read them too, as the CLI does. A cache that cannot be opened is the install's to report. */
  g_autofree char *cache_dir =
      f->config.cache ? g_strdup(f->config.cache) : cup_cache_default_dir();
  g_autoptr(CupCache) cache = cup_cache_open(cache_dir, NULL);
  f->catalog = cup_catalog_load(f->config.catalog, cache ? cup_cache_manifests_dir(cache) : NULL,
                                &f->catalog_error);
  CupDetectOptions o = {.root = f->config.root,
                        .manifests_dir = f->config.catalog,
                        .pci_ids_path = f->config.pci_ids,
                        .gpu_table = f->catalog ? f->catalog->gpus : NULL};
  f->system = cup_detect(&o, &f->system_error);
  g_task_return_boolean(task, TRUE);
}

static void gathered(GObject *source, GAsyncResult *result, gpointer data)
{
  (void)data;
  CupWizardWindow *win = CUP_WIZARD_WINDOW(source);
  Facts *f = g_task_get_task_data(G_TASK(result));
  if (g_cancellable_is_cancelled(g_task_get_cancellable(G_TASK(result))))
    return; /* the window was closed or rebuilt for another language */
  win->catalog = g_steal_pointer(&f->catalog);
  win->catalog_error = g_steal_pointer(&f->catalog_error);
  win->system = g_steal_pointer(&f->system);
  win->system_error = g_steal_pointer(&f->system_error);
  win->facts_ready = TRUE;
  g_clear_object(&win->facts_cancellable);
  wz_page_computer_fill(win);
  wz_update_buttons(win);
}

void wz_facts_start(CupWizardWindow *win)
{
  Facts *f = g_new0(Facts, 1);
  const CupWizardConfig *c = &win->config;
  f->config = (CupWizardConfig){.root = g_strdup(c->root),
                                .catalog = g_strdup(c->catalog),
                                .pci_ids = g_strdup(c->pci_ids),
                                .cache = g_strdup(c->cache),
                                .cacert = g_strdup(c->cacert)};
#ifdef G_OS_UNIX
  win->is_admin = geteuid() == 0;
#endif
  win->facts_cancellable = g_cancellable_new();
  g_autoptr(GTask) task = g_task_new(win, win->facts_cancellable, gathered, NULL);
  g_task_set_task_data(task, f, facts_free);
  g_task_set_check_cancellable(task, FALSE); /* gathered() drops a cancelled result itself */
  g_task_run_in_thread(task, gather);
  wz_clear_box(win->computer_box);
  wz_add_label(win->computer_box, _("Your computer"), "title-2");
  GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *spinner = gtk_spinner_new();
  gtk_spinner_start(GTK_SPINNER(spinner));
  gtk_box_append(GTK_BOX(row), spinner);
  gtk_box_append(GTK_BOX(row), gtk_label_new(_("Looking at your computer…")));
  gtk_box_append(win->computer_box, row);
}

gboolean cup_wizard_window_is_ready(CupWizardWindow *win)
{
  return win->facts_ready;
}
