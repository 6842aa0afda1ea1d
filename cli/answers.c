/* answers.c - the answers file of `cudaup install --silent`, merged into the command line as
 * `--key=value` arguments ahead of the user's own, so the option parser stays the one place that
 * gives options their values, and an option the user gives is simply not taken from the file.
 * GKeyFile judges the syntax and gives the values; a small line scanner beside it gives the line
 * numbers for the messages and sees what GKeyFile hides (a key set twice, localized keys). */
#include "core/i18n.h"
#include "cli/answers.h"

#include "core/error.h"

#include <stdarg.h>
#include <string.h>

struct _CliAnswers {
  char *path;            /* absolute path of the answers file; NULL without one */
  GPtrArray *argv;       /* the argv handed out, NULL-terminated; holds pointers only */
  GPtrArray *owned;      /* the arguments this object added to it */
  GHashTable *from_file; /* long name -> GINT_TO_POINTER(line in the file) */
  GHashTable *from_cli;  /* long name -> its last value on the command line (NULL: a flag) */
};

/* ---- the command line ---- */

/* Whether the option takes the next argument as its value when given without '='. */
static gboolean takes_value(const GOptionEntry *e)
{
  if (e->arg == G_OPTION_ARG_NONE)
    return FALSE;
  if (e->arg == G_OPTION_ARG_CALLBACK)
    return !(e->flags & (G_OPTION_FLAG_NO_ARG | G_OPTION_FLAG_OPTIONAL_ARG));
  return TRUE;
}

static gboolean is_flag(const GOptionEntry *e)
{
  return e->arg == G_OPTION_ARG_NONE ||
         (e->arg == G_OPTION_ARG_CALLBACK && (e->flags & G_OPTION_FLAG_NO_ARG));
}

static gboolean is_list(const GOptionEntry *e)
{
  return e->arg == G_OPTION_ARG_STRING_ARRAY || e->arg == G_OPTION_ARG_FILENAME_ARRAY;
}

static const GOptionEntry *find_long(const GOptionEntry *entries, const char *name, gsize len)
{
  for (const GOptionEntry *e = entries; e->long_name; e++)
    if (strlen(e->long_name) == len && strncmp(e->long_name, name, len) == 0)
      return e;
  return NULL;
}

static const GOptionEntry *find_short(const GOptionEntry *entries, char c)
{
  for (const GOptionEntry *e = entries; e->long_name; e++)
    if (e->short_name == c)
      return e;
  return NULL;
}

/* "--name=V" or "--name V" at argv[i]; returns the index of the last argument it used. */
static int given_long(const GOptionEntry *entries, int argc, char **argv, int i, GHashTable *given)
{
  const char *name = argv[i] + 2;
  const char *eq = strchr(name, '=');
  const GOptionEntry *e = find_long(entries, name, eq ? (gsize)(eq - name) : strlen(name));
  if (e == NULL)
    return i;
  const char *value = eq ? eq + 1 : NULL;
  if (eq == NULL && takes_value(e) && i + 1 < argc)
    value = argv[++i];
  g_hash_table_insert(given, g_strdup(e->long_name), (gpointer)value);
  return i;
}

/* "-vq", "-j 4": as GOption reads them, an option with a value in a cluster takes the next
 * argument, never the rest of the cluster. */
static int given_short(const GOptionEntry *entries, int argc, char **argv, int i, GHashTable *given)
{
  int last = i;
  for (const char *c = argv[i] + 1; *c; c++) {
    const GOptionEntry *e = find_short(entries, *c);
    if (e == NULL)
      continue;
    const char *value = NULL;
    if (takes_value(e) && last + 1 < argc)
      value = argv[++last];
    g_hash_table_insert(given, g_strdup(e->long_name), (gpointer)value);
  }
  return last;
}

/* The options of @entries that argv[1..] gives, by long name, with their last value; nothing
 * after "--" is an option. Options @entries does not know are passed over. */
static GHashTable *given_options(const GOptionEntry *entries, int argc, char **argv)
{
  GHashTable *given = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--") == 0)
      break;
    if (g_str_has_prefix(arg, "--"))
      i = given_long(entries, argc, argv, i, given);
    else if (arg[0] == '-' && arg[1] != '\0')
      i = given_short(entries, argc, argv, i, given);
  }
  return given;
}

