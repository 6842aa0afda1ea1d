/* osinfo.c - OS facts: os-release, arch, WSL, Secure Boot, kernel modules, Pythons on PATH. */
#include "core/i18n.h"
#include "core/osinfo.h"

#include "core/paths.h"
#include "core/proc.h"
#include "core/version.h"

#include <string.h>
#ifdef G_OS_UNIX
#include <sys/utsname.h>
#else
#include <windows.h>
#endif

#define PROC_FILE_MAX (1024 * 1024) /* /proc/modules of a big kernel is ~20 KiB */
#define PYTHON_TIMEOUT_MS 3000
#define PYTHON_MAX 16

static int compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean sys_exists(const char *root, const char *sys_path)
{
  g_autofree char *host = cup_root_host_path(root, sys_path);
  return host != NULL;
}

/* The contents of the system file @sys_path, or NULL with @error set. */
static char *read_sys_file(const char *root, const char *sys_path, GError **error)
{
  g_autofree char *host = cup_root_host_path(root, sys_path);
  if (host == NULL) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, _("no such file (or a symlink loop)"));
    return NULL;
  }
  return cup_read_small_file(host, PROC_FILE_MAX, NULL, error);
}

/* --- os-release (os-release(5)) --- */

static void take_os_release_value(CupSystem *sys, const char *key, char *value)
{
  char **slot = NULL;
  if (strcmp(key, "ID") == 0)
    slot = &sys->os.distribution;
  else if (strcmp(key, "VERSION_ID") == 0)
    slot = &sys->os.version;
  else if (strcmp(key, "PRETTY_NAME") == 0)
    slot = &sys->os.pretty_name;
  if (slot == NULL) {
    g_free(value);
    return;
  }
  g_free(*slot);
  *slot = value;
}

static gboolean is_os_release_key(const char *key)
{
  if (*key == '\0')
    return FALSE;
  for (const char *c = key; *c; c++) {
    if (!g_ascii_isalnum(*c) && *c != '_')
      return FALSE;
  }
  return TRUE;
}

/* Lines are KEY=VALUE with shell quoting; blank lines and #-comments are skipped. */
static void parse_os_release(CupSystem *sys, const char *path, const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_strstrip(lines[i]);
    if (lines[i][0] == '\0' || lines[i][0] == '#')
      continue;
    char *eq = strchr(lines[i], '=');
    if (eq != NULL)
      *eq = '\0';
    g_autoptr(GError) error = NULL;
    char *value = eq && is_os_release_key(lines[i]) ? g_shell_unquote(eq + 1, &error) : NULL;
    if (value == NULL) {
      cup_system_warn(sys, "%s line %u: %s; line ignored", path, i + 1,
                      error ? error->message : "not a KEY=VALUE assignment");
      continue;
    }
    take_os_release_value(sys, lines[i], value);
  }
  if (sys->os.distribution == NULL)
    sys->os.distribution = g_strdup("linux");
  if (sys->os.pretty_name == NULL)
    sys->os.pretty_name = g_strdup("Linux");
}

static void detect_os_release(const char *root, CupSystem *sys)
{
  static const char *const paths[] = {"/etc/os-release", "/usr/lib/os-release"};
  for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
    if (!sys_exists(root, paths[i]))
      continue;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = read_sys_file(root, paths[i], &error);
    if (text == NULL) {
      cup_system_warn(sys, "%s: %s", paths[i], error->message);
      continue;
    }
    parse_os_release(sys, paths[i], text);
    return;
  }
  cup_system_warn(sys, "neither /etc/os-release nor /usr/lib/os-release could be read; "
                       "the distribution is unknown");
}

static char *machine_arch(void)
{
#ifdef G_OS_UNIX
  struct utsname u;
  if (uname(&u) == 0)
    return g_strdup(u.machine);
#else
  SYSTEM_INFO si;
  GetNativeSystemInfo(&si); /* the machine's, also for a program run under emulation */
  if (si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_AMD64)
    return g_strdup("x86_64");
  if (si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_ARM64)
    return g_strdup("aarch64");
#endif
  return NULL;
}

#ifdef G_OS_WIN32
typedef LONG(WINAPI *RtlGetVersionFn)(OSVERSIONINFOW *info);

