/* verify_cmd.c - `cudaup verify [--prefix DIR] [--python EXE] [--json]`: prove that a toolkit works
 * on this machine (core/verify) and show each check with its evidence and fix. The toolkit is the
 * one at --prefix, else the default cudaup made (`cudaup env apply`), else the one the environment
 * points at (CUDA_PATH, CUDA_HOME, PATH...), else the newest installed. */
#include "cli/cli.h"
#include "cli/selectors.h"

#include "core/catalog.h"
#include "core/detect.h"
#include "core/error.h"
#include "core/i18n.h"
#include "core/toolkit.h"
#include "core/verify.h"

#ifndef G_OS_WIN32
#include "cli/env_apply.h"
#endif

#include <stdio.h>
#include <string.h>

typedef struct {
  char *prefix, *python;
} VerifyArgs;

/* The root of the default toolkit `cudaup env apply` set (user scope first), or NULL. */
static char *cudaup_default_root(const CliGlobals *g)
{
#ifndef G_OS_WIN32
  const CupEnvScope scopes[] = {CUP_ENV_SCOPE_USER, CUP_ENV_SCOPE_SYSTEM};
  for (guint i = 0; i < G_N_ELEMENTS(scopes); i++) {
    g_autoptr(CupEnvState) state = cli_env_show(g, scopes[i], NULL);
    if (state != NULL && state->toolkit_root != NULL)
      return g_strdup(state->toolkit_root);
  }
#else
  (void)g;
#endif
  return NULL;
}

/* A toolkit the environment points at (found other than in a default location). */
static const CupToolkit *from_environment(const GPtrArray *toolkits)
{
  for (guint i = 0; i < toolkits->len; i++) {
    const CupToolkit *t = g_ptr_array_index(toolkits, i);
    for (guint k = 0; t->version && k < t->found_via->len; k++)
      if (strcmp(g_ptr_array_index(t->found_via, k), CUP_FOUND_VIA_DEFAULT) != 0)
        return t;
  }
  return NULL;
}

static const CupToolkit *pick_toolkit(const CliGlobals *g, const VerifyArgs *a,
                                      const GPtrArray *toolkits, GError **error)
{
  const CupToolkit *t = NULL;
  if (a->prefix != NULL) {
    t = cli_toolkit_pick(toolkits, g->root, a->prefix, NULL);
  } else {
    g_autofree char *root = cudaup_default_root(g);
    t = root ? cli_toolkit_pick(toolkits, g->root, root, NULL) : NULL;
    t = t ? t : from_environment(toolkits);
    t = t ? t : cli_toolkit_pick(toolkits, g->root, NULL, NULL);
  }
  if (t == NULL && a->prefix != NULL)
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("no CUDA toolkit at %s was found; install one there with 'cudaup install "
                  "--prefix %s', or give the root of an installed toolkit"),
                a->prefix, a->prefix);
  else if (t == NULL)
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("no CUDA toolkit was found; install one with 'cudaup install', or name its root "
                  "with --prefix DIR"));
  return t;
}

static const char *status_word(CupVerifyStatus s)
{
  return s == CUP_VERIFY_PASS ? _("pass") : s == CUP_VERIFY_FAIL ? _("FAIL") : _("skip");
}

static void print_result(const CupVerifyResult *r)
{
  printf("%s\n", r->verdict);
  printf(_("Toolkit: %s (CUDA %s)\n"), r->toolkit_root, r->cuda);
  for (guint i = 0; i < r->checks->len; i++) {
    const CupVerifyCheck *c = g_ptr_array_index(r->checks, i);
    printf("  [%s] %s\n", status_word(c->status), c->title);
    printf("         %s\n", c->evidence);
    if (c->fix != NULL)
      printf(_("         fix: %s\n"), c->fix);
  }
}

static int run_verify(CliGlobals *g, const VerifyArgs *a)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CupCatalog) cat = cup_catalog_load(g->catalog, NULL, &error);
  if (cat == NULL)
    return cli_fail(g, error);
  g_auto(GStrv) env = cli_toolkit_environ(a->prefix);
  CupDetectOptions d = {.root = g->root,
                        .manifests_dir = g->catalog,
                        .gpu_table = cat->gpus,
                        .envp = (const char *const *)env};
  g_autoptr(CupSystem) sys = cup_detect(&d, &error);
  if (sys == NULL)
    return cli_fail(g, error);
  const CupToolkit *t = pick_toolkit(g, a, sys->toolkits, &error);
  if (t == NULL)
    return cli_fail(g, error);
  CupVerifyOptions o = {
      .toolkit = t, .system = sys, .catalog = cat, .sysroot = g->root, .python = a->python};
  g_autoptr(CupVerifyResult) r = cup_verify_run(&o, &error);
  if (r == NULL)
    return cli_fail(g, error);
  if (g->json)
    cli_print_json(cup_verify_to_json(r, sys));
  else
    print_result(r);
  return r->ok ? 0 : cup_error_exit_code_for(CUP_ERROR_CHECK);
}

int cli_verify(CliGlobals *g, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  VerifyArgs a = {0};
  const GOptionEntry entries[] = {
      {"prefix", 0, 0, G_OPTION_ARG_FILENAME, &a.prefix, N_("Verify the toolkit at this root"),
       "DIR"},
      {"python", 0, 0, G_OPTION_ARG_FILENAME, &a.python,
       N_("Check the frameworks of this Python (default: python3 on PATH)"), "EXE"},
      G_OPTION_ENTRY_NULL,
  };
  int rc;
  if (!cli_parse(g, "verify", N_("prove that a CUDA toolkit works on this machine"), NULL, entries,
                 &argc, &argv, &error))
    rc = cli_fail(g, error);
  else
    rc = run_verify(g, &a);
  g_free(a.prefix);
  g_free(a.python);
  return rc;
}
