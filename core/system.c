/* system.c - CupSystem construction, merging of GPU facts, and the detect JSON. */
#include "core/system.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *fact;
  gsize offset;
} GpuField;

static const GpuField gpu_fields[] = {
    {"pci_id", offsetof(CupGpu, pci_id)},
    {"subsystem_id", offsetof(CupGpu, subsystem_id)},
    {"bus_id", offsetof(CupGpu, bus_id)},
    {"name", offsetof(CupGpu, name)},
    {"chip", offsetof(CupGpu, chip)},
    {"architecture", offsetof(CupGpu, architecture)},
    {"compute_capability", offsetof(CupGpu, compute_capability)},
    {"mig_mode", offsetof(CupGpu, mig_mode)},
};

static char **gpu_field(const CupGpu *gpu, const char *fact)
{
  for (gsize i = 0; i < G_N_ELEMENTS(gpu_fields); i++)
    if (strcmp(gpu_fields[i].fact, fact) == 0)
      return (char **)((const char *)gpu + gpu_fields[i].offset);
  g_return_val_if_reached(NULL);
}

const char *cup_gpu_get(const CupGpu *gpu, const char *fact)
{
  char **field = gpu_field(gpu, fact);
  return field ? *field : NULL;
}

CupGpu *cup_gpu_new(void)
{
  CupGpu *gpu = g_new0(CupGpu, 1);
  gpu->index = -1;
  gpu->memory_mib = -1;
  gpu->sources = g_ptr_array_new_with_free_func(g_free);
  gpu->fact_sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return gpu;
}

void cup_gpu_free(CupGpu *gpu)
{
  if (gpu == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS(gpu_fields); i++)
    g_free(*gpu_field(gpu, gpu_fields[i].fact));
  g_ptr_array_unref(gpu->sources);
  g_hash_table_unref(gpu->fact_sources);
  g_free(gpu);
}

static void add_source(CupGpu *gpu, const char *source)
{
  for (guint i = 0; i < gpu->sources->len; i++)
    if (strcmp(g_ptr_array_index(gpu->sources, i), source) == 0)
      return;
  g_ptr_array_add(gpu->sources, g_strdup(source));
}

gboolean cup_gpu_set(CupGpu *gpu, const char *fact, const char *value, const char *source)
{
  char **field = gpu_field(gpu, fact);
  if (field == NULL || value == NULL || *value == '\0')
    return FALSE;
  add_source(gpu, source); /* it saw this GPU, even when a better source spoke first */
  if (*field != NULL)
    return FALSE;
  *field = g_strdup(value);
  g_hash_table_insert(gpu->fact_sources, g_strdup(fact), g_strdup(source));
  return TRUE;
}

gboolean cup_gpu_set_memory(CupGpu *gpu, gint64 memory_mib, const char *source)
{
  if (memory_mib < 0)
    return FALSE;
  add_source(gpu, source);
  if (gpu->memory_mib >= 0)
    return FALSE;
  gpu->memory_mib = memory_mib;
  g_hash_table_insert(gpu->fact_sources, g_strdup("memory_mib"), g_strdup(source));
  return TRUE;
}

void cup_gpu_merge(CupGpu *into, const CupGpu *from)
{
  for (gsize i = 0; i < G_N_ELEMENTS(gpu_fields); i++) {
    const char *fact = gpu_fields[i].fact;
    const char *source = g_hash_table_lookup(from->fact_sources, fact);
    if (source)
      cup_gpu_set(into, fact, cup_gpu_get(from, fact), source);
  }
  const char *mem_source = g_hash_table_lookup(from->fact_sources, "memory_mib");
  if (mem_source)
    cup_gpu_set_memory(into, from->memory_mib, mem_source);
  if (into->index < 0)
    into->index = from->index;
}

CupGpu *cup_gpu_copy(const CupGpu *gpu)
{
  CupGpu *copy = cup_gpu_new();
  cup_gpu_merge(copy, gpu);
  for (guint i = 0; i < gpu->sources->len; i++)
    add_source(copy, g_ptr_array_index(gpu->sources, i));
  return copy;
}

