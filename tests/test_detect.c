/* test_detect.c - the detect pipeline end to end against fixture roots: sysfs trees, recorded
 * nvidia-smi outputs replayed by a stand-in program, and the stand-in NVML library. */
#include "core/detect.h"
#include "core/error.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

/* ---- fixture builders ------------------------------------------------------------------- */

static void add_pci(const char *root, const char *bus, const char *vendor, const char *device,
                    const char *sub_vendor, const char *sub_device, const char *class_code)
{
  g_autofree char *dir = g_strdup_printf("sys/devices/pci0000:00/%s", bus);
  g_autofree char *link = g_strdup_printf("sys/bus/pci/devices/%s", bus);
  g_autofree char *target = g_strdup_printf("../../../devices/pci0000:00/%s", bus);
  const char *files[][2] = {{"vendor", vendor},
                            {"device", device},
                            {"subsystem_vendor", sub_vendor},
                            {"subsystem_device", sub_device},
                            {"class", class_code}};
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *rel = g_strdup_printf("%s/%s", dir, files[i][0]);
    g_autofree char *text = g_strdup_printf("%s\n", files[i][1]);
    cup_test_write(root, rel, text);
  }
  cup_test_symlink(root, link, target);
}

static void add_debian(const char *root)
{
  cup_test_write(root, "etc/os-release",
                 "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
                 "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n");
  cup_test_write(root, "proc/modules", "");
}

/* A stand-in nvidia-smi: answers each recorded command line with its capture and fails, as
 * the real one does for an unsupported query, on anything else. */
static void add_fake_smi(const char *root, const char *xml, const char *query_text)
{
  g_autoptr(GString) script = g_string_new("#!/bin/sh\ncase \"$*\" in\n");
  if (xml) {
    g_autofree char *path = cup_test_fixture(xml);
    g_string_append_printf(script, "  \"-q -x\") exec cat '%s' ;;\n", path);
  }
  if (query_text) {
    g_autofree char *path = cup_test_fixture(query_text);
    g_string_append_printf(script, "  \"-q\") exec cat '%s' ;;\n", path);
  }
  g_string_append(script, "  *) echo \"no capture recorded for: $*\" >&2; exit 2 ;;\nesac\n");
  cup_test_write(root, "usr/bin/nvidia-smi", script->str);
  g_autofree char *exe = g_build_filename(root, "usr/bin/nvidia-smi", NULL);
  g_assert_cmpint(g_chmod(exe, 0755), ==, 0);
}

static CupSystem *detect_root(const char *root)
{
  const char *envp[] = {"PATH=/usr/bin:/bin", "HOME=/home/student", NULL};
  g_autofree char *pci_ids = cup_test_fixture("pci.ids/pci.ids");
  CupDetectOptions o = {
      .root = root, .envp = envp, .manifests_dir = CUP_TEST_MANIFESTS, .pci_ids_path = pci_ids};
  g_autoptr(GError) error = NULL;
  CupSystem *sys = cup_detect(&o, &error);
  g_assert_no_error(error);
  g_assert_nonnull(sys);
  return sys;
}

static CupGpu *gpu_at(CupSystem *sys, guint i)
{
  g_assert_cmpuint(i, <, sys->gpus->len);
  return g_ptr_array_index(sys->gpus, i);
}

static gboolean has_source(const CupGpu *gpu, const char *source)
{
  for (guint i = 0; i < gpu->sources->len; i++)
    if (strcmp(g_ptr_array_index(gpu->sources, i), source) == 0)
      return TRUE;
  return FALSE;
}

