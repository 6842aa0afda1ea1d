/* plan.c - choosing driver, CUDA, cuDNN and framework build. Pure: reads only its arguments.
 *
 * Rules and their sources:
 *  - a CUDA release runs with full features when the driver meets the release's minimum, and
 *    any minor of CUDA 11.x / 12.x / 13.x runs (limited) on the major's floor driver: NVIDIA
 *    CUDA Toolkit Release Notes, tables 2 and 3; CUDA Compatibility guide, minor-version
 *    compatibility. Numbers: manifests/cuda.json.
 *  - the GPU's compute capability must lie in the range a CUDA release compiles for, and in
 *    the framework wheel's architecture list where that is known: manifests/cuda.json,
 *    manifests/pytorch.json.
 *  - framework builds fix their CUDA, cuDNN and Python: manifests/pytorch.json,
 *    manifests/tensorflow.json.
 */
#include "core/i18n.h"
#include "core/plan_private.h"

#include "core/error.h"
#include "core/redist.h"
#include "core/version.h"

#include <stdio.h>
#include <string.h>

int cup_vcmp(const char *a, const char *b)
{
  int order = 0;
  if (!cup_version_compare_strings(a, b, &order, NULL))
    return g_strcmp0(a, b);
  return order;
}

/* "2.1" matches 2.1, 2.1.0, 2.1.2; "2.1.2" matches only 2.1.2 (and 2.1.2.0). */
gboolean cup_version_matches(const char *pin, const char *version)
{
  CupVersion p, v;
  if (!cup_version_parse(pin, &p, NULL) || !cup_version_parse(version, &v, NULL))
    return FALSE;
  for (guint i = 0; i < p.n_parts; i++)
    if ((i < v.n_parts ? v.parts[i] : 0) != p.parts[i])
      return FALSE;
  return TRUE;
}

static guint version_major(const char *version)
{
  CupVersion v;
  return cup_version_parse(version, &v, NULL) ? v.parts[0] : 0;
}

/* ---- the inputs ------------------------------------------------------------------------ */

typedef struct {
  const CupCatalog *catalog;
  const CupRequest *request;
  const char *os;     /* "linux" / "windows" */
  const CupGpu *gpu;  /* NULL: no GPU */
  const char *cc;     /* the GPU's compute capability, NULL when unknown */
  const char *driver; /* current driver, NULL when none */
  const char *legacy; /* legacy branch "470", NULL when none */
  const char *python; /* "3.11", NULL when unknown */
  gboolean python_pinned;
} Ctx;

static const char *gpu_label(const Ctx *c)
{
  return c->gpu && c->gpu->name ? c->gpu->name : "this GPU";
}

/* ---- CUDA and the driver --------------------------------------------------------------- */

/* The first (GA) release of @cuda (major.minor), or NULL. Its driver is the minimum for the
 * whole minor: later updates of the minor run on it through minor-version compatibility, and
 * NVIDIA states e.g. "CUDA 12.4 needs 550.54.14" from the 12.4 GA row. */
static const CupCudaRelease *release_of(const Ctx *c, const char *cuda)
{
  const CupCudaRelease *first = NULL;
  for (guint i = 0; i < c->catalog->cuda_releases->len; i++) {
    const CupCudaRelease *r = g_ptr_array_index(c->catalog->cuda_releases, i);
    if (cup_version_matches(cuda, r->version) &&
        (first == NULL || cup_vcmp(r->version, first->version) < 0))
      first = r;
  }
  return first;
}

static const char *for_os(const Ctx *c, const char *linux_value, const char *windows_value)
{
  return strcmp(c->os, "windows") == 0 ? windows_value : linux_value;
}

/* A driver version the GPU can run: at most its legacy branch. */
static gboolean reachable(const Ctx *c, const char *driver)
{
  return driver != NULL && (c->legacy == NULL || version_major(driver) <= version_major(c->legacy));
}

static CupCudaOption judge_cuda(const Ctx *c, const char *cuda)
{
  CupCudaOption o = {0};
  const CupCudaRelease *rel = release_of(c, cuda);
  const CupCudaMajorFloor *fl = cup_catalog_cuda_floor(c->catalog, version_major(cuda));
  o.cuda = g_strdup(cuda);
  o.full_minimum = rel ? g_strdup(for_os(c, rel->driver_linux, rel->driver_windows)) : NULL;
  o.floor = fl ? g_strdup(for_os(c, fl->driver_linux, fl->driver_windows)) : NULL;
  o.source = rel ? rel->source : NULL;
  if (c->driver && o.full_minimum && cup_vcmp(c->driver, o.full_minimum) >= 0)
    o.fit = CUP_FIT_FULL;
  else if (c->driver && o.floor && cup_vcmp(c->driver, o.floor) >= 0)
    o.fit = CUP_FIT_MVC;
  o.possible = o.fit != CUP_FIT_NONE || reachable(c, o.full_minimum) || reachable(c, o.floor);
  o.needs_mvc = o.fit == CUP_FIT_MVC || (o.fit == CUP_FIT_NONE && !reachable(c, o.full_minimum));
  return o;
}