CupToolkit *cup_toolkit_new(void)
{
  CupToolkit *tk = g_new0(CupToolkit, 1);
  tk->found_via = g_ptr_array_new_with_free_func(g_free);
  return tk;
}

void cup_toolkit_free(CupToolkit *tk)
{
  if (tk == NULL)
    return;
  g_free(tk->version);
  g_free(tk->root);
  g_free(tk->version_source);
  g_free(tk->nvcc_version);
  g_ptr_array_unref(tk->found_via);
  cup_cudnn_free(tk->cudnn);
  g_free(tk);
}

CupCudnn *cup_cudnn_new(void)
{
  return g_new0(CupCudnn, 1);
}

void cup_cudnn_free(CupCudnn *cudnn)
{
  if (cudnn == NULL)
    return;
  g_free(cudnn->version);
  g_free(cudnn->path);
  g_free(cudnn->source);
  g_free(cudnn);
}

CupPython *cup_python_new(const char *path, const char *version)
{
  CupPython *py = g_new0(CupPython, 1);
  py->path = g_strdup(path);
  py->version = g_strdup(version);
  return py;
}

void cup_python_free(CupPython *py)
{
  if (py == NULL)
    return;
  g_free(py->path);
  g_free(py->version);
  g_free(py);
}

CupSystem *cup_system_new(void)
{
  CupSystem *sys = g_new0(CupSystem, 1);
  sys->gpus = g_ptr_array_new_with_free_func((GDestroyNotify)cup_gpu_free);
  sys->toolkits = g_ptr_array_new_with_free_func((GDestroyNotify)cup_toolkit_free);
  sys->pythons = g_ptr_array_new_with_free_func((GDestroyNotify)cup_python_free);
  sys->warnings = g_ptr_array_new_with_free_func(g_free);
  sys->os.wsl = CUP_UNKNOWN;
  sys->secure_boot = CUP_UNKNOWN;
  sys->nouveau_loaded = CUP_UNKNOWN;
  sys->nvidia_module_loaded = CUP_UNKNOWN;
  return sys;
}

void cup_system_free(CupSystem *sys)
{
  if (sys == NULL)
    return;
  g_ptr_array_unref(sys->gpus);
  g_free(sys->driver.version);
  g_free(sys->driver.cuda_version);
  g_free(sys->driver.source);
  g_ptr_array_unref(sys->toolkits);
  g_free(sys->os.family);
  g_free(sys->os.distribution);
  g_free(sys->os.version);
  g_free(sys->os.pretty_name);
  g_free(sys->os.arch);
  g_ptr_array_unref(sys->pythons);
  g_ptr_array_unref(sys->warnings);
  g_free(sys);
}

void cup_system_warn(CupSystem *sys, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  char *line = g_strdup_vprintf(format, args);
  va_end(args);
  g_ptr_array_add(sys->warnings, line);
}

