/* envset.c - the variables and path entries of a toolkit, the scripts that set them, and the
 * marked-block edits of profile files. Pure: strings in, strings out. */
#include "core/i18n.h"
#include "core/envset.h"

#include "core/error.h"

#include <string.h>

#define ROOT_LINE "# cudaup-root: "
#define DEFAULT_LINE "# cudaup-default: "
#define FLAG_NEWLINE "newline-added"
#define FLAG_CREATED "file-created"

/* ---- the spec --------------------------------------------------------------------------- */

static void variable_free(gpointer p)
{
  CupEnvVariable *v = p;
  g_free(v->name);
  g_free(v->value);
  g_free(v);
}

static void path_entry_free(gpointer p)
{
  CupEnvPathEntry *e = p;
  g_free(e->variable);
  g_free(e->subdir);
  g_free(e->entry);
  g_free(e);
}

void cup_envset_spec_free(CupEnvSpec *spec)
{
  if (spec == NULL)
    return;
  g_free(spec->os);
  g_free(spec->root);
  g_free(spec->cuda);
  g_ptr_array_unref(spec->variables);
  g_ptr_array_unref(spec->path_entries);
  g_free(spec->ldconf_name);
  g_free(spec->ldconf_content);
  g_free(spec);
}

static gboolean is_major_minor(const char *s)
{
  const char *dot = strchr(s, '.');
  if (dot == NULL || dot == s || dot[1] == '\0' || strchr(dot + 1, '.') != NULL)
    return FALSE;
  for (const char *p = s; *p != '\0'; p++)
    if (p != dot && !g_ascii_isdigit(*p))
      return FALSE;
  return dot - s <= 4 && strlen(dot + 1) <= 4;
}

/* Roots whose entries are system directories: dropping "/usr/bin" from PATH when the user
 * switches to another toolkit would break the shell, so these are never toolkit roots. */
static gboolean is_system_dir(const char *root)
{
  static const char *const dirs[] = {"/", "/usr", "/usr/local", "/bin", "/sbin", "/opt"};
  for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++)
    if (strcmp(root, dirs[i]) == 0)
      return TRUE;
  return FALSE;
}

/* "/a/./b/../c//" -> "/a/c", as the kernel resolves it when nothing is a symlink. Done by
 * hand: g_canonicalize_filename writes '\' on Windows, and a Linux plan can be made there. */
static char *posix_canonical(const char *path)
{
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);
  g_autoptr(GPtrArray) keep = g_ptr_array_new();
  for (char **p = parts; *p != NULL; p++) {
    if (strcmp(*p, "..") == 0 && keep->len > 0)
      g_ptr_array_remove_index(keep, keep->len - 1);
    else if (**p != '\0' && strcmp(*p, ".") != 0 && strcmp(*p, "..") != 0)
      g_ptr_array_add(keep, *p);
  }
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < keep->len; i++)
    g_string_append_printf(out, "/%s", (const char *)keep->pdata[i]);
  if (out->len == 0)
    g_string_append_c(out, '/');
  return g_string_free(out, FALSE);
}

static char *linux_root(const char *root)
{
  if (root[0] != '/' || strpbrk(root, ":\n\r") != NULL)
    return NULL;
  char *canon = posix_canonical(root);
  if (is_system_dir(canon)) {
    g_free(canon);
    return NULL;
  }
  return canon;
}

/* "C:\x", "C:/x" or "\\server\share\x", with '/' turned into '\' and trailing separators
 * removed; "." and ".." components are refused rather than resolved. */
