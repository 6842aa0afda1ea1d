/* test_redist.c - core/redist: NVIDIA's real redistrib manifests in manifests/redist, their
 * pins, and malformed or hostile input (exact error paths, never a crash). */
#include "core/error.h"
#include "core/redist.h"
#include "tests/testutil.h"

#include <string.h>

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_U "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define MD5_A "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const struct {
  CupRedistKind kind;
  const char *sub, *release, *date;
  guint components, archives;
  const char *probe, *probe_version; /* one component and its own version */
} real_files[] = {
    {CUP_REDIST_CUDA, "cuda", "11.8.0", "2022-10-03", 39, 146, "cuda_cudart", "11.8.89"},
    {CUP_REDIST_CUDA, "cuda", "12.4.1", "2024-04-03", 41, 159, "cuda_nvcc", "12.4.131"},
    {CUP_REDIST_CUDA, "cuda", "13.0.0", "2025-08-04", 49, 122, "cuda_cudart", "13.0.48"},
    {CUP_REDIST_CUDNN, "cudnn", "8.9.7.29", "2023-12-05", 2, 7, "cudnn", "8.9.7.29"},
    {CUP_REDIST_CUDNN, "cudnn", "9.1.1", "2024-05-02", 2, 8, "cudnn", "9.1.1.17"},
    {CUP_REDIST_CUDNN, "cudnn", "9.13.0", "2025-09-04", 3, 13, "cudnn_jit", "9.13.0.50"},
};

static char *real_path(const char *sub, const char *release)
{
  g_autofree char *name = g_strdup_printf("redistrib_%s.json", release);
  return g_build_filename(CUP_TEST_MANIFESTS, "redist", sub, name, NULL);
}

static char *read_real(const char *sub, const char *release, gsize *len)
{
  g_autofree char *path = real_path(sub, release);
  g_autoptr(GError) error = NULL;
  char *text = NULL;
  g_file_get_contents(path, &text, len, &error);
  g_assert_no_error(error);
  return text;
}

static CupRedistManifest *parse_real(CupRedistKind kind, const char *sub, const char *release)
{
  gsize len = 0;
  g_autofree char *text = read_real(sub, release, &len);
  g_autofree char *path = real_path(sub, release);
  g_autoptr(GError) error = NULL;
  CupRedistManifest *m = cup_redist_parse(text, len, kind, path, &error);
  g_assert_no_error(error);
  g_assert_nonnull(m);
  return m;
}

static GHashTable *load_pins(void)
{
  g_autofree char *path =
      g_build_filename(CUP_TEST_MANIFESTS, "redist", "pinned-manifest-sha256.json", NULL);
  g_autoptr(GError) error = NULL;
  GHashTable *pins = cup_redist_pins_load(path, &error);
  g_assert_no_error(error);
  return pins;
}

static GPtrArray *manifest_array(void)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify)cup_redist_manifest_free);
}

static void test_cudnn_913_cuda13(void)
{
  g_autoptr(CupRedistManifest) m = parse_real(CUP_REDIST_CUDNN, "cudnn", "9.13.0");
  const CupRedistArchive *a = cup_redist_find(m, "cudnn", "linux-x86_64", "cuda13");
  g_assert_nonnull(a);
  g_assert_cmpstr(a->relative_path, ==,
                  "cudnn/linux-x86_64/cudnn-linux-x86_64-9.13.0.50_cuda13-archive.tar.xz");
  g_assert_cmpstr(a->sha256, ==,
                  "02f47d9456773c80d97ed245efd9eb22bb985dcfdb74559213536035291e7a01");
  g_assert_cmpstr(a->md5, ==, "ff33c2783f44d10874f93d32d13764ab");
  g_assert_cmpuint(a->size, ==, 641302680);
  g_assert_cmpstr(a->platform, ==, "linux-x86_64");
  g_assert_cmpstr(a->cuda_variant, ==, "cuda13");
  g_assert_cmpstr(m->release, ==, "9.13.0");
  g_assert_cmpint(m->kind, ==, CUP_REDIST_CUDNN);
  /* cuda12 is listed first: no variant asked gives it; a variant the platform lacks gives none. */
  const CupRedistArchive *first = cup_redist_find(m, "cudnn", "linux-x86_64", NULL);
  g_assert_cmpstr(first->cuda_variant, ==, "cuda12");
  g_assert_cmpuint(first->size, ==, 873944756);
  g_assert_null(cup_redist_find(m, "cudnn", "linux-x86_64", "cuda11"));
  g_assert_null(cup_redist_find(m, "cudnn", "linux-ppc64le", "cuda13"));
  g_assert_null(cup_redist_find(m, "nope", "linux-x86_64", "cuda13"));
  /* cudnn_samples has one archive for platform "source", with no variant. */
  const CupRedistArchive *src = cup_redist_find(m, "cudnn_samples", "source", "cuda13");
  g_assert_nonnull(src);
  g_assert_null(src->cuda_variant);
  const CupRedistComponent *c = cup_redist_component(m, "cudnn");
  g_assert_cmpstr(c->name, ==, "NVIDIA CUDA Deep Neural Network library");
  g_assert_cmpstr(c->license, ==, "cudnn");
  g_assert_cmpstr(c->version, ==, "9.13.0.50");
}

