/* test_doctor.c - one test per doctor finding: a fixture root (sysfs, /proc, efivars, toolkit
 * trees, recorded nvidia-smi outputs replayed by a stand-in program) and a fake Python
 * environment (tests/fixtures/doctor/python) run by the real /usr/bin/python3; the rules for
 * native Windows over facts built by hand; the healthy machine; and `cudaup doctor` end to end
 * (text, --json, exit codes, Korean). */
#include "core/doctor.h"
#include "core/error.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

#define PYTHON "/usr/bin/python3"
#define SECURE_BOOT_VAR "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* ---- fixture roots ---------------------------------------------------------------------- */

static void add_debian(const char *root, const char *modules)
{
  cup_test_write(root, "etc/os-release",
                 "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\n");
  cup_test_write(root, "proc/modules", modules ? modules : "");
}

static void add_pci(const char *root, const char *device)
{
  const char *files[][2] = {{"vendor", "0x10de"},
                            {"device", device},
                            {"subsystem_vendor", "0x1043"},
                            {"subsystem_device", "0x16c2"},
                            {"class", "0x030000"}};
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *rel = g_strdup_printf("sys/devices/pci0000:00/0000:01:00.0/%s", files[i][0]);
    g_autofree char *text = g_strdup_printf("%s\n", files[i][1]);
    cup_test_write(root, rel, text);
  }
  cup_test_symlink(root, "sys/bus/pci/devices/0000:01:00.0",
                   "../../../devices/pci0000:00/0000:01:00.0");
}

/* The stand-in nvidia-smi of test_detect.c: answers `-q -x` with a recorded output. */
static void add_smi(const char *root, const char *xml)
{
  g_autofree char *path = cup_test_fixture(xml);
  g_autofree char *script = g_strdup_printf(
      "#!/bin/sh\ncase \"$*\" in\n  \"-q -x\") exec cat '%s' ;;\n  *) echo \"no capture recorded "
      "for: $*\" >&2; exit 2 ;;\nesac\n",
      path);
  cup_test_write(root, "usr/bin/nvidia-smi", script);
  g_autofree char *exe = g_build_filename(root, "usr/bin/nvidia-smi", NULL);
  g_assert_cmpint(g_chmod(exe, 0755), ==, 0);
}

static void add_toolkit(const char *root, const char *dir, const char *version)
{
  g_autofree char *rel = g_strdup_printf("%s/version.json", dir);
  g_autofree char *json =
      g_strdup_printf("{\"cuda\": {\"name\": \"CUDA SDK\", \"version\": \"%s\"}}\n", version);
  cup_test_write(root, rel, json);
}

static char *toolkit_file(const char *dir, const char *file)
{
  return g_strdup_printf("%s/%s", dir, file);
}

/* ---- running the doctor ----------------------------------------------------------------- */

typedef struct {
  const char *pyenv;  /* tests/fixtures/doctor/python/<pyenv>; NULL: none */
  const char *gpus;   /* CUDAUP_FAKE_GPUS for the fake frameworks */
  const char *path;   /* PATH; NULL: /usr/bin:/bin */
  const char *ld;     /* LD_LIBRARY_PATH; NULL: unset */
  const char *python; /* NULL: PYTHON */
  guint timeout_ms;   /* 0: 30 s */
} Scene;

static char **scene_env(const Scene *s)
{
  char **env = g_new0(char *, 1);
  env = g_environ_setenv(env, "PATH", s->path ? s->path : "/usr/bin:/bin", TRUE);
  env = g_environ_setenv(env, "HOME", "/home/student", TRUE);
  env = g_environ_setenv(env, "CUDAUP_FAKE_GPUS", s->gpus ? s->gpus : "", TRUE);
  if (s->ld)
    env = g_environ_setenv(env, "LD_LIBRARY_PATH", s->ld, TRUE);
  if (s->pyenv) {
    g_autofree char *rel = g_strdup_printf("doctor/python/%s", s->pyenv);
    g_autofree char *dir = cup_test_fixture(rel);
    env = g_environ_setenv(env, "PYTHONPATH", dir, TRUE);
  }
  return env;
}

static CupDoctorFacts *gather(const char *root, const Scene *s)
{
  g_auto(GStrv) env = scene_env(s);
  g_autofree char *pci_ids = cup_test_fixture("pci.ids/pci.ids");
  CupDoctorOptions o = {.root = root,
                        .envp = (const char *const *)env,
                        .manifests_dir = CUP_TEST_MANIFESTS,
                        .pci_ids_path = pci_ids,
                        .python = s->python ? s->python : PYTHON,
                        .python_timeout_ms = s->timeout_ms ? s->timeout_ms : 30000};
  g_autoptr(GError) error = NULL;
  CupDoctorFacts *facts = cup_doctor_gather(&o, &error);
  g_assert_no_error(error);
  g_assert_nonnull(facts);
  return facts;
}

