/* nvml.c - NVML through GModule, without nvml.h: only the handful of entry points detect
 * needs, declared with the ABI of the NVML API Reference. */
#include "core/nvml.h"

#include "core/paths.h"
#include "core/version.h"
#include "platform/platform.h"

#include <gmodule.h>
#include <string.h>

typedef int NvmlReturn; /* nvmlReturn_t */
typedef void *NvmlDevice;
#define NVML_SUCCESS 0
#define NVML_DEVICE_MIG_ENABLE 1

typedef struct {
  char bus_id_legacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pci_device_id;     /* device id << 16 | vendor id */
  unsigned int pci_sub_system_id; /* subsystem device << 16 | subsystem vendor */
  char bus_id[32];
} NvmlPciInfo; /* nvmlPciInfo_t as of nvmlDeviceGetPciInfo_v3 */

typedef struct {
  unsigned long long total, free, used; /* bytes */
} NvmlMemory;                           /* nvmlMemory_t (v1) */

typedef struct {
  GModule *module;
  NvmlReturn (*init)(void);
  NvmlReturn (*shutdown)(void);
  const char *(*error_string)(NvmlReturn);
  NvmlReturn (*driver_version)(char *, unsigned int);
  NvmlReturn (*cuda_driver_version)(int *);
  NvmlReturn (*device_count)(unsigned int *);
  NvmlReturn (*handle_by_index)(unsigned int, NvmlDevice *);
  NvmlReturn (*name)(NvmlDevice, char *, unsigned int);
  NvmlReturn (*pci_info)(NvmlDevice, NvmlPciInfo *);
  NvmlReturn (*memory)(NvmlDevice, NvmlMemory *);
  NvmlReturn (*compute_capability)(NvmlDevice, int *, int *);
  NvmlReturn (*mig_mode)(NvmlDevice, unsigned int *, unsigned int *);
} Nvml;

static gboolean bind(Nvml *n)
{
  struct {
    const char *symbol;
    gpointer *slot;
    gboolean required; /* old drivers lack MIG and the _v2 CUDA query: those stay NULL */
  } table[] = {
      {"nvmlInit_v2", (gpointer *)&n->init, TRUE},
      {"nvmlShutdown", (gpointer *)&n->shutdown, TRUE},
      {"nvmlErrorString", (gpointer *)&n->error_string, TRUE},
      {"nvmlSystemGetDriverVersion", (gpointer *)&n->driver_version, TRUE},
      {"nvmlSystemGetCudaDriverVersion_v2", (gpointer *)&n->cuda_driver_version, FALSE},
      {"nvmlDeviceGetCount_v2", (gpointer *)&n->device_count, TRUE},
      {"nvmlDeviceGetHandleByIndex_v2", (gpointer *)&n->handle_by_index, TRUE},
      {"nvmlDeviceGetName", (gpointer *)&n->name, TRUE},
      {"nvmlDeviceGetPciInfo_v3", (gpointer *)&n->pci_info, TRUE},
      {"nvmlDeviceGetMemoryInfo", (gpointer *)&n->memory, TRUE},
      {"nvmlDeviceGetCudaComputeCapability", (gpointer *)&n->compute_capability, FALSE},
      {"nvmlDeviceGetMigMode", (gpointer *)&n->mig_mode, FALSE},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
    if (!g_module_symbol(n->module, table[i].symbol, table[i].slot) && table[i].required)
      return FALSE;
  return TRUE;
}

GStrv cup_nvml_candidates(const char *root)
{
  static const char *const dirs[] = {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                                     "/usr/lib64", "/usr/lib", "/usr/lib/wsl/lib"};
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  gboolean fixture = root && *root && strcmp(root, "/") != 0;
  if (!fixture)
    g_strv_builder_add(b, cup_platform_nvml_library());
  for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
    if (!fixture && strcmp(dirs[i], "/usr/lib/wsl/lib") != 0)
      continue;
    g_autofree char *dir = cup_root_join(root, dirs[i]);
    g_autofree char *lib = g_build_filename(dir, cup_platform_nvml_library(), NULL);
    g_strv_builder_add(b, lib);
  }
  return g_strv_builder_end(b);
}

