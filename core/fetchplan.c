/* fetchplan.c - download what a plan needs: the redistrib manifests it lacks, then its
 * archives (see fetchplan.h). */
#include "core/i18n.h"
#include "core/fetchplan.h"

#include "core/error.h"
#include "core/plan_private.h"
#include "core/redist.h"
#include "core/version.h"

#include <string.h>

static gint newest_first(gconstpointer a, gconstpointer b)
{
  return cup_vcmp(*(const char *const *)b, *(const char *const *)a);
}

static void add_candidate(GPtrArray *out, const char *want, const char *release)
{
  CupVersion v;
  if (release == NULL || !cup_version_parse(release, &v, NULL) || v.n_parts < 3 ||
      !cup_version_matches(want, release))
    return;
  for (guint i = 0; i < out->len; i++)
    if (strcmp(g_ptr_array_index(out, i), release) == 0)
      return;
  g_ptr_array_add(out, g_strdup(release));
}

/* Releases X.Y.Z that may name NVIDIA's manifest for @want ("12.1" or "12.1.1"), newest first:
 * those the pins list (their hashes are known) and those the catalog's tables name. */
static GPtrArray *candidates(const char *product, const char *want, const CupCatalog *cat,
                             GHashTable *pins)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *prefix = g_strdup_printf("%s/", product);
  GHashTableIter iter;
  gpointer key;
  if (pins) {
    g_hash_table_iter_init(&iter, pins);
    while (g_hash_table_iter_next(&iter, &key, NULL))
      if (g_str_has_prefix(key, prefix))
        add_candidate(out, want, (const char *)key + strlen(prefix));
  }
  if (strcmp(product, "cudnn") == 0) {
    for (guint i = 0; cat->cudnn_releases && i < cat->cudnn_releases->len; i++)
      add_candidate(out, want,
                    ((CupCudnnRelease *)g_ptr_array_index(cat->cudnn_releases, i))->version);
  } else {
    for (guint i = 0; cat->cuda_releases && i < cat->cuda_releases->len; i++)
      add_candidate(out, want,
                    ((CupCudaRelease *)g_ptr_array_index(cat->cuda_releases, i))->version);
  }
  add_candidate(out, want, want);
  g_ptr_array_sort(out, newest_first);
  return out;
}

static gboolean plan_has_archive(const CupPlan *plan, const char *component)
{
  for (guint i = 0; i < plan->archives->len; i++)
    if (strcmp(((CupPlanArchive *)g_ptr_array_index(plan->archives, i))->component, component) == 0)
      return TRUE;
  return FALSE;
}

/* The plan chose a CUDA Toolkit / a cuDNN whose redistrib manifest the catalog lacked, so
 * it lists none of its archives (plan_out.c warns instead). */
static gboolean lacks_cuda_manifest(const CupPlan *plan)
{
  return plan->cuda_required && plan->components->len == 0;
}

static gboolean lacks_cudnn_manifest(const CupPlan *plan)
{
  return plan->cudnn_version && !plan_has_archive(plan, "cudnn");
}

/* Fetch the first candidate a mirror has. Returns 1, or -1 with @error. */
static int fetch_one(const CupFetchOptions *o, CupCache *cache, const char *product,
                     const char *label, const char *want, const CupCatalog *cat, GHashTable *pins,
                     GError **error)
{
  g_autoptr(GPtrArray) releases = candidates(product, want, cat, pins);
  g_autoptr(GString) tried = g_string_new(NULL);
  for (guint i = 0; i < releases->len; i++) {
    const char *release = g_ptr_array_index(releases, i);
    g_autoptr(GError) local = NULL;
    g_autofree char *path = cup_fetch_manifest(o, cache, product, release, pins, &local);
    if (path) {
      g_info("%s %s: NVIDIA's redistrib manifest %s saved as %s", label, want, release, path);
      return 1;
    }
    if (!g_error_matches(local, CUP_ERROR, CUP_ERROR_NOT_FOUND)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return -1;
    }
    g_string_append_printf(tried, "%s%s", tried->len ? ", " : "", release);
  }
  g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
              _("no mirror has NVIDIA's redistrib manifest for %s %s (tried %s); pin another "
                "version or pass --mirror URL"),
              label, want, tried->len ? tried->str : "no release: none is known for it");
  return -1;
}

int cup_fetch_plan_manifests(const CupFetchOptions *options, CupCache *cache, const CupPlan *plan,
                             const CupCatalog *catalog, GHashTable *pins, GError **error)
{
  int written = 0;
  if (lacks_cuda_manifest(plan)) {
    if (fetch_one(options, cache, "cuda", "CUDA", plan->cuda_version, catalog, pins, error) < 0)
      return -1;
    written++;
  }
  if (lacks_cudnn_manifest(plan)) {
    if (fetch_one(options, cache, "cudnn", "cuDNN", plan->cudnn_version, catalog, pins, error) < 0)
      return -1;
    written++;
  }
  return written;
}

GPtrArray *cup_fetch_plan_archives(const CupFetchOptions *options, CupCache *cache,
                                   const CupPlan *plan, GError **error)
{
  if (lacks_cuda_manifest(plan) || lacks_cudnn_manifest(plan)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_CATALOG,
                _("the plan lists no archives for %s: NVIDIA's redistrib manifest is missing; "
                  "fetch it first (cudaup fetch does) or pass --catalog DIR"),
                lacks_cuda_manifest(plan) ? "the CUDA Toolkit" : "cuDNN");
    return NULL;
  }
  g_autofree CupFetchItem *items = g_new0(CupFetchItem, MAX(plan->archives->len, 1));
  for (guint i = 0; i < plan->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(plan->archives, i);
    items[i] =
        (CupFetchItem){.name = a->component, .path = a->path, .sha256 = a->sha256, .size = a->size};
  }
  return cup_fetch_run(options, cache, items, plan->archives->len, error);
}

gboolean cup_fetch_plan_pins(const CupCatalog *catalog, GHashTable **pins, GError **error)
{
  g_autofree char *path =
      g_build_filename(catalog->dir, "redist", "pinned-manifest-sha256.json", NULL);
  *pins = NULL;
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    return TRUE;
  *pins = cup_redist_pins_load(path, error);
  return *pins != NULL;
}
