/* i18n.c - bind the "cudaup" text domain. */
#include "core/i18n.h"

#include <locale.h>

#include "core/datadir.h"
#include "cudaup-config.h"

/* An installed cudaup is recognised by its own catalog, not by the directory alone: every
 * prefix has a share/locale. */
static gboolean has_catalog(const char *dir)
{
  g_autofree char *mo = g_build_filename(dir, "ko", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  return g_file_test(mo, G_FILE_TEST_IS_REGULAR);
}

char *cup_i18n_localedir(void)
{
  const char *env = g_getenv("CUDAUP_LOCALEDIR");
  if (env && *env)
    return g_strdup(env);
  g_autofree char *prefix = cup_exe_prefix();
  g_autofree char *installed = prefix ? g_build_filename(prefix, "share", "locale", NULL) : NULL;
  if (installed && has_catalog(installed))
    return g_canonicalize_filename(installed, NULL);
  if (has_catalog(CUDAUP_BUILD_LOCALEDIR))
    return g_strdup(CUDAUP_BUILD_LOCALEDIR);
  return g_strdup(CUDAUP_LOCALEDIR);
}

void cup_i18n_init(void)
{
  g_autofree char *dir = cup_i18n_localedir();
  bindtextdomain(GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
}
