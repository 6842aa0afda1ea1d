/* test_catalog.c - core/catalog: the committed manifests/ load, facts from the real data, and
 * exact messages for malformed files. */
#include "core/catalog.h"
#include "core/error.h"
#include "core/system.h" /* g_autoptr(json_t) */
#include "core/version.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

static const char *const data_files[] = {"gpus.json", "cuda.json", "cudnn.json", "pytorch.json",
                                         "tensorflow.json"};

static CupCatalog *load_committed(void)
{
  g_autoptr(GError) error = NULL;
  CupCatalog *catalog = cup_catalog_load(CUP_TEST_MANIFESTS, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(catalog);
  return catalog;
}

/* A copy of every data file of manifests/ in a fresh temporary directory. */
static char *copy_manifests(void)
{
  char *root = cup_test_make_root();
  for (gsize i = 0; i < G_N_ELEMENTS(data_files); i++) {
    g_autofree char *src = g_build_filename(CUP_TEST_MANIFESTS, data_files[i], NULL);
    g_autofree char *contents = NULL;
    g_assert_true(g_file_get_contents(src, &contents, NULL, NULL));
    cup_test_write(root, data_files[i], contents);
  }
  return root;
}

typedef const char *(*VersionOf)(gconstpointer row);

static void assert_newest_first(const GPtrArray *rows, VersionOf version_of)
{
  g_assert_cmpuint(rows->len, >, 0);
  for (guint i = 1; i < rows->len; i++) {
    int order = 0;
    g_assert_true(cup_version_compare_strings(version_of(g_ptr_array_index(rows, i - 1)),
                                              version_of(g_ptr_array_index(rows, i)), &order,
                                              NULL));
    g_assert_cmpint(order, >=, 0);
  }
}

static const char *v_cuda(gconstpointer r)
{
  return ((const CupCudaRelease *)r)->version;
}

static const char *v_cc(gconstpointer r)
{
  return ((const CupCudaCcRange *)r)->cuda_from;
}

static const char *v_cudnn(gconstpointer r)
{
  return ((const CupCudnnRelease *)r)->version;
}

static const char *v_torch(gconstpointer r)
{
  return ((const CupTorchRelease *)r)->version;
}

static const char *v_tf(gconstpointer r)
{
  return ((const CupTfRelease *)r)->version;
}

static const char *v_variant(gconstpointer r)
{
  return ((const CupTorchVariant *)r)->cuda;
}

static void test_loads_sorted(void)
{
  g_autoptr(CupCatalog) c = load_committed();
  g_assert_nonnull(c->gpus);
  g_assert_cmpstr(c->dir, ==, CUP_TEST_MANIFESTS);
  assert_newest_first(c->cuda_releases, v_cuda);
  assert_newest_first(c->cuda_cc, v_cc);
  assert_newest_first(c->cudnn_releases, v_cudnn);
  assert_newest_first(c->torch_releases, v_torch);
  assert_newest_first(c->tf_releases, v_tf);
  for (guint i = 0; i < c->torch_releases->len; i++)
    assert_newest_first(((CupTorchRelease *)g_ptr_array_index(c->torch_releases, i))->variants,
                        v_variant);
  for (guint i = 1; i < c->cuda_floors->len; i++)
    g_assert_cmpuint(((CupCudaMajorFloor *)g_ptr_array_index(c->cuda_floors, i - 1))->cuda_major, >,
                     ((CupCudaMajorFloor *)g_ptr_array_index(c->cuda_floors, i))->cuda_major);
  /* The six vendored redistrib manifests, all pinned: no warnings. */
  g_assert_cmpuint(c->redist->len, ==, 6);
  g_assert_cmpuint(c->warnings->len, ==, 0);
  g_assert_true(g_strv_contains((const char *const *)c->toolkit_components, "cuda_nvcc"));
  g_assert_true(g_strv_contains((const char *const *)c->toolkit_components, "cuda_cudart"));
  for (guint i = 0; i < c->cuda_releases->len; i++)
    g_assert_nonnull(((CupCudaRelease *)g_ptr_array_index(c->cuda_releases, i))->source);
}

static void test_cuda_facts(void)
{
  static const struct {
    const char *query, *version, *linux_driver, *windows_driver;
  } rows[] = {
      {"12.1.0", "12.1.0", "530.30.02", "531.14"}, {"13.0.0", "13.0.0", "580.65.06", NULL},
      {"13.0", "13.0.2", "580.95.05", NULL}, /* major.minor: the newest patch */
      {"11.2.0", "11.2.0", "460.27.03", "460.82"}, {"11.2", "11.2.2", "460.32.03", "461.33"},
      {"12.0", "12.0.1", "525.85.12", "528.33"},   {"10.2", "10.2.89", "440.33", "441.22"},
  };
  g_autoptr(CupCatalog) c = load_committed();
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    const CupCudaRelease *r = cup_catalog_cuda_release(c, rows[i].query);
    g_assert_nonnull(r);
    g_assert_cmpstr(r->version, ==, rows[i].version);
    g_assert_cmpstr(r->driver_linux, ==, rows[i].linux_driver);
    g_assert_cmpstr(r->driver_windows, ==, rows[i].windows_driver);
  }
  g_assert_cmpstr(cup_catalog_cuda_release(c, "12.1.0")->label, ==, "CUDA 12.1 GA");
  g_assert_null(cup_catalog_cuda_release(c, "12.7"));
  g_assert_null(cup_catalog_cuda_release(c, "12.1.5"));
  g_assert_null(cup_catalog_cuda_release(c, "twelve"));
  g_assert_null(cup_catalog_cuda_release(c, NULL));
}