/* GetVersionEx reports the version the program's manifest claims to support; ntdll's
 * RtlGetVersion reports the real one. */
static void detect_windows_version(CupSystem *sys)
{
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  RtlGetVersionFn get =
      ntdll ? (RtlGetVersionFn)(void (*)(void))GetProcAddress(ntdll, "RtlGetVersion") : NULL;
  OSVERSIONINFOW v = {.dwOSVersionInfoSize = sizeof v};
  if (get == NULL || get(&v) != 0) {
    cup_system_warn(sys, "the Windows version could not be read");
    return;
  }
  g_free(sys->os.version);
  g_free(sys->os.pretty_name);
  sys->os.version =
      g_strdup_printf("%lu.%lu.%lu", v.dwMajorVersion, v.dwMinorVersion, v.dwBuildNumber);
  sys->os.pretty_name = g_strdup_printf("Windows %lu.%lu (build %lu)", v.dwMajorVersion,
                                        v.dwMinorVersion, v.dwBuildNumber);
}
#endif

/* --- WSL --- */

static CupTristate detect_wsl(const char *root, CupSystem *sys)
{
  static const char *const paths[] = {"/proc/sys/kernel/osrelease", "/proc/version"};
  for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
    g_autofree char *text = read_sys_file(root, paths[i], NULL);
    if (text == NULL)
      continue;
    g_autofree char *lower = g_ascii_strdown(text, -1);
    return strstr(lower, "microsoft") != NULL || strstr(lower, "wsl") != NULL ? CUP_YES : CUP_NO;
  }
  cup_system_warn(sys, "neither /proc/sys/kernel/osrelease nor /proc/version could be read; "
                       "whether this is WSL is unknown");
  return CUP_UNKNOWN;
}

/* --- Secure Boot --- */

/* The value byte of an efivarfs file: 4 attribute bytes (little-endian u32), then data. */
static CupTristate secure_boot_of_efivar(const char *root, CupSystem *sys)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *host = cup_root_host_path(root, CUP_SECURE_BOOT_EFIVAR);
  gsize length = 0;
  g_autofree char *data = host ? cup_read_small_file(host, 64, &length, &error) : NULL;
  if (data == NULL) {
    cup_system_warn(sys, "%s: %s; Secure Boot state unknown", CUP_SECURE_BOOT_EFIVAR,
                    error ? error->message : "cannot be resolved");
    return CUP_UNKNOWN;
  }
  if (length == 5 && (data[4] == 0 || data[4] == 1))
    return data[4] == 1 ? CUP_YES : CUP_NO;
  cup_system_warn(sys,
                  "%s: %" G_GSIZE_FORMAT " bytes, expected 4 attribute bytes and a 0 or 1; "
                  "Secure Boot state unknown",
                  CUP_SECURE_BOOT_EFIVAR, length);
  return CUP_UNKNOWN;
}

static gboolean dir_has_entries(const char *root, const char *sys_dir)
{
  g_autofree char *host = cup_root_host_path(root, sys_dir);
  g_autoptr(GDir) dir = host ? g_dir_open(host, 0, NULL) : NULL;
  return dir != NULL && g_dir_read_name(dir) != NULL;
}

static CupTristate detect_secure_boot(const char *root, CupSystem *sys)
{
  if (!sys_exists(root, "/sys/firmware")) {
    cup_system_warn(sys, "/sys/firmware cannot be read (is sysfs mounted?); "
                         "Secure Boot state unknown");
    return CUP_UNKNOWN;
  }
  if (!sys_exists(root, "/sys/firmware/efi"))
    return CUP_NO; /* booted through legacy BIOS: there is no Secure Boot */
  if (sys_exists(root, CUP_SECURE_BOOT_EFIVAR))
    return secure_boot_of_efivar(root, sys);
  if (dir_has_entries(root, "/sys/firmware/efi/efivars"))
    return CUP_NO; /* firmware without the variable does not support Secure Boot */
  cup_system_warn(sys, "/sys/firmware/efi/efivars is empty or missing (efivarfs not mounted?); "
                       "Secure Boot state unknown");
  return CUP_UNKNOWN;
}

/* --- kernel modules --- */