static gboolean have_python(void)
{
  if (g_file_test(PYTHON, G_FILE_TEST_IS_EXECUTABLE))
    return TRUE;
  g_test_skip("no " PYTHON " on this machine: the doctor tests run the real interpreter");
  return FALSE;
}

static void log_report(const CupDoctorReport *r)
{
  g_autofree char *text = cup_doctor_report_text(r);
  g_test_message("%s", text);
}

/* The finding @id of @r, asserted present and of @severity. */
static const CupDoctorFinding *expect(const CupDoctorReport *r, const char *id,
                                      CupDoctorSeverity severity)
{
  log_report(r);
  const CupDoctorFinding *f = cup_doctor_find(r, id);
  g_assert_nonnull(f);
  g_assert_cmpstr(cup_doctor_severity_id(f->severity), ==, cup_doctor_severity_id(severity));
  g_assert_nonnull(f->title);
  g_assert_nonnull(f->fix);
  g_assert_true(g_str_has_prefix(f->source, "http") || g_str_has_prefix(f->source, "README"));
  g_assert_cmpuint(f->evidence->len, >, 0);
  return f;
}

static gboolean evidence_has(const CupDoctorFinding *f, const char *needle)
{
  for (guint i = 0; i < f->evidence->len; i++)
    if (strstr(g_ptr_array_index(f->evidence, i), needle))
      return TRUE;
  return FALSE;
}

static const char *fact(const CupDoctorFinding *f, const char *key)
{
  return json_string_value(json_object_get(f->facts, key));
}

/* ---- the healthy machine ---------------------------------------------------------------- */

static char *healthy_root(void)
{
  char *root = cup_test_make_root();
  add_debian(root, NULL);
  add_smi(root, "nvidia-smi/telegraf/rtx-3060-v12.xml"); /* 570.124.04, CUDA 12.8 */
  return root;
}

static const Scene healthy_scene = {.pyenv = "torch-2.4.0-cu124",
                                    .gpus = "NVIDIA GeForce RTX 3060"};

static void test_healthy(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  g_autoptr(CupDoctorFacts) facts = gather(root, &healthy_scene);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  log_report(r);
  g_assert_cmpuint(r->findings->len, ==, 0);
  g_assert_cmpuint(r->problems, ==, 0);
  g_assert_cmpstr(r->status, ==, "ready");
  g_assert_cmpstr(r->verdict, ==, "Ready: PyTorch 2.4.0 will use the GPU");
  cup_test_remove_tree(root);
}

/* ---- one test per finding --------------------------------------------------------------- */

static void test_torch_cpu_wheel(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  Scene s = {.pyenv = "torch-2.1.2-cpu", .gpus = "NVIDIA GeForce RTX 3060"};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_TORCH_CPU_WHEEL, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "torch_version"), ==, "2.1.2+cpu");
  g_assert_true(evidence_has(f, "torch.version.cuda is None"));
  g_assert_true(evidence_has(f, "torch-2.1.2-cpu/torch/__init__.py"));
  /* torch 2.1's stable CUDA build that driver 570 (CUDA 12.8) runs. */
  g_assert_cmpstr(f->command, ==,
                  PYTHON " -m pip install --force-reinstall torch==2.1.2 --index-url "
                         "https://download.pytorch.org/whl/cu118");
  g_assert_cmpuint(r->problems, ==, 1);
  g_assert_cmpstr(r->verdict, ==, "1 problem found");
  g_assert_null(cup_doctor_find(r, CUP_DOCTOR_FRAMEWORK_SEES_NO_GPU));
  cup_test_remove_tree(root);
}

static void test_torch_cuda_newer_than_driver(void)
{
  if (!have_python())
    return;
  g_autofree char *root = cup_test_make_root();
  add_debian(root, NULL);
  add_smi(root, "nvidia-smi/telegraf/gt-1030.xml"); /* 470.74, CUDA 11.4 */
  Scene s = {.pyenv = "torch-2.4.0-cu124"};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_TORCH_CUDA_NEWER_THAN_DRIVER, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "torch_cuda"), ==, "12.4");
  g_assert_cmpstr(fact(f, "driver_version"), ==, "470.74");
  g_assert_cmpstr(fact(f, "driver_cuda_version"), ==, "11.4");
  g_assert_cmpstr(fact(f, "minimum_driver"), ==, "550.54.15");
  g_assert_true(evidence_has(f, "driver 470.74 supports CUDA up to 11.4"));
  g_assert_nonnull(f->command);
  /* The GT 1030 (6.1) runs the sm_60 code of the wheel: no arch finding. */
  g_assert_null(cup_doctor_find(r, CUP_DOCTOR_TORCH_ARCH_MISSING));
  cup_test_remove_tree(root);
}

