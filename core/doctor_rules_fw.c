/* doctor_rules_fw.c - the doctor's rules about the Python frameworks (PyTorch, TensorFlow) as
 * the probe (core/pyprobe.h) saw them. Each rule is a pure function of CupDoctorFacts. */
#include "core/doctor_private.h"
#include "core/error.h"
#include "core/i18n.h"
#include "core/version.h"

#include <stdlib.h>
#include <string.h>

static const CupPyFramework *torch_of(const CupDoctorFacts *f)
{
  return f->probe && f->probe->torch.found && f->probe->torch.import_error == NULL &&
                 f->probe->torch.version
             ? &f->probe->torch
             : NULL;
}

static const CupPyFramework *tf_of(const CupDoctorFacts *f)
{
  return f->probe && f->probe->tensorflow.found && f->probe->tensorflow.import_error == NULL &&
                 f->probe->tensorflow.version
             ? &f->probe->tensorflow
             : NULL;
}

/* "2.4.0+cu124" -> "2.4.0"; newly allocated. */
static char *release_of(const char *version)
{
  const char *plus = strchr(version, '+');
  return plus ? g_strndup(version, (gsize)(plus - version)) : g_strdup(version);
}

/* sm_XY / compute_XY as a number XY (sm_120 -> 120); *@exact for arch-specific cubins
 * (sm_90a) that run on that CC only; -1 for anything else. */
static int arch_number(const char *arch, gboolean *ptx, gboolean *exact)
{
  const char *digits = g_str_has_prefix(arch, "sm_")        ? arch + 3
                       : g_str_has_prefix(arch, "compute_") ? arch + 8
                                                            : NULL;
  if (digits == NULL || !g_ascii_isdigit(*digits))
    return -1;
  char *end = NULL;
  long n = strtol(digits, &end, 10);
  *ptx = arch[0] == 'c';
  *exact = *end != '\0';
  return (int)n;
}

/* Whether code of @archs runs on a GPU of compute capability @cc ("8.9"): a cubin of sm_XY
 * runs on X.Z for Z >= Y (same major); PTX of compute_XY is JIT-compiled for any CC >= X.Y.
 * Source: CUDA C++ Programming Guide, "Binary Compatibility" and "PTX Compatibility"
 * (https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#binary-compatibility). */
static gboolean arch_runs_on(const GPtrArray *archs, const char *cc)
{
  CupVersion v;
  if (!cup_version_parse(cc, &v, NULL) || v.n_parts < 2)
    return TRUE;
  int want = (int)(v.parts[0] * 10 + v.parts[1]);
  for (guint i = 0; i < archs->len; i++) {
    gboolean ptx = FALSE, exact = FALSE;
    int n = arch_number(g_ptr_array_index(archs, i), &ptx, &exact);
    if (n < 0)
      continue;
    if (ptx ? n <= want : exact ? n == want : (n / 10 == want / 10 && n <= want))
      return TRUE;
  }
  return FALSE;
}

/* Whether catalog archs ("8.6", ...) of a variant hold @cc; TRUE when the catalog does not say. */
static gboolean variant_has_cc(const CupTorchVariant *v, const char *cc)
{
  if (v->archs == NULL || cc == NULL)
    return TRUE;
  return g_strv_contains((const char *const *)v->archs, cc);
}

static gboolean variant_fits(const CupDoctorFacts *f, const CupTorchVariant *v)
{
  CupDoctorFit fit = cup_doctor_driver_fit(f, v->cuda);
  if (fit == CUP_DOCTOR_FIT_NO || fit == CUP_DOCTOR_FIT_MINOR_COMPAT)
    return FALSE;
  for (guint i = 0; i < f->sys->gpus->len; i++) {
    const CupGpu *gpu = g_ptr_array_index(f->sys->gpus, i);
    if (!variant_has_cc(v, gpu->compute_capability))
      return FALSE;
  }
  return TRUE;
}

/* The newest wheel variant of PyTorch @version this driver and these GPUs can use, the
 * variants PyTorch calls stable first; NULL. */
