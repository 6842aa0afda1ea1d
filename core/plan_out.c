/* plan_out.c - the parts of a plan that follow from the choices: archives, toolkit root,
 * environment, reasons, JSON. */
#include "core/plan_private.h"

#include "core/redist.h"

#include <string.h>

void cup_plan_reason(CupPlan *plan, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_ptr_array_add(plan->reasons, g_strdup_vprintf(format, args));
  va_end(args);
}

void cup_plan_warn(CupPlan *plan, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_ptr_array_add(plan->warnings, g_strdup_vprintf(format, args));
  va_end(args);
}

void cup_plan_archive_free(CupPlanArchive *a)
{
  if (a == NULL)
    return;
  g_free(a->component);
  g_free(a->version);
  g_free(a->url);
  g_free(a->path);
  g_free(a->sha256);
  g_free(a->destination);
  g_free(a);
}

/* DESIGN.md section 3: /usr/local/cuda-X.Y as root, $XDG_DATA_HOME/cudaup/cuda-X.Y as a user;
 * on Windows C:\Program Files\NVIDIA GPU Computing Toolkit\CUDA\vX.Y as administrator,
 * %LOCALAPPDATA%\cudaup\CUDA\vX.Y as a user (the roots NVIDIA's installers use). */
char *cup_plan_default_root(const CupRequest *r, const char *os, const char *cuda)
{
  g_autofree char *mm = cup_major_minor(cuda);
  gboolean windows = strcmp(os, "windows") == 0;
  if (r->prefix)
    return g_strdup(r->prefix);
  if (r->user_scope && r->user_data_dir)
    return windows ? g_strdup_printf("%s\\cudaup\\CUDA\\v%s", r->user_data_dir, mm)
                   : g_strdup_printf("%s/cudaup/cuda-%s", r->user_data_dir, mm);
  return windows ? g_strdup_printf("C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v%s", mm)
                 : g_strdup_printf("/usr/local/cuda-%s", mm);
}

/* The newest redistrib manifest of @kind whose release matches @version, or NULL. */
static const CupRedistManifest *find_manifest(const CupCatalog *cat, CupRedistKind kind,
                                              const char *version)
{
  const CupRedistManifest *best = NULL;
  for (guint i = 0; cat->redist && i < cat->redist->len; i++) {
    const CupRedistManifest *m = g_ptr_array_index(cat->redist, i);
    if (m->kind == kind && cup_version_matches(version, m->release) &&
        (best == NULL || cup_vcmp(m->release, best->release) > 0))
      best = m;
  }
  return best;
}

static void add_archive(CupPlan *plan, const CupRequest *r, const char *dir,
                        const CupRedistComponent *comp, const CupRedistArchive *a)
{
  CupPlanArchive *pa = g_new0(CupPlanArchive, 1);
  pa->component = g_strdup(comp->key);
  pa->version = g_strdup(comp->version);
  pa->path = g_strdup_printf("%s/redist/%s", dir, a->relative_path);
  pa->url = g_strdup_printf("%s/%s", r->mirror ? r->mirror : CUP_DEFAULT_MIRROR, pa->path);
  pa->sha256 = g_strdup(a->sha256);
  pa->size = a->size;
  pa->destination = g_strdup(plan->toolkit_root);
  g_ptr_array_add(plan->archives, pa);
}

static void add_cuda_archives(CupPlan *plan, const CupCatalog *cat, const CupRequest *r)
{
  const CupRedistManifest *m = find_manifest(cat, CUP_REDIST_CUDA, plan->cuda_version);
  if (m == NULL) {
    cup_plan_warn(plan,
                  "NVIDIA's redistrib manifest for CUDA %s is not in the catalog or the "
                  "cache, so its archives are not listed: 'cudaup fetch' downloads it",
                  plan->cuda_version);
    return;
  }
  g_free(plan->cuda_version);
  plan->cuda_version = g_strdup(m->release);
  for (char **key = cat->toolkit_components; key && *key; key++) {
    const CupRedistComponent *comp = cup_redist_component(m, *key);
    const CupRedistArchive *a = comp ? cup_redist_find(m, *key, plan->platform, NULL) : NULL;
    if (a == NULL)
      continue; /* not every release has every component (cuda_crt is new in 13.0) */
    g_ptr_array_add(plan->components, g_strdup(*key));
    add_archive(plan, r, "cuda", comp, a);
  }
  cup_plan_reason(plan,
                  "CUDA Toolkit %s: %u components from NVIDIA's redistrib manifest for %s, "
                  "verified by sha256 [%s]",
                  m->release, plan->components->len, plan->platform, m->origin);
}

