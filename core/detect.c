/* detect.c - the detect pipeline: sources in order, merged per GPU. */
#include "core/detect.h"

#include "core/datadir.h"
#include "core/error.h"
#include "core/gpudb.h"
#include "core/nvml.h"
#include "core/osinfo.h"
#include "core/paths.h"
#include "core/pciids.h"
#include "core/smi.h"
#include "core/toolkit.h"
#include "platform/platform.h"

#include <stdio.h>
#include <string.h>

static CupGpu *find_gpu_by_bus(CupSystem *sys, const char *bus_id)
{
  for (guint i = 0; bus_id && i < sys->gpus->len; i++) {
    CupGpu *gpu = g_ptr_array_index(sys->gpus, i);
    if (gpu->bus_id && strcmp(gpu->bus_id, bus_id) == 0)
      return gpu;
  }
  return NULL;
}

#ifdef G_OS_WIN32
/* NVIDIA's driver installer puts nvidia-smi.exe into System32, which is on PATH. */
#define SMI_NAME "nvidia-smi.exe"
#else
#define SMI_NAME "nvidia-smi"
#endif

/* Where nvidia-smi lives: PATH, then the places drivers put it (WSL keeps it outside PATH
 * for non-login shells). Under a fixture root only the root is searched. */
static char *find_nvidia_smi(const CupDetectOptions *o)
{
#ifdef G_OS_WIN32
  static const char *const dirs[] = {NULL}; /* the Linux places would be the current drive's */
#else
  static const char *const dirs[] = {"/usr/bin", "/usr/local/bin", "/bin", "/usr/lib/wsl/lib"};
#endif
  gboolean fixture = o->root && *o->root && strcmp(o->root, "/") != 0;
  if (o->nvidia_smi)
    return g_strdup(o->nvidia_smi);
  if (!fixture) {
    const char *path = g_environ_getenv((char **)o->envp, "PATH");
    g_auto(GStrv) entries = g_strsplit(path ? path : "", G_SEARCHPATH_SEPARATOR_S, -1);
    for (char **e = entries; *e; e++) {
      g_autofree char *exe = g_build_filename(**e ? *e : ".", SMI_NAME, NULL);
      if (g_file_test(exe, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer(&exe);
    }
  }
  for (gsize i = 0; i < G_N_ELEMENTS(dirs) && dirs[i] != NULL; i++) {
    g_autofree char *dir = cup_root_join(o->root, dirs[i]);
    g_autofree char *exe = g_build_filename(dir, SMI_NAME, NULL);
    if (g_file_test(exe, G_FILE_TEST_IS_EXECUTABLE))
      return g_steal_pointer(&exe);
  }
  return NULL;
}

static void add_smi(const CupDetectOptions *o, CupSystem *sys)
{
  g_autofree char *smi = find_nvidia_smi(o);
  if (smi == NULL)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSmiReport) report =
      cup_smi_query(smi, o->smi_timeout_ms ? o->smi_timeout_ms : 10000, sys->warnings, &error);
  if (report == NULL) {
    cup_system_warn(sys, "%s gave no usable answer (%s); using the PCI bus instead", smi,
                    error->message);
    return;
  }
  if (sys->driver.version == NULL && report->driver_version) {
    sys->driver.version = g_strdup(report->driver_version);
    sys->driver.cuda_version = g_strdup(report->cuda_version);
    sys->driver.source = g_strdup(CUP_SOURCE_NVIDIA_SMI);
  }
  for (guint i = 0; i < report->gpus->len; i++) {
    CupGpu *from = g_ptr_array_index(report->gpus, i);
    CupGpu *into = find_gpu_by_bus(sys, from->bus_id);
    if (into == NULL) {
      into = cup_gpu_new();
      g_ptr_array_add(sys->gpus, into);
    }
    cup_gpu_merge(into, from);
  }
}

static gboolean is_nvidia_display(const CupPciDevice *dev)
{
  guint16 cls = (guint16)(dev->class_code >> 8);
  return dev->vendor == CUP_PCI_VENDOR_NVIDIA &&
         (cls == CUP_PCI_CLASS_DISPLAY_VGA || cls == CUP_PCI_CLASS_DISPLAY_3D);
}

static void add_pci(const CupDetectOptions *o, CupSystem *sys)
{
  g_autoptr(GPtrArray) devices = cup_platform_pci_devices(o->root, sys->warnings);
  for (guint i = 0; i < devices->len; i++) {
    CupPciDevice *dev = g_ptr_array_index(devices, i);
    if (!is_nvidia_display(dev))
      continue;
    CupGpu *gpu = find_gpu_by_bus(sys, dev->bus_id);
    if (gpu == NULL) {
      gpu = cup_gpu_new();
      g_ptr_array_add(sys->gpus, gpu);
    }
    g_autofree char *id = g_strdup_printf("%04x:%04x", dev->vendor, dev->device);
    cup_gpu_set(gpu, "pci_id", id, CUP_SOURCE_PCI);
    cup_gpu_set(gpu, "bus_id", dev->bus_id, CUP_SOURCE_PCI);
    if (dev->subsystem_vendor) {
      g_autofree char *sub =
          g_strdup_printf("%04x:%04x", dev->subsystem_vendor, dev->subsystem_device);
      cup_gpu_set(gpu, "subsystem_id", sub, CUP_SOURCE_PCI);
    }
  }
}

static gboolean parse_pci_id(const char *pci_id, guint16 *vendor, guint16 *device)
{
  unsigned v, d;
  char tail;
  if (pci_id == NULL || sscanf(pci_id, "%4x:%4x%c", &v, &d, &tail) != 2)
    return FALSE;
  *vendor = (guint16)v;
  *device = (guint16)d;
  return TRUE;
}

/* Chip, architecture and compute capability by PCI id; the name from pci.ids when no driver
 * told us, and from the GPU table as the last resort. */
static void resolve_tables(CupSystem *sys, const CupGpuTable *table, const CupPciIds *ids)
{
  for (guint i = 0; i < sys->gpus->len; i++) {
    CupGpu *gpu = g_ptr_array_index(sys->gpus, i);
    guint16 vendor, device;
    if (!parse_pci_id(gpu->pci_id, &vendor, &device))
      continue;
    const CupGpuEntry *e = table ? cup_gpu_table_lookup(table, vendor, device) : NULL;
    if (e) {
      cup_gpu_set(gpu, "chip", e->chip, CUP_SOURCE_GPU_TABLE);
      cup_gpu_set(gpu, "architecture", e->arch->architecture, CUP_SOURCE_GPU_TABLE);
      cup_gpu_set(gpu, "compute_capability", e->arch->compute_capability, CUP_SOURCE_GPU_TABLE);
    } else if (table) {
      cup_system_warn(sys,
                      "GPU %s (%s) is not in the GPU table; its compute capability is "
                      "unknown. Update cudaup or pass --cc X.Y to plan for it",
                      gpu->pci_id, gpu->name ? gpu->name : "no name");
    }
    const char *text = ids ? cup_pci_ids_device_name(ids, vendor, device) : NULL;
    if (text) {
      g_autofree char *name = cup_pci_ids_marketing_name(text);
      cup_gpu_set(gpu, "name", name, CUP_SOURCE_PCI_IDS);
    }
    if (e && e->name) {
      g_autofree char *name = cup_pci_ids_marketing_name(e->name);
      cup_gpu_set(gpu, "name", name, CUP_SOURCE_GPU_TABLE);
    }
  }
}

static CupGpuTable *load_gpu_table(const CupDetectOptions *o, GError **error)
{
  g_autofree char *dir = cup_manifests_dir(o->manifests_dir);
  g_autofree char *path = g_build_filename(dir, "gpus.json", NULL);
  return cup_gpu_table_load(path, error);
}

static CupPciIds *load_pci_ids(const CupDetectOptions *o, CupSystem *sys)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cup_pci_ids_find(o->root, o->pci_ids_path, &error);
  CupPciIds *ids = path ? cup_pci_ids_load(path, &error) : NULL;
  if (ids == NULL)
    cup_system_warn(sys, "%s; GPU names come from cudaup's GPU table instead", error->message);
  return ids;
}

