/* doctor.c - the doctor's report: facts and findings, the rule table, the verdict, text and
 * JSON. The rules live in doctor_rules.c and doctor_rules_fw.c, gathering in doctor_gather.c.
 */
#include "core/doctor.h"

#include "core/doctor_private.h"
#include "core/error.h"
#include "core/i18n.h"
#include "core/version.h"

#include <stdarg.h>
#include <string.h>

/* The rules, in the order their findings are listed within one severity. The catch-all
 * (a framework that still sees no GPU) runs last: it speaks only when nothing else did. */
static const CupDoctorRule rules[] = {
    cup_doctor_rule_probe_failed,   cup_doctor_rule_no_driver,   cup_doctor_rule_nouveau,
    cup_doctor_rule_secure_boot,    cup_doctor_rule_wsl_driver,  cup_doctor_rule_torch_cpu,
    cup_doctor_rule_torch_driver,   cup_doctor_rule_torch_arch,  cup_doctor_rule_tf_windows,
    cup_doctor_rule_driver_toolkit, cup_doctor_rule_cudnn_major, cup_doctor_rule_cudnn_wheel,
    cup_doctor_rule_cudnn_shadow,   cup_doctor_rule_stubs,       cup_doctor_rule_path_order,
    cup_doctor_rule_journal,        cup_doctor_rule_smi_version, cup_doctor_rule_no_gpu_seen,
};

/* ---- facts ------------------------------------------------------------------------------ */

CupDoctorPathEntry *cup_doctor_path_entry_new(const char *entry, const char *toolkit_root,
                                              const char *toolkit_version)
{
  CupDoctorPathEntry *e = g_new0(CupDoctorPathEntry, 1);
  e->entry = g_strdup(entry);
  e->toolkit_root = g_strdup(toolkit_root);
  e->toolkit_version = g_strdup(toolkit_version);
  return e;
}

void cup_doctor_path_entry_free(CupDoctorPathEntry *e)
{
  if (e == NULL)
    return;
  g_free(e->entry);
  g_free(e->toolkit_root);
  g_free(e->toolkit_version);
  g_free(e);
}

CupDoctorFile *cup_doctor_file_new(const char *path, const char *version, const char *via)
{
  CupDoctorFile *file = g_new0(CupDoctorFile, 1);
  file->path = g_strdup(path);
  file->version = g_strdup(version);
  file->via = g_strdup(via);
  return file;
}

void cup_doctor_file_free(CupDoctorFile *file)
{
  if (file == NULL)
    return;
  g_free(file->path);
  g_free(file->version);
  g_free(file->via);
  g_free(file);
}

CupDoctorJournal *cup_doctor_journal_new(const char *root, const char *journal, const char *what,
                                         const char *started)
{
  CupDoctorJournal *j = g_new0(CupDoctorJournal, 1);
  j->root = g_strdup(root);
  j->journal = g_strdup(journal);
  j->what = g_strdup(what);
  j->started = g_strdup(started);
  return j;
}

void cup_doctor_journal_free(CupDoctorJournal *j)
{
  if (j == NULL)
    return;
  g_free(j->root);
  g_free(j->journal);
  g_free(j->what);
  g_free(j->started);
  g_free(j);
}

CupDoctorFacts *cup_doctor_facts_new(void)
{
  CupDoctorFacts *f = g_new0(CupDoctorFacts, 1);
  f->sys = cup_system_new();
  f->path = g_ptr_array_new_with_free_func((GDestroyNotify)cup_doctor_path_entry_free);
  f->library_path = g_ptr_array_new_with_free_func((GDestroyNotify)cup_doctor_path_entry_free);
  f->cudnn_on_path = g_ptr_array_new_with_free_func((GDestroyNotify)cup_doctor_file_free);
  f->stubs = g_ptr_array_new_with_free_func((GDestroyNotify)cup_doctor_file_free);
  f->journals = g_ptr_array_new_with_free_func((GDestroyNotify)cup_doctor_journal_free);
  f->wsl_driver_libs = g_ptr_array_new_with_free_func((GDestroyNotify)cup_doctor_file_free);
  return f;
}