static void add_cudnn_archive(CupPlan *plan, const CupCatalog *cat, const CupRequest *r)
{
  const CupRedistManifest *m = find_manifest(cat, CUP_REDIST_CUDNN, plan->cudnn_version);
  const CupRedistComponent *comp = m ? cup_redist_component(m, "cudnn") : NULL;
  const CupRedistArchive *a =
      comp ? cup_redist_find(m, "cudnn", plan->platform, plan->cudnn_variant) : NULL;
  if (a == NULL) {
    cup_plan_warn(plan,
                  "no cuDNN %s archive for %s%s%s in the catalog or the cache: 'cudaup "
                  "fetch' downloads NVIDIA's manifest",
                  plan->cudnn_version, plan->platform, plan->cudnn_variant ? " " : "",
                  plan->cudnn_variant ? plan->cudnn_variant : "");
    return;
  }
  g_free(plan->cudnn_version);
  plan->cudnn_version = g_strdup(m->release);
  add_archive(plan, r, "cudnn", comp, a);
}

void cup_plan_add_archives(CupPlan *plan, const CupCatalog *cat, const CupRequest *r)
{
  gboolean toolkit = plan->cuda_required;
  gboolean cudnn = plan->cudnn_version != NULL;
  if (!toolkit && !cudnn)
    return;
  /* cuDNN alone goes into the existing toolkit it was fitted to (plan.c, adds_to_existing). */
  if (plan->cuda_existing && !r->prefix)
    plan->toolkit_root = g_strdup(r->existing_root);
  else
    plan->toolkit_root = cup_plan_default_root(r, plan->os, plan->cuda_version);
  if (toolkit)
    add_cuda_archives(plan, cat, r);
  if (cudnn)
    add_cudnn_archive(plan, cat, r);
}

void cup_plan_add_environment(CupPlan *plan)
{
  const char *root = plan->toolkit_root;
  if (root == NULL || !plan->cuda_required)
    return;
  if (strcmp(plan->os, "windows") == 0) {
    g_autofree char *mm = cup_major_minor(plan->cuda_version);
    g_strdelimit(mm, ".", '_');
    g_ptr_array_add(plan->environment, g_strdup_printf("CUDA_PATH = %s", root));
    g_ptr_array_add(plan->environment, g_strdup_printf("CUDA_PATH_V%s = %s", mm, root));
    g_ptr_array_add(plan->environment, g_strdup_printf("Path += %s\\bin", root));
    return;
  }
  g_ptr_array_add(plan->environment, g_strdup_printf("PATH += %s/bin", root));
  g_ptr_array_add(plan->environment, g_strdup_printf("LD_LIBRARY_PATH += %s/lib64", root));
  g_ptr_array_add(plan->environment, g_strdup_printf("CUDA_HOME = %s", root));
  g_ptr_array_add(plan->environment, g_strdup_printf("CUDA_PATH = %s", root));
}

/* ---- JSON and freeing ------------------------------------------------------------------ */

static json_t *archives_json(const CupPlan *p)
{
  json_t *arr = json_array();
  for (guint i = 0; i < p->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(p->archives, i);
    json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "component", a->component,
                                         "version", a->version ? a->version : "", "url", a->url,
                                         "path", a->path, "sha256", a->sha256, "size",
                                         (json_int_t)a->size, "destination", a->destination));
  }
  return arr;
}