static void option_clear(CupCudaOption *o)
{
  g_free(o->cuda);
  g_free(o->full_minimum);
  g_free(o->floor);
}

static gboolean cuda_supports_cc(const Ctx *c, const char *cuda)
{
  const CupCudaCcRange *r = cup_catalog_cuda_cc_range(c->catalog, cuda);
  if (c->cc == NULL || r == NULL)
    return c->cc == NULL; /* no GPU: nothing to check; unknown range: not provable */
  return cup_vcmp(c->cc, r->min_cc) >= 0 && cup_vcmp(c->cc, r->max_cc) <= 0;
}

/* The newest CUDA whose range includes the GPU's compute capability, or NULL. */
static const char *newest_cuda_for_cc(const Ctx *c)
{
  for (guint i = 0; c->cc && i < c->catalog->cuda_cc->len; i++) {
    const CupCudaCcRange *r = g_ptr_array_index(c->catalog->cuda_cc, i);
    if (cup_vcmp(c->cc, r->min_cc) >= 0 && cup_vcmp(c->cc, r->max_cc) <= 0)
      return r->cuda_to;
  }
  return NULL;
}

/* "Tesla K80 (compute capability 3.7) is not supported by CUDA 12.1: <change>; the newest
 * CUDA for it is 11.8". */
static char *cc_refusal(const Ctx *c, const char *cuda)
{
  const CupCudaCcRange *r = cup_catalog_cuda_cc_range(c->catalog, cuda);
  const char *newest = newest_cuda_for_cc(c);
  GString *s = g_string_new(NULL);
  g_string_printf(s, "%s (compute capability %s) is not supported by CUDA %s", gpu_label(c), c->cc,
                  cuda);
  if (r)
    g_string_append_printf(s, ", which compiles for %s to %s", r->min_cc, r->max_cc);
  if (r && r->change) {
    g_autofree char *change = g_strdup(r->change);
    gsize n = strlen(change);
    if (n > 0 && change[n - 1] == '.')
      change[n - 1] = '\0';
    g_string_append_printf(s, " (CUDA %s: %s)", r->cuda_from, change);
  }
  if (newest)
    g_string_append_printf(s, "; the newest CUDA for it is %s", newest);
  return g_string_free(s, FALSE);
}

/* Pick among @options (newest first): the newest the current driver runs fully; else, when
 * @mvc_ok, the newest it runs through minor-version compatibility; else the newest any
 * reachable driver runs. Returns an index or -1. */
static int pick_option(GArray *options, gboolean mvc_ok)
{
  for (CupDriverFit want = CUP_FIT_FULL; want >= CUP_FIT_MVC; want--) {
    if (want == CUP_FIT_MVC && !mvc_ok)
      break;
    for (guint i = 0; i < options->len; i++)
      if (g_array_index(options, CupCudaOption, i).fit == want)
        return (int)i;
  }
  for (guint i = 0; i < options->len; i++)
    if (g_array_index(options, CupCudaOption, i).possible)
      return (int)i;
  return -1;
}

static void apply_driver(CupPlan *plan, const Ctx *c, const CupCudaOption *o)
{
  plan->driver_current = g_strdup(c->driver);
  plan->driver_minimum = g_strdup(o->full_minimum);
  plan->driver_minimum_minor_compat = g_strdup(o->floor);
  plan->legacy_branch = g_strdup(c->legacy);
  plan->driver_minor_compat = o->needs_mvc;
  if (o->fit != CUP_FIT_NONE) {
    plan->driver_action = g_strdup("keep");
  } else {
    const char *target = o->needs_mvc ? o->floor : o->full_minimum;
    plan->driver_action = g_strdup(c->driver ? "upgrade" : "install");
    plan->driver_branch =
        c->legacy ? g_strdup(c->legacy) : g_strdup_printf("%u", version_major(target));
  }
}