static char *windows_root(const char *root)
{
  gboolean drive =
      g_ascii_isalpha(root[0]) && root[1] == ':' && (root[2] == '\\' || root[2] == '/');
  gboolean unc = (root[0] == '\\' || root[0] == '/') && (root[1] == '\\' || root[1] == '/');
  if ((!drive && !unc) || strpbrk(root, ";\"\n\r") != NULL)
    return NULL;
  g_autofree char *copy = g_strdelimit(g_strdup(root), "/", '\\');
  gsize n = strlen(copy);
  while (n > 3 && copy[n - 1] == '\\')
    copy[--n] = '\0';
  g_auto(GStrv) parts = g_strsplit(copy + 2, "\\", -1);
  for (char **p = parts; *p != NULL; p++)
    if (strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0)
      return NULL;
  if (drive && n <= 3)
    return NULL; /* a drive's root: its \bin is no toolkit's */
  return g_steal_pointer(&copy);
}

static void add_variable(CupEnvSpec *spec, const char *name, const char *value)
{
  CupEnvVariable *v = g_new0(CupEnvVariable, 1);
  v->name = g_strdup(name);
  v->value = g_strdup(value);
  g_ptr_array_add(spec->variables, v);
}

static void add_path_entry(CupEnvSpec *spec, const char *variable, const char *subdir)
{
  gboolean windows = strcmp(spec->os, "windows") == 0;
  CupEnvPathEntry *e = g_new0(CupEnvPathEntry, 1);
  e->variable = g_strdup(variable);
  e->subdir = g_strdup(subdir);
  e->entry = g_strconcat(spec->root, windows ? "\\" : "/", subdir, NULL);
  g_ptr_array_add(spec->path_entries, e);
}

static void fill_linux(CupEnvSpec *spec)
{
  add_path_entry(spec, "PATH", "bin");
  if (spec->scope == CUP_ENV_SCOPE_USER) {
    add_path_entry(spec, "LD_LIBRARY_PATH", "lib64");
  } else {
    spec->ldconf_name = g_strdup_printf("cudaup-cuda-%s.conf", spec->cuda);
    spec->ldconf_content = g_strdup_printf(
        CUP_ENVSET_GENERATED ": the libraries of CUDA %s for the dynamic linker.\n"
                             "# `cudaup env remove --scope system` deletes this file.\n"
                             "%s/lib64\n",
        spec->cuda, spec->root);
  }
  add_variable(spec, "CUDA_HOME", spec->root);
  add_variable(spec, "CUDA_PATH", spec->root);
}

static void fill_windows(CupEnvSpec *spec)
{
  g_autofree char *versioned = g_strdup_printf("CUDA_PATH_V%s", spec->cuda);
  g_strdelimit(versioned, ".", '_');
  add_variable(spec, "CUDA_PATH", spec->root);
  add_variable(spec, versioned, spec->root);
  add_path_entry(spec, "Path", "bin");
}

CupEnvSpec *cup_envset_spec_new(const char *os, const char *root, const char *cuda,
                                CupEnvScope scope, GError **error)
{
  gboolean windows = g_strcmp0(os, "windows") == 0;
  if (!windows && g_strcmp0(os, "linux") != 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("operating system '%s' has no environment rules: use linux or windows"),
                os ? os : "");
    return NULL;
  }
  if (cuda == NULL || !is_major_minor(cuda)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("CUDA version '%s' is not of the form X.Y: pass e.g. --cuda 12.1"),
                cuda ? cuda : "");
    return NULL;
  }
  char *canon = root == NULL ? NULL : windows ? windows_root(root) : linux_root(root);
  if (canon == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("toolkit root '%s' cannot go on PATH: give an absolute directory of its own "
                  "(not a system directory), without '%c' or line breaks"),
                root ? root : "", windows ? ';' : ':');
    return NULL;
  }
  CupEnvSpec *spec = g_new0(CupEnvSpec, 1);
  spec->os = g_strdup(os);
  spec->root = canon;
  spec->cuda = g_strdup(cuda);
  spec->scope = scope;
  spec->variables = g_ptr_array_new_with_free_func(variable_free);
  spec->path_entries = g_ptr_array_new_with_free_func(path_entry_free);
  if (windows)
    fill_windows(spec);
  else
    fill_linux(spec);
  return spec;
}

