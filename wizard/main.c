/* main.c - cudaup-wizard: the GTK 4 front end of cudaup (DESIGN.md section 3). With --silent
 * it opens no display: it runs `cudaup install --silent [--answers FILE]`, the same unattended
 * install, and exits with its exit code. */
#include "wizard/window.h"
#include "wizard/wzanswers.h"

#include "core/error.h"
#include "core/i18n.h"

#include <locale.h>
#include <stdio.h>

static CupWizardConfig config;
static gboolean silent;
static char *answers;
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

/* Runs before GTK opens the display (startup), so --silent works with no display at all. */
static int run_silent(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cli = wz_silent_cli_path(&error);
  if (cli == NULL) {
    fprintf(stderr, "cudaup-wizard: %s\n", error->message);
    return cup_error_exit_code(error);
  }
  g_autofree char *root = config.root ? g_strconcat("--root=", config.root, NULL) : NULL;
  g_autofree char *catalog =
      config.catalog ? g_strconcat("--catalog=", config.catalog, NULL) : NULL;
  const char *globals[] = {root ? root : catalog, root ? catalog : NULL, NULL};
  g_auto(GStrv) argv = wz_silent_argv(cli, globals, answers);
  return wz_silent_run((const char *const *)argv);
}

static int on_local_options(GApplication *app, GVariantDict *options, gpointer data)
{
  (void)app, (void)options, (void)data;
  if (silent)
    return run_silent();
  if (answers) {
    fprintf(stderr, "cudaup-wizard: %s\n",
            _("--answers is read by --silent only; add --silent, or leave --answers out to "
              "choose in the window"));
    return cup_error_exit_code_for(CUP_ERROR_USAGE);
  }
  return -1; /* go on: open the window */
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
      {"silent", 0, 0, G_OPTION_ARG_NONE, &silent,
       N_("Open no window: run the unattended install (cudaup install --silent)"), NULL},
      {"answers", 0, 0, G_OPTION_ARG_FILENAME, &answers,
       N_("With --silent: take the choices from this answers file (\"Save answers…\")"), "FILE"},
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
  g_signal_connect(app, "handle-local-options", G_CALLBACK(on_local_options), NULL);
  g_signal_connect(app, "activate", G_CALLBACK(on_activate), NULL);
  int status = g_application_run(G_APPLICATION(app), argc, argv);
  cup_wizard_config_clear(&config);
  g_free(answers);
  return status;
}