static void explain_driver(CupPlan *plan, const Ctx *c, const CupCudaOption *o)
{
  const char *src = "NVIDIA CUDA Toolkit Release Notes, table 3";
  if (o->fit == CUP_FIT_FULL)
    cup_plan_reason(plan, "Driver %s meets CUDA %s's minimum %s: keep it [%s]", c->driver, o->cuda,
                    o->full_minimum, src);
  else if (o->fit == CUP_FIT_MVC)
    cup_plan_reason(plan,
                    "Driver %s is below CUDA %s's minimum %s but at least %s, so CUDA %s runs "
                    "through minor-version compatibility (limited features: no JIT of newer "
                    "PTX); upgrade to %s or newer for full support [NVIDIA CUDA Compatibility "
                    "guide, minor-version compatibility]",
                    c->driver, o->cuda, o->full_minimum ? o->full_minimum : "(not given)", o->floor,
                    o->cuda, o->full_minimum ? o->full_minimum : "the newest driver");
  else if (o->needs_mvc)
    cup_plan_reason(plan,
                    "%s is on the legacy %s driver branch, below CUDA %s's minimum %s: %s the "
                    "%s branch, at least %s, which runs CUDA %s through minor-version "
                    "compatibility [NVIDIA CUDA Compatibility guide]",
                    gpu_label(c), c->legacy, o->cuda, o->full_minimum, plan->driver_action,
                    c->legacy, o->floor, o->cuda);
  else
    cup_plan_reason(plan,
                    "CUDA %s needs driver %s or newer on %s (%s through minor-version "
                    "compatibility): %s [%s]",
                    o->cuda, o->full_minimum, c->os, o->floor ? o->floor : "none",
                    c->driver ? "upgrade" : "install one", src);
  if (c->legacy && o->fit != CUP_FIT_NONE)
    cup_plan_reason(plan,
                    "%s is supported only by the legacy %s driver branch: keep that branch "
                    "[NVIDIA driver README, supported GPUs]",
                    gpu_label(c), c->legacy);
}

/* ---- frameworks ------------------------------------------------------------------------ */

static gboolean python_in(const char *python, const char *min, const char *max)
{
  g_autofree char *py = cup_major_minor(python);
  return (min == NULL || cup_vcmp(py, min) >= 0) && (max == NULL || cup_vcmp(py, max) <= 0);
}

/* Only a Python the user pinned constrains the choice; the one detect found on PATH may not
 * be the one the framework goes into (a venv, conda, another machine): it is checked after
 * the choice, as a warning (check_detected_python). */
static gboolean python_fits(const Ctx *c, const char *min, const char *max)
{
  return !c->python_pinned || python_in(c->python, min, max);
}

static void check_detected_python(CupPlan *plan, const Ctx *c, const char *what, const char *min,
                                  const char *max)
{
  if (c->python_pinned || c->python == NULL || python_in(c->python, min, max))
    return;
  cup_plan_warn(plan,
                "the Python on PATH is %s, but %s supports Python %s to %s: install one of "
                "those (or plan with --python X.Y)",
                c->python, what, min ? min : "?", max ? max : "?");
}

static gboolean variant_fits_gpu(const Ctx *c, const CupTorchVariant *v)
{
  if (c->cc == NULL)
    return TRUE;
  if (v->archs == NULL)
    return cuda_supports_cc(c, v->cuda);
  return g_strv_contains((const char *const *)v->archs, c->cc);
}

/* The variants of @rel that fit the pins and the GPU, judged against the driver. */
static GArray *torch_options(const Ctx *c, const CupTorchRelease *rel, GPtrArray *kept)
{
  GArray *options = g_array_new(FALSE, TRUE, sizeof(CupCudaOption));
  g_array_set_clear_func(options, (GDestroyNotify)option_clear);
  for (guint i = 0; i < rel->variants->len; i++) {
    const CupTorchVariant *v = g_ptr_array_index(rel->variants, i);
    /* Builds PyTorch marks experimental are shipped wheels too (2.1's cu121 was the default
     * on Linux); the reason line says so. */
    if ((c->request->cuda && !cup_version_matches(c->request->cuda, v->cuda)) ||
        !variant_fits_gpu(c, v))
      continue;
    CupCudaOption o = judge_cuda(c, v->cuda);
    g_array_append_val(options, o);
    g_ptr_array_add(kept, (gpointer)v);
  }
  return options;
}

static void torch_pip(CupPlan *plan, const Ctx *c, const CupTorchRelease *rel,
                      const CupTorchVariant *v)
{
  const char *pin = c->request->framework_version;
  g_autofree char *spec = pin && strchr(pin, '.') != strrchr(pin, '.')
                              ? g_strdup_printf("torch==%s", pin)
                              : g_strdup_printf("torch==%s.*", rel->version);
  plan->framework_name = g_strdup("pytorch");
  plan->framework_version =
      g_strdup(pin && strchr(pin, '.') != strrchr(pin, '.') ? pin : rel->version);
  plan->framework_variant = g_strdup(v->tag);
  plan->index_url = g_strdup(v->index_url);
  plan->pip_command = g_strdup_printf("pip install %s --index-url %s", spec, v->index_url);
}