static void test_cuda_floors(void)
{
  g_autoptr(CupCatalog) c = load_committed();
  const CupCudaMajorFloor *f = cup_catalog_cuda_floor(c, 12);
  g_assert_nonnull(f);
  g_assert_cmpstr(f->driver_linux, ==, "525.60.13");
  g_assert_cmpstr(f->driver_windows, ==, "527.41");
  f = cup_catalog_cuda_floor(c, 11);
  g_assert_cmpstr(f->driver_linux, ==, "450.80.02");
  g_assert_cmpstr(f->driver_windows, ==, "452.39");
  f = cup_catalog_cuda_floor(c, 13);
  g_assert_cmpstr(f->driver_linux, ==, "580.65.06");
  g_assert_null(f->driver_windows);
  f = cup_catalog_cuda_floor(c, 10); /* listed, but no minor-version compatibility */
  g_assert_nonnull(f);
  g_assert_null(f->driver_linux);
  g_assert_null(f->driver_windows);
  g_assert_null(cup_catalog_cuda_floor(c, 9));
}

static void test_cuda_cc(void)
{
  static const struct {
    const char *cuda, *from, *min_cc, *max_cc, *change_mentions;
  } rows[] = {
      {"12.0", "12.0", "5.0", "9.0", "Kepler"},   {"12.4.1", "12.0", "5.0", "9.0", "Kepler"},
      {"11.8", "11.8", "3.5", "9.0", "Hopper"},   {"11.7.1", "11.5", "3.5", "8.7", NULL},
      {"13.0", "13.0", "7.5", "12.1", "Maxwell"}, {"12.8", "12.8", "5.0", "12.0", "Blackwell"},
      {"6.5", "6.5", "1.1", "5.3", NULL}, /* "5.x" normalised to the highest 5.x CC */
  };
  g_autoptr(CupCatalog) c = load_committed();
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    const CupCudaCcRange *r = cup_catalog_cuda_cc_range(c, rows[i].cuda);
    g_assert_nonnull(r);
    g_assert_cmpstr(r->cuda_from, ==, rows[i].from);
    g_assert_cmpstr(r->min_cc, ==, rows[i].min_cc);
    g_assert_cmpstr(r->max_cc, ==, rows[i].max_cc);
    if (rows[i].change_mentions)
      g_assert_nonnull(strstr(r->change, rows[i].change_mentions));
    else
      g_assert_null(r->change);
  }
  g_assert_null(cup_catalog_cuda_cc_range(c, "12.7")); /* never released */
  g_assert_null(cup_catalog_cuda_cc_range(c, "99.0"));
}

static void assert_strv(GStrv got, const char *const *want)
{
  g_assert_nonnull(got);
  g_assert_cmpuint(g_strv_length(got), ==, g_strv_length((GStrv)want));
  for (guint i = 0; want[i]; i++)
    g_assert_cmpstr(got[i], ==, want[i]);
}

