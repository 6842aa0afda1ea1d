/* test_smi.c - core/smi parsers against real nvidia-smi captures (tests/fixtures/nvidia-smi,
 * see PROVENANCE.md there) and against broken input. */
#include "core/error.h"
#include "core/smi.h"
#include "core/smi_private.h"
#include "core/version.h"
#include "tests/testutil.h"

#include <string.h>

typedef CupSmiReport *(*Parser)(const char *text, gsize len, GError **error);

static const Parser all_parsers[] = {cup_smi_parse_xml, cup_smi_parse_csv, cup_smi_parse_query_text,
                                     cup_smi_parse_table, cup_smi_parse_list};

/* ---- helpers ---------------------------------------------------------------------------- */

static gboolean matches(const char *pattern, const char *value)
{
  return g_regex_match_simple(pattern, value, 0, 0);
}

/* Everything a report may contain is well formed, whatever the input was. */
static void assert_report_sane(const CupSmiReport *r)
{
  if (r->driver_version != NULL)
    g_assert_true(cup_version_parse(r->driver_version, &(CupVersion){0}, NULL));
  if (r->cuda_version != NULL)
    g_assert_true(cup_version_parse(r->cuda_version, &(CupVersion){0}, NULL));
  for (guint i = 0; i < r->gpus->len; i++) {
    const CupGpu *g = g_ptr_array_index(r->gpus, i);
    g_assert_true(g->pci_id == NULL || matches("^[0-9a-f]{4}:[0-9a-f]{4}$", g->pci_id));
    g_assert_true(g->subsystem_id == NULL || matches("^[0-9a-f]{4}:[0-9a-f]{4}$", g->subsystem_id));
    g_assert_true(g->bus_id == NULL ||
                  matches("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-9a-f]$", g->bus_id));
    g_assert_true(g->mig_mode == NULL || g_str_equal(g->mig_mode, "enabled") ||
                  g_str_equal(g->mig_mode, "disabled"));
    g_assert_true(g->compute_capability == NULL ||
                  matches("^[0-9]+\\.[0-9]+$", g->compute_capability));
    g_assert_cmpint(g->memory_mib, >=, -1);
    g_assert_cmpint(g->index, >=, 0);
    g_assert_null(g->chip);
    g_assert_null(g->architecture);
  }
}

static CupSmiReport *parse_ok(Parser parse, const char *text, gsize len)
{
  g_autoptr(GError) error = NULL;
  CupSmiReport *r = parse(text, len, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  assert_report_sane(r);
  return r;
}

static CupSmiReport *parse_fixture(Parser parse, const char *name)
{
  g_autofree char *rel = g_build_filename("nvidia-smi", name, NULL);
  gsize len = 0;
  g_autofree char *text = cup_test_read_fixture(rel, &len);
  return parse_ok(parse, text, len);
}

static const CupGpu *gpu_at(const CupSmiReport *r, guint i)
{
  g_assert_cmpuint(i, <, r->gpus->len);
  return g_ptr_array_index(r->gpus, i);
}

static void assert_gpu(const CupGpu *g, const char *pci_id, const char *subsystem_id,
                       const char *bus_id, gint64 memory_mib, const char *mig_mode)
{
  g_assert_cmpstr(g->pci_id, ==, pci_id);
  g_assert_cmpstr(g->subsystem_id, ==, subsystem_id);
  g_assert_cmpstr(g->bus_id, ==, bus_id);
  g_assert_cmpint(g->memory_mib, ==, memory_mib);
  g_assert_cmpstr(g->mig_mode, ==, mig_mode);
}

/* One "# $ nvidia-smi ..." section of a multi-section nvidia_gpu_exporter capture. */
typedef struct {
  char *command;
  char *body;
} Section;

static void section_free(Section *s)
{
  g_free(s->command);
  g_free(s->body);
  g_free(s);
}

/* Sections look like "#####\n# title\n# $ command\n#####\n<output>\n\n\n#####...": the
 * output runs from after the "#####" line that follows "# $ " to the next "#####" line. */
static GPtrArray *split_sections(const char *text)
{
  GPtrArray *sections = g_ptr_array_new_with_free_func((GDestroyNotify)section_free);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    if (!g_str_has_prefix(lines[i], "# $ ") || lines[i + 1] == NULL)
      continue;
    Section *s = g_new0(Section, 1);
    s->command = g_strchomp(g_strdup(lines[i] + 4));
    g_autoptr(GString) body = g_string_new(NULL);
    guint j = i + 2;
    for (; lines[j] != NULL && !g_str_has_prefix(lines[j], "################"); j++)
      g_string_append_printf(body, "%s\n", lines[j]);
    s->body = g_string_free(g_steal_pointer(&body), FALSE);
    g_ptr_array_add(sections, s);
    i = j - 1;
  }
  return sections;
}

