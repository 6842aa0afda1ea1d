/* version.c - parse and compare dotted versions. */
#include "core/i18n.h"
#include "core/version.h"

#include "core/error.h"

#include <string.h>

static gboolean parse_part(const char **cursor, guint32 *part)
{
  const char *p = *cursor;
  guint64 value = 0;
  if (!g_ascii_isdigit(*p))
    return FALSE;
  while (g_ascii_isdigit(*p)) {
    value = value * 10 + (guint64)(*p - '0');
    if (value > G_MAXUINT32)
      return FALSE;
    p++;
  }
  *part = (guint32)value;
  *cursor = p;
  return TRUE;
}

gboolean cup_version_parse(const char *text, CupVersion *out, GError **error)
{
  CupVersion v = {{0}, 0};
  const char *p = text ? text : "";
  while (g_ascii_isspace(*p))
    p++;
  for (;;) {
    if (v.n_parts == CUP_VERSION_MAX_PARTS || !parse_part(&p, &v.parts[v.n_parts]))
      break;
    v.n_parts++;
    if (*p != '.')
      break;
    p++;
    if (!g_ascii_isdigit(*p)) {
      v.n_parts = 0;
      break;
    }
  }
  while (g_ascii_isspace(*p))
    p++;
  if (v.n_parts == 0 || *p != '\0') {
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                _("'%s' is not a version: expected numbers separated by dots, like 12.4 or "
                  "550.54.14"),
                text ? text : "(null)");
    return FALSE;
  }
  *out = v;
  return TRUE;
}

int cup_version_compare(const CupVersion *a, const CupVersion *b)
{
  guint n = MAX(a->n_parts, b->n_parts);
  for (guint i = 0; i < n; i++) {
    guint32 x = i < a->n_parts ? a->parts[i] : 0;
    guint32 y = i < b->n_parts ? b->parts[i] : 0;
    if (x != y)
      return x < y ? -1 : 1;
  }
  return 0;
}

gboolean cup_version_compare_strings(const char *a, const char *b, int *order, GError **error)
{
  CupVersion va, vb;
  if (!cup_version_parse(a, &va, error) || !cup_version_parse(b, &vb, error))
    return FALSE;
  *order = cup_version_compare(&va, &vb);
  return TRUE;
}

char *cup_version_to_string(const CupVersion *v, guint min_parts)
{
  GString *s = g_string_new(NULL);
  guint n = MAX(v->n_parts, MIN(min_parts, CUP_VERSION_MAX_PARTS));
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, i ? ".%u" : "%u", i < v->n_parts ? v->parts[i] : 0);
  return g_string_free(s, FALSE);
}

char *cup_version_from_encoded(int value, char kind)
{
  if (value <= 0)
    return NULL;
  if (kind == 'c')
    return g_strdup_printf("%d.%d", value / 1000, (value % 1000) / 10);
  if (value >= 90000)
    return g_strdup_printf("%d.%d.%d", value / 10000, (value % 10000) / 100, value % 100);
  return g_strdup_printf("%d.%d.%d", value / 1000, (value % 1000) / 100, value % 100);
}

char *cup_major_minor(const char *version)
{
  CupVersion v;
  if (!cup_version_parse(version, &v, NULL))
    return g_strdup(version);
  v.n_parts = MIN(v.n_parts, 2);
  return cup_version_to_string(&v, 2);
}