static gboolean plan_torch_release(CupPlan *plan, const Ctx *c, const CupTorchRelease *rel,
                                   GString *why)
{
  if (!python_fits(c, rel->python_min, rel->python_max)) {
    g_string_printf(why, "PyTorch %s supports Python %s to %s, not %s", rel->version,
                    rel->python_min, rel->python_max, c->python);
    return FALSE;
  }
  g_autoptr(GPtrArray) kept = g_ptr_array_new();
  g_autoptr(GArray) options = torch_options(c, rel, kept);
  int pick = pick_option(options, TRUE);
  if (pick < 0) {
    g_string_printf(why, "PyTorch %s has no CUDA build for %s (compute capability %s)%s%s",
                    rel->version, gpu_label(c), c->cc ? c->cc : "unknown",
                    c->request->cuda ? " with CUDA " : "",
                    c->request->cuda ? c->request->cuda : "");
    return FALSE;
  }
  const CupTorchVariant *v = g_ptr_array_index(kept, pick);
  CupCudaOption *o = &g_array_index(options, CupCudaOption, pick);
  torch_pip(plan, c, rel, v);
  plan->cuda_version = g_strdup(v->cuda);
  cup_plan_reason(plan,
                  "PyTorch %s: the %s wheels (CUDA %s%s%s%s) are the newest build for %s "
                  "that %s [%s]",
                  plan->framework_version, v->tag, v->cuda, v->cudnn ? ", cuDNN " : "",
                  v->cudnn ? v->cudnn : "",
                  v->experimental ? "; PyTorch's release matrix calls this CUDA build "
                                    "experimental"
                                  : "",
                  gpu_label(c),
                  o->fit != CUP_FIT_NONE ? "the current driver runs" : "a driver can run",
                  rel->source);
  cup_plan_reason(plan,
                  "PyTorch wheels bundle the CUDA runtime and cuDNN: the machine needs "
                  "only the driver%s [https://pytorch.org/get-started/locally/]",
                  c->request->with_toolkit ? "; the CUDA Toolkit is installed as asked "
                                             "(--with-toolkit), for nvcc and extensions"
                                           : "; the CUDA Toolkit is optional (for nvcc and "
                                             "building extensions: --with-toolkit)");
  apply_driver(plan, c, o);
  explain_driver(plan, c, o);
  plan->cuda_required = c->request->with_toolkit;
  g_autofree char *what = g_strdup_printf("PyTorch %s", rel->version);
  check_detected_python(plan, c, what, rel->python_min, rel->python_max);
  return TRUE;
}

static gboolean plan_torch(CupPlan *plan, const Ctx *c, GError **error)
{
  const char *pin = c->request->framework_version;
  g_autoptr(GString) why = g_string_new(NULL);
  if (pin) {
    const CupTorchRelease *r = cup_catalog_torch_release(c->catalog, pin);
    if (r == NULL) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                  _("PyTorch %s is not a release cudaup knows; run 'cudaup list frameworks' for "
                    "the known ones"),
                  pin);
      return FALSE;
    }
    if (plan_torch_release(plan, c, r, why))
      return TRUE;
  } else {
    for (guint i = 0; i < c->catalog->torch_releases->len; i++) {
      const CupTorchRelease *r = g_ptr_array_index(c->catalog->torch_releases, i);
      g_autoptr(GString) this_why = g_string_new(NULL);
      if (plan_torch_release(plan, c, r, this_why))
        return TRUE;
      if (why->len == 0)
        g_string_assign(why, this_why->str);
    }
  }
  g_set_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE, "%s", why->str);
  return FALSE;
}

static const CupTfRelease *find_tf(const Ctx *c, const char *pin, gboolean any_os)
{
  for (guint i = 0; i < c->catalog->tf_releases->len; i++) {
    const CupTfRelease *r = g_ptr_array_index(c->catalog->tf_releases, i);
    if ((any_os || strcmp(r->os, c->os) == 0) &&
        (pin == NULL || cup_version_matches(pin, r->version)))
      return r;
  }
  return NULL;
}