static const CupTorchVariant *fitting_variant(const CupDoctorFacts *f, const char *version)
{
  const CupTorchRelease *rel = f->catalog ? cup_catalog_torch_release(f->catalog, version) : NULL;
  const CupTorchVariant *experimental = NULL;
  for (guint i = 0; rel && i < rel->variants->len; i++) {
    const CupTorchVariant *v = g_ptr_array_index(rel->variants, i);
    if (variant_fits(f, v) && !v->experimental)
      return v;
    if (variant_fits(f, v) && experimental == NULL)
      experimental = v;
  }
  return experimental; /* an experimental build that runs beats none */
}

/* The pip command that puts torch @release from the variant that fits in place, or the
 * cudaup command that finds one. */
static char *torch_install_command(const CupDoctorFacts *f, const char *release)
{
  const CupTorchVariant *v = fitting_variant(f, release);
  if (v == NULL)
    return g_strdup_printf("cudaup plan --framework pytorch==%s", release);
  return g_strdup_printf("%s -m pip install --force-reinstall torch==%s --index-url %s",
                         f->probe->python, release, v->index_url);
}

static void torch_evidence(CupDoctorFinding *x, const CupPyFramework *torch)
{
  cup_doctor_evidence(x, _("torch %s imported from %s"), torch->version,
                      torch->file ? torch->file : "?");
  cup_doctor_fact(x, "torch_version", torch->version);
  cup_doctor_fact(x, "torch_file", torch->file);
  cup_doctor_fact(x, "torch_cuda", torch->cuda);
}

/* python-probe-failed. Source: core/pyprobe.h (how the interpreter is asked). */
void cup_doctor_rule_probe_failed(const CupDoctorFacts *f, CupDoctorReport *r)
{
  const GError *e = f->probe_error;
  if (e == NULL || (g_error_matches(e, CUP_ERROR, CUP_ERROR_NOT_FOUND) && !f->python_requested))
    return;
  CupDoctorFinding *x = cup_doctor_add(r, CUP_DOCTOR_PYTHON_PROBE_FAILED, CUP_DOCTOR_WARNING,
                                       "https://docs.python.org/3/using/cmdline.html",
                                       _("Python could not be asked about its frameworks"));
  cup_doctor_evidence(x, "%s", e->message);
  cup_doctor_fact(x, "python", f->python);
  cup_doctor_fact(x, "error", e->message);
  x->fix = g_strdup(_("Run the interpreter by hand and read its message:"));
  x->command = g_strdup_printf("%s -c \"import torch; print(torch.cuda.is_available())\"",
                               f->python ? f->python : "python3");
}

/* torch-cpu-wheel. Source: PyTorch, "Start Locally" (https://pytorch.org/get-started/locally/):
 * CUDA builds come from download.pytorch.org/whl/cuXXX; +cpu builds have torch.version.cuda
 * None. */
void cup_doctor_rule_torch_cpu(const CupDoctorFacts *f, CupDoctorReport *r)
{
  const CupPyFramework *torch = torch_of(f);
  if (torch == NULL || !cup_doctor_has_gpu(f) || torch->cuda != NULL ||
      torch->built_with_cuda == CUP_YES)
    return;
  g_autofree char *release = release_of(torch->version);
  CupDoctorFinding *x = cup_doctor_add(r, CUP_DOCTOR_TORCH_CPU_WHEEL, CUP_DOCTOR_ERROR,
                                       "https://pytorch.org/get-started/locally/",
                                       _("PyTorch %s is the CPU-only build"), torch->version);
  torch_evidence(x, torch);
  cup_doctor_evidence(x, _("torch.version.cuda is None: this build has no CUDA support"));
  x->explanation = g_strdup(_("The torch package on PyPI is the CPU-only build on Windows, and "
                              "so is every wheel from PyTorch's /whl/cpu index. It runs, but "
                              "never uses the GPU."));
  x->fix = g_strdup(_("Reinstall torch from PyTorch's index for a CUDA version this driver "
                      "supports:"));
  x->command = torch_install_command(f, release);
}

/* torch-cuda-newer-than-driver. Source: CUDA Compatibility guide
 * (https://docs.nvidia.com/deploy/cuda-compatibility/); PyTorch "Start Locally" (the wheel
 * brings its CUDA runtime; the driver must support it). */
