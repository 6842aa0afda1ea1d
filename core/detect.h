/* detect.h - fill a CupSystem from every source, best first (DESIGN.md section 2, detect). */
#pragma once

#include "core/gpudb.h"
#include "core/system.h"

G_BEGIN_DECLS

typedef struct {
  const char *root;             /* every system path is taken under this root; NULL = "/" */
  const char *const *envp;      /* the environment to read PATH, CUDA_HOME, ... from; NULL = ours */
  const char *manifests_dir;    /* where gpus.json lives; NULL = cup_manifests_dir(NULL) */
  const char *pci_ids_path;     /* pci.ids override; NULL = search the usual places */
  const char *nvidia_smi;       /* nvidia-smi override; NULL = search PATH (or the root) */
  guint smi_timeout_ms;         /* 0 = 10000 */
  gboolean skip_toolkits;       /* leave toolkits empty (the planner does not read them) */
  const CupGpuTable *gpu_table; /* an already loaded gpus.json; NULL = load it when needed */
} CupDetectOptions;

/**
 * cup_detect: detect GPUs, driver, installed toolkits and OS facts.
 * GPUs come from NVML (dlopen), then nvidia-smi when NVML is absent, then the PCI bus (sysfs
 * on Linux); facts are merged per GPU by bus id, the best source winning, and chip,
 * architecture and compute capability are resolved from the PCI id through manifests/gpus.json
 * (never from the name: names are ambiguous). Names fall back to pci.ids.
 * A source that fails adds a line to the result's warnings and detection goes on; no driver is
 * a normal state (driver.version NULL). The only error is CUP_ERROR_CATALOG, when gpus.json is
 * missing or invalid and NVIDIA GPUs were found that need it.
 * Returns a newly allocated CupSystem.
 */
CupSystem *cup_detect(const CupDetectOptions *options, GError **error);

G_END_DECLS
