/* doctor_rules.c - the doctor's rules about the driver, the kernel, the toolkits and the search
 * paths. Each rule is a pure function of CupDoctorFacts; its source is named at the rule. */
#include "core/doctor_private.h"
#include "core/i18n.h"
#include "core/version.h"

#include <string.h>

static const char *tristate_id(CupTristate t)
{
  return t == CUP_YES ? "yes" : t == CUP_NO ? "no" : "unknown";
}

static void gpu_evidence(const CupDoctorFacts *f, CupDoctorFinding *x)
{
  for (guint i = 0; i < f->sys->gpus->len; i++) {
    const CupGpu *gpu = g_ptr_array_index(f->sys->gpus, i);
    cup_doctor_evidence(x, _("GPU %d: %s (PCI %s, compute capability %s)"), gpu->index,
                        gpu->name ? gpu->name : _("name unknown"), gpu->pci_id ? gpu->pci_id : "?",
                        gpu->compute_capability ? gpu->compute_capability : "?");
    if (i == 0) {
      cup_doctor_fact(x, "gpu", gpu->name);
      cup_doctor_fact(x, "pci_id", gpu->pci_id);
      cup_doctor_fact(x, "compute_capability", gpu->compute_capability);
    }
  }
}

/* no-driver. Source: NVIDIA CUDA Installation Guide for Linux, "Driver Installation"
 * (https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#driver-installation); Debian:
 * https://wiki.debian.org/NvidiaGraphicsDrivers; WSL: https://docs.nvidia.com/cuda/wsl-user-guide/.
 */
void cup_doctor_rule_no_driver(const CupDoctorFacts *f, CupDoctorReport *r)
{
  if (!cup_doctor_has_gpu(f) || f->sys->driver.version != NULL)
    return;
  CupDoctorFinding *x = cup_doctor_add(
      r, CUP_DOCTOR_NO_DRIVER, CUP_DOCTOR_ERROR,
      "https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#driver-installation",
      _("No NVIDIA driver is installed or loaded"));
  gpu_evidence(f, x);
  cup_doctor_evidence(x,
                      _("no driver answered: NVML and nvidia-smi are missing or failed, and "
                        "the nvidia kernel module is %s"),
                      f->sys->nvidia_module_loaded == CUP_YES ? _("loaded") : _("not loaded"));
  cup_doctor_fact(x, "nvidia_module_loaded", tristate_id(f->sys->nvidia_module_loaded));
  x->explanation = g_strdup(_("The driver is the part of the system that lets programs talk to "
                              "the GPU. Without it no CUDA program (PyTorch, TensorFlow or your "
                              "own) can use the GPU, even with the CUDA Toolkit installed."));
  if (f->sys->os.wsl == CUP_YES) {
    x->fix = g_strdup(_("Install or update the NVIDIA driver on Windows (never inside WSL), "
                        "then run 'wsl --shutdown' in Windows and open WSL again."));
  } else if (cup_doctor_native_windows(f)) {
    x->fix = g_strdup(_("Install the driver for this GPU from "
                        "https://www.nvidia.com/Download/index.aspx and restart Windows."));
  } else if (g_strcmp0(f->sys->os.distribution, "ubuntu") == 0) {
    x->fix = g_strdup(_("Install the recommended NVIDIA driver and reboot:"));
    x->command = g_strdup("sudo ubuntu-drivers install && sudo reboot");
  } else if (g_strcmp0(f->sys->os.distribution, "debian") == 0) {
    x->fix = g_strdup(_("Enable the non-free and non-free-firmware components in "
                        "/etc/apt/sources.list, then install the driver and reboot:"));
    x->command = g_strdup("sudo apt update && sudo apt install nvidia-driver "
                          "firmware-misc-nonfree && sudo reboot");
  } else {
    x->fix = g_strdup(_("Install your distribution's NVIDIA driver package (see the source "
                        "below) and reboot."));
  }
}

/* nouveau-loaded. Source: NVIDIA CUDA Installation Guide for Linux, "Disabling Nouveau"
 * (https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#disabling-nouveau). */