static gboolean warned(const CupSystem *sys, const char *needle)
{
  for (guint i = 0; i < sys->warnings->len; i++)
    if (strstr(g_ptr_array_index(sys->warnings, i), needle))
      return TRUE;
  return FALSE;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_laptop_without_driver(void)
{
  g_autofree char *root = cup_test_make_root();
  add_debian(root);
  add_pci(root, "0000:00:02.0", "0x8086", "0x9a49", "0x1043", "0x16c2", "0x030000");
  add_pci(root, "0000:01:00.0", "0x10de", "0x24e0", "0x1043", "0x16c2", "0x030000");
  add_pci(root, "0000:01:00.1", "0x10de", "0x228b", "0x1043", "0x16c2", "0x040300");
  g_autoptr(CupSystem) sys = detect_root(root);
  g_assert_cmpuint(sys->gpus->len, ==, 1);
  CupGpu *gpu = gpu_at(sys, 0);
  g_assert_cmpint(gpu->index, ==, 0);
  g_assert_cmpstr(gpu->pci_id, ==, "10de:24e0");
  g_assert_cmpstr(gpu->subsystem_id, ==, "1043:16c2");
  g_assert_cmpstr(gpu->bus_id, ==, "0000:01:00.0");
  g_assert_cmpstr(gpu->chip, ==, "GA104");
  g_assert_cmpstr(gpu->architecture, ==, "Ampere");
  g_assert_cmpstr(gpu->compute_capability, ==, "8.6");
  g_assert_nonnull(strstr(gpu->name, "3070 Ti"));
  g_assert_cmpint(gpu->memory_mib, ==, -1);
  g_assert_null(gpu->mig_mode);
  g_assert_true(has_source(gpu, "pci"));
  g_assert_true(has_source(gpu, "gpu-table"));
  g_assert_cmpstr(g_hash_table_lookup(gpu->fact_sources, "compute_capability"), ==, "gpu-table");
  g_assert_null(sys->driver.version);
  g_assert_null(sys->driver.cuda_version);
  g_assert_cmpstr(sys->os.distribution, ==, "debian");
  cup_test_remove_tree(root);
}

static void test_a100_mig_from_nvidia_smi(void)
{
  g_autofree char *root = cup_test_make_root();
  add_debian(root);
  add_pci(root, "0000:01:00.0", "0x10de", "0x20b2", "0x10de", "0x147f", "0x030200");
  add_fake_smi(root, "nvidia-smi/telegraf/a100-sxm4-v12.xml", NULL);
  g_autoptr(CupSystem) sys = detect_root(root);
  g_assert_cmpuint(sys->gpus->len, ==, 1); /* the four MIG instances are not GPUs */
  CupGpu *gpu = gpu_at(sys, 0);
  g_assert_cmpstr(gpu->name, ==, "NVIDIA A100-SXM4-80GB");
  g_assert_cmpstr(gpu->compute_capability, ==, "8.0");
  g_assert_cmpstr(gpu->chip, ==, "GA100");
  g_assert_cmpstr(gpu->mig_mode, ==, "enabled");
  g_assert_cmpint(gpu->memory_mib, ==, 81920);
  g_assert_true(has_source(gpu, "nvidia-smi"));
  g_assert_true(has_source(gpu, "pci"));
  g_assert_cmpstr(g_hash_table_lookup(gpu->fact_sources, "name"), ==, "nvidia-smi");
  g_assert_cmpstr(sys->driver.version, ==, "535.54.03");
  g_assert_cmpstr(sys->driver.cuda_version, ==, "12.2");
  g_assert_cmpstr(sys->driver.source, ==, "nvidia-smi");
  cup_test_remove_tree(root);
}

static void use_fake_nvml(const char *root, const char *recording)
{
  g_autofree char *rec = cup_test_fixture(recording);
  cup_test_symlink(root, "usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", CUP_TEST_FAKE_NVML);
  g_setenv("CUP_FAKE_NVML", rec, TRUE);
}

static void test_a100_mig_from_nvml(void)
{
  g_autofree char *root = cup_test_make_root();
  add_debian(root);
  add_pci(root, "0000:01:00.0", "0x10de", "0x20b2", "0x10de", "0x147f", "0x030200");
  use_fake_nvml(root, "nvml/a100-sxm4-mig.ini");
  /* nvidia-smi must not be run when NVML answered: this one would leave a mark. */
  g_autofree char *mark = g_build_filename(root, "smi-was-run", NULL);
  g_autofree char *script = g_strdup_printf("#!/bin/sh\ntouch '%s'\nexit 1\n", mark);
  cup_test_write(root, "usr/bin/nvidia-smi", script);
  g_autofree char *exe = g_build_filename(root, "usr/bin/nvidia-smi", NULL);
  g_chmod(exe, 0755);
  g_autoptr(CupSystem) sys = detect_root(root);
  g_assert_false(g_file_test(mark, G_FILE_TEST_EXISTS));
  g_assert_cmpuint(sys->gpus->len, ==, 1);
  CupGpu *gpu = gpu_at(sys, 0);
  g_assert_cmpstr(gpu->pci_id, ==, "10de:20b2");
  g_assert_cmpstr(gpu->subsystem_id, ==, "10de:147f");
  g_assert_cmpstr(gpu->bus_id, ==, "0000:01:00.0");
  g_assert_cmpstr(gpu->compute_capability, ==, "8.0");
  g_assert_cmpstr(g_hash_table_lookup(gpu->fact_sources, "compute_capability"), ==, "nvml");
  g_assert_cmpstr(gpu->mig_mode, ==, "enabled");
  g_assert_cmpint(gpu->memory_mib, ==, 81920);
  g_assert_cmpstr(sys->driver.version, ==, "535.54.03");
  g_assert_cmpstr(sys->driver.cuda_version, ==, "12.2");
  g_assert_cmpstr(sys->driver.source, ==, "nvml");
  g_unsetenv("CUP_FAKE_NVML");
  cup_test_remove_tree(root);
}

static void test_nvml_driver_not_loaded(void)
{
  g_autofree char *root = cup_test_make_root();
  add_debian(root);
  add_pci(root, "0000:01:00.0", "0x10de", "0x24e0", "0x1043", "0x16c2", "0x030000");
  use_fake_nvml(root, "nvml/driver-not-loaded.ini");
  g_autoptr(CupSystem) sys = detect_root(root);
  g_assert_true(warned(sys, "Driver Not Loaded"));
  g_assert_cmpuint(sys->gpus->len, ==, 1);
  g_assert_cmpstr(gpu_at(sys, 0)->compute_capability, ==, "8.6");
  g_assert_null(sys->driver.version);
  g_unsetenv("CUP_FAKE_NVML");
  cup_test_remove_tree(root);
}

static void test_eight_h100(void)
{
  g_autofree char *root = cup_test_make_root();
  add_debian(root);
  add_fake_smi(root, NULL, "nvidia-smi/gpud/nvidia-smi-query.535.161.08.out.0.valid");
  g_autoptr(CupSystem) sys = detect_root(root);
  g_assert_cmpuint(sys->gpus->len, ==, 8);
  for (guint i = 0; i < 8; i++) {
    CupGpu *gpu = gpu_at(sys, i);
    g_assert_cmpint(gpu->index, ==, (int)i);
    g_assert_cmpstr(gpu->pci_id, ==, "10de:2330");
    g_assert_cmpstr(gpu->chip, ==, "GH100");
    g_assert_cmpstr(gpu->architecture, ==, "Hopper");
    g_assert_cmpstr(gpu->compute_capability, ==, "9.0");
  }
  g_assert_true(warned(sys, "-q -x"));
  g_assert_cmpstr(sys->driver.version, ==, "535.161.08");
  cup_test_remove_tree(root);
}

static void test_graphics_device_resolved_by_pci_id(void)
{
  g_autofree char *root = cup_test_make_root();
  add_debian(root);
  add_fake_smi(root, "nvidia-smi/telegraf/gtx-1660-ti.xml", NULL);
  g_autoptr(CupSystem) sys = detect_root(root);
  g_assert_cmpuint(sys->gpus->len, ==, 1);
  CupGpu *gpu = gpu_at(sys, 0);
  g_assert_cmpstr(gpu->name, ==, "Graphics Device");
  g_assert_cmpstr(gpu->pci_id, ==, "10de:2184");
  g_assert_cmpstr(gpu->chip, ==, "TU116");
  g_assert_cmpstr(gpu->compute_capability, ==, "7.5");
  cup_test_remove_tree(root);
}

static void test_garbled_smi_falls_back_to_pci(void)
{
  g_autofree char *root = cup_test_make_root();
  add_debian(root);
  add_pci(root, "0000:01:00.0", "0x10de", "0x2184", "0x1462", "0x375a", "0x030000");
  cup_test_write(root, "usr/bin/nvidia-smi",
                 "#!/bin/sh\nprintf '<?xml version=\"1.0\" ?>\\n<nvidia_smi_log>\\n<gpu id=\"0'\n"
                 "head -c 300 /dev/urandom\n");
  g_autofree char *exe = g_build_filename(root, "usr/bin/nvidia-smi", NULL);
  g_chmod(exe, 0755);
  g_autoptr(CupSystem) sys = detect_root(root);
  g_assert_cmpuint(sys->gpus->len, ==, 1);
  g_assert_cmpstr(gpu_at(sys, 0)->compute_capability, ==, "7.5");
  g_assert_true(sys->warnings->len > 0);
  cup_test_remove_tree(root);
}

static void test_missing_pci_ids_and_bad_sysfs(void)
{
  g_autofree char *root = cup_test_make_root();
  add_debian(root);
  add_pci(root, "0000:01:00.0", "0x10de", "0x24e0", "0x1043", "0x16c2", "0x030000");
  add_pci(root, "0000:02:00.0", "0x10de", "garbage", "0x1043", "0x16c2", "0x030000");
  const char *envp[] = {"PATH=/usr/bin", NULL};
  CupDetectOptions o = {.root = root,
                        .envp = envp,
                        .manifests_dir = CUP_TEST_MANIFESTS,
                        .pci_ids_path = "/nonexistent/pci.ids"};
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSystem) sys = cup_detect(&o, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(sys->gpus->len, ==, 1);
  g_assert_cmpstr(gpu_at(sys, 0)->compute_capability, ==, "8.6");
  g_assert_nonnull(gpu_at(sys, 0)->name); /* from the GPU table */
  g_assert_cmpstr(g_hash_table_lookup(gpu_at(sys, 0)->fact_sources, "name"), ==, "gpu-table");
  g_assert_true(warned(sys, "pci.ids"));
  g_assert_true(warned(sys, "0000:02:00.0"));
  cup_test_remove_tree(root);
}

static void test_invalid_gpu_table_is_a_catalog_error(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree char *catalog = cup_test_make_root();
  add_debian(root);
  add_pci(root, "0000:01:00.0", "0x10de", "0x24e0", "0x1043", "0x16c2", "0x030000");
  cup_test_write(catalog, "gpus.json", "{\"schema\": \"cudaup-gpus/1\", \"devices\": 5}");
  const char *envp[] = {NULL};
  CupDetectOptions o = {.root = root, .envp = envp, .manifests_dir = catalog};
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSystem) sys = cup_detect(&o, &error);
  g_assert_null(sys);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
  g_assert_nonnull(strstr(error->message, "gpus.json: invalid at"));
  cup_test_remove_tree(root);
  cup_test_remove_tree(catalog);
}