void cup_doctor_rule_torch_driver(const CupDoctorFacts *f, CupDoctorReport *r)
{
  const CupPyFramework *torch = torch_of(f);
  if (torch == NULL || torch->cuda == NULL)
    return;
  CupDoctorFit fit = cup_doctor_driver_fit(f, torch->cuda);
  if (fit != CUP_DOCTOR_FIT_NO && fit != CUP_DOCTOR_FIT_MINOR_COMPAT)
    return;
  const CupDriver *d = &f->sys->driver;
  const char *minimum = cup_doctor_min_driver(f, torch->cuda);
  g_autofree char *release = release_of(torch->version);
  CupDoctorFinding *x =
      cup_doctor_add(r, CUP_DOCTOR_TORCH_CUDA_NEWER_THAN_DRIVER,
                     fit == CUP_DOCTOR_FIT_NO ? CUP_DOCTOR_ERROR : CUP_DOCTOR_WARNING,
                     "https://docs.nvidia.com/deploy/cuda-compatibility/",
                     _("PyTorch %s is built for CUDA %s, newer than the driver supports"),
                     torch->version, torch->cuda);
  torch_evidence(x, torch);
  cup_doctor_evidence(x, _("torch.version.cuda is %s"), torch->cuda);
  cup_doctor_evidence(x, _("driver %s supports CUDA up to %s"), d->version,
                      d->cuda_version ? d->cuda_version : "?");
  if (minimum)
    cup_doctor_evidence(x, _("CUDA %s needs driver %s or newer"), torch->cuda, minimum);
  cup_doctor_fact(x, "driver_version", d->version);
  cup_doctor_fact(x, "driver_cuda_version", d->cuda_version);
  cup_doctor_fact(x, "minimum_driver", minimum);
  x->explanation = g_strdup(
      fit == CUP_DOCTOR_FIT_NO
          ? _("PyTorch wheels bring their own CUDA runtime, but that runtime still needs a driver "
              "at least as new as its CUDA version. This driver is older, so "
              "torch.cuda.is_available() is False.")
          : _("The driver is of the same CUDA major, so PyTorch runs through minor-version "
              "compatibility, but kernels it compiles at run time (PTX) need the newer driver."));
  x->fix = g_strdup_printf(_("Update the NVIDIA driver to %s or newer, or install the PyTorch "
                             "build for the CUDA this driver supports:"),
                           minimum ? minimum : _("the current release"));
  x->command = torch_install_command(f, release);
}

static char *join_list(const GPtrArray *list)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < list->len; i++)
    g_string_append_printf(out, "%s%s", i ? " " : "", (char *)g_ptr_array_index(list, i));
  return g_string_free(out, FALSE);
}

/* The newest PyTorch release and variant whose wheels carry @cc and that this driver runs. */
static char *arch_fix_command(const CupDoctorFacts *f, const char *cc)
{
  for (guint i = 0; f->catalog && i < f->catalog->torch_releases->len; i++) {
    const CupTorchRelease *rel = g_ptr_array_index(f->catalog->torch_releases, i);
    for (guint k = 0; k < rel->variants->len; k++) {
      const CupTorchVariant *v = g_ptr_array_index(rel->variants, k);
      if (v->archs && variant_fits(f, v))
        return g_strdup_printf("%s -m pip install --force-reinstall \"torch==%s.*\" "
                               "--index-url %s",
                               f->probe->python, rel->version, v->index_url);
    }
  }
  return g_strdup_printf("cudaup plan --framework pytorch --cc %s", cc);
}

/* torch-arch-missing. Source: CUDA C++ Programming Guide, "Binary Compatibility"
 * (https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#binary-compatibility);
 * PyTorch's own check, torch/cuda/__init__.py _check_capability / _check_cubins. */
