/* mirror_tool.c - serve the install mirror (tests/support/installmirror.h) over HTTPS on
 * 127.0.0.1 for the length of one command.
 *
 *   mirror_tool [--manifests DIR] [--cuda-root DIR] [--cache DIR] -- COMMAND [ARGS...]
 *
 * Gets the mirror (building it into the cache first when there is no valid copy; a line on
 * stderr says so and how long it took), makes a throwaway CA, starts nginx serving the mirror
 * root, and runs COMMAND with these in its environment:
 *   CUDAUP_MIRROR_URL      https://127.0.0.1:PORT (no trailing slash), for --mirror
 *   CUDAUP_MIRROR_CA       the CA certificate (PEM) that signed nginx's, for --cacert
 *   CUDAUP_MIRROR_CATALOG  the test catalog directory, for `cudaup --catalog`
 *   CUDAUP_MIRROR_ROOT     the mirror's files on disk
 * Then it stops nginx, removes the CA and exits with COMMAND's exit status (128 + N when a
 * signal N ended it). SIGINT, SIGTERM and SIGHUP are passed on to COMMAND.
 * Exit 77 (the usual "skipped") when there is no toolkit to build the mirror from, 2 for a bad
 * command line, 1 for any other failure of the tool itself.
 */
#include "core/error.h"
#include "tests/support/installmirror.h"
#include "tests/support/nginx.h"
#include "tests/support/tlsca.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#define EXIT_SKIPPED 77

typedef struct {
  GMainLoop *loop;
  GPid pid;
  int status;
} Run;

static gboolean forward_signal(gpointer data, int signum)
{
  Run *run = data;
  kill(run->pid, signum);
  return G_SOURCE_CONTINUE;
}

static gboolean forward_sigint(gpointer data)
{
  return forward_signal(data, SIGINT);
}

static gboolean forward_sigterm(gpointer data)
{
  return forward_signal(data, SIGTERM);
}

static gboolean forward_sighup(gpointer data)
{
  return forward_signal(data, SIGHUP);
}

static void child_exited(GPid pid, int status, gpointer data)
{
  Run *run = data;
  run->status = status;
  g_spawn_close_pid(pid);
  g_main_loop_quit(run->loop);
}

/* Runs @argv with @envp; its exit status in the shell's form. */
static int run_command(char **argv, char **envp)
{
  g_autoptr(GError) error = NULL;
  Run run = {g_main_loop_new(NULL, FALSE), 0, 0};
  GSpawnFlags flags =
      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN;
  if (!g_spawn_async(NULL, argv, envp, flags, NULL, NULL, &run.pid, &error)) {
    fprintf(stderr, "mirror_tool: cannot run %s: %s\n", argv[0], error->message);
    g_main_loop_unref(run.loop);
    return 127;
  }
  guint sources[] = {g_unix_signal_add(SIGINT, forward_sigint, &run),
                     g_unix_signal_add(SIGTERM, forward_sigterm, &run),
                     g_unix_signal_add(SIGHUP, forward_sighup, &run)};
  g_child_watch_add(run.pid, child_exited, &run);
  g_main_loop_run(run.loop);
  for (gsize i = 0; i < G_N_ELEMENTS(sources); i++)
    g_source_remove(sources[i]);
  g_main_loop_unref(run.loop);
  if (WIFSIGNALED(run.status))
    return 128 + WTERMSIG(run.status);
  return WIFEXITED(run.status) ? WEXITSTATUS(run.status) : 1;
}

static int serve(const CupTestInstallMirror *mirror, char **command)
{
  g_autofree char *why = NULL;
  if (!cup_test_nginx_available(&why)) {
    fprintf(stderr, "mirror_tool: %s\n", why);
    return EXIT_SKIPPED;
  }
  g_autoptr(CupTestCa) ca = cup_test_ca_new();
  g_autoptr(CupTestNginx) nginx = cup_test_nginx_start(mirror->root, ca);
  char **envp = g_get_environ();
  envp = g_environ_setenv(envp, "CUDAUP_MIRROR_URL", cup_test_nginx_url(nginx), TRUE);
  envp = g_environ_setenv(envp, "CUDAUP_MIRROR_CA", ca->ca_cert, TRUE);
  envp = g_environ_setenv(envp, "CUDAUP_MIRROR_CATALOG", mirror->catalog, TRUE);
  envp = g_environ_setenv(envp, "CUDAUP_MIRROR_ROOT", mirror->root, TRUE);
  int status = run_command(command, envp);
  g_strfreev(envp);
  return status;
}

int main(int argc, char **argv)
{
  g_autofree char *manifests = NULL, *cuda_root = NULL, *cache = NULL;
  g_auto(GStrv) command = NULL;
  GOptionEntry entries[] = {
      {"manifests", 0, 0, G_OPTION_ARG_FILENAME, &manifests,
       "The project's manifests/ (default: the source tree's)", "DIR"},
      {"cuda-root", 0, 0, G_OPTION_ARG_FILENAME, &cuda_root,
       "Build from the toolkit here (default: /usr/local/cuda)", "DIR"},
      {"cache", 0, 0, G_OPTION_ARG_FILENAME, &cache,
       "Cache directory (default: $" CUP_TEST_INSTALL_MIRROR_CACHE_ENV
       ", else ~/.cache/cudaup-test-mirror)",
       "DIR"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &command, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  g_autoptr(GOptionContext) context = g_option_context_new("-- COMMAND [ARGS...]");
  g_option_context_set_summary(context, "Serve the install mirror over HTTPS on 127.0.0.1 while "
                                        "COMMAND runs (CUDAUP_MIRROR_URL, CUDAUP_MIRROR_CA, "
                                        "CUDAUP_MIRROR_CATALOG, CUDAUP_MIRROR_ROOT).");
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || command == NULL) {
    fprintf(stderr, "mirror_tool: %s\nusage: mirror_tool [--manifests DIR] -- COMMAND [ARGS...]\n",
            error ? error->message : "no COMMAND given");
    return 2;
  }
  CupTestInstallMirrorOptions options = {.cuda_root = cuda_root, .cache_dir = cache};
  g_autoptr(CupTestInstallMirror) mirror = cup_test_install_mirror_get_with(
      &options, manifests ? manifests : CUP_TEST_MANIFESTS, &error);
  if (mirror == NULL) {
    fprintf(stderr, "mirror_tool: %s\n", error->message);
    return g_error_matches(error, CUP_ERROR, CUP_ERROR_NOT_FOUND) ? EXIT_SKIPPED : 1;
  }
  return serve(mirror, command);
}
