/* fake_nvml.c - a stand-in libnvidia-ml.so.1 for machines without an NVIDIA driver.
 *
 * It exports the NVML entry points cudaup uses, with the ABI of the NVML API Reference
 * (https://docs.nvidia.com/deploy/nvml-api/), and answers from a recording: a key file named by
 * $CUP_FAKE_NVML whose values are transcribed from real nvidia-smi captures (see
 * tests/fixtures/nvml/). Return codes are NVML's: 0 success, 3 NOT_SUPPORTED, 9
 * DRIVER_NOT_LOADED, 2 INVALID_ARGUMENT, 7 INSUFFICIENT_SIZE, 1 UNINITIALIZED.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef struct {
  char bus_id_legacy[16];
  unsigned int domain, bus, device, pci_device_id, pci_sub_system_id;
  char bus_id[32];
} PciInfo;

typedef struct {
  unsigned long long total, free, used;
} Memory;

static GKeyFile *rec;
static gboolean initialised;

static char *group_of(void *dev)
{
  return g_strdup_printf("gpu%d", GPOINTER_TO_INT(dev) - 1);
}

EXPORT int nvmlInit_v2(void);
EXPORT int nvmlInit_v2(void)
{
  const char *path = g_getenv("CUP_FAKE_NVML");
  rec = g_key_file_new();
  if (path == NULL || !g_key_file_load_from_file(rec, path, G_KEY_FILE_NONE, NULL))
    return 12; /* NVML_ERROR_LIBRARY_NOT_FOUND */
  int err = g_key_file_get_integer(rec, "driver", "init_error", NULL);
  initialised = err == 0;
  return err;
}

EXPORT int nvmlShutdown(void);
EXPORT int nvmlShutdown(void)
{
  g_clear_pointer(&rec, g_key_file_unref);
  initialised = FALSE;
  return 0;
}

EXPORT const char *nvmlErrorString(int rc);
EXPORT const char *nvmlErrorString(int rc)
{
  switch (rc) {
  case 0:
    return "Success";
  case 3:
    return "Not Supported";
  case 9:
    return "Driver Not Loaded";
  case 12:
    return "NVML Shared Library Not Found";
  default:
    return "Unknown Error";
  }
}

static int copy_string(const char *group, const char *key, char *buf, unsigned int len)
{
  g_autofree char *v = initialised ? g_key_file_get_string(rec, group, key, NULL) : NULL;
  if (!initialised)
    return 1;
  if (v == NULL)
    return 3;
  if (strlen(v) + 1 > len)
    return 7;
  strcpy(buf, v);
  return 0;
}

EXPORT int nvmlSystemGetDriverVersion(char *buf, unsigned int len);
EXPORT int nvmlSystemGetDriverVersion(char *buf, unsigned int len)
{
  return copy_string("driver", "version", buf, len);
}

EXPORT int nvmlSystemGetCudaDriverVersion_v2(int *v);
EXPORT int nvmlSystemGetCudaDriverVersion_v2(int *v)
{
  if (!initialised)
    return 1;
  *v = g_key_file_get_integer(rec, "driver", "cuda", NULL);
  return 0;
}

EXPORT int nvmlDeviceGetCount_v2(unsigned int *count);
EXPORT int nvmlDeviceGetCount_v2(unsigned int *count)
{
  unsigned int n = 0;
  char group[16];
  if (!initialised)
    return 1;
  for (;; n++) {
    g_snprintf(group, sizeof group, "gpu%u", n);
    if (!g_key_file_has_group(rec, group))
      break;
  }
  *count = n;
  return 0;
}

EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev);
EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **dev)
{
  unsigned int n = 0;
  nvmlDeviceGetCount_v2(&n);
  if (!initialised || i >= n)
    return 2;
  *dev = GINT_TO_POINTER((int)i + 1);
  return 0;
}

EXPORT int nvmlDeviceGetName(void *dev, char *buf, unsigned int len);
EXPORT int nvmlDeviceGetName(void *dev, char *buf, unsigned int len)
{
  g_autofree char *group = group_of(dev);
  return copy_string(group, "name", buf, len);
}

EXPORT int nvmlDeviceGetPciInfo_v3(void *dev, PciInfo *pci);
EXPORT int nvmlDeviceGetPciInfo_v3(void *dev, PciInfo *pci)
{
  g_autofree char *group = group_of(dev);
  g_autofree char *id = g_key_file_get_string(rec, group, "pci_device_id", NULL);
  g_autofree char *sub = g_key_file_get_string(rec, group, "pci_sub_system_id", NULL);
  memset(pci, 0, sizeof *pci);
  if (id == NULL)
    return 3;
  pci->pci_device_id = (unsigned int)g_ascii_strtoull(id, NULL, 16);
  pci->pci_sub_system_id = sub ? (unsigned int)g_ascii_strtoull(sub, NULL, 16) : 0;
  return copy_string(group, "bus_id", pci->bus_id, sizeof pci->bus_id);
}

EXPORT int nvmlDeviceGetMemoryInfo(void *dev, Memory *mem);
EXPORT int nvmlDeviceGetMemoryInfo(void *dev, Memory *mem)
{
  g_autofree char *group = group_of(dev);
  guint64 mib = g_key_file_get_uint64(rec, group, "memory_total_mib", NULL);
  if (mib == 0)
    return 3;
  mem->total = mib * 1024 * 1024;
  mem->used = 0;
  mem->free = mem->total;
  return 0;
}

EXPORT int nvmlDeviceGetCudaComputeCapability(void *dev, int *major, int *minor);
EXPORT int nvmlDeviceGetCudaComputeCapability(void *dev, int *major, int *minor)
{
  g_autofree char *group = group_of(dev);
  g_autofree char *cc = g_key_file_get_string(rec, group, "compute_capability", NULL);
  if (cc == NULL || sscanf(cc, "%d.%d", major, minor) != 2)
    return 3;
  return 0;
}

EXPORT int nvmlDeviceGetMigMode(void *dev, unsigned int *current, unsigned int *pending);
EXPORT int nvmlDeviceGetMigMode(void *dev, unsigned int *current, unsigned int *pending)
{
  g_autofree char *group = group_of(dev);
  GError *error = NULL;
  int mode = g_key_file_get_integer(rec, group, "mig", &error);
  if (error) {
    g_error_free(error);
    return 3; /* GPUs without MIG answer NOT_SUPPORTED */
  }
  *current = *pending = (unsigned int)mode;
  return 0;
}