void cup_doctor_rule_nouveau(const CupDoctorFacts *f, CupDoctorReport *r)
{
  if (!cup_doctor_has_gpu(f) || f->sys->nouveau_loaded != CUP_YES)
    return;
  CupDoctorFinding *x = cup_doctor_add(
      r, CUP_DOCTOR_NOUVEAU_LOADED, CUP_DOCTOR_ERROR,
      "https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#disabling-nouveau",
      _("The open-source nouveau driver holds the GPU"));
  cup_doctor_evidence(x, _("the nouveau kernel module is loaded (/proc/modules)"));
  gpu_evidence(f, x);
  cup_doctor_fact(x, "module", "nouveau");
  x->explanation = g_strdup(_("nouveau is the open-source driver Linux loads for NVIDIA cards by "
                              "default. It cannot run CUDA, and while it holds the GPU NVIDIA's "
                              "driver cannot load."));
  x->fix = g_strdup(_("Turn nouveau off, rebuild the initramfs and reboot (NVIDIA's driver "
                      "packages usually do the first step for you):"));
  x->command = g_strdup("printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' | sudo tee "
                        "/etc/modprobe.d/blacklist-nouveau.conf && sudo update-initramfs -u && "
                        "sudo reboot");
}

/* secure-boot-blocks-nvidia. Source: Debian wiki, SecureBoot, "DKMS and secure boot"
 * (https://wiki.debian.org/SecureBoot#DKMS_and_secure_boot); NVIDIA CUDA Installation Guide for
 * Linux, "Driver Installation" notes on signed modules. */
void cup_doctor_rule_secure_boot(const CupDoctorFacts *f, CupDoctorReport *r)
{
  if (!cup_doctor_has_gpu(f) || f->sys->secure_boot != CUP_YES ||
      f->sys->nvidia_module_loaded != CUP_NO || f->sys->os.wsl == CUP_YES ||
      cup_doctor_native_windows(f))
    return;
  CupDoctorFinding *x = cup_doctor_add(r, CUP_DOCTOR_SECURE_BOOT_BLOCKS_NVIDIA, CUP_DOCTOR_ERROR,
                                       "https://wiki.debian.org/SecureBoot#DKMS_and_secure_boot",
                                       _("Secure Boot is on and the nvidia module is not loaded"));
  cup_doctor_evidence(x, _("Secure Boot is on (EFI variable SecureBoot = 1)"));
  cup_doctor_evidence(x, _("the nvidia kernel module is not loaded (/proc/modules)"));
  cup_doctor_fact(x, "secure_boot", "yes");
  cup_doctor_fact(x, "nvidia_module_loaded", "no");
  x->explanation = g_strdup(_("With Secure Boot on, Linux loads only kernel modules signed with a "
                              "key the firmware trusts. NVIDIA's module is built on your machine, "
                              "so it must be signed with your own key (a Machine Owner Key) that "
                              "you enrol once; until then the module is refused."));
  x->fix = g_strdup(_("Enrol the signing key and reboot; in the blue MOK Manager screen choose "
                      "'Enroll MOK' and type the password you set. Or turn Secure Boot off in the "
                      "firmware setup."));
  x->command = g_strdup("sudo mokutil --import /var/lib/dkms/mok.pub && sudo reboot");
}

/* wsl-linux-driver. Source: NVIDIA CUDA on WSL User Guide, "Getting Started with CUDA on WSL 2"
 * (https://docs.nvidia.com/cuda/wsl-user-guide/index.html): no Linux driver inside WSL 2. */
void cup_doctor_rule_wsl_driver(const CupDoctorFacts *f, CupDoctorReport *r)
{
  if (f->sys->os.wsl != CUP_YES || f->wsl_driver_libs->len == 0)
    return;
  CupDoctorFinding *x = cup_doctor_add(r, CUP_DOCTOR_WSL_LINUX_DRIVER, CUP_DOCTOR_ERROR,
                                       "https://docs.nvidia.com/cuda/wsl-user-guide/index.html",
                                       _("A Linux NVIDIA driver is installed inside WSL"));
  for (guint i = 0; i < f->wsl_driver_libs->len; i++) {
    const CupDoctorFile *lib = g_ptr_array_index(f->wsl_driver_libs, i);
    cup_doctor_evidence(x,
                        _("%s: a Linux driver library, not the one Windows provides in "
                          "/usr/lib/wsl/lib"),
                        lib->path);
    if (i == 0)
      cup_doctor_fact(x, "library", lib->path);
  }
  x->explanation = g_strdup(_("In WSL 2 the GPU driver is the Windows one: Windows shares it with "
                              "Linux as /usr/lib/wsl/lib/libcuda.so. A Linux driver installed "
                              "inside WSL replaces that library with one that cannot reach the "
                              "GPU."));
  x->fix = g_strdup(_("Remove the Linux driver packages inside WSL, then run 'wsl --shutdown' in "
                      "Windows; keep only the Windows driver:"));
  x->command = g_strdup("sudo apt-get remove --purge '^nvidia-.*' '^libnvidia-.*' 'cuda-drivers*'");
}

