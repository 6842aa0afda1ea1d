/* verify.c - `cudaup verify`: the driver, the toolkit's libraries and nvcc, checked one by
 * one, then the environment (verify_env.c). The proofs themselves are core/check's; this file
 * decides what each outcome means on this machine (a missing driver on a machine without a
 * GPU is a skip, not a failure), what was expected (the install record), and the verdict.
 */
#include "core/verify_private.h"

#include "core/check.h"
#include "core/error.h"
#include "core/i18n.h"
#include "core/paths.h"
#include "core/plan.h"
#include "core/txn.h"
#include "core/version.h"

#include <string.h>

/* One verification under way. */
typedef struct {
  const CupVerifyOptions *o;
  CupVerifyResult *r;
  char *host_root;          /* the toolkit root as this process reaches it (under --root) */
  char *cuda;               /* "13.0" */
  char *cudnn_expect;       /* "9.19.0": the install record's, else the header's; NULL: no cuDNN */
  const char *cudnn_source; /* where cudnn_expect came from, for the evidence */
  CupCheckResult *check;
} Verify;

/* The steps, in order. The Python checks (torch, TensorFlow, through core/pyprobe) are one
 * more step at the end of this table. */
typedef void (*VerifyStep)(Verify *v);

const char *cup_verify_status_id(CupVerifyStatus status)
{
  return status == CUP_VERIFY_PASS ? "pass" : status == CUP_VERIFY_FAIL ? "fail" : "skip";
}

static void check_free(gpointer data)
{
  CupVerifyCheck *c = data;
  g_free(c->id);
  g_free(c->title);
  g_free(c->evidence);
  g_free(c->fix);
  g_free(c);
}

void cup_verify_result_free(CupVerifyResult *r)
{
  if (r == NULL)
    return;
  g_free(r->toolkit_root);
  g_free(r->cuda);
  g_free(r->cudnn);
  g_free(r->verdict);
  g_ptr_array_unref(r->checks);
  g_free(r);
}

CupVerifyCheck *cup_verify_add(CupVerifyResult *r, const char *id, const char *title,
                               CupVerifyStatus status, char *evidence, char *fix)
{
  CupVerifyCheck *c = g_new0(CupVerifyCheck, 1);
  c->id = g_strdup(id);
  c->title = g_strdup(title);
  c->status = status;
  c->evidence = evidence;
  c->fix = fix;
  g_ptr_array_add(r->checks, c);
  if (status == CUP_VERIFY_PASS)
    r->n_pass++;
  else if (status == CUP_VERIFY_FAIL)
    r->n_fail++;
  else
    r->n_skip++;
  g_info("verify: %s %s: %s", id, cup_verify_status_id(status), evidence);
  return c;
}

static const CupGpu *first_gpu(const Verify *v)
{
  const GPtrArray *gpus = v->o->system->gpus;
  return gpus && gpus->len ? g_ptr_array_index(gpus, 0) : NULL;
}

static const char *gpu_name(const CupGpu *gpu)
{
  return gpu->name ? gpu->name : gpu->pci_id ? gpu->pci_id : _("an NVIDIA GPU");
}

/* ---- the driver ---- */

static void step_driver(Verify *v)
{
  const CupDriver *d = &v->o->system->driver;
  const CupGpu *gpu = first_gpu(v);
  const char *title = _("The NVIDIA driver answers");
  if (d->version != NULL) {
    char *line =
        gpu ? g_strdup_printf(_("driver %s answers (%s); GPU: %s, compute capability %s"),
                              d->version, d->source ? d->source : "?", gpu_name(gpu),
                              gpu->compute_capability ? gpu->compute_capability : "?")
            : g_strdup_printf(_("driver %s answers (%s)"), d->version, d->source ? d->source : "?");
    cup_verify_add(v->r, CUP_VERIFY_DRIVER, title, CUP_VERIFY_PASS, line, NULL);
  } else if (gpu == NULL) {
    cup_verify_add(v->r, CUP_VERIFY_DRIVER, title, CUP_VERIFY_SKIP,
                   g_strdup(_("no NVIDIA driver answers (no NVML, no nvidia-smi) and no NVIDIA "
                              "GPU was found: nothing to drive")),
                   NULL);
  } else {
    cup_verify_add(v->r, CUP_VERIFY_DRIVER, title, CUP_VERIFY_FAIL,
                   g_strdup_printf(_("no NVIDIA driver answers (no NVML, no nvidia-smi), but %s "
                                     "is in this machine"),
                                   gpu_name(gpu)),
                   g_strdup_printf(_("install the NVIDIA driver ('cudaup plan --cuda %s' names "
                                     "the version), then reboot"),
                                   v->cuda));
  }
}

