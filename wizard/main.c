/* main.c - cudaup-wizard: the GTK 4 front end of cudaup (DESIGN.md section 3). */
#include "wizard/window.h"

#include "core/i18n.h"

#include <locale.h>

static CupWizardConfig config;

static void on_activate(GApplication *app, gpointer data)
{
  (void)data;
  CupWizardWindow *win = cup_wizard_window_new(GTK_APPLICATION(app), &config);
  gtk_window_present(GTK_WINDOW(win));
}

int main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  cup_i18n_init();
  const GOptionEntry entries[] = {
      {"root", 0, 0, G_OPTION_ARG_FILENAME, &config.root,
       N_("Look at the system under this directory (for tests)"), "DIR"},
      {"catalog", 0, 0, G_OPTION_ARG_FILENAME, &config.catalog,
       N_("Read the compatibility data from this manifests/ directory"), "DIR"},
      {"pci-ids", 0, 0, G_OPTION_ARG_FILENAME, &config.pci_ids,
       N_("Name GPUs from this pci.ids file"), "FILE"},
      {"cache", 0, 0, G_OPTION_ARG_FILENAME, &config.cache, N_("Keep downloads in this directory"),
       "DIR"},
      {"cacert", 0, 0, G_OPTION_ARG_FILENAME, &config.cacert,
       N_("Trust the mirror's certificate through this CA bundle"), "FILE"},
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