/* Why no TensorFlow build fits: the broken link, with what to do instead. */
static void tf_refusal(const Ctx *c, const char *pin, GError **error)
{
  const CupTfRelease *newest_here = find_tf(c, NULL, FALSE);
  if (pin && find_tf(c, pin, TRUE) == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("TensorFlow %s is not a release cudaup knows; run 'cudaup list frameworks' for "
                  "the known ones"),
                pin);
  } else if (pin && strcmp(c->os, "windows") == 0 && newest_here) {
    g_autofree char *last = cup_major_minor(newest_here->version);
    g_set_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE,
                _("TensorFlow %s has no native Windows GPU build (the last is %s): use WSL2, or "
                  "choose TensorFlow %s"),
                pin, last, last);
  } else {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE,
                _("TensorFlow %s has no GPU build for %s"), pin ? pin : "(any version)", c->os);
  }
}

static gboolean plan_tf_release(CupPlan *plan, const Ctx *c, const CupTfRelease *r, GString *why)
{
  if (!python_fits(c, r->python_min, r->python_max)) {
    g_string_printf(why, "TensorFlow %s supports Python %s to %s, not %s", r->version,
                    r->python_min, r->python_max, c->python);
    return FALSE;
  }
  if (c->request->cuda && !cup_version_matches(c->request->cuda, r->cuda)) {
    g_string_printf(why, "TensorFlow %s was built with CUDA %s, not %s", r->version, r->cuda,
                    c->request->cuda);
    return FALSE;
  }
  if (!cuda_supports_cc(c, r->cuda)) {
    g_autofree char *refusal = cc_refusal(c, r->cuda);
    g_string_printf(why, "TensorFlow %s needs CUDA %s, and %s", r->version, r->cuda, refusal);
    return FALSE;
  }
  CupCudaOption o = judge_cuda(c, r->cuda);
  if (!o.possible) {
    g_string_printf(why, "TensorFlow %s needs CUDA %s, which no driver for %s runs", r->version,
                    r->cuda, gpu_label(c));
    option_clear(&o);
    return FALSE;
  }
  plan->framework_name = g_strdup("tensorflow");
  plan->framework_version = g_strdup(r->version);
  plan->pip_command = g_strdup_printf("pip install %s==%s", r->package, r->version);
  plan->cuda_version = g_strdup(r->cuda);
  plan->cuda_required = TRUE;
  plan->cudnn_required = TRUE;
  cup_plan_reason(plan,
                  "TensorFlow %s on %s was built and tested with CUDA %s and cuDNN %s, "
                  "Python %s to %s; it loads them from the system, so both are installed [%s]",
                  r->version, c->os, r->cuda, r->cudnn, r->python_min, r->python_max, r->source);
  apply_driver(plan, c, &o);
  explain_driver(plan, c, &o);
  option_clear(&o);
  g_autofree char *what = g_strdup_printf("TensorFlow %s", r->version);
  check_detected_python(plan, c, what, r->python_min, r->python_max);
  return TRUE;
}

static gboolean plan_tf(CupPlan *plan, const Ctx *c, const char **cudnn_want, GError **error)
{
  const char *pin = c->request->framework_version;
  g_autoptr(GString) why = g_string_new(NULL);
  for (guint i = 0; i < c->catalog->tf_releases->len; i++) {
    const CupTfRelease *r = g_ptr_array_index(c->catalog->tf_releases, i);
    if (strcmp(r->os, c->os) != 0 || (pin && !cup_version_matches(pin, r->version)))
      continue;
    g_autoptr(GString) this_why = g_string_new(NULL);
    if (plan_tf_release(plan, c, r, this_why)) {
      *cudnn_want = r->cudnn;
      return TRUE;
    }
    if (why->len == 0)
      g_string_assign(why, this_why->str);
  }
  if (why->len == 0) {
    tf_refusal(c, pin, error);
    return FALSE;
  }
  g_set_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE, "%s", why->str);
  return FALSE;
}

/* ---- CUDA development only ------------------------------------------------------------- */

static GArray *toolkit_options(const Ctx *c, GString *why)
{
  GArray *options = g_array_new(FALSE, TRUE, sizeof(CupCudaOption));
  g_array_set_clear_func(options, (GDestroyNotify)option_clear);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < c->catalog->cuda_releases->len; i++) {
    const CupCudaRelease *r = g_ptr_array_index(c->catalog->cuda_releases, i);
    if (c->request->cuda && !cup_version_matches(c->request->cuda, r->version))
      continue; /* before the de-duplication, so a pin of an older update (13.0.0) matches */
    char *mm = cup_major_minor(r->version);
    if (!g_hash_table_add(seen, mm))
      continue;
    if (!cuda_supports_cc(c, mm)) {
      if (why->len == 0) {
        g_autofree char *refusal = cc_refusal(c, mm);
        g_string_assign(why, refusal);
      }
      continue;
    }
    CupCudaOption o = judge_cuda(c, mm);
    if (o.full_minimum == NULL && o.floor == NULL && why->len == 0)
      g_string_printf(why,
                      "the catalog knows no minimum %s driver for CUDA %s (manifests/cuda.json), "
                      "so it cannot plan it for %s; pin another CUDA with --cuda (run 'cudaup "
                      "list cuda')",
                      c->os, mm, c->os);
    g_array_append_val(options, o);
  }
  return options;
}