static void test_cuda_118_nvcc(void)
{
  g_autoptr(CupRedistManifest) m = parse_real(CUP_REDIST_CUDA, "cuda", "11.8.0");
  const CupRedistArchive *a = cup_redist_find(m, "cuda_nvcc", "linux-x86_64", NULL);
  g_assert_nonnull(a);
  g_assert_cmpstr(a->sha256, ==,
                  "7ee8450dbcc16e9fe5d2a7b567d6dec220c5894a94ac6640459e06231e3b39a5");
  g_assert_cmpuint(a->size, ==, 43230952);
  g_assert_cmpstr(a->relative_path, ==,
                  "cuda_nvcc/linux-x86_64/cuda_nvcc-linux-x86_64-11.8.89-archive.tar.xz");
  g_assert_null(a->cuda_variant);
  /* A variant asked of a manifest without variants is ignored. */
  g_assert_true(cup_redist_find(m, "cuda_nvcc", "linux-x86_64", "cuda12") == a);
  const CupRedistComponent *c = cup_redist_component(m, "cuda_nvcc");
  g_assert_cmpstr(c->name, ==, "CUDA NVCC");
  g_assert_cmpstr(c->license, ==, "CUDA Toolkit");
  g_assert_cmpstr(c->version, ==, "11.8.89");
  g_assert_cmpuint(c->archives->len, ==, 5);
  /* 11.8.0 has no release_label: parse leaves the release to the file name. */
  g_assert_null(m->release);
  g_assert_cmpstr(m->release_date, ==, "2022-10-03");
  g_assert_null(cup_redist_component(m, "release_date"));
}

static void test_counts_and_versions(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(real_files); i++) {
    g_autoptr(CupRedistManifest) m =
        parse_real(real_files[i].kind, real_files[i].sub, real_files[i].release);
    guint archives = 0;
    for (guint j = 0; j < m->components->len; j++)
      archives += ((CupRedistComponent *)g_ptr_array_index(m->components, j))->archives->len;
    g_assert_cmpuint(m->components->len, ==, real_files[i].components);
    g_assert_cmpuint(archives, ==, real_files[i].archives);
    g_assert_cmpstr(m->release_date, ==, real_files[i].date);
    if (m->release != NULL)
      g_assert_cmpstr(m->release, ==, real_files[i].release);
    const CupRedistComponent *c = cup_redist_component(m, real_files[i].probe);
    g_assert_nonnull(c);
    g_assert_cmpstr(c->version, ==, real_files[i].probe_version);
  }
}

static gboolean is_lower_hex(const char *s, gsize digits)
{
  return strlen(s) == digits && strspn(s, "0123456789abcdef") == digits;
}