json_t *cup_plan_to_json(const CupPlan *p)
{
  json_t *o = json_object();
  json_object_set_new(o, "gpu", p->gpu ? cup_gpu_to_json(p->gpu) : json_null());
  json_object_set_new(o, "os", cup_json_string_or_null(p->os));
  json_object_set_new(o, "platform", cup_json_string_or_null(p->platform));
  json_object_set_new(o, "driver",
                      json_pack("{s:o,s:o,s:o,s:o,s:b,s:o,s:o}", "action",
                                cup_json_string_or_null(p->driver_action), "current",
                                cup_json_string_or_null(p->driver_current), "minimum",
                                cup_json_string_or_null(p->driver_minimum), "minimum_minor_compat",
                                cup_json_string_or_null(p->driver_minimum_minor_compat),
                                "minor_compat", p->driver_minor_compat, "branch",
                                cup_json_string_or_null(p->driver_branch), "legacy_branch",
                                cup_json_string_or_null(p->legacy_branch)));
  json_object_set_new(o, "cuda",
                      json_pack("{s:o,s:b,s:b,s:o,s:o}", "version",
                                cup_json_string_or_null(p->cuda_version), "required",
                                p->cuda_required, "existing", p->cuda_existing, "root",
                                cup_json_string_or_null(p->toolkit_root), "components",
                                cup_json_strings(p->components)));
  json_object_set_new(o, "cudnn",
                      json_pack("{s:o,s:o,s:b}", "version",
                                cup_json_string_or_null(p->cudnn_version), "cuda_variant",
                                cup_json_string_or_null(p->cudnn_variant), "required",
                                p->cudnn_required));
  json_object_set_new(o, "framework",
                      json_pack("{s:o,s:o,s:o,s:o,s:o}", "name",
                                cup_json_string_or_null(p->framework_name), "version",
                                cup_json_string_or_null(p->framework_version), "variant",
                                cup_json_string_or_null(p->framework_variant), "index_url",
                                cup_json_string_or_null(p->index_url), "pip_command",
                                cup_json_string_or_null(p->pip_command)));
  json_object_set_new(o, "archives", archives_json(p));
  json_object_set_new(o, "environment", cup_json_strings(p->environment));
  json_object_set_new(o, "reasons", cup_json_strings(p->reasons));
  json_object_set_new(o, "warnings", cup_json_strings(p->warnings));
  return o;
}

void cup_plan_free(CupPlan *p)
{
  if (p == NULL)
    return;
  cup_gpu_free(p->gpu);
  char **strs[] = {&p->os,
                   &p->platform,
                   &p->driver_action,
                   &p->driver_current,
                   &p->driver_minimum,
                   &p->driver_minimum_minor_compat,
                   &p->driver_branch,
                   &p->legacy_branch,
                   &p->cuda_version,
                   &p->toolkit_root,
                   &p->cudnn_version,
                   &p->cudnn_variant,
                   &p->framework_name,
                   &p->framework_version,
                   &p->framework_variant,
                   &p->index_url,
                   &p->pip_command};
  for (gsize i = 0; i < G_N_ELEMENTS(strs); i++)
    g_free(*strs[i]);
  GPtrArray *arrays[] = {p->components, p->archives, p->environment, p->reasons, p->warnings};
  for (gsize i = 0; i < G_N_ELEMENTS(arrays); i++)
    if (arrays[i])
      g_ptr_array_unref(arrays[i]);
  g_free(p);
}

void cup_request_clear(CupRequest *r)
{
  char **strs[] = {&r->framework_version,
                   &r->python,
                   &r->cuda,
                   &r->cudnn,
                   &r->os,
                   &r->arch,
                   &r->mirror,
                   &r->prefix,
                   &r->user_data_dir,
                   &r->existing_cuda,
                   &r->existing_root};
  for (gsize i = 0; i < G_N_ELEMENTS(strs); i++)
    g_clear_pointer(strs[i], g_free);
}