static GModule *open_first(const char *const *candidates)
{
  for (const char *const *c = candidates; c && *c; c++) {
    GModule *m = g_module_open(*c, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
    if (m) {
      g_debug("nvml: loaded %s", *c);
      return m;
    }
    g_debug("nvml: %s: %s", *c, g_module_error());
  }
  return NULL;
}

static void read_driver(Nvml *n, CupSystem *sys)
{
  char version[96] = "";
  int cuda = 0;
  if (n->driver_version(version, sizeof version) == NVML_SUCCESS && version[0]) {
    g_free(sys->driver.version);
    sys->driver.version = g_strdup(version);
    g_free(sys->driver.source);
    sys->driver.source = g_strdup(CUP_SOURCE_NVML);
  }
  if (n->cuda_driver_version && n->cuda_driver_version(&cuda) == NVML_SUCCESS) {
    g_free(sys->driver.cuda_version);
    sys->driver.cuda_version = cup_version_from_encoded(cuda, 'c');
  }
}

static CupGpu *read_gpu(Nvml *n, unsigned int index, NvmlDevice dev)
{
  CupGpu *gpu = cup_gpu_new();
  char name[128] = "";
  NvmlPciInfo pci;
  NvmlMemory mem;
  int major = 0, minor = 0;
  unsigned int mig = 0, pending = 0;
  gpu->index = (int)index;
  if (n->name(dev, name, sizeof name) == NVML_SUCCESS)
    cup_gpu_set(gpu, "name", name, CUP_SOURCE_NVML);
  memset(&pci, 0, sizeof pci);
  if (n->pci_info(dev, &pci) == NVML_SUCCESS) {
    g_autofree char *id =
        g_strdup_printf("%04x:%04x", pci.pci_device_id & 0xffff, pci.pci_device_id >> 16);
    g_autofree char *sub =
        g_strdup_printf("%04x:%04x", pci.pci_sub_system_id & 0xffff, pci.pci_sub_system_id >> 16);
    g_autofree char *bus = cup_bus_id_normalize(pci.bus_id);
    cup_gpu_set(gpu, "pci_id", id, CUP_SOURCE_NVML);
    cup_gpu_set(gpu, "subsystem_id", sub, CUP_SOURCE_NVML);
    cup_gpu_set(gpu, "bus_id", bus, CUP_SOURCE_NVML);
  }
  if (n->memory(dev, &mem) == NVML_SUCCESS)
    cup_gpu_set_memory(gpu, (gint64)(mem.total / (1024 * 1024)), CUP_SOURCE_NVML);
  if (n->compute_capability && n->compute_capability(dev, &major, &minor) == NVML_SUCCESS) {
    g_autofree char *cc = g_strdup_printf("%d.%d", major, minor);
    cup_gpu_set(gpu, "compute_capability", cc, CUP_SOURCE_NVML);
  }
  /* NVML_ERROR_NOT_SUPPORTED on GPUs without MIG: leave the mode unknown (JSON null). */
  if (n->mig_mode && n->mig_mode(dev, &mig, &pending) == NVML_SUCCESS)
    cup_gpu_set(gpu, "mig_mode", mig == NVML_DEVICE_MIG_ENABLE ? "enabled" : "disabled",
                CUP_SOURCE_NVML);
  return gpu;
}

static void read_gpus(Nvml *n, CupSystem *sys)
{
  unsigned int count = 0;
  NvmlReturn rc = n->device_count(&count);
  if (rc != NVML_SUCCESS) {
    cup_system_warn(sys, "NVML could not count GPUs: %s", n->error_string(rc));
    return;
  }
  for (unsigned int i = 0; i < count; i++) {
    NvmlDevice dev = NULL;
    rc = n->handle_by_index(i, &dev);
    if (rc != NVML_SUCCESS) {
      cup_system_warn(sys, "NVML could not open GPU %u: %s", i, n->error_string(rc));
      continue;
    }
    g_ptr_array_add(sys->gpus, read_gpu(n, i, dev));
  }
}

gboolean cup_nvml_detect(const char *const *candidates, CupSystem *sys)
{
  Nvml n = {0};
  n.module = open_first(candidates);
  if (n.module == NULL)
    return FALSE;
  gboolean ok = bind(&n);
  if (!ok) {
    cup_system_warn(sys, "%s lacks NVML entry points; using nvidia-smi and the PCI bus instead",
                    g_module_name(n.module));
  } else {
    NvmlReturn rc = n.init();
    ok = rc == NVML_SUCCESS;
    if (!ok) {
      cup_system_warn(sys,
                      "NVML is installed but failed to start (%s); is the nvidia kernel "
                      "module loaded? Using nvidia-smi and the PCI bus instead",
                      n.error_string(rc));
    } else {
      read_driver(&n, sys);
      read_gpus(&n, sys);
      n.shutdown();
    }
  }
  g_module_close(n.module);
  return ok;
}
