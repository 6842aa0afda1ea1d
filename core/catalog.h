/* catalog.h - CupCatalog: the compatibility knowledge of manifests/, as plain data.
 *
 * Every table is loaded from one data file of manifests/ (schemas in manifests/README.md) and
 * every row keeps its source. Versions are strings; lists are newest first. The planner reads
 * only this struct: no rule lives in C.
 */
#pragma once

#include "core/gpudb.h"

#include <glib.h>

G_BEGIN_DECLS

/* manifests/cuda.json "releases": NVIDIA CUDA Toolkit Release Notes, Table 3. */
typedef struct {
  char *version;        /* "12.1.0" (x.y.z as the release notes label it: 12.1 GA) */
  char *label;          /* "CUDA 12.1 GA" */
  char *driver_linux;   /* full-feature minimum driver, "530.30.02"; NULL = not given */
  char *driver_windows; /* "531.14"; NULL = not given (N/A from CUDA 13 on) */
  char *source;
} CupCudaRelease;

/* manifests/cuda.json "minor_version_compatibility": per CUDA major, the driver floor that
 * runs any minor of that major with limited features (NVIDIA, CUDA Compatibility guide). */
typedef struct {
  guint cuda_major;     /* 11, 12, 13 */
  char *driver_linux;   /* "525.60.13"; NULL when the major has no such floor (10.x) */
  char *driver_windows; /* "527.41" */
  char *source;
} CupCudaMajorFloor;

/* manifests/cuda.json "compute_capability": which CCs a range of CUDA releases compiles for. */
typedef struct {
  char *cuda_from; /* "12.0" inclusive */
  char *cuda_to;   /* "12.6" inclusive */
  char *min_cc;    /* "5.0" */
  char *max_cc;    /* "9.0" */
  char *change;    /* what this range dropped or added, e.g. "Kepler (3.x) removed"; may be NULL */
  char *source;
} CupCudaCcRange;

/* manifests/cudnn.json: cuDNN release -> CUDA versions and the redist cuda_variants. */
typedef struct {
  char *version;      /* "9.13.0" (or "8.9.7.29" when NVIDIA's manifests name it so) */
  GStrv cuda;         /* CUDA major.minor versions it supports: "12.0", ..., "12.9" */
  GStrv cuda_variants;/* redist variants: "cuda12", "cuda13"; NULL for one archive a platform */
  char *min_cc;       /* lowest compute capability, "5.0"; NULL = not given */
  char *source;
} CupCudnnRelease;

/* manifests/pytorch.json: one CUDA build of a PyTorch release. */
typedef struct {
  char *tag;          /* "cu121" */
  char *cuda;         /* "12.1" */
  char *cudnn;        /* bundled cuDNN, "8.9.2.26"; NULL = not given */
  char *index_url;    /* "https://download.pytorch.org/whl/cu121" */
  GStrv archs;        /* compute capabilities its wheels carry ("5.0", ...); NULL = not given */
  gboolean experimental;
} CupTorchVariant;

typedef struct {
  char *version;       /* release line "2.1"; pins of "2.1.2" match it */
  GStrv patches;       /* known patch releases "2.1.0", ...; NULL = not given */
  char *python_min;    /* "3.8" */
  char *python_max;    /* "3.11" */
  GPtrArray *variants; /* CupTorchVariant*, newest CUDA first */
  char *source;
} CupTorchRelease;

/* manifests/tensorflow.json: one tested GPU build configuration. */
typedef struct {
  char *version;    /* "2.10.0" */
  char *package;    /* "tensorflow" or "tensorflow-gpu" (pip name) */
  char *os;         /* "linux" or "windows" (native Windows; GPU support ends at 2.10) */
  char *python_min; /* "3.7" */
  char *python_max; /* "3.10" */
  char *cuda;       /* "11.2" */
  char *cudnn;      /* "8.1" */
  char *source;
} CupTfRelease;

typedef struct {
  char *dir;                /* the manifests/ directory it was loaded from */
  CupGpuTable *gpus;        /* gpus.json */
  GPtrArray *cuda_releases; /* CupCudaRelease*, newest first */
  GPtrArray *cuda_floors;   /* CupCudaMajorFloor*, newest major first */
  GPtrArray *cuda_cc;       /* CupCudaCcRange*, newest first */
  GPtrArray *cudnn_releases;/* CupCudnnRelease*, newest first */
  GPtrArray *torch_releases;/* CupTorchRelease*, newest first */
  GPtrArray *tf_releases;   /* CupTfRelease*, newest first */
  GPtrArray *redist;        /* CupRedistManifest* from manifests/redist and the cache */
  GStrv toolkit_components; /* redist components of a toolkit install (manifests/cuda.json) */
  GPtrArray *warnings;      /* char*: e.g. a cached manifest that is not pinned */
} CupCatalog;

/**
 * cup_catalog_load: load and schema-check every data file of @dir (NULL: cup_manifests_dir),
 * then the redistrib manifests of @dir/redist and of @cache_dir (NULL: none), each checked
 * against the pinned hashes. Errors: CUP_ERROR_CATALOG "manifests/X.json: invalid at <json
 * path>: <why>" for a malformed file (nothing is planned from it); CUP_ERROR_INTEGRITY for a
 * redistrib manifest whose hash does not match its pin. Returns a new catalog.
 */
CupCatalog *cup_catalog_load(const char *dir, const char *cache_dir, GError **error);
void cup_catalog_free(CupCatalog *catalog);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupCatalog, cup_catalog_free)

G_END_DECLS