static void test_cudnn_facts(void)
{
  static const char *const v12_13[] = {"cuda12", "cuda13", NULL};
  static const char *const v11_12[] = {"cuda11", "cuda12", NULL};
  g_autoptr(CupCatalog) c = load_committed();
  const CupCudnnRelease *r = cup_catalog_cudnn_release(c, "9.13.0");
  g_assert_nonnull(r);
  g_assert_cmpstr(r->version, ==, "9.13.0");
  assert_strv(r->cuda_variants, v12_13);
  g_assert_true(cup_catalog_cudnn_supports(r, "13.0"));
  g_assert_true(cup_catalog_cudnn_supports(r, "12.4.1"));
  g_assert_false(cup_catalog_cudnn_supports(r, "11.8"));
  g_assert_true(cup_catalog_cudnn_release(c, "9.13.0.50") == r); /* redist's 4-part version */
  g_assert_cmpstr(cup_catalog_cudnn_release(c, "9.13")->version, ==, "9.13.1");
  r = cup_catalog_cudnn_release(c, "9.1.1");
  g_assert_nonnull(r);
  assert_strv(r->cuda_variants, v11_12);
  r = cup_catalog_cudnn_release(c, "8.9.7");
  g_assert_nonnull(r);
  g_assert_null(r->cuda_variants); /* cuDNN 8: one archive per platform */
  g_assert_true(cup_catalog_cudnn_supports(r, "12.2"));
  g_assert_true(cup_catalog_cudnn_supports(r, "11.8"));
  /* cuDNN 8.1 for TensorFlow 2.5-2.11: CUDA 11.0-11.2 (and 10.2). */
  r = cup_catalog_cudnn_release(c, "8.1");
  g_assert_nonnull(r);
  g_assert_cmpstr(r->version, ==, "8.1.1");
  g_assert_true(cup_catalog_cudnn_supports(r, "11.2"));
  g_assert_true(cup_catalog_cudnn_supports(r, "11.0"));
  g_assert_true(cup_catalog_cudnn_supports(r, "10.2"));
  g_assert_false(cup_catalog_cudnn_supports(r, "11.3"));
  g_assert_nonnull(cup_catalog_cudnn_release(c, "8.1.0"));
  g_assert_cmpstr(cup_catalog_cudnn_release(c, "9.17.0")->min_cc, ==, "7.5");
  g_assert_cmpstr(cup_catalog_cudnn_release(c, "8.9.6")->min_cc, ==, "5.0");
  g_assert_null(cup_catalog_cudnn_release(c, "4.0"));
}

static void test_torch_facts(void)
{
  g_autoptr(CupCatalog) c = load_committed();
  const CupTorchRelease *r = cup_catalog_torch_release(c, "2.1.2");
  g_assert_nonnull(r);
  g_assert_true(cup_catalog_torch_release(c, "2.1") == r);
  g_assert_cmpstr(r->version, ==, "2.1");
  g_assert_null(r->patches); /* no stored source lists the 2.1 patch releases */
  g_assert_cmpstr(r->python_min, ==, "3.8");
  g_assert_cmpstr(r->python_max, ==, "3.11");
  g_assert_cmpuint(r->variants->len, ==, 2);
  const CupTorchVariant *v = g_ptr_array_index(r->variants, 0);
  g_assert_cmpstr(v->tag, ==, "cu121");
  g_assert_cmpstr(v->cuda, ==, "12.1");
  g_assert_cmpstr(v->cudnn, ==, "8.9.2.26");
  g_assert_cmpstr(v->index_url, ==, "https://download.pytorch.org/whl/cu121");
  g_assert_null(v->archs);
  v = g_ptr_array_index(r->variants, 1);
  g_assert_cmpstr(v->tag, ==, "cu118");
  g_assert_cmpstr(v->cudnn, ==, "8.7.0.84");
  g_assert_cmpstr(v->index_url, ==, "https://download.pytorch.org/whl/cu118");
  g_assert_false(v->experimental);
  g_assert_true(cup_catalog_torch_variant(r, "cu118") == v);
  g_assert_null(cup_catalog_torch_variant(r, "cu124"));

  r = cup_catalog_torch_release(c, "1.12.1");
  static const char *const patches[] = {"1.12.1", "1.12.0", NULL};
  assert_strv(r->patches, patches);
  g_assert_cmpuint(r->variants->len, ==, 3); /* cu116, cu113, and cu102 from previous-versions */
  v = cup_catalog_torch_variant(r, "cu102");
  g_assert_nonnull(v);
  g_assert_null(v->cudnn);

  r = cup_catalog_torch_release(c, "2.14");
  g_assert_cmpstr(r->python_min, ==, "3.10");
  g_assert_cmpstr(r->python_max, ==, "3.15");
  g_assert_cmpstr(r->python_experimental, ==, "3.15t");
  v = cup_catalog_torch_variant(r, "cu126");
  g_assert_true(g_strv_contains((const char *const *)v->archs, "5.0"));
  g_assert_false(g_strv_contains((const char *const *)v->archs, "10.0"));
  g_assert_cmpstr(((CupTorchRelease *)g_ptr_array_index(c->torch_releases, 0))->version, ==,
                  "2.14");
  g_assert_null(cup_catalog_torch_release(c, "3.0"));
}