GPtrArray *cup_envset_spec_describe(const CupEnvSpec *spec)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
  gboolean windows = strcmp(spec->os, "windows") == 0;
  /* Windows lists the variables first, as CupPlan.environment does. */
  for (guint pass = 0; pass < 2; pass++) {
    gboolean entries = (pass == 0) != windows;
    GPtrArray *items = entries ? spec->path_entries : spec->variables;
    for (guint i = 0; i < items->len; i++) {
      if (entries) {
        const CupEnvPathEntry *e = items->pdata[i];
        g_ptr_array_add(lines, g_strdup_printf("%s += %s", e->variable, e->entry));
      } else {
        const CupEnvVariable *v = items->pdata[i];
        g_ptr_array_add(lines, g_strdup_printf("%s = %s", v->name, v->value));
      }
    }
    if (entries && spec->ldconf_name != NULL)
      g_ptr_array_add(lines, g_strdup_printf("/etc/ld.so.conf.d/%s += %s/lib64", spec->ldconf_name,
                                             spec->root));
  }
  return lines;
}

/* ---- the scripts ------------------------------------------------------------------------ */

/* 'text' for sh: a quote ends the quoting, is escaped, and quoting starts again. */
static void append_sh_quoted(GString *out, const char *text)
{
  g_string_append_c(out, '\'');
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '\'')
      g_string_append(out, "'\\''");
    else
      g_string_append_c(out, *p);
  }
  g_string_append_c(out, '\'');
}

/* 'text' for fish: inside single quotes only \' and \\ are escapes. */
static void append_fish_quoted(GString *out, const char *text)
{
  g_string_append_c(out, '\'');
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '\'' || *p == '\\')
      g_string_append_c(out, '\\');
    g_string_append_c(out, *p);
  }
  g_string_append_c(out, '\'');
}

/* Every root recorded in a script: the known ones that could be toolkit roots, and the
 * default's, each once, in order. */
static GPtrArray *recorded_roots(const CupEnvSpec *spec, const char *const *known_roots)
{
  GPtrArray *roots = g_ptr_array_new_with_free_func(g_free);
  for (const char *const *r = known_roots; r != NULL && *r != NULL; r++) {
    g_autofree char *canon = linux_root(*r);
    if (canon != NULL && strcmp(canon, *r) == 0 &&
        !g_ptr_array_find_with_equal_func(roots, canon, g_str_equal, NULL))
      g_ptr_array_add(roots, g_steal_pointer(&canon));
  }
  if (!g_ptr_array_find_with_equal_func(roots, spec->root, g_str_equal, NULL))
    g_ptr_array_add(roots, g_strdup(spec->root));
  return roots;
}

static void append_header(GString *out, const CupEnvSpec *spec, GPtrArray *roots, const char *how)
{
  g_string_append_printf(
      out,
      CUP_ENVSET_GENERATED ": the environment of the default CUDA toolkit (%s scope).\n"
                           "# `cudaup env apply` rewrites this file and `cudaup env remove` "
                           "deletes it; edits here are lost.\n"
                           "# %s\n" DEFAULT_LINE "%s %s\n",
      spec->scope == CUP_ENV_SCOPE_USER ? "user" : "system", how, spec->cuda, spec->root);
  for (guint i = 0; i < roots->len; i++)
    g_string_append_printf(out, ROOT_LINE "%s\n", (const char *)roots->pdata[i]);
}

/* The function that rebuilds a colon list without one entry. Empty entries (the current
 * directory) are kept as they are; only the exact entry goes. */
static const char sh_drop_function[] = "__cudaup_drop() {\n"
                                       "  __cudaup_out= __cudaup_sep= __cudaup_rest=$1:\n"
                                       "  while [ -n \"$__cudaup_rest\" ]; do\n"
                                       "    __cudaup_e=${__cudaup_rest%%:*}\n"
                                       "    __cudaup_rest=${__cudaup_rest#*:}\n"
                                       "    if [ \"$__cudaup_e\" != \"$2\" ]; then\n"
                                       "      __cudaup_out=$__cudaup_out$__cudaup_sep$__cudaup_e\n"
                                       "      __cudaup_sep=:\n"
                                       "    fi\n"
                                       "  done\n"
                                       "}\n";