static void assert_archive_sane(const CupRedistManifest *m, const CupRedistComponent *c,
                                const CupRedistArchive *a)
{
  g_autofree char *prefix = g_strconcat(c->key, "/", NULL);
  g_assert_true(is_lower_hex(a->sha256, 64));
  g_assert_true(a->md5 != NULL && is_lower_hex(a->md5, 32));
  g_assert_cmpuint(a->size, >, 0);
  g_assert_true(g_str_has_prefix(a->relative_path, prefix));
  g_assert_null(strstr(a->relative_path, ".."));
  g_assert_null(strchr(a->relative_path, '\\'));
  g_assert_null(strchr(a->relative_path, ':'));
  g_assert_cmpint(a->relative_path[0], !=, '/');
  g_assert_true(g_str_has_suffix(a->relative_path, ".tar.xz") ||
                g_str_has_suffix(a->relative_path, ".zip"));
  g_assert_cmpstr(a->platform, !=, "");
  if (m->kind == CUP_REDIST_CUDA)
    g_assert_null(a->cuda_variant);
  else if (a->cuda_variant != NULL)
    g_assert_true(g_str_has_prefix(a->cuda_variant, "cuda"));
}

static void test_every_archive_sane(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(real_files); i++) {
    g_autoptr(CupRedistManifest) m =
        parse_real(real_files[i].kind, real_files[i].sub, real_files[i].release);
    for (guint j = 0; j < m->components->len; j++) {
      const CupRedistComponent *c = g_ptr_array_index(m->components, j);
      g_assert_nonnull(c->name);
      g_assert_nonnull(c->license);
      g_assert_nonnull(c->version);
      g_assert_cmpuint(c->archives->len, >, 0);
      for (guint k = 0; k < c->archives->len; k++)
        assert_archive_sane(m, c, g_ptr_array_index(c->archives, k));
    }
  }
}

static void test_load_dir_pinned(void)
{
  g_autoptr(GHashTable) pins = load_pins();
  g_autoptr(GPtrArray) out = manifest_array();
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *dir = g_build_filename(CUP_TEST_MANIFESTS, "redist", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_cmpuint(g_hash_table_size(pins), ==, 29 + 37);
  gint64 start = g_get_monotonic_time();
  g_assert_true(cup_redist_load_dir(dir, pins, out, warnings, &error));
  g_test_message("loaded and verified %u manifests in %.2f ms", out->len,
                 (g_get_monotonic_time() - start) / 1000.0);
  g_assert_no_error(error);
  g_assert_cmpuint(warnings->len, ==, 0);
  g_assert_cmpuint(out->len, ==, G_N_ELEMENTS(real_files));
  for (gsize i = 0; i < G_N_ELEMENTS(real_files); i++) {
    const CupRedistManifest *m = g_ptr_array_index(out, i);
    g_autofree char *path = real_path(real_files[i].sub, real_files[i].release);
    g_autofree char *key = g_strdup_printf("%s/%s", real_files[i].sub, real_files[i].release);
    gsize len = 0;
    g_autofree char *text = read_real(real_files[i].sub, real_files[i].release, &len);
    g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)text, len);
    g_assert_cmpint(m->kind, ==, real_files[i].kind);
    g_assert_cmpstr(m->release, ==, real_files[i].release); /* 11.8.0: from the file name */
    g_assert_cmpstr(m->origin, ==, path);
    g_assert_cmpuint(m->components->len, ==, real_files[i].components);
    g_assert_cmpstr(g_hash_table_lookup(pins, key), ==, sha);
  }
}

/* A fresh root with real file @sub/@release saved as @as_release, byte @flip_at changed
 * (none when negative). */
static char *make_copy(const char *sub, const char *release, const char *as_release, gssize flip_at)
{
  char *root = cup_test_make_root();
  gsize len = 0;
  g_autofree char *text = read_real(sub, release, &len);
  if (flip_at >= 0)
    text[flip_at] = text[flip_at] == '7' ? '8' : '7';
  g_autofree char *name = g_strdup_printf("redistrib_%s.json", as_release);
  g_autofree char *dir = g_build_filename(root, sub, NULL);
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_file_set_contents(path, text, (gssize)len, &error);
  g_assert_no_error(error);
  return root;
}