void cup_doctor_facts_free(CupDoctorFacts *f)
{
  if (f == NULL)
    return;
  cup_system_free(f->sys);
  cup_catalog_free(f->catalog);
  g_free(f->python);
  cup_pyprobe_free(f->probe);
  g_clear_error(&f->probe_error);
  g_ptr_array_unref(f->path);
  g_ptr_array_unref(f->library_path);
  g_free(f->cuda_home);
  g_free(f->cuda_home_var);
  g_free(f->cuda_home_root);
  g_ptr_array_unref(f->cudnn_on_path);
  g_ptr_array_unref(f->stubs);
  g_ptr_array_unref(f->journals);
  g_ptr_array_unref(f->wsl_driver_libs);
  g_free(f);
}

/* ---- findings --------------------------------------------------------------------------- */

static void finding_free(CupDoctorFinding *finding)
{
  g_free(finding->title);
  g_ptr_array_unref(finding->evidence);
  g_free(finding->explanation);
  g_free(finding->fix);
  g_free(finding->command);
  json_decref(finding->facts);
  g_free(finding);
}

CupDoctorFinding *cup_doctor_add(CupDoctorReport *r, const char *id, CupDoctorSeverity severity,
                                 const char *source, const char *title, ...)
{
  CupDoctorFinding *finding = g_new0(CupDoctorFinding, 1);
  va_list args;
  va_start(args, title);
  finding->title = g_strdup_vprintf(title, args);
  va_end(args);
  finding->id = id;
  finding->severity = severity;
  finding->source = source;
  finding->evidence = g_ptr_array_new_with_free_func(g_free);
  finding->facts = json_object();
  g_ptr_array_add(r->findings, finding);
  return finding;
}

void cup_doctor_evidence(CupDoctorFinding *f, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_ptr_array_add(f->evidence, g_strdup_vprintf(format, args));
  va_end(args);
}

void cup_doctor_fact(CupDoctorFinding *f, const char *key, const char *value)
{
  json_object_set_new(f->facts, key, value ? json_string(value) : json_null());
}

const CupDoctorFinding *cup_doctor_find(const CupDoctorReport *report, const char *id)
{
  for (guint i = 0; i < report->findings->len; i++) {
    const CupDoctorFinding *finding = g_ptr_array_index(report->findings, i);
    if (strcmp(finding->id, id) == 0)
      return finding;
  }
  return NULL;
}

const char *cup_doctor_severity_id(CupDoctorSeverity severity)
{
  switch (severity) {
  case CUP_DOCTOR_ERROR:
    return "error";
  case CUP_DOCTOR_WARNING:
    return "warning";
  default:
    return "info";
  }
}

/* ---- helpers for the rules -------------------------------------------------------------- */

gboolean cup_doctor_has_gpu(const CupDoctorFacts *f)
{
  return f->sys->gpus->len > 0;
}

gboolean cup_doctor_native_windows(const CupDoctorFacts *f)
{
  return g_strcmp0(f->sys->os.family, "windows") == 0;
}

gboolean cup_doctor_windows_driver(const CupDoctorFacts *f)
{
  return cup_doctor_native_windows(f) || f->sys->os.wsl == CUP_YES;
}

int cup_doctor_major(const char *version)
{
  CupVersion v;
  if (version == NULL || !cup_version_parse(version, &v, NULL))
    return -1;
  return (int)v.parts[0];
}

int cup_doctor_cmp(const char *a, const char *b)
{
  int order = 0;
  if (a == NULL || b == NULL || !cup_version_compare_strings(a, b, &order, NULL))
    return 0;
  return order;
}

int cup_doctor_cmp_mm(const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return 0;
  g_autofree char *ma = cup_major_minor(a);
  g_autofree char *mb = cup_major_minor(b);
  return cup_doctor_cmp(ma, mb);
}

const char *cup_doctor_min_driver(const CupDoctorFacts *f, const char *cuda)
{
  if (f->catalog == NULL || cuda == NULL)
    return NULL;
  g_autofree char *mm = cup_major_minor(cuda);
  const CupCudaRelease *release = cup_catalog_cuda_release(f->catalog, mm);
  if (release == NULL)
    return NULL;
  return cup_doctor_windows_driver(f) ? release->driver_windows : release->driver_linux;
}