/* driver-too-old-for-toolkit. Source: CUDA Toolkit Release Notes, Table 3 (minimum driver per
 * release, https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/); CUDA Compatibility guide,
 * "Minor Version Compatibility" (https://docs.nvidia.com/deploy/cuda-compatibility/). */
void cup_doctor_rule_driver_toolkit(const CupDoctorFacts *f, CupDoctorReport *r)
{
  const CupDriver *d = &f->sys->driver;
  for (guint i = 0; i < f->sys->toolkits->len; i++) {
    const CupToolkit *tk = g_ptr_array_index(f->sys->toolkits, i);
    CupDoctorFit fit = cup_doctor_driver_fit(f, tk->version);
    if (fit != CUP_DOCTOR_FIT_NO && fit != CUP_DOCTOR_FIT_MINOR_COMPAT)
      continue;
    const char *minimum = cup_doctor_min_driver(f, tk->version);
    CupDoctorFinding *x =
        cup_doctor_add(r, CUP_DOCTOR_DRIVER_TOO_OLD_FOR_TOOLKIT,
                       fit == CUP_DOCTOR_FIT_NO ? CUP_DOCTOR_ERROR : CUP_DOCTOR_WARNING,
                       "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/",
                       _("The driver is too old for CUDA Toolkit %s"), tk->version);
    cup_doctor_evidence(x, _("driver %s supports CUDA up to %s"), d->version,
                        d->cuda_version ? d->cuda_version : "?");
    cup_doctor_evidence(x, _("CUDA Toolkit %s is installed at %s and needs driver %s or newer"),
                        tk->version, tk->root, minimum ? minimum : "?");
    cup_doctor_fact(x, "driver_version", d->version);
    cup_doctor_fact(x, "driver_cuda_version", d->cuda_version);
    cup_doctor_fact(x, "toolkit_version", tk->version);
    cup_doctor_fact(x, "toolkit_root", tk->root);
    cup_doctor_fact(x, "minimum_driver", minimum);
    x->explanation = g_strdup(
        fit == CUP_DOCTOR_FIT_NO
            ? _("A program built with a CUDA version asks the driver for that version's "
                "features; an older driver answers 'CUDA driver version is insufficient for CUDA "
                "runtime version'.")
            : _("The driver is older than this toolkit wants but of the same CUDA major, so "
                "programs run through minor-version compatibility, with limited features (PTX "
                "code built by this toolkit cannot be loaded)."));
    x->fix = g_strdup_printf(_("Update the NVIDIA driver to %s or newer, or install the toolkit "
                               "this driver supports:"),
                             minimum ? minimum : _("the current release"));
    if (d->cuda_version)
      x->command = g_strdup_printf("cudaup install --cuda %s", d->cuda_version);
  }
}

static gboolean toolkit_matches(const CupDoctorFacts *f, const char *cuda)
{
  for (guint i = 0; i < f->sys->toolkits->len; i++) {
    const CupToolkit *tk = g_ptr_array_index(f->sys->toolkits, i);
    if (tk->version && cup_doctor_cmp_mm(tk->version, cuda) == 0)
      return TRUE;
  }
  return FALSE;
}

static char *toolkit_list(const CupDoctorFacts *f)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < f->sys->toolkits->len; i++) {
    const CupToolkit *tk = g_ptr_array_index(f->sys->toolkits, i);
    g_string_append_printf(out, "%s%s (%s)", i ? ", " : "", tk->version ? tk->version : "?",
                           tk->root);
  }
  return g_string_free(out, FALSE);
}

/* smi-cuda-version-is-not-toolkit. Source: CUDA Compatibility guide, "CUDA Toolkit and Minimum
 * Required Driver Version" (https://docs.nvidia.com/deploy/cuda-compatibility/): the driver
 * API version nvidia-smi prints is the newest CUDA the driver supports. */