void cup_doctor_rule_torch_arch(const CupDoctorFacts *f, CupDoctorReport *r)
{
  const CupPyFramework *torch = torch_of(f);
  if (torch == NULL || torch->arch_list == NULL || torch->arch_list->len == 0)
    return;
  for (guint i = 0; i < f->sys->gpus->len; i++) {
    const CupGpu *gpu = g_ptr_array_index(f->sys->gpus, i);
    if (gpu->compute_capability == NULL || arch_runs_on(torch->arch_list, gpu->compute_capability))
      continue;
    g_autofree char *archs = join_list(torch->arch_list);
    g_autofree char *sm = g_strdelimit(g_strdup(gpu->compute_capability), ".", '_');
    CupDoctorFinding *x = cup_doctor_add(
        r, CUP_DOCTOR_TORCH_ARCH_MISSING, CUP_DOCTOR_ERROR,
        "https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#binary-compatibility",
        _("PyTorch %s has no code for the %s (compute capability %s)"), torch->version,
        gpu->name ? gpu->name : _("GPU"), gpu->compute_capability);
    torch_evidence(x, torch);
    cup_doctor_evidence(x, _("GPU %d %s has compute capability %s"), gpu->index,
                        gpu->name ? gpu->name : "?", gpu->compute_capability);
    cup_doctor_evidence(x, _("the torch wheel carries %s"), archs);
    cup_doctor_fact(x, "compute_capability", gpu->compute_capability);
    cup_doctor_fact(x, "arch_list", archs);
    x->explanation = g_strdup(_("A PyTorch wheel holds GPU code compiled for a list of GPU "
                                "generations (compute capabilities). A GPU that is not on the "
                                "list, nor covered by an older entry of the same generation, "
                                "cannot run it: 'no kernel image is available for execution on "
                                "the device'."));
    x->fix = g_strdup(_("Install a PyTorch release whose wheels carry this GPU's compute "
                        "capability:"));
    x->command = arch_fix_command(f, gpu->compute_capability);
  }
}

/* The cuDNN major a framework brings, from its library names (libcudnn.so.9, cudnn64_9.dll). */
static int bundled_cudnn_major(const CupPyFramework *fw)
{
  for (guint i = 0; fw->cudnn_libs && i < fw->cudnn_libs->len; i++) {
    g_autofree char *base = g_path_get_basename(g_ptr_array_index(fw->cudnn_libs, i));
    const char *at = g_str_has_prefix(base, "libcudnn.so.") ? base + strlen("libcudnn.so.")
                     : g_str_has_prefix(base, "cudnn64_")   ? base + strlen("cudnn64_")
                                                            : NULL;
    if (at && g_ascii_isdigit(*at))
      return atoi(at);
  }
  return -1;
}

static const char *bundled_cudnn_version(const CupPyFramework *fw)
{
  return fw->cudnn_compiled        ? fw->cudnn_compiled
         : fw->cudnn_wheel_version ? fw->cudnn_wheel_version
                                   : fw->cudnn;
}

/* Whether the library @lib differs from the cuDNN @version a framework brings (a library of
 * unknown minor counts as different: the loader takes it all the same). */
static gboolean differs(const CupDoctorFile *lib, const char *version)
{
  if (lib->version == NULL || strchr(lib->version, '.') == NULL || version == NULL)
    return TRUE;
  return cup_doctor_cmp_mm(lib->version, version) != 0;
}

static void shadow_finding(const CupDoctorFacts *f, CupDoctorReport *r, const char *name,
                           const CupPyFramework *fw, const CupDoctorFile *lib)
{
  const char *bundled = bundled_cudnn_version(fw);
  CupDoctorFinding *x =
      cup_doctor_add(r, CUP_DOCTOR_CUDNN_SHADOWS_FRAMEWORK, CUP_DOCTOR_WARNING,
                     "https://man7.org/linux/man-pages/man8/ld.so.8.html",
                     _("A cuDNN on %s is loaded instead of the one %s brings"), lib->via, name);
  cup_doctor_evidence(x, _("%s holds %s (cuDNN %s)"), lib->via, lib->path,
                      lib->version ? lib->version : "?");
  cup_doctor_evidence(x, _("%s %s brings cuDNN %s: %s"), name, fw->version, bundled ? bundled : "?",
                      (char *)g_ptr_array_index(fw->cudnn_libs, 0));
  if (fw->error)
    cup_doctor_evidence(x, _("%s said: %s"), name, fw->error);
  cup_doctor_fact(x, "library", lib->path);
  cup_doctor_fact(x, "library_version", lib->version);
  cup_doctor_fact(x, "via", lib->via);
  cup_doctor_fact(x, "framework_cudnn", bundled);
  x->explanation = g_strdup(_("The loader looks in LD_LIBRARY_PATH (PATH on Windows) before the "
                              "framework's own directory, so the framework gets this cuDNN "
                              "instead of the one it was built and tested with. That fails with "
                              "'cuDNN version incompatibility' or CUDNN_STATUS errors."));
  g_autofree char *dir = g_path_get_dirname(lib->path);
  x->fix = g_strdup_printf(_("Remove %s from %s (cudaup puts toolkit libraries on the system "
                             "loader path instead, which the framework's own libraries "
                             "precede):"),
                           dir, lib->via);
  if (g_strcmp0(lib->via, "LD_LIBRARY_PATH") == 0 && f->cuda_home_root == NULL)
    x->command = g_strdup("cudaup env remove --scope user && sudo cudaup env apply --scope system");
  else if (g_strcmp0(lib->via, "LD_LIBRARY_PATH") == 0)
    x->command = g_strdup_printf("cudaup env remove --scope user && sudo cudaup env apply "
                                 "--prefix %s --scope system",
                                 f->cuda_home_root);
}