/* What the planner says about this driver and the toolkit's CUDA: the rule of core/plan
 * (release minimum, else the major's minor-version-compatibility floor), not a copy of it. */
static CupPlan *plan_for_driver(const Verify *v, GError **error)
{
  CupRequest req = {.framework = CUP_FRAMEWORK_NONE};
  req.cuda = g_strdup(v->cuda);
  req.os = g_strdup(v->o->system->os.family);
  CupPlan *plan = cup_plan_make(v->o->system, v->o->catalog, &req, error);
  cup_request_clear(&req);
  return plan;
}

static void driver_cuda_verdict(Verify *v, const CupPlan *p, const char *title)
{
  const char *driver = v->o->system->driver.version;
  const char *floor = p->driver_minimum_minor_compat;
  const char *minimum = p->driver_minimum ? p->driver_minimum : floor;
  if (g_strcmp0(p->driver_action, "keep") == 0 && !p->driver_minor_compat) {
    cup_verify_add(v->r, CUP_VERIFY_DRIVER_CUDA, title, CUP_VERIFY_PASS,
                   g_strdup_printf(_("driver %s meets CUDA %s's minimum %s"), driver, v->cuda,
                                   minimum ? minimum : "?"),
                   NULL);
  } else if (g_strcmp0(p->driver_action, "keep") == 0) {
    cup_verify_add(v->r, CUP_VERIFY_DRIVER_CUDA, title, CUP_VERIFY_PASS,
                   g_strdup_printf(_("driver %s is below CUDA %s's minimum %s but at least %s, so "
                                     "it runs CUDA %s through minor-version compatibility "
                                     "(limited: no JIT of newer PTX)"),
                                   driver, v->cuda, minimum ? minimum : "?", floor ? floor : "?",
                                   v->cuda),
                   NULL);
  } else {
    const char *target = p->driver_minor_compat && floor ? floor : minimum;
    cup_verify_add(
        v->r, CUP_VERIFY_DRIVER_CUDA, title, CUP_VERIFY_FAIL,
        g_strdup_printf(_("driver %s is older than CUDA %s needs (%s, or %s through "
                          "minor-version compatibility)"),
                        driver, v->cuda, minimum ? minimum : "?", floor ? floor : _("none")),
        g_strdup_printf(_("upgrade the NVIDIA driver to %s or newer (branch %s), then "
                          "reboot"),
                        target ? target : "?", p->driver_branch ? p->driver_branch : "?"));
  }
}

static void step_driver_cuda(Verify *v)
{
  const char *title = _("The driver supports the toolkit's CUDA version");
  if (v->o->system->driver.version == NULL) {
    cup_verify_add(v->r, CUP_VERIFY_DRIVER_CUDA, title, CUP_VERIFY_SKIP,
                   g_strdup_printf(_("no driver to compare with CUDA %s"), v->cuda), NULL);
    return;
  }
  g_autoptr(GError) local = NULL;
  g_autoptr(CupPlan) plan = plan_for_driver(v, &local);
  if (plan == NULL) {
    cup_verify_add(
        v->r, CUP_VERIFY_DRIVER_CUDA, title, CUP_VERIFY_FAIL, g_strdup(local->message),
        g_strdup_printf(_("run 'cudaup plan --cuda %s' for what this machine needs"), v->cuda));
    return;
  }
  driver_cuda_verdict(v, plan, title);
}

/* ---- the toolkit's libraries and nvcc (core/check) ---- */

