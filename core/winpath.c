/* winpath.c - the Windows environment of a toolkit, decided without touching Windows. */
#include "core/i18n.h"
#include "core/winpath.h"

#include "core/error.h"

#include <string.h>

glong cup_winpath_units(const char *s)
{
  glong units = 0;
  for (const char *p = s; *p; p = g_utf8_next_char(p))
    units += g_utf8_get_char(p) > 0xFFFF ? 2 : 1;
  return units;
}

/* The folder an entry names, in a form that compares as Windows compares folder names. */
static char *entry_key(const char *entry)
{
  gsize len = strlen(entry);
  const char *start = entry;
  if (len >= 2 && entry[0] == '"' && entry[len - 1] == '"') {
    start++;
    len -= 2;
  }
  while (len > 0 && start[len - 1] == '\\')
    len--;
  return g_utf8_casefold(start, (gssize)len);
}

gboolean cup_winpath_entry_equal(const char *a, const char *b)
{
  g_autofree char *ka = entry_key(a);
  g_autofree char *kb = entry_key(b);
  return strcmp(ka, kb) == 0;
}

/* Index of the first item of @items equal to @entry, or -1. */
static int find_entry(char **items, const char *entry)
{
  for (int i = 0; items[i]; i++)
    if (cup_winpath_entry_equal(items[i], entry))
      return i;
  return -1;
}

gboolean cup_winpath_contains(const char *value, const char *entry)
{
  if (value == NULL || *value == '\0')
    return FALSE;
  g_auto(GStrv) items = g_strsplit(value, ";", -1);
  return find_entry(items, entry) >= 0;
}

gboolean cup_winenv_check_length(const char *name, const char *value, GError **error)
{
  glong units = cup_winpath_units(value);
  if (units < CUP_WINENV_MAX_CHARS)
    return TRUE;
  gboolean is_path = g_ascii_strcasecmp(name, "Path") == 0;
  g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
              _("%s would be %ld characters, but Windows allows at most %d (%d with the end "
                "mark); %s, then try again"),
              name, units, CUP_WINENV_MAX_CHARS - 1, CUP_WINENV_MAX_CHARS,
              is_path ? "remove entries you no longer need from Path"
                      : "install the toolkit into a shorter folder");
  return FALSE;
}

static gboolean check_entry(const char *entry, GError **error)
{
  if (*entry == '\0' || strpbrk(entry, ";\"") != NULL || !g_utf8_validate(entry, -1, NULL)) {
    g_autofree char *shown = g_utf8_make_valid(entry, -1);
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("Path entry '%s' is empty, not UTF-8 or has ';' or '\"'; choose a toolkit "
                  "folder without them"),
                shown);
    return FALSE;
  }
  return TRUE;
}

gboolean cup_winpath_add(const char *value, const char *entry, char **result, GError **error)
{
  *result = NULL;
  if (!check_entry(entry, error))
    return FALSE;
  if (cup_winpath_contains(value, entry))
    return TRUE;
  /* Prepended without touching what follows, so removal can cut exactly "ENTRY;". */
  g_autofree char *out =
      (value == NULL || *value == '\0') ? g_strdup(entry) : g_strconcat(entry, ";", value, NULL);
  if (!cup_winenv_check_length("Path", out, error))
    return FALSE;
  *result = g_steal_pointer(&out);
  return TRUE;
}

char *cup_winpath_remove(const char *value, const char *entry)
{
  if (value == NULL || *value == '\0')
    return NULL;
  g_auto(GStrv) items = g_strsplit(value, ";", -1);
  int k = find_entry(items, entry);
  if (k < 0)
    return NULL;
  int n = (int)g_strv_length(items);
  /* Joining the other items drops one separator next to the entry: the one after it (which
   * cup_winpath_add wrote), or for the last entry the one before it. */
  GString *out = g_string_new(NULL);
  gboolean first = TRUE;
  for (int i = 0; i < n; i++) {
    if (i == k)
      continue;
    if (!first)
      g_string_append_c(out, ';');
    g_string_append(out, items[i]);
    first = FALSE;
  }
  return g_string_free(out, FALSE);
}

void cup_winenv_want_free(CupWinEnvWant *want)
{
  if (want == NULL)
    return;
  g_free(want->name);
  g_free(want->value);
  g_free(want);
}

