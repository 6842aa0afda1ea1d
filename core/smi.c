/* smi.c - nvidia-smi reports: shared value rules, the XML and CSV parsers. */
#include "core/i18n.h"
#include "core/smi.h"

#include "core/error.h"
#include "core/smi_private.h"
#include "core/version.h"

#include <string.h>

CupSmiReport *cup_smi_report_new(void)
{
  CupSmiReport *report = g_new0(CupSmiReport, 1);
  report->gpus = g_ptr_array_new_with_free_func((GDestroyNotify)cup_gpu_free);
  return report;
}

void cup_smi_report_free(CupSmiReport *report)
{
  if (report == NULL)
    return;
  g_free(report->driver_version);
  g_free(report->cuda_version);
  g_ptr_array_unref(report->gpus);
  g_free(report);
}

/* ---- value rules ---------------------------------------------------------------------- */

gboolean cup_smi_value_missing(const char *value)
{
  if (value == NULL || *value == '\0')
    return TRUE;
  if (g_ascii_strcasecmp(value, "N/A") == 0)
    return TRUE;
  gsize n = strlen(value);
  return value[0] == '[' && value[n - 1] == ']';
}

static gboolean parse_hex16(const char *hex, guint *out)
{
  guint v = 0;
  for (int i = 0; i < 4; i++) {
    int d = g_ascii_xdigit_value(hex[i]);
    if (d < 0)
      return FALSE;
    v = v * 16 + (guint)d;
  }
  *out = v;
  return v != 0 && v != 0xffff;
}

char *cup_smi_pci_id(const char *value)
{
  if (value == NULL)
    return NULL;
  if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X'))
    value += 2;
  guint device, vendor;
  if (strlen(value) != 8 || !parse_hex16(value, &device) || !parse_hex16(value + 4, &vendor))
    return NULL;
  return g_strdup_printf("%04x:%04x", vendor, device);
}

gint64 cup_smi_mib(const char *value, gboolean unit_required)
{
  if (value == NULL || !g_ascii_isdigit(*value))
    return -1;
  char *end = NULL;
  guint64 mib = g_ascii_strtoull(value, &end, 10);
  while (*end == ' ')
    end++;
  gboolean unit_ok = strcmp(end, "MiB") == 0 || (!unit_required && *end == '\0');
  /* 2^40 MiB is an exabyte: anything larger is garbage, not a GPU. */
  if (!unit_ok || mib > (G_GUINT64_CONSTANT(1) << 40))
    return -1;
  return (gint64)mib;
}

const char *cup_smi_mig_mode(const char *value)
{
  if (value == NULL)
    return NULL;
  if (g_ascii_strcasecmp(value, "Enabled") == 0)
    return "enabled";
  if (g_ascii_strcasecmp(value, "Disabled") == 0)
    return "disabled";
  return NULL;
}

char *cup_smi_version(const char *value)
{
  if (cup_smi_value_missing(value))
    return NULL;
  /* Driver 610 prints "13.3 [Deprecated; will be removed in CUDA 14.0. Use ... instead]". */
  const char *bracket = strchr(value, '[');
  g_autofree char *copy = g_strndup(value, bracket ? (gsize)(bracket - value) : strlen(value));
  g_strstrip(copy);
  CupVersion parsed;
  if (!cup_version_parse(copy, &parsed, NULL))
    return NULL;
  return g_steal_pointer(&copy);
}

static gboolean is_compute_capability(const char *value)
{
  const char *p = value;
  if (!g_ascii_isdigit(*p))
    return FALSE;
  while (g_ascii_isdigit(*p))
    p++;
  if (*p++ != '.' || !g_ascii_isdigit(*p))
    return FALSE;
  while (g_ascii_isdigit(*p))
    p++;
  return *p == '\0' && p - value <= 6;
}

void cup_smi_gpu_set(CupGpu *gpu, const char *fact, const char *value)
{
  if (cup_smi_value_missing(value))
    return;
  g_autofree char *normal = NULL;
  if (strcmp(fact, "pci_id") == 0 || strcmp(fact, "subsystem_id") == 0)
    normal = cup_smi_pci_id(value);
  else if (strcmp(fact, "bus_id") == 0)
    normal = cup_bus_id_normalize(value);
  else if (strcmp(fact, "mig_mode") == 0)
    normal = g_strdup(cup_smi_mig_mode(value));
  else if (strcmp(fact, "compute_capability") == 0)
    normal = is_compute_capability(value) ? g_strdup(value) : NULL;
  else
    normal = g_strdup(value);
  cup_gpu_set(gpu, fact, normal, CUP_SOURCE_NVIDIA_SMI);
}