/* The parser for a section's command, or NULL for sections we do not read. */
static Parser parser_for_command(const char *command)
{
  if (g_str_equal(command, "nvidia-smi"))
    return cup_smi_parse_table;
  if (g_str_equal(command, "nvidia-smi -q"))
    return cup_smi_parse_query_text;
  if (g_str_has_prefix(command, "nvidia-smi --query-gpu="))
    return cup_smi_parse_csv;
  if (g_str_equal(command, "nvidia-smi -L"))
    return cup_smi_parse_list;
  return NULL;
}

/* The first section of @sections run with @command's parser. */
static const Section *find_section(GPtrArray *sections, Parser parser)
{
  for (guint i = 0; i < sections->len; i++) {
    const Section *s = g_ptr_array_index(sections, i);
    if (parser_for_command(s->command) == parser)
      return s;
  }
  g_assert_not_reached();
}

/* ---- XML --------------------------------------------------------------------------------- */

static void test_xml_a100_mig(void)
{
  g_autoptr(CupSmiReport) r = parse_fixture(cup_smi_parse_xml, "telegraf/a100-sxm4-v12.xml");
  /* Four MIG devices are nested in the one <gpu>; they are not GPUs. */
  g_assert_cmpuint(r->gpus->len, ==, 1);
  g_assert_cmpstr(r->driver_version, ==, "535.54.03");
  g_assert_cmpstr(r->cuda_version, ==, "12.2");
  assert_gpu(gpu_at(r, 0), "10de:20b2", "10de:147f", "0000:01:00.0", 81920, "enabled");
  g_assert_cmpstr(gpu_at(r, 0)->name, ==, "NVIDIA A100-SXM4-80GB");
  g_assert_cmpint(gpu_at(r, 0)->index, ==, 0);
  g_assert_false(r->partial);

  g_autoptr(CupSmiReport) n =
      parse_fixture(cup_smi_parse_xml, "netdata-go.d.plugin/a100-sxm4-mig.xml");
  g_assert_cmpuint(n->gpus->len, ==, 1);
  g_assert_cmpstr(n->driver_version, ==, "510.47.03");
  g_assert_cmpstr(n->cuda_version, ==, "11.6");
  assert_gpu(gpu_at(n, 0), "10de:20b0", "10de:134f", "0000:00:04.0", 40960, "enabled");
}

static void test_xml_old_driver_name(void)
{
  /* Driver 418.43 predates the GTX 1660 Ti and calls it "Graphics Device". */
  g_autoptr(CupSmiReport) r = parse_fixture(cup_smi_parse_xml, "telegraf/gtx-1660-ti.xml");
  g_assert_cmpuint(r->gpus->len, ==, 1);
  g_assert_cmpstr(r->driver_version, ==, "418.43");
  g_assert_cmpstr(r->cuda_version, ==, "10.1");
  const CupGpu *g = gpu_at(r, 0);
  g_assert_cmpstr(g->name, ==, "Graphics Device");
  assert_gpu(g, "10de:2184", "1458:3fc8", "0000:43:00.0", 5912, NULL);
  g_assert_cmpstr(g_hash_table_lookup(g->fact_sources, "pci_id"), ==, CUP_SOURCE_NVIDIA_SMI);
  g_assert_cmpuint(g->sources->len, ==, 1);
  g_assert_cmpstr(g_ptr_array_index(g->sources, 0), ==, CUP_SOURCE_NVIDIA_SMI);
}

static void test_xml_dual(void)
{
  static const struct {
    const char *file;
    const char *pci_id;
    const char *bus[2];
  } cases[] = {
      {"telegraf/dual_2070-v13.xml", "10de:1f02", {"0000:01:00.0", "0000:02:00.0"}},
      {"telegraf/dual_2080-v13.xml", "10de:1e87", {"0000:01:00.0", "0000:02:00.0"}},
      {"telegraf/dual_a5000-v13.xml", "10de:2231", {"0000:81:00.0", "0000:c1:00.0"}},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(CupSmiReport) r = parse_fixture(cup_smi_parse_xml, cases[i].file);
    g_assert_cmpuint(r->gpus->len, ==, 2);
    g_assert_cmpstr(r->driver_version, ==, "590.44.01");
    g_assert_cmpstr(r->cuda_version, ==, "13.1");
    for (guint k = 0; k < 2; k++) {
      g_assert_cmpstr(gpu_at(r, k)->pci_id, ==, cases[i].pci_id);
      g_assert_cmpstr(gpu_at(r, k)->bus_id, ==, cases[i].bus[k]);
      /* The index is the document order; dual_a5000 has minor number 1 on index 0. */
      g_assert_cmpint(gpu_at(r, k)->index, ==, (int)k);
    }
  }
}

