/* test_helper.c - cudaup-helper (cli/helper), run directly as pkexec would start it, against a
 * temporary toolkit root (allowed with --allow-root), a private work directory, and a cache
 * holding archives of a small mirror in NVIDIA's layout (tests/support/mirror): a good request
 * installs; a tampered archive, a path outside the cache, a symlinked archive and a root outside
 * the allowed prefixes are refused with nothing changed; malformed JSON gets one line and the
 * parse exit code; the system environment goes under --system-root. */
#include "core/error.h"
#include "tests/support/mirror.h"
#include "tests/testutil.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

typedef struct {
  char *dir;       /* everything below; removed at teardown */
  char *cache;     /* DIR/cache: the user's cache, archives in cache/archives/<sha256> */
  char *allowed;   /* DIR/opt: the --allow-root prefix */
  char *root;      /* DIR/opt/cuda-13.0, absent until installed */
  char *work;      /* DIR/work: --work-dir */
  json_t *request; /* a good request for cuda_cudart, cuda_nvcc and cuDNN */
} Fixture;

/* "cuda_cudart-linux-x86_64-13.0.96-archive.tar.xz" -> "13.0.96"; cuDNN's "_cuda13" dropped. */
static char *archive_version(const char *file, const char *component)
{
  g_autofree char *base = g_path_get_basename(file);
  const char *v = base + strlen(component) + strlen("-linux-x86_64-");
  const char *end = strstr(v, "_cuda");
  return g_strndup(v, (gsize)((end ? end : strstr(v, "-archive")) - v));
}

static json_t *cache_archive(Fixture *fx, const CupTestArchive *a)
{
  g_autofree char *path = g_build_filename(fx->cache, "archives", a->sha256, NULL);
  g_autoptr(GFile) from = g_file_new_for_path(a->file), to = g_file_new_for_path(path);
  g_assert_true(g_file_copy(from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, NULL));
  g_autofree char *version = archive_version(a->file, a->component);
  return json_pack("{s:s,s:s,s:s,s:s}", "component", a->component, "version", version, "path", path,
                   "sha256", a->sha256);
}

static void fixture_setup(Fixture *fx, gconstpointer data)
{
  (void)data;
  fx->dir = cup_test_make_root();
  g_autofree char *mirror_root = g_build_filename(fx->dir, "mirror", NULL);
  g_autoptr(CupTestMirror) m = cup_test_mirror_build(mirror_root, "13.0.0", "9.13.0");
  fx->cache = g_build_filename(fx->dir, "cache", NULL);
  g_autofree char *archives_dir = g_build_filename(fx->cache, "archives", NULL);
  g_assert_cmpint(g_mkdir_with_parents(archives_dir, 0755), ==, 0);
  fx->allowed = g_build_filename(fx->dir, "opt", NULL);
  g_assert_cmpint(g_mkdir(fx->allowed, 0755), ==, 0);
  fx->root = g_build_filename(fx->allowed, "cuda-13.0", NULL);
  fx->work = g_build_filename(fx->dir, "work", NULL);
  json_t *list = json_array();
  json_array_append_new(list,
                        cache_archive(fx, cup_test_mirror_find(m, "cuda_cudart", "linux-x86_64")));
  json_array_append_new(list,
                        cache_archive(fx, cup_test_mirror_find(m, "cuda_nvcc", "linux-x86_64")));
  const char *cudnn = NULL;
  for (guint i = 0; i < m->archives->len; i++) {
    const CupTestArchive *a = g_ptr_array_index(m->archives, i);
    if (strcmp(a->component, "cudnn") == 0 && strcmp(a->platform, "linux-x86_64") == 0 &&
        g_strcmp0(a->cuda_variant, "cuda13") == 0) {
      json_array_append_new(list, cache_archive(fx, a));
      cudnn = json_string_value(json_object_get(json_array_get(list, 2), "version"));
    }
  }
  g_assert_nonnull(cudnn);
  fx->request =
      json_pack("{s:i,s:s,s:s,s:s,s:s,s:o,s:b}", "format", 1, "cache_dir", fx->cache, "root",
                fx->root, "cuda", "13.0.0", "cudnn", cudnn, "archives", list, "check", FALSE);
}

static void fixture_teardown(Fixture *fx, gconstpointer data)
{
  (void)data;
  cup_test_remove_tree(fx->dir);
  g_free(fx->dir), g_free(fx->cache), g_free(fx->allowed), g_free(fx->root), g_free(fx->work);
  json_decref(fx->request);
}

/* ---- running the helper ---- */

typedef struct {
  int status;
  char *out, *err;
  json_t *last; /* the last stdout line, parsed (NULL when it is not JSON) */
  guint lines;
} HelperRun;