static void check_shadow(const CupDoctorFacts *f, CupDoctorReport *r, const char *name,
                         const CupPyFramework *fw)
{
  int major = fw ? bundled_cudnn_major(fw) : -1;
  if (major < 0)
    return;
  for (guint i = 0; i < f->cudnn_on_path->len; i++) {
    const CupDoctorFile *lib = g_ptr_array_index(f->cudnn_on_path, i);
    if (cup_doctor_major(lib->version) == major && differs(lib, bundled_cudnn_version(fw))) {
      shadow_finding(f, r, name, fw, lib);
      return;
    }
  }
}

/* cudnn-shadows-framework. Source: ld.so(8), search order (LD_LIBRARY_PATH before DT_RUNPATH,
 * https://man7.org/linux/man-pages/man8/ld.so.8.html); pytorch/pytorch#80637 ("Looks like your
 * LD_LIBRARY_PATH contains incompatible version of cudnn"). */
void cup_doctor_rule_cudnn_shadow(const CupDoctorFacts *f, CupDoctorReport *r)
{
  check_shadow(f, r, "PyTorch", torch_of(f));
  check_shadow(f, r, "TensorFlow", tf_of(f));
}

/* cudnn-cuda-major-mismatch, the nvidia-cudnn-cuNN wheel beside a framework built for another
 * CUDA major. Source: NVIDIA cuDNN Support Matrix (one build per CUDA major,
 * https://docs.nvidia.com/deeplearning/cudnn/backend/latest/reference/support-matrix.html);
 * the wheel's name carries its CUDA major (https://pypi.org/project/nvidia-cudnn-cu12/). */
void cup_doctor_rule_cudnn_wheel(const CupDoctorFacts *f, CupDoctorReport *r)
{
  const CupPyFramework *torch = torch_of(f);
  if (torch == NULL || torch->cuda == NULL || torch->cudnn_wheel == NULL ||
      !g_str_has_prefix(torch->cudnn_wheel, "nvidia-cudnn-cu"))
    return;
  int wheel_major = atoi(torch->cudnn_wheel + strlen("nvidia-cudnn-cu"));
  int torch_major = cup_doctor_major(torch->cuda);
  if (wheel_major <= 0 || torch_major < 0 || wheel_major == torch_major)
    return;
  g_autofree char *release = release_of(torch->version);
  CupDoctorFinding *x = cup_doctor_add(
      r, CUP_DOCTOR_CUDNN_CUDA_MAJOR_MISMATCH, CUP_DOCTOR_ERROR,
      "https://docs.nvidia.com/deeplearning/cudnn/backend/latest/reference/support-matrix.html",
      _("The cuDNN wheel %s is built for CUDA %d, PyTorch %s for CUDA %s"), torch->cudnn_wheel,
      wheel_major, torch->version, torch->cuda);
  torch_evidence(x, torch);
  cup_doctor_evidence(x, _("%s %s is installed beside it"), torch->cudnn_wheel,
                      torch->cudnn_wheel_version ? torch->cudnn_wheel_version : "?");
  cup_doctor_fact(x, "cudnn_wheel", torch->cudnn_wheel);
  cup_doctor_fact(x, "cudnn_wheel_version", torch->cudnn_wheel_version);
  x->explanation = g_strdup(_("Each cuDNN build is made for one CUDA major version. PyTorch "
                              "loads the cuDNN wheel installed beside it, and one for another "
                              "CUDA major does not load with PyTorch's CUDA libraries."));
  x->fix = g_strdup(_("Remove that wheel and reinstall torch, which brings the cuDNN wheel it "
                      "was built with:"));
  g_autofree char *install = torch_install_command(f, release);
  x->command = g_strdup_printf("%s -m pip uninstall -y %s && %s", f->probe->python,
                               torch->cudnn_wheel, install);
}

