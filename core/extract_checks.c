/* extract_checks.c - the pure half of core/extract: entry names and symlink targets checked,
 * and archive paths mapped onto the toolkit tree (see extract.h for the layout). */
#include "core/i18n.h"
#include "core/extract_private.h"

#include "core/error.h"

#include <stdarg.h>
#include <string.h>

#define TOP_SUFFIX "-archive"
#define DOC_DIR "share/doc/cudaup"
/* NAME_MAX and PATH_MAX - 1 of Linux (and of NTFS names): longer ones could only fail later
 * with a less telling error. */
#define NAME_BYTES_MAX 255
#define PATH_BYTES_MAX 4095

/* A name fit for a one-line message: as it is when it is printable UTF-8, else escaped. */
static char *printable(const char *name)
{
  gboolean plain = g_utf8_validate(name, -1, NULL);
  for (const char *p = name; plain && *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      plain = FALSE;
  return plain ? g_strdup(name) : g_strescape(name, NULL);
}

gboolean cup_extract_refuse(GError **error, const char *component, const char *name,
                            const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *why = g_strdup_vprintf(format, args);
  va_end(args);
  g_autofree char *shown = printable(name);
  g_set_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY,
              _("%s archive: entry '%s' %s; the archive is refused and nothing was written"),
              component, shown, why);
  return FALSE;
}

/* Whether no component of @path is longer than NAME_BYTES_MAX. */
static gboolean names_short(const char *path)
{
  for (const char *p = path; *p != '\0';) {
    gsize len = strcspn(p, "/");
    if (len > NAME_BYTES_MAX)
      return FALSE;
    p += len + (p[len] == '/');
  }
  return TRUE;
}

/* Whether every component of @path means itself on Windows: not a device (CON, NUL, COM1,
 * ... with or without an extension) and not ending in a dot or space, which Windows drops. */
static gboolean windows_names_ok(const char *path)
{
  static const char *const devices[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);
  for (char **p = parts; *p != NULL; p++) {
    gsize len = strlen(*p);
    if (len > 0 && strcmp(*p, ".") != 0 && strcmp(*p, "..") != 0 &&
        ((*p)[len - 1] == '.' || (*p)[len - 1] == ' '))
      return FALSE;
    g_autofree char *stem = g_ascii_strup(*p, (gssize)strcspn(*p, ". "));
    for (gsize i = 0; i < G_N_ELEMENTS(devices); i++)
      if (strcmp(stem, devices[i]) == 0)
        return FALSE;
    if ((g_str_has_prefix(stem, "COM") || g_str_has_prefix(stem, "LPT")) && strlen(stem) == 4 &&
        g_ascii_isdigit(stem[3]))
      return FALSE;
  }
  return TRUE;
}

/* What is wrong with @path as a relative path that means the same on Linux and Windows, as a
 * noun phrase ("an absolute path"), or NULL when nothing is. ':' is refused only in Windows
 * archives, where it names a drive or an NTFS stream; a drive prefix everywhere. */
static const char *path_problem(const char *path, gboolean windows)
{
  if (!g_utf8_validate(path, -1, NULL))
    return "a path that is not valid UTF-8";
  for (const char *p = path; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      return "a path with a control character";
  if (strlen(path) > PATH_BYTES_MAX || !names_short(path))
    return "a path too long for the file system (names up to 255 bytes, paths up to 4095)";
  if (strchr(path, '\\') != NULL)
    return "a path with a backslash (a Windows separator or UNC name)";
  if (path[0] == '/')
    return "an absolute path";
  if (g_ascii_isalpha(path[0]) && path[1] == ':')
    return "a path with a drive letter";
  if (windows && strchr(path, ':') != NULL)
    return "a path with ':' (a Windows drive or stream name)";
  if (windows && !windows_names_ok(path))
    return "a path Windows reads as another (a device name like NUL, or a trailing dot or space)";
  return NULL;
}

/* @path split at '/', without empty and "." components (as the kernel reads it). */
static GPtrArray *split_path(const char *path)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func(g_free);
  g_auto(GStrv) raw = g_strsplit(path, "/", -1);
  for (char **p = raw; *p != NULL; p++)
    if (**p != '\0' && strcmp(*p, ".") != 0)
      g_ptr_array_add(parts, g_strdup(*p));
  return parts;
}

/* A directory option (lib_dir, include_dir): a plain relative path inside the tree, written
 * as entries' paths are ("a/b": no empty, "." or ".." component). */