static void test_this_machine(void)
{
  if (!g_file_test("/usr/local/cuda-13.0/include/cudnn_version.h", G_FILE_TEST_EXISTS)) {
    g_test_skip("this machine has no CUDA 13.0 toolkit with cuDNN at /usr/local/cuda-13.0");
    return;
  }
  const char *envp[] = {"PATH=/usr/local/cuda/bin:/usr/bin:/bin", NULL};
  CupDetectOptions o = {.envp = envp, .manifests_dir = CUP_TEST_MANIFESTS};
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSystem) sys = cup_detect(&o, &error);
  g_assert_no_error(error);
  if (sys->gpus->len > 0 || sys->driver.version) {
    g_test_skip("this machine has an NVIDIA GPU or driver; the no-GPU acceptance needs none");
    return;
  }
  g_assert_cmpuint(sys->toolkits->len, >=, 1);
  CupToolkit *tk = g_ptr_array_index(sys->toolkits, 0);
  g_assert_cmpstr(tk->root, ==, "/usr/local/cuda-13.0");
  g_assert_cmpstr(tk->version, ==, "13.0");
  g_assert_nonnull(tk->cudnn);
  g_assert_cmpstr(tk->cudnn->version, ==, "9.19.0");
  g_assert_cmpstr(sys->os.family, ==, "linux");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/detect/laptop-without-driver", test_laptop_without_driver);
  g_test_add_func("/detect/a100-mig-nvidia-smi", test_a100_mig_from_nvidia_smi);
  g_test_add_func("/detect/a100-mig-nvml", test_a100_mig_from_nvml);
  g_test_add_func("/detect/nvml-driver-not-loaded", test_nvml_driver_not_loaded);
  g_test_add_func("/detect/8x-h100", test_eight_h100);
  g_test_add_func("/detect/graphics-device", test_graphics_device_resolved_by_pci_id);
  g_test_add_func("/detect/garbled-nvidia-smi", test_garbled_smi_falls_back_to_pci);
  g_test_add_func("/detect/missing-pci-ids-bad-sysfs", test_missing_pci_ids_and_bad_sysfs);
  g_test_add_func("/detect/invalid-gpu-table", test_invalid_gpu_table_is_a_catalog_error);
  g_test_add_func("/detect/this-machine", test_this_machine);
  return g_test_run();
}
