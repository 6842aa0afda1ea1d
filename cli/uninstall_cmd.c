/* uninstall_cmd.c - `cudaup uninstall [--prefix DIR] [--cuda X.Y] [--cudnn X.Y] [--all]`: take
 * back what cudaup installed, from the install records (core/txn): files whose sha256 still
 * matches are removed, originals cudaup replaced are put back, files the user changed are kept
 * and listed, and nothing cudaup did not write is touched. */
#include "core/i18n.h"
#include "cli/env_apply.h"
#include "cli/selectors.h"

#include "core/error.h"
#include "core/paths.h"
#include "core/toolkit.h"
#include "core/txn.h"
#include "core/version.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  char *prefix, *cuda, *cudnn;
  gboolean all;
} UninstallArgs;

/* The records named by the options, cuDNN first (its files sit in the toolkit's directories). */
static GPtrArray *wanted_names(const UninstallArgs *a, const char *root, GError **error)
{
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  if (a->all) {
    g_autoptr(GPtrArray) installs = cup_txn_list_installs(root, error);
    if (installs == NULL)
      return g_ptr_array_unref(names), NULL;
    for (int pass = 0; pass < 2; pass++)
      for (guint i = 0; i < installs->len; i++) {
        const CupTxnInstall *in = g_ptr_array_index(installs, i);
        if ((strcmp(in->component, "cudnn") == 0) == (pass == 0))
          g_ptr_array_add(names, g_strdup(in->name));
      }
    return names;
  }
  const char *versions[] = {a->cudnn, a->cuda}, *kinds[] = {"cudnn", "cuda"};
  for (gsize i = 0; i < G_N_ELEMENTS(versions); i++) {
    if (versions[i] == NULL)
      continue;
    g_autofree char *mm = cup_major_minor(versions[i]);
    g_ptr_array_add(names, g_strdup_printf("%s-%s", kinds[i], mm));
  }
  return names;
}

/* The root: --prefix, else the one toolkit found (by detection or at the default place of
 * --cuda) that holds a record of what is asked. */
static char *find_root(const CliGlobals *g, const UninstallArgs *a, GError **error)
{
  if (a->prefix)
    return g_strdup(a->prefix);
  g_auto(GStrv) env = g_get_environ();
  g_autoptr(GPtrArray) toolkits = cup_toolkits_detect(g->root, (const char *const *)env, NULL);
  for (guint i = 0; i < toolkits->len; i++) {
    const CupToolkit *t = g_ptr_array_index(toolkits, i);
    g_autofree char *state = g_build_filename(t->root, CUP_TXN_STATE_DIR, "installs", NULL);
    g_autofree char *mm = t->version ? cup_major_minor(t->version) : NULL;
    if (g_file_test(state, G_FILE_TEST_IS_DIR) && (a->cuda == NULL || g_strcmp0(mm, a->cuda) == 0))
      return g_strdup(t->root);
  }
  g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
              _("no toolkit with a cudaup install was found; name its root with --prefix DIR"));
  return NULL;
}

static void print_paths(const char *what, const GPtrArray *paths, const char *root)
{
  for (guint i = 0; paths && i < paths->len; i++)
    printf("  %s %s/%s\n", what, root, (char *)g_ptr_array_index(paths, i));
}

static void print_report(const char *root, const char *name, const CupTxnUninstallReport *r)
{
  if (r->recovered)
    fprintf(stderr, "cudaup: %s\n", r->recovered);
  printf(
      _("Uninstalled %s from %s: %u removed, %u put back, %u kept (changed since the install)\n"),
      name, root, r->removed->len, r->restored->len, r->kept->len);
  print_paths(_("kept    "), r->kept, root);
  print_paths(_("restored"), r->restored, root);
}

static json_t *report_json(const char *name, const CupTxnUninstallReport *r)
{
  const GPtrArray *lists[] = {r->removed, r->restored, r->kept, r->missing};
  const char *keys[] = {"removed", "restored", "kept", "missing"};
  json_t *o = json_pack("{s:s,s:o}", "name", name, "recovered",
                        r->recovered ? json_string(r->recovered) : json_null());
  for (gsize i = 0; i < G_N_ELEMENTS(lists); i++) {
    json_t *a = json_array();
    for (guint k = 0; lists[i] && k < lists[i]->len; k++)
      json_array_append_new(a, json_string(g_ptr_array_index(lists[i], k)));
    json_object_set_new(o, keys[i], a);
  }
  return o;
}

