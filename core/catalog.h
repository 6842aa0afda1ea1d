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
  char *version;       /* "9.13.0" (or "8.9.7.29" when NVIDIA's manifests name it so) */
  GStrv cuda;          /* CUDA major.minor versions it supports: "12.0", ..., "12.9" */
  GStrv cuda_variants; /* redist variants: "cuda12", "cuda13"; NULL for one archive a platform */
  char *min_cc;        /* lowest compute capability, "5.0"; NULL = not given */
  char *source;
} CupCudnnRelease;

/* manifests/pytorch.json: one CUDA build of a PyTorch release. */
typedef struct {
  char *tag;       /* "cu121" */
  char *cuda;      /* "12.1" */
  char *cudnn;     /* bundled cuDNN, "8.9.2.26"; NULL = not given */
  char *index_url; /* "https://download.pytorch.org/whl/cu121" */
  GStrv archs;     /* compute capabilities its wheels carry ("5.0", ...); NULL = not given */
  gboolean experimental;
} CupTorchVariant;

typedef struct {
  char *version;       /* release line "2.1"; pins of "2.1.2" match it */
  GStrv patches;       /* known patch releases "2.1.0", ...; NULL = not given */
  char *python_min;    /* "3.8" */
  char *python_max;    /* "3.11" */
  GPtrArray *variants; /* CupTorchVariant*, newest CUDA first */
  char *source;
  char *python_experimental; /* experimental Python, "3.13" or free-threaded "3.15t"; NULL = none */
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
  char *dir;                 /* the manifests/ directory it was loaded from */
  CupGpuTable *gpus;         /* gpus.json */
  GPtrArray *cuda_releases;  /* CupCudaRelease*, newest first */
  GPtrArray *cuda_floors;    /* CupCudaMajorFloor*, newest major first */
  GPtrArray *cuda_cc;        /* CupCudaCcRange*, newest first */
  GPtrArray *cudnn_releases; /* CupCudnnRelease*, newest first */
  GPtrArray *torch_releases; /* CupTorchRelease*, newest first */
  GPtrArray *tf_releases;    /* CupTfRelease*, newest first */
  GPtrArray *redist;         /* CupRedistManifest* from manifests/redist and the cache */
  GStrv toolkit_components;  /* redist components of a toolkit install (manifests/cuda.json) */
  GPtrArray *warnings;       /* char*: e.g. a cached manifest that is not pinned */
} CupCatalog;

/* The schema strings the data files must carry (manifests/README.md). */
#define CUP_CATALOG_SCHEMA_CUDA "cudaup-cuda/1"
#define CUP_CATALOG_SCHEMA_CUDNN "cudaup-cudnn/1"
#define CUP_CATALOG_SCHEMA_PYTORCH "cudaup-pytorch/1"
#define CUP_CATALOG_SCHEMA_TENSORFLOW "cudaup-tensorflow/1"

/**
 * cup_catalog_load: load and schema-check every data file of @dir (NULL: cup_manifests_dir),
 * then the redistrib manifests of @dir/redist and of @cache_dir (NULL: none), each checked
 * against the pinned hashes. Errors: CUP_ERROR_CATALOG "manifests/X.json: invalid at <json
 * path>: <why>" for a malformed file (nothing is planned from it); CUP_ERROR_INTEGRITY for a
 * redistrib manifest whose hash does not match its pin. Returns a new catalog.
 */
CupCatalog *cup_catalog_load(const char *dir, const char *cache_dir, GError **error);

/** cup_catalog_free: free @catalog, every row and string it owns. NULL is ignored. */
void cup_catalog_free(CupCatalog *catalog);

/*
 * Look-ups (core/catalog_query.c). Data only: they find rows, they decide nothing. Every
 * result is owned by @catalog; NULL means "no such row" (or a @version that does not parse).
 *
 * Version matching: a row matches @version when their leading components agree, as many as
 * both have: "12.1" matches 12.1.1 and 12.1.0 (the newest, 12.1.1, is returned, rows being
 * newest first); "12.1.0" matches 12.1.0 only; "9.13.0.50" matches the cuDNN row 9.13.0;
 * "2.1.2" matches the PyTorch line 2.1.
 */

/**
 * cup_catalog_cuda_release: the newest CUDA release matching @version ("12.1" -> 12.1.1,
 * "13.0.0" -> 13.0.0). Source: CUDA Toolkit Release Notes, Table 3.
 */
const CupCudaRelease *cup_catalog_cuda_release(const CupCatalog *catalog, const char *version);

/**
 * cup_catalog_cuda_floor: the minor-version-compatibility floor of CUDA major @major (12 ->
 * 525.60.13 / 527.41). The row exists for 10 with both drivers NULL (no minor-version
 * compatibility before CUDA 11); NULL for a major the file does not list.
 */
const CupCudaMajorFloor *cup_catalog_cuda_floor(const CupCatalog *catalog, guint major);

/**
 * cup_catalog_cuda_cc_range: the compute-capability range of CUDA @cuda (compared on
 * major.minor: "11.8.0" -> 11.8 -> 3.5-9.0), or NULL when no range covers it (e.g. 12.7,
 * which was never released). Source: Wikipedia, CUDA, "GPUs supported".
 */
const CupCudaCcRange *cup_catalog_cuda_cc_range(const CupCatalog *catalog, const char *cuda);

/**
 * cup_catalog_cudnn_release: the newest cuDNN release matching @version ("9.13" -> 9.13.1,
 * "8.1" -> 8.1.1, "9.13.0" -> 9.13.0).
 */
const CupCudnnRelease *cup_catalog_cudnn_release(const CupCatalog *catalog, const char *version);

/** cup_catalog_cudnn_supports: whether @release lists CUDA @cuda (major.minor compared). */
gboolean cup_catalog_cudnn_supports(const CupCudnnRelease *release, const char *cuda);

/**
 * cup_catalog_torch_release: the PyTorch release line matching @version ("2.1.2" and "2.1"
 * -> line 2.1; "2" -> the newest 2.x line).
 */
const CupTorchRelease *cup_catalog_torch_release(const CupCatalog *catalog, const char *version);

/** cup_catalog_torch_variant: the variant @tag ("cu121") of @release, or NULL. */
const CupTorchVariant *cup_catalog_torch_variant(const CupTorchRelease *release, const char *tag);

/**
 * cup_catalog_tf_release: the newest TensorFlow GPU configuration matching @version ("2.10"
 * -> 2.10.0) for @os ("linux", "windows"); NULL when none (e.g. 2.11 on "windows": native
 * Windows GPU builds end at 2.10).
 */
const CupTfRelease *cup_catalog_tf_release(const CupCatalog *catalog, const char *version,
                                           const char *os);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupCatalog, cup_catalog_free)

G_END_DECLS