static void test_xml_windows_and_vgpu(void)
{
  g_autoptr(CupSmiReport) w =
      parse_fixture(cup_smi_parse_xml, "netdata-go.d.plugin/rtx-2080-win.xml");
  g_assert_cmpstr(w->driver_version, ==, "516.59");
  g_assert_cmpstr(w->cuda_version, ==, "11.7");
  assert_gpu(gpu_at(w, 0), "10de:1e87", "1458:37af", "0000:0a:00.0", 8192, NULL);

  g_autoptr(CupSmiReport) t = parse_fixture(cup_smi_parse_xml, "telegraf/rtx-3080-v12.xml");
  g_assert_cmpstr(t->driver_version, ==, "536.40");
  assert_gpu(gpu_at(t, 0), "10de:2216", "19da:1612", "0000:04:00.0", 10240, NULL);

  g_autoptr(CupSmiReport) v = parse_fixture(cup_smi_parse_xml, "telegraf/tesla_p4.xml");
  g_assert_cmpstr(v->driver_version, ==, "513.46");
  g_assert_cmpstr(gpu_at(v, 0)->name, ==, "GRID P4-1Q");
  assert_gpu(gpu_at(v, 0), "10de:1bb3", "10de:1204", "0000:00:0b.0", 1024, NULL);
}

static void test_xml_masked_ids(void)
{
  /* Cloud captures hide the ids: "000000DE" and "[REDACTED]" are not ids. */
  g_autoptr(CupSmiReport) a = parse_fixture(cup_smi_parse_xml, "telegraf/a10g.xml");
  assert_gpu(gpu_at(a, 0), NULL, NULL, "0000:00:1e.0", 23028, NULL);
  g_assert_cmpstr(gpu_at(a, 0)->name, ==, "NVIDIA A10G");
  g_autoptr(CupSmiReport) b = parse_fixture(cup_smi_parse_xml, "telegraf/rtx-3090-v12.xml");
  assert_gpu(gpu_at(b, 0), NULL, NULL, "0000:00:10.0", 24576, NULL);
  /* The oldest capture (DTD v10) has only a name, a bus id attribute and memory. */
  g_autoptr(CupSmiReport) c = parse_fixture(cup_smi_parse_xml, "telegraf/gtx-1070-ti.xml");
  g_assert_null(c->driver_version);
  assert_gpu(gpu_at(c, 0), NULL, NULL, "0000:01:00.0", 4096, NULL);
}

static void test_xml_blackwell(void)
{
  g_autoptr(CupSmiReport) r =
      parse_fixture(cup_smi_parse_xml, "telegraf/pro-6000-maxq-blackwell-v13.xml");
  g_assert_cmpstr(r->driver_version, ==, "590.44.01");
  g_assert_cmpstr(r->cuda_version, ==, "13.1");
  assert_gpu(gpu_at(r, 0), "10de:2bb4", "10de:204c", "0000:61:00.0", 97887, NULL);
}

/* ---- nvidia-smi -q ------------------------------------------------------------------------ */

static void test_query_h100x8(void)
{
  static const char *const bus[] = {"0000:19:00.0", "0000:3b:00.0", "0000:4c:00.0", "0000:5d:00.0",
                                    "0000:9b:00.0", "0000:bb:00.0", "0000:cb:00.0", "0000:db:00.0"};
  g_autoptr(CupSmiReport) r =
      parse_fixture(cup_smi_parse_query_text, "gpud/nvidia-smi-query.535.161.08.out.0.valid");
  g_assert_cmpstr(r->driver_version, ==, "535.161.08");
  g_assert_cmpstr(r->cuda_version, ==, "12.2");
  g_assert_cmpuint(r->gpus->len, ==, 8);
  g_assert_false(r->partial);
  for (guint i = 0; i < 8; i++) {
    assert_gpu(gpu_at(r, i), "10de:2330", "10de:16c1", bus[i], 81559, "disabled");
    g_assert_cmpstr(gpu_at(r, i)->name, ==, "NVIDIA H100 80GB HBM3");
    g_assert_cmpint(gpu_at(r, i)->index, ==, (int)i);
  }
}