static void test_tampered_byte(void)
{
  gsize len = 0;
  g_autofree char *text = read_real("cuda", "12.4.1", &len);
  const char *size_digit = strstr(text, "\"size\": \"") + 9; /* a digit of the first size */
  gssize at = size_digit - text;
  g_autofree char *root = make_copy("cuda", "12.4.1", "12.4.1", at);
  text[at] = text[at] == '7' ? '8' : '7';
  g_autofree char *actual = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)text, len);
  g_autofree char *path = g_build_filename(root, "cuda", "redistrib_12.4.1.json", NULL);
  g_autofree char *expected = g_strdup_printf(
      "%s: sha256 mismatch: expected "
      "9cd815f3b71c2e3686ef2219b7794b81044f9dcefaa8e21dacfcb5bc4d931892, got %s; restore the "
      "file from NVIDIA or reinstall cudaup",
      path, actual);
  g_autoptr(GHashTable) pins = load_pins();
  g_autoptr(GPtrArray) out = manifest_array();
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  g_assert_false(cup_redist_load_dir(root, pins, out, warnings, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_cmpstr(error->message, ==, expected);
  g_assert_cmpuint(out->len, ==, 0);
  g_assert_cmpuint(warnings->len, ==, 0);
  cup_test_remove_tree(root);
}

static void test_unpinned_warns(void)
{
  g_autofree char *root = make_copy("cudnn", "9.13.0", "9.13.0", -1);
  g_autoptr(GHashTable) pins = load_pins();
  g_assert_true(g_hash_table_remove(pins, "cudnn/9.13.0"));
  cup_test_write(root, "cudnn/redistrib_latest.json", "{}");
  cup_test_write(root, "cudnn/notes.txt", "not a manifest");
  g_autoptr(GPtrArray) out = manifest_array();
  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_redist_load_dir(root, pins, out, warnings, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(out->len, ==, 1);
  g_assert_cmpuint(warnings->len, ==, 2);
  g_autofree char *path = g_build_filename(root, "cudnn", "redistrib_9.13.0.json", NULL);
  g_autofree char *expected = g_strdup_printf(
      "%s: cudnn 9.13.0 is not in the pinned manifest hashes (its sha256 is "
      "55e3eb3ccb1ca543a7811312466f44841d630d3b2252f5763ad53509d2c09fbf); loaded without a pin "
      "check",
      path);
  const char *w0 = g_ptr_array_index(warnings, 0), *w1 = g_ptr_array_index(warnings, 1);
  g_assert_true(strcmp(w0, expected) == 0 || strcmp(w1, expected) == 0);
  g_assert_true(strstr(w0, "redistrib_latest.json: ignored") != NULL ||
                strstr(w1, "redistrib_latest.json: ignored") != NULL);
  /* No pins at all: every file is unpinned; a NULL warnings array is allowed. */
  g_autoptr(GPtrArray) out2 = manifest_array();
  g_assert_true(cup_redist_load_dir(root, NULL, out2, NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(out2->len, ==, 1);
  cup_test_remove_tree(root);
}

static void test_release_label_mismatch(void)
{
  g_autofree char *root = make_copy("cudnn", "9.1.1", "9.1.2", -1);
  g_autoptr(GPtrArray) out = manifest_array();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename(root, "cudnn", "redistrib_9.1.2.json", NULL);
  g_autofree char *expected = g_strdup_printf(
      "%s: invalid at $.release_label: \"9.1.1\" does not match the file name's \"9.1.2\"", path);
  g_assert_false(cup_redist_load_dir(root, NULL, out, NULL, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
  g_assert_cmpstr(error->message, ==, expected);
  cup_test_remove_tree(root);
}

static void test_missing_dir_and_size_cap(void)
{
  g_autoptr(GPtrArray) out = manifest_array();
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_redist_load_dir("/nonexistent/cudaup/redist", NULL, out, NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(out->len, ==, 0);
  g_autofree char *root = cup_test_make_root();
  g_autofree char *big = g_malloc(CUP_REDIST_MAX_FILE_SIZE + 2);
  memset(big, ' ', CUP_REDIST_MAX_FILE_SIZE + 1);
  big[CUP_REDIST_MAX_FILE_SIZE + 1] = '\0';
  cup_test_write(root, "cuda/redistrib_12.0.0.json", big);
  g_autofree char *path = g_build_filename(root, "cuda", "redistrib_12.0.0.json", NULL);
  g_autofree char *expected = g_strdup_printf(
      "%s: larger than 8 MiB, which no redistrib manifest is; remove the file", path);
  g_assert_false(cup_redist_load_dir(root, NULL, out, NULL, &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
  g_assert_cmpstr(error->message, ==, expected);
  cup_test_remove_tree(root);
}

/* A one-component document around the archive @arch ("linux-x86_64": ARCH). */
#define DOC(arch)                                                                                  \
  "{\"release_label\":\"1.2.3\",\"c\":{\"name\":\"C\",\"license\":\"L\",\"version\":\"1.0\","      \
  "\"linux-x86_64\":" arch "}}"
#define ARCH(rel, sha, size)                                                                       \
  "{\"relative_path\":" rel ",\"sha256\":" sha ",\"md5\":\"" MD5_A "\",\"size\":" size "}"
#define ARCH_SIZE(size) ARCH("\"c/x.tar.xz\"", "\"" SHA_A "\"", size)
#define ARCH_PATH(rel) ARCH(rel, "\"" SHA_A "\"", "\"10\"")
#define AT_ARCH "t.json: invalid at $.c.linux-x86_64."

static const struct {
  CupRedistKind kind;
  const char *json, *message;
} bad_docs[] = {
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("10")), AT_ARCH "size: expected a decimal string"},
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("\"-1\"")),
     AT_ARCH "size: expected a decimal string, got \"-1\""},
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("\"+5\"")),
     AT_ARCH "size: expected a decimal string, got \"+5\""},
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("\"12a\"")),
     AT_ARCH "size: expected a decimal string, got \"12a\""},
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("\" 5\"")),
     AT_ARCH "size: expected a decimal string, got \" 5\""},
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("\"\"")), AT_ARCH "size: expected a decimal string, got \"\""},
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("\"1.5\"")),
     AT_ARCH "size: expected a decimal string, got \"1.5\""},
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("\"99999999999999999999\"")),
     AT_ARCH "size: \"99999999999999999999\" does not fit in 64 bits"},
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("\"18446744073709551616\"")),
     AT_ARCH "size: \"18446744073709551616\" does not fit in 64 bits"},
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("\"0\"")),
     AT_ARCH "size: expected a size above 0 bytes, got \"0\""},
    {CUP_REDIST_CUDA, DOC(ARCH_SIZE("null")), AT_ARCH "size: expected a decimal string"},
    {CUP_REDIST_CUDA, DOC(ARCH("\"c/x\"", "\"abc123\"", "\"1\"")),
     AT_ARCH "sha256: expected 64 hex digits, got \"abc123\""},
    {CUP_REDIST_CUDA, DOC(ARCH("\"c/x\"", "\"" SHA_A "0\"", "\"1\"")),
     AT_ARCH "sha256: expected 64 hex digits, got \"" SHA_A "0\""},
    {CUP_REDIST_CUDA,
     DOC(ARCH("\"c/x\"", "\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"",
              "\"1\"")),
     AT_ARCH "sha256: expected 64 hex digits, got "
             "\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\""},
    {CUP_REDIST_CUDA, DOC(ARCH("\"c/x\"", "42", "\"1\"")), AT_ARCH "sha256: expected a string"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"../../etc/passwd\"")),
     AT_ARCH "relative_path: \"../../etc/passwd\" contains \"..\", which would leave the redist "
             "directory"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"c/../../x\"")),
     AT_ARCH "relative_path: \"c/../../x\" contains \"..\", which would leave the redist "
             "directory"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"/abs\"")),
     AT_ARCH "relative_path: \"/abs\" is absolute; expected a path relative to the redist "
             "directory"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"C:\\\\x\"")),
     AT_ARCH "relative_path: \"C:\\\\x\" starts with a drive letter; expected a path relative "
             "to the redist directory"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"c\\\\x\"")),
     AT_ARCH "relative_path: \"c\\\\x\" contains a backslash; expected '/' separators"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"c/x:y\"")),
     AT_ARCH "relative_path: \"c/x:y\" contains a character other than A-Z a-z 0-9 . _ + - /"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"c/x?y\"")),
     AT_ARCH "relative_path: \"c/x?y\" contains a character other than A-Z a-z 0-9 . _ + - /"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"c/x\\ny\"")),
     AT_ARCH "relative_path: \"c/x\\ny\" contains a character other than A-Z a-z 0-9 . _ + - /"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"c//x\"")),
     AT_ARCH "relative_path: \"c//x\" contains an empty segment (\"//\" or a trailing \"/\")"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"c/\"")),
     AT_ARCH "relative_path: \"c/\" contains an empty segment (\"//\" or a trailing \"/\")"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"./c\"")),
     AT_ARCH "relative_path: \"./c\" contains a \".\" segment"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("\"\"")), AT_ARCH "relative_path: expected a non-empty string"},
    {CUP_REDIST_CUDA, DOC(ARCH_PATH("7")), AT_ARCH "relative_path: expected a string"},
    {CUP_REDIST_CUDA, DOC("{\"sha256\":\"" SHA_A "\",\"size\":\"1\"}"),
     AT_ARCH "relative_path: missing key"},
    {CUP_REDIST_CUDA, DOC("{\"relative_path\":\"c/x\",\"size\":\"1\"}"),
     AT_ARCH "sha256: missing key"},
    {CUP_REDIST_CUDA, DOC("{\"relative_path\":\"c/x\",\"sha256\":\"" SHA_A "\"}"),
     AT_ARCH "size: missing key"},
    {CUP_REDIST_CUDA,
     DOC("{\"relative_path\":\"c/x\",\"sha256\":\"" SHA_A "\",\"md5\":\"12\",\"size\":\"1\"}"),
     AT_ARCH "md5: expected 32 hex digits, got \"12\""},
    {CUP_REDIST_CUDA, DOC("{\"cuda12\":" ARCH_SIZE("\"1\"") "}"),
     AT_ARCH "relative_path: missing key"},
    {CUP_REDIST_CUDNN, DOC("{\"cuda12\":" ARCH_SIZE("\"-1\"") "}"),
     AT_ARCH "cuda12.size: expected a decimal string, got \"-1\""},
    {CUP_REDIST_CUDNN, DOC("{\"cuda12\":{\"relative_path\":\"c/x\",\"size\":\"1\"}}"),
     AT_ARCH "cuda12.sha256: missing key"},
    {CUP_REDIST_CUDNN, DOC("{\"gpu12\":" ARCH_SIZE("\"1\"") "}"),
     AT_ARCH "gpu12: expected a cuda variant key like \"cuda12\""},
    {CUP_REDIST_CUDNN, DOC("{\"cuda12\":\"x\"}"), AT_ARCH "cuda12: expected an object"},
    {CUP_REDIST_CUDNN, DOC("{}"),
     "t.json: invalid at $.c.linux-x86_64: expected an archive or cuda variants (\"cuda12\": "
     "{...})"},
    {CUP_REDIST_CUDA, DOC("[1]"), "t.json: invalid at $.c: expected at least one platform archive"},
    {CUP_REDIST_CUDA, "{\"c\":{\"license\":\"L\",\"version\":\"1\",\"p\":" ARCH_SIZE("\"1\"") "}}",
     "t.json: invalid at $.c.name: missing key"},
    {CUP_REDIST_CUDA, "{\"c\":{\"name\":1,\"license\":\"L\",\"version\":\"1\"}}",
     "t.json: invalid at $.c.name: expected a string"},
    {CUP_REDIST_CUDA, "{\"c\":{\"name\":\"C\",\"license\":\"L\",\"version\":[]}}",
     "t.json: invalid at $.c.version: expected a string"},
    {CUP_REDIST_CUDA,
     "{\"c\":{\"name\":\"C\",\"license\":\"L\",\"version\":\"1\",\"linux x\":" ARCH_SIZE(
         "\"1\"") "}}",
     "t.json: invalid at $.c[\"linux x\"]: expected a platform name like \"linux-x86_64\""},
    {CUP_REDIST_CUDA, "{\"a b\":{}}",
     "t.json: invalid at $[\"a b\"]: expected a component name like \"cuda_nvcc\""},
    {CUP_REDIST_CUDA, "{\"release_label\":5}",
     "t.json: invalid at $.release_label: expected a string"},
    {CUP_REDIST_CUDA, "{\"release_label\":\"latest\"}",
     "t.json: invalid at $.release_label: expected a release like \"12.4.1\", got \"latest\""},
    {CUP_REDIST_CUDA, "{\"release_date\":{}}",
     "t.json: invalid at $.release_date: expected a string"},
    {CUP_REDIST_CUDA, "{\"release_date\":\"2024-01-01\",\"x\":1}",
     "t.json: invalid at $: expected at least one component"},
    {CUP_REDIST_CUDA, "[]", "t.json: invalid at $: expected an object"},
    {CUP_REDIST_CUDA, "{}", "t.json: invalid at $: expected at least one component"},
};