/* What the tree's install records expect of cuDNN (and CUDA, when cudaup installed it). */
static void read_records(Verify *v)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) records = cup_txn_list_installs(v->host_root, &local);
  if (local != NULL)
    g_info("verify: install records of %s: %s", v->host_root, local->message);
  for (guint i = 0; records && i < records->len; i++) {
    const CupTxnInstall *rec = g_ptr_array_index(records, i);
    CupVersion ver;
    if (rec->version == NULL || !cup_version_parse(rec->version, &ver, NULL))
      continue;
    if (g_strcmp0(rec->component, "cudnn") == 0) { /* "9.19.0.56": the library says 9.19.0 */
      g_free(v->cudnn_expect);
      v->cudnn_expect = g_strdup_printf("%u.%u.%u", (guint)ver.parts[0], (guint)ver.parts[1],
                                        (guint)(ver.n_parts > 2 ? ver.parts[2] : 0));
      v->cudnn_source = _("the install record");
    }
  }
  const CupCudnn *header = v->o->toolkit->cudnn;
  if (v->cudnn_expect == NULL && header != NULL && header->version != NULL) {
    v->cudnn_expect = g_strdup(header->version);
    v->cudnn_source = header->source ? header->source : "cudnn_version.h";
  }
}

static const char *compile_cc(const Verify *v)
{
  const CupGpu *gpu = first_gpu(v);
  if (v->o->compile_cc != NULL)
    return v->o->compile_cc;
  return gpu && gpu->compute_capability ? gpu->compute_capability : CUP_CHECK_CC_LOWEST;
}

static gboolean run_check(Verify *v, GError **error)
{
  CupCheckOptions co = {.root = v->host_root,
                        .cudart = TRUE,
                        .devices = TRUE,
                        .cudnn = v->cudnn_expect != NULL,
                        .cudnn_cuda = v->cudnn_expect != NULL,
                        .nvcc = TRUE,
                        .compile = TRUE,
                        .expect_cuda = v->cuda,
                        .expect_cudnn = v->cudnn_expect,
                        .compile_cc = compile_cc(v),
                        .timeout_ms = v->o->timeout_ms};
  v->check = cup_check_toolkit(&co, error);
  return v->check != NULL;
}

static const CupCheckItem *item(const Verify *v, const char *name)
{
  for (guint i = 0; v->check && i < v->check->items->len; i++) {
    const CupCheckItem *it = g_ptr_array_index(v->check->items, i);
    if (strcmp(it->name, name) == 0)
      return it;
  }
  return NULL;
}

/* A check item as a verify check: its detail is "what was seen; the fix" on failure. */
static void add_item(Verify *v, const char *id, const char *title, const CupCheckItem *it)
{
  if (it->ok) {
    cup_verify_add(v->r, id, title, CUP_VERIFY_PASS, g_strdup(it->detail), NULL);
    return;
  }
  const char *sep = strstr(it->detail, "; ");
  g_autofree char *seen = sep ? g_strndup(it->detail, sep - it->detail) : g_strdup(it->detail);
  char *evidence = it->path ? g_strdup_printf("%s: %s", it->path, seen) : g_strdup(seen);
  cup_verify_add(v->r, id, title, CUP_VERIFY_FAIL, evidence, sep ? g_strdup(sep + 2) : NULL);
}

static void step_cudart(Verify *v)
{
  add_item(v, CUP_VERIFY_CUDART, _("libcudart loads and reports the toolkit's version"),
           item(v, CUP_CHECK_LIBCUDART));
}

static void step_devices(Verify *v)
{
  const char *title = _("The CUDA runtime sees the GPU");
  const CupCheckItem *it = item(v, CUP_CHECK_DEVICES);
  if (!item(v, CUP_CHECK_LIBCUDART)->ok && it->cuda_error < 0) {
    cup_verify_add(v->r, CUP_VERIFY_DEVICES, title, CUP_VERIFY_SKIP,
                   g_strdup(_("not asked: libcudart did not load (see its check)")), NULL);
    return;
  }
  /* No driver and no GPU: the runtime cannot see one, and that is no fault of the install. */
  if (!it->ok && v->o->system->driver.version == NULL && first_gpu(v) == NULL) {
    const char *sep = strstr(it->detail, "; ");
    cup_verify_add(v->r, CUP_VERIFY_DEVICES, title, CUP_VERIFY_SKIP,
                   sep ? g_strndup(it->detail, sep - it->detail) : g_strdup(it->detail),
                   sep ? g_strdup(sep + 2) : NULL);
    return;
  }
  add_item(v, CUP_VERIFY_DEVICES, title, it);
}