const char *cli_answers_file_arg(const GOptionEntry *entries, int argc, char **argv)
{
  g_autoptr(GHashTable) given = given_options(entries, argc, argv);
  return g_hash_table_lookup(given, "answers");
}

/* ---- reading the file ---- */

typedef struct {
  const char *file; /* as given, for the messages */
  const GOptionEntry *entries;
  char *dir; /* the file's absolute directory, for relative paths */
} Reader;

static gboolean fail(GError **error, const Reader *r, int line, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

/* Sets the one-line CUP_ERROR_USAGE "FILE[:LINE]: WHAT" and returns FALSE. */
static gboolean fail(GError **error, const Reader *r, int line, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *what = g_strdup_vprintf(format, args);
  va_end(args);
  if (line > 0)
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE, "%s:%d: %s", r->file, line, what);
  else
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE, "%s: %s", r->file, what);
  return FALSE;
}

static int line_of(const char *text, const char *at)
{
  int line = 1;
  for (const char *p = text; p < at; p++)
    line += *p == '\n';
  return line;
}

/* The bytes as UTF-8: a UTF-8 byte-order mark is dropped and UTF-16 with one converted, since
 * Windows Notepad and PowerShell 5 write those. NUL bytes count as not text. */
static char *to_utf8(const Reader *r, const char *raw, gsize len, GError **error)
{
  static const char *const boms[][2] = {
      {"\xEF\xBB\xBF", "UTF-8"}, {"\xFF\xFE", "UTF-16LE"}, {"\xFE\xFF", "UTF-16BE"}};
  const char *charset = "UTF-8";
  for (gsize i = 0; i < G_N_ELEMENTS(boms); i++) {
    gsize n = strlen(boms[i][0]);
    if (len >= n && memcmp(raw, boms[i][0], n) == 0) {
      raw += n, len -= n, charset = boms[i][1];
      break;
    }
  }
  gsize n = len;
  g_autofree char *text = strcmp(charset, "UTF-8") == 0
                              ? g_strndup(raw, len)
                              : g_convert(raw, (gssize)len, "UTF-8", charset, NULL, &n, NULL);
  const char *end = NULL;
  if (text == NULL) {
    fail(error, r, 0, _("not valid %s text; save the answers file as UTF-8"), charset);
    return NULL;
  }
  if (!g_utf8_validate_len(text, n, &end)) {
    fail(error, r, line_of(text, end), _("not UTF-8 text; save the answers file as UTF-8"));
    return NULL;
  }
  return g_steal_pointer(&text);
}

/* The file's lines, for CRLF, LF or CR line ends; a comment line starting with ';' (the Windows
 * INI habit) is turned into GKeyFile's '#' one. */
static char **read_lines(const Reader *r, GError **error)
{
  g_autofree char *raw = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(r->file, &raw, &len, &local)) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      fail(error, r, 0, _("no such answers file; check the path given to --answers"));
    else
      fail(error, r, 0, _("cannot read the answers file (%s); give --answers a readable file"),
           local->message);
    return NULL;
  }
  g_autofree char *text = to_utf8(r, raw, len, error);
  if (text == NULL)
    return NULL;
  g_auto(GStrv) crlf = g_strsplit(text, "\r\n", -1);
  g_autofree char *lf = g_strjoinv("\n", crlf);
  g_strdelimit(lf, "\r", '\n');
  char **lines = g_strsplit(lf, "\n", -1);
  for (char **l = lines; *l; l++) {
    char *s = *l + strspn(*l, " \t");
    if (*s == ';')
      *s = '#';
  }
  return lines;
}

/* A group header (key NULL) or a key of the file, with its line number from 1. */
typedef struct {
  char *group;
  char *key;
  int line;
} IniLine;

static void ini_line_clear(gpointer p)
{
  IniLine *l = p;
  g_free(l->group);
  g_free(l->key);
}

/* The group headers and keys of @lines; *bad is the first line GKeyFile rejects (0: none seen):
 * one that is not blank, a '#' comment, [group] or key = value, or a key before any group. */
