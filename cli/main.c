/* main.c - the cudaup command line: global options, subcommand dispatch, --help, --version. */
#include "cli/cli.h"

#include "core/error.h"
#include "core/i18n.h"
#include "core/log.h"
#include "cudaup-config.h"

#include <jansson.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#ifdef G_OS_WIN32
#include <windows.h> /* SetConsoleOutputCP */
#endif

typedef struct {
  const char *name;
  const char *summary;
  int (*run)(CliGlobals *globals, int argc, char **argv);
} Command;

static const Command commands[] = {
    {"detect", N_("show the NVIDIA GPUs, driver, CUDA toolkits and cuDNN on this machine"),
     cli_detect},
    {"plan", N_("choose the driver, CUDA Toolkit, cuDNN and framework build that fit"), cli_plan},
    {"fetch", N_("download and verify the archives a plan needs into the cache"), cli_fetch},
    {"install", N_("download, verify and install what the plan needs, then prove it works"),
     cli_install},
    {"uninstall", N_("take back what cudaup installed into a toolkit root"), cli_uninstall},
    {"env", N_("show, apply or remove the environment of the default CUDA toolkit"), cli_env},
    {"list", N_("show what the catalog knows: gpus, cuda, cudnn, drivers, frameworks"), cli_list},
    {"verify", N_("prove that a CUDA toolkit works: driver, libraries, nvcc, shells"), cli_verify},
    {"doctor", N_("find out why the GPU is not used, and how to fix it"), cli_doctor},
};

const GOptionEntry *cli_global_entries(CliGlobals *g)
{
  static GOptionEntry entries[7];
  const GOptionEntry table[] = {
      {"root", 0, 0, G_OPTION_ARG_FILENAME, &g->root,
       N_("Read every system path under DIR (for tests and offline inspection)"), "DIR"},
      {"catalog", 0, 0, G_OPTION_ARG_FILENAME, &g->catalog, N_("Use the manifests in DIR"), "DIR"},
      {"log", 0, 0, G_OPTION_ARG_FILENAME, &g->log, N_("Write the log to FILE"), "FILE"},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &g->verbose, N_("Also log to stderr"), NULL},
      {"no-color", 0, 0, G_OPTION_ARG_NONE, &g->no_color, N_("Do not colour the output"), NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &g->json, N_("Print the result as stable JSON"), NULL},
      G_OPTION_ENTRY_NULL,
  };
  memcpy(entries, table, sizeof table);
  return entries;
}

int cli_fail(const CliGlobals *g, const GError *error)
{
  CupErrorCode code = error->domain == CUP_ERROR ? (CupErrorCode)error->code : CUP_ERROR_INTERNAL;
  if (error->domain == G_OPTION_ERROR)
    code = CUP_ERROR_USAGE;
  g_info("error (%s): %s", cup_error_code_id(code), error->message);
  if (g && g->json) {
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", cup_error_code_id(code), "message",
                          error->message);
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
  } else {
    fprintf(stderr, _("cudaup: error: %s\n"), error->message);
  }
  return cup_error_exit_code(error);
}

gboolean cli_parse(CliGlobals *g, const char *command, const char *summary, const char *positional,
                   const GOptionEntry *entries, int *argc, char ***argv, GError **error)
{
  g_autofree char *param = g_strdup_printf("%s - %s", command, _(summary));
  g_autoptr(GOptionContext) ctx = g_option_context_new(positional);
  g_option_context_set_summary(ctx, param);
  if (entries)
    g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
  /* GOption translates the descriptions (N_() in the tables) when --help shows them */
  g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
  GOptionGroup *global = g_option_group_new("global", _("Options of every command:"),
                                            _("Show the options of every command"), NULL, NULL);
  g_option_group_set_translation_domain(global, GETTEXT_PACKAGE);
  g_option_group_add_entries(global, cli_global_entries(g));
  g_option_context_add_group(ctx, global);
  g_option_context_set_help_enabled(ctx, TRUE);
  g_autoptr(GError) local = NULL;
#ifdef G_OS_WIN32
  /* Our argv is UTF-8 (main); g_option_context_parse would read it as the ANSI code page. The
   * copy stays alive with the arguments the command keeps pointing into. */
  static GStrv utf8_args;
  utf8_args = g_strdupv(*argv);
  gboolean parsed = g_option_context_parse_strv(ctx, &utf8_args, &local);
  *argv = utf8_args;
  *argc = (int)g_strv_length(utf8_args);
#else
  gboolean parsed = g_option_context_parse(ctx, argc, argv, &local);
#endif
  if (!parsed) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE, _("%s; run 'cudaup %s --help' for the options"),
                local->message, command);
    return FALSE;
  }
  if (*argc > (positional ? 2 : 1)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("unexpected argument '%s'; run 'cudaup %s --help' for the options"),
                (*argv)[positional ? 2 : 1], command);
    return FALSE;
  }
  if (!cup_log_setup(g->log, g->verbose, error))
    return FALSE;
  g_info("cudaup %s %s", CUDAUP_VERSION, command);
  return TRUE;
}