/* TensorFlow's newest native-Windows GPU release in the catalog, or NULL. */
static const CupTfRelease *last_windows_tf(const CupCatalog *catalog)
{
  for (guint i = 0; i < catalog->tf_releases->len; i++) {
    const CupTfRelease *rel = g_ptr_array_index(catalog->tf_releases, i);
    if (g_strcmp0(rel->os, "windows") == 0)
      return rel; /* newest first */
  }
  return NULL;
}

static void tf_native_gpu(CupDoctorReport *r, const CupPyFramework *tf, const CupTfRelease *last)
{
  CupDoctorFinding *x =
      cup_doctor_add(r, CUP_DOCTOR_TF_WINDOWS_NATIVE_GPU, CUP_DOCTOR_ERROR,
                     "https://www.tensorflow.org/install/pip#windows-native",
                     _("TensorFlow %s has no GPU support on native Windows"), tf->version);
  cup_doctor_evidence(x, _("tensorflow %s imported from %s"), tf->version,
                      tf->file ? tf->file : "?");
  cup_doctor_evidence(x, _("the last TensorFlow with GPU support on native Windows is %s"),
                      last->version);
  cup_doctor_fact(x, "tensorflow_version", tf->version);
  cup_doctor_fact(x, "last_windows_gpu_version", last->version);
  x->explanation = g_strdup(_("TensorFlow 2.10 was the last release that used the GPU on native "
                              "Windows. Newer releases run on the CPU there; they use the GPU "
                              "inside WSL2."));
  x->fix = g_strdup(_("Use TensorFlow inside WSL2 (pip install tensorflow[and-cuda]), or install "
                      "the last native Windows GPU release:"));
  g_autofree char *mm = cup_major_minor(last->version);
  x->command = g_strdup_printf("cudaup install --framework tensorflow==%s", mm);
}

/* Whether cuDNN of @major is there for TensorFlow: in a toolkit of @cuda's major or as a
 * cudnn64_N.dll on PATH. */
static gboolean windows_cudnn_present(const CupDoctorFacts *f, const char *cuda, int major)
{
  for (guint i = 0; i < f->sys->toolkits->len; i++) {
    const CupToolkit *tk = g_ptr_array_index(f->sys->toolkits, i);
    if (tk->cudnn && cup_doctor_major(tk->cudnn->version) == major &&
        cup_doctor_major(tk->version) == cup_doctor_major(cuda))
      return TRUE;
  }
  for (guint i = 0; i < f->cudnn_on_path->len; i++) {
    const CupDoctorFile *lib = g_ptr_array_index(f->cudnn_on_path, i);
    if (cup_doctor_major(lib->version) == major)
      return TRUE;
  }
  return FALSE;
}

static void tf_cudnn_missing(const CupDoctorFacts *f, CupDoctorReport *r, const CupPyFramework *tf,
                             const CupTfRelease *rel)
{
  int major = cup_doctor_major(rel->cudnn);
  if (major < 0 || windows_cudnn_present(f, rel->cuda, major))
    return;
  CupDoctorFinding *x = cup_doctor_add(
      r, CUP_DOCTOR_TF_WINDOWS_CUDNN_MISSING, CUP_DOCTOR_ERROR,
      "https://www.tensorflow.org/install/source_windows#gpu",
      _("TensorFlow %s on Windows needs cuDNN %s, and none is installed"), tf->version, rel->cudnn);
  cup_doctor_evidence(x, _("tensorflow %s is tested with CUDA %s and cuDNN %s"), tf->version,
                      rel->cuda, rel->cudnn);
  for (guint i = 0; i < f->sys->toolkits->len; i++) {
    const CupToolkit *tk = g_ptr_array_index(f->sys->toolkits, i);
    if (tk->cudnn == NULL)
      cup_doctor_evidence(x, _("CUDA Toolkit %s at %s has no cuDNN"), tk->version, tk->root);
  }
  cup_doctor_evidence(x, _("no cudnn64_%d.dll on PATH"), major);
  cup_doctor_fact(x, "tensorflow_version", tf->version);
  cup_doctor_fact(x, "cuda", rel->cuda);
  cup_doctor_fact(x, "cudnn", rel->cudnn);
  x->explanation = g_strdup(_("On native Windows, TensorFlow up to 2.10 brings neither CUDA nor "
                              "cuDNN: it loads them from PATH. NVIDIA's CUDA installer does not "
                              "include cuDNN, so without it TensorFlow quietly runs on the CPU "
                              "('Could not load dynamic library cudnn64_8.dll')."));
  x->fix = g_strdup_printf(_("Install cuDNN %s for CUDA %s:"), rel->cudnn, rel->cuda);
  x->command = g_strdup_printf("cudaup install --cuda %s --cudnn %s", rel->cuda, rel->cudnn);
}

