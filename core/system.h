/* system.h - CupSystem: the facts detect gathers about one machine, as plain data.
 *
 * Every string is owned by its struct and freed with it; NULL means "not known" and becomes
 * JSON null. Numbers use -1 for "not known". The JSON form (cup_system_to_json) is the stable
 * `cudaup detect --json` contract of DESIGN.md section 3: keys may be added, never renamed.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

typedef enum { CUP_UNKNOWN = -1, CUP_NO = 0, CUP_YES = 1 } CupTristate;

/* Names of the sources a fact can come from, best first (DESIGN.md section 2, detect). */
#define CUP_SOURCE_NVML "nvml"
#define CUP_SOURCE_NVIDIA_SMI "nvidia-smi"
#define CUP_SOURCE_PCI "pci"              /* sysfs on Linux, SetupAPI on Windows */
#define CUP_SOURCE_PCI_IDS "pci.ids"      /* marketing names by PCI id */
#define CUP_SOURCE_GPU_TABLE "gpu-table"  /* manifests/gpus.json: PCI id -> chip -> CC */
#define CUP_SOURCE_KERNEL "kernel-module" /* /proc/driver/nvidia/version */

typedef struct {
  int index;                /* the driver's GPU index, or the PCI enumeration order; -1 unknown */
  char *pci_id;             /* "10de:24e0", lower case */
  char *subsystem_id;       /* "1043:16c2", lower case */
  char *bus_id;             /* "0000:01:00.0": 4-digit domain, lower case */
  char *name;               /* marketing name, e.g. "NVIDIA GeForce RTX 3070 Ti Laptop GPU" */
  char *chip;               /* "GA104" */
  char *architecture;       /* "Ampere" */
  char *compute_capability; /* "8.6" */
  gint64 memory_mib;        /* total framebuffer memory in MiB; -1 unknown */
  char *mig_mode;           /* "enabled", "disabled", or NULL (unsupported / unknown) */
  GPtrArray *sources;       /* char*: every source that reported this GPU, best first */
  GHashTable *fact_sources; /* fact name ("name", "chip", ...) -> source name */
} CupGpu;

typedef struct {
  char *version;      /* "550.54.14"; NULL when no driver is installed */
  char *cuda_version; /* highest CUDA version the driver supports, "12.4" */
  char *source;       /* where version came from */
} CupDriver;

typedef struct {
  char *version; /* "9.19.0" */
  char *path;    /* the header or library the version was read from */
  char *source;  /* "cudnn_version.h", "library-name", "library" */
} CupCudnn;

typedef struct {
  char *version;        /* toolkit release, "13.0" or "12.4.1" */
  char *root;           /* canonical toolkit root, "/usr/local/cuda-13.0" */
  char *version_source; /* "version.json", "version.txt", "nvcc", "libcudart" */
  char *nvcc_version;   /* nvcc's own version "13.0.88", when nvcc was asked */
  GPtrArray *found_via; /* char*: how the root was found: "default", "PATH", "CUDA_HOME", ... */
  CupCudnn *cudnn;      /* NULL when the tree holds no cuDNN */
} CupToolkit;

typedef struct {
  char *family;       /* "linux" or "windows" */
  char *distribution; /* os-release ID, "debian"; "windows" */
  char *version;      /* os-release VERSION_ID, "12" */
  char *pretty_name;  /* os-release PRETTY_NAME */
  char *arch;         /* CPU architecture as uname reports it: "x86_64", "aarch64" */
  CupTristate wsl;
} CupOsInfo;

typedef struct {
  char *path;    /* as found on PATH */
  char *version; /* "3.11.7"; NULL when it could not be asked */
} CupPython;

typedef struct {
  GPtrArray *gpus; /* CupGpu* */
  CupDriver driver;
  GPtrArray *toolkits; /* CupToolkit* */
  CupOsInfo os;
  CupTristate secure_boot;
  CupTristate nouveau_loaded;
  CupTristate nvidia_module_loaded;
  GPtrArray *pythons;  /* CupPython* */
  GPtrArray *warnings; /* char*: one line each, what went wrong and what detect did instead */
} CupSystem;

CupGpu *cup_gpu_new(void);
void cup_gpu_free(CupGpu *gpu);
/**
 * cup_gpu_set: set @fact of @gpu to @value (copied) from @source, unless a better source
 * already set it (first writer wins, so callers merge best source first). @source joins
 * gpu->sources in any case (it reported this GPU); gpu->fact_sources records it for @fact only
 * when its value was taken. @fact is one of "pci_id", "subsystem_id", "bus_id",
 * "name", "chip", "architecture", "compute_capability", "mig_mode". NULL or empty @value is
 * ignored. Returns TRUE when the value was taken.
 */
gboolean cup_gpu_set(CupGpu *gpu, const char *fact, const char *value, const char *source);
/** cup_gpu_get: the value of string @fact of @gpu (see cup_gpu_set), or NULL. Not copied. */
const char *cup_gpu_get(const CupGpu *gpu, const char *fact);
/**
 * cup_gpu_merge: copy every fact of @from that @into lacks, keeping @from's source for each
 * (cup_gpu_set semantics: what @into already has wins). Also takes the index when unknown.
 */
void cup_gpu_merge(CupGpu *into, const CupGpu *from);
/** cup_gpu_set_memory: as cup_gpu_set for memory_mib (ignored when < 0). */
gboolean cup_gpu_set_memory(CupGpu *gpu, gint64 memory_mib, const char *source);

CupToolkit *cup_toolkit_new(void);
void cup_toolkit_free(CupToolkit *toolkit);
CupCudnn *cup_cudnn_new(void);
void cup_cudnn_free(CupCudnn *cudnn);
CupPython *cup_python_new(const char *path, const char *version);
void cup_python_free(CupPython *python);

/** cup_system_new: an empty CupSystem: no GPUs, no driver, everything unknown. */
CupSystem *cup_system_new(void);
void cup_system_free(CupSystem *sys);
/** cup_system_warn: append a printf-formatted warning line to sys->warnings. */
void cup_system_warn(CupSystem *sys, const char *format, ...) G_GNUC_PRINTF(2, 3);

/** cup_gpu_copy: a deep copy of @gpu. */
CupGpu *cup_gpu_copy(const CupGpu *gpu);
/** cup_gpu_to_json: one GPU as in the detect JSON. Returns a new reference. */
json_t *cup_gpu_to_json(const CupGpu *gpu);

/** cup_system_to_json: the stable detect JSON. Returns a new reference. */
json_t *cup_system_to_json(const CupSystem *sys);

/**
 * cup_bus_id_normalize: nvidia-smi's "00000000:01:00.0", NVML's and sysfs's "0000:01:00.0"
 * -> "0000:01:00.0" (4-digit domain, lower case). Returns a newly allocated string, or NULL
 * when @bus_id is not of the form [domain:]bus:device.function in hex.
 */
char *cup_bus_id_normalize(const char *bus_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupGpu, cup_gpu_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupToolkit, cup_toolkit_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupCudnn, cup_cudnn_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupPython, cup_python_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupSystem, cup_system_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

/* JSON building blocks shared by every module that prints JSON (new references): */
/** cup_json_string_or_null: @s as a JSON string, or null when @s is NULL. */
json_t *cup_json_string_or_null(const char *s);
/** cup_json_tristate: true, false, or null for CUP_UNKNOWN. */
json_t *cup_json_tristate(CupTristate t);
/** cup_json_strings: the char* of @strings as a JSON array; NULL gives an empty array. */
json_t *cup_json_strings(const GPtrArray *strings);

G_END_DECLS