static void test_torch_arch_missing(void)
{
  if (!have_python())
    return;
  g_autofree char *root = cup_test_make_root();
  add_debian(root, NULL);
  add_smi(root, "nvidia-smi/telegraf/pro-6000-maxq-blackwell-v13.xml"); /* 590.44.01, 13.1 */
  Scene s = {.pyenv = "torch-2.4.0-cu124", .gpus = "NVIDIA RTX PRO 6000"};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_TORCH_ARCH_MISSING, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "compute_capability"), ==, "12.0");
  g_assert_cmpstr(fact(f, "arch_list"), ==, "sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90");
  g_assert_true(evidence_has(f, "has compute capability 12.0"));
  /* The newest release the catalog says carries 12.0, for a CUDA driver 590 runs (13.0). */
  g_assert_nonnull(strstr(f->command, "--index-url https://download.pytorch.org/whl/cu130"));
  cup_test_remove_tree(root);
}

static void test_no_driver(void)
{
  if (!have_python())
    return;
  g_autofree char *root = cup_test_make_root();
  add_debian(root, NULL);
  add_pci(root, "0x24e0");
  Scene s = {0};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_NO_DRIVER, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "pci_id"), ==, "10de:24e0");
  g_assert_cmpstr(fact(f, "compute_capability"), ==, "8.6");
  g_assert_cmpstr(fact(f, "nvidia_module_loaded"), ==, "no");
  g_assert_true(evidence_has(f, "PCI 10de:24e0"));
  g_assert_nonnull(strstr(f->command, "apt install nvidia-driver"));
  g_assert_null(cup_doctor_find(r, CUP_DOCTOR_SECURE_BOOT_BLOCKS_NVIDIA));
  g_assert_null(cup_doctor_find(r, CUP_DOCTOR_NOUVEAU_LOADED));
  cup_test_remove_tree(root);
}

static void test_driver_too_old_for_toolkit(void)
{
  if (!have_python())
    return;
  g_autofree char *root = cup_test_make_root();
  add_debian(root, NULL);
  add_smi(root, "nvidia-smi/telegraf/a100-sxm4-v12.xml"); /* 535.54.03, CUDA 12.2 */
  add_toolkit(root, "usr/local/cuda-13.0", "13.0.2");
  add_toolkit(root, "usr/local/cuda-12.4", "12.4.1");
  Scene s = {0};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  /* CUDA 13 cannot run on a CUDA 12 driver: an error. */
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_DRIVER_TOO_OLD_FOR_TOOLKIT, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "toolkit_version"), ==, "13.0.2");
  g_assert_cmpstr(fact(f, "toolkit_root"), ==, "/usr/local/cuda-13.0");
  g_assert_cmpstr(fact(f, "minimum_driver"), ==, "580.95.05");
  g_assert_true(evidence_has(f, "driver 535.54.03 supports CUDA up to 12.2"));
  g_assert_cmpstr(f->command, ==, "cudaup install --cuda 12.2");
  /* 12.4 on a 12.2 driver runs through minor-version compatibility: a warning. */
  const CupDoctorFinding *minor = NULL;
  for (guint i = 0; i < r->findings->len; i++) {
    const CupDoctorFinding *x = g_ptr_array_index(r->findings, i);
    if (strcmp(x->id, CUP_DOCTOR_DRIVER_TOO_OLD_FOR_TOOLKIT) == 0 && x != f)
      minor = x;
  }
  g_assert_nonnull(minor);
  g_assert_cmpint(minor->severity, ==, CUP_DOCTOR_WARNING);
  g_assert_cmpstr(fact(minor, "toolkit_version"), ==, "12.4.1");
  cup_test_remove_tree(root);
}

static void test_smi_cuda_version_is_not_toolkit(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root(); /* nvidia-smi says CUDA 12.8 */
  g_autofree char *json = cup_test_read_fixture("toolkits/version-11.8-runfile.json", NULL);
  cup_test_write(root, "usr/local/cuda-11.8/version.json", json);
  Scene s = {0};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f =
      expect(r, CUP_DOCTOR_SMI_CUDA_VERSION_IS_NOT_TOOLKIT, CUP_DOCTOR_INFO);
  g_assert_cmpstr(fact(f, "driver_cuda_version"), ==, "12.8");
  g_assert_cmpstr(fact(f, "toolkits"), ==, "11.8 (/usr/local/cuda-11.8)");
  g_assert_true(evidence_has(f, "nvidia-smi says \"CUDA Version: 12.8\""));
  g_assert_nonnull(strstr(f->explanation, "newest CUDA version the driver can run"));
  /* An explanation is not a problem. */
  g_assert_cmpuint(r->problems, ==, 0);
  g_assert_cmpstr(r->status, ==, "no-framework");
  cup_test_remove_tree(root);
}

