/* datadir.c - locate manifests/. */
#include "core/datadir.h"

#include "cudaup-config.h"

char *cup_exe_prefix(void)
{
#ifdef G_OS_WIN32
  return g_win32_get_package_installation_directory_of_module(NULL);
#else
  g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
  if (exe == NULL)
    return NULL;
  g_autofree char *bindir = g_path_get_dirname(exe);
  return g_build_filename(bindir, "..", NULL);
#endif
}

static char *exe_relative_manifests(void)
{
  g_autofree char *prefix = cup_exe_prefix();
  return prefix ? g_build_filename(prefix, "share", "cudaup", "manifests", NULL) : NULL;
}

char *cup_manifests_dir(const char *override)
{
  if (override)
    return g_strdup(override);
  g_autofree char *installed = exe_relative_manifests();
  if (installed && g_file_test(installed, G_FILE_TEST_IS_DIR))
    return g_canonicalize_filename(installed, NULL);
  if (g_file_test(CUDAUP_SOURCE_MANIFESTS, G_FILE_TEST_IS_DIR))
    return g_strdup(CUDAUP_SOURCE_MANIFESTS);
  return g_build_filename(CUDAUP_DATADIR, "manifests", NULL);
}