static void test_query_others(void)
{
  g_autoptr(CupSmiReport) a =
      parse_fixture(cup_smi_parse_query_text, "gpud/nvidia-smi-query.535.129.03.out.0.valid.a10");
  g_assert_cmpstr(a->driver_version, ==, "535.129.03");
  g_assert_cmpuint(a->gpus->len, ==, 1);
  assert_gpu(gpu_at(a, 0), "10de:2236", "10de:1482", "0000:07:00.0", 23028, NULL);

  /* 8x RTX 4090; the file lacks its final newline. */
  g_autoptr(CupSmiReport) b =
      parse_fixture(cup_smi_parse_query_text, "gpud/nvidia-smi-query.535.154.05.out.0.valid.4090");
  g_assert_cmpuint(b->gpus->len, ==, 8);
  assert_gpu(gpu_at(b, 0), "10de:2684", "10de:16f3", "0000:01:00.0", 24564, NULL);
  assert_gpu(gpu_at(b, 7), "10de:2684", "10de:16f3", "0000:e1:00.0", 24564, NULL);

  g_autoptr(CupSmiReport) c =
      parse_fixture(cup_smi_parse_query_text, "gpud/nvidia-smi-query.560.35.03.out.0.valid");
  g_assert_cmpstr(c->driver_version, ==, "560.35.03");
  g_assert_cmpstr(c->cuda_version, ==, "12.6");
  assert_gpu(gpu_at(c, 0), "10de:1d81", "10de:1218", "0000:01:00.0", 12288, NULL);
  g_assert_cmpstr(gpu_at(c, 0)->name, ==, "NVIDIA TITAN V");
}

static void test_query_invalid_capture(void)
{
  /* "Attached GPUs : 8" but the output stops inside the first GPU block. */
  g_autoptr(CupSmiReport) r =
      parse_fixture(cup_smi_parse_query_text, "gpud/nvidia-smi-query.535.183.01.out.0.invalid");
  g_assert_true(r->partial);
  g_assert_cmpstr(r->driver_version, ==, "535.183.01");
  g_assert_cmpuint(r->gpus->len, ==, 1);
  assert_gpu(gpu_at(r, 0), "10de:2330", "10de:16c1", "0000:53:00.0", -1, "disabled");
}

/* ---- the plain table, CSV, -L ------------------------------------------------------------- */

static void test_table_gpud(void)
{
  /* Old 79-column layout: the name is cut ("NVIDIA GeForce ...") and not recorded. */
  g_autoptr(CupSmiReport) a =
      parse_fixture(cup_smi_parse_table, "gpud/nvidia-smi.525.125.06.out.0.valid");
  g_assert_cmpstr(a->driver_version, ==, "525.125.06");
  g_assert_cmpstr(a->cuda_version, ==, "12.0");
  g_assert_cmpuint(a->gpus->len, ==, 1);
  assert_gpu(gpu_at(a, 0), NULL, NULL, "0000:01:00.0", 23028, NULL);
  g_assert_null(gpu_at(a, 0)->name);

  g_autoptr(CupSmiReport) b =
      parse_fixture(cup_smi_parse_table, "gpud/nvidia-smi.550.90.07.out.0.valid");
  g_assert_cmpstr(b->driver_version, ==, "550.90.07");
  g_assert_cmpstr(b->cuda_version, ==, "12.4");
  g_assert_cmpuint(b->gpus->len, ==, 8);
  for (guint i = 0; i < 8; i++) {
    g_assert_cmpint(gpu_at(b, i)->index, ==, (int)i);
    g_assert_cmpstr(gpu_at(b, i)->name, ==, "NVIDIA H100 80GB HBM3");
    g_assert_cmpint(gpu_at(b, i)->memory_mib, ==, 81559);
    g_assert_cmpstr(gpu_at(b, i)->mig_mode, ==, "disabled");
  }
  g_assert_cmpstr(gpu_at(b, 7)->bus_id, ==, "0000:db:00.0");
}

static void test_csv_with_header(void)
{
  g_autoptr(CupSmiReport) p =
      parse_fixture(cup_smi_parse_csv, "netdata-go.d.plugin/tesla-p100.csv");
  g_assert_cmpuint(p->gpus->len, ==, 1);
  g_assert_cmpstr(gpu_at(p, 0)->name, ==, "Tesla P100-PCIE-16GB");
  g_assert_null(p->driver_version);

  g_autoptr(CupSmiReport) e =
      parse_fixture(cup_smi_parse_csv, "nvidia_gpu_exporter/exporter-testdata-query.txt");
  g_assert_cmpstr(e->driver_version, ==, "466.63");
  g_assert_cmpuint(e->gpus->len, ==, 2);
  const CupGpu *g = gpu_at(e, 0);
  g_assert_cmpstr(g->name, ==, "NVIDIA GeForce RTX 2080 SUPER");
  g_assert_cmpstr(g->bus_id, ==, "0000:01:00.0");
  g_assert_cmpstr(g->subsystem_id, ==, "1458:4005");
  g_assert_cmpstr(g->compute_capability, ==, "7.5");
  g_assert_cmpint(g->index, ==, 0);
  g_assert_cmpstr(gpu_at(e, 1)->compute_capability, ==, "8.6");
  g_assert_cmpstr(gpu_at(e, 1)->bus_id, ==, "0000:02:00.0");
  g_assert_cmpint(gpu_at(e, 1)->index, ==, 1);
}