/* A toolkit taken away is no longer the default of new terminals: its environment goes, at
 * every scope where it is the default (system scope only as root). */
static void remove_environment(const CliGlobals *g, const char *root)
{
  g_autofree char *real = cup_root_realpath(NULL, root);
  CupEnvScope mine; /* system as root: only then may the system scope be changed */
  cli_env_parse_scope(NULL, &mine, NULL);
  for (int i = 0; i < 2; i++) {
    CupEnvScope scope = i ? CUP_ENV_SCOPE_SYSTEM : CUP_ENV_SCOPE_USER;
    if (scope == CUP_ENV_SCOPE_SYSTEM && mine != CUP_ENV_SCOPE_SYSTEM)
      continue;
    g_autoptr(GError) error = NULL;
    g_autoptr(CupEnvState) state = cli_env_show(g, scope, &error);
    if (state == NULL || state->toolkit_root == NULL ||
        (g_strcmp0(state->toolkit_root, root) != 0 && g_strcmp0(state->toolkit_root, real) != 0))
      continue;
    g_autoptr(CupEnvChange) change = cli_env_remove(g, scope, FALSE, &error);
    if (error != NULL) {
      fprintf(stderr, _("cudaup: warning: the %s environment still names %s: %s\n"),
              cli_env_scope_name(scope), root, error->message);
      continue;
    }
    if (g->json)
      continue;
    printf(_("Environment (%s scope): %s is no longer the default\n"), cli_env_scope_name(scope),
           root);
    if (change)
      cli_env_print_change(change, FALSE);
  }
}

static int run_uninstall(CliGlobals *g, const UninstallArgs *a)
{
  g_autoptr(GError) error = NULL;
  if (!a->all && !a->cuda && !a->cudnn) {
    g_set_error(&error, CUP_ERROR, CUP_ERROR_USAGE,
                _("say what to take back: --cuda X.Y, --cudnn X.Y or --all (with --prefix DIR)"));
    return cli_fail(g, error);
  }
  g_autofree char *root = find_root(g, a, &error);
  g_autofree char *recovered = NULL;
  if (root == NULL || !cup_txn_recover(root, CUP_TXN_LOCK_WAIT_MS, &recovered, &error))
    return cli_fail(g, error);
  if (recovered)
    fprintf(stderr, "cudaup: %s\n", recovered);
  g_autoptr(GPtrArray) names = wanted_names(a, root, &error);
  if (names == NULL)
    return cli_fail(g, error);
  if (names->len == 0) {
    g_set_error(&error, CUP_ERROR, CUP_ERROR_NOT_FOUND, _("%s holds no cudaup install"), root);
    return cli_fail(g, error);
  }
  json_t *out = json_pack("{s:s,s:[]}", "root", root, "uninstalled");
  for (guint i = 0; i < names->len; i++) {
    const char *name = g_ptr_array_index(names, i);
    g_autoptr(CupTxnUninstallReport) report = NULL;
    if (!cup_txn_uninstall(root, name, CUP_TXN_LOCK_WAIT_MS, &report, &error)) {
      json_decref(out);
      return cli_fail(g, error);
    }
    if (g->json)
      json_array_append_new(json_object_get(out, "uninstalled"), report_json(name, report));
    else
      print_report(root, name, report);
  }
  if (g->json)
    cli_print_json(out);
  else
    json_decref(out);
  if (a->all || a->cuda)
    remove_environment(g, root);
  return 0;
}

int cli_uninstall(CliGlobals *g, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  UninstallArgs a = {0};
  const GOptionEntry entries[] = {
      {"prefix", 0, 0, G_OPTION_ARG_FILENAME, &a.prefix, N_("The toolkit root"), "DIR"},
      {"cuda", 0, 0, G_OPTION_ARG_STRING, &a.cuda, N_("Take back the CUDA Toolkit X.Y"), "X.Y"},
      {"cudnn", 0, 0, G_OPTION_ARG_STRING, &a.cudnn, N_("Take back cuDNN X.Y"), "X.Y"},
      {"all", 0, 0, G_OPTION_ARG_NONE, &a.all, N_("Take back everything cudaup installed there"),
       NULL},
      G_OPTION_ENTRY_NULL,
  };
  int rc;
  if (!cli_parse(g, "uninstall", N_("take back what cudaup installed into a toolkit root"), NULL,
                 entries, &argc, &argv, &error))
    rc = cli_fail(g, error);
  else
    rc = run_uninstall(g, &a);
  g_free(a.prefix), g_free(a.cuda), g_free(a.cudnn);
  return rc;
}
