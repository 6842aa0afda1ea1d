/* planinput.c - user overrides of detected facts. */
#include "core/i18n.h"
#include "core/planinput.h"

#include "core/error.h"
#include "core/pciids.h"
#include "core/version.h"

#include <stdio.h>
#include <string.h>

#define SOURCE_USER "user"

static CupGpu *gpu_from_entry(const CupGpuEntry *e)
{
  CupGpu *gpu = cup_gpu_new();
  g_autofree char *name = cup_pci_ids_marketing_name(e->name);
  gpu->index = 0;
  cup_gpu_set(gpu, "pci_id", e->pci_id, SOURCE_USER);
  cup_gpu_set(gpu, "name", name, CUP_SOURCE_GPU_TABLE);
  cup_gpu_set(gpu, "chip", e->chip, CUP_SOURCE_GPU_TABLE);
  cup_gpu_set(gpu, "architecture", e->arch->architecture, CUP_SOURCE_GPU_TABLE);
  cup_gpu_set(gpu, "compute_capability", e->arch->compute_capability, CUP_SOURCE_GPU_TABLE);
  return gpu;
}

static CupGpu *gpu_by_pci(const CupCatalog *cat, const char *pci_id, GError **error)
{
  unsigned vendor, device;
  char tail;
  if (sscanf(pci_id, "%4x:%4x%c", &vendor, &device, &tail) != 2) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("--pci %s: expected VENDOR:DEVICE in hex, like 10de:2204 (see lspci -nn)"),
                pci_id);
    return NULL;
  }
  const CupGpuEntry *e = cup_gpu_table_lookup(cat->gpus, (guint16)vendor, (guint16)device);
  if (e == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("--pci %s: not a CUDA GPU cudaup knows; check the id with 'cudaup list gpus', or "
                  "pass --cc X.Y instead"),
                pci_id);
    return NULL;
  }
  return gpu_from_entry(e);
}

static CupGpu *gpu_by_name(const CupCatalog *cat, const char *name, GError **error)
{
  const GPtrArray *entries = cup_gpu_table_entries(cat->gpus);
  g_autofree char *needle = g_utf8_casefold(name, -1);
  const CupGpuEntry *first = NULL;
  g_autoptr(GString) others = g_string_new(NULL);
  for (guint i = 0; i < entries->len; i++) {
    const CupGpuEntry *e = g_ptr_array_index(entries, i);
    g_autofree char *hay = g_utf8_casefold(e->name, -1);
    if (strstr(hay, needle) == NULL)
      continue;
    if (first == NULL)
      first = e;
    else if (strcmp(first->arch->compute_capability, e->arch->compute_capability) != 0)
      g_string_append_printf(others, ", %s (%s, CC %s)", e->pci_id, e->name,
                             e->arch->compute_capability);
  }
  if (first == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("--gpu '%s': no GPU of that name in cudaup's table; try 'cudaup list gpus' or "
                  "pass --pci 10de:XXXX"),
                name);
    return NULL;
  }
  if (others->len > 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("--gpu '%s' is ambiguous: %s (%s, CC %s)%s; pass --pci with the id lspci shows"),
                name, first->pci_id, first->name, first->arch->compute_capability, others->str);
    return NULL;
  }
  return gpu_from_entry(first);
}

static gboolean check_version(const char *option, const char *value, GError **error)
{
  CupVersion v;
  g_autoptr(GError) local = NULL;
  if (cup_version_parse(value, &v, &local))
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE, "%s: %s", option, local->message);
  return FALSE;
}

gboolean cup_system_override(CupSystem *sys, const CupCatalog *cat, const CupOverrides *o,
                             GError **error)
{
  g_autoptr(CupGpu) gpu = NULL;
  if ((o->cc && !check_version("--cc", o->cc, error)) ||
      (o->driver && strcmp(o->driver, "none") != 0 && !check_version("--driver", o->driver, error)))
    return FALSE;
  if (o->pci_id && (gpu = gpu_by_pci(cat, o->pci_id, error)) == NULL)
    return FALSE;
  if (!gpu && o->gpu_name && (gpu = gpu_by_name(cat, o->gpu_name, error)) == NULL)
    return FALSE;
  if (gpu == NULL && o->cc && sys->gpus->len == 0) {
    gpu = cup_gpu_new();
    gpu->index = 0;
  }
  if (gpu) {
    g_ptr_array_set_size(sys->gpus, 0);
    g_ptr_array_add(sys->gpus, g_steal_pointer(&gpu));
  }
  if (o->cc && sys->gpus->len > 0) {
    CupGpu *first = g_ptr_array_index(sys->gpus, 0);
    g_clear_pointer(&first->compute_capability, g_free);
    cup_gpu_set(first, "compute_capability", o->cc, SOURCE_USER);
  }
  if (o->driver) {
    g_clear_pointer(&sys->driver.version, g_free);
    g_clear_pointer(&sys->driver.cuda_version, g_free);
    g_clear_pointer(&sys->driver.source, g_free);
    if (strcmp(o->driver, "none") != 0) {
      sys->driver.version = g_strdup(o->driver);
      sys->driver.source = g_strdup(SOURCE_USER);
    }
  }
  return TRUE;
}