static void append_sh_drops(GString *out, const CupEnvSpec *spec, GPtrArray *roots)
{
  if (roots->len < 2)
    return;
  g_string_append(out, sh_drop_function);
  for (guint r = 0; r < roots->len; r++) {
    const char *root = roots->pdata[r];
    if (strcmp(root, spec->root) == 0)
      continue;
    for (guint i = 0; i < spec->path_entries->len; i++) {
      const CupEnvPathEntry *e = spec->path_entries->pdata[i];
      g_autofree char *entry = g_strconcat(root, "/", e->subdir, NULL);
      GString *q = g_string_new(NULL);
      append_sh_quoted(q, entry);
      g_string_append_printf(
          out, "case \":${%s-}:\" in *:%s:*) __cudaup_drop \"$%s\" %s; %s=$__cudaup_out ;; esac\n",
          e->variable, q->str, e->variable, q->str, e->variable);
      g_string_free(q, TRUE);
    }
  }
  g_string_append(out, "unset __cudaup_out __cudaup_sep __cudaup_rest __cudaup_e\n"
                       "unset -f __cudaup_drop\n");
}

char *cup_envset_script_sh(const CupEnvSpec *spec, const char *const *known_roots)
{
  g_autoptr(GPtrArray) roots = recorded_roots(spec, known_roots);
  GString *out = g_string_new(NULL);
  append_header(out, spec, roots,
                "POSIX sh: drops the entries of the other toolkits below, adds each entry only "
                "when absent.");
  append_sh_drops(out, spec, roots);
  for (guint i = 0; i < spec->path_entries->len; i++) {
    const CupEnvPathEntry *e = spec->path_entries->pdata[i];
    GString *q = g_string_new(NULL);
    append_sh_quoted(q, e->entry);
    g_string_append_printf(out, "case \":${%s-}:\" in *:%s:*) ;; *) %s=%s${%s:+\":$%s\"} ;; esac\n",
                           e->variable, q->str, e->variable, q->str, e->variable, e->variable);
    g_string_append_printf(out, "export %s\n", e->variable);
    g_string_free(q, TRUE);
  }
  for (guint i = 0; i < spec->variables->len; i++) {
    const CupEnvVariable *v = spec->variables->pdata[i];
    g_string_append_printf(out, "%s=", v->name);
    append_sh_quoted(out, v->value);
    g_string_append_printf(out, "\nexport %s\n", v->name);
  }
  return g_string_free(out, FALSE);
}

static void append_fish_drops(GString *out, const CupEnvSpec *spec, GPtrArray *roots)
{
  for (guint r = 0; r < roots->len; r++) {
    const char *root = roots->pdata[r];
    if (strcmp(root, spec->root) == 0)
      continue;
    for (guint i = 0; i < spec->path_entries->len; i++) {
      const CupEnvPathEntry *e = spec->path_entries->pdata[i];
      g_autofree char *entry = g_strconcat(root, "/", e->subdir, NULL);
      GString *q = g_string_new(NULL);
      append_fish_quoted(q, entry);
      g_string_append_printf(out,
                             "while contains -- %s $%s\n"
                             "    set -e %s[(contains -i -- %s $%s)]\n"
                             "end\n",
                             q->str, e->variable, e->variable, q->str, e->variable);
      g_string_free(q, TRUE);
    }
  }
}

