/* smi_text.c - the human-readable nvidia-smi forms: `-q`, the plain table, and `-L`. */
#include "core/smi.h"

#include "core/error.h"
#include "core/smi_private.h"

#include <string.h>

/* ---- nvidia-smi -q ---------------------------------------------------------------------- */

#define QUERY_WHAT "nvidia-smi -q"
#define QUERY_MAX_DEPTH 16

typedef struct {
  int indent;
  char *key;
} QueryLevel;

typedef struct {
  CupSmiReport *report;
  CupGpu *gpu; /* the open "GPU <bus id>" block, owned here until the next top-level line */
  QueryLevel levels[QUERY_MAX_DEPTH];
  guint depth;
  char *kmd_version;
  char *cuda_umd_version;
  guint64 attached;
} QueryState;

/* Facts of a GPU block, by "Section/Key" path below the "GPU ..." line. */
static const struct {
  const char *path;
  const char *fact;
} query_gpu_facts[] = {
    {"Product Name", "name"},
    {"PCI/Device Id", "pci_id"},
    {"PCI/Sub System Id", "subsystem_id"},
    {"PCI/Bus Id", "bus_id"},
    {"MIG Mode/Current", "mig_mode"},
};

/* Split "    Key      : value" into indent, key and value (NULL for a section heading). The
 * separator is a colon with a space (or the end) after it, so "00000000:01:00.0" is no key. */
static gboolean query_split(char *line, int *indent, char **key, char **value)
{
  char *p = line;
  while (*p == ' ' || *p == '\t')
    p++;
  *indent = (int)(p - line);
  g_strchomp(p);
  if (*p == '\0')
    return FALSE;
  *key = p;
  *value = NULL;
  for (char *c = strchr(p, ':'); c != NULL; c = strchr(c + 1, ':')) {
    if (c > p && c[-1] == ' ' && (c[1] == ' ' || c[1] == '\0')) {
      *c = '\0';
      *value = g_strstrip(c + 1);
      break;
    }
  }
  g_strchomp(*key);
  return TRUE;
}

static void query_flush_gpu(QueryState *st)
{
  if (st->gpu != NULL)
    cup_smi_report_add_gpu(st->report, g_steal_pointer(&st->gpu));
}

static void query_pop(QueryState *st, int indent)
{
  while (st->depth > 0 && st->levels[st->depth - 1].indent >= indent)
    g_free(st->levels[--st->depth].key);
}

static void query_push(QueryState *st, int indent, const char *key)
{
  if (st->depth < QUERY_MAX_DEPTH)
    st->levels[st->depth++] = (QueryLevel){indent, g_strdup(key)};
}

static void query_top_value(QueryState *st, const char *key, const char *value)
{
  CupSmiReport *r = st->report;
  if (strcmp(key, "Driver Version") == 0 && r->driver_version == NULL)
    r->driver_version = cup_smi_version(value);
  else if (strcmp(key, "CUDA Version") == 0 && r->cuda_version == NULL)
    r->cuda_version = cup_smi_version(value);
  else if (strcmp(key, "KMD Version") == 0 && st->kmd_version == NULL)
    st->kmd_version = cup_smi_version(value);
  else if (strcmp(key, "CUDA UMD Version") == 0 && st->cuda_umd_version == NULL)
    st->cuda_umd_version = cup_smi_version(value);
  else if (strcmp(key, "Attached GPUs") == 0)
    g_ascii_string_to_unsigned(value, 10, 0, 4096, &st->attached, NULL);
}

static void query_gpu_value(QueryState *st, const char *key, const char *value)
{
  g_autoptr(GString) path = g_string_new(NULL);
  for (guint i = 1; i < st->depth; i++)
    g_string_append_printf(path, "%s/", st->levels[i].key);
  g_string_append(path, key);
  for (gsize i = 0; i < G_N_ELEMENTS(query_gpu_facts); i++)
    if (strcmp(path->str, query_gpu_facts[i].path) == 0)
      cup_smi_gpu_set(st->gpu, query_gpu_facts[i].fact, value);
  if (strcmp(path->str, "FB Memory Usage/Total") == 0)
    cup_gpu_set_memory(st->gpu, cup_smi_mib(value, TRUE), CUP_SOURCE_NVIDIA_SMI);
}