static void test_bad_documents(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(bad_docs); i++) {
    g_autoptr(GError) error = NULL;
    const char *json = bad_docs[i].json;
    g_autoptr(CupRedistManifest) m =
        cup_redist_parse(json, strlen(json), bad_docs[i].kind, "t.json", &error);
    g_test_message("case %" G_GSIZE_FORMAT ": %s", i, json);
    g_assert_null(m);
    g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
    g_assert_cmpstr(error->message, ==, bad_docs[i].message);
  }
}

static void test_good_edge_values(void)
{
  static const char json[] =
      DOC(ARCH("\"c/x-1.0+b.tar.xz\"", "\"" SHA_A "\"", "\"18446744073709551615\""));
  g_autoptr(GError) error = NULL;
  g_autoptr(CupRedistManifest) m =
      cup_redist_parse(json, sizeof json - 1, CUP_REDIST_CUDA, "t.json", &error);
  g_assert_no_error(error);
  const CupRedistArchive *a = cup_redist_find(m, "c", "linux-x86_64", NULL);
  g_assert_cmpuint(a->size, ==, G_MAXUINT64);
  g_assert_cmpstr(a->relative_path, ==, "c/x-1.0+b.tar.xz");
  /* Upper-case hex is accepted and stored lower-case; md5 is optional. */
  static const char upper[] =
      DOC("{\"relative_path\":\"c/x\",\"sha256\":\"" SHA_U "\",\"size\":\"7\"}");
  g_autoptr(CupRedistManifest) m2 =
      cup_redist_parse(upper, sizeof upper - 1, CUP_REDIST_CUDNN, "t.json", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(m2->components->len, ==, 1);
  g_assert_cmpstr(m2->release, ==, "1.2.3");
  a = cup_redist_find(m2, "c", "linux-x86_64", "cuda12");
  g_assert_cmpstr(a->sha256, ==, SHA_A);
  g_assert_null(a->md5);
  g_assert_null(a->cuda_variant);
}

static void assert_not_json(const char *text, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CupRedistManifest) m = cup_redist_parse(text, len, CUP_REDIST_CUDA, "t.json", &error);
  g_assert_null(m);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
  g_assert_true(g_str_has_prefix(error->message, "t.json: not valid JSON: "));
  g_assert_nonnull(strstr(error->message, " (line "));
}