/* tf-windows-native-gpu and tf-windows-cudnn-missing. Source: TensorFlow, "Install TensorFlow
 * with pip", Windows native (https://www.tensorflow.org/install/pip#windows-native: 2.10 was
 * the last release with GPU support on native Windows); tested build configurations
 * (https://www.tensorflow.org/install/source_windows#gpu), as manifests/tensorflow.json. */
void cup_doctor_rule_tf_windows(const CupDoctorFacts *f, CupDoctorReport *r)
{
  const CupPyFramework *tf = tf_of(f);
  if (tf == NULL || f->catalog == NULL || !cup_doctor_native_windows(f) || !cup_doctor_has_gpu(f))
    return;
  const CupTfRelease *rel = cup_catalog_tf_release(f->catalog, tf->version, "windows");
  const CupTfRelease *last = last_windows_tf(f->catalog);
  if (rel)
    tf_cudnn_missing(f, r, tf, rel);
  else if (last && cup_doctor_cmp(tf->version, last->version) > 0)
    tf_native_gpu(r, tf, last);
}

static gboolean has_error(const CupDoctorReport *r)
{
  for (guint i = 0; i < r->findings->len; i++)
    if (((CupDoctorFinding *)g_ptr_array_index(r->findings, i))->severity == CUP_DOCTOR_ERROR)
      return TRUE;
  return FALSE;
}

static void unseen(const CupDoctorFacts *f, CupDoctorReport *r, const char *name,
                   const CupPyFramework *fw, const char *check)
{
  CupDoctorFinding *x =
      cup_doctor_add(r, CUP_DOCTOR_FRAMEWORK_SEES_NO_GPU, CUP_DOCTOR_ERROR,
                     "https://pytorch.org/docs/stable/notes/cuda.html",
                     _("%s %s does not see the GPU"), name, fw->version ? fw->version : "");
  if (fw->import_error)
    cup_doctor_evidence(x, _("importing it failed: %s"), fw->import_error);
  else
    cup_doctor_evidence(x, _("it is a CUDA build (CUDA %s) and reports no GPU"),
                        fw->cuda ? fw->cuda : "?");
  if (fw->error)
    cup_doctor_evidence(x, _("%s said: %s"), name, fw->error);
  cup_doctor_fact(x, "framework", name);
  cup_doctor_fact(x, "version", fw->version);
  cup_doctor_fact(x, "error", fw->import_error ? fw->import_error : fw->error);
  x->explanation = g_strdup(_("None of the known causes above matched. The framework's own "
                              "message says more."));
  x->fix = g_strdup(_("Run this and read the error it prints, or run 'cudaup verify':"));
  x->command = g_strdup_printf("%s -c \"%s\"", f->probe->python, check);
}

/* framework-sees-no-gpu: the catch-all. Source: PyTorch, "CUDA semantics"
 * (https://pytorch.org/docs/stable/notes/cuda.html); TensorFlow, "Use a GPU"
 * (https://www.tensorflow.org/guide/gpu). */
void cup_doctor_rule_no_gpu_seen(const CupDoctorFacts *f, CupDoctorReport *r)
{
  const CupPyProbe *p = f->probe;
  if (p == NULL || !cup_doctor_has_gpu(f))
    return;
  gboolean quiet = has_error(r);
  if (p->torch.found &&
      (p->torch.import_error || (!quiet && p->torch.cuda && p->torch.cuda_available == CUP_NO)))
    unseen(f, r, "PyTorch", &p->torch, "import torch; torch.cuda.init()");
  if (p->tensorflow.found &&
      (p->tensorflow.import_error || (!quiet && p->tensorflow.built_with_cuda == CUP_YES &&
                                      p->tensorflow.cuda_available == CUP_NO)))
    unseen(f, r, "TensorFlow", &p->tensorflow,
           "import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))");
}