static void query_line(QueryState *st, char *line)
{
  int indent;
  char *key, *value;
  if (!query_split(line, &indent, &key, &value))
    return;
  query_pop(st, indent);
  if (indent == 0) {
    query_flush_gpu(st);
    g_autofree char *bus_id = g_str_has_prefix(key, "GPU ") ? cup_bus_id_normalize(key + 4) : NULL;
    if (value != NULL)
      query_top_value(st, key, value);
    else if (bus_id != NULL) {
      st->gpu = cup_gpu_new();
      cup_gpu_set(st->gpu, "bus_id", bus_id, CUP_SOURCE_NVIDIA_SMI);
    }
  } else if (st->gpu != NULL && value != NULL) {
    query_gpu_value(st, key, value);
  }
  if (value == NULL)
    query_push(st, indent, key);
}

CupSmiReport *cup_smi_parse_query_text(const char *text, gsize len, GError **error)
{
  g_autofree char *checked = cup_smi_prepare_text(text, len, QUERY_WHAT, error);
  if (checked == NULL)
    return NULL;
  g_auto(GStrv) lines = cup_smi_split_lines(checked, TRUE);
  QueryState st = {.report = cup_smi_report_new()};
  for (guint i = 0; lines[i] != NULL; i++)
    query_line(&st, lines[i]);
  query_flush_gpu(&st);
  query_pop(&st, -1);
  CupSmiReport *r = st.report;
  if (r->driver_version == NULL)
    r->driver_version = g_steal_pointer(&st.kmd_version);
  if (r->cuda_version == NULL)
    r->cuda_version = g_steal_pointer(&st.cuda_umd_version);
  g_free(st.kmd_version);
  g_free(st.cuda_umd_version);
  r->partial = st.attached > r->gpus->len;
  return cup_smi_report_finish(r, QUERY_WHAT, error);
}

/* ---- the plain nvidia-smi table --------------------------------------------------------- */

#define TABLE_WHAT "nvidia-smi (table)"

/* The version after @label ("Driver Version:") in @line, up to the next space; NULL if none. */
static char *table_version_after(const char *line, const char *label)
{
  const char *p = strstr(line, label);
  if (p == NULL)
    return NULL;
  p += strlen(label);
  while (*p == ' ')
    p++;
  g_autofree char *word = g_strndup(p, strcspn(p, " |"));
  return cup_smi_version(word);
}

/* "| NVIDIA-SMI 550.90.07   Driver Version: 550.90.07   CUDA Version: 12.4   |", or from
 * driver 610 "... KMD Version: 610.57.04   CUDA UMD Version: 13.3 |". A header cut short
 * (no closing "|") is not read, since its last version could be cut too. */
static gboolean table_header(CupSmiReport *r, const char *line)
{
  if (strstr(line, "NVIDIA-SMI ") == NULL || !g_str_has_suffix(line, "|"))
    return FALSE;
  char *driver = table_version_after(line, "Driver Version:");
  if (driver == NULL)
    driver = table_version_after(line, "KMD Version:");
  char *cuda = table_version_after(line, "CUDA Version:");
  if (cuda == NULL)
    cuda = table_version_after(line, "CUDA UMD Version:");
  if (r->driver_version == NULL)
    r->driver_version = g_steal_pointer(&driver);
  if (r->cuda_version == NULL)
    r->cuda_version = g_steal_pointer(&cuda);
  g_free(driver);
  g_free(cuda);
  return TRUE;
}

/* The cells of a table line "| a | b | c |" (3 cells), or NULL for any other line. */
static char **table_cells(const char *line)
{
  if (line == NULL || line[0] != '|' || !g_str_has_suffix(line, "|"))
    return NULL;
  char **parts = g_strsplit(line, "|", -1);
  if (g_strv_length(parts) != 5) {
    g_strfreev(parts);
    return NULL;
  }
  for (int i = 0; i < 5; i++)
    g_strstrip(parts[i]);
  return parts;
}

/* "0  NVIDIA H100 80GB HBM3          On" -> index 0, name; the name is dropped when the table
 * cut it ("NVIDIA GeForce RTX 2080 ..."). */