static GArray *scan_lines(char **lines, int *bad)
{
  GArray *out = g_array_new(FALSE, TRUE, sizeof(IniLine));
  g_array_set_clear_func(out, ini_line_clear);
  g_autofree char *group = NULL;
  *bad = 0;
  for (int n = 0; lines[n]; n++) {
    g_autofree char *s = g_strstrip(g_strdup(lines[n]));
    const char *eq = strchr(s, '=');
    IniLine l = {.line = n + 1};
    if (s[0] == '\0' || s[0] == '#')
      continue;
    if (s[0] == '[' && g_str_has_suffix(s, "]")) {
      g_free(group);
      group = g_strndup(s + 1, strlen(s) - 2);
    } else if (eq != NULL && eq > s && group != NULL) {
      l.key = g_strstrip(g_strndup(s, (gsize)(eq - s)));
    } else {
      *bad = *bad ? *bad : n + 1;
      continue;
    }
    l.group = g_strdup(group);
    g_array_append_val(out, l);
  }
  return out;
}

/* Exactly one group, [install], possibly in several parts as GKeyFile allows. */
static gboolean check_groups(const Reader *r, GArray *ini, GError **error)
{
  const IniLine *other = NULL;
  gboolean found = FALSE;
  for (guint i = 0; i < ini->len; i++) {
    const IniLine *l = &g_array_index(ini, IniLine, i);
    if (l->key != NULL)
      continue;
    if (strcmp(l->group, CLI_ANSWERS_GROUP) == 0)
      found = TRUE;
    else if (other == NULL)
      other = l;
  }
  if (!found && other != NULL)
    return fail(error, r, other->line,
                "no [" CLI_ANSWERS_GROUP "] group, only [%s]; rename it to [" CLI_ANSWERS_GROUP "]",
                other->group);
  if (!found)
    return fail(error, r, 0,
                "no [" CLI_ANSWERS_GROUP "] group; start the file with the line [" CLI_ANSWERS_GROUP
                "] and put the answers under it");
  if (other != NULL)
    return fail(error, r, other->line,
                "unknown group [%s]; an answers file has one group, [" CLI_ANSWERS_GROUP
                "]: move its keys there",
                other->group);
  return TRUE;
}

/* ---- keys ---- */

/* The option a mistyped key most likely meant: the same name up to case, leading dashes and '_'
 * or ' ' for '-' ("--With_Toolkit"), a plural ("mirrors"), or an option the key starts with
 * ("cuda_version"). */
static const GOptionEntry *suggest(const GOptionEntry *entries, const char *key)
{
  g_autofree char *lower = g_ascii_strdown(key, -1);
  g_strdelimit(lower, "_ ", '-');
  const char *norm = lower + strspn(lower, "-");
  const GOptionEntry *best = NULL;
  for (const GOptionEntry *e = entries; e->long_name; e++) {
    gsize n = strlen(e->long_name);
    if (strncmp(norm, e->long_name, n) != 0)
      continue;
    if (norm[n] == '\0' || strcmp(norm + n, "s") == 0)
      return e;
    if (norm[n] == '-' && (best == NULL || n > strlen(best->long_name)))
      best = e;
  }
  return best;
}

/* "'cuda = X.Y[.Z]' for --cuda X.Y[.Z]": how a key of @entries is written, for a message. */
static char *example(const GOptionEntry *entries)
{
  const GOptionEntry *e = find_long(entries, "cuda", 4);
  for (const GOptionEntry *x = entries; e == NULL && x->long_name; x++)
    e = takes_value(x) ? x : NULL;
  if (e == NULL)
    return g_strdup("'key = value' for --key value");
  const char *v = e->arg_description ? e->arg_description : "VALUE";
  return g_strdup_printf("'%s = %s' for --%s %s", e->long_name, v, e->long_name, v);
}

static gboolean unknown_key(const Reader *r, const IniLine *l, GError **error)
{
  const GOptionEntry *guess = suggest(r->entries, l->key);
  const char *help = "the long options of 'cudaup " CLI_ANSWERS_GROUP " --help' without the dashes";
  if (guess != NULL)
    return fail(error, r, l->line,
                "unknown key '%s' in [" CLI_ANSWERS_GROUP "]; did you mean '%s'? Keys are %s",
                l->key, guess->long_name, help);
  g_autofree char *eg = example(r->entries);
  return fail(error, r, l->line,
              "unknown key '%s' in [" CLI_ANSWERS_GROUP "]; keys are %s, e.g. %s", l->key, help,
              eg);
}

