/* gtk_window_bench.c - the baseline of bench/wizard_start.sh: a GtkApplication that opens one
 * empty 800x600 GtkWindow and quits as soon as it is mapped, printing the milliseconds from
 * main() to then, as cudaup-wizard does under CUDAUP_WIZARD_EXIT_ON_MAP=1. What the wizard
 * takes beyond this is its own work (detection, catalog, the template). */
#include <gtk/gtk.h>

static gint64 started;

static void on_mapped(GtkWidget *win, GApplication *app)
{
  (void)win;
  g_print("gtk_window_bench: first window mapped %.1f ms after start\n",
          (double)(g_get_monotonic_time() - started) / 1000.0);
  g_application_quit(app);
}

static void on_activate(GApplication *app, gpointer data)
{
  (void)data;
  GtkWidget *win = gtk_application_window_new(GTK_APPLICATION(app));
  gtk_window_set_default_size(GTK_WINDOW(win), 800, 600);
  g_signal_connect_after(win, "map", G_CALLBACK(on_mapped), app);
  gtk_window_present(GTK_WINDOW(win));
}

int main(int argc, char **argv)
{
  started = g_get_monotonic_time();
  g_autoptr(GtkApplication) app =
      gtk_application_new("io.github.cudaup.WindowBench", G_APPLICATION_NON_UNIQUE);
  g_signal_connect(app, "activate", G_CALLBACK(on_activate), NULL);
  return g_application_run(G_APPLICATION(app), argc, argv);
}