static void test_not_json(void)
{
  static const char binary[] = {'\x7f', 'E', 'L', 'F', '\x02', '\x01', '\0', '\xff', '\xfe'};
  static const char nul_inside[] = "{\"c\":\0}";
  assert_not_json(NULL, 0);
  assert_not_json("", 0);
  assert_not_json("   \n", 4);
  assert_not_json("{", 1);
  assert_not_json("{\"c\":1,\"c\":2}", 13); /* duplicate keys */
  assert_not_json("{\"c\":\"\\u0000\"}", 14);
  assert_not_json(binary, sizeof binary);
  assert_not_json(nul_inside, sizeof nul_inside - 1);
  assert_not_json("\xef\xbb\xbf{}", 5); /* a byte-order mark */
  assert_not_json("{\"c\":\"\xff\"}", 9);
}

/* Every strict prefix of a real manifest is invalid JSON: an error, never a crash. */
static void test_truncated_real_files(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(real_files); i++) {
    gsize len = 0;
    g_autofree char *text = read_real(real_files[i].sub, real_files[i].release, &len);
    gsize step = len > 10000 ? 61 : 1;
    for (gsize cut = 0; cut < len; cut += (cut < 200 || len - cut < 200) ? 1 : step)
      assert_not_json(text, cut);
  }
}