/* The option of key @i of @ini, or NULL with an error for a key that is unknown, may not be in
 * an answers file, or was set before. */
static const GOptionEntry *check_key(const Reader *r, GArray *ini, guint i, GError **error)
{
  static const char *const never[] = {"help", "help-all", "help-global", "version"};
  const IniLine *l = &g_array_index(ini, IniLine, i);
  if (strcmp(l->key, "answers") == 0) {
    fail(error, r, l->line,
         _("'answers' cannot be set in an answers file; give --answers FILE on "
           "the command line"));
    return NULL;
  }
  for (gsize k = 0; k < G_N_ELEMENTS(never); k++)
    if (strcmp(l->key, never[k]) == 0) {
      fail(error, r, l->line, _("'%s' cannot be set in an answers file; remove the line"), l->key);
      return NULL;
    }
  const GOptionEntry *e = find_long(r->entries, l->key, strlen(l->key));
  if (e == NULL) {
    unknown_key(r, l, error);
    return NULL;
  }
  for (guint k = 0; k < i; k++) {
    const IniLine *prev = &g_array_index(ini, IniLine, k);
    if (prev->key == NULL || strcmp(prev->key, l->key) != 0)
      continue;
    fail(error, r, l->line, _("'%s' is set twice (first on line %d); %s"), l->key, prev->line,
         is_list(e) ? "give all its values on one line, separated by ';'"
                    : "keep one of the two lines");
    return NULL;
  }
  return e;
}

/* ---- values ---- */

/* @s without surrounding whitespace and one pair of surrounding double quotes. */
static char *clean(const char *s)
{
  char *v = g_strstrip(g_strdup(s));
  gsize n = strlen(v);
  if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
    memmove(v, v + 1, n - 2);
    v[n - 2] = '\0';
  }
  return v;
}