static gboolean table_index_name(CupGpu *gpu, const char *cell)
{
  char *end = NULL;
  guint64 index = g_ascii_strtoull(cell, &end, 10);
  if (end == cell || *end != ' ' || index > 4095)
    return FALSE;
  gpu->index = (int)index;
  g_autofree char *rest = g_strstrip(g_strdup(end));
  char *gap = g_strrstr(rest, "  "); /* before Persistence-M or Driver-Model */
  if (gap == NULL)
    return TRUE;
  *gap = '\0';
  g_strchomp(rest);
  if (!g_str_has_suffix(rest, "..."))
    cup_smi_gpu_set(gpu, "name", rest);
  return TRUE;
}

/* A GPU row at @lines[0], with memory on the next line and "MIG M." on the one after. */
static CupGpu *table_gpu(char **lines)
{
  g_auto(GStrv) row = table_cells(lines[0]);
  if (row == NULL)
    return NULL;
  g_autofree char *bus = g_strndup(row[2], strcspn(row[2], " "));
  g_autoptr(CupGpu) gpu = cup_gpu_new();
  cup_smi_gpu_set(gpu, "bus_id", bus);
  if (gpu->bus_id == NULL || !table_index_name(gpu, row[1]))
    return NULL;
  g_auto(GStrv) usage = table_cells(lines[1]);
  const char *slash = usage ? strchr(usage[2], '/') : NULL;
  if (slash != NULL) {
    g_autofree char *total = g_strstrip(g_strdup(slash + 1));
    cup_gpu_set_memory(gpu, cup_smi_mib(total, TRUE), CUP_SOURCE_NVIDIA_SMI);
  }
  g_auto(GStrv) mig = usage ? table_cells(lines[2]) : NULL;
  if (mig != NULL)
    cup_smi_gpu_set(gpu, "mig_mode", mig[3]);
  return g_steal_pointer(&gpu);
}

CupSmiReport *cup_smi_parse_table(const char *text, gsize len, GError **error)
{
  g_autofree char *checked = cup_smi_prepare_text(text, len, TABLE_WHAT, error);
  if (checked == NULL)
    return NULL;
  g_auto(GStrv) lines = cup_smi_split_lines(checked, FALSE);
  g_autoptr(CupSmiReport) r = cup_smi_report_new();
  gboolean header = FALSE;
  for (guint i = 0; lines[i] != NULL; i++) {
    if (!header) {
      header = table_header(r, lines[i]);
      continue;
    }
    CupGpu *gpu = table_gpu(&lines[i]);
    if (gpu != NULL)
      g_ptr_array_add(r->gpus, gpu);
  }
  if (!header) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                TABLE_WHAT ": no \"NVIDIA-SMI ... Driver Version:\" header line in the output");
    return NULL;
  }
  return cup_smi_report_finish(g_steal_pointer(&r), TABLE_WHAT, error);
}

/* ---- nvidia-smi -L ---------------------------------------------------------------------- */

#define LIST_WHAT "nvidia-smi -L"

/* "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)"; indented "MIG 1g.10gb Device 0: ..." lines
 * do not start with "GPU " and are skipped. */
static CupGpu *list_gpu(const char *line)
{
  if (!g_str_has_prefix(line, "GPU "))
    return NULL;
  char *end = NULL;
  guint64 index = g_ascii_strtoull(line + 4, &end, 10);
  if (end == line + 4 || !g_str_has_prefix(end, ": ") || index > 4095)
    return NULL;
  const char *name = end + 2;
  const char *uuid = strstr(name, " (UUID:");
  g_autofree char *copy = g_strndup(name, uuid ? (gsize)(uuid - name) : strlen(name));
  CupGpu *gpu = cup_gpu_new();
  gpu->index = (int)index;
  cup_smi_gpu_set(gpu, "name", g_strstrip(copy));
  return gpu;
}

CupSmiReport *cup_smi_parse_list(const char *text, gsize len, GError **error)
{
  g_autofree char *checked = cup_smi_prepare_text(text, len, LIST_WHAT, error);
  if (checked == NULL)
    return NULL;
  /* A cut last line can only shorten a name, which is never used for identity. */
  g_auto(GStrv) lines = cup_smi_split_lines(checked, FALSE);
  g_autoptr(CupSmiReport) r = cup_smi_report_new();
  for (guint i = 0; lines[i] != NULL; i++) {
    CupGpu *gpu = list_gpu(lines[i]);
    if (gpu != NULL)
      g_ptr_array_add(r->gpus, gpu);
  }
  return cup_smi_report_finish(g_steal_pointer(&r), LIST_WHAT, error);
}