static void print_help(void)
{
  g_autofree char *codes = cup_error_describe_exit_codes();
  printf(_("Usage: cudaup COMMAND [OPTIONS]\n\n"
           "cudaup sets up an NVIDIA deep-learning machine: GPU, driver, CUDA Toolkit, cuDNN.\n\n"
           "Commands:\n"));
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    printf("  %-10s %s\n", commands[i].name, _(commands[i].summary));
  printf(_("\nRun 'cudaup COMMAND --help' for a command's options.\n"
           "Global options: --root DIR, --catalog DIR, --log FILE, --verbose, --no-color, --json\n"
           "\nExit codes:\n%s"),
         codes);
}

/* The command is the first argument that is neither an option nor the value of a global
 * option that takes one, so `cudaup --root DIR detect` works as well as `cudaup detect
 * --root DIR`. */
static int find_command(int argc, char **argv)
{
  static const char *const with_value[] = {"--root", "--catalog", "--log"};
  for (int i = 1; i < argc; i++) {
    gboolean takes_value = FALSE;
    if (argv[i][0] != '-')
      return i;
    for (gsize k = 0; k < G_N_ELEMENTS(with_value); k++)
      takes_value = takes_value || strcmp(argv[i], with_value[k]) == 0;
    if (takes_value)
      i++;
  }
  return -1;
}

static int run_command(int argc, char **argv, int at)
{
  CliGlobals globals = {0};
  g_autoptr(GError) error = NULL;
  const char *name = argv[at];
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
    if (strcmp(commands[i].name, name) != 0)
      continue;
    /* Hand the command its arguments with the command word removed. */
    g_autofree char **args = g_new0(char *, argc);
    int n = 0;
    for (int k = 0; k < argc; k++)
      if (k != at)
        args[n++] = argv[k];
    int rc = commands[i].run(&globals, n, args);
    g_free(globals.root);
    g_free(globals.catalog);
    g_free(globals.log);
    return rc;
  }
  g_set_error(&error, CUP_ERROR, CUP_ERROR_USAGE,
              _("unknown command '%s'; run 'cudaup --help' for the list of commands"), name);
  return cli_fail(NULL, error);
}

int main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  cup_i18n_init();
#ifdef G_OS_WIN32
  /* main's argv is in the ANSI code page, which cannot hold every name (a Korean folder on an
   * English system); GLib gives the command line as UTF-8. Output is UTF-8 too. */
  g_auto(GStrv) utf8_argv = g_win32_get_command_line();
  argv = utf8_argv;
  argc = (int)g_strv_length(utf8_argv);
  SetConsoleOutputCP(CP_UTF8);
#endif
  int at = find_command(argc, argv);
  for (int i = 1; i < argc && (at < 0 || i < at); i++) {
    if (strcmp(argv[i], "--version") == 0) {
      printf("cudaup %s\n", CUDAUP_VERSION);
      return 0;
    }
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      print_help();
      return 0;
    }
  }
  if (at < 0) {
    print_help();
    return cup_error_exit_code_for(CUP_ERROR_USAGE);
  }
  return run_command(argc, argv, at);
}