static void test_tf_facts(void)
{
  g_autoptr(CupCatalog) c = load_committed();
  const CupTfRelease *r = cup_catalog_tf_release(c, "2.10.0", "windows");
  g_assert_nonnull(r);
  g_assert_cmpstr(r->os, ==, "windows");
  g_assert_cmpstr(r->package, ==, "tensorflow-gpu");
  g_assert_cmpstr(r->cuda, ==, "11.2");
  g_assert_cmpstr(r->cudnn, ==, "8.1");
  g_assert_cmpstr(r->python_min, ==, "3.7");
  g_assert_cmpstr(r->python_max, ==, "3.10");
  g_assert_nonnull(cup_catalog_cudnn_release(c, r->cudnn));
  g_assert_null(cup_catalog_tf_release(c, "2.11", "windows")); /* native Windows GPU ends at 2.10 */
  r = cup_catalog_tf_release(c, "2.11", "linux");
  g_assert_nonnull(r);
  g_assert_cmpstr(r->package, ==, "tensorflow");
  g_assert_cmpstr(cup_catalog_tf_release(c, "2.15", "linux")->cuda, ==, "12.2");
  g_assert_null(cup_catalog_tf_release(c, "2.10.0", "macos"));
}

static void test_gpus_through_catalog(void)
{
  g_autoptr(CupCatalog) c = load_committed();
  const CupGpuEntry *k80 = cup_gpu_table_lookup(c->gpus, 0x10de, 0x102d);
  g_assert_nonnull(k80);
  g_assert_cmpstr(k80->chip, ==, "GK210");
  g_assert_cmpstr(k80->arch->compute_capability, ==, "3.7");
  g_assert_cmpstr(k80->legacy_branch, ==, "470");
  /* The K80's CC is below CUDA 12.0's minimum: the text that explains why names Kepler. */
  g_assert_nonnull(strstr(cup_catalog_cuda_cc_range(c, "12.0")->change, "Kepler"));
}

