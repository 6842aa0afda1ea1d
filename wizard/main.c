/* main.c - cudaup-wizard: the GTK 4 front end of cudaup (DESIGN.md section 3). */
#include "wizard/window.h"

#include "core/i18n.h"

#include <locale.h>

static CupWizardConfig config;
static gint64 started;

/* CUDAUP_WIZARD_EXIT_ON_MAP=1 (bench/wizard_start.sh, not for users): print the milliseconds
 * from main() to the first window mapped, then quit. */
static void on_mapped(GtkWidget *win, GApplication *app)
{
  (void)win;
  g_print("cudaup-wizard: first window mapped %.1f ms after start\n",
          (double)(g_get_monotonic_time() - started) / 1000.0);
  g_application_quit(app);
}

static void on_activate(GApplication *app, gpointer data)
{
  (void)data;
  CupWizardWindow *win = cup_wizard_window_new(GTK_APPLICATION(app), &config);
  if (g_strcmp0(g_getenv("CUDAUP_WIZARD_EXIT_ON_MAP"), "1") == 0)
    g_signal_connect_after(win, "map", G_CALLBACK(on_mapped), app);
  gtk_window_present(GTK_WINDOW(win));
}

int main(int argc, char **argv)
{
  started = g_get_monotonic_time();
  setlocale(LC_ALL, "");
  cup_i18n_init();
  const GOptionEntry entries[] = {
      {"root", 0, 0, G_OPTION_ARG_FILENAME, &config.root,
       N_("Look at the system under this directory (for tests)"), "DIR"},
      {"catalog", 0, 0, G_OPTION_ARG_FILENAME, &config.catalog,
       N_("Read the compatibility data from this manifests/ directory"), "DIR"},
      {"pci-ids", 0, 0, G_OPTION_ARG_FILENAME, &config.pci_ids,
       N_("Name GPUs from this pci.ids file"), "FILE"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GtkApplication) app =
      gtk_application_new("io.github.cudaup.Wizard", G_APPLICATION_NON_UNIQUE);
  g_application_add_main_option_entries(G_APPLICATION(app), entries);
  g_application_set_option_context_parameter_string(G_APPLICATION(app), NULL);
  g_signal_connect(app, "activate", G_CALLBACK(on_activate), NULL);
  int status = g_application_run(G_APPLICATION(app), argc, argv);
  cup_wizard_config_clear(&config);
  return status;
}
