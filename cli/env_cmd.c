/* env_cmd.c - `cudaup env show|apply|remove [--cuda X.Y] [--prefix DIR] [--scope user|system]
 * [--dry-run]`: which toolkit a new terminal finds, made so (core/envset and core/winpath
 * decide, the platform store writes: profile files on Linux, the registry on Windows) or taken
 * away exactly. */
#include "core/i18n.h"
#include "cli/env_apply.h"
#include "cli/selectors.h"

#include "core/error.h"
#include "core/toolkit.h"
#include "core/version.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  char *cuda, *prefix, *scope;
  gboolean dry_run, set_default;
} EnvArgs;

/* The toolkit to make the default: --prefix DIR, else the detected one of --cuda X.Y, else the
 * newest detected. Its root and CUDA X.Y are returned. */
static gboolean pick_toolkit(const CliGlobals *g, const EnvArgs *a, char **root, char **cuda,
                             GError **error)
{
  g_auto(GStrv) env = cli_toolkit_environ(a->prefix);
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(g->root, (const char *const *)env, NULL);
  const CupToolkit *t = cli_toolkit_pick(toolkits, g->root, a->prefix, a->cuda);
  if (t != NULL) {
    *root = g_strdup(t->root);
    *cuda = cup_major_minor(t->version);
    return TRUE;
  }
  g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
              _("no CUDA toolkit%s%s%s%s was found; install one with 'cudaup install', or name its "
                "root with --prefix DIR"),
              a->cuda ? " " : "", a->cuda ? a->cuda : "", a->prefix ? _(" at ") : "",
              a->prefix ? a->prefix : "");
  return FALSE;
}

/* --set-default: the "cuda" link beside the root follows the default (/usr/local/cuda). */
static void set_default_link(const char *root, gboolean dry_run, GError **error)
{
  if (dry_run) {
    g_autofree char *link = cup_toolkit_default_link(root);
    printf(_("  would point %s at %s\n"), link, root);
    return;
  }
  g_autofree char *link = cup_toolkit_set_default(root, error);
  if (link != NULL)
    printf(_("  %s now points at %s\n"), link, root);
}

static int run_env(CliGlobals *g, const char *action, const EnvArgs *a)
{
  g_autoptr(GError) error = NULL;
  CupEnvScope scope;
  if (!cli_env_parse_scope(a->scope, &scope, &error))
    return cli_fail(g, error);
  if (strcmp(action, "show") == 0) {
    g_autoptr(CupEnvState) state = cli_env_show(g, scope, &error);
    if (state == NULL)
      return cli_fail(g, error);
    cli_env_print_state(state);
    return 0;
  }
  g_autoptr(CupEnvChange) change = NULL;
  g_autofree char *root = NULL, *cuda = NULL;
  if (strcmp(action, "apply") != 0)
    change = cli_env_remove(g, scope, a->dry_run, &error);
  else if (pick_toolkit(g, a, &root, &cuda, &error))
    change = cli_env_apply(g, root, cuda, scope, a->dry_run, NULL, &error);
  if (change != NULL)
    cli_env_print_change(change, a->dry_run);
  if (error == NULL && root != NULL && a->set_default)
    set_default_link(root, a->dry_run, &error);
  return error ? cli_fail(g, error) : 0;
}

int cli_env(CliGlobals *g, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  EnvArgs a = {0};
  const GOptionEntry entries[] = {
      {"cuda", 0, 0, G_OPTION_ARG_STRING, &a.cuda, N_("The toolkit of this CUDA version"), "X.Y"},
      {"prefix", 0, 0, G_OPTION_ARG_FILENAME, &a.prefix, N_("The toolkit at this root"), "DIR"},
      {"scope", 0, 0, G_OPTION_ARG_STRING, &a.scope,
       N_("user (your profile files; Windows: HKCU) or system (every user; root or administrator); "
          "default: system as root or administrator"),
       "SCOPE"},
      {"dry-run", 0, 0, G_OPTION_ARG_NONE, &a.dry_run, N_("Print the exact edits; change nothing"),
       NULL},
      {"set-default", 0, 0, G_OPTION_ARG_NONE, &a.set_default,
       N_("apply: also point the 'cuda' link beside the toolkit (/usr/local/cuda) at it"), NULL},
      G_OPTION_ENTRY_NULL,
  };
  int rc;
  if (!cli_parse(g, "env", N_("show, apply or remove the environment of the default CUDA toolkit"),
                 "show|apply|remove", entries, &argc, &argv, &error)) {
    rc = cli_fail(g, error);
  } else if (argc != 2 || (strcmp(argv[1], "show") != 0 && strcmp(argv[1], "apply") != 0 &&
                           strcmp(argv[1], "remove") != 0)) {
    g_set_error(&error, CUP_ERROR, CUP_ERROR_USAGE,
                _("cudaup env: say show, apply or remove (e.g. 'cudaup env apply --cuda 12.1')"));
    rc = cli_fail(g, error);
  } else {
    rc = run_env(g, argv[1], &a);
  }
  g_free(a.cuda), g_free(a.prefix), g_free(a.scope);
  return rc;
}