/* A file's rows in reverse order load into the same order. */
static void test_sorts_itself(void)
{
  g_autoptr(CupCatalog) expected = load_committed();
  g_autofree char *root = copy_manifests();
  g_autofree char *path = g_build_filename(root, "cuda.json", NULL);
  json_error_t jerr;
  g_autoptr(json_t) doc = json_load_file(path, 0, &jerr);
  g_assert_nonnull(doc);
  const char *tables[] = {"releases", "compute_capability", "minor_version_compatibility"};
  for (gsize t = 0; t < G_N_ELEMENTS(tables); t++) {
    json_t *rows = json_object_get(doc, tables[t]);
    g_autoptr(json_t) reversed = json_array();
    for (size_t i = json_array_size(rows); i > 0; i--)
      json_array_append(reversed, json_array_get(rows, i - 1));
    json_object_set(doc, tables[t], reversed);
  }
  g_assert_cmpint(json_dump_file(doc, path, 0), ==, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupCatalog) c = cup_catalog_load(root, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(c->cuda_releases->len, ==, expected->cuda_releases->len);
  for (guint i = 0; i < c->cuda_releases->len; i++)
    g_assert_cmpstr(v_cuda(g_ptr_array_index(c->cuda_releases, i)), ==,
                    v_cuda(g_ptr_array_index(expected->cuda_releases, i)));
  g_assert_cmpuint(((CupCudaMajorFloor *)g_ptr_array_index(c->cuda_floors, 0))->cuda_major, ==, 13);
  g_assert_cmpstr(v_cc(g_ptr_array_index(c->cuda_cc, 0)), ==, "13.0");
  cup_test_remove_tree(root);
}

/* One corruption of one file: set (or with @value NULL, delete) @field of row @index of $.@table
 * (@table NULL: of $ itself; @field NULL: the row itself), or with @raw, replace the file. */
typedef struct {
  const char *file;
  const char *table;
  int index;
  const char *field;
  const char *value; /* JSON text */
  const char *raw;
  const char *message; /* a trailing '*' means "starts with" */
} Corruption;

static const Corruption corruptions[] = {
    {"cuda.json", "releases", 4, "driver_linux", "530", NULL,
     "manifests/cuda.json: invalid at $.releases[4].driver_linux: expected a version string"},
    {"cuda.json", "releases", 4, "driver_linux", "\"530.x\"", NULL,
     "manifests/cuda.json: invalid at $.releases[4].driver_linux: expected a version string"},
    {"cuda.json", "releases", 0, "version", NULL, NULL,
     "manifests/cuda.json: invalid at $.releases[0].version: missing key"},
    {"cuda.json", "releases", 1, "version", "\"13.2.0\"", NULL,
     "manifests/cuda.json: invalid at $.releases[1].version: \"13.2.0\" is listed twice"},
    {"cuda.json", "releases", 2, "label", "\"\"", NULL,
     "manifests/cuda.json: invalid at $.releases[2].label: expected a non-empty string"},
    {"cuda.json", "releases", 2, "source", "[]", NULL,
     "manifests/cuda.json: invalid at $.releases[2].source: expected a string"},
    {"cuda.json", "releases", 3, NULL, "\"12.1\"", NULL,
     "manifests/cuda.json: invalid at $.releases[3]: expected an object"},
    {"cuda.json", "minor_version_compatibility", 1, "cuda_major", "\"12\"", NULL,
     "manifests/cuda.json: invalid at $.minor_version_compatibility[1].cuda_major: expected a "
     "positive integer"},
    {"cuda.json", "compute_capability", 3, "min_cc", "\"5\"", NULL,
     "manifests/cuda.json: invalid at $.compute_capability[3].min_cc: expected a compute "
     "capability \"X.Y\""},
    {"cuda.json", "compute_capability", 3, "max_cc", "\"3.0\"", NULL,
     "manifests/cuda.json: invalid at $.compute_capability[3].max_cc: \"3.0\" is below min_cc "
     "\"5.0\""},
    {"cuda.json", "compute_capability", 0, "change", "5", NULL,
     "manifests/cuda.json: invalid at $.compute_capability[0].change: expected a string"},
    {"cuda.json", NULL, 0, "releases", NULL, NULL,
     "manifests/cuda.json: invalid at $.releases: missing key"},
    {"cuda.json", NULL, 0, "compute_capability", "{}", NULL,
     "manifests/cuda.json: invalid at $.compute_capability: expected an array"},
    {"cuda.json", NULL, 0, "schema", "\"cudaup-cuda/2\"", NULL,
     "manifests/cuda.json: invalid at $.schema: expected \"cudaup-cuda/1\", got \"cudaup-cuda/2\""},
    {"cuda.json", NULL, 0, NULL, NULL, "", "manifests/cuda.json: not valid JSON: *"},
    {"cuda.json", NULL, 0, NULL, NULL, "not json", "manifests/cuda.json: not valid JSON: *"},
    {"cuda.json", NULL, 0, NULL, NULL, "[]",
     "manifests/cuda.json: invalid at $: expected an object"},
    {"cuda.json", NULL, 0, NULL, NULL, "{}",
     "manifests/cuda.json: invalid at $.schema: missing key"},
    {"cudnn.json", "releases", 0, "cuda", "\"12.0\"", NULL,
     "manifests/cudnn.json: invalid at $.releases[0].cuda: expected an array"},
    {"cudnn.json", "releases", 0, "cuda", "[]", NULL,
     "manifests/cudnn.json: invalid at $.releases[0].cuda: expected at least one element"},
    {"cudnn.json", "releases", 1, "cuda", "[\"12.0\", \"12.x\"]", NULL,
     "manifests/cudnn.json: invalid at $.releases[1].cuda[1]: expected a version string"},
    {"cudnn.json", "releases", 2, "cuda_variants", "[\"12\"]", NULL,
     "manifests/cudnn.json: invalid at $.releases[2].cuda_variants[0]: expected a CUDA variant "
     "such as \"cuda12\""},
    {"cudnn.json", "releases", 5, "min_cc", "7.5", NULL,
     "manifests/cudnn.json: invalid at $.releases[5].min_cc: expected a compute capability "
     "\"X.Y\""},
    {"pytorch.json", "releases", 13, "python_min", "3.8", NULL,
     "manifests/pytorch.json: invalid at $.releases[13].python_min: expected a version string"},
    {"pytorch.json", "releases", 13, "python_max", "\"3.7\"", NULL,
     "manifests/pytorch.json: invalid at $.releases[13].python_max: \"3.7\" is below python_min "
     "\"3.8\""},
    {"pytorch.json", "releases", 0, "python_experimental", "\"3.15x\"", NULL,
     "manifests/pytorch.json: invalid at $.releases[0].python_experimental: expected a Python "
     "version \"X.Y\" or \"X.Yt\""},
    {"pytorch.json", "releases", 2, "version", "\"2.14\"", NULL,
     "manifests/pytorch.json: invalid at $.releases[2].version: \"2.14\" is listed twice"},
    {"pytorch.json", "releases", 13, "variants",
     "[{\"tag\": \"cu121\", \"cuda\": \"12.1\", \"index_url\": \"http://example.org/cu121\", "
     "\"experimental\": false}]",
     NULL,
     "manifests/pytorch.json: invalid at $.releases[13].variants[0].index_url: expected an "
     "https:// URL"},
    {"pytorch.json", "releases", 13, "variants",
     "[{\"tag\": \"cu121\", \"cuda\": \"12.1\", \"index_url\": \"https://x/cu121\", "
     "\"experimental\": \"no\"}]",
     NULL,
     "manifests/pytorch.json: invalid at $.releases[13].variants[0].experimental: expected true "
     "or false"},
    {"pytorch.json", "releases", 13, "variants",
     "[{\"tag\": \"cu121\", \"cuda\": \"12.1\", \"index_url\": \"https://x/a\", \"experimental\": "
     "false}, {\"tag\": \"cu121\", \"cuda\": \"12.1\", \"index_url\": \"https://x/b\", "
     "\"experimental\": false}]",
     NULL,
     "manifests/pytorch.json: invalid at $.releases[13].variants[1].tag: \"cu121\" is listed "
     "twice"},
    {"pytorch.json", "releases", 13, "variants", "[{\"tag\": \"12.1\"}]", NULL,
     "manifests/pytorch.json: invalid at $.releases[13].variants[0].tag: expected a wheel tag "
     "such as \"cu121\""},
    {"tensorflow.json", "releases", 0, "os", "\"macos\"", NULL,
     "manifests/tensorflow.json: invalid at $.releases[0].os: expected \"linux\" or \"windows\""},
    {"tensorflow.json", "releases", 7, "cudnn", NULL, NULL,
     "manifests/tensorflow.json: invalid at $.releases[7].cudnn: missing key"},
    {"tensorflow.json", NULL, 0, "schema", "\"cudaup-tensorflow/2\"", NULL,
     "manifests/tensorflow.json: invalid at $.schema: expected \"cudaup-tensorflow/1\", got "
     "\"cudaup-tensorflow/2\""},
    {"tensorflow.json", NULL, 0, NULL, NULL,
     "{\"schema\": \"cudaup-tensorflow/1\", \"releases\": [",
     "manifests/tensorflow.json: not valid JSON: *"},
    {"gpus.json", "devices", 0, "chip", "42", NULL,
     "manifests/gpus.json: invalid at $.devices[0].chip: expected a string"},
    {"gpus.json", NULL, 0, NULL, NULL, "", "manifests/gpus.json: not valid JSON: *"},
};

static void corrupt(const char *root, const Corruption *k)
{
  if (k->raw != NULL) {
    cup_test_write(root, k->file, k->raw);
    return;
  }
  g_autofree char *path = g_build_filename(root, k->file, NULL);
  json_error_t jerr;
  g_autoptr(json_t) doc = json_load_file(path, 0, &jerr);
  g_assert_nonnull(doc);
  json_t *target = doc;
  json_t *value = k->value ? json_loads(k->value, JSON_DECODE_ANY, &jerr) : NULL;
  g_assert_true(k->value == NULL || value != NULL);
  if (k->table != NULL) {
    json_t *rows = json_object_get(doc, k->table);
    g_assert_cmpuint(json_array_size(rows), >, (gsize)k->index);
    if (k->field == NULL) {
      json_array_set_new(rows, k->index, value);
      value = NULL;
    }
    target = json_array_get(rows, k->index);
  }
  if (k->field != NULL && value != NULL)
    json_object_set_new(target, k->field, value);
  else if (k->field != NULL)
    g_assert_cmpint(json_object_del(target, k->field), ==, 0);
  g_assert_cmpint(json_dump_file(doc, path, JSON_INDENT(1)), ==, 0);
}

static void assert_message(const char *message, const char *expected)
{
  gsize n = strlen(expected);
  if (expected[n - 1] == '*') {
    g_autofree char *prefix = g_strndup(expected, n - 1);
    g_assert_true(g_str_has_prefix(message, prefix));
    g_assert_nonnull(strstr(message, "(line "));
  } else {
    g_assert_cmpstr(message, ==, expected);
  }
}

static void test_malformed(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(corruptions); i++) {
    g_autofree char *root = copy_manifests();
    corrupt(root, &corruptions[i]);
    g_autoptr(GError) error = NULL;
    g_autoptr(CupCatalog) c = cup_catalog_load(root, NULL, &error);
    g_test_message("case %" G_GSIZE_FORMAT ": %s", i, error ? error->message : "(loaded)");
    g_assert_null(c);
    g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
    assert_message(error->message, corruptions[i].message);
    cup_test_remove_tree(root);
  }
}