/* Random single-byte changes of the real cuDNN manifests: success or a CATALOG error. */
static void test_mutated_real_files(void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(20240501);
  for (gsize i = 3; i < G_N_ELEMENTS(real_files); i++) {
    gsize len = 0;
    g_autofree char *text = read_real(real_files[i].sub, real_files[i].release, &len);
    for (guint round = 0; round < 3000; round++) {
      g_autofree char *copy = g_memdup2(text, len);
      gsize at = g_rand_int_range(rand, 0, (gint32)len);
      copy[at] = (char)g_rand_int_range(rand, 0, 256);
      g_autoptr(GError) error = NULL;
      g_autoptr(CupRedistManifest) m =
          cup_redist_parse(copy, len, real_files[i].kind, "t.json", &error);
      if (m == NULL)
        g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
      else
        g_assert_no_error(error);
    }
  }
}

/* Loading pins @contents fails with "PATH: @why" (NULL: any "not valid JSON" text). */
static void assert_pins_error(const char *contents, const char *why)
{
  g_autofree char *root = cup_test_make_root();
  cup_test_write(root, "pins.json", contents);
  g_autofree char *path = g_build_filename(root, "pins.json", NULL);
  g_autofree char *expected =
      g_strdup_printf("%s: %s", path, why != NULL ? why : "not valid JSON: ");
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) pins = cup_redist_pins_load(path, &error);
  g_assert_null(pins);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
  if (why == NULL)
    g_assert_true(g_str_has_prefix(error->message, expected));
  else
    g_assert_cmpstr(error->message, ==, expected);
  cup_test_remove_tree(root);
}