static void test_nouveau_loaded(void)
{
  if (!have_python())
    return;
  g_autofree char *root = cup_test_make_root();
  g_autofree char *modules = cup_test_read_fixture("osinfo/proc-modules-nouveau", NULL);
  add_debian(root, modules);
  add_pci(root, "0x24e0");
  Scene s = {0};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_NOUVEAU_LOADED, CUP_DOCTOR_ERROR);
  g_assert_true(evidence_has(f, "nouveau kernel module is loaded"));
  g_assert_nonnull(strstr(f->command, "blacklist nouveau"));
  cup_test_remove_tree(root);
}

static void test_secure_boot(void)
{
  if (!have_python())
    return;
  g_autofree char *root = cup_test_make_root();
  add_debian(root, NULL);
  add_pci(root, "0x24e0");
  /* efivarfs: 4 attribute bytes (NV|BS|RT), then the value: 1 = on. */
  cup_test_write(root, SECURE_BOOT_VAR, "");
  g_autofree char *var = g_build_filename(root, SECURE_BOOT_VAR, NULL);
  const char data[] = {0x06, 0x00, 0x00, 0x00, 0x01};
  g_assert_true(g_file_set_contents(var, data, sizeof data, NULL));
  Scene s = {0};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_assert_cmpint(facts->sys->secure_boot, ==, CUP_YES);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_SECURE_BOOT_BLOCKS_NVIDIA, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "secure_boot"), ==, "yes");
  g_assert_cmpstr(fact(f, "nvidia_module_loaded"), ==, "no");
  g_assert_nonnull(strstr(f->command, "mokutil --import"));
  cup_test_remove_tree(root);
}

static void add_nvcc(const char *root, const char *dir)
{
  g_autofree char *rel = toolkit_file(dir, "bin/nvcc");
  cup_test_write(root, rel, "#!/bin/sh\nexit 1\n");
  g_autofree char *exe = g_build_filename(root, rel, NULL);
  g_assert_cmpint(g_chmod(exe, 0755), ==, 0);
}

static void test_toolkits_path_order(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  add_toolkit(root, "usr/local/cuda-11.8", "11.8.0");
  add_toolkit(root, "usr/local/cuda-12.4", "12.4.1");
  add_nvcc(root, "usr/local/cuda-11.8");
  add_nvcc(root, "usr/local/cuda-12.4");
  Scene s = {.path = "/usr/local/cuda-11.8/bin:/usr/local/cuda-12.4/bin:/usr/bin:/bin"};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_TOOLKITS_PATH_ORDER, CUP_DOCTOR_WARNING);
  g_assert_cmpstr(fact(f, "first_on_path"), ==, "/usr/local/cuda-11.8");
  g_assert_cmpstr(fact(f, "intended"), ==, "/usr/local/cuda-12.4");
  g_assert_true(evidence_has(f, "PATH entry 1: /usr/local/cuda-11.8/bin (CUDA 11.8"));
  g_assert_true(evidence_has(f, "PATH entry 2: /usr/local/cuda-12.4/bin (CUDA 12.4"));
  g_assert_cmpstr(f->command, ==, "cudaup env apply --prefix /usr/local/cuda-12.4");
  cup_test_remove_tree(root);
}

static void test_cudnn_shadows_framework(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  add_toolkit(root, "usr/local/cuda-12.4", "12.4.1");
  cup_test_write(root, "usr/local/cuda-12.4/lib64/libcudnn.so.9.19.0", "");
  cup_test_symlink(root, "usr/local/cuda-12.4/lib64/libcudnn.so.9", "libcudnn.so.9.19.0");
  Scene s = healthy_scene;
  s.ld = "/usr/local/cuda-12.4/lib64";
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_CUDNN_SHADOWS_FRAMEWORK, CUP_DOCTOR_WARNING);
  g_assert_cmpstr(fact(f, "library"), ==, "/usr/local/cuda-12.4/lib64/libcudnn.so.9.19.0");
  g_assert_cmpstr(fact(f, "library_version"), ==, "9.19.0");
  g_assert_cmpstr(fact(f, "via"), ==, "LD_LIBRARY_PATH");
  g_assert_cmpstr(fact(f, "framework_cudnn"), ==, "9.1.0");
  g_assert_true(evidence_has(f, "nvidia/cudnn/lib/libcudnn.so.9"));
  cup_test_remove_tree(root);
}

