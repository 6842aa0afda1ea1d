/* plan_cmd.c - `cudaup plan`: detect (or take the user's facts), load the catalog, plan, show. */
#include "cli/cli.h"

#include "core/catalog.h"
#include "core/detect.h"
#include "core/error.h"
#include "core/plan.h"
#include "core/planinput.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  char *framework, *python, *cuda, *cudnn, *driver, *os, *arch, *gpu, *pci, *cc, *mirror, *prefix,
      *cache;
  gboolean with_toolkit, user;
} PlanArgs;

static void plan_args_clear(PlanArgs *a)
{
  char **strs[] = {&a->framework, &a->python, &a->cuda, &a->cudnn,  &a->driver, &a->os,   &a->arch,
                   &a->gpu,       &a->pci,    &a->cc,   &a->mirror, &a->prefix, &a->cache};
  for (gsize i = 0; i < G_N_ELEMENTS(strs); i++)
    g_clear_pointer(strs[i], g_free);
}

/* "pytorch", "pytorch==2.1.2", "tensorflow==2.10", "none". */
static gboolean parse_framework(const char *text, CupRequest *r, GError **error)
{
  g_auto(GStrv) parts = g_strsplit(text ? text : "none", "==", 2);
  const char *name = parts[0];
  if (strcmp(name, "pytorch") == 0 || strcmp(name, "torch") == 0)
    r->framework = CUP_FRAMEWORK_PYTORCH;
  else if (strcmp(name, "tensorflow") == 0)
    r->framework = CUP_FRAMEWORK_TENSORFLOW;
  else if (strcmp(name, "none") == 0 && parts[1] == NULL)
    r->framework = CUP_FRAMEWORK_NONE;
  else {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                "--framework %s: expected pytorch[==VERSION], tensorflow[==VERSION] or none", text);
    return FALSE;
  }
  r->framework_version = g_strdup(parts[1]);
  return TRUE;
}

static char *default_cache(const char *option)
{
  if (option)
    return g_build_filename(option, "manifests", NULL);
  return g_build_filename(g_get_user_cache_dir(), "cudaup", "manifests", NULL);
}

static void print_archives(const CupPlan *p)
{
  guint64 total = 0;
  for (guint i = 0; i < p->archives->len; i++)
    total += ((CupPlanArchive *)g_ptr_array_index(p->archives, i))->size;
  g_autofree char *size = g_format_size(total);
  printf("Downloads  %u archives, %s, into %s\n", p->archives->len, size,
         p->toolkit_root ? p->toolkit_root : "-");
  for (guint i = 0; i < p->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(p->archives, i);
    g_autofree char *s = g_format_size(a->size);
    printf("           %-22s %-12s %10s  %s\n", a->component, a->version ? a->version : "", s,
           a->url);
  }
}

static void print_list(const char *title, const GPtrArray *lines)
{
  if (lines->len == 0)
    return;
  printf("%s\n", title);
  for (guint i = 0; i < lines->len; i++)
    printf("  - %s\n", (char *)g_ptr_array_index(lines, i));
}

static void print_plan(const CupPlan *p)
{
  printf("Plan for %s on %s (%s)\n", p->gpu && p->gpu->name ? p->gpu->name : "no GPU", p->os,
         p->platform);
  printf("Driver     %s", p->driver_action);
  if (p->driver_current)
    printf(" %s", p->driver_current);
  if (p->driver_minimum)
    printf("; needs %s or newer", p->driver_minimum);
  if (p->driver_minimum_minor_compat)
    printf(" (%s through minor-version compatibility%s)", p->driver_minimum_minor_compat,
           p->driver_minor_compat ? ", used by this plan" : "");
  if (p->driver_branch)
    printf("; branch %s", p->driver_branch);
  printf("\n");
  printf("CUDA       %s (%s)\n", p->cuda_version ? p->cuda_version : "-",
         p->cuda_required ? "install" : "optional: bundled by the framework");
  if (p->cudnn_version)
    printf("cuDNN      %s%s%s (%s)\n", p->cudnn_version, p->cudnn_variant ? " for " : "",
           p->cudnn_variant ? p->cudnn_variant : "", p->cudnn_required ? "required" : "install");
  if (p->framework_name)
    printf("Framework  %s %s%s%s\n           %s\n", p->framework_name, p->framework_version,
           p->framework_variant ? " " : "", p->framework_variant ? p->framework_variant : "",
           p->pip_command);
  if (p->archives->len)
    print_archives(p);
  print_list("Environment", p->environment);
  print_list("Why", p->reasons);
  print_list("Warnings", p->warnings);
}