static void helper_run_clear(HelperRun *r)
{
  g_free(r->out), g_free(r->err);
  json_decref(r->last);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HelperRun, helper_run_clear)

/* Runs the helper with @input on stdin and --allow-root, --work-dir (and @more, may be NULL). */
static HelperRun run_helper(const Fixture *fx, const char *input, const char *more)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_new(
      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
          G_SUBPROCESS_FLAGS_STDERR_PIPE,
      &error, CUP_TEST_HELPER, "--allow-root", fx->allowed, "--work-dir", fx->work, more, NULL);
  g_assert_no_error(error);
  HelperRun r = {0};
  g_subprocess_communicate_utf8(p, input, NULL, &r.out, &r.err, &error);
  g_assert_no_error(error);
  r.status = g_subprocess_get_exit_status(p);
  g_test_message("helper exit %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  g_auto(GStrv) lines = g_strsplit(g_strchomp(r.out), "\n", -1);
  r.lines = g_strv_length(lines);
  if (r.lines > 0)
    r.last = json_loads(lines[r.lines - 1], 0, NULL);
  return r;
}

static HelperRun run_request(const Fixture *fx, json_t *request, const char *more)
{
  g_autofree char *text = json_dumps(request, JSON_COMPACT);
  g_autofree char *line = g_strconcat(text, "\n", NULL);
  return run_helper(fx, line, more);
}

static json_t *archive_at(const Fixture *fx, gsize i)
{
  return json_array_get(json_object_get(fx->request, "archives"), i);
}

static const char *archive_path(const Fixture *fx, gsize i)
{
  return json_string_value(json_object_get(archive_at(fx, i), "path"));
}

/* The helper failed with @id and @exit, said why on one stdout and one stderr line, changed
 * nothing in the root and left nothing in its work directory. */
static void assert_refused(const Fixture *fx, const HelperRun *r, const char *id, CupErrorCode code,
                           const char *says)
{
  g_assert_cmpint(r->status, ==, cup_error_exit_code_for(code));
  g_assert_nonnull(r->last);
  g_assert_cmpstr(json_string_value(json_object_get(r->last, "event")), ==, "error");
  g_assert_cmpstr(json_string_value(json_object_get(r->last, "error")), ==, id);
  g_assert_nonnull(strstr(json_string_value(json_object_get(r->last, "message")), says));
  g_assert_cmpint(json_integer_value(json_object_get(r->last, "exit_code")), ==, r->status);
  g_assert_nonnull(strstr(r->err, says));
  /* One line: its only line break ends it. */
  g_assert_nonnull(strchr(r->err, '\n'));
  g_assert_cmpuint((gsize)(strchr(r->err, '\n') - r->err) + 1, ==, strlen(r->err));
  g_assert_false(g_file_test(fx->root, G_FILE_TEST_EXISTS));
  g_autoptr(GDir) work = g_dir_open(fx->work, 0, NULL);
  g_assert_true(work == NULL || g_dir_read_name(work) == NULL);
}

/* ---- the tests ---- */

static void test_install(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_auto(HelperRun) r = run_request(fx, fx->request, NULL);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_nonnull(r.last);
  g_assert_cmpstr(json_string_value(json_object_get(r.last, "event")), ==, "done");
  json_t *result = json_object_get(r.last, "result");
  g_assert_nonnull(result);
  g_assert_nonnull(strstr(r.out, "\"event\":\"progress\""));
  g_assert_cmpuint(r.lines, >, 1);
  const char *files[] = {"include/cuda_runtime.h", "include/cudnn.h", "bin/nvcc"};
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *path = g_build_filename(fx->root, files[i], NULL);
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
  }
  /* The copies are gone; the user's cache is as it was. */
  g_autoptr(GDir) work = g_dir_open(fx->work, 0, NULL);
  g_assert_nonnull(work);
  g_assert_null(g_dir_read_name(work));
  g_assert_true(g_file_test(archive_path(fx, 0), G_FILE_TEST_IS_REGULAR));
}

static void test_tampered(Fixture *fx, gconstpointer data)
{
  (void)data;
  /* The last archive (cuDNN) loses a byte after it was verified: the first two are fine, and
   * still nothing is installed. */
  const char *path = archive_path(fx, 2);
  g_autofree char *bytes = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &bytes, &len, NULL));
  bytes[len / 2] ^= 0x01;
  g_assert_true(g_file_set_contents(path, bytes, (gssize)len, NULL));
  g_auto(HelperRun) r = run_request(fx, fx->request, NULL);
  assert_refused(fx, &r, "integrity", CUP_ERROR_INTEGRITY, "sha256 mismatch for cudnn");
}