static void test_csv_noheader(void)
{
  /* The row format cudaup's own query prints, with and without units. */
  static const char rows[] =
      "0, 00000000:01:00.0, 0x24E010DE, 0x16C21043, NVIDIA GeForce RTX 3070 Ti Laptop GPU, "
      "8192 MiB, [N/A], 550.54.14\n"
      "1, 00000000:02:00.0, 0x233010DE, 0x16C110DE, NVIDIA H100 80GB HBM3, 81559, Enabled, "
      "550.54.14\r\n"
      "2, 00000000:03:00.0, cut short\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSmiReport) r =
      cup_smi_parse_csv_noheader(rows, strlen(rows), CUP_SMI_QUERY_FIELDS, &error);
  g_assert_no_error(error);
  assert_report_sane(r);
  g_assert_cmpstr(r->driver_version, ==, "550.54.14");
  g_assert_cmpuint(r->gpus->len, ==, 2);
  g_assert_true(r->partial);
  assert_gpu(gpu_at(r, 0), "10de:24e0", "1043:16c2", "0000:01:00.0", 8192, NULL);
  assert_gpu(gpu_at(r, 1), "10de:2330", "10de:16c1", "0000:02:00.0", 81559, "enabled");
  g_assert_cmpint(gpu_at(r, 1)->index, ==, 1);
  g_assert_null(gpu_at(r, 0)->compute_capability); /* not in the field list */
  g_assert_null(strstr(CUP_SMI_QUERY_FIELDS, "compute_cap"));
}

static void test_list(void)
{
  g_autoptr(CupSmiReport) r =
      parse_fixture(cup_smi_parse_list, "nvidia_gpu_exporter/exporter-testdata-list_gpus.txt");
  /* 8 GPUs with 56 MIG devices under them. */
  g_assert_cmpuint(r->gpus->len, ==, 8);
  for (guint i = 0; i < 8; i++) {
    g_assert_cmpint(gpu_at(r, i)->index, ==, (int)i);
    g_assert_cmpstr(gpu_at(r, i)->name, ==, "NVIDIA H100 80GB HBM3");
  }
}

/* ---- multi-section nvidia_gpu_exporter captures ----------------------------------------- */

typedef struct {
  const char *file;
  const char *driver;
  const char *cuda;
  const char *pci_id;
  const char *subsystem_id;
  const char *bus_id;
  gint64 memory_mib;
  const char *cc;
  const char *mig;
} CaptureCase;

static const CaptureCase capture_cases[] = {
    {"linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04.txt", "610.57.04", "13.3", "10de:1e81",
     "1458:4005", "0000:0c:00.0", 8192, "7.5", NULL},
    {"linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt", "595.71.05", "13.2", "10de:2702",
     "1462:5110", "0000:01:00.0", 16376, "8.9", NULL},
    {"linux-x86_64__nvidia-h100-mig__590.48.01.txt", "590.48.01", "13.1", "10de:2330", "10de:16c1",
     "0000:00:09.0", 81559, "9.0", "enabled"},
    {"linux-x86_64__nvidia-h200__590.48.01.txt", "590.48.01", "13.1", "10de:2335", "10de:18be",
     "0000:83:00.0", 143771, "9.0", "disabled"},
    {"linux-x86_64__nvidia-l40s__595.80.txt", "595.80", "13.2", "10de:26b9", "10de:1851",
     "0000:01:00.0", 46068, "8.9", NULL},
    {"windows-x86_64__nvidia-geforce-rtx-2080-super__591.86.txt", "591.86", "13.1", "10de:1e81",
     "1458:4005", "0000:0c:00.0", 8192, "7.5", NULL},
    {"windows-x86_64__nvidia-geforce-rtx-2080-super__610.62.txt", "610.62", "13.3", "10de:1e81",
     "1458:4005", "0000:0c:00.0", 8192, "7.5", NULL},
};

static CupSmiReport *parse_section(GPtrArray *sections, Parser parser)
{
  const Section *s = find_section(sections, parser);
  return parse_ok(parser, s->body, strlen(s->body));
}

