/* verify_python.c - the framework checks of `cudaup verify`: the user's Python is asked, through
 * core/pyprobe, what PyTorch and TensorFlow it has and whether they see the GPU (issue 7: "the
 * point of all this is that the user's framework sees the GPU"). */
#include "core/verify_private.h"

#include "core/error.h"
#include "core/i18n.h"
#include "core/pyprobe.h"

#include <string.h>

typedef struct {
  const CupVerifyOptions *o;
  CupVerifyResult *r;
  const CupPyProbe *probe;
  gboolean driver; /* an NVIDIA driver answers: a framework should see a GPU */
} PyVerify;

static char *doctor_fix(const PyVerify *v)
{
  return g_strdup_printf(_("run 'cudaup doctor --python %s': it names the cause and the fix"),
                         v->probe->python);
}

static char *joined(const GPtrArray *names)
{
  if (names == NULL || names->len == 0)
    return g_strdup("-");
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf(s, "%s%s", i ? ", " : "", (const char *)names->pdata[i]);
  return g_string_free(g_steal_pointer(&s), FALSE);
}

/* Installed, imported and built with CUDA: whether it sees a GPU decides. */
static void framework_sees(const PyVerify *v, const char *id, const char *title,
                           const CupPyFramework *f, const char *what)
{
  g_autofree char *devices = joined(f->devices);
  if (f->cuda_available == CUP_YES) {
    cup_verify_add(v->r, id, title, CUP_VERIFY_PASS,
                   g_strdup_printf(_("%s %s (CUDA %s) sees %d GPU(s): %s"), what, f->version,
                                   f->cuda, f->device_count, devices),
                   NULL);
    return;
  }
  g_autofree char *seen = g_strdup_printf(_("%s %s (CUDA %s) sees no GPU%s%s"), what, f->version,
                                          f->cuda, f->error ? ": " : "", f->error ? f->error : "");
  if (!v->driver) {
    cup_verify_add(
        v->r, id, title, CUP_VERIFY_SKIP,
        g_strdup_printf(_("%s; no NVIDIA driver answers here, so no framework can"), seen), NULL);
    return;
  }
  cup_verify_add(v->r, id, title, CUP_VERIFY_FAIL, g_steal_pointer(&seen), doctor_fix(v));
}

static void check_framework(const PyVerify *v, const char *id, const char *title,
                            const CupPyFramework *f, const char *what)
{
  if (!f->found) {
    cup_verify_add(v->r, id, title, CUP_VERIFY_SKIP,
                   g_strdup_printf(_("%s is not installed in %s"), what, v->probe->executable),
                   NULL);
    return;
  }
  if (f->import_error != NULL) {
    cup_verify_add(v->r, id, title, CUP_VERIFY_FAIL,
                   g_strdup_printf(_("importing %s failed: %s"), what, f->import_error),
                   doctor_fix(v));
    return;
  }
  if (f->built_with_cuda != CUP_YES || f->cuda == NULL) {
    cup_verify_add(v->r, id, title, CUP_VERIFY_FAIL,
                   g_strdup_printf(_("%s %s is a CPU-only build: it can never use the GPU"), what,
                                   f->version ? f->version : "?"),
                   doctor_fix(v));
    return;
  }
  framework_sees(v, id, title, f, what);
}

/* The probe itself: no Python at all is a skip unless one was named. */
static CupPyProbe *probe(const CupVerifyOptions *o, CupVerifyResult *r)
{
  const char *title = _("Python answers the framework probe");
  if (o->python == NULL && o->sysroot != NULL) {
    cup_verify_add(r, CUP_VERIFY_PYTHON, title, CUP_VERIFY_SKIP,
                   g_strdup(_("not asked: the toolkit is under --root, whose Python cannot run "
                              "here (name one with --python EXE)")),
                   NULL);
    return NULL;
  }
  CupPyProbeOptions po = {.python = o->python,
                          .timeout_ms = MAX(o->timeout_ms, CUP_PYPROBE_TIMEOUT_MS)};
  g_autoptr(GError) error = NULL;
  CupPyProbe *p = cup_pyprobe_run(&po, &error);
  if (p != NULL) {
    cup_verify_add(r, CUP_VERIFY_PYTHON, title, CUP_VERIFY_PASS,
                   g_strdup_printf(_("Python %s at %s"), p->version, p->executable), NULL);
    return p;
  }
  gboolean none = o->python == NULL && g_error_matches(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  cup_verify_add(r, CUP_VERIFY_PYTHON, title, none ? CUP_VERIFY_SKIP : CUP_VERIFY_FAIL,
                 g_strdup(error->message),
                 none ? NULL : g_strdup(_("name a working interpreter with --python EXE")));
  return NULL;
}

void cup_verify_python(const CupVerifyOptions *o, CupVerifyResult *r)
{
  g_autoptr(CupPyProbe) p = probe(o, r);
  const char *torch = _("PyTorch uses the GPU"), *tf = _("TensorFlow uses the GPU");
  if (p == NULL) {
    const char *why = _("not asked: no Python answered (see its check)");
    cup_verify_add(r, CUP_VERIFY_TORCH, torch, CUP_VERIFY_SKIP, g_strdup(why), NULL);
    cup_verify_add(r, CUP_VERIFY_TENSORFLOW, tf, CUP_VERIFY_SKIP, g_strdup(why), NULL);
    return;
  }
  PyVerify v = {o, r, p, o->system->driver.version != NULL};
  check_framework(&v, CUP_VERIFY_TORCH, torch, &p->torch, "PyTorch");
  check_framework(&v, CUP_VERIFY_TENSORFLOW, tf, &p->tensorflow, "TensorFlow");
}