static gboolean plan_toolkit(CupPlan *plan, const Ctx *c, GError **error)
{
  g_autoptr(GString) why = g_string_new(NULL);
  g_autoptr(GArray) options = toolkit_options(c, why);
  /* A toolkit compiles PTX the driver must JIT: only a pin accepts minor-version
   * compatibility (NVIDIA CUDA Compatibility guide, limitations). */
  int pick = pick_option(options, c->request->cuda != NULL);
  if (pick < 0) {
    if (why->len == 0)
      g_string_printf(why, "CUDA %s is not a release cudaup knows; run 'cudaup list cuda'",
                      c->request->cuda ? c->request->cuda : "(any)");
    g_set_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE, "%s", why->str);
    return FALSE;
  }
  CupCudaOption *o = &g_array_index(options, CupCudaOption, pick);
  /* A pinned update (13.0.0) picks that redistrib release, not the newest of 13.0. */
  const char *pin = c->request->cuda;
  plan->cuda_version = g_strdup(pin && strchr(strchr(pin, '.') + 1, '.') ? pin : o->cuda);
  plan->cuda_required = TRUE;
  const CupCudaCcRange *range = cup_catalog_cuda_cc_range(c->catalog, o->cuda);
  cup_plan_reason(plan, "CUDA %s: %s%s for nvcc and CUDA development%s%s%s [%s]", o->cuda,
                  c->request->cuda ? "pinned with --cuda" : "the newest release",
                  c->request->cuda         ? ""
                  : o->fit == CUP_FIT_FULL ? " the current driver runs fully"
                                           : " a driver for this GPU can run",
                  range && c->cc ? ", compiling for compute capability " : "",
                  range && c->cc ? range->min_cc : "",
                  range && c->cc ? " and newer, which includes this GPU" : "",
                  range ? range->source : "manifests/cuda.json");
  apply_driver(plan, c, o);
  explain_driver(plan, c, o);
  return TRUE;
}

/* ---- cuDNN ----------------------------------------------------------------------------- */

/* NVIDIA's redistrib manifest for cuDNN @version is in the catalog or the cache. */
static gboolean cudnn_downloadable(const Ctx *c, const char *version)
{
  for (guint i = 0; c->catalog->redist && i < c->catalog->redist->len; i++) {
    const CupRedistManifest *m = g_ptr_array_index(c->catalog->redist, i);
    if (m->kind == CUP_REDIST_CUDNN && cup_version_matches(version, m->release))
      return TRUE;
  }
  return FALSE;
}

/* The newest cuDNN for @cuda matching @want (NULL: any); with @downloadable only those whose
 * archives the catalog lists. */
static const CupCudnnRelease *find_cudnn(const Ctx *c, const char *cuda, const char *variant,
                                         const char *want, gboolean downloadable)
{
  for (guint i = 0; i < c->catalog->cudnn_releases->len; i++) {
    const CupCudnnRelease *r = g_ptr_array_index(c->catalog->cudnn_releases, i);
    if ((want && !cup_version_matches(want, r->version)) || !cup_catalog_cudnn_supports(r, cuda) ||
        (r->cuda_variants && !g_strv_contains((const char *const *)r->cuda_variants, variant)) ||
        (downloadable && !cudnn_downloadable(c, r->version)))
      continue;
    return r;
  }
  return NULL;
}

static gboolean plan_cudnn(CupPlan *plan, const Ctx *c, const char *want, GError **error)
{
  g_autofree char *cuda = cup_major_minor(plan->cuda_version);
  g_autofree char *variant = g_strdup_printf("cuda%u", version_major(cuda));
  /* A release cudaup can download beats a newer one it cannot. */
  const CupCudnnRelease *r = find_cudnn(c, cuda, variant, want, TRUE);
  if (r == NULL)
    r = find_cudnn(c, cuda, variant, want, FALSE);
  if (r != NULL) {
    plan->cudnn_version = g_strdup(r->version);
    plan->cudnn_variant = r->cuda_variants ? g_strdup(variant) : NULL;
    cup_plan_reason(
        plan, "cuDNN %s%s%s supports CUDA %s%s [%s]", r->version,
        plan->cudnn_variant ? " for " : "", plan->cudnn_variant ? plan->cudnn_variant : "", cuda,
        want ? " and matches what was asked" : " and is the newest that does", r->source);
    return TRUE;
  }
  g_set_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE,
              _("no cuDNN %s supports CUDA %s; run 'cudaup list cudnn' for what each release "
                "supports"),
              want ? want : _("release"), cuda);
  return FALSE;
}