void cup_doctor_rule_smi_version(const CupDoctorFacts *f, CupDoctorReport *r)
{
  const CupDriver *d = &f->sys->driver;
  if (d->cuda_version == NULL || toolkit_matches(f, d->cuda_version))
    return;
  gboolean home_missing = f->cuda_home && !f->cuda_home_exists;
  if (f->sys->toolkits->len == 0 && !home_missing)
    return;
  CupDoctorFinding *x = cup_doctor_add(
      r, CUP_DOCTOR_SMI_CUDA_VERSION_IS_NOT_TOOLKIT, CUP_DOCTOR_INFO,
      "https://docs.nvidia.com/deploy/cuda-compatibility/",
      _("nvidia-smi's \"CUDA Version: %s\" is not the installed CUDA Toolkit"), d->cuda_version);
  cup_doctor_evidence(x, _("nvidia-smi says \"CUDA Version: %s\" (driver %s)"), d->cuda_version,
                      d->version);
  g_autofree char *list = toolkit_list(f);
  if (f->sys->toolkits->len > 0)
    cup_doctor_evidence(x, _("installed CUDA Toolkits: %s"), list);
  else
    cup_doctor_evidence(x, _("no CUDA Toolkit is installed"));
  if (home_missing)
    cup_doctor_evidence(x, _("%s=%s does not exist"), f->cuda_home_var, f->cuda_home);
  cup_doctor_fact(x, "driver_cuda_version", d->cuda_version);
  cup_doctor_fact(x, "toolkits", list);
  cup_doctor_fact(x, "cuda_home", home_missing ? f->cuda_home : NULL);
  x->explanation = g_strdup(_("nvidia-smi shows the newest CUDA version the driver can run, not a "
                              "CUDA that is installed. The CUDA Toolkit (nvcc, libcudart; 'nvcc "
                              "--version' tells its version) is a separate install, and any "
                              "toolkit up to that version works with this driver. PyTorch wheels "
                              "bring their own CUDA runtime and need only the driver."));
  x->fix = g_strdup(_("Use the toolkit you have, or install the one you need (at most the "
                      "version nvidia-smi shows):"));
  x->command = g_strdup_printf("cudaup install --cuda %s", d->cuda_version);
}

/* The toolkit whose root @root names, or NULL. */
static const CupToolkit *toolkit_at(const CupDoctorFacts *f, const char *root)
{
  for (guint i = 0; root && i < f->sys->toolkits->len; i++) {
    const CupToolkit *tk = g_ptr_array_index(f->sys->toolkits, i);
    if (g_strcmp0(tk->root, root) == 0)
      return tk;
  }
  return NULL;
}

/* The first entry of @entries that belongs to a toolkit, or NULL; *@distinct counts the
 * different toolkits on it. */
static const CupDoctorPathEntry *first_toolkit(const GPtrArray *entries, guint *distinct)
{
  const CupDoctorPathEntry *first = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < entries->len; i++) {
    const CupDoctorPathEntry *e = g_ptr_array_index(entries, i);
    if (e->toolkit_root == NULL)
      continue;
    if (first == NULL)
      first = e;
    g_hash_table_add(seen, e->toolkit_root);
  }
  if (distinct)
    *distinct = g_hash_table_size(seen);
  return first;
}

/* The toolkit the user means: the one CUDA_HOME/CUDA_PATH names, else the newest on PATH. */
static const CupDoctorPathEntry *intended_toolkit(const CupDoctorFacts *f)
{
  const CupDoctorPathEntry *best = NULL;
  for (guint i = 0; i < f->path->len; i++) {
    const CupDoctorPathEntry *e = g_ptr_array_index(f->path, i);
    if (e->toolkit_root == NULL)
      continue;
    if (f->cuda_home_root && g_strcmp0(e->toolkit_root, f->cuda_home_root) == 0)
      return e;
    if (best == NULL || cup_doctor_cmp(e->toolkit_version, best->toolkit_version) > 0)
      best = e;
  }
  return best;
}

static void path_evidence(CupDoctorFinding *x, const GPtrArray *entries, const char *var)
{
  for (guint i = 0, n = 0; i < entries->len; i++) {
    const CupDoctorPathEntry *e = g_ptr_array_index(entries, i);
    if (e->toolkit_root)
      cup_doctor_evidence(x, _("%s entry %u: %s (CUDA %s)"), var, ++n, e->entry,
                          e->toolkit_version ? e->toolkit_version : "?");
  }
}

/* toolkits-path-order. Source: NVIDIA CUDA Installation Guide for Linux, "Environment Setup"
 * (https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#environment-setup); the shell
 * runs the first match on PATH (POSIX, "Command Search and Execution"), ld.so(8) loads the
 * first match on LD_LIBRARY_PATH. */