/* Every data file cut short at several places fails as "not valid JSON". */
static void test_truncated(void)
{
  for (gsize f = 0; f < G_N_ELEMENTS(data_files); f++) {
    g_autofree char *src = g_build_filename(CUP_TEST_MANIFESTS, data_files[f], NULL);
    g_autofree char *full = NULL;
    gsize length = 0;
    g_assert_true(g_file_get_contents(src, &full, &length, NULL));
    g_autofree char *expected = g_strdup_printf("manifests/%s: not valid JSON: *", data_files[f]);
    g_autofree char *root = copy_manifests();
    for (gsize cut = 1; cut < length; cut += length / 5) {
      g_autofree char *part = g_strndup(full, cut);
      cup_test_write(root, data_files[f], part);
      g_autoptr(GError) error = NULL;
      g_autoptr(CupCatalog) c = cup_catalog_load(root, NULL, &error);
      g_assert_null(c);
      g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
      assert_message(error->message, expected);
    }
    cup_test_remove_tree(root);
  }
}

static void test_missing_file(void)
{
  for (gsize f = 0; f < G_N_ELEMENTS(data_files); f++) {
    g_autofree char *root = copy_manifests();
    g_autofree char *path = g_build_filename(root, data_files[f], NULL);
    g_assert_cmpint(g_remove(path), ==, 0);
    g_autoptr(GError) error = NULL;
    g_autoptr(CupCatalog) c = cup_catalog_load(root, NULL, &error);
    g_assert_null(c);
    g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
    g_autofree char *prefix = g_strdup_printf("manifests/%s: cannot read: ", data_files[f]);
    g_assert_true(g_str_has_prefix(error->message, prefix));
    cup_test_remove_tree(root);
  }
}