static gboolean modules_list_has(const char *text, const char *name)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  gsize n = strlen(name);
  for (guint i = 0; lines[i] != NULL; i++) {
    if (strncmp(lines[i], name, n) == 0 && (lines[i][n] == ' ' || lines[i][n] == '\t'))
      return TRUE;
  }
  return FALSE;
}

static CupTristate module_in_sysfs(const char *root, const char *name)
{
  g_autofree char *path = g_build_filename("/sys/module", name, NULL);
  return sys_exists(root, path) ? CUP_YES : CUP_NO;
}

static void detect_modules(const char *root, CupSystem *sys)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = read_sys_file(root, "/proc/modules", &error);
  if (text != NULL) {
    sys->nouveau_loaded = modules_list_has(text, "nouveau") ? CUP_YES : CUP_NO;
    sys->nvidia_module_loaded = modules_list_has(text, "nvidia") ? CUP_YES : CUP_NO;
    return;
  }
  if (sys_exists(root, "/sys/module")) {
    cup_system_warn(sys, "/proc/modules: %s; loaded modules taken from /sys/module",
                    error->message);
    sys->nouveau_loaded = module_in_sysfs(root, "nouveau");
    sys->nvidia_module_loaded = module_in_sysfs(root, "nvidia");
    return;
  }
  cup_system_warn(sys, "/proc/modules: %s; whether nouveau or nvidia is loaded is unknown",
                  error->message);
  sys->nouveau_loaded = CUP_UNKNOWN;
  sys->nvidia_module_loaded = CUP_UNKNOWN;
}

/* --- Python interpreters on PATH --- */

typedef struct {
  char *shown;   /* the system path as found on PATH */
  char *run;     /* what to execute: the PATH path, or its host path under a fixture root */
  char *version; /* from its output */
  char *error;   /* why it could not be asked (start failure, timeout) */
} PythonProbe;

static void python_probe_free(PythonProbe *p)
{
  g_free(p->shown);
  g_free(p->run);
  g_free(p->version);
  g_free(p->error);
  g_free(p);
}

static gboolean is_python_name(const char *name)
{
  static GRegex *re; /* compiled once; never freed */
  if (g_once_init_enter(&re))
    g_once_init_leave(&re, g_regex_new("^python(3(\\.[0-9]+)?)?$", 0, 0, NULL));
  return g_regex_match(re, name, 0, NULL);
}

/* "Python 3.11.7" (python 3 prints to stdout, python 2 to stderr) -> "3.11.7". */
static char *python_version_of_output(const char *text)
{
  g_autoptr(GRegex) re =
      g_regex_new("^Python ([0-9]+\\.[0-9]+(\\.[0-9]+)?)", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  if (!g_regex_match(re, text, 0, &match))
    return NULL;
  return g_match_info_fetch(match, 1);
}

static gpointer python_probe_run(gpointer data)
{
  PythonProbe *p = data;
  const char *argv[] = {p->run, "--version", NULL};
  g_autoptr(GError) error = NULL;
  int status = -1;
  g_autoptr(GBytes) out = cup_proc_run(argv, TRUE, PYTHON_TIMEOUT_MS, &status, &error);
  if (out == NULL) {
    p->error = g_strdup(error->message);
    return NULL;
  }
  g_autofree char *text = cup_proc_output_text(out);
  p->version = python_version_of_output(text);
  return NULL;
}

/* Ask every probe at once: pyenv shims are shell scripts that take ~50 ms each. */
static void python_probes_run(GPtrArray *probes)
{
  g_autoptr(GPtrArray) threads = g_ptr_array_new();
  for (guint i = 0; i < probes->len; i++)
    g_ptr_array_add(threads,
                    g_thread_new("cup-python", python_probe_run, g_ptr_array_index(probes, i)));
  for (guint i = 0; i < threads->len; i++)
    g_thread_join(g_ptr_array_index(threads, i));
}

/* Sorted python names in the system directory @sys_dir. */
static GPtrArray *python_names_in(const char *root, const char *sys_dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *host = cup_root_host_path(root, sys_dir);
  g_autoptr(GDir) dir = host ? g_dir_open(host, 0, NULL) : NULL;
  const char *name;
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    if (is_python_name(name))
      g_ptr_array_add(names, g_strdup(name));
  }
  g_ptr_array_sort(names, compare_strings);
  return names;
}

