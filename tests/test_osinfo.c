/* test_osinfo.c - core/osinfo against fixture roots (and a smoke run on the real system). */
#include "core/osinfo.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/utsname.h>

static void put_fixture(const char *root, const char *relative, const char *fixture)
{
  g_autofree char *name = g_build_filename("osinfo", fixture, NULL);
  g_autofree char *text = cup_test_read_fixture(name, NULL);
  cup_test_write(root, relative, text);
}

static void put_bytes(const char *root, const char *relative, const char *bytes, gsize length)
{
  g_autofree char *path = g_build_filename(root, relative, NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_assert_true(g_file_set_contents(path, bytes, length, NULL));
}

static void put_script(const char *root, const char *relative, const char *body)
{
  g_autofree char *script = g_strdup_printf("#!/bin/sh\n%s\n", body);
  cup_test_write(root, relative, script);
  g_autofree char *path = g_build_filename(root, relative, NULL);
  g_assert_cmpint(g_chmod(path, 0755), ==, 0);
}

static void make_dir(const char *root, const char *relative)
{
  g_autofree char *path = g_build_filename(root, relative, NULL);
  g_assert_cmpint(g_mkdir_with_parents(path, 0755), ==, 0);
}

static gboolean warned(const CupSystem *sys, const char *needle)
{
  for (guint i = 0; i < sys->warnings->len; i++) {
    if (strstr(g_ptr_array_index(sys->warnings, i), needle) != NULL)
      return TRUE;
  }
  return FALSE;
}

static void print_warnings(const CupSystem *sys)
{
  for (guint i = 0; i < sys->warnings->len; i++)
    g_test_message("warning: %s", (char *)g_ptr_array_index(sys->warnings, i));
}

/* Run detection on @root with an empty environment. */
static CupSystem *detect(const char *root)
{
  const char *envp[] = {NULL};
  CupSystem *sys = cup_system_new();
  cup_osinfo_detect(root, envp, sys);
  print_warnings(sys);
  return sys;
}

/* Debian links /etc/os-release to ../usr/lib/os-release. */
static void test_debian_12(void)
{
  g_autofree char *root = cup_test_make_root();
  put_fixture(root, "usr/lib/os-release", "os-release-debian-12");
  cup_test_symlink(root, "etc/os-release", "../usr/lib/os-release");
  g_autoptr(CupSystem) sys = detect(root);
  g_assert_cmpstr(sys->os.family, ==, "linux");
  g_assert_cmpstr(sys->os.distribution, ==, "debian");
  g_assert_cmpstr(sys->os.version, ==, "12");
  g_assert_cmpstr(sys->os.pretty_name, ==, "Debian GNU/Linux 12 (bookworm)");
  struct utsname u;
  g_assert_cmpint(uname(&u), ==, 0);
  g_assert_cmpstr(sys->os.arch, ==, u.machine); /* the running kernel, never the root */
  g_assert_false(warned(sys, "os-release"));
  cup_test_remove_tree(root);
}

/* Only /usr/lib/os-release: the fallback. */
static void test_ubuntu_22_04(void)
{
  g_autofree char *root = cup_test_make_root();
  put_fixture(root, "usr/lib/os-release", "os-release-ubuntu-22.04");
  g_autoptr(CupSystem) sys = detect(root);
  g_assert_cmpstr(sys->os.distribution, ==, "ubuntu");
  g_assert_cmpstr(sys->os.version, ==, "22.04");
  g_assert_cmpstr(sys->os.pretty_name, ==, "Ubuntu 22.04.4 LTS");
  g_assert_false(warned(sys, "os-release"));
  cup_test_remove_tree(root);
}

/* Quoting as os-release(5) allows, and lines that are not assignments. */
static void test_os_release_quoting(void)
{
  g_autofree char *root = cup_test_make_root();
  cup_test_write(root, "etc/os-release",
                 "# a comment\n"
                 "\n"
                 "NAME='Lab Linux'\n"
                 "PRETTY_NAME=\"Lab \\\"Linux\\\" \\$5 \\\\ 1\"\n"
                 "ID=lab\n"
                 "VERSION_ID=2024.1\n"
                 "this line is garbage\n"
                 "VARIANT=\"unterminated\n");
  put_fixture(root, "usr/lib/os-release", "os-release-ubuntu-22.04"); /* not read */
  g_autoptr(CupSystem) sys = detect(root);
  g_assert_cmpstr(sys->os.distribution, ==, "lab");
  g_assert_cmpstr(sys->os.version, ==, "2024.1");
  g_assert_cmpstr(sys->os.pretty_name, ==, "Lab \"Linux\" $5 \\ 1");
  g_assert_true(warned(sys, "/etc/os-release line 7"));
  g_assert_true(warned(sys, "/etc/os-release line 8"));
  cup_test_remove_tree(root);
}

/* An os-release without ID or PRETTY_NAME gets os-release(5)'s defaults. */
static void test_os_release_defaults(void)
{
  g_autofree char *root = cup_test_make_root();
  cup_test_write(root, "etc/os-release", "NAME=Minimal\n");
  g_autoptr(CupSystem) sys = detect(root);
  g_assert_cmpstr(sys->os.distribution, ==, "linux");
  g_assert_cmpstr(sys->os.pretty_name, ==, "Linux");
  g_assert_null(sys->os.version);
  cup_test_remove_tree(root);
}

/* A root with nothing in it: every fact unknown, a warning for each, no crash. */
static void test_empty_root(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autoptr(CupSystem) sys = detect(root);
  g_assert_null(sys->os.distribution);
  g_assert_cmpint(sys->os.wsl, ==, CUP_UNKNOWN);
  g_assert_cmpint(sys->secure_boot, ==, CUP_UNKNOWN);
  g_assert_cmpint(sys->nouveau_loaded, ==, CUP_UNKNOWN);
  g_assert_cmpint(sys->nvidia_module_loaded, ==, CUP_UNKNOWN);
  g_assert_cmpuint(sys->pythons->len, ==, 0);
  g_assert_true(warned(sys, "/etc/os-release"));
  g_assert_true(warned(sys, "/proc/sys/kernel/osrelease"));
  g_assert_true(warned(sys, "/sys/firmware"));
  g_assert_true(warned(sys, "/proc/modules"));
  g_autofree char *driver = cup_kernel_driver_version(root);
  g_assert_null(driver);
  cup_test_remove_tree(root);
}

static void test_wsl(void)
{
  static const struct {
    const char *file;
    const char *text;
    CupTristate wsl;
  } cases[] = {
      {"proc/sys/kernel/osrelease", "5.15.153.1-microsoft-standard-WSL2\n", CUP_YES},
      {"proc/sys/kernel/osrelease", "4.4.0-19041-Microsoft\n", CUP_YES},
      {"proc/sys/kernel/osrelease", "6.1.0-18-amd64\n", CUP_NO},
      {"proc/version",
       "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 11.2.0, "
       "GNU ld (GNU Binutils) 2.37) #1 SMP Fri Mar 29 23:14:13 UTC 2024\n",
       CUP_YES},
      {"proc/version",
       "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian "
       "12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC "
       "Debian 6.1.76-1 (2024-02-01)\n",
       CUP_NO},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *root = cup_test_make_root();
    cup_test_write(root, cases[i].file, cases[i].text);
    g_autoptr(CupSystem) sys = detect(root);
    g_assert_cmpint(sys->os.wsl, ==, cases[i].wsl);
    g_assert_false(warned(sys, "WSL"));
    cup_test_remove_tree(root);
  }
}

#define SB_VAR "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

static CupTristate secure_boot_with(const char *bytes, gsize length, gboolean *warned_out)
{
  g_autofree char *root = cup_test_make_root();
  make_dir(root, "sys/firmware/acpi");
  put_bytes(root, "sys/firmware/efi/efivars/BootCurrent-8be4df61-93ca-11d2-aa0d-00e098032b8c",
            "\x06\x00\x00\x00\x01\x00", 6);
  if (bytes != NULL)
    put_bytes(root, SB_VAR, bytes, length);
  g_autoptr(CupSystem) sys = detect(root);
  *warned_out = warned(sys, "Secure Boot");
  CupTristate state = sys->secure_boot;
  cup_test_remove_tree(root);
  return state;
}

static void test_secure_boot(void)
{
  gboolean w = FALSE;
  /* efivarfs: 4 bytes of attributes (NV|BS|RT = 0x06 for SecureBoot), then the value. */
  g_assert_cmpint(secure_boot_with("\x06\x00\x00\x00\x01", 5, &w), ==, CUP_YES);
  g_assert_false(w);
  g_assert_cmpint(secure_boot_with("\x06\x00\x00\x00\x00", 5, &w), ==, CUP_NO);
  g_assert_false(w);
  g_assert_cmpint(secure_boot_with("\x06\x00\x00", 3, &w), ==, CUP_UNKNOWN);
  g_assert_true(w);
  g_assert_cmpint(secure_boot_with("\x06\x00\x00\x00\x07", 5, &w), ==, CUP_UNKNOWN);
  g_assert_true(w);
  /* EFI variables readable, but no SecureBoot among them: not supported by the firmware. */
  g_assert_cmpint(secure_boot_with(NULL, 0, &w), ==, CUP_NO);
  g_assert_false(w);
}

static void test_secure_boot_no_efi_and_unreadable(void)
{
  g_autofree char *bios = cup_test_make_root();
  make_dir(bios, "sys/firmware/acpi");
  g_autoptr(CupSystem) sys = detect(bios);
  g_assert_cmpint(sys->secure_boot, ==, CUP_NO); /* legacy BIOS boot */
  g_assert_false(warned(sys, "Secure Boot"));
  cup_test_remove_tree(bios);

  g_autofree char *unreadable = cup_test_make_root();
  make_dir(unreadable, SB_VAR); /* a directory cannot be read as a file */
  g_autoptr(CupSystem) sys2 = detect(unreadable);
  g_assert_cmpint(sys2->secure_boot, ==, CUP_UNKNOWN);
  g_assert_true(warned(sys2, "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"));
  cup_test_remove_tree(unreadable);

  g_autofree char *unmounted = cup_test_make_root();
  make_dir(unmounted, "sys/firmware/efi/efivars");
  g_autoptr(CupSystem) sys3 = detect(unmounted);
  g_assert_cmpint(sys3->secure_boot, ==, CUP_UNKNOWN);
  g_assert_true(warned(sys3, "efivars"));
  cup_test_remove_tree(unmounted);
}

static void modules_with(const char *fixture, CupTristate nouveau, CupTristate nvidia)
{
  g_autofree char *root = cup_test_make_root();
  put_fixture(root, "proc/modules", fixture);
  g_autoptr(CupSystem) sys = detect(root);
  g_assert_cmpint(sys->nouveau_loaded, ==, nouveau);
  g_assert_cmpint(sys->nvidia_module_loaded, ==, nvidia);
  g_assert_false(warned(sys, "/proc/modules"));
  cup_test_remove_tree(root);
}

static void test_modules(void)
{
  modules_with("proc-modules-nouveau", CUP_YES, CUP_NO);
  modules_with("proc-modules-nvidia", CUP_NO, CUP_YES);
  modules_with("proc-modules-no-gpu", CUP_NO, CUP_NO);
}

/* No /proc/modules (a kernel without module support): /sys/module, else unknown. */
static void test_modules_missing(void)
{
  g_autofree char *root = cup_test_make_root();
  make_dir(root, "proc");
  g_autoptr(CupSystem) sys = detect(root);
  g_assert_cmpint(sys->nouveau_loaded, ==, CUP_UNKNOWN);
  g_assert_cmpint(sys->nvidia_module_loaded, ==, CUP_UNKNOWN);
  g_assert_true(warned(sys, "/proc/modules"));

  make_dir(root, "sys/module/nvidia");
  make_dir(root, "sys/module/i915");
  g_autoptr(CupSystem) sys2 = detect(root);
  g_assert_cmpint(sys2->nouveau_loaded, ==, CUP_NO);
  g_assert_cmpint(sys2->nvidia_module_loaded, ==, CUP_YES);
  g_assert_true(warned(sys2, "/proc/modules"));
  cup_test_remove_tree(root);
}

static const CupPython *find_python(const CupSystem *sys, const char *path)
{
  for (guint i = 0; i < sys->pythons->len; i++) {
    const CupPython *py = g_ptr_array_index(sys->pythons, i);
    if (strcmp(py->path, path) == 0)
      return py;
  }
  return NULL;
}

static void test_pythons(void)
{
  g_autofree char *root = cup_test_make_root();
  put_script(root, "usr/bin/python3.10", "echo 'Python 3.10.12'");
  cup_test_symlink(root, "usr/bin/python3", "python3.10");
  cup_test_symlink(root, "bin", "usr/bin");         /* merged /usr: /bin/python3 is the same file */
  put_script(root, "usr/bin/python3.11", "exit 1"); /* prints nothing */
  cup_test_write(root, "usr/bin/python3.9", "#!/bin/sh\necho 'Python 3.9.2'\n"); /* not +x */
  put_script(root, "usr/bin/python3-config", "echo 'Python 9.9.9'"); /* not an interpreter */
  put_script(root, "opt/py2/bin/python", "echo 'Python 2.7.18' >&2");
  /* pyenv: the shim is never run (it would leave a mark); the interpreter of the global
   * selection in $PYENV_ROOT/version is asked instead. */
  put_script(root, "home/u/.pyenv/shims/python3",
             "set -e\nprogram=\"${0##*/}\"\nexport PYENV_ROOT=\"/home/u/.pyenv\"\n"
             "touch \"$0.ran\"\nexec \"/home/u/.pyenv/libexec/pyenv\" exec "
             "\"$program\" \"$@\"");
  cup_test_write(root, "home/u/.pyenv/version", "3.12.1\n");
  put_script(root, "home/u/.pyenv/versions/3.12.1/bin/python3", "echo 'Python 3.12.1'");
  put_script(root, "home/u/.pyenv/shims/python3.8",
             "touch \"$0.ran\"\nexec \"/home/u/.pyenv/libexec/pyenv\" exec \"python3.8\" \"$@\"");
  put_script(root, "opt/venv/bin/python", "echo 'Python 3.13.0rc1'");
  const char *envp[] = {"PATH=/usr/bin:/bin:relative/bin:/opt/py2/bin:/home/u/.pyenv/shims:"
                        "/nonexistent:/opt/venv/bin",
                        NULL};
  g_autoptr(CupSystem) sys = cup_system_new();
  cup_osinfo_detect(root, envp, sys);
  print_warnings(sys);
  g_assert_cmpuint(sys->pythons->len, ==, 4);
  const CupPython *py = g_ptr_array_index(sys->pythons, 0);
  g_assert_cmpstr(py->path, ==, "/usr/bin/python3");
  g_assert_cmpstr(py->version, ==, "3.10.12");
  py = g_ptr_array_index(sys->pythons, 1);
  g_assert_cmpstr(py->path, ==, "/opt/py2/bin/python");
  g_assert_cmpstr(py->version, ==, "2.7.18");
  py = g_ptr_array_index(sys->pythons, 2);
  g_assert_cmpstr(py->path, ==, "/home/u/.pyenv/shims/python3");
  g_assert_cmpstr(py->version, ==, "3.12.1");
  py = g_ptr_array_index(sys->pythons, 3);
  g_assert_cmpstr(py->path, ==, "/opt/venv/bin/python");
  g_assert_cmpstr(py->version, ==, "3.13.0");
  g_assert_null(find_python(sys, "/usr/bin/python3.11"));
  g_assert_null(find_python(sys, "/usr/bin/python3.9"));
  g_assert_null(find_python(sys, "/home/u/.pyenv/shims/python3.8"));
  g_autofree char *marker = g_build_filename(root, "home/u/.pyenv/shims/python3.8.ran", NULL);
  g_assert_false(g_file_test(marker, G_FILE_TEST_EXISTS));
  g_autofree char *shim_mark = g_build_filename(root, "home/u/.pyenv/shims/python3.ran", NULL);
  g_assert_false(g_file_test(shim_mark, G_FILE_TEST_EXISTS));
  g_assert_false(warned(sys, "python"));
  cup_test_remove_tree(root);
}

/* PYENV_VERSION wins over the global file; "system" leaves the shim out (that python is on
 * PATH by itself). */
static void test_pyenv_selection(void)
{
  g_autofree char *root = cup_test_make_root();
  put_script(root, "home/u/.pyenv/shims/python",
             "exec \"/home/u/.pyenv/libexec/pyenv\" exec "
             "\"python\" \"$@\"");
  cup_test_write(root, "home/u/.pyenv/version", "3.12.1\n");
  put_script(root, "home/u/.pyenv/versions/3.12.1/bin/python", "echo 'Python 3.12.1'");
  put_script(root, "home/u/.pyenv/versions/3.9.18/bin/python", "echo 'Python 3.9.18'");
  const char *with_env[] = {"PATH=/home/u/.pyenv/shims", "PYENV_VERSION=3.9.18:3.12.1", NULL};
  g_autoptr(CupSystem) a = cup_system_new();
  cup_osinfo_detect(root, with_env, a);
  g_assert_cmpuint(a->pythons->len, ==, 1);
  g_assert_cmpstr(((CupPython *)g_ptr_array_index(a->pythons, 0))->version, ==, "3.9.18");
  const char *system_sel[] = {"PATH=/home/u/.pyenv/shims", "PYENV_VERSION=system", NULL};
  g_autoptr(CupSystem) b = cup_system_new();
  cup_osinfo_detect(root, system_sel, b);
  g_assert_cmpuint(b->pythons->len, ==, 0);
  cup_test_remove_tree(root);
}

/* An interpreter that hangs is killed after the timeout and kept with the version in its
 * name. Takes the 3 s timeout. */
static void test_python_timeout(void)
{
  g_autofree char *root = cup_test_make_root();
  put_script(root, "opt/slow/bin/python3.7", "exec sleep 30");
  const char *envp[] = {"PATH=/opt/slow/bin", NULL};
  g_autoptr(CupSystem) sys = cup_system_new();
  gint64 start = g_get_monotonic_time();
  cup_osinfo_detect(root, envp, sys);
  gint64 took_ms = (g_get_monotonic_time() - start) / 1000;
  print_warnings(sys);
  g_assert_cmpint(took_ms, <, 10000);
  g_assert_cmpuint(sys->pythons->len, ==, 1);
  const CupPython *py = g_ptr_array_index(sys->pythons, 0);
  g_assert_cmpstr(py->path, ==, "/opt/slow/bin/python3.7");
  g_assert_cmpstr(py->version, ==, "3.7");
  g_assert_true(warned(sys, "/opt/slow/bin/python3.7 --version"));
  cup_test_remove_tree(root);
}

static void test_kernel_driver_version(void)
{
  static const struct {
    const char *fixture;
    const char *version;
  } cases[] = {
      {"nvidia-version-proprietary", "550.54.14"},
      {"nvidia-version-open", "555.58.02"},
      {"nvidia-version-535", "535.104.05"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *root = cup_test_make_root();
    put_fixture(root, "proc/driver/nvidia/version", cases[i].fixture);
    g_autofree char *version = cup_kernel_driver_version(root);
    g_assert_cmpstr(version, ==, cases[i].version);
    cup_test_remove_tree(root);
  }
  g_autofree char *root = cup_test_make_root();
  cup_test_write(root, "proc/driver/nvidia/version", "NVRM version: garbled\n");
  g_autofree char *garbled = cup_kernel_driver_version(root);
  g_assert_null(garbled);
  cup_test_write(root, "sys/module/nvidia/version", "550.54.14\n");
  g_autofree char *from_sysfs = cup_kernel_driver_version(root);
  g_assert_cmpstr(from_sysfs, ==, "550.54.14");
  cup_test_write(root, "sys/module/nvidia/version", "not-a-version\n");
  g_autofree char *bad_sysfs = cup_kernel_driver_version(root);
  g_assert_null(bad_sysfs);
  cup_test_remove_tree(root);
}

/* The real system, with an empty environment: only facts every Linux machine has. */
static void test_real_system(void)
{
  const char *envp[] = {NULL};
  g_autoptr(CupSystem) sys = cup_system_new();
  gint64 start = g_get_monotonic_time();
  cup_osinfo_detect(NULL, envp, sys);
  g_test_message("cup_osinfo_detect took %.1f ms", (g_get_monotonic_time() - start) / 1000.0);
  print_warnings(sys);
  g_assert_cmpstr(sys->os.family, ==, "linux");
  g_assert_nonnull(sys->os.arch);
  if (g_file_test("/etc/os-release", G_FILE_TEST_EXISTS))
    g_assert_nonnull(sys->os.distribution);
  g_assert_cmpuint(sys->pythons->len, ==, 0); /* no PATH, no pythons */
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/osinfo/debian-12", test_debian_12);
  g_test_add_func("/osinfo/ubuntu-22.04", test_ubuntu_22_04);
  g_test_add_func("/osinfo/os-release-quoting", test_os_release_quoting);
  g_test_add_func("/osinfo/os-release-defaults", test_os_release_defaults);
  g_test_add_func("/osinfo/empty-root", test_empty_root);
  g_test_add_func("/osinfo/wsl", test_wsl);
  g_test_add_func("/osinfo/secure-boot", test_secure_boot);
  g_test_add_func("/osinfo/secure-boot-no-efi-unreadable", test_secure_boot_no_efi_and_unreadable);
  g_test_add_func("/osinfo/modules", test_modules);
  g_test_add_func("/osinfo/modules-missing", test_modules_missing);
  g_test_add_func("/osinfo/pythons", test_pythons);
  g_test_add_func("/osinfo/pyenv-selection", test_pyenv_selection);
  g_test_add_func("/osinfo/python-timeout", test_python_timeout);
  g_test_add_func("/osinfo/kernel-driver-version", test_kernel_driver_version);
  g_test_add_func("/osinfo/real-system", test_real_system);
  return g_test_run();
}