/* The planner's budget is 20 ms including this load: report what it costs. */
static void test_load_time(void)
{
  const int rounds = 10;
  g_test_timer_start();
  for (int i = 0; i < rounds; i++) {
    g_autoptr(CupCatalog) c = load_committed();
  }
  double ms = g_test_timer_elapsed() * 1000.0 / rounds;
  g_test_message("cup_catalog_load: %.2f ms per load", ms);
  g_assert_cmpfloat(ms, <, 1000.0); /* a sanity bound, not the budget: sanitizer builds are slow */
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/catalog/loads-sorted", test_loads_sorted);
  g_test_add_func("/catalog/cuda-facts", test_cuda_facts);
  g_test_add_func("/catalog/cuda-floors", test_cuda_floors);
  g_test_add_func("/catalog/cuda-cc", test_cuda_cc);
  g_test_add_func("/catalog/cudnn-facts", test_cudnn_facts);
  g_test_add_func("/catalog/torch-facts", test_torch_facts);
  g_test_add_func("/catalog/tf-facts", test_tf_facts);
  g_test_add_func("/catalog/gpus", test_gpus_through_catalog);
  g_test_add_func("/catalog/sorts-itself", test_sorts_itself);
  g_test_add_func("/catalog/malformed", test_malformed);
  g_test_add_func("/catalog/truncated", test_truncated);
  g_test_add_func("/catalog/missing-file", test_missing_file);
  g_test_add_func("/catalog/load-time", test_load_time);
  return g_test_run();
}
