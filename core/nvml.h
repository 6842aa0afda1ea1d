/* nvml.h - GPU and driver facts from NVML (libnvidia-ml), loaded at run time with GModule.
 *
 * NVML ships with the driver, not with the toolkit: on a fresh laptop it does not exist, which
 * is normal and reported as "not available" rather than as an error.
 */
#pragma once

#include "core/system.h"

G_BEGIN_DECLS

/**
 * cup_nvml_detect: open NVML and fill @sys->driver and @sys->gpus (facts set with source
 * CUP_SOURCE_NVML, one CupGpu per physical GPU: MIG instances are not GPUs).
 * @candidates: NULL-terminated library names or full paths, tried in order (see
 * cup_nvml_candidates).
 * Returns TRUE when NVML answered. FALSE when no candidate could be loaded (quietly: a machine
 * without a driver has no NVML) or when it failed (then with a line in @sys->warnings, e.g.
 * NVML_ERROR_DRIVER_NOT_LOADED).
 * Source of the ABI: NVML API Reference, https://docs.nvidia.com/deploy/nvml-api/ (nvmlInit_v2,
 * nvmlDeviceGetPciInfo_v3 with nvmlPciInfo_t, nvmlDeviceGetCudaComputeCapability).
 */
gboolean cup_nvml_detect(const char *const *candidates, CupSystem *sys);

/**
 * cup_nvml_candidates: the NVML libraries to try for @root: without a root the platform's
 * library name (found through the loader's search path) and the WSL location
 * /usr/lib/wsl/lib/libnvidia-ml.so.1; with a root, only full paths under it
 * (ROOT/usr/lib/x86_64-linux-gnu/, ROOT/usr/lib64/, ROOT/usr/lib/, ROOT/usr/lib/wsl/lib/), so a
 * fixture root never loads the host's driver. Returns a newly allocated GStrv.
 */
GStrv cup_nvml_candidates(const char *root);

G_END_DECLS