/* Without NVML or nvidia-smi the loaded kernel module still tells the driver version. */
static void add_kernel_driver(const CupDetectOptions *o, CupSystem *sys)
{
  if (sys->driver.version)
    return;
  sys->driver.version = cup_kernel_driver_version(o->root);
  if (sys->driver.version)
    sys->driver.source = g_strdup(CUP_SOURCE_KERNEL);
}

static int compare_gpus(gconstpointer a, gconstpointer b)
{
  const CupGpu *x = *(CupGpu *const *)a, *y = *(CupGpu *const *)b;
  if (x->index != y->index)
    return x->index < 0 ? 1 : y->index < 0 ? -1 : (x->index < y->index ? -1 : 1);
  return g_strcmp0(x->bus_id, y->bus_id);
}

/* GPUs the driver did not number (PCI only) are numbered in bus order after the others,
 * which is the order nvidia-smi uses by default (CUDA_DEVICE_ORDER=PCI_BUS_ID). */
static void number_gpus(CupSystem *sys)
{
  int next = 0;
  g_ptr_array_sort(sys->gpus, compare_gpus);
  for (guint i = 0; i < sys->gpus->len; i++) {
    CupGpu *gpu = g_ptr_array_index(sys->gpus, i);
    if (gpu->index >= next)
      next = gpu->index + 1;
    else if (gpu->index < 0)
      gpu->index = next++;
  }
}

static void detect_gpus(const CupDetectOptions *o, CupSystem *sys)
{
  g_auto(GStrv) nvml = cup_nvml_candidates(o->root);
  if (!cup_nvml_detect((const char *const *)nvml, sys))
    add_smi(o, sys);
  add_pci(o, sys);
  add_kernel_driver(o, sys);
  number_gpus(sys);
}

CupSystem *cup_detect(const CupDetectOptions *options, GError **error)
{
  CupDetectOptions o = *options;
  g_auto(GStrv) own_env = NULL;
  if (o.envp == NULL) {
    own_env = g_get_environ();
    o.envp = (const char *const *)own_env;
  }
  g_autoptr(CupSystem) sys = cup_system_new();
  detect_gpus(&o, sys);
  if (sys->gpus->len > 0) {
    g_autoptr(CupGpuTable) own = o.gpu_table ? NULL : load_gpu_table(&o, error);
    if (own == NULL && o.gpu_table == NULL)
      return NULL;
    g_autoptr(CupPciIds) ids = load_pci_ids(&o, sys);
    resolve_tables(sys, o.gpu_table ? o.gpu_table : own, ids);
  }
  if (!o.skip_toolkits)
    g_ptr_array_extend_and_steal(sys->toolkits, cup_toolkits_detect(o.root, o.envp, sys->warnings));
  cup_osinfo_detect(o.root, o.envp, sys);
  return g_steal_pointer(&sys);
}