/* ---- the plan -------------------------------------------------------------------------- */

static gboolean check_request(const CupRequest *r, GError **error)
{
  const char *names[] = {"--cuda", "--cudnn", "--python", "framework version"};
  const char *values[] = {r->cuda, r->cudnn, r->python, r->framework_version};
  for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
    CupVersion v;
    g_autoptr(GError) local = NULL;
    if (values[i] && !cup_version_parse(values[i], &v, &local)) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE, "%s: %s", names[i], local->message);
      return FALSE;
    }
  }
  if (r->os && strcmp(r->os, "linux") != 0 && strcmp(r->os, "windows") != 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE, _("--os %s: expected linux or windows"), r->os);
    return FALSE;
  }
  return TRUE;
}

static void fill_context(Ctx *c, const CupSystem *sys, const CupCatalog *cat, const CupRequest *r)
{
  c->catalog = cat;
  c->request = r;
  c->os = r->os ? r->os : (sys->os.family ? sys->os.family : "linux");
  c->gpu = sys->gpus->len ? g_ptr_array_index(sys->gpus, 0) : NULL;
  c->cc = c->gpu ? c->gpu->compute_capability : NULL;
  c->driver = sys->driver.version;
  c->python_pinned = r->python != NULL;
  c->python = r->python;
  if (c->python == NULL && sys->pythons->len > 0)
    c->python = ((CupPython *)g_ptr_array_index(sys->pythons, 0))->version;
  guint vendor = 0, device = 0;
  if (c->gpu && c->gpu->pci_id && sscanf(c->gpu->pci_id, "%4x:%4x", &vendor, &device) == 2) {
    const CupGpuEntry *e = cup_gpu_table_lookup(cat->gpus, (guint16)vendor, (guint16)device);
    c->legacy = e ? e->legacy_branch : NULL;
  }
}

static gboolean plan_gpu(CupPlan *plan, const Ctx *c, GError **error)
{
  if (c->gpu == NULL) {
    if (c->request->framework != CUP_FRAMEWORK_NONE) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE,
                  _("no NVIDIA GPU was found, so no framework build can be chosen for it: pass "
                    "--gpu NAME, --pci 10de:XXXX or --cc X.Y to plan for another machine"));
      return FALSE;
    }
    cup_plan_warn(plan, "no NVIDIA GPU: the CUDA Toolkit can compile here, but nothing can run");
    return TRUE;
  }
  plan->gpu = cup_gpu_copy(c->gpu);
  if (c->cc == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE,
                _("the compute capability of %s (%s) is unknown: pass --cc X.Y (see NVIDIA's "
                  "list at https://developer.nvidia.com/cuda-gpus)"),
                gpu_label(c), c->gpu->pci_id ? c->gpu->pci_id : "no PCI id");
    return FALSE;
  }
  cup_plan_reason(plan, "GPU: %s%s%s%s is %s%s compute capability %s [%s]", gpu_label(c),
                  c->gpu->pci_id ? " (" : "", c->gpu->pci_id ? c->gpu->pci_id : "",
                  c->gpu->pci_id ? ")" : "", c->gpu->chip ? c->gpu->chip : "",
                  c->gpu->chip ? "," : "", c->cc,
                  (const char *)g_hash_table_lookup(c->gpu->fact_sources, "compute_capability"));
  return TRUE;
}

/* Whether cuDNN goes into the toolkit already installed rather than with a new one: asked for
 * cuDNN alone (no --cuda: a pinned CUDA is installed, identical files left alone), no
 * framework that picks its own CUDA, and not asked to install the toolkit. */
static gboolean adds_to_existing(const Ctx *c)
{
  const CupRequest *r = c->request;
  return r->existing_cuda && r->cudnn && r->cuda == NULL && r->framework == CUP_FRAMEWORK_NONE &&
         !r->with_toolkit;
}

/* cuDNN into a toolkit that is there already (the common case in the field: students who
 * installed CUDA with NVIDIA's installer): the toolkit is kept and cuDNN fits its version. */