static void step_cudnn(Verify *v)
{
  const char *title = _("libcudnn loads and reports the installed version");
  const char *title_cuda = _("cuDNN was built for the toolkit's CUDA major");
  if (v->cudnn_expect == NULL) {
    cup_verify_add(v->r, CUP_VERIFY_CUDNN, title, CUP_VERIFY_SKIP,
                   g_strdup_printf(_("no cuDNN in %s (no install record, no cudnn_version.h)"),
                                   v->r->toolkit_root),
                   NULL);
    cup_verify_add(v->r, CUP_VERIFY_CUDNN_CUDA, title_cuda, CUP_VERIFY_SKIP,
                   g_strdup(_("no cuDNN in this toolkit")), NULL);
    return;
  }
  const CupCheckItem *it = item(v, CUP_CHECK_LIBCUDNN);
  if (it->ok) {
    cup_verify_add(
        v->r, CUP_VERIFY_CUDNN, title, CUP_VERIFY_PASS,
        g_strdup_printf(_("%s; %s expects %s"), it->detail, v->cudnn_source, v->cudnn_expect),
        NULL);
    v->r->cudnn = g_strdup(it->version);
  } else {
    add_item(v, CUP_VERIFY_CUDNN, title, it);
  }
  const CupCheckItem *cc = item(v, CUP_CHECK_CUDNN_CUDA);
  if (!it->ok && cc->version == NULL)
    cup_verify_add(v->r, CUP_VERIFY_CUDNN_CUDA, title_cuda, CUP_VERIFY_SKIP,
                   g_strdup(_("not asked: libcudnn did not load (see its check)")), NULL);
  else
    add_item(v, CUP_VERIFY_CUDNN_CUDA, title_cuda, cc);
}

static void step_nvcc(Verify *v)
{
  const CupCheckItem *nvcc = item(v, CUP_CHECK_NVCC);
  const CupGpu *gpu = first_gpu(v);
  add_item(v, CUP_VERIFY_NVCC, _("nvcc reports the toolkit's version"), nvcc);
  const char *title = gpu ? _("nvcc compiles a kernel for the GPU")
                          : _("nvcc compiles a kernel (no GPU: for the lowest architecture)");
  if (!nvcc->ok && nvcc->version == NULL)
    cup_verify_add(v->r, CUP_VERIFY_NVCC_COMPILE, title, CUP_VERIFY_SKIP,
                   g_strdup(_("not asked: nvcc did not answer (see its check)")), NULL);
  else
    add_item(v, CUP_VERIFY_NVCC_COMPILE, title, item(v, CUP_CHECK_NVCC_COMPILE));
}

static void step_environment(Verify *v)
{
  cup_verify_environment(v->o, v->r->toolkit_root, v->cuda, v->r);
}

/* ---- the verdict ---- */

static const CupVerifyCheck *find_check(const CupVerifyResult *r, const char *id)
{
  for (guint i = 0; i < r->checks->len; i++) {
    const CupVerifyCheck *c = g_ptr_array_index(r->checks, i);
    if (strcmp(c->id, id) == 0)
      return c;
  }
  return NULL;
}

static char *what_works(const CupVerifyResult *r)
{
  g_autofree char *cudnn = r->cudnn ? cup_major_minor(r->cudnn) : NULL;
  if (cudnn != NULL)
    return g_strdup_printf(_("CUDA %s and cuDNN %s work"), r->cuda, cudnn);
  return g_strdup_printf(_("CUDA %s works"), r->cuda);
}

static char *verdict(const CupVerifyResult *r, const CupSystem *sys)
{
  if (r->n_fail > 0) {
    const CupVerifyCheck *first = NULL;
    for (guint i = 0; first == NULL && i < r->checks->len; i++) {
      const CupVerifyCheck *c = g_ptr_array_index(r->checks, i);
      first = c->status == CUP_VERIFY_FAIL ? c : NULL;
    }
    guint total = r->checks->len;
    return g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE, "Not verified: %u of %u checks failed, first: %s",
                    "Not verified: %u of %u checks failed, first: %s", r->n_fail),
        r->n_fail, total, first->title);
  }
  g_autofree char *works = what_works(r);
  const CupVerifyCheck *devices = find_check(r, CUP_VERIFY_DEVICES);
  const CupGpu *gpu = sys->gpus && sys->gpus->len ? g_ptr_array_index(sys->gpus, 0) : NULL;
  if (sys->driver.version == NULL)
    return g_strdup_printf(_("Verified: %s; no GPU driver, so the GPU itself was not tested"),
                           works);
  if (devices && devices->status == CUP_VERIFY_PASS && gpu)
    return g_strdup_printf(_("Verified: %s on %s (driver %s)"), works, gpu_name(gpu),
                           sys->driver.version);
  return g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "Verified: %s (%u check skipped)",
                                     "Verified: %s (%u checks skipped)", r->n_skip),
                         works, r->n_skip);
}