static void test_outside_cache(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *elsewhere = g_build_filename(fx->dir, "elsewhere", NULL);
  g_assert_cmpint(g_mkdir(elsewhere, 0755), ==, 0);
  g_autofree char *moved = g_build_filename(elsewhere, "cudnn.tar.xz", NULL);
  g_assert_cmpint(g_rename(archive_path(fx, 2), moved), ==, 0);
  /* Named as it is, and through the cache with "..": both are outside. */
  g_autofree char *dotdot = g_build_filename(fx->cache, "..", "elsewhere", "cudnn.tar.xz", NULL);
  const char *paths[] = {moved, dotdot};
  for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
    json_object_set_new(archive_at(fx, 2), "path", json_string(paths[i]));
    g_auto(HelperRun) r = run_request(fx, fx->request, NULL);
    assert_refused(fx, &r, "usage", CUP_ERROR_USAGE, "refused");
  }
}

static void test_symlinked_archive(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *link = g_build_filename(fx->cache, "archives", "link", NULL);
  g_assert_cmpint(symlink(archive_path(fx, 2), link), ==, 0);
  json_object_set_new(archive_at(fx, 2), "path", json_string(link));
  g_auto(HelperRun) r = run_request(fx, fx->request, NULL);
  assert_refused(fx, &r, "usage", CUP_ERROR_USAGE, "is a symlink");
}

static void test_root_not_allowed(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *root = g_build_filename(fx->dir, "cuda-13.0", NULL);
  json_object_set_new(fx->request, "root", json_string(root));
  g_auto(HelperRun) r = run_request(fx, fx->request, NULL);
  assert_refused(fx, &r, "usage", CUP_ERROR_USAGE, "is not under /usr/local or /opt");
  g_assert_false(g_file_test(root, G_FILE_TEST_EXISTS));
}

static void test_malformed(Fixture *fx, gconstpointer data)
{
  (void)data;
  const char *inputs[] = {"{\"format\": 1, \"root\": \n", "", "[1, 2]\n",
                          "{\"format\":1,\"cache_dir\":\"/c\",\"root\":\"/r\",\"archives\":[],"
                          "\"colour\":\"blue\"}\n"};
  for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
    g_auto(HelperRun) r = run_helper(fx, inputs[i], NULL);
    g_assert_cmpuint(r.lines, ==, 1);
    assert_refused(fx, &r, "parse", CUP_ERROR_PARSE, "malformed request on stdin");
  }
  g_assert_cmpint(cup_error_exit_code_for(CUP_ERROR_PARSE), !=, 0);
  g_assert_cmpint(cup_error_exit_code_for(CUP_ERROR_PARSE), !=,
                  cup_error_exit_code_for(CUP_ERROR_USAGE));
}

static void test_system_environment(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *sys = g_build_filename(fx->dir, "sys", NULL);
  g_autofree char *option = g_strconcat("--system-root=", sys, NULL);
  json_object_set_new(fx->request, "environment", json_string("system"));
  g_auto(HelperRun) r = run_request(fx, fx->request, option);
  g_assert_cmpint(r.status, ==, 0);
  g_autofree char *script = g_build_filename(sys, "etc", "profile.d", "cudaup.sh", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(script, &text, NULL, NULL));
  g_autofree char *bin = g_build_filename(fx->root, "bin", NULL);
  g_assert_nonnull(strstr(text, bin));
  g_autofree char *ldconf =
      g_build_filename(sys, "etc", "ld.so.conf.d", "cudaup-cuda-13.0.conf", NULL);
  g_assert_true(g_file_test(ldconf, G_FILE_TEST_IS_REGULAR));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/helper/install", Fixture, NULL, fixture_setup, test_install, fixture_teardown);
  g_test_add("/helper/tampered-archive", Fixture, NULL, fixture_setup, test_tampered,
             fixture_teardown);
  g_test_add("/helper/outside-cache", Fixture, NULL, fixture_setup, test_outside_cache,
             fixture_teardown);
  g_test_add("/helper/symlinked-archive", Fixture, NULL, fixture_setup, test_symlinked_archive,
             fixture_teardown);
  g_test_add("/helper/root-not-allowed", Fixture, NULL, fixture_setup, test_root_not_allowed,
             fixture_teardown);
  g_test_add("/helper/malformed-json", Fixture, NULL, fixture_setup, test_malformed,
             fixture_teardown);
  g_test_add("/helper/system-environment", Fixture, NULL, fixture_setup, test_system_environment,
             fixture_teardown);
  return g_test_run();
}