static CupSystem *plan_system(CliGlobals *g, PlanArgs *a, const CupCatalog *cat, GError **error)
{
  CupDetectOptions o = {
      .root = g->root, .manifests_dir = g->catalog, .skip_toolkits = TRUE, .gpu_table = cat->gpus};
  g_autoptr(CupSystem) sys = cup_detect(&o, error);
  if (sys == NULL)
    return NULL;
  CupOverrides ov = {.gpu_name = a->gpu, .pci_id = a->pci, .cc = a->cc, .driver = a->driver};
  if (!cup_system_override(sys, cat, &ov, error))
    return NULL;
  return g_steal_pointer(&sys);
}

static int run_plan(CliGlobals *g, PlanArgs *a)
{
  g_autoptr(GError) error = NULL;
  CupRequest r = {0};
  if (!parse_framework(a->framework, &r, &error))
    return cli_fail(g, error);
  g_autofree char *cache = default_cache(a->cache);
  g_autoptr(CupCatalog) cat = cup_catalog_load(g->catalog, cache, &error);
  g_autoptr(CupSystem) sys = cat ? plan_system(g, a, cat, &error) : NULL;
  if (sys == NULL) {
    cup_request_clear(&r);
    return cli_fail(g, error);
  }
  r.python = g_strdup(a->python), r.cuda = g_strdup(a->cuda), r.cudnn = g_strdup(a->cudnn);
  r.os = g_strdup(a->os), r.arch = g_strdup(a->arch), r.mirror = g_strdup(a->mirror);
  r.prefix = g_strdup(a->prefix), r.with_toolkit = a->with_toolkit, r.user_scope = a->user;
  r.user_data_dir = g_strdup(g_get_user_data_dir());
  g_autoptr(CupPlan) plan = cup_plan_make(sys, cat, &r, &error);
  cup_request_clear(&r);
  if (plan == NULL)
    return cli_fail(g, error);
  if (g->json) {
    g_autoptr(json_t) json = cup_plan_to_json(plan);
    json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
  } else {
    print_plan(plan);
  }
  return 0;
}

int cli_plan(CliGlobals *g, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  PlanArgs a = {0};
  const GOptionEntry entries[] = {
      {"framework", 0, 0, G_OPTION_ARG_STRING, &a.framework,
       "pytorch[==V], tensorflow[==V] or none (default)", "NAME[==V]"},
      {"python", 0, 0, G_OPTION_ARG_STRING, &a.python, "Python version to plan for", "X.Y"},
      {"cuda", 0, 0, G_OPTION_ARG_STRING, &a.cuda, "Pin the CUDA version", "X.Y[.Z]"},
      {"cudnn", 0, 0, G_OPTION_ARG_STRING, &a.cudnn, "Pin the cuDNN version", "X.Y[.Z]"},
      {"with-toolkit", 0, 0, G_OPTION_ARG_NONE, &a.with_toolkit,
       "Install the CUDA Toolkit even when the framework bundles CUDA", NULL},
      {"driver", 0, 0, G_OPTION_ARG_STRING, &a.driver, "Plan for this driver (or 'none')", "VER"},
      {"os", 0, 0, G_OPTION_ARG_STRING, &a.os, "Plan for linux or windows", "OS"},
      {"arch", 0, 0, G_OPTION_ARG_STRING, &a.arch, "Plan for x86_64 or sbsa", "ARCH"},
      {"gpu", 0, 0, G_OPTION_ARG_STRING, &a.gpu, "Plan for the GPU of this name", "NAME"},
      {"pci", 0, 0, G_OPTION_ARG_STRING, &a.pci, "Plan for the GPU of this PCI id", "10de:XXXX"},
      {"cc", 0, 0, G_OPTION_ARG_STRING, &a.cc, "Plan for this compute capability", "X.Y"},
      {"mirror", 0, 0, G_OPTION_ARG_STRING, &a.mirror, "Archive URLs on this mirror", "URL"},
      {"prefix", 0, 0, G_OPTION_ARG_FILENAME, &a.prefix, "Toolkit root", "DIR"},
      {"user", 0, 0, G_OPTION_ARG_NONE, &a.user, "Install for this user only", NULL},
      {"cache", 0, 0, G_OPTION_ARG_FILENAME, &a.cache, "Download cache directory", "DIR"},
      G_OPTION_ENTRY_NULL,
  };
  int rc;
  if (!cli_parse(g, "plan", "choose driver, CUDA Toolkit, cuDNN and framework build", NULL, entries,
                 &argc, &argv, &error))
    rc = cli_fail(g, error);
  else
    rc = run_plan(g, &a);
  plan_args_clear(&a);
  return rc;
}
