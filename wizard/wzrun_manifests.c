/* wzrun_manifests.c - before the install: the redistrib manifests the plan lacks. A catalog
 * carries NVIDIA's manifests for the releases it was made with; a newer CUDA or cuDNN release
 * has a plan with a warning and no archives for that part until its manifest is downloaded
 * (checked against the catalog's pins), after which the same choices are planned again, as
 * `cudaup install` does (cli/download.c). */
#include "wizard/wzrun_private.h"

#include "core/fetchplan.h"
#include "core/i18n.h"

static gboolean replan(WzRun *run, CupCache *cache, GError **error)
{
  g_autoptr(CupCatalog) cat =
      cup_catalog_load(run->catalog_dir, cup_cache_manifests_dir(cache), error);
  if (cat == NULL)
    return FALSE;
  CupRequest r = {0};
  wz_choices_to_request(&run->choices, run->o.is_admin, g_get_user_data_dir(), &r);
  CupPlan *plan = cup_plan_make(run->o.system, cat, &r, error);
  cup_request_clear(&r);
  if (plan == NULL)
    return FALSE;
  g_clear_pointer(&run->own_plan, cup_plan_free);
  g_clear_pointer(&run->own_catalog, cup_catalog_free);
  run->o.plan = run->own_plan = plan;
  run->o.catalog = run->own_catalog = g_steal_pointer(&cat);
  return TRUE;
}

gboolean wz_run_fetch_manifests(WzRun *run, GCancellable *cancellable, GError **error)
{
  if (run->o.choices == NULL || run->o.catalog == NULL || run->o.system == NULL)
    return TRUE;
  g_autoptr(CupCache) cache = cup_cache_open(run->cache_dir, error);
  if (cache == NULL)
    return FALSE;
  g_autoptr(GHashTable) pins = NULL;
  if (!cup_fetch_plan_pins(run->o.catalog, &pins, error))
    return FALSE;
  const char *mirrors[2];
  CupFetchOptions fo = wz_run_fetch_options(run, mirrors);
  fo.cancellable = cancellable;
  int n = cup_fetch_plan_manifests(&fo, cache, run->o.plan, run->o.catalog, pins, error);
  if (n <= 0)
    return n == 0;
  wz_run_log(run,
             g_dngettext(GETTEXT_PACKAGE, "Downloaded %d redistrib manifest; planning again",
                         "Downloaded %d redistrib manifests; planning again", (gulong)n),
             n);
  return replan(run, cache, error);
}