static void check_capture(const CaptureCase *c)
{
  g_autofree char *rel = g_build_filename("nvidia-smi", "nvidia_gpu_exporter", c->file, NULL);
  g_autofree char *text = cup_test_read_fixture(rel, NULL);
  g_autoptr(GPtrArray) sections = split_sections(text);
  g_autoptr(CupSmiReport) q = parse_section(sections, cup_smi_parse_query_text);
  g_autoptr(CupSmiReport) t = parse_section(sections, cup_smi_parse_table);
  g_autoptr(CupSmiReport) v = parse_section(sections, cup_smi_parse_csv);
  /* Driver 610 prints "CUDA Version : 13.3 [Deprecated; ...]" and "KMD Version: ..." */
  CupSmiReport *reports[] = {q, t, v};
  for (gsize i = 0; i < G_N_ELEMENTS(reports); i++) {
    g_assert_cmpstr(reports[i]->driver_version, ==, c->driver);
    g_assert_cmpuint(reports[i]->gpus->len, ==, 1);
    const CupGpu *g = gpu_at(reports[i], 0);
    g_assert_cmpstr(g->bus_id, ==, c->bus_id);
    g_assert_cmpint(g->memory_mib, ==, c->memory_mib);
    g_assert_cmpstr(g->mig_mode, ==, c->mig);
  }
  g_assert_cmpstr(q->cuda_version, ==, c->cuda);
  g_assert_cmpstr(t->cuda_version, ==, c->cuda);
  assert_gpu(gpu_at(q, 0), c->pci_id, c->subsystem_id, c->bus_id, c->memory_mib, c->mig);
  assert_gpu(gpu_at(v, 0), c->pci_id, c->subsystem_id, c->bus_id, c->memory_mib, c->mig);
  g_assert_cmpstr(gpu_at(v, 0)->compute_capability, ==, c->cc);
  g_assert_null(gpu_at(q, 0)->compute_capability);
}

static void test_exporter_captures(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(capture_cases); i++)
    check_capture(&capture_cases[i]);
}

/* ---- every fixture ------------------------------------------------------------------------ */

/* The parser for a single-output fixture, by its name. */
static Parser parser_for_file(const char *name)
{
  if (g_str_has_suffix(name, ".xml"))
    return cup_smi_parse_xml;
  if (g_str_has_suffix(name, ".csv") || g_str_has_suffix(name, "testdata-query.txt"))
    return cup_smi_parse_csv;
  if (g_str_has_suffix(name, "list_gpus.txt"))
    return cup_smi_parse_list;
  if (g_str_has_prefix(name, "nvidia-smi-query."))
    return cup_smi_parse_query_text;
  if (g_str_has_prefix(name, "nvidia-smi."))
    return cup_smi_parse_table;
  return NULL;
}

static guint check_output(Parser parser, const char *label, const char *text, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSmiReport) r = parser(text, len, &error);
  if (strstr(label, ".invalid") != NULL) {
    /* The broken capture: an error or a partial report, never a crash. */
    g_assert_true(r == NULL || r->partial);
    return 0;
  }
  if (r == NULL)
    g_error("%s: %s", label, error->message);
  assert_report_sane(r);
  g_assert_true(r->gpus->len > 0 || r->driver_version != NULL);
  return 1;
}

static guint check_fixture_file(const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &text, &len, NULL));
  Parser parser = parser_for_file(name);
  if (parser != NULL)
    return check_output(parser, path, text, len);
  g_autoptr(GPtrArray) sections = split_sections(text);
  g_assert_cmpuint(sections->len, >, 0);
  guint parsed = 0;
  for (guint i = 0; i < sections->len; i++) {
    const Section *s = g_ptr_array_index(sections, i);
    Parser p = parser_for_command(s->command);
    if (p != NULL)
      parsed += check_output(p, path, s->body, strlen(s->body));
  }
  g_assert_cmpuint(parsed, >=, 4); /* table, -q, CSV, -L at least */
  return parsed;
}

static void test_every_fixture(void)
{
  static const char *const subdirs[] = {"telegraf", "netdata-go.d.plugin", "gpud",
                                        "nvidia_gpu_exporter"};
  guint files = 0, outputs = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(subdirs); i++) {
    g_autofree char *full = g_build_filename(CUP_TEST_FIXTURES, "nvidia-smi", subdirs[i], NULL);
    g_autoptr(GDir) d = g_dir_open(full, 0, NULL);
    g_assert_nonnull(d);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
      outputs += check_fixture_file(full, name);
      files++;
    }
  }
  g_assert_cmpuint(files, ==, 42);
  g_assert_cmpuint(outputs, >, files);
}

/* ---- broken input ------------------------------------------------------------------------- */

static void test_empty_input(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(all_parsers); i++) {
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    g_autoptr(GError) e3 = NULL;
    g_assert_null(all_parsers[i]("", 0, &e1));
    g_assert_error(e1, CUP_ERROR, CUP_ERROR_PARSE);
    g_assert_null(all_parsers[i](NULL, 0, &e2));
    g_assert_error(e2, CUP_ERROR, CUP_ERROR_PARSE);
    g_assert_null(all_parsers[i]("\n\n  \r\n", 5, &e3));
    g_assert_error(e3, CUP_ERROR, CUP_ERROR_PARSE);
  }
}