static gboolean check_dir_option(const char *what, const char *value, GError **error)
{
  gboolean ok = *value != '\0' && path_problem(value, FALSE) == NULL;
  g_auto(GStrv) parts = g_strsplit(value, "/", -1);
  for (char **p = parts; ok && *p != NULL; p++)
    ok = **p != '\0' && strcmp(*p, ".") != 0 && strcmp(*p, "..") != 0;
  if (!ok)
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("extract: %s '%s' is not a plain relative path inside the toolkit tree (like "
                  "'lib64' or 'targets/x86_64-linux/lib')"),
                what, value);
  return ok;
}

static gboolean check_component(const char *component, GError **error)
{
  gboolean ok =
      *component != '\0' && strcmp(component, "..") != 0 && strcmp(component, ".") != 0 &&
      strspn(component, G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS "_.+") == strlen(component);
  if (!ok)
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("extract: '%s' is not a component name like 'cuda_nvcc' or 'cudnn'"), component);
  return ok;
}

gboolean cup_extract_layout_init(CupExtractLayout *layout, const CupExtractOptions *o,
                                 GError **error)
{
  memset(layout, 0, sizeof *layout);
  layout->component = o->component;
  layout->max_depth = o->max_depth ? o->max_depth : CUP_EXTRACT_MAX_DEPTH;
  if (!check_component(o->component, error))
    return FALSE;
  if (o->lib_dir != NULL && !check_dir_option("lib_dir", o->lib_dir, error))
    return FALSE;
  if (o->include_dir != NULL && !check_dir_option("include_dir", o->include_dir, error))
    return FALSE;
  layout->platform = g_strdup(o->platform);
  layout->lib_dir = g_strdup(o->lib_dir);
  layout->include_dir = g_strdup(o->include_dir ? o->include_dir : "include");
  layout->doc_dir = g_strdup_printf(DOC_DIR "/%s", o->component);
  return TRUE;
}

void cup_extract_layout_clear(CupExtractLayout *layout)
{
  g_clear_pointer(&layout->platform, g_free);
  g_clear_pointer(&layout->top, g_free);
  g_clear_pointer(&layout->lib_dir, g_free);
  g_clear_pointer(&layout->include_dir, g_free);
  g_clear_pointer(&layout->doc_dir, g_free);
}

const char *cup_extract_default_lib_dir(const char *platform)
{
  return platform != NULL && g_str_has_prefix(platform, "windows") ? "lib/x64" : "lib64";
}

/* The platform in "<platform>-<version>-archive" (@rest): its first two '-' fields, as in
 * every NVIDIA platform name (linux-x86_64, linux-sbsa, windows-x86_64). Newly allocated. */
static char *platform_of(const char *rest)
{
  const char *dash = strchr(rest, '-');
  dash = dash != NULL ? strchr(dash + 1, '-') : NULL;
  return dash != NULL && dash != rest ? g_strndup(rest, (gsize)(dash - rest)) : NULL;
}

/* Accept @top as the archive's top directory "<component>-<platform>-<version>-archive" and
 * complete @layout from it. */
static gboolean take_top(CupExtractLayout *layout, const char *name, const char *top,
                         GError **error)
{
  g_autofree char *prefix = g_strconcat(layout->component, "-", NULL);
  g_autofree char *platform = NULL;
  const char *rest = g_str_has_prefix(top, prefix) ? top + strlen(prefix) : NULL;
  if (rest != NULL)
    platform = layout->platform ? g_strdup(layout->platform) : platform_of(rest);
  gsize len = strlen(top), fixed = strlen(prefix) + (platform ? strlen(platform) : 0) + 1;
  if (platform == NULL || !g_str_has_prefix(rest, platform) || rest[strlen(platform)] != '-' ||
      !g_str_has_suffix(top, TOP_SUFFIX) || len <= fixed + strlen(TOP_SUFFIX))
    return cup_extract_refuse(error, layout->component, name,
                              "is not below a top directory '%s-%s-<version>" TOP_SUFFIX "/' "
                              "as in NVIDIA's archives",
                              layout->component,
                              layout->platform ? layout->platform : "<platform>");
  layout->top = g_strdup(top);
  g_free(layout->platform);
  layout->platform = g_steal_pointer(&platform);
  layout->windows = g_str_has_prefix(layout->platform, "windows");
  if (layout->lib_dir == NULL)
    layout->lib_dir = g_strdup(cup_extract_default_lib_dir(layout->platform));
  return TRUE;
}

/* Whether the components of @parts from @from start with those of @prefix. */
static gboolean has_prefix(GPtrArray *parts, guint from, const char *const *prefix)
{
  guint i = 0;
  for (; prefix[i] != NULL; i++)
    if (from + i >= parts->len || strcmp(g_ptr_array_index(parts, from + i), prefix[i]) != 0)
      return FALSE;
  return TRUE;
}

