/* fetchplan.h - what a plan needs downloaded: NVIDIA's redistrib manifests it lacks, then its
 * archives. The glue between core/plan (pure) and core/fetch, shared by `cudaup fetch`,
 * `cudaup install` and the wizard. */
#pragma once

#include "core/catalog.h"
#include "core/fetch.h"
#include "core/plan.h"

G_BEGIN_DECLS

/**
 * cup_fetch_plan_manifests: download the redistrib manifests @plan needs but @catalog lacks
 * (the plan then has a warning and no archives for that part): for CUDA X.Y the newest
 * release X.Y.Z known to the pins or the catalog that a mirror has, likewise for cuDNN.
 * Each is checked against @pins (cup_redist_pins_load; NULL: none) and written to the
 * cache's manifests directory, where cup_catalog_load(dir, cup_cache_manifests_dir(cache))
 * finds it. Returns the number of manifests written (0: nothing was missing; the caller
 * reloads the catalog and plans again when > 0), or -1 with @error as cup_fetch_manifest;
 * CUP_ERROR_NOT_FOUND when no mirror has any candidate release.
 */
int cup_fetch_plan_manifests(const CupFetchOptions *options, CupCache *cache, const CupPlan *plan,
                             const CupCatalog *catalog, GHashTable *pins, GError **error);

/**
 * cup_fetch_plan_pins: the pinned redistrib manifest hashes of @catalog
 * (CATALOG/redist/pinned-manifest-sha256.json, cup_redist_pins_load) into *@pins (free with
 * g_hash_table_unref), or NULL there when the catalog pins none, for cup_fetch_plan_manifests.
 * Errors: cup_redist_pins_load's.
 */
gboolean cup_fetch_plan_pins(const CupCatalog *catalog, GHashTable **pins, GError **error);

/**
 * cup_fetch_plan_archives: download every archive of @plan into @cache (cup_fetch_run over
 * the plan's archives by their mirror-relative path). Returns CupFetchResult* in the order of
 * plan->archives (g_ptr_array_unref), or NULL with @error as cup_fetch_run; CUP_ERROR_CATALOG
 * when the plan still lacks a manifest (its warning says which).
 */
GPtrArray *cup_fetch_plan_archives(const CupFetchOptions *options, CupCache *cache,
                                   const CupPlan *plan, GError **error);

G_END_DECLS