char *cup_smi_prepare_text(const char *text, gsize len, const char *what, GError **error)
{
  if (text == NULL)
    len = 0;
  if (len > 0 && memchr(text, '\0', len) != NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                _("%s: the output holds a NUL byte, so it is not nvidia-smi text"), what);
    return NULL;
  }
  return g_utf8_make_valid(len > 0 ? text : "", (gssize)len);
}

char **cup_smi_split_lines(const char *text, gboolean drop_unterminated)
{
  char **lines = g_strsplit(text, "\n", -1);
  guint n = g_strv_length(lines);
  /* g_strsplit leaves "" after a final "\n"; anything else there is an unterminated line. */
  if (n > 0 && (lines[n - 1][0] == '\0' || drop_unterminated)) {
    g_free(lines[n - 1]);
    lines[n - 1] = NULL;
    n--;
  }
  for (guint i = 0; i < n; i++) {
    gsize l = strlen(lines[i]);
    if (l > 0 && lines[i][l - 1] == '\r')
      lines[i][l - 1] = '\0';
  }
  return lines;
}

void cup_smi_report_add_gpu(CupSmiReport *report, CupGpu *gpu)
{
  if (gpu->index < 0)
    gpu->index = (int)report->gpus->len;
  g_ptr_array_add(report->gpus, gpu);
}

CupSmiReport *cup_smi_report_finish(CupSmiReport *report, const char *what, GError **error)
{
  if (report->driver_version != NULL || report->gpus->len > 0)
    return report;
  cup_smi_report_free(report);
  g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
              _("%s: found neither a driver version nor a GPU in the output"), what);
  return NULL;
}

/* ---- nvidia-smi -q -x ------------------------------------------------------------------- */

#define XML_WHAT "nvidia-smi -q -x"
#define XML_ROOT "nvidia_smi_log/"
#define XML_GPU XML_ROOT "gpu"

typedef struct {
  CupSmiReport *report;
  GString *path;      /* "nvidia_smi_log/gpu/pci/pci_device_id" */
  GArray *path_marks; /* gsize: path->len before each open element */
  GString *text;      /* character data of the innermost element */
  CupGpu *gpu;        /* the open <gpu>, owned here until it closes */
  char *gpu_id;       /* its id attribute, the bus id fallback */
} XmlState;

/* Facts of a <gpu>, by element path below it. */
static const struct {
  const char *path;
  const char *fact;
} xml_gpu_facts[] = {
    {"/product_name", "name"},
    {"/pci/pci_device_id", "pci_id"},
    {"/pci/pci_sub_system_id", "subsystem_id"},
    {"/pci/pci_bus_id", "bus_id"},
    {"/mig_mode/current_mig", "mig_mode"},
};

static void xml_start(GMarkupParseContext *ctx, const char *name, const char **attr_names,
                      const char **attr_values, gpointer data, GError **error)
{
  (void)ctx;
  (void)error;
  XmlState *st = data;
  gsize mark = st->path->len;
  g_array_append_val(st->path_marks, mark);
  if (mark > 0)
    g_string_append_c(st->path, '/');
  g_string_append(st->path, name);
  g_string_truncate(st->text, 0);
  if (strcmp(st->path->str, XML_GPU) != 0)
    return;
  g_clear_pointer(&st->gpu, cup_gpu_free);
  g_clear_pointer(&st->gpu_id, g_free);
  st->gpu = cup_gpu_new();
  for (int i = 0; attr_names[i] != NULL; i++)
    if (strcmp(attr_names[i], "id") == 0)
      st->gpu_id = g_strdup(attr_values[i]);
}

static void xml_gpu_leaf(XmlState *st, const char *rel, const char *value)
{
  for (gsize i = 0; i < G_N_ELEMENTS(xml_gpu_facts); i++)
    if (strcmp(rel, xml_gpu_facts[i].path) == 0)
      cup_smi_gpu_set(st->gpu, xml_gpu_facts[i].fact, value);
  if (strcmp(rel, "/fb_memory_usage/total") == 0)
    cup_gpu_set_memory(st->gpu, cup_smi_mib(value, TRUE), CUP_SOURCE_NVIDIA_SMI);
}