char *cup_envset_script_fish(const CupEnvSpec *spec, const char *const *known_roots)
{
  g_autoptr(GPtrArray) roots = recorded_roots(spec, known_roots);
  GString *out = g_string_new(NULL);
  append_header(out, spec, roots,
                "fish: drops the entries of the other toolkits below, adds each entry only when "
                "absent.");
  append_fish_drops(out, spec, roots);
  for (guint i = 0; i < spec->path_entries->len; i++) {
    const CupEnvPathEntry *e = spec->path_entries->pdata[i];
    GString *q = g_string_new(NULL);
    append_fish_quoted(q, e->entry);
    g_string_append_printf(out, "contains -- %s $%s; or set -gx %s %s $%s\n", q->str, e->variable,
                           e->variable, q->str, e->variable);
    g_string_free(q, TRUE);
  }
  for (guint i = 0; i < spec->variables->len; i++) {
    const CupEnvVariable *v = spec->variables->pdata[i];
    g_string_append_printf(out, "set -gx %s ", v->name);
    append_fish_quoted(out, v->value);
    g_string_append_c(out, '\n');
  }
  return g_string_free(out, FALSE);
}

gboolean cup_envset_is_generated(const char *text)
{
  return text != NULL && g_str_has_prefix(text, CUP_ENVSET_GENERATED);
}

gboolean cup_envset_script_parse(const char *text, char **cuda, char **root, GPtrArray *known_roots)
{
  if (!cup_envset_is_generated(text))
    return FALSE;
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  const char *found = NULL;
  for (char **l = lines; *l != NULL; l++) {
    if (g_str_has_prefix(*l, DEFAULT_LINE) && found == NULL)
      found = *l + strlen(DEFAULT_LINE);
    else if (g_str_has_prefix(*l, ROOT_LINE) && known_roots != NULL)
      g_ptr_array_add(known_roots, g_strdup(*l + strlen(ROOT_LINE)));
  }
  const char *space = found ? strchr(found, ' ') : NULL;
  if (space == NULL)
    return FALSE;
  if (cuda != NULL)
    *cuda = g_strndup(found, space - found);
  if (root != NULL)
    *root = g_strdup(space + 1);
  return TRUE;
}

char *cup_envset_rc_line(const char *script_path)
{
  GString *q = g_string_new(NULL);
  append_sh_quoted(q, script_path);
  char *line = g_strdup_printf("if [ -f %s ]; then . %s; fi # cudaup", q->str, q->str);
  g_string_free(q, TRUE);
  return line;
}

char *cup_envset_fish_line(const char *script_path)
{
  GString *q = g_string_new(NULL);
  append_fish_quoted(q, script_path);
  char *line = g_strdup_printf("if test -f %s; source %s; end # cudaup", q->str, q->str);
  g_string_free(q, TRUE);
  return line;
}

char *cup_envset_fish_conf(const char *script_path)
{
  g_autofree char *line = cup_envset_fish_line(script_path);
  return g_strdup_printf(CUP_ENVSET_GENERATED ": loads the CUDA toolkit's environment into fish.\n"
                                              "# `cudaup env remove` deletes this file.\n"
                                              "%s\n",
                         line);
}

gboolean cup_envset_ldconf_is_ours(const char *name)
{
  const char *prefix = "cudaup-cuda-";
  if (!g_str_has_prefix(name, prefix) || !g_str_has_suffix(name, ".conf"))
    return FALSE;
  g_autofree char *version =
      g_strndup(name + strlen(prefix), strlen(name) - strlen(prefix) - strlen(".conf"));
  return is_major_minor(version);
}

/* ---- marked blocks ---------------------------------------------------------------------- */

typedef struct {
  gsize begin; /* offset of the begin marker line */
  gsize end;   /* offset just past the end marker line and its line break */
  gboolean newline_added;
  gboolean file_created;
} Block;

/* Whether the line at @line starts with @marker followed by nothing, a space or a line end. */
static gboolean line_is(const char *line, const char *marker)
{
  gsize n = strlen(marker);
  /* strchr also finds the terminating NUL: a marker at the very end of the text counts. */
  return strncmp(line, marker, n) == 0 && strchr(" \r\n", line[n]) != NULL;
}

static gsize line_end(const char *text, gsize pos)
{
  const char *nl = strchr(text + pos, '\n');
  return nl ? (gsize)(nl - text) + 1 : strlen(text);
}

