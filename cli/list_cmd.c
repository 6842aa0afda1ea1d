/* list_cmd.c - `cudaup list gpus|cuda|cudnn|drivers|frameworks`: what the catalog knows. */
#include "core/i18n.h"
#include "cli/cli.h"

#include "core/catalog.h"
#include "core/error.h"
#include "core/system.h" /* g_autoptr(json_t) */

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static json_t *strv(char **v)
{
  json_t *a = json_array();
  for (; v && *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

static char *joined(char **v)
{
  return v ? g_strjoinv(", ", v) : g_strdup("-");
}

static json_t *list_gpus(const CupCatalog *cat, gboolean text)
{
  json_t *rows = json_array();
  const GPtrArray *entries = cup_gpu_table_entries(cat->gpus);
  for (guint i = 0; i < entries->len; i++) {
    const CupGpuEntry *e = g_ptr_array_index(entries, i);
    if (text)
      printf("%s  %-8s %-10s CC %-5s %-6s %s\n", e->pci_id, e->chip, e->arch->architecture,
             e->arch->compute_capability, e->legacy_branch ? e->legacy_branch : "", e->name);
    else
      json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "pci_id", e->pci_id,
                                            "name", e->name, "chip", e->chip, "architecture",
                                            e->arch->architecture, "compute_capability",
                                            e->arch->compute_capability, "legacy_branch",
                                            cup_json_string_or_null(e->legacy_branch)));
  }
  return rows;
}

static json_t *list_cuda(const CupCatalog *cat, gboolean text)
{
  json_t *rows = json_array();
  for (guint i = 0; i < cat->cuda_releases->len; i++) {
    const CupCudaRelease *r = g_ptr_array_index(cat->cuda_releases, i);
    if (text)
      printf("%-8s %-22s linux %-11s windows %s\n", r->version, r->label,
             r->driver_linux ? r->driver_linux : "-", r->driver_windows ? r->driver_windows : "-");
    else
      json_array_append_new(
          rows,
          json_pack("{s:s,s:s,s:o,s:o,s:s}", "version", r->version, "label", r->label,
                    "driver_linux", cup_json_string_or_null(r->driver_linux), "driver_windows",
                    cup_json_string_or_null(r->driver_windows), "source", r->source));
  }
  return rows;
}

static json_t *list_cudnn(const CupCatalog *cat, gboolean text)
{
  json_t *rows = json_array();
  for (guint i = 0; i < cat->cudnn_releases->len; i++) {
    const CupCudnnRelease *r = g_ptr_array_index(cat->cudnn_releases, i);
    g_autofree char *cuda = joined(r->cuda), *variants = joined(r->cuda_variants);
    if (text)
      printf("%-10s CUDA %s; archives: %s\n", r->version, cuda, variants);
    else
      json_array_append_new(rows, json_pack("{s:s,s:o,s:o,s:o,s:s}", "version", r->version, "cuda",
                                            strv(r->cuda), "cuda_variants", strv(r->cuda_variants),
                                            "min_cc", cup_json_string_or_null(r->min_cc), "source",
                                            r->source));
  }
  return rows;
}

static json_t *list_drivers(const CupCatalog *cat, gboolean text)
{
  json_t *rows = json_array();
  if (text)
    printf(_("Minor-version compatibility: any CUDA X.* runs on these drivers\n"));
  for (guint i = 0; i < cat->cuda_floors->len; i++) {
    const CupCudaMajorFloor *f = g_ptr_array_index(cat->cuda_floors, i);
    if (text)
      printf("  CUDA %u.x  linux %-11s windows %s\n", f->cuda_major,
             f->driver_linux ? f->driver_linux : "-", f->driver_windows ? f->driver_windows : "-");
    else
      json_array_append_new(
          rows, json_pack("{s:i,s:o,s:o,s:s}", "cuda_major", f->cuda_major, "driver_linux",
                          cup_json_string_or_null(f->driver_linux), "driver_windows",
                          cup_json_string_or_null(f->driver_windows), "source", f->source));
  }
  if (text)
    printf(_("Each CUDA release's own minimum: cudaup list cuda\n"));
  return rows;
}

static json_t *list_frameworks(const CupCatalog *cat, gboolean text)
{
  json_t *torch = json_array(), *tf = json_array();
  for (guint i = 0; i < cat->torch_releases->len; i++) {
    const CupTorchRelease *r = g_ptr_array_index(cat->torch_releases, i);
    json_t *tags = json_array();
    for (guint k = 0; k < r->variants->len; k++)
      json_array_append_new(
          tags, json_string(((CupTorchVariant *)g_ptr_array_index(r->variants, k))->tag));
    if (text) {
      g_autofree char *t = json_dumps(tags, JSON_COMPACT);
      printf("pytorch    %-7s Python %s-%s  %s\n", r->version, r->python_min, r->python_max, t);
    }
    json_array_append_new(torch,
                          json_pack("{s:s,s:s,s:s,s:o}", "version", r->version, "python_min",
                                    r->python_min, "python_max", r->python_max, "variants", tags));
  }
  for (guint i = 0; i < cat->tf_releases->len; i++) {
    const CupTfRelease *r = g_ptr_array_index(cat->tf_releases, i);
    if (text)
      printf("tensorflow %-7s %-7s Python %s-%s  CUDA %s  cuDNN %s  (%s)\n", r->version, r->os,
             r->python_min, r->python_max, r->cuda, r->cudnn, r->package);
    json_array_append_new(tf, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "version", r->version,
                                        "os", r->os, "package", r->package, "python_min",
                                        r->python_min, "python_max", r->python_max, "cuda", r->cuda,
                                        "cudnn", r->cudnn));
  }
  return json_pack("{s:o,s:o}", "pytorch", torch, "tensorflow", tf);
}

static const struct {
  const char *what;
  json_t *(*list)(const CupCatalog *, gboolean);
} subjects[] = {
    {"gpus", list_gpus},
    {"cuda", list_cuda},
    {"cudnn", list_cudnn},
    {"drivers", list_drivers},
    {"frameworks", list_frameworks},
};

int cli_list(CliGlobals *g, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {G_OPTION_ENTRY_NULL};
  if (!cli_parse(g, "list", N_("show what the catalog knows"), "gpus|cuda|cudnn|drivers|frameworks",
                 entries, &argc, &argv, &error))
    return cli_fail(g, error);
  for (gsize i = 0; argc == 2 && i < G_N_ELEMENTS(subjects); i++) {
    if (strcmp(argv[1], subjects[i].what) != 0)
      continue;
    g_autoptr(CupCatalog) cat = cup_catalog_load(g->catalog, NULL, &error);
    if (cat == NULL)
      return cli_fail(g, error);
    g_autoptr(json_t) rows = subjects[i].list(cat, !g->json);
    if (g->json) {
      json_dumpf(rows, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
      fputc('\n', stdout);
    }
    return 0;
  }
  g_set_error(&error, CUP_ERROR, CUP_ERROR_USAGE,
              _("cudaup list %s: say what to list: gpus, cuda, cudnn, drivers or frameworks"),
              argc == 2 ? argv[1] : "");
  return cli_fail(g, error);
}