static gboolean flag_arg(const Reader *r, const GOptionEntry *e, const char *v, int line,
                         GPtrArray *out, GError **error)
{
  if (g_ascii_strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
    g_ptr_array_add(out, g_strdup_printf("--%s", e->long_name));
  else if (g_ascii_strcasecmp(v, "false") != 0 && strcmp(v, "0") != 0)
    return fail(error, r, line, _("'%s' takes true or false, not '%s'"), e->long_name, v);
  return TRUE;
}

/* A relative path is taken from the answers file's directory: the file travels with the
 * archives it names (a USB stick, a share), while the current directory is wherever the
 * deployment tool starts cudaup. */
static gboolean path_arg(const Reader *r, const GOptionEntry *e, const char *v, int line,
                         GPtrArray *out, GError **error)
{
  if (v[0] == '~')
    return fail(error, r, line,
                _("'%s' is '%s', but '~' is not expanded in an answers file; write the full path"),
                e->long_name, v);
  g_autofree char *path = g_path_is_absolute(v) ? g_strdup(v) : g_canonicalize_filename(v, r->dir);
  g_ptr_array_add(out, g_strdup_printf("--%s=%s", e->long_name, path));
  return TRUE;
}

/* Integers go in as plain decimal: GOption reads them with base 0, which would take 010 as 8. */
static gboolean number_arg(const Reader *r, const GOptionEntry *e, const char *v, int line,
                           GPtrArray *out, GError **error)
{
  gboolean is_int = e->arg == G_OPTION_ARG_INT;
  gint64 n = 0;
  if (!g_ascii_string_to_signed(v, 10, is_int ? G_MININT : G_MININT64,
                                is_int ? G_MAXINT : G_MAXINT64, &n, NULL))
    return fail(error, r, line, _("'%s' takes a whole number, not '%s'"), e->long_name, v);
  g_ptr_array_add(out, g_strdup_printf("--%s=%" G_GINT64_FORMAT, e->long_name, n));
  return TRUE;
}

static gboolean scalar_arg(const Reader *r, const GOptionEntry *e, const char *v, int line,
                           GPtrArray *out, GError **error)
{
  char *end = NULL;
  switch (e->arg) {
  case G_OPTION_ARG_INT:
  case G_OPTION_ARG_INT64:
    return number_arg(r, e, v, line, out, error);
  case G_OPTION_ARG_FILENAME:
  case G_OPTION_ARG_FILENAME_ARRAY:
    return path_arg(r, e, v, line, out, error);
  case G_OPTION_ARG_DOUBLE:
    g_ascii_strtod(v, &end);
    if (end == v || *end != '\0')
      return fail(error, r, line, _("'%s' takes a number, not '%s'"), e->long_name, v);
    break;
  default:
    break;
  }
  g_ptr_array_add(out, g_strdup_printf("--%s=%s", e->long_name, v));
  return TRUE;
}

/* The arguments for one key: none for a false flag, one per list item ("a;b;" is GKeyFile's
 * list form, so empty items are dropped). */
static gboolean answer_args(const Reader *r, const GOptionEntry *e, const char *raw, int line,
                            GPtrArray *out, GError **error)
{
  if (is_list(e)) {
    g_auto(GStrv) items = g_strsplit(raw, ";", -1);
    guint before = out->len;
    for (char **it = items; *it; it++) {
      g_autofree char *v = clean(*it);
      if (*v != '\0' && !scalar_arg(r, e, v, line, out, error))
        return FALSE;
    }
    if (out->len == before)
      return fail(error, r, line,
                  _("'%s' has no value; give one or more, separated by ';', or "
                    "remove the line"),
                  e->long_name);
    return TRUE;
  }
  g_autofree char *v = clean(raw);
  if (*v == '\0')
    return fail(error, r, line, _("'%s' has no value; give one or remove the line"), e->long_name);
  return is_flag(e) ? flag_arg(r, e, v, line, out, error) : scalar_arg(r, e, v, line, out, error);
}

/* Every key is checked, also those the command line gives, so a bad file fails on every
 * machine alike; only the others add arguments to @args. */
static gboolean read_keys(CliAnswers *a, const Reader *r, GKeyFile *kf, GArray *ini,
                          GPtrArray *args, GError **error)
{
  g_autoptr(GPtrArray) unused = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < ini->len; i++) {
    const IniLine *l = &g_array_index(ini, IniLine, i);
    if (l->key == NULL)
      continue;
    const GOptionEntry *e = check_key(r, ini, i, error);
    if (e == NULL)
      return FALSE;
    g_autofree char *raw = g_key_file_get_value(kf, CLI_ANSWERS_GROUP, l->key, NULL);
    gboolean given = g_hash_table_contains(a->from_cli, e->long_name);
    if (!answer_args(r, e, raw ? raw : "", l->line, given ? unused : args, error))
      return FALSE;
    g_hash_table_insert(a->from_file, g_strdup(e->long_name), GINT_TO_POINTER(l->line));
  }
  return TRUE;
}

static gboolean read_answers(CliAnswers *a, const char *file, const GOptionEntry *entries,
                             GPtrArray *args, GError **error)
{
  g_autofree char *path = g_canonicalize_filename(file, NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  Reader r = {.file = file, .entries = entries, .dir = dir};
  g_auto(GStrv) lines = read_lines(&r, error);
  if (lines == NULL)
    return FALSE;
  int bad = 0;
  g_autoptr(GArray) ini = scan_lines(lines, &bad);
  g_autofree char *text = g_strjoinv("\n", lines);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &local))
    return fail(error, &r, bad,
                "not an INI answers file (%s); write the line [" CLI_ANSWERS_GROUP
                "], then one key = value per line",
                local->message);
  if (!check_groups(&r, ini, error) || !read_keys(a, &r, kf, ini, args, error))
    return FALSE;
  a->path = g_steal_pointer(&path);
  return TRUE;
}

/* ---- the merged command line ---- */