static void test_xml_truncated(void)
{
  g_autofree char *dir = g_build_filename(CUP_TEST_FIXTURES, "nvidia-smi", "telegraf", NULL);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  guint checked = 0;
  while ((name = g_dir_read_name(d)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &text, &len, NULL));
    gsize end = (gsize)(strstr(text, "</nvidia_smi_log>") - text);
    gsize cuts[] = {1, 7, 60, len / 4, len / 3, len / 2, 2 * len / 3, end - 1, end + 3};
    for (gsize k = 0; k < G_N_ELEMENTS(cuts); k++) {
      g_autoptr(GError) error = NULL;
      g_autoptr(CupSmiReport) r = cup_smi_parse_xml(text, cuts[k], &error);
      g_assert_null(r); /* every cut is inside the root element */
      g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
      checked++;
    }
  }
  g_assert_cmpuint(checked, >, 100);
}

/* Cut text outputs at many places: an error or a sane report, and the cut never invents a
 * GPU or a fact that the whole output does not have. */
static void cut_text_output(Parser parser, const char *rel)
{
  gsize len = 0;
  g_autofree char *text = cup_test_read_fixture(rel, &len);
  g_autoptr(CupSmiReport) whole = parser(text, len, NULL);
  for (gsize cut = 0; cut < len; cut += 1 + len / 41) {
    g_autoptr(GError) error = NULL;
    g_autoptr(CupSmiReport) r = parser(text, cut, &error);
    if (r == NULL) {
      g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
      continue;
    }
    assert_report_sane(r);
    g_assert_cmpuint(r->gpus->len, <=, whole->gpus->len);
    for (guint i = 0; i < r->gpus->len; i++) {
      const CupGpu *g = gpu_at(r, i), *w = gpu_at(whole, i);
      g_assert_true(g->pci_id == NULL || g_str_equal(g->pci_id, w->pci_id));
      g_assert_true(g->bus_id == NULL || g_str_equal(g->bus_id, w->bus_id));
      g_assert_true(g->memory_mib == -1 || g->memory_mib == w->memory_mib);
    }
  }
}

static void test_text_truncated(void)
{
  cut_text_output(cup_smi_parse_query_text,
                  "nvidia-smi/gpud/nvidia-smi-query.535.161.08.out.0.valid");
  cut_text_output(cup_smi_parse_query_text,
                  "nvidia-smi/gpud/nvidia-smi-query.535.129.03.out.0.valid.a10");
  cut_text_output(cup_smi_parse_table, "nvidia-smi/gpud/nvidia-smi.550.90.07.out.0.valid");
  cut_text_output(cup_smi_parse_table, "nvidia-smi/gpud/nvidia-smi.525.125.06.out.0.valid");
  cut_text_output(cup_smi_parse_csv, "nvidia-smi/nvidia_gpu_exporter/exporter-testdata-query.txt");
  cut_text_output(cup_smi_parse_list,
                  "nvidia-smi/nvidia_gpu_exporter/exporter-testdata-list_gpus.txt");
}

static void test_random_bytes(void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(20240611);
  for (int round = 0; round < 400; round++) {
    gsize len = (gsize)g_rand_int_range(rand, 1, 3000);
    g_autofree char *buf = g_malloc(len);
    gboolean printable = round % 2 == 0;
    for (gsize i = 0; i < len; i++)
      buf[i] = printable ? (char)g_rand_int_range(rand, 9, 127) : (char)g_rand_int(rand);
    gboolean has_nul = memchr(buf, '\0', len) != NULL;
    for (gsize p = 0; p < G_N_ELEMENTS(all_parsers); p++) {
      g_autoptr(GError) error = NULL;
      g_autoptr(CupSmiReport) r = all_parsers[p](buf, len, &error);
      if (r != NULL)
        assert_report_sane(r);
      else
        g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
      if (has_nul)
        g_assert_null(r);
    }
  }
}

static void test_nul_and_non_utf8(void)
{
  gsize len = 0;
  g_autofree char *xml = cup_test_read_fixture("nvidia-smi/telegraf/tesla-t4.xml", &len);
  g_autofree char *q = NULL;
  gsize qlen = 0;
  q = cup_test_read_fixture("nvidia-smi/gpud/nvidia-smi-query.560.35.03.out.0.valid", &qlen);
  char *xml_name = strstr(xml, "Tesla T4");
  char *q_name = strstr(q, "TITAN V");

  /* A NUL in the middle: binary, not nvidia-smi output, for every parser. */
  xml_name[2] = '\0';
  q_name[2] = '\0';
  for (gsize p = 0; p < G_N_ELEMENTS(all_parsers); p++) {
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    g_assert_null(all_parsers[p](xml, len, &e1));
    g_assert_error(e1, CUP_ERROR, CUP_ERROR_PARSE);
    g_assert_null(all_parsers[p](q, qlen, &e2));
    g_assert_error(e2, CUP_ERROR, CUP_ERROR_PARSE);
  }

  /* A byte that is not UTF-8: XML is rejected, -q text still gives the ids. */
  xml_name[2] = (char)0xff;
  q_name[2] = (char)0xff;
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_smi_parse_xml(xml, len, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_PARSE);
  g_autoptr(CupSmiReport) r = parse_ok(cup_smi_parse_query_text, q, qlen);
  g_assert_cmpstr(gpu_at(r, 0)->pci_id, ==, "10de:1d81");
  g_assert_true(g_utf8_validate(gpu_at(r, 0)->name, -1, NULL));
}