static void test_stubs_on_library_path(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  add_toolkit(root, "usr/local/cuda-12.4", "12.4.1");
  cup_test_write(root, "usr/local/cuda-12.4/lib64/stubs/libcuda.so", "");
  cup_test_write(root, "etc/ld.so.conf.d/cuda-stubs.conf", "/usr/local/cuda-12.4/lib64/stubs\n");
  Scene s = {.ld = "/usr/local/cuda-12.4/lib64/stubs/"};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_STUBS_ON_LIBRARY_PATH, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "path"), ==, "/usr/local/cuda-12.4/lib64/stubs/");
  g_assert_cmpstr(fact(f, "via"), ==, "LD_LIBRARY_PATH");
  g_assert_true(evidence_has(f, "/etc/ld.so.conf.d/cuda-stubs.conf lists "
                                "/usr/local/cuda-12.4/lib64/stubs"));
  cup_test_remove_tree(root);
}

static void test_cudnn_cuda_major_mismatch_in_toolkit(void)
{
  if (!have_python())
    return;
  g_autofree char *root = cup_test_make_root();
  add_debian(root, NULL);
  add_smi(root, "nvidia-smi/telegraf/3090-v13.xml"); /* 590.44.01, CUDA 13.1 */
  add_toolkit(root, "usr/local/cuda-13.0", "13.0.2");
  g_autofree char *header = cup_test_read_fixture("toolkits/cudnn_version-8.9.7.h", NULL);
  cup_test_write(root, "usr/local/cuda-13.0/include/cudnn_version.h", header);
  Scene s = {0};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_CUDNN_CUDA_MAJOR_MISMATCH, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "cudnn_version"), ==, "8.9.7");
  g_assert_cmpstr(fact(f, "toolkit_root"), ==, "/usr/local/cuda-13.0");
  g_assert_true(evidence_has(f, "cuDNN 8.9.7 is built for CUDA 12."));
  g_assert_true(g_str_has_prefix(f->command, "cudaup install --prefix /usr/local/cuda-13.0 "
                                             "--cudnn 9."));
  cup_test_remove_tree(root);
}

static void test_cudnn_wheel_major_mismatch(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  Scene s = {.pyenv = "torch-2.4.0-cu124-cudnn-cu11", .gpus = "NVIDIA GeForce RTX 3060"};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_CUDNN_CUDA_MAJOR_MISMATCH, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "cudnn_wheel"), ==, "nvidia-cudnn-cu11");
  g_assert_cmpstr(fact(f, "cudnn_wheel_version"), ==, "8.9.2.26");
  g_assert_cmpstr(fact(f, "torch_cuda"), ==, "12.4");
  g_assert_nonnull(strstr(f->command, "pip uninstall -y nvidia-cudnn-cu11"));
  cup_test_remove_tree(root);
}

static void test_wsl_linux_driver(void)
{
  if (!have_python())
    return;
  g_autofree char *root = cup_test_make_root();
  add_debian(root, NULL);
  cup_test_write(root, "proc/sys/kernel/osrelease", "5.15.153.1-microsoft-standard-WSL2\n");
  cup_test_write(root, "usr/lib/wsl/lib/libcuda.so.1", "");
  cup_test_symlink(root, "usr/lib/x86_64-linux-gnu/libcuda.so", "/usr/lib/wsl/lib/libcuda.so.1");
  cup_test_write(root, "usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14", "");
  Scene s = {0};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_assert_cmpint(facts->sys->os.wsl, ==, CUP_YES);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_WSL_LINUX_DRIVER, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "library"), ==, "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14");
  g_assert_cmpuint(f->evidence->len, ==, 1); /* the link into /usr/lib/wsl is Windows' own */
  cup_test_remove_tree(root);
}

static void test_unfinished_install(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  add_toolkit(root, "usr/local/cuda-12.8", "12.8.1");
  cup_test_write(root, "usr/local/cuda-12.8/.cudaup/journal",
                 "{\"op\":\"begin\",\"txn\":\"t1\",\"what\":\"install of cudnn-9.19\",\"pid\":4242,"
                 "\"time\":\"2025-03-01T10:00:00Z\"}\n{\"op\":\"add\",\"path\":\"lib64/x\"}\n");
  /* A first install that died before writing version.json: not a toolkit yet. */
  cup_test_write(root, "usr/local/cuda-13.0/.cudaup/journal", "{\"op\":\"begin\"");
  Scene s = {0};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_UNFINISHED_INSTALL, CUP_DOCTOR_WARNING);
  g_assert_cmpstr(fact(f, "root"), ==, "/usr/local/cuda-12.8");
  g_assert_cmpstr(fact(f, "what"), ==, "install of cudnn-9.19");
  g_assert_true(evidence_has(f, "started 2025-03-01T10:00:00Z"));
  g_assert_cmpstr(f->command, ==, "sudo cudaup detect");
  g_assert_cmpuint(facts->journals->len, ==, 2);
  cup_test_remove_tree(root);
}