static gboolean plan_existing_toolkit(CupPlan *plan, const Ctx *c)
{
  const CupRequest *r = c->request;
  g_autofree char *mm = cup_major_minor(r->existing_cuda);
  CupCudaOption o = judge_cuda(c, mm);
  plan->cuda_version = g_strdup(r->existing_cuda);
  plan->cuda_required = FALSE;
  plan->cuda_existing = TRUE;
  cup_plan_reason(plan,
                  "CUDA %s is installed at %s: cuDNN is added to that toolkit, whose own files "
                  "are left as they are [cudaup detect]",
                  r->existing_cuda, r->existing_root);
  if (o.full_minimum == NULL && o.floor == NULL) {
    plan->driver_action = g_strdup("keep");
    cup_plan_warn(plan,
                  "the catalog knows no minimum %s driver for CUDA %s: keep a driver that runs "
                  "the installed toolkit (see NVIDIA's CUDA Toolkit Release Notes, table 3)",
                  c->os, mm);
  } else {
    apply_driver(plan, c, &o);
    explain_driver(plan, c, &o);
  }
  option_clear(&o);
  return TRUE;
}

static gboolean plan_choose(CupPlan *plan, const Ctx *c, GError **error)
{
  const char *cudnn_want = c->request->cudnn;
  gboolean ok;
  if (adds_to_existing(c))
    ok = plan_existing_toolkit(plan, c);
  else if (c->request->framework == CUP_FRAMEWORK_PYTORCH)
    ok = plan_torch(plan, c, error);
  else if (c->request->framework == CUP_FRAMEWORK_TENSORFLOW)
    ok = plan_tf(plan, c, &cudnn_want, error);
  else
    ok = plan_toolkit(plan, c, error);
  if (!ok)
    return FALSE;
  if (c->request->cudnn && c->request->framework == CUP_FRAMEWORK_TENSORFLOW &&
      !cup_version_matches(c->request->cudnn, cudnn_want)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NO_COMPATIBLE,
                _("TensorFlow %s was built with cuDNN %s, not %s"), plan->framework_version,
                cudnn_want, c->request->cudnn);
    return FALSE;
  }
  gboolean want_cudnn = c->request->framework != CUP_FRAMEWORK_PYTORCH || c->request->cudnn;
  if (want_cudnn && !plan_cudnn(plan, c, cudnn_want, error))
    return FALSE;
  plan->cudnn_required = plan->cudnn_required || c->request->cudnn != NULL;
  return TRUE;
}

/* NVIDIA's redist platform names: linux-x86_64, linux-sbsa (Arm servers), windows-x86_64. */
static char *redist_platform(const Ctx *c, const CupSystem *sys, const CupRequest *r)
{
  const char *arch = r->arch ? r->arch : sys->os.arch;
  if (strcmp(c->os, "windows") == 0)
    return g_strdup("windows-x86_64");
  if (arch && (strcmp(arch, "sbsa") == 0 || strcmp(arch, "aarch64") == 0))
    return g_strdup("linux-sbsa");
  return g_strdup("linux-x86_64");
}

static void note_python(CupPlan *plan, const Ctx *c)
{
  if (c->python_pinned)
    cup_plan_reason(plan, "Python %s: as asked with --python", c->python);
}

CupPlan *cup_plan_make(const CupSystem *sys, const CupCatalog *catalog, const CupRequest *request,
                       GError **error)
{
  if (!check_request(request, error))
    return NULL;
  Ctx c = {0};
  fill_context(&c, sys, catalog, request);
  g_autoptr(CupPlan) plan = g_new0(CupPlan, 1);
  plan->components = g_ptr_array_new_with_free_func(g_free);
  plan->archives = g_ptr_array_new_with_free_func((GDestroyNotify)cup_plan_archive_free);
  plan->environment = g_ptr_array_new_with_free_func(g_free);
  plan->reasons = g_ptr_array_new_with_free_func(g_free);
  plan->warnings = g_ptr_array_new_with_free_func(g_free);
  plan->os = g_strdup(c.os);
  plan->platform = redist_platform(&c, sys, request);
  if (!plan_gpu(plan, &c, error))
    return NULL;
  note_python(plan, &c);
  if (!plan_choose(plan, &c, error))
    return NULL;
  if (plan->driver_minor_compat)
    cup_plan_warn(plan,
                  "this plan relies on minor-version compatibility: applications that JIT "
                  "newer PTX fail until the driver reaches %s",
                  plan->driver_minimum ? plan->driver_minimum : "the release's minimum");
  cup_plan_add_archives(plan, catalog, request);
  cup_plan_add_environment(plan);
  return g_steal_pointer(&plan);
}