static void xml_leaf(XmlState *st, const char *path, const char *value)
{
  CupSmiReport *r = st->report;
  if (st->gpu != NULL && g_str_has_prefix(path, XML_GPU "/"))
    xml_gpu_leaf(st, path + strlen(XML_GPU), value);
  else if (strcmp(path, XML_ROOT "driver_version") == 0 && r->driver_version == NULL)
    r->driver_version = cup_smi_version(value);
  else if (strcmp(path, XML_ROOT "cuda_version") == 0 && r->cuda_version == NULL)
    r->cuda_version = cup_smi_version(value);
}

static void xml_end(GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
  (void)ctx;
  (void)name;
  (void)error;
  XmlState *st = data;
  g_strstrip(st->text->str);
  xml_leaf(st, st->path->str, st->text->str);
  g_string_truncate(st->text, 0);
  if (st->gpu != NULL && strcmp(st->path->str, XML_GPU) == 0) {
    cup_smi_gpu_set(st->gpu, "bus_id", st->gpu_id);
    cup_smi_report_add_gpu(st->report, g_steal_pointer(&st->gpu));
  }
  gsize mark = g_array_index(st->path_marks, gsize, st->path_marks->len - 1);
  g_array_set_size(st->path_marks, st->path_marks->len - 1);
  g_string_truncate(st->path, mark);
}

static void xml_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
                     GError **error)
{
  (void)ctx;
  (void)error;
  XmlState *st = data;
  /* Only leaf values matter and none is long; cap what a hostile input can make us hold. */
  if (st->text->len + len <= 4096)
    g_string_append_len(st->text, text, (gssize)len);
}

static const GMarkupParser xml_parser = {xml_start, xml_end, xml_text, NULL, NULL};

CupSmiReport *cup_smi_parse_xml(const char *text, gsize len, GError **error)
{
  g_autofree char *checked = cup_smi_prepare_text(text, len, XML_WHAT, error);
  if (checked == NULL)
    return NULL;
  XmlState st = {cup_smi_report_new(),
                 g_string_new(NULL),
                 g_array_new(FALSE, FALSE, sizeof(gsize)),
                 g_string_new(NULL),
                 NULL,
                 NULL};
  g_autoptr(GError) local = NULL;
  GMarkupParseContext *ctx = g_markup_parse_context_new(&xml_parser, 0, &st, NULL);
  /* The original bytes, not the repaired copy: XML that is not UTF-8 is not nvidia-smi's. */
  gboolean ok = g_markup_parse_context_parse(ctx, text ? text : "", (gssize)len, &local) &&
                g_markup_parse_context_end_parse(ctx, &local);
  g_markup_parse_context_free(ctx);
  cup_gpu_free(st.gpu);
  g_free(st.gpu_id);
  g_string_free(st.path, TRUE);
  g_array_unref(st.path_marks);
  g_string_free(st.text, TRUE);
  if (!ok) {
    cup_smi_report_free(st.report);
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE, XML_WHAT ": not well-formed XML: %s",
                local->message);
    return NULL;
  }
  return cup_smi_report_finish(st.report, XML_WHAT, error);
}

/* ---- nvidia-smi --query-gpu --format=csv ------------------------------------------------ */

#define CSV_WHAT "nvidia-smi --query-gpu"

typedef enum {
  COL_SKIP,
  COL_INDEX,
  COL_NAME,
  COL_BUS,
  COL_DEVICE,
  COL_SUBSYS,
  COL_MEMORY,
  COL_MIG,
  COL_CC,
  COL_DRIVER,
  COL_KMD,
} CsvColumn;

/* Field names as nvidia-smi --help-query-gpu documents them (netdata help-query-gpu.txt). */
static const struct {
  const char *field;
  CsvColumn column;
  const char *fact;
} csv_fields[] = {
    {"index", COL_INDEX, NULL},
    {"name", COL_NAME, "name"},
    {"pci.bus_id", COL_BUS, "bus_id"},
    {"pci.device_id", COL_DEVICE, "pci_id"},
    {"pci.sub_device_id", COL_SUBSYS, "subsystem_id"},
    {"memory.total", COL_MEMORY, NULL},
    {"mig.mode.current", COL_MIG, "mig_mode"},
    {"compute_cap", COL_CC, "compute_capability"},
    {"driver_version", COL_DRIVER, NULL},
    {"kmd_version", COL_KMD, NULL},
};

typedef struct {
  CupSmiReport *report;
  GArray *columns; /* guint: index into csv_fields, or G_MAXUINT to skip */
  char *kmd_version;
} CsvState;