CliAnswers *cli_answers_merge(const char *file, const GOptionEntry *entries, int *argc,
                              char ***argv, GError **error)
{
  g_return_val_if_fail(*argc >= 1, NULL);
  g_autoptr(CliAnswers) a = g_new0(CliAnswers, 1);
  a->argv = g_ptr_array_new();
  a->owned = g_ptr_array_new_with_free_func(g_free);
  a->from_file = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  a->from_cli = given_options(entries, *argc, *argv);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
  if (file != NULL && !read_answers(a, file, entries, args, error))
    return NULL;
  /* Ahead of the user's arguments, so none of them (a value, or what follows "--") moves. */
  g_ptr_array_add(a->argv, (*argv)[0]);
  g_ptr_array_extend(a->argv, args, NULL, NULL);
  for (int i = 1; i < *argc; i++)
    g_ptr_array_add(a->argv, (*argv)[i]);
  g_ptr_array_add(a->argv, NULL);
  g_ptr_array_extend_and_steal(a->owned, g_steal_pointer(&args));
  *argc = (int)a->argv->len - 1;
  *argv = (char **)a->argv->pdata;
  return g_steal_pointer(&a);
}

CliAnswerSource cli_answers_source(const CliAnswers *a, const char *key)
{
  if (g_hash_table_contains(a->from_cli, key))
    return CLI_FROM_COMMAND_LINE;
  if (g_hash_table_contains(a->from_file, key))
    return CLI_FROM_ANSWERS;
  return CLI_FROM_DEFAULT;
}

/* The option's value as the file would write it; NULL when unset or not readable (a callback). */
static char *value_text(const GOptionEntry *e)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  const void *p = e->arg_data;
  if (p == NULL)
    return NULL;
  switch (e->arg) {
  case G_OPTION_ARG_NONE:
    return g_strdup(*(const gboolean *)p != !!(e->flags & G_OPTION_FLAG_REVERSE) ? "true"
                                                                                 : "false");
  case G_OPTION_ARG_STRING:
  case G_OPTION_ARG_FILENAME:
    return g_strdup(*(char *const *)p);
  case G_OPTION_ARG_STRING_ARRAY:
  case G_OPTION_ARG_FILENAME_ARRAY:
    return *(char **const *)p ? g_strjoinv(";", *(char **const *)p) : NULL;
  case G_OPTION_ARG_INT:
    return g_strdup_printf("%d", *(const int *)p);
  case G_OPTION_ARG_INT64:
    return g_strdup_printf("%" G_GINT64_FORMAT, *(const gint64 *)p);
  case G_OPTION_ARG_DOUBLE:
    return g_strdup(g_ascii_dtostr(buf, sizeof buf, *(const double *)p));
  default:
    return NULL;
  }
}

static const char *default_text(const char *const *defaults, const char *key)
{
  for (const char *const *d = defaults; d && d[0] && d[1]; d += 2)
    if (strcmp(d[0], key) == 0)
      return d[1];
  return NULL;
}

char **cli_answers_describe(const CliAnswers *a, const GOptionEntry *entries,
                            const char *const *defaults)
{
  GPtrArray *lines = g_ptr_array_new();
  for (const GOptionEntry *e = entries; e->long_name; e++) {
    CliAnswerSource from = cli_answers_source(a, e->long_name);
    if (from == CLI_FROM_DEFAULT && (e->flags & G_OPTION_FLAG_HIDDEN))
      continue;
    g_autofree char *value = value_text(e);
    const char *text = from == CLI_FROM_DEFAULT ? default_text(defaults, e->long_name) : NULL;
    text = text ? text : value ? value : "not set";
    if (from == CLI_FROM_ANSWERS)
      g_ptr_array_add(
          lines, g_strdup_printf("%s = %s (answers file %s:%d)", e->long_name, text, a->path,
                                 GPOINTER_TO_INT(g_hash_table_lookup(a->from_file, e->long_name))));
    else
      g_ptr_array_add(lines,
                      g_strdup_printf("%s = %s (%s)", e->long_name, text,
                                      from == CLI_FROM_DEFAULT ? "default" : "command line"));
  }
  g_ptr_array_add(lines, NULL);
  return (char **)g_ptr_array_free(lines, FALSE);
}

void cli_answers_free(CliAnswers *a)
{
  if (a == NULL)
    return;
  g_free(a->path);
  g_ptr_array_unref(a->argv);
  g_ptr_array_unref(a->owned);
  g_hash_table_unref(a->from_file);
  g_hash_table_unref(a->from_cli);
  g_free(a);
}