static gboolean is_system_root(const char *root)
{
  return root == NULL || *root == '\0' || strcmp(root, "/") == 0;
}

/* python3.10 -> "3.10"; NULL for python and python3. */
static char *python_version_of_name(const char *path)
{
  g_autofree char *name = g_path_get_basename(path);
  CupVersion v;
  if (!g_str_has_prefix(name, "python") || !cup_version_parse(name + 6, &v, NULL) || v.n_parts < 2)
    return NULL;
  return cup_version_to_string(&v, 2);
}

/* pyenv's shims are one bash script per command name that re-dispatches through pyenv
 * (`exec "$PYENV_ROOT/libexec/pyenv" exec "$program" "$@"`). */
static gboolean is_pyenv_shim(const char *host)
{
  g_autofree char *text = cup_read_small_file(host, 4096, NULL, NULL);
  return text != NULL && g_str_has_prefix(text, "#!") &&
         strstr(text, "/libexec/pyenv\" exec") != NULL;
}

/* The interpreter a pyenv shim (system path @shim, $PYENV_ROOT/shims/NAME) runs for the
 * global selection: $PYENV_VERSION, else the first line of $PYENV_ROOT/version (pyenv's
 * "version-name" rules, without per-directory .python-version files, which depend on the
 * directory the user works in). "system" is skipped: that python is on PATH on its own.
 * Returns the system path of $PYENV_ROOT/versions/V/bin/NAME, or NULL. */
static char *pyenv_selected_interpreter(const char *root, const char *const *envp, const char *shim)
{
  g_autofree char *shims = g_path_get_dirname(shim);
  g_autofree char *pyenv_root = g_path_get_dirname(shims);
  g_autofree char *name = g_path_get_basename(shim);
  const char *env_version = envp ? g_environ_getenv((char **)envp, "PYENV_VERSION") : NULL;
  g_autofree char *selected = NULL;
  if (env_version && *env_version) {
    selected = g_strdup(env_version);
  } else {
    g_autofree char *file = g_build_filename(pyenv_root, "version", NULL);
    g_autofree char *host = cup_root_join(root, file);
    selected = cup_read_small_file(host, 4096, NULL, NULL);
  }
  if (selected == NULL)
    return NULL;
  selected[strcspn(selected, ":\r\n \t")] = '\0';
  if (*selected == '\0' || strcmp(selected, "system") == 0 || strchr(selected, '/'))
    return NULL;
  g_autofree char *interp = g_build_filename(pyenv_root, "versions", selected, "bin", name, NULL);
  g_autofree char *host = cup_root_join(root, interp);
  return g_file_test(host, G_FILE_TEST_IS_EXECUTABLE) ? g_steal_pointer(&interp) : NULL;
}

/* Add a probe for the system path @path unless its real file is known already. A versioned
 * pyenv shim (python3.10) is not asked: it only works while that version is selected, which
 * the python3 shim reports anyway, and each costs ~50 ms of bash. */
static void python_probe_add(const char *root, const char *const *envp, GPtrArray *probes,
                             GHashTable *seen, const char *path)
{
  g_autofree char *canon = cup_root_realpath(root, path);
  if (canon == NULL || g_hash_table_contains(seen, canon))
    return;
  g_autofree char *host = cup_root_join(root, canon);
  if (!g_file_test(host, G_FILE_TEST_IS_REGULAR) || !g_file_test(host, G_FILE_TEST_IS_EXECUTABLE))
    return;
  g_autofree char *versioned = python_version_of_name(path);
  g_autofree char *behind_shim = NULL;
  if (is_pyenv_shim(host)) {
    if (versioned != NULL)
      return;
    behind_shim = pyenv_selected_interpreter(root, envp, canon);
    if (behind_shim == NULL)
      return;
  }
  PythonProbe *p = g_new0(PythonProbe, 1);
  p->shown = g_strdup(path);
  /* On the real system run the name as found, so that a venv sees its own argv[0]; under a
   * fixture root run the resolved file, which cannot leave the root. A pyenv shim is replaced
   * by the interpreter it would run, sparing a bash start per shim. */
  if (behind_shim)
    p->run = cup_root_join(root, behind_shim);
  else
    p->run = is_system_root(root) ? g_strdup(path) : g_steal_pointer(&host);
  g_hash_table_add(seen, g_steal_pointer(&canon));
  g_ptr_array_add(probes, p);
}