static void test_pins_file(void)
{
  g_autoptr(GHashTable) pins = load_pins();
  g_assert_cmpstr(g_hash_table_lookup(pins, "cuda/11.8.0"), ==,
                  "941a950a4ab3b95311c50df7b3c8bca973e0cdda76fc2f4b456d2d5e4dac0281");
  g_assert_cmpstr(g_hash_table_lookup(pins, "cudnn/8.9.7.29"), ==,
                  "a0734f26f068522464fa09b2f2c186dfbe6ad7407a88ea0c50dd331f0c3389ec");
  g_assert_null(g_hash_table_lookup(pins, "cuda/11.8"));
  assert_pins_error("{\"schema\":\"x\"}",
                    "invalid at $.schema: expected \"cudaup-redist-pins/1\", got \"x\"");
  assert_pins_error("{\"schema\":\"cudaup-redist-pins/1\",\"cudnn\":{}}",
                    "invalid at $.cuda: missing key");
  assert_pins_error("{\"schema\":\"cudaup-redist-pins/1\",\"cuda\":[],\"cudnn\":{}}",
                    "invalid at $.cuda: expected an object");
  assert_pins_error("{\"schema\":\"cudaup-redist-pins/1\",\"cuda\":{\"12.4.1\":\"abc\"},"
                    "\"cudnn\":{}}",
                    "invalid at $.cuda[\"12.4.1\"]: expected a string of 64 hex digits");
  assert_pins_error("{\"schema\":\"cudaup-redist-pins/1\",\"cuda\":{},\"cudnn\":{\"latest\":"
                    "\"" SHA_A "\"}}",
                    "invalid at $.cudnn.latest: expected a release like \"12.4.1\" as the key");
  assert_pins_error("[", NULL); /* jansson's own text follows; not pinned down here */
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_redist_pins_load("/nonexistent/pins.json", &error));
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CATALOG);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/redist/cudnn-9.13.0-cuda13", test_cudnn_913_cuda13);
  g_test_add_func("/redist/cuda-11.8.0-nvcc", test_cuda_118_nvcc);
  g_test_add_func("/redist/counts-and-versions", test_counts_and_versions);
  g_test_add_func("/redist/every-archive-sane", test_every_archive_sane);
  g_test_add_func("/redist/load-dir-pinned", test_load_dir_pinned);
  g_test_add_func("/redist/tampered-byte", test_tampered_byte);
  g_test_add_func("/redist/unpinned-warns", test_unpinned_warns);
  g_test_add_func("/redist/release-label-mismatch", test_release_label_mismatch);
  g_test_add_func("/redist/missing-dir-and-size-cap", test_missing_dir_and_size_cap);
  g_test_add_func("/redist/bad-documents", test_bad_documents);
  g_test_add_func("/redist/good-edge-values", test_good_edge_values);
  g_test_add_func("/redist/not-json", test_not_json);
  g_test_add_func("/redist/truncated-real-files", test_truncated_real_files);
  g_test_add_func("/redist/mutated-real-files", test_mutated_real_files);
  g_test_add_func("/redist/pins-file", test_pins_file);
  return g_test_run();
}