static void read_flags(const char *line, gsize len, Block *b)
{
  g_autofree char *copy = g_strndup(line, len);
  g_auto(GStrv) words = g_strsplit_set(copy, " \r\n", -1);
  for (char **w = words; *w != NULL; w++) {
    if (strcmp(*w, FLAG_NEWLINE) == 0)
      b->newline_added = TRUE;
    else if (strcmp(*w, FLAG_CREATED) == 0)
      b->file_created = TRUE;
  }
}

/* The first block at or after @from. FALSE when there is none, or with @error set when a
 * begin marker has no end marker. */
static gboolean find_block(const char *text, gsize from, Block *b, GError **error)
{
  gsize len = strlen(text);
  for (gsize pos = from; pos < len; pos = line_end(text, pos)) {
    if (!line_is(text + pos, CUP_ENVSET_BLOCK_BEGIN))
      continue;
    memset(b, 0, sizeof *b);
    b->begin = pos;
    read_flags(text + pos, line_end(text, pos) - pos, b);
    for (gsize p = line_end(text, pos); p < len; p = line_end(text, p)) {
      if (line_is(text + p, CUP_ENVSET_BLOCK_END)) {
        b->end = line_end(text, p);
        return TRUE;
      }
    }
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                _("a '%s' line has no '%s' line after it: delete the unfinished cudaup block"),
                CUP_ENVSET_BLOCK_BEGIN, CUP_ENVSET_BLOCK_END);
    return FALSE;
  }
  return FALSE;
}

gboolean cup_envset_block_present(const char *text)
{
  Block b;
  g_autoptr(GError) error = NULL;
  return text != NULL && (find_block(text, 0, &b, &error) || error != NULL);
}

static const char *file_eol(const char *text)
{
  const char *nl = text ? strchr(text, '\n') : NULL;
  return nl != NULL && nl > text && nl[-1] == '\r' ? "\r\n" : "\n";
}

static void append_block(GString *out, const char *body, const char *eol, const Block *flags)
{
  g_string_append(out, CUP_ENVSET_BLOCK_BEGIN);
  if (flags->newline_added)
    g_string_append(out, " " FLAG_NEWLINE);
  if (flags->file_created)
    g_string_append(out, " " FLAG_CREATED);
  g_string_append(out, eol);
  g_string_append_printf(out,
                         "# Managed by cudaup: the CUDA toolkit's environment. Remove it "
                         "with `cudaup env remove`.%s",
                         eol);
  g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
  for (char **l = lines; *l != NULL; l++) {
    if (**l == '\0' && l[1] == NULL)
      break; /* the empty piece after the body's final "\n" */
    g_string_append(out, *l);
    g_string_append(out, eol);
  }
  g_string_append(out, CUP_ENVSET_BLOCK_END);
  g_string_append(out, eol);
}

/* Append @text from @from on, without any of its blocks, to @out. The last block removed is
 * returned in @last (its offsets in @text), if any. */
static gboolean append_without_blocks(GString *out, const char *text, gsize from, Block *last,
                                      gboolean *found, GError **error)
{
  Block b;
  GError *local = NULL;
  *found = FALSE;
  while (find_block(text, from, &b, &local)) {
    g_string_append_len(out, text + from, b.begin - from);
    if (!*found)
      *last = b;
    else {
      last->newline_added |= b.newline_added;
      last->file_created |= b.file_created;
      last->end = b.end;
    }
    *found = TRUE;
    from = b.end;
  }
  if (local != NULL) {
    g_propagate_error(error, local);
    return FALSE;
  }
  g_string_append(out, text + from);
  return TRUE;
}

static char *replace_block(const char *text, const char *body, const Block *first, GError **error)
{
  g_autoptr(GString) out = g_string_new(NULL);
  Block rest;
  gboolean more;
  g_string_append_len(out, text, first->begin);
  append_block(out, body, file_eol(text), first);
  if (!append_without_blocks(out, text, first->end, &rest, &more, error))
    return NULL;
  return g_string_free(g_steal_pointer(&out), FALSE);
}