const char *cup_doctor_floor_driver(const CupDoctorFacts *f, const char *cuda)
{
  int major = cup_doctor_major(cuda);
  if (f->catalog == NULL || major < 0)
    return NULL;
  const CupCudaMajorFloor *floor = cup_catalog_cuda_floor(f->catalog, (guint)major);
  if (floor == NULL)
    return NULL;
  return cup_doctor_windows_driver(f) ? floor->driver_windows : floor->driver_linux;
}

CupDoctorFit cup_doctor_driver_fit(const CupDoctorFacts *f, const char *cuda)
{
  const CupDriver *d = &f->sys->driver;
  if (d->version == NULL || cup_doctor_major(cuda) < 0)
    return CUP_DOCTOR_FIT_UNKNOWN;
  const char *minimum = cup_doctor_min_driver(f, cuda);
  gboolean full = d->cuda_version ? cup_doctor_cmp_mm(d->cuda_version, cuda) >= 0
                                  : (minimum && cup_doctor_cmp(d->version, minimum) >= 0);
  if (full)
    return CUP_DOCTOR_FIT_OK;
  if (d->cuda_version == NULL && minimum == NULL)
    return CUP_DOCTOR_FIT_UNKNOWN;
  /* Minor-version compatibility: same major, driver at or above that major's floor. */
  const char *floor = cup_doctor_floor_driver(f, cuda);
  gboolean same_major =
      d->cuda_version == NULL || cup_doctor_major(d->cuda_version) == cup_doctor_major(cuda);
  if (same_major && floor && cup_doctor_cmp(d->version, floor) >= 0)
    return CUP_DOCTOR_FIT_MINOR_COMPAT;
  return CUP_DOCTOR_FIT_NO;
}

/* ---- diagnosis and verdict -------------------------------------------------------------- */

static gint by_severity(gconstpointer a, gconstpointer b)
{
  const CupDoctorFinding *fa = *(CupDoctorFinding *const *)a;
  const CupDoctorFinding *fb = *(CupDoctorFinding *const *)b;
  return (int)fb->severity - (int)fa->severity;
}

/* "2.1.2+cu121" -> "2.1.2": the release a person names. */
static char *public_version(const char *version)
{
  const char *plus = strchr(version, '+');
  return plus ? g_strndup(version, (gsize)(plus - version)) : g_strdup(version);
}

static gboolean framework_ready(const CupPyFramework *fw)
{
  return fw->found && fw->version && fw->cuda_available == CUP_YES;
}

static char *ready_verdict(const CupPyProbe *p)
{
  g_autofree char *torch = p->torch.version ? public_version(p->torch.version) : NULL;
  g_autofree char *tf = p->tensorflow.version ? public_version(p->tensorflow.version) : NULL;
  if (framework_ready(&p->torch) && framework_ready(&p->tensorflow))
    return g_strdup_printf(_("Ready: PyTorch %s and TensorFlow %s will use the GPU"), torch, tf);
  if (framework_ready(&p->torch))
    return g_strdup_printf(_("Ready: PyTorch %s will use the GPU"), torch);
  return g_strdup_printf(_("Ready: TensorFlow %s will use the GPU"), tf);
}

static void set_verdict(const CupDoctorFacts *f, CupDoctorReport *r)
{
  const CupPyProbe *p = f->probe;
  if (r->problems > 0) {
    r->status = "problems";
    r->verdict = g_strdup_printf(
        g_dngettext(GETTEXT_PACKAGE, "%u problem found", "%u problems found", r->problems),
        r->problems);
  } else if (!cup_doctor_has_gpu(f)) {
    r->status = "no-gpu";
    r->verdict = g_strdup(_("No problems found, but this machine has no NVIDIA GPU: frameworks "
                            "will run on the CPU"));
  } else if (p == NULL) {
    r->status = "no-python";
    r->verdict = g_strdup(_("No problems found with the driver; no Python was found, so no "
                            "framework was checked"));
  } else if (!p->torch.found && !p->tensorflow.found) {
    r->status = "no-framework";
    r->verdict = g_strdup_printf(_("No problems found; neither PyTorch nor TensorFlow is "
                                   "installed for %s (see 'cudaup plan --framework pytorch')"),
                                 p->python);
  } else if (framework_ready(&p->torch) || framework_ready(&p->tensorflow)) {
    r->status = "ready";
    r->verdict = ready_verdict(p);
  } else {
    r->status = "cpu-only";
    r->verdict = g_strdup(_("No known problem found, but no framework reported the GPU; run "
                            "'cudaup verify' for a closer look"));
  }
}