static CupWinEnvWant *want_new(const char *name, char *value, gboolean path_entry)
{
  CupWinEnvWant *w = g_new0(CupWinEnvWant, 1);
  w->name = g_strdup(name);
  w->value = value;
  w->path_entry = path_entry;
  return w;
}

/* "X:\dir..." or "\\server\share...", after '/' became '\' and trailing '\' were dropped. */
static gboolean root_is_absolute(const char *root)
{
  if (g_ascii_isalpha(root[0]) && root[1] == ':' && root[2] == '\\' && root[3] != '\0')
    return TRUE;
  return root[0] == '\\' && root[1] == '\\' && root[2] != '\0' && root[2] != '\\';
}

static char *normalize_root(const char *root, GError **error)
{
  g_autofree char *r = g_strdup(root);
  g_strdelimit(r, "/", '\\');
  gsize len = strlen(r);
  while (len > 0 && r[len - 1] == '\\')
    r[--len] = '\0';
  if (!g_utf8_validate(r, -1, NULL) || strpbrk(r, ";\"") != NULL || !root_is_absolute(r)) {
    g_autofree char *shown = g_utf8_make_valid(root, -1);
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("toolkit root '%s' is not an absolute Windows folder without ';' or '\"'; "
                  "give one such as C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v13.0"),
                shown);
    return NULL;
  }
  return g_steal_pointer(&r);
}

/* "CUDA_PATH_V13_0" from "13.0" or "13.0.2". */
static char *versioned_name(const char *cuda_version, GError **error)
{
  g_auto(GStrv) parts = g_strsplit(cuda_version, ".", -1);
  guint n = g_strv_length(parts);
  gboolean ok = n == 2 || n == 3;
  for (guint i = 0; ok && i < n; i++)
    ok = parts[i][0] != '\0' && strspn(parts[i], "0123456789") == strlen(parts[i]);
  if (!ok) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("CUDA version '%s' is not of the form X.Y or X.Y.Z; give one such as 13.0"),
                cuda_version);
    return NULL;
  }
  return g_strdup_printf("CUDA_PATH_V%s_%s", parts[0], parts[1]);
}

GPtrArray *cup_winenv_wants(const char *root, const char *cuda_version, gboolean libnvvp,
                            GError **error)
{
  g_autofree char *r = normalize_root(root, error);
  if (r == NULL)
    return NULL;
  g_autofree char *vname = versioned_name(cuda_version, error);
  if (vname == NULL)
    return NULL;
  GPtrArray *wants = g_ptr_array_new_with_free_func((GDestroyNotify)cup_winenv_want_free);
  g_ptr_array_add(wants, want_new("CUDA_PATH", g_strdup(r), FALSE));
  g_ptr_array_add(wants, want_new(vname, g_strdup(r), FALSE));
  g_ptr_array_add(wants, want_new("Path", g_strconcat(r, "\\bin", NULL), TRUE));
  if (libnvvp)
    g_ptr_array_add(wants, want_new("Path", g_strconcat(r, "\\libnvvp", NULL), TRUE));
  return wants;
}

const char *cup_winenv_scope_key(CupWinEnvScope scope)
{
  return scope == CUP_WINENV_SYSTEM
             ? "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"
             : "HKCU\\Environment";
}

void cup_winenv_change_free(CupWinEnvChange *change)
{
  if (change == NULL)
    return;
  g_free(change->name);
  g_free(change->value);
  g_free(change->old_value);
  g_free(change);
}

CupWinEnvRecord *cup_winenv_record_new(CupWinEnvScope scope)
{
  CupWinEnvRecord *r = g_new0(CupWinEnvRecord, 1);
  r->scope = scope;
  r->changes = g_ptr_array_new_with_free_func((GDestroyNotify)cup_winenv_change_free);
  return r;
}

void cup_winenv_record_free(CupWinEnvRecord *record)
{
  if (record == NULL)
    return;
  g_ptr_array_unref(record->changes);
  g_free(record);
}

static const char *const scope_names[] = {"user", "system"};
static const char *const kind_names[] = {"set-value", "add-entry"};

