/* wzanswers.c - the wizard's answers file and its --silent mode (wzanswers.h). */
#include "wizard/wzanswers.h"

#include "core/datadir.h"
#include "core/error.h"
#include "core/i18n.h"

#include <stdio.h>
#include <string.h>

#ifdef G_OS_WIN32
#define CLI_NAME "cudaup.exe"
#else
#define CLI_NAME "cudaup"
#endif

/* The answers file resolves a relative path against its own directory and refuses '~', while
 * the wizard's entry meant the current directory and the home: write what the user meant. */
static char *absolute_path(const char *path)
{
  if (path[0] == '~' && (path[1] == '\0' || G_IS_DIR_SEPARATOR(path[1])))
    return g_build_filename(g_get_home_dir(), path + 1, NULL);
  return g_canonicalize_filename(path, NULL);
}

static void add_key(GString *out, const char *key, const char *value)
{
  if (value != NULL)
    g_string_append_printf(out, "%s = %s\n", key, value);
}

static char *framework_value(const WzChoices *c)
{
  const char *name = c->framework == CUP_FRAMEWORK_PYTORCH      ? "pytorch"
                     : c->framework == CUP_FRAMEWORK_TENSORFLOW ? "tensorflow"
                                                                : NULL;
  if (name == NULL)
    return NULL;
  g_autofree char *version = wz_choice_given(c->version);
  return version ? g_strdup_printf("%s==%s", name, version) : g_strdup(name);
}

char *wz_answers_text(const WzChoices *c, gboolean is_admin)
{
  GString *out = g_string_new(NULL);
  g_string_append(out, "# cudaup answers file, saved by cudaup-wizard.\n"
                       "# Replay it on another computer with:\n"
                       "#   cudaup install --silent --answers FILE\n"
                       "# or: cudaup-wizard --silent --answers FILE\n"
                       "[install]\n");
  g_autofree char *framework = framework_value(c);
  add_key(out, "framework", framework);
  g_autofree char *cuda = wz_choice_given(c->cuda_pin);
  if (c->framework == CUP_FRAMEWORK_NONE) {
    if (cuda == NULL)
      cuda = wz_choice_given(c->version);
    add_key(out, "with-toolkit", "true"); /* CUDA development means nvcc */
  }
  add_key(out, "cuda", cuda);
  g_autofree char *cudnn = wz_choice_given(c->cudnn_pin), *python = wz_choice_given(c->python);
  add_key(out, "cudnn", cudnn);
  add_key(out, "python", python);
  g_autofree char *prefix = wz_choice_given(c->prefix);
  g_autofree char *abs_prefix = prefix ? absolute_path(prefix) : NULL;
  add_key(out, "prefix", abs_prefix);
  gboolean user = c->user || !is_admin;
  add_key(out, "user", user ? "true" : NULL);
  add_key(out, "env-scope", user ? "user" : "system");
  g_autofree char *mirror = wz_choice_given(c->mirror), *offline = wz_choice_given(c->offline_dir);
  add_key(out, "mirror", mirror);
  g_autofree char *abs_offline = offline ? absolute_path(offline) : NULL;
  add_key(out, "offline", abs_offline);
  return g_string_free(out, FALSE);
}

gboolean wz_answers_save(const WzChoices *c, gboolean is_admin, const char *file, GError **error)
{
  const char *values[] = {c->version, c->python, c->cuda_pin,   c->cudnn_pin,
                          c->prefix,  c->mirror, c->offline_dir};
  for (gsize i = 0; i < G_N_ELEMENTS(values); i++)
    if (values[i] && strpbrk(values[i], "\r\n")) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                  _("\"%s\" holds a line break, which an answers file cannot keep; remove it "
                    "and save again"),
                  values[i]);
      return FALSE;
    }
  g_autofree char *text = wz_answers_text(c, is_admin);
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents_full(file, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("cannot save the answers to %s: %s; choose another folder"), file,
                local->message);
    return FALSE;
  }
  return TRUE;
}

GStrv wz_silent_argv(const char *cli, const char *const *globals, const char *answers)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  g_strv_builder_add(b, cli);
  if (globals)
    g_strv_builder_addv(b, (const char **)globals);
  g_strv_builder_add_many(b, "install", "--silent", NULL);
  if (answers) {
    g_autofree char *arg = g_strconcat("--answers=", answers, NULL);
    g_strv_builder_add(b, arg);
  }
  return g_strv_builder_end(b);
}

char *wz_silent_cli_path(GError **error)
{
  const char *env = g_getenv("CUDAUP_CLI");
  if (env && *env)
    return g_strdup(env);
  g_autofree char *prefix = cup_exe_prefix();
  if (prefix) {
    g_autofree char *beside = g_build_filename(prefix, "bin", CLI_NAME, NULL);
    if (g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
      return g_steal_pointer(&beside);
  }
  char *found = g_find_program_in_path("cudaup");
  if (found == NULL)
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("cudaup-wizard --silent runs the cudaup command, which is not installed "
                  "beside it nor in PATH; install the cudaup package, or set CUDAUP_CLI"));
  return found;
}

int wz_silent_run(const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  int status = 0;
  if (!g_spawn_sync(NULL, (char **)argv, NULL,
                    G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN |
                        G_SPAWN_CHILD_INHERITS_STDOUT | G_SPAWN_CHILD_INHERITS_STDERR,
                    NULL, NULL, NULL, NULL, &status, &error)) {
    fprintf(stderr, "cudaup-wizard: %s: %s\n", argv[0], error->message);
    return cup_error_exit_code_for(CUP_ERROR_NOT_FOUND);
  }
  if (g_spawn_check_wait_status(status, &error))
    return 0;
  if (error->domain == G_SPAWN_EXIT_ERROR)
    return error->code;
  fprintf(stderr, "cudaup-wizard: %s: %s\n", argv[0], error->message);
  return cup_error_exit_code_for(CUP_ERROR_INTERNAL);
}