char *cup_bus_id_normalize(const char *bus_id)
{
  unsigned domain = 0, bus, dev, fn;
  char tail;
  if (bus_id == NULL)
    return NULL;
  if (sscanf(bus_id, "%x:%x:%x.%x%c", &domain, &bus, &dev, &fn, &tail) != 4) {
    domain = 0;
    if (sscanf(bus_id, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
      return NULL;
  }
  if (domain > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
    return NULL;
  return g_strdup_printf("%04x:%02x:%02x.%x", domain, bus, dev, fn);
}

/* ---- JSON ------------------------------------------------------------------------------ */

json_t *cup_json_string_or_null(const char *s)
{
  return s ? json_string(s) : json_null();
}

json_t *cup_json_tristate(CupTristate t)
{
  return t == CUP_UNKNOWN ? json_null() : json_boolean(t == CUP_YES);
}

json_t *cup_json_strings(const GPtrArray *strings)
{
  json_t *arr = json_array();
  for (guint i = 0; strings && i < strings->len; i++)
    json_array_append_new(arr, json_string(g_ptr_array_index(strings, i)));
  return arr;
}

json_t *cup_gpu_to_json(const CupGpu *gpu)
{
  json_t *o = json_object();
  json_object_set_new(o, "index", gpu->index >= 0 ? json_integer(gpu->index) : json_null());
  for (gsize i = 0; i < G_N_ELEMENTS(gpu_fields); i++) {
    const char *fact = gpu_fields[i].fact;
    json_object_set_new(o, fact, cup_json_string_or_null(*gpu_field(gpu, fact)));
  }
  json_object_set_new(o, "memory_mib",
                      gpu->memory_mib >= 0 ? json_integer(gpu->memory_mib) : json_null());
  json_object_set_new(o, "sources", cup_json_strings(gpu->sources));
  json_t *facts = json_object();
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init(&iter, gpu->fact_sources);
  while (g_hash_table_iter_next(&iter, &key, &value))
    json_object_set_new(facts, key, json_string(value));
  json_object_set_new(o, "fact_sources", facts);
  return o;
}

static json_t *toolkit_to_json(CupToolkit *tk)
{
  json_t *o = json_object();
  json_object_set_new(o, "version", cup_json_string_or_null(tk->version));
  json_object_set_new(o, "root", cup_json_string_or_null(tk->root));
  json_object_set_new(o, "version_source", cup_json_string_or_null(tk->version_source));
  json_object_set_new(o, "nvcc_version", cup_json_string_or_null(tk->nvcc_version));
  json_object_set_new(o, "found_via", cup_json_strings(tk->found_via));
  json_t *cudnn = json_null();
  if (tk->cudnn) {
    cudnn = json_object();
    json_object_set_new(cudnn, "version", cup_json_string_or_null(tk->cudnn->version));
    json_object_set_new(cudnn, "path", cup_json_string_or_null(tk->cudnn->path));
    json_object_set_new(cudnn, "source", cup_json_string_or_null(tk->cudnn->source));
  }
  json_object_set_new(o, "cudnn", cudnn);
  return o;
}

static json_t *os_to_json(const CupOsInfo *os)
{
  json_t *o = json_object();
  json_object_set_new(o, "family", cup_json_string_or_null(os->family));
  json_object_set_new(o, "distribution", cup_json_string_or_null(os->distribution));
  json_object_set_new(o, "version", cup_json_string_or_null(os->version));
  json_object_set_new(o, "pretty_name", cup_json_string_or_null(os->pretty_name));
  json_object_set_new(o, "arch", cup_json_string_or_null(os->arch));
  json_object_set_new(o, "wsl", cup_json_tristate(os->wsl));
  return o;
}

json_t *cup_system_to_json(const CupSystem *sys)
{
  json_t *root = json_object();
  json_t *gpus = json_array();
  for (guint i = 0; i < sys->gpus->len; i++)
    json_array_append_new(gpus, cup_gpu_to_json(g_ptr_array_index(sys->gpus, i)));
  json_object_set_new(root, "gpus", gpus);

  json_t *driver = json_object();
  json_object_set_new(driver, "version", cup_json_string_or_null(sys->driver.version));
  json_object_set_new(driver, "cuda_version", cup_json_string_or_null(sys->driver.cuda_version));
  json_object_set_new(driver, "source", cup_json_string_or_null(sys->driver.source));
  json_object_set_new(root, "driver", driver);

  json_t *toolkits = json_array();
  for (guint i = 0; i < sys->toolkits->len; i++)
    json_array_append_new(toolkits, toolkit_to_json(g_ptr_array_index(sys->toolkits, i)));
  json_object_set_new(root, "toolkits", toolkits);

  json_object_set_new(root, "os", os_to_json(&sys->os));
  json_object_set_new(root, "secure_boot", cup_json_tristate(sys->secure_boot));
  json_object_set_new(root, "nouveau_loaded", cup_json_tristate(sys->nouveau_loaded));
  json_object_set_new(root, "nvidia_module_loaded", cup_json_tristate(sys->nvidia_module_loaded));

  json_t *pythons = json_array();
  for (guint i = 0; i < sys->pythons->len; i++) {
    CupPython *py = g_ptr_array_index(sys->pythons, i);
    json_t *p = json_object();
    json_object_set_new(p, "path", cup_json_string_or_null(py->path));
    json_object_set_new(p, "version", cup_json_string_or_null(py->version));
    json_array_append_new(pythons, p);
  }
  json_object_set_new(root, "pythons", pythons);
  json_object_set_new(root, "warnings", cup_json_strings(sys->warnings));
  return root;
}