static void test_framework_sees_no_gpu(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  Scene s = {.pyenv = "torch-2.4.0-cu124"}; /* the fake driver shows no GPU to torch */
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_FRAMEWORK_SEES_NO_GPU, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "framework"), ==, "PyTorch");
  g_assert_true(evidence_has(f, "CUDA build (CUDA 12.4)"));
  g_assert_nonnull(strstr(f->command, "torch.cuda.init()"));
  /* A torch that cannot even be imported says why. */
  Scene broken = {.pyenv = "torch-broken"};
  g_autoptr(CupDoctorFacts) facts2 = gather(root, &broken);
  g_autoptr(CupDoctorReport) r2 = cup_doctor_diagnose(facts2);
  const CupDoctorFinding *f2 = expect(r2, CUP_DOCTOR_FRAMEWORK_SEES_NO_GPU, CUP_DOCTOR_ERROR);
  g_assert_true(evidence_has(f2, "importing it failed: ImportError: libcudnn.so.9"));
  cup_test_remove_tree(root);
}

static void test_python_probe_failed(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  g_autofree char *hangs = cup_test_fixture("doctor/python-bin/hangs");
  Scene s = {.python = hangs, .timeout_ms = 1000};
  g_autoptr(CupDoctorFacts) facts = gather(root, &s);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_PYTHON_PROBE_FAILED, CUP_DOCTOR_WARNING);
  g_assert_true(evidence_has(f, "did not answer within 1 s"));
  cup_test_remove_tree(root);
}

/* ---- native Windows: facts built by hand (detection there is another module) ------------- */

static CupDoctorFacts *windows_facts(const char *pyenv, gboolean with_cudnn)
{
  CupDoctorFacts *f = cup_doctor_facts_new();
  g_autoptr(GError) error = NULL;
  f->catalog = cup_catalog_load(CUP_TEST_MANIFESTS, NULL, &error);
  g_assert_no_error(error);
  f->sys->os.family = g_strdup("windows");
  f->sys->os.distribution = g_strdup("windows");
  f->sys->os.wsl = CUP_NO;
  /* As netdata's rtx-2080-win.xml recording: driver 516.59, CUDA 11.7. */
  CupGpu *gpu = cup_gpu_new();
  gpu->index = 0;
  cup_gpu_set(gpu, "name", "NVIDIA GeForce RTX 2080", "nvidia-smi");
  cup_gpu_set(gpu, "pci_id", "10de:1e87", "nvidia-smi");
  cup_gpu_set(gpu, "compute_capability", "7.5", "gpu-table");
  g_ptr_array_add(f->sys->gpus, gpu);
  f->sys->driver.version = g_strdup("516.59");
  f->sys->driver.cuda_version = g_strdup("11.7");
  CupToolkit *tk = cup_toolkit_new();
  tk->version = g_strdup("11.2");
  tk->root = g_strdup("C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.2");
  g_ptr_array_add(f->sys->toolkits, tk);
  if (with_cudnn)
    g_ptr_array_add(f->cudnn_on_path,
                    cup_doctor_file_new("C:\\tools\\cudnn\\bin\\cudnn64_8.dll", "8", "PATH"));
  g_autofree char *dir = cup_test_fixture(pyenv);
  g_autofree char *pythonpath = g_strdup_printf("PYTHONPATH=%s", dir);
  const char *envp[] = {"PATH=/usr/bin:/bin", "CUDAUP_FAKE_GPUS=", pythonpath, NULL};
  CupPyProbeOptions po = {.python = PYTHON, .envp = envp, .timeout_ms = 30000};
  f->python = g_strdup(PYTHON);
  f->probe = cup_pyprobe_run(&po, &error);
  g_assert_no_error(error);
  return f;
}