static char *append_new_block(const char *text, const char *body)
{
  GString *out = g_string_new(text);
  Block flags = {0};
  if (out->len > 0 && text[out->len - 1] != '\n') {
    g_string_append(out, file_eol(text));
    flags.newline_added = TRUE;
  }
  append_block(out, body, file_eol(text), &flags);
  return g_string_free(out, FALSE);
}

char *cup_envset_block_apply(const char *text, const char *body, GError **error)
{
  Block first = {0};
  GError *local = NULL;
  if (text == NULL) {
    GString *out = g_string_new(NULL);
    first.file_created = TRUE;
    append_block(out, body, "\n", &first);
    return g_string_free(out, FALSE);
  }
  gboolean found = find_block(text, 0, &first, &local);
  if (local != NULL) {
    g_propagate_error(error, local);
    return NULL;
  }
  return found ? replace_block(text, body, &first, error) : append_new_block(text, body);
}

gboolean cup_envset_block_remove(const char *text, char **result, GError **error)
{
  Block b;
  gboolean found;
  *result = NULL;
  g_autoptr(GString) out = g_string_new(NULL);
  if (!append_without_blocks(out, text, 0, &b, &found, error))
    return FALSE;
  /* The line break cudaup added goes only while nothing was added after the block: with
   * lines after it, taking it away would join two of the user's lines. */
  if (found && b.newline_added && b.end == strlen(text) && out->len > 0 &&
      out->str[out->len - 1] == '\n') {
    gsize cut = out->len >= 2 && out->str[out->len - 2] == '\r' ? 2 : 1;
    g_string_truncate(out, out->len - cut);
  }
  if (found && b.file_created && out->len == 0)
    return TRUE;
  *result = g_string_free(g_steal_pointer(&out), FALSE);
  return TRUE;
}

/* ---- diff ------------------------------------------------------------------------------- */

/* @text's lines, each with its line break (the last one may have none). */
static GPtrArray *split_lines(const char *text)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
  gsize len = text ? strlen(text) : 0;
  for (gsize pos = 0; pos < len;) {
    gsize end = line_end(text, pos);
    g_ptr_array_add(lines, g_strndup(text + pos, end - pos));
    pos = end;
  }
  return lines;
}

static void append_diff_lines(GString *out, char sign, GPtrArray *lines, guint from, guint to)
{
  for (guint i = from; i < to; i++) {
    const char *line = lines->pdata[i];
    g_string_append_c(out, sign);
    g_string_append(out, line);
    if (!g_str_has_suffix(line, "\n"))
      g_string_append(out, "\n\\ No newline at end of file\n");
  }
}

/* A hunk's start as unified diffs count it: the first changed line, or the one before an
 * empty range. */
static guint hunk_start(guint first, guint count)
{
  return count > 0 ? first + 1 : first;
}

char *cup_envset_diff(const char *path, const char *old_text, const char *new_text)
{
  if (g_strcmp0(old_text, new_text) == 0)
    return g_strdup("");
  g_autoptr(GPtrArray) a = split_lines(old_text);
  g_autoptr(GPtrArray) b = split_lines(new_text);
  guint pre = 0, suf = 0;
  while (pre < a->len && pre < b->len && strcmp(a->pdata[pre], b->pdata[pre]) == 0)
    pre++;
  while (suf < a->len - pre && suf < b->len - pre &&
         strcmp(a->pdata[a->len - 1 - suf], b->pdata[b->len - 1 - suf]) == 0)
    suf++;
  guint na = a->len - pre - suf, nb = b->len - pre - suf;
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "--- %s\n+++ %s\n", old_text ? path : "/dev/null",
                         new_text ? path : "/dev/null");
  g_string_append_printf(out, "@@ -%u,%u +%u,%u @@\n", hunk_start(pre, na), na, hunk_start(pre, nb),
                         nb);
  append_diff_lines(out, '-', a, pre, pre + na);
  append_diff_lines(out, '+', b, pre, pre + nb);
  return g_string_free(out, FALSE);
}