/* The tree path of the components @parts[1..] (below the top directory). */
static char *tree_path(const CupExtractLayout *layout, GPtrArray *parts, gboolean is_dir)
{
  static const char *const lib_linux[] = {"lib", NULL};
  static const char *const lib_windows[] = {"lib", "x64", NULL};
  static const char *const include[] = {"include", NULL};
  const char *const *lib = layout->windows ? lib_windows : lib_linux;
  g_autoptr(GString) out = g_string_new(NULL);
  guint from = 1;
  if (parts->len == 2 && !is_dir) {
    g_string_append(out, layout->doc_dir);
  } else if (has_prefix(parts, 1, lib)) {
    g_string_append(out, layout->lib_dir);
    from += g_strv_length((char **)lib);
  } else if (has_prefix(parts, 1, include)) {
    g_string_append(out, layout->include_dir);
    from += 1;
  }
  for (guint i = from; i < parts->len; i++) {
    if (out->len > 0)
      g_string_append_c(out, '/');
    g_string_append(out, g_ptr_array_index(parts, i));
  }
  return g_string_free(g_steal_pointer(&out), FALSE);
}

/* Refuse any "..": where it leads outside the tree, say so. */
static gboolean check_dotdot(const CupExtractLayout *layout, const char *name, GPtrArray *parts,
                             GError **error)
{
  int depth = 0;
  gboolean dotdot = FALSE;
  for (guint i = 0; i < parts->len; i++) {
    gboolean up = strcmp(g_ptr_array_index(parts, i), "..") == 0;
    dotdot |= up;
    depth += up ? -1 : 1;
    if (depth < 0)
      return cup_extract_refuse(error, layout->component, name, "leaves the toolkit tree");
  }
  if (dotdot)
    return cup_extract_refuse(error, layout->component, name, "has a '..' path component");
  return TRUE;
}

static guint count_parts(const char *path)
{
  guint n = 1;
  for (const char *p = path; *p != '\0'; p++)
    n += *p == '/';
  return n;
}

static gboolean check_name(const CupExtractLayout *layout, const char *name, GError **error)
{
  const char *problem = path_problem(name, layout->windows);
  return problem == NULL || cup_extract_refuse(error, layout->component, name, "is %s", problem);
}

char *cup_extract_map(CupExtractLayout *layout, const char *name, gboolean is_dir, gboolean *is_top,
                      GError **error)
{
  *is_top = FALSE;
  if (!check_name(layout, name, error))
    return NULL;
  g_autoptr(GPtrArray) parts = split_path(name);
  if (!check_dotdot(layout, name, parts, error))
    return NULL;
  if (parts->len == 0) {
    cup_extract_refuse(error, layout->component, name, "has an empty path");
    return NULL;
  }
  const char *top = g_ptr_array_index(parts, 0);
  /* The top directory tells a Windows archive, where ':' is refused too. */
  if (layout->top == NULL &&
      (!take_top(layout, name, top, error) || !check_name(layout, name, error)))
    return NULL;
  if (strcmp(top, layout->top) != 0) {
    cup_extract_refuse(error, layout->component, name,
                       "is outside the archive's top directory '%s/'", layout->top);
    return NULL;
  }
  if (parts->len == 1) {
    *is_top = TRUE;
    if (!is_dir)
      cup_extract_refuse(error, layout->component, name, "is not a directory");
    return NULL;
  }
  char *path = tree_path(layout, parts, is_dir);
  guint depth = count_parts(path);
  if (depth > layout->max_depth) {
    cup_extract_refuse(error, layout->component, name,
                       "is %u levels deep in the toolkit tree, more than the cap of %u", depth,
                       layout->max_depth);
    g_free(path);
    return NULL;
  }
  return path;
}

gboolean cup_extract_check_link(const CupExtractLayout *layout, const char *name, const char *path,
                                const char *target, GError **error)
{
  const char *problem = *target == '\0' ? "an empty path" : path_problem(target, layout->windows);
  g_autofree char *shown = printable(target);
  if (problem != NULL)
    return cup_extract_refuse(error, layout->component, name, "is a symlink to '%s', %s", shown,
                              problem);
  g_autoptr(GPtrArray) parts = split_path(target);
  guint ups = 0;
  for (guint i = 0; i < parts->len; i++) {
    if (strcmp(g_ptr_array_index(parts, i), "..") != 0)
      continue;
    /* After a name, ".." leads wherever that name links to: only a lexical guess. */
    if (i != ups)
      return cup_extract_refuse(error, layout->component, name,
                                "is a symlink to '%s', with a '..' after a directory name", shown);
    ups++;
  }
  guint parent_depth = count_parts(path) - 1;
  if (ups > parent_depth)
    return cup_extract_refuse(error, layout->component, name,
                              "is a symlink to '%s', which leaves the toolkit tree from '%s'",
                              shown, path);
  return TRUE;
}