static void test_tf_windows_cudnn_missing(void)
{
  if (!have_python())
    return;
  g_autoptr(CupDoctorFacts) facts = windows_facts("doctor/python/tensorflow-2.10.0-windows", FALSE);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_TF_WINDOWS_CUDNN_MISSING, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "tensorflow_version"), ==, "2.10.0");
  g_assert_cmpstr(fact(f, "cuda"), ==, "11.2");
  g_assert_cmpstr(fact(f, "cudnn"), ==, "8.1");
  g_assert_true(evidence_has(f, "CUDA Toolkit 11.2 at C:\\Program Files\\NVIDIA GPU Computing "
                                "Toolkit\\CUDA\\v11.2 has no cuDNN"));
  g_assert_true(evidence_has(f, "no cudnn64_8.dll on PATH"));
  g_assert_cmpstr(f->command, ==, "cudaup install --cuda 11.2 --cudnn 8.1");
  /* With cudnn64_8.dll on PATH the rule is quiet. */
  g_autoptr(CupDoctorFacts) ok = windows_facts("doctor/python/tensorflow-2.10.0-windows", TRUE);
  g_autoptr(CupDoctorReport) r2 = cup_doctor_diagnose(ok);
  g_assert_null(cup_doctor_find(r2, CUP_DOCTOR_TF_WINDOWS_CUDNN_MISSING));
}

static void test_tf_windows_native_gpu(void)
{
  if (!have_python())
    return;
  g_autoptr(CupDoctorFacts) facts = windows_facts("doctor/python/tensorflow-2.15.0-windows", FALSE);
  g_autoptr(CupDoctorReport) r = cup_doctor_diagnose(facts);
  const CupDoctorFinding *f = expect(r, CUP_DOCTOR_TF_WINDOWS_NATIVE_GPU, CUP_DOCTOR_ERROR);
  g_assert_cmpstr(fact(f, "tensorflow_version"), ==, "2.15.0");
  g_assert_cmpstr(fact(f, "last_windows_gpu_version"), ==, "2.10.0");
  g_assert_cmpstr(f->command, ==, "cudaup install --framework tensorflow==2.10");
  /* A CPU build is explained by this rule, not by the catch-all. */
  g_assert_null(cup_doctor_find(r, CUP_DOCTOR_FRAMEWORK_SEES_NO_GPU));
}

/* ---- the command line ------------------------------------------------------------------- */

static CupTestRun run_cli(const char *root, const Scene *s, const char *const *extra_env,
                          gboolean json)
{
  g_auto(GStrv) env = scene_env(s);
  for (const char *const *kv = extra_env; kv && *kv; kv++) {
    g_auto(GStrv) pair = g_strsplit(*kv, "=", 2);
    env = g_environ_setenv(env, pair[0], pair[1], TRUE);
  }
  g_autofree char *pci_ids = cup_test_fixture("pci.ids/pci.ids");
  const char *argv[] = {
      CUP_TEST_CLI,           "doctor",    "--root", root,       "--catalog",
      CUP_TEST_MANIFESTS,     "--pci-ids", pci_ids,  "--python", s->python ? s->python : PYTHON,
      json ? "--json" : NULL, NULL};
  return cup_test_run(argv, (const char *const *)env);
}

static void test_cli(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  {
    g_auto(CupTestRun) run = run_cli(root, &healthy_scene, NULL, FALSE);
    g_assert_cmpint(run.status, ==, 0);
    g_assert_true(g_str_has_prefix(run.out, "Ready: PyTorch 2.4.0 will use the GPU\n"));
  }
  Scene cpu = {.pyenv = "torch-2.1.2-cpu", .gpus = "NVIDIA GeForce RTX 3060"};
  {
    g_auto(CupTestRun) run = run_cli(root, &cpu, NULL, FALSE);
    g_assert_cmpint(run.status, ==, 15); /* check-failed: problems found */
    g_assert_true(g_str_has_prefix(run.out, "1 problem found\n"));
    g_assert_nonnull(strstr(run.out, "(torch-cpu-wheel)"));
    g_assert_nonnull(strstr(run.out, "--index-url https://download.pytorch.org/whl/cu118"));
  }
  {
    g_auto(CupTestRun) run = run_cli(root, &cpu, NULL, TRUE);
    g_assert_cmpint(run.status, ==, 15);
    json_error_t jerr;
    g_autoptr(json_t) json = json_loads(run.out, 0, &jerr);
    g_assert_nonnull(json);
    g_assert_cmpstr(json_string_value(json_object_get(json, "schema")), ==, CUP_DOCTOR_SCHEMA);
    g_assert_cmpstr(json_string_value(json_object_get(json, "status")), ==, "problems");
    g_assert_cmpint(json_integer_value(json_object_get(json, "problems")), ==, 1);
    json_t *first = json_array_get(json_object_get(json, "findings"), 0);
    g_assert_cmpstr(json_string_value(json_object_get(first, "id")), ==, "torch-cpu-wheel");
    g_assert_cmpstr(json_string_value(json_object_get(first, "severity")), ==, "error");
    g_assert_cmpstr(
        json_string_value(json_object_get(json_object_get(first, "facts"), "torch_version")), ==,
        "2.1.2+cpu");
    json_t *torch = json_object_get(json_object_get(json, "python"), "torch");
    g_assert_cmpstr(json_string_value(json_object_get(torch, "version")), ==, "2.1.2+cpu");
    json_t *driver = json_object_get(json_object_get(json, "system"), "driver");
    g_assert_cmpstr(json_string_value(json_object_get(driver, "version")), ==, "570.124.04");
  }
  {
    Scene missing = {.python = "/nonexistent/python3"};
    g_auto(CupTestRun) run = run_cli(root, &missing, NULL, FALSE);
    g_assert_cmpint(run.status, ==, 12); /* not-found */
    g_assert_nonnull(strstr(run.err, "--python EXE"));
  }
  cup_test_remove_tree(root);
}