void cup_doctor_rule_path_order(const CupDoctorFacts *f, CupDoctorReport *r)
{
  guint on_path = 0;
  const CupDoctorPathEntry *first = first_toolkit(f->path, &on_path);
  const CupDoctorPathEntry *first_lib = first_toolkit(f->library_path, NULL);
  const CupDoctorPathEntry *intended = intended_toolkit(f);
  gboolean wrong_first = on_path >= 2 && intended && first != intended &&
                         g_strcmp0(first->toolkit_root, intended->toolkit_root) != 0;
  gboolean split = first && first_lib && g_strcmp0(first->toolkit_root, first_lib->toolkit_root);
  if (!wrong_first && !split)
    return;
  CupDoctorFinding *x = cup_doctor_add(
      r, CUP_DOCTOR_TOOLKITS_PATH_ORDER, CUP_DOCTOR_WARNING,
      "https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#environment-setup",
      _("Several CUDA toolkits are on the search paths and the wrong one comes first"));
  path_evidence(x, f->path, "PATH");
  path_evidence(x, f->library_path, "LD_LIBRARY_PATH");
  cup_doctor_evidence(x, _("nvcc comes from CUDA %s (%s)"), first->toolkit_version,
                      first->toolkit_root);
  if (f->cuda_home)
    cup_doctor_evidence(x, "%s=%s", f->cuda_home_var, f->cuda_home);
  const CupDoctorPathEntry *want = wrong_first ? intended : first;
  cup_doctor_fact(x, "first_on_path", first->toolkit_root);
  cup_doctor_fact(x, "first_on_library_path", first_lib ? first_lib->toolkit_root : NULL);
  cup_doctor_fact(x, "intended", want->toolkit_root);
  x->explanation = g_strdup(_("The shell runs the first nvcc it finds on PATH, and programs load "
                              "the first libcudart on LD_LIBRARY_PATH. With several toolkits "
                              "listed, the one listed first wins: you may compile with one CUDA "
                              "and run with another."));
  x->fix = g_strdup(_("Remove the other toolkits' entries from PATH and LD_LIBRARY_PATH in your "
                      "shell start-up files (~/.bashrc, ~/.profile), then make one toolkit the "
                      "default:"));
  const CupToolkit *tk = toolkit_at(f, want->toolkit_root);
  x->command = g_strdup_printf("cudaup env apply --prefix %s", tk ? tk->root : want->toolkit_root);
}

/* stubs-on-library-path. Source: NVIDIA CUDA Installation Guide for Linux, "Environment Setup"
 * (lib64 only, https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#environment-setup);
 * the stub libcuda.so exists for linking only and fails every call at run time. */
void cup_doctor_rule_stubs(const CupDoctorFacts *f, CupDoctorReport *r)
{
  if (f->stubs->len == 0)
    return;
  CupDoctorFinding *x = cup_doctor_add(
      r, CUP_DOCTOR_STUBS_ON_LIBRARY_PATH, CUP_DOCTOR_ERROR,
      "https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#environment-setup",
      _("The CUDA stubs directory is on the run-time library path"));
  for (guint i = 0; i < f->stubs->len; i++) {
    const CupDoctorFile *stub = g_ptr_array_index(f->stubs, i);
    cup_doctor_evidence(x, _("%s lists %s"), stub->via, stub->path);
    if (i == 0) {
      cup_doctor_fact(x, "path", stub->path);
      cup_doctor_fact(x, "via", stub->via);
    }
  }
  x->explanation = g_strdup(_("lib64/stubs holds a fake libcuda.so that exists only so programs "
                              "can be linked on machines without a driver. Found at run time it "
                              "stands in for the real driver library, and every CUDA call fails "
                              "('CUDA driver version is insufficient')."));
  const CupDoctorFile *first = g_ptr_array_index(f->stubs, 0);
  if (first->via[0] == '/') {
    x->fix = g_strdup(_("Delete that file and refresh the loader cache:"));
    x->command = g_strdup_printf("sudo rm %s && sudo ldconfig", first->via);
  } else {
    x->fix = g_strdup_printf(_("Remove %s from %s in your shell start-up files (~/.bashrc, "
                               "~/.profile) and open a new terminal."),
                             first->path, first->via);
  }
}

/* unfinished-install. Source: cudaup's own transaction journal (core/txn.h; README, "cudaup
 * install", step 1): the next cudaup command on that root finishes or undoes it. */
