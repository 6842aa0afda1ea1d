/* catalog_query.c - look-ups in a loaded CupCatalog (data only: no rule is decided here). */
#include "core/catalog.h"

#include "core/version.h"

#include <string.h>

/* Whether @row agrees with @query on the leading components both have (catalog.h). */
static gboolean version_matches(const CupVersion *query, const char *row)
{
  CupVersion v;
  if (!cup_version_parse(row, &v, NULL))
    return FALSE;
  guint n = MIN(query->n_parts, v.n_parts);
  for (guint i = 0; i < n; i++)
    if (query->parts[i] != v.parts[i])
      return FALSE;
  return TRUE;
}

typedef const char *(*VersionOf)(gconstpointer row);

/* The first row of @rows (newest first) whose version matches @version, or NULL. */
static gconstpointer find_version(const GPtrArray *rows, const char *version, VersionOf version_of)
{
  CupVersion query;
  if (rows == NULL || version == NULL || !cup_version_parse(version, &query, NULL))
    return NULL;
  for (guint i = 0; i < rows->len; i++) {
    gconstpointer row = g_ptr_array_index(rows, i);
    if (version_matches(&query, version_of(row)))
      return row;
  }
  return NULL;
}

static const char *cuda_release_version(gconstpointer row)
{
  return ((const CupCudaRelease *)row)->version;
}

static const char *cudnn_version(gconstpointer row)
{
  return ((const CupCudnnRelease *)row)->version;
}

static const char *torch_version(gconstpointer row)
{
  return ((const CupTorchRelease *)row)->version;
}

const CupCudaRelease *cup_catalog_cuda_release(const CupCatalog *catalog, const char *version)
{
  g_return_val_if_fail(catalog != NULL, NULL);
  return find_version(catalog->cuda_releases, version, cuda_release_version);
}

const CupCudaMajorFloor *cup_catalog_cuda_floor(const CupCatalog *catalog, guint major)
{
  g_return_val_if_fail(catalog != NULL, NULL);
  for (guint i = 0; i < catalog->cuda_floors->len; i++) {
    const CupCudaMajorFloor *f = g_ptr_array_index(catalog->cuda_floors, i);
    if (f->cuda_major == major)
      return f;
  }
  return NULL;
}

/* @v cut to major.minor (a missing minor is 0). */
static CupVersion major_minor(const CupVersion *v)
{
  CupVersion mm = {{v->parts[0], v->n_parts > 1 ? v->parts[1] : 0}, 2};
  return mm;
}

const CupCudaCcRange *cup_catalog_cuda_cc_range(const CupCatalog *catalog, const char *cuda)
{
  CupVersion v, from, to;
  g_return_val_if_fail(catalog != NULL, NULL);
  if (cuda == NULL || !cup_version_parse(cuda, &v, NULL))
    return NULL;
  v = major_minor(&v);
  for (guint i = 0; i < catalog->cuda_cc->len; i++) {
    const CupCudaCcRange *r = g_ptr_array_index(catalog->cuda_cc, i);
    if (!cup_version_parse(r->cuda_from, &from, NULL) || !cup_version_parse(r->cuda_to, &to, NULL))
      continue;
    if (cup_version_compare(&from, &v) <= 0 && cup_version_compare(&v, &to) <= 0)
      return r;
  }
  return NULL;
}

const CupCudnnRelease *cup_catalog_cudnn_release(const CupCatalog *catalog, const char *version)
{
  g_return_val_if_fail(catalog != NULL, NULL);
  return find_version(catalog->cudnn_releases, version, cudnn_version);
}

gboolean cup_catalog_cudnn_supports(const CupCudnnRelease *release, const char *cuda)
{
  CupVersion v, listed;
  g_return_val_if_fail(release != NULL, FALSE);
  if (cuda == NULL || !cup_version_parse(cuda, &v, NULL))
    return FALSE;
  v = major_minor(&v);
  for (guint i = 0; release->cuda && release->cuda[i]; i++) {
    if (!cup_version_parse(release->cuda[i], &listed, NULL))
      continue;
    listed = major_minor(&listed);
    if (cup_version_compare(&v, &listed) == 0)
      return TRUE;
  }
  return FALSE;
}

const CupTorchRelease *cup_catalog_torch_release(const CupCatalog *catalog, const char *version)
{
  g_return_val_if_fail(catalog != NULL, NULL);
  return find_version(catalog->torch_releases, version, torch_version);
}

const CupTorchVariant *cup_catalog_torch_variant(const CupTorchRelease *release, const char *tag)
{
  g_return_val_if_fail(release != NULL, NULL);
  for (guint i = 0; tag != NULL && i < release->variants->len; i++) {
    const CupTorchVariant *v = g_ptr_array_index(release->variants, i);
    if (strcmp(v->tag, tag) == 0)
      return v;
  }
  return NULL;
}

const CupTfRelease *cup_catalog_tf_release(const CupCatalog *catalog, const char *version,
                                           const char *os)
{
  CupVersion query;
  g_return_val_if_fail(catalog != NULL, NULL);
  if (version == NULL || os == NULL || !cup_version_parse(version, &query, NULL))
    return NULL;
  for (guint i = 0; i < catalog->tf_releases->len; i++) {
    const CupTfRelease *r = g_ptr_array_index(catalog->tf_releases, i);
    if (strcmp(r->os, os) == 0 && version_matches(&query, r->version))
      return r;
  }
  return NULL;
}
