/* plan_cmd.c - `cudaup plan`: detect (or take the user's facts), load the catalog, plan, show. */
#include "core/i18n.h"
#include "cli/selectors.h"

#include <stdio.h>

static void print_archives(const CupPlan *p)
{
  guint64 total = 0;
  for (guint i = 0; i < p->archives->len; i++)
    total += ((CupPlanArchive *)g_ptr_array_index(p->archives, i))->size;
  g_autofree char *size = g_format_size(total);
  printf(_("Downloads  %u archives, %s, into %s\n"), p->archives->len, size,
         p->toolkit_root ? p->toolkit_root : "-");
  for (guint i = 0; i < p->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(p->archives, i);
    g_autofree char *s = g_format_size(a->size);
    printf("           %-22s %-12s %10s  %s\n", a->component, a->version ? a->version : "", s,
           a->url);
  }
}

static void print_list(const char *title, const GPtrArray *lines)
{
  if (lines->len == 0)
    return;
  printf("%s\n", title);
  for (guint i = 0; i < lines->len; i++)
    printf("  - %s\n", (char *)g_ptr_array_index(lines, i));
}

void cli_plan_print(const CupPlan *p)
{
  printf(_("Plan for %s on %s (%s)\n"), p->gpu && p->gpu->name ? p->gpu->name : _("no GPU"), p->os,
         p->platform);
  printf(_("Driver     %s"), p->driver_action);
  if (p->driver_current)
    printf(" %s", p->driver_current);
  if (p->driver_minimum)
    printf(_("; needs %s or newer"), p->driver_minimum);
  if (p->driver_minimum_minor_compat)
    printf(_(" (%s through minor-version compatibility%s)"), p->driver_minimum_minor_compat,
           p->driver_minor_compat ? _(", used by this plan") : "");
  if (p->driver_branch)
    printf(_("; branch %s"), p->driver_branch);
  printf("\n");
  printf(_("CUDA       %s (%s)\n"), p->cuda_version ? p->cuda_version : "-",
         p->cuda_required   ? _("install")
         : p->cuda_existing ? _("installed already: kept")
                            : _("optional: bundled by the framework"));
  if (p->cudnn_version)
    printf(_("cuDNN      %s%s%s (%s)\n"), p->cudnn_version, p->cudnn_variant ? _(" for ") : "",
           p->cudnn_variant ? p->cudnn_variant : "",
           p->cudnn_required ? _("required") : _("install"));
  if (p->framework_name)
    printf(_("Framework  %s %s%s%s\n           %s\n"), p->framework_name, p->framework_version,
           p->framework_variant ? " " : "", p->framework_variant ? p->framework_variant : "",
           p->pip_command);
  if (p->archives->len)
    print_archives(p);
  print_list(_("Environment"), p->environment);
  print_list(_("Why"), p->reasons);
  print_list(_("Warnings"), p->warnings);
}

static int run_plan(CliGlobals *g, const CliSelectors *s)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cache = cli_selectors_cache_dir(s);
  g_autofree char *manifests = g_build_filename(cache, "manifests", NULL);
  g_autoptr(CupCatalog) cat = NULL;
  g_autoptr(CupSystem) sys = NULL;
  g_autoptr(CupPlan) plan = NULL;
  if (!cli_selectors_check(s, &error) ||
      (cat = cup_catalog_load(g->catalog, manifests, &error)) == NULL ||
      (sys = cli_selectors_system(g, s, cat, &error)) == NULL ||
      (plan = cli_selectors_plan(s, sys, cat, &error)) == NULL)
    return cli_fail(g, error);
  if (g->json)
    cli_print_json(cup_plan_to_json(plan));
  else
    cli_plan_print(plan);
  return 0;
}

int cli_plan(CliGlobals *g, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  CliSelectors s = {0};
  g_autoptr(GArray) entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
  cli_selectors_add_entries(&s, entries);
  int rc;
  if (!cli_parse(g, "plan", N_("choose driver, CUDA Toolkit, cuDNN and framework build"), NULL,
                 (const GOptionEntry *)(void *)entries->data, &argc, &argv, &error))
    rc = cli_fail(g, error);
  else
    rc = run_plan(g, &s);
  cli_selectors_clear(&s);
  return rc;
}