CupDoctorReport *cup_doctor_diagnose(const CupDoctorFacts *facts)
{
  CupDoctorReport *r = g_new0(CupDoctorReport, 1);
  r->findings = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
  for (gsize i = 0; i < G_N_ELEMENTS(rules); i++)
    rules[i](facts, r);
  g_ptr_array_sort(r->findings, by_severity); /* stable: rule order within a severity */
  for (guint i = 0; i < r->findings->len; i++) {
    const CupDoctorFinding *finding = g_ptr_array_index(r->findings, i);
    if (finding->severity != CUP_DOCTOR_INFO)
      r->problems++;
  }
  set_verdict(facts, r);
  return r;
}

void cup_doctor_report_free(CupDoctorReport *r)
{
  if (r == NULL)
    return;
  g_ptr_array_unref(r->findings);
  g_free(r->verdict);
  g_free(r);
}

/* ---- text and JSON ---------------------------------------------------------------------- */

static const char *severity_label(CupDoctorSeverity severity)
{
  switch (severity) {
  case CUP_DOCTOR_ERROR:
    return _("problem");
  case CUP_DOCTOR_WARNING:
    return _("warning");
  default:
    return _("note");
  }
}

/* "  LABEL   TEXT": the label padded to 8 terminal columns (a Hangul syllable takes two). */
static void append_line(GString *out, const char *label, const char *text)
{
  guint width = 0;
  for (const char *p = label; *p; p = g_utf8_next_char(p))
    width += g_unichar_iswide(g_utf8_get_char(p)) ? 2 : 1;
  g_string_append_printf(out, "  %s%*s %s\n", label, width < 8 ? (int)(8 - width) : 0, "", text);
}

static void append_finding_text(GString *out, const CupDoctorFinding *f)
{
  g_string_append_printf(out, "\n[%s] %s (%s)\n", severity_label(f->severity), f->title, f->id);
  for (guint i = 0; i < f->evidence->len; i++)
    append_line(out, i == 0 ? _("Found:") : "", g_ptr_array_index(f->evidence, i));
  if (f->explanation)
    append_line(out, _("Why:"), f->explanation);
  if (f->fix)
    append_line(out, _("Fix:"), f->fix);
  if (f->command) {
    g_autofree char *shown = g_strdup_printf("$ %s", f->command);
    append_line(out, "", shown);
  }
  append_line(out, _("Source:"), f->source);
}

char *cup_doctor_report_text(const CupDoctorReport *report)
{
  GString *out = g_string_new(report->verdict);
  g_string_append_c(out, '\n');
  for (guint i = 0; i < report->findings->len; i++)
    append_finding_text(out, g_ptr_array_index(report->findings, i));
  return g_string_free(out, FALSE);
}

static json_t *finding_json(const CupDoctorFinding *f)
{
  json_t *evidence = json_array();
  for (guint i = 0; i < f->evidence->len; i++)
    json_array_append_new(evidence, json_string(g_ptr_array_index(f->evidence, i)));
  return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:O,s:s}", "id", f->id, "severity",
                   cup_doctor_severity_id(f->severity), "title", f->title, "evidence", evidence,
                   "explanation", cup_json_string_or_null(f->explanation), "fix",
                   cup_json_string_or_null(f->fix), "command", cup_json_string_or_null(f->command),
                   "facts", f->facts, "source", f->source);
}

json_t *cup_doctor_report_to_json(const CupDoctorReport *report, const CupDoctorFacts *facts)
{
  json_t *findings = json_array();
  for (guint i = 0; i < report->findings->len; i++)
    json_array_append_new(findings, finding_json(g_ptr_array_index(report->findings, i)));
  json_t *python = facts->probe ? cup_pyprobe_to_json(facts->probe) : json_null();
  return json_pack("{s:s,s:s,s:s,s:i,s:o,s:s?,s:o,s:o,s:o}", "schema", CUP_DOCTOR_SCHEMA, "status",
                   report->status, "verdict", report->verdict, "problems", (int)report->problems,
                   "findings", findings, "python_path", facts->python, "python", python,
                   "python_error",
                   cup_json_string_or_null(facts->probe_error ? facts->probe_error->message : NULL),
                   "system", cup_system_to_json(facts->sys));
}