static void test_cli_korean(void)
{
  if (!have_python())
    return;
  g_autofree char *root = healthy_root();
  g_autofree char *bin = g_path_get_dirname(CUP_TEST_CLI);
  g_autofree char *build = g_path_get_dirname(bin);
  g_autofree char *localedir = g_build_filename(build, "locale", NULL);
  g_autofree char *dir_env = g_strdup_printf("CUDAUP_LOCALEDIR=%s", localedir);
  const char *ko[] = {"LANGUAGE=ko", "LC_ALL=C.UTF-8", dir_env, NULL};
  {
    g_auto(CupTestRun) run = run_cli(root, &healthy_scene, ko, FALSE);
    g_assert_cmpint(run.status, ==, 0);
    g_assert_true(g_str_has_prefix(run.out, "준비 완료: PyTorch 2.4.0이(가) GPU를 사용합니다\n"));
  }
  Scene cpu = {.pyenv = "torch-2.1.2-cpu", .gpus = "NVIDIA GeForce RTX 3060"};
  g_auto(CupTestRun) run = run_cli(root, &cpu, ko, FALSE);
  g_assert_cmpint(run.status, ==, 15);
  g_assert_true(g_str_has_prefix(run.out, "문제 1개를 찾았습니다\n"));
  g_assert_nonnull(strstr(run.out, "PyTorch 2.1.2+cpu은(는) CPU 전용 빌드입니다"));
  cup_test_remove_tree(root);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/doctor/healthy", test_healthy);
  g_test_add_func("/doctor/torch-cpu-wheel", test_torch_cpu_wheel);
  g_test_add_func("/doctor/torch-cuda-newer-than-driver", test_torch_cuda_newer_than_driver);
  g_test_add_func("/doctor/torch-arch-missing", test_torch_arch_missing);
  g_test_add_func("/doctor/no-driver", test_no_driver);
  g_test_add_func("/doctor/driver-too-old-for-toolkit", test_driver_too_old_for_toolkit);
  g_test_add_func("/doctor/smi-cuda-version-is-not-toolkit", test_smi_cuda_version_is_not_toolkit);
  g_test_add_func("/doctor/nouveau-loaded", test_nouveau_loaded);
  g_test_add_func("/doctor/secure-boot-blocks-nvidia", test_secure_boot);
  g_test_add_func("/doctor/toolkits-path-order", test_toolkits_path_order);
  g_test_add_func("/doctor/cudnn-shadows-framework", test_cudnn_shadows_framework);
  g_test_add_func("/doctor/stubs-on-library-path", test_stubs_on_library_path);
  g_test_add_func("/doctor/cudnn-cuda-major-mismatch/toolkit",
                  test_cudnn_cuda_major_mismatch_in_toolkit);
  g_test_add_func("/doctor/cudnn-cuda-major-mismatch/wheel", test_cudnn_wheel_major_mismatch);
  g_test_add_func("/doctor/wsl-linux-driver", test_wsl_linux_driver);
  g_test_add_func("/doctor/unfinished-install", test_unfinished_install);
  g_test_add_func("/doctor/framework-sees-no-gpu", test_framework_sees_no_gpu);
  g_test_add_func("/doctor/python-probe-failed", test_python_probe_failed);
  g_test_add_func("/doctor/tf-windows-cudnn-missing", test_tf_windows_cudnn_missing);
  g_test_add_func("/doctor/tf-windows-native-gpu", test_tf_windows_native_gpu);
  g_test_add_func("/doctor/cli", test_cli);
  g_test_add_func("/doctor/cli-korean", test_cli_korean);
  return g_test_run();
}