static GPtrArray *python_probes_collect(const char *root, const char *const *envp, CupSystem *sys)
{
  GPtrArray *probes = g_ptr_array_new_with_free_func((GDestroyNotify)python_probe_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  const char *path = envp ? g_environ_getenv((char **)envp, "PATH") : NULL;
  g_auto(GStrv) entries = g_strsplit(path ? path : "", G_SEARCHPATH_SEPARATOR_S, -1);
  gboolean capped = FALSE;
  for (char **e = entries; *e && !capped; e++) {
    if (!g_path_is_absolute(*e))
      continue;
    g_autoptr(GPtrArray) names = python_names_in(root, *e);
    for (guint i = 0; i < names->len && !capped; i++) {
      g_autofree char *file = g_build_filename(*e, g_ptr_array_index(names, i), NULL);
      capped = probes->len == PYTHON_MAX;
      if (!capped)
        python_probe_add(root, envp, probes, seen, file);
    }
  }
  if (capped)
    cup_system_warn(sys, "more than %d Python interpreters on PATH; only the first %d were asked",
                    PYTHON_MAX, PYTHON_MAX);
  return probes;
}

static void detect_pythons(const char *root, const char *const *envp, CupSystem *sys)
{
  g_autoptr(GPtrArray) probes = python_probes_collect(root, envp, sys);
  python_probes_run(probes);
  for (guint i = 0; i < probes->len; i++) {
    PythonProbe *p = g_ptr_array_index(probes, i);
    if (p->error != NULL) {
      cup_system_warn(sys, "%s --version: %s", p->shown, p->error);
      g_autofree char *version = python_version_of_name(p->shown);
      g_ptr_array_add(sys->pythons, cup_python_new(p->shown, version));
    } else if (p->version != NULL) {
      g_ptr_array_add(sys->pythons, cup_python_new(p->shown, p->version));
    } else {
      g_debug("%s --version printed no version; not a usable interpreter", p->shown);
    }
  }
}

/* --- public --- */

void cup_osinfo_detect(const char *root, const char *const *envp, CupSystem *sys)
{
  g_free(sys->os.family);
#ifdef G_OS_WIN32
  sys->os.family = g_strdup("windows");
  detect_windows_version(sys);
  g_free(sys->os.arch);
  sys->os.arch = machine_arch();
  detect_pythons(root, envp, sys);
  /* os-release, WSL, Secure Boot and the kernel modules are read from Linux's /etc, /proc and
   * /sys: nothing of that exists on Windows. */
  return;
#else
  sys->os.family = g_strdup("linux");
#endif
  detect_os_release(root, sys);
  g_free(sys->os.arch);
  sys->os.arch = machine_arch();
  sys->os.wsl = detect_wsl(root, sys);
  sys->secure_boot = detect_secure_boot(root, sys);
  detect_modules(root, sys);
  detect_pythons(root, envp, sys);
}

/* "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024",
 * "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  555.58.02  Release Build ...". */
static char *driver_version_of_proc(const char *text)
{
  g_autoptr(GRegex) re =
      g_regex_new("^NVRM version:.*Kernel Module(?: for \\S+)?\\s+([0-9]+(?:\\.[0-9]+)+)(?:\\s|$)",
                  G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  if (!g_regex_match(re, text, 0, &match))
    return NULL;
  return g_match_info_fetch(match, 1);
}

char *cup_kernel_driver_version(const char *root)
{
  g_autofree char *proc = read_sys_file(root, "/proc/driver/nvidia/version", NULL);
  char *version = proc ? driver_version_of_proc(proc) : NULL;
  if (version != NULL)
    return version;
  g_autofree char *sysfs = read_sys_file(root, "/sys/module/nvidia/version", NULL);
  if (sysfs == NULL)
    return NULL;
  g_strstrip(sysfs);
  CupVersion v;
  return cup_version_parse(sysfs, &v, NULL) ? g_steal_pointer(&sysfs) : NULL;
}