/* ---- value rules ------------------------------------------------------------------------- */

static void test_value_rules(void)
{
  static const struct {
    const char *in, *out;
  } ids[] = {{"0x24E010DE", "10de:24e0"}, {"20B210DE", "10de:20b2"},
             {"0x16C21043", "1043:16c2"}, {"000000DE", NULL},
             {"0xFFFFFFFF", NULL},        {"[REDACTED]", NULL},
             {"0x24E010D", NULL},         {"0x24E010DE0", NULL},
             {"0x24G010DE", NULL},        {"", NULL}};
  for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
    g_autofree char *id = cup_smi_pci_id(ids[i].in);
    g_assert_cmpstr(id, ==, ids[i].out);
  }
  g_assert_cmpint(cup_smi_mib("10240 MiB", TRUE), ==, 10240);
  g_assert_cmpint(cup_smi_mib("23028MiB", TRUE), ==, 23028);
  g_assert_cmpint(cup_smi_mib("10240", TRUE), ==, -1);
  g_assert_cmpint(cup_smi_mib("10240", FALSE), ==, 10240);
  g_assert_cmpint(cup_smi_mib("10240 MB", FALSE), ==, -1);
  g_assert_cmpint(cup_smi_mib("-5 MiB", FALSE), ==, -1);
  g_assert_cmpint(cup_smi_mib("99999999999999999999 MiB", FALSE), ==, -1);
  g_assert_cmpstr(cup_smi_mig_mode("Enabled"), ==, "enabled");
  g_assert_cmpstr(cup_smi_mig_mode("Disabled"), ==, "disabled");
  g_assert_null(cup_smi_mig_mode("N/A"));
  g_autofree char *v1 =
      cup_smi_version("13.3 [Deprecated; will be removed in CUDA 14.0. Use CUDA UMD Version "
                      "instead]");
  g_assert_cmpstr(v1, ==, "13.3");
  g_autofree char *v2 = cup_smi_version("N/A");
  g_assert_null(v2);
  g_autofree char *v3 = cup_smi_version("Deprecated, see \"KMD version\" instead");
  g_assert_null(v3);
  g_assert_true(cup_smi_value_missing("[Not Supported]"));
  g_assert_true(cup_smi_value_missing("[N/A]"));
  g_assert_false(cup_smi_value_missing("Tesla T4"));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/smi/xml/a100-mig", test_xml_a100_mig);
  g_test_add_func("/smi/xml/old-driver-name", test_xml_old_driver_name);
  g_test_add_func("/smi/xml/dual", test_xml_dual);
  g_test_add_func("/smi/xml/windows-and-vgpu", test_xml_windows_and_vgpu);
  g_test_add_func("/smi/xml/masked-ids", test_xml_masked_ids);
  g_test_add_func("/smi/xml/blackwell", test_xml_blackwell);
  g_test_add_func("/smi/query/h100x8", test_query_h100x8);
  g_test_add_func("/smi/query/others", test_query_others);
  g_test_add_func("/smi/query/invalid-capture", test_query_invalid_capture);
  g_test_add_func("/smi/table/gpud", test_table_gpud);
  g_test_add_func("/smi/csv/with-header", test_csv_with_header);
  g_test_add_func("/smi/csv/noheader", test_csv_noheader);
  g_test_add_func("/smi/list", test_list);
  g_test_add_func("/smi/exporter-captures", test_exporter_captures);
  g_test_add_func("/smi/every-fixture", test_every_fixture);
  g_test_add_func("/smi/broken/empty", test_empty_input);
  g_test_add_func("/smi/broken/xml-truncated", test_xml_truncated);
  g_test_add_func("/smi/broken/text-truncated", test_text_truncated);
  g_test_add_func("/smi/broken/random-bytes", test_random_bytes);
  g_test_add_func("/smi/broken/nul-and-non-utf8", test_nul_and_non_utf8);
  g_test_add_func("/smi/values", test_value_rules);
  return g_test_run();
}
