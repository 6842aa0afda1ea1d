/* log.c - the log writer. */
#include "core/i18n.h"
#include "core/log.h"

#include "core/error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

static FILE *log_file;
static char *log_path;
static gboolean log_verbose;

char *cup_log_default_path(void)
{
#ifdef G_OS_WIN32
  const char *base = g_get_user_data_dir(); /* %LOCALAPPDATA% */
#else
  const char *base = g_get_user_state_dir();
#endif
  return g_build_filename(base, "cudaup", "cudaup.log", NULL);
}

static const char *level_name(GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "ERROR";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "CRITICAL";
  if (level & G_LOG_LEVEL_WARNING)
    return "WARNING";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "MESSAGE";
  if (level & G_LOG_LEVEL_INFO)
    return "INFO";
  return "DEBUG";
}

static void write_line(FILE *out, GLogLevelFlags level, const GLogField *fields, gsize n)
{
  const char *message = "", *domain = "cudaup";
  for (gsize i = 0; i < n; i++) {
    if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      message = fields[i].value;
    else if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
      domain = fields[i].value;
  }
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *stamp = g_date_time_format_iso8601(now);
  fprintf(out, "%s %s %s: %s\n", stamp, level_name(level), domain, message);
  fflush(out);
}

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                               gpointer data)
{
  (void)data;
  if (log_file)
    write_line(log_file, level, fields, n_fields);
  /* Without --verbose, stderr only gets what GLib would always show (warnings and worse),
   * so that a bug never passes silently. */
  if (log_verbose || (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)))
    write_line(stderr, level, fields, n_fields);
  return G_LOG_WRITER_HANDLED;
}

static FILE *open_log(const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("cannot create the log directory %s: %s; pass "
                  "--log FILE with a writable path"),
                dir, g_strerror(saved));
    return NULL;
  }
  FILE *f = g_fopen(path, "a");
  if (f == NULL) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("cannot open the log file %s: %s; pass --log FILE with a writable path"), path,
                g_strerror(saved));
  }
  return f;
}

gboolean cup_log_setup(const char *path, gboolean verbose, GError **error)
{
  g_autofree char *chosen = path ? g_strdup(path) : cup_log_default_path();
  g_autoptr(GError) local = NULL;
  log_verbose = verbose;
  log_file = open_log(chosen, &local);
  if (log_file == NULL && path != NULL) {
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  if (log_file)
    log_path = g_steal_pointer(&chosen);
  g_log_set_writer_func(writer, NULL, NULL);
  return TRUE;
}

const char *cup_log_path(void)
{
  return log_path;
}