void cup_doctor_rule_journal(const CupDoctorFacts *f, CupDoctorReport *r)
{
  for (guint i = 0; i < f->journals->len; i++) {
    const CupDoctorJournal *j = g_ptr_array_index(f->journals, i);
    CupDoctorFinding *x = cup_doctor_add(r, CUP_DOCTOR_UNFINISHED_INSTALL, CUP_DOCTOR_WARNING,
                                         "README.md#cudaup-install-and-cudaup-uninstall",
                                         _("An install into %s did not finish"), j->root);
    cup_doctor_evidence(x, _("%s: %s, started %s"), j->journal, j->what ? j->what : _("unknown"),
                        j->started ? j->started : _("at an unknown time"));
    cup_doctor_fact(x, "root", j->root);
    cup_doctor_fact(x, "journal", j->journal);
    cup_doctor_fact(x, "what", j->what);
    x->explanation = g_strdup(_("A cudaup install or uninstall stopped before it finished (the "
                                "computer was switched off, or the process was killed). The "
                                "toolkit there may be half installed until cudaup finishes or "
                                "undoes it."));
    x->fix = g_strdup(_("Run cudaup once more as the owner of that directory; it recovers "
                        "first:"));
    gboolean system = g_str_has_prefix(j->root, "/usr/") || g_str_has_prefix(j->root, "/opt/");
    x->command = g_strdup(system ? "sudo cudaup detect" : "cudaup detect");
  }
}

/* A cuDNN release that has a build for CUDA @cuda's major, newest first; NULL. */
static const CupCudnnRelease *cudnn_for(const CupCatalog *catalog, const char *cuda)
{
  for (guint i = 0; i < catalog->cudnn_releases->len; i++) {
    const CupCudnnRelease *rel = g_ptr_array_index(catalog->cudnn_releases, i);
    if (cup_catalog_cudnn_supports(rel, cuda))
      return rel;
  }
  return NULL;
}

static gboolean cudnn_has_major(const CupCudnnRelease *rel, int major)
{
  for (char **c = rel->cuda; c && *c; c++)
    if (cup_doctor_major(*c) == major)
      return TRUE;
  return FALSE;
}

/* cudnn-cuda-major-mismatch, a toolkit's own cuDNN. Source: NVIDIA cuDNN Support Matrix
 * (https://docs.nvidia.com/deeplearning/cudnn/backend/latest/reference/support-matrix.html),
 * as manifests/cudnn.json lists it. */
void cup_doctor_rule_cudnn_major(const CupDoctorFacts *f, CupDoctorReport *r)
{
  for (guint i = 0; f->catalog && i < f->sys->toolkits->len; i++) {
    const CupToolkit *tk = g_ptr_array_index(f->sys->toolkits, i);
    int major = cup_doctor_major(tk->version);
    if (tk->cudnn == NULL || major < 0)
      continue;
    const CupCudnnRelease *rel = cup_catalog_cudnn_release(f->catalog, tk->cudnn->version);
    if (rel == NULL || cudnn_has_major(rel, major))
      continue;
    g_autofree char *built_for = g_strjoinv(", ", rel->cuda);
    CupDoctorFinding *x = cup_doctor_add(
        r, CUP_DOCTOR_CUDNN_CUDA_MAJOR_MISMATCH, CUP_DOCTOR_ERROR,
        "https://docs.nvidia.com/deeplearning/cudnn/backend/latest/reference/support-matrix.html",
        _("cuDNN %s in CUDA Toolkit %s is built for another CUDA major version"),
        tk->cudnn->version, tk->version);
    cup_doctor_evidence(x, _("CUDA Toolkit %s at %s holds cuDNN %s (%s)"), tk->version, tk->root,
                        tk->cudnn->version, tk->cudnn->path);
    cup_doctor_evidence(x, _("cuDNN %s is built for CUDA %s"), tk->cudnn->version, built_for);
    cup_doctor_fact(x, "toolkit_version", tk->version);
    cup_doctor_fact(x, "toolkit_root", tk->root);
    cup_doctor_fact(x, "cudnn_version", tk->cudnn->version);
    cup_doctor_fact(x, "cudnn_path", tk->cudnn->path);
    x->explanation = g_strdup(_("Each cuDNN build is made for one CUDA major version and needs "
                                "that major's libraries (cuDNN for CUDA 11 needs libcublas.so.11). "
                                "Next to a toolkit of another major it does not load, and the "
                                "framework runs without it or fails."));
    const CupCudnnRelease *fits = cudnn_for(f->catalog, tk->version);
    x->fix = g_strdup_printf(_("Install a cuDNN built for CUDA %d into that toolkit:"), major);
    if (fits) {
      g_autofree char *mm = cup_major_minor(fits->version);
      x->command = g_strdup_printf("cudaup install --prefix %s --cudnn %s", tk->root, mm);
    }
  }
}