char *cup_winenv_record_to_data(const CupWinEnvRecord *record)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_key_file_set_string(kf, "record", "scope", scope_names[record->scope]);
  g_key_file_set_integer(kf, "record", "changes", (int)record->changes->len);
  for (guint i = 0; i < record->changes->len; i++) {
    const CupWinEnvChange *c = g_ptr_array_index(record->changes, i);
    g_autofree char *group = g_strdup_printf("change %u", i);
    g_key_file_set_string(kf, group, "kind", kind_names[c->kind]);
    g_key_file_set_string(kf, group, "name", c->name);
    g_key_file_set_string(kf, group, "value", c->value);
    g_key_file_set_integer(kf, group, "type", c->type);
    g_key_file_set_integer(kf, group, "old-type", c->old_type);
    if (c->old_value != NULL)
      g_key_file_set_string(kf, group, "old-value", c->old_value);
  }
  return g_key_file_to_data(kf, NULL, NULL);
}

/* Index of @s in @names (@n long), or -1. */
static int name_index(const char *s, const char *const *names, int n)
{
  for (int i = 0; i < n; i++)
    if (g_strcmp0(s, names[i]) == 0)
      return i;
  return -1;
}

static gboolean bad_key(const char *group, const char *key, GError **error)
{
  g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
              _("environment record: [%s] %s is missing or invalid; the record is damaged, so "
                "remove CUDA_PATH* and the toolkit's Path entries by hand"),
              group, key);
  return FALSE;
}

static gboolean is_string_type(int type)
{
  return type == CUP_WINREG_SZ || type == CUP_WINREG_EXPAND_SZ;
}

static gboolean read_change(GKeyFile *kf, const char *group, CupWinEnvChange *c, GError **error)
{
  g_autofree char *kind = g_key_file_get_string(kf, group, "kind", NULL);
  int k = name_index(kind, kind_names, G_N_ELEMENTS(kind_names));
  if (k < 0)
    return bad_key(group, "kind", error);
  c->kind = (CupWinEnvChangeKind)k;
  c->name = g_key_file_get_string(kf, group, "name", NULL);
  if (c->name == NULL || *c->name == '\0')
    return bad_key(group, "name", error);
  c->value = g_key_file_get_string(kf, group, "value", NULL);
  if (c->value == NULL)
    return bad_key(group, "value", error);
  g_autoptr(GError) local = NULL;
  int type = g_key_file_get_integer(kf, group, "type", &local);
  if (local != NULL || !is_string_type(type))
    return bad_key(group, "type", error);
  c->type = (CupWinRegType)type;
  int old_type = g_key_file_get_integer(kf, group, "old-type", &local);
  if (local != NULL || (old_type != CUP_WINREG_NONE && !is_string_type(old_type)))
    return bad_key(group, "old-type", error);
  c->old_type = (CupWinRegType)old_type;
  c->old_value = g_key_file_get_string(kf, group, "old-value", NULL);
  if (c->kind == CUP_WINENV_SET_VALUE && (c->old_value != NULL) != (old_type != CUP_WINREG_NONE))
    return bad_key(group, "old-value", error);
  return TRUE;
}

CupWinEnvRecord *cup_winenv_record_from_data(const char *data, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_NONE, &local)) {
    g_set_error(
        error, CUP_ERROR, CUP_ERROR_PARSE, _("environment record: %s; %s"), local->message,
        "the record is damaged, so remove CUDA_PATH* and the toolkit's Path entries by hand");
    return NULL;
  }
  g_autofree char *scope = g_key_file_get_string(kf, "record", "scope", NULL);
  int s = name_index(scope, scope_names, G_N_ELEMENTS(scope_names));
  if (s < 0) {
    bad_key("record", "scope", error);
    return NULL;
  }
  int n = g_key_file_get_integer(kf, "record", "changes", &local);
  if (local != NULL || n < 0 || n > 64) {
    bad_key("record", "changes", error);
    return NULL;
  }
  g_autoptr(CupWinEnvRecord) record = cup_winenv_record_new((CupWinEnvScope)s);
  for (int i = 0; i < n; i++) {
    g_autofree char *group = g_strdup_printf("change %d", i);
    CupWinEnvChange *c = g_new0(CupWinEnvChange, 1);
    g_ptr_array_add(record->changes, c);
    if (!read_change(kf, group, c, error))
      return NULL;
  }
  return g_steal_pointer(&record);
}