/* ---- running ---- */

static gboolean verify_init(Verify *v, const CupVerifyOptions *o, GError **error)
{
  const CupToolkit *t = o->toolkit;
  if (t == NULL || t->root == NULL || t->version == NULL || o->system == NULL ||
      o->catalog == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("nothing to verify: a toolkit with a root and a version, the system and the "
                  "catalog are needed"));
    return FALSE;
  }
  v->o = o;
  v->host_root = cup_root_join(o->sysroot, t->root);
  if (!g_file_test(v->host_root, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("toolkit root %s is not a directory; give the toolkit's root with --prefix DIR"),
                t->root);
    return FALSE;
  }
  v->cuda = cup_major_minor(t->version);
  v->r = g_new0(CupVerifyResult, 1);
  v->r->toolkit_root = g_strdup(t->root);
  v->r->cuda = g_strdup(v->cuda);
  v->r->checks = g_ptr_array_new_with_free_func(check_free);
  return TRUE;
}

static void step_python(Verify *v)
{
  cup_verify_python(v->o, v->r);
}

static void verify_clear(Verify *v)
{
  g_free(v->host_root);
  g_free(v->cuda);
  g_free(v->cudnn_expect);
  cup_check_result_free(v->check);
  cup_verify_result_free(v->r);
}

CupVerifyResult *cup_verify_run(const CupVerifyOptions *o, GError **error)
{
  static const VerifyStep steps[] = {step_driver, step_driver_cuda, step_cudart,      step_devices,
                                     step_cudnn,  step_nvcc,        step_environment, step_python};
  g_return_val_if_fail(o != NULL, NULL);
  Verify v = {0};
  if (!verify_init(&v, o, error)) {
    verify_clear(&v);
    return NULL;
  }
  read_records(&v);
  if (!run_check(&v, error)) {
    verify_clear(&v);
    return NULL;
  }
  for (guint i = 0; i < G_N_ELEMENTS(steps); i++)
    steps[i](&v);
  v.r->ok = v.r->n_fail == 0;
  v.r->verdict = verdict(v.r, o->system);
  CupVerifyResult *r = g_steal_pointer(&v.r);
  verify_clear(&v);
  return r;
}

/* ---- JSON ---- */

static json_t *checks_json(const CupVerifyResult *r)
{
  json_t *checks = json_array();
  for (guint i = 0; i < r->checks->len; i++) {
    const CupVerifyCheck *c = g_ptr_array_index(r->checks, i);
    json_array_append_new(checks,
                          json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", c->id, "status",
                                    cup_verify_status_id(c->status), "title", c->title, "evidence",
                                    c->evidence, "fix", cup_json_string_or_null(c->fix)));
  }
  return checks;
}

json_t *cup_verify_to_json(const CupVerifyResult *r, const CupSystem *sys)
{
  g_return_val_if_fail(r != NULL, NULL);
  const CupGpu *gpu = sys && sys->gpus && sys->gpus->len ? g_ptr_array_index(sys->gpus, 0) : NULL;
  json_t *driver = sys && sys->driver.version
                       ? json_pack("{s:s, s:o}", "version", sys->driver.version, "cuda_version",
                                   cup_json_string_or_null(sys->driver.cuda_version))
                       : json_null();
  json_t *gpu_json =
      gpu ? json_pack("{s:o, s:o}", "name", cup_json_string_or_null(gpu->name),
                      "compute_capability", cup_json_string_or_null(gpu->compute_capability))
          : json_null();
  return json_pack("{s:s, s:b, s:{s:s, s:s, s:o}, s:o, s:o, s:{s:i, s:i, s:i}, s:o}", "verdict",
                   r->verdict, "ok", r->ok, "toolkit", "root", r->toolkit_root, "cuda", r->cuda,
                   "cudnn", cup_json_string_or_null(r->cudnn), "driver", driver, "gpu", gpu_json,
                   "counts", "pass", (int)r->n_pass, "fail", (int)r->n_fail, "skip", (int)r->n_skip,
                   "checks", checks_json(r));
}