static guint csv_field_of(const char *header)
{
  /* "memory.total [MiB]" -> "memory.total" */
  g_autofree char *name = g_strdup(header);
  char *unit = strchr(name, '[');
  if (unit != NULL)
    *unit = '\0';
  g_strstrip(name);
  for (guint i = 0; i < G_N_ELEMENTS(csv_fields); i++)
    if (strcmp(name, csv_fields[i].field) == 0)
      return i;
  return G_MAXUINT;
}

/* Fill st->columns from a header or field list; FALSE when no field is one we read. */
static gboolean csv_set_columns(CsvState *st, const char *header)
{
  g_auto(GStrv) names = g_strsplit(header, ",", -1);
  gboolean known = FALSE;
  for (guint i = 0; names[i] != NULL; i++) {
    guint field = csv_field_of(names[i]);
    known = known || field != G_MAXUINT;
    g_array_append_val(st->columns, field);
  }
  return known;
}

static void csv_value(CsvState *st, CupGpu *gpu, guint field, const char *value)
{
  CupSmiReport *r = st->report;
  switch (csv_fields[field].column) {
  case COL_INDEX: {
    guint64 index;
    if (g_ascii_string_to_unsigned(value, 10, 0, 4095, &index, NULL))
      gpu->index = (int)index;
    break;
  }
  case COL_MEMORY:
    cup_gpu_set_memory(gpu, cup_smi_mib(value, FALSE), CUP_SOURCE_NVIDIA_SMI);
    break;
  case COL_DRIVER:
    if (r->driver_version == NULL)
      r->driver_version = cup_smi_version(value);
    break;
  case COL_KMD:
    if (st->kmd_version == NULL)
      st->kmd_version = cup_smi_version(value);
    break;
  default:
    cup_smi_gpu_set(gpu, csv_fields[field].fact, value);
    break;
  }
}

static void csv_row(CsvState *st, const char *line)
{
  g_auto(GStrv) values = g_strsplit(line, ",", -1);
  if (g_strv_length(values) != st->columns->len) {
    st->report->partial = TRUE;
    return;
  }
  g_autoptr(CupGpu) gpu = cup_gpu_new();
  for (guint i = 0; values[i] != NULL; i++) {
    guint field = g_array_index(st->columns, guint, i);
    g_strstrip(values[i]);
    if (field != G_MAXUINT && !cup_smi_value_missing(values[i]))
      csv_value(st, gpu, field, values[i]);
  }
  if (gpu->sources->len > 0)
    cup_smi_report_add_gpu(st->report, g_steal_pointer(&gpu));
}

static gboolean is_blank(const char *line)
{
  for (; *line != '\0'; line++)
    if (!g_ascii_isspace(*line))
      return FALSE;
  return TRUE;
}

/* Parse CSV @text; the columns are @fields, or the first non-blank line when @fields is NULL. */
static CupSmiReport *csv_parse(const char *text, gsize len, const char *fields, GError **error)
{
  g_autofree char *checked = cup_smi_prepare_text(text, len, CSV_WHAT, error);
  if (checked == NULL)
    return NULL;
  /* Keep an unterminated last row (captures in repositories often lack the final newline);
   * a row cut short has too few fields and is skipped. */
  g_auto(GStrv) lines = cup_smi_split_lines(checked, FALSE);
  CsvState st = {cup_smi_report_new(), g_array_new(FALSE, FALSE, sizeof(guint)), NULL};
  guint i = 0;
  const char *header = fields;
  if (header == NULL) {
    while (lines[i] != NULL && is_blank(lines[i]))
      i++;
    header = lines[i];
    if (header != NULL)
      i++;
  }
  gboolean known = header != NULL && csv_set_columns(&st, header);
  for (; known && lines[i] != NULL; i++)
    if (!is_blank(lines[i]))
      csv_row(&st, lines[i]);
  if (st.report->driver_version == NULL)
    st.report->driver_version = g_steal_pointer(&st.kmd_version);
  g_free(st.kmd_version);
  g_array_unref(st.columns);
  if (!known) {
    cup_smi_report_free(st.report);
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                CSV_WHAT ": the header names no field cudaup reads (name, pci.bus_id, ...)");
    return NULL;
  }
  return cup_smi_report_finish(st.report, CSV_WHAT, error);
}

CupSmiReport *cup_smi_parse_csv(const char *text, gsize len, GError **error)
{
  return csv_parse(text, len, NULL, error);
}

CupSmiReport *cup_smi_parse_csv_noheader(const char *text, gsize len, const char *fields,
                                         GError **error)
{
  g_return_val_if_fail(fields != NULL, NULL);
  return csv_parse(text, len, fields, error);
}
