/* testcatalog.c - a catalog for a test mirror (testcatalog.h). */
#include "tests/support/testcatalog.h"

#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

static void copy_file(const char *from, const char *to)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(from, &data, &len, NULL));
  g_assert_true(g_file_set_contents(to, data, (gssize)len, NULL));
}

/* redistrib_<release>.json -> <release> */
static char *release_of(const char *manifest)
{
  g_autofree char *base = g_path_get_basename(manifest);
  g_assert_true(g_str_has_prefix(base, "redistrib_") && g_str_has_suffix(base, ".json"));
  return g_strndup(base + strlen("redistrib_"), strlen(base) - strlen("redistrib_.json"));
}

/* Copies @manifest into redist/<kind>/ and pins it in @pins. */
static void add_manifest(const char *out_dir, const char *kind, const char *manifest, json_t *pins)
{
  g_autofree char *dir = g_build_filename(out_dir, "redist", kind, NULL);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  json_t *map = json_object();
  json_object_set_new(pins, kind, map);
  if (manifest == NULL)
    return;
  g_autofree char *base = g_path_get_basename(manifest);
  g_autofree char *to = g_build_filename(dir, base, NULL);
  copy_file(manifest, to);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(manifest, &data, &len, NULL));
  g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);
  g_autofree char *release = release_of(manifest);
  json_object_set_new(map, release, json_string(sha));
}

void cup_test_catalog_for_mirror(const char *manifests_dir, const char *out_dir,
                                 const char *cuda_manifest, const char *cudnn_manifest)
{
  g_assert_cmpint(g_mkdir_with_parents(out_dir, 0755), ==, 0);
  g_autoptr(GDir) dir = g_dir_open(manifests_dir, 0, NULL);
  g_assert_nonnull(dir);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL) {
    if (!g_str_has_suffix(name, ".json"))
      continue;
    g_autofree char *from = g_build_filename(manifests_dir, name, NULL);
    g_autofree char *to = g_build_filename(out_dir, name, NULL);
    copy_file(from, to);
  }
  json_t *pins = json_pack("{s:s}", "schema", "cudaup-redist-pins/1");
  add_manifest(out_dir, "cuda", cuda_manifest, pins);
  add_manifest(out_dir, "cudnn", cudnn_manifest, pins);
  g_autofree char *path = g_build_filename(out_dir, "redist", "pinned-manifest-sha256.json", NULL);
  g_assert_cmpint(json_dump_file(pins, path, JSON_INDENT(2)), ==, 0);
  json_decref(pins);
}
