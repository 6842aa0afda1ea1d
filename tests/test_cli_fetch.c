/* test_cli_fetch.c - `cudaup fetch` and `cudaup install --download-only` as a user runs them,
 * against a real nginx on 127.0.0.1 (throwaway CA) serving a mirror in NVIDIA's layout built
 * from real files; and the progress view's formatting. */
#include "tests/support/faultserver.h"
#include "tests/support/mirror.h"
#include "tests/support/nginx.h"
#include "tests/support/tlsca.h"
#include "tests/testutil.h"

/* The formatting helpers are private to the program; test them from their source. */
#include "cli/progress_view.c"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>

/* ---- the progress view ------------------------------------------------------------------ */

static void test_bar(void)
{
  const struct {
    guint64 done, total;
    guint width;
    const char *want;
  } cases[] = {
      {0, 100, 10, "[----------]"},  {50, 100, 10, "[#####-----]"}, {100, 100, 4, "[####]"},
      {99, 100, 10, "[#########-]"}, {7, 0, 5, "[-----]"},          {200, 100, 3, "[###]"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *bar = cli_progress_bar(cases[i].done, cases[i].total, cases[i].width);
    g_assert_cmpstr(bar, ==, cases[i].want);
  }
}

static void test_eta(void)
{
  const struct {
    gint64 ms;
    const char *want;
  } cases[] = {
      {-1, "-:--"},    {0, "0:00"},     {1, "0:01"},
      {59999, "1:00"}, {65000, "1:05"}, {3723000, "1:02:03"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *eta = cli_progress_eta_text(cases[i].ms);
    g_assert_cmpstr(eta, ==, cases[i].want);
  }
}

/* Two archives; the first running at 1 MB/s, the second queued. */
static CupProgress two_items(CupProgressItem items[2])
{
  items[0] = (CupProgressItem){.name = "cuda_nvcc",
                               .state = CUP_PROGRESS_RUNNING,
                               .done = 250000,
                               .total = 1000000,
                               .speed = 1000000,
                               .eta_ms = 750,
                               .attempt = 1,
                               .source = "https://mirror/cuda"};
  items[1] = (CupProgressItem){
      .name = "cudnn", .state = CUP_PROGRESS_QUEUED, .total = 3000000, .eta_ms = -1, .attempt = 0};
  return (CupProgress){.stage = "download",
                       .done = 250000,
                       .total = 4000000,
                       .speed = 1000000,
                       .eta_ms = 3750,
                       .n_items = 2,
                       .items = items};
}

static void test_overall_text(void)
{
  CupProgressItem items[2];
  CupProgress p = two_items(items);
  g_autofree char *text = cli_progress_overall_text(&p);
  g_assert_cmpstr(text, ==, "250.0 kB of 4.0 MB (6%), 1.0 MB/s, ETA 0:04, 1 active");
}

static char *render(CliProgressView *v, const CupProgress *p, gint64 now_us, guint width)
{
  GString *out = g_string_new(NULL);
  cli_progress_view_render(v, p, now_us, width, out);
  return g_string_free(out, FALSE);
}

/* Plain lines: one per change of an archive, the overall line at most every 5 s. */
static void test_plain_lines(void)
{
  g_autoptr(CliProgressView) v = cli_progress_view_new(stderr, FALSE, TRUE);
  CupProgressItem items[2];
  CupProgress p = two_items(items);
  gint64 t = 1000 * G_USEC_PER_SEC;
  g_autofree char *first = render(v, &p, t, 0);
  g_assert_cmpstr(first, ==, "download: cuda_nvcc: starting, 1.0 MB from https://mirror/cuda\n");
  g_autofree char *quiet = render(v, &p, t + 2 * G_USEC_PER_SEC, 0);
  g_assert_cmpstr(quiet, ==, "");
  g_autofree char *overall = render(v, &p, t + 5 * G_USEC_PER_SEC, 0);
  g_assert_cmpstr(overall, ==, "download: 250.0 kB of 4.0 MB (6%), 1.0 MB/s, ETA 0:04, 1 active\n");
  items[0].state = CUP_PROGRESS_RETRYING;
  g_autofree char *retry = render(v, &p, t + 6 * G_USEC_PER_SEC, 0);
  g_assert_cmpstr(retry, ==, "download: cuda_nvcc: retrying (attempt 1 failed)\n");
  items[0].state = CUP_PROGRESS_RUNNING, items[0].attempt = 2;
  items[0].source = "https://second/cuda";
  g_autofree char *next = render(v, &p, t + 7 * G_USEC_PER_SEC, 0);
  g_assert_cmpstr(next, ==, "download: cuda_nvcc: trying, 1.0 MB from https://second/cuda\n");
  items[0].state = CUP_PROGRESS_DONE, items[1].state = CUP_PROGRESS_CACHED;
  p.done = p.total, p.final = TRUE;
  g_autofree char *last = render(v, &p, t + 8 * G_USEC_PER_SEC, 0);
  g_assert_cmpstr(last, ==,
                  "download: cuda_nvcc: done, 1.0 MB verified\n"
                  "download: cudnn: in the cache, 3.0 MB\n"
                  "download: finished, 4.0 MB of 4.0 MB (100%)\n");
}

/* A redistrib manifest has no size before it arrives: no "0 bytes" anywhere. */
static void test_plain_unknown_size(void)
{
  g_autoptr(CliProgressView) v = cli_progress_view_new(stderr, FALSE, TRUE);
  CupProgressItem item = {.name = "cuda/redist/redistrib_13.0.0.json",
                          .state = CUP_PROGRESS_CONNECTING,
                          .eta_ms = -1,
                          .attempt = 1,
                          .source = "https://m/cuda/redist/redistrib_13.0.0.json"};
  CupProgress p = {.stage = "download", .eta_ms = -1, .n_items = 1, .items = &item};
  g_autofree char *first = render(v, &p, 1, 0);
  g_assert_cmpstr(first, ==,
                  "download: cuda/redist/redistrib_13.0.0.json: starting from "
                  "https://m/cuda/redist/redistrib_13.0.0.json\n");
  item.state = CUP_PROGRESS_DONE, p.final = TRUE;
  g_autofree char *last = render(v, &p, 2, 0);
  g_assert_cmpstr(last, ==, "download: cuda/redist/redistrib_13.0.0.json: done\n");
  /* The next run (the next manifest) starts afresh. */
  item.state = CUP_PROGRESS_CONNECTING, p.final = FALSE;
  g_autofree char *again = render(v, &p, 3, 0);
  g_assert_true(g_str_has_prefix(again, "download: cuda/redist/redistrib_13.0.0.json: starting"));
}

/* A terminal gets one line redrawn in place, never wider than the terminal. */
static void test_terminal_line(void)
{
  g_autoptr(CliProgressView) v = cli_progress_view_new(stderr, TRUE, FALSE);
  CupProgressItem items[2];
  CupProgress p = two_items(items);
  g_autofree char *first = render(v, &p, 1, 120);
  g_assert_true(g_str_has_prefix(first, "download: cuda_nvcc: starting"));
  g_assert_nonnull(strstr(first, "\n\r[#-----------------------]  250.0 kB of 4.0 MB (6%)"));
  g_assert_true(g_str_has_suffix(first, "1 active\033[K"));
  g_autofree char *narrower = render(v, &p, 2, 70);
  g_assert_true(g_str_has_prefix(narrower, "\r[------------]  250.0 kB"));
  g_assert_cmpuint(strlen(narrower), ==, strlen("\r") + 69 + strlen("\033[K"));
  g_autofree char *redraw = render(v, &p, 2, 40);
  g_assert_cmpint(redraw[0], ==, '\r');
  g_assert_null(strchr(redraw, '\n'));
  g_assert_cmpuint(strlen(redraw), ==, strlen("\r") + 39 + strlen("\033[K"));
  g_autoptr(CliProgressView) colored = cli_progress_view_new(stderr, TRUE, TRUE);
  g_autofree char *green = render(colored, &p, 1, 120);
  g_assert_nonnull(strstr(green, "\033[32m[#-----------------------]\033[0m  250.0 kB"));
  items[0].state = CUP_PROGRESS_FAILED, p.final = TRUE;
  g_autofree char *last = render(v, &p, 3, 120);
  g_assert_cmpstr(last, ==, "\r\033[Kdownload: cuda_nvcc: failed after 1 attempt\n");
}

/* ---- the program against a loopback mirror ---------------------------------------------- */

typedef struct {
  CupTestCa *ca;
  char *dir;             /* everything the tests write */
  CupTestMirror *mirror; /* CUDA 13.0.0 (cuda_cudart, cuda_nvcc) and cuDNN 9.13.0 */
  CupTestNginx *nginx;
  char *root;    /* a fixture root: Ubuntu 22.04, no GPU, no driver */
  char *catalog; /* manifests/ with the mirror's redistrib JSON, unpinned */
  char *why;     /* why the loopback tests cannot run, or NULL */
} World;

static World world;

typedef struct {
  int status;
  char *out, *err;
} Run;

static void run_free(Run *r)
{
  g_free(r->out);
  g_free(r->err);
}

static GSubprocess *spawn_cli(const GPtrArray *args, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)CUP_TEST_CLI);
  for (guint i = 0; i < args->len; i++)
    g_ptr_array_add(argv, g_ptr_array_index(args, i));
  g_ptr_array_add(argv, NULL);
  return g_subprocess_newv((const char *const *)argv->pdata,
                           G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
}

static Run finish(GSubprocess *proc)
{
  g_autoptr(GError) error = NULL;
  Run r = {0};
  g_subprocess_communicate_utf8(proc, NULL, NULL, &r.out, &r.err, &error);
  g_assert_no_error(error);
  r.status = g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc) : -1;
  g_test_message("exit %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
  return r;
}

/* Arguments of a run planning CUDA 13.0 + cuDNN 9.13.0 for an H100-class GPU (CC 9.0) with
 * driver 580.65.06 on Linux x86_64: the same plan on any machine. */
static GPtrArray *fetch_args(const char *command, const char *catalog, const char *cache)
{
  GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *log = g_build_filename(world.dir, "cudaup.log", NULL);
  const char *base[] = {"--root",    world.root, "--catalog", catalog,   "--log",
                        log,         "--cache",  cache,       "--os",    "linux",
                        "--arch",    "x86_64",   "--cc",      "9.0",     "--driver",
                        "580.65.06", "--cuda",   "13.0",      "--cudnn", "9.13.0"};
  g_ptr_array_add(args, g_strdup(command));
  for (gsize i = 0; i < G_N_ELEMENTS(base); i++)
    g_ptr_array_add(args, g_strdup(base[i]));
  return args;
}

static void add_args(GPtrArray *args, const char *const *extra)
{
  for (const char *const *e = extra; *e; e++)
    g_ptr_array_add(args, g_strdup(*e));
}

/* Run with the mirror on nginx and the test CA, plus @extra. */
static Run run_fetch(const char *command, const char *catalog, const char *cache,
                     const char *const *extra)
{
  g_autoptr(GPtrArray) args = fetch_args(command, catalog, cache);
  const char *net[] = {"--mirror", cup_test_nginx_url(world.nginx), "--cacert", world.ca->ca_cert,
                       NULL};
  add_args(args, net);
  add_args(args, extra);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = spawn_cli(args, &error);
  g_assert_no_error(error);
  return finish(proc);
}

/* The error of a failed run: the last line of stderr, after any progress lines, and one line. */
static const char *error_line(const char *err)
{
  const char *line = strstr(err, "cudaup: error: ");
  g_assert_nonnull(line);
  g_assert_true(line == err || line[-1] == '\n');
  g_assert_cmpstr(strchr(line, '\n'), ==, "\n");
  return line;
}

static gboolean skip_without_world(void)
{
  if (world.why == NULL)
    return FALSE;
  g_test_skip(world.why);
  return TRUE;
}

static char *fresh_dir(const char *name)
{
  static guint n;
  return g_strdup_printf("%s/%s-%u", world.dir, name, ++n);
}

static void copy_file(const char *from, const char *to)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(from, &text, &len, NULL));
  g_autofree char *dir = g_path_get_dirname(to);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_assert_true(g_file_set_contents(to, text, (gssize)len, NULL));
}

/* The real pins without CUDA 13.0.x and cuDNN 9.13.x (the mirror's files are not NVIDIA's),
 * plus cuda/13.0.0 = @cuda_pin when given. */
static void write_pins(const char *path, const char *cuda_pin)
{
  g_autofree char *real =
      g_build_filename(CUP_TEST_MANIFESTS, "redist", "pinned-manifest-sha256.json", NULL);
  json_error_t jerr;
  json_t *pins = json_load_file(real, 0, &jerr);
  g_assert_nonnull(pins);
  const char *drop[][2] = {{"cuda", "13.0."}, {"cudnn", "9.13."}};
  for (gsize i = 0; i < G_N_ELEMENTS(drop); i++) {
    json_t *table = json_object_get(pins, drop[i][0]);
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(table, tmp, key, value)
    {
      if (g_str_has_prefix(key, drop[i][1]))
        json_object_del(table, key);
    }
  }
  if (cuda_pin)
    json_object_set_new(json_object_get(pins, "cuda"), "13.0.0", json_string(cuda_pin));
  g_assert_cmpint(json_dump_file(pins, path, JSON_INDENT(2)), ==, 0);
  json_decref(pins);
}

/* A copy of manifests/ whose redist/ holds the mirror's redistrib JSON instead of NVIDIA's
 * (the CUDA one only when @with_cuda), pinned as write_pins says. */
static char *make_catalog(gboolean with_cuda, const char *cuda_pin)
{
  char *dir = fresh_dir("catalog");
  const char *files[] = {"cuda.json", "cudnn.json", "gpus.json", "pytorch.json", "tensorflow.json"};
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *from = g_build_filename(CUP_TEST_MANIFESTS, files[i], NULL);
    g_autofree char *to = g_build_filename(dir, files[i], NULL);
    copy_file(from, to);
  }
  g_autofree char *cudnn = g_build_filename(dir, "redist", "cudnn", "redistrib_9.13.0.json", NULL);
  copy_file(world.mirror->cudnn_manifest, cudnn);
  g_autofree char *cuda_dir = g_build_filename(dir, "redist", "cuda", NULL);
  g_assert_cmpint(g_mkdir_with_parents(cuda_dir, 0755), ==, 0);
  if (with_cuda) {
    g_autofree char *cuda = g_build_filename(cuda_dir, "redistrib_13.0.0.json", NULL);
    copy_file(world.mirror->cuda_manifest, cuda);
  }
  g_autofree char *pins = g_build_filename(dir, "redist", "pinned-manifest-sha256.json", NULL);
  write_pins(pins, cuda_pin);
  return dir;
}

static gboolean same_bytes(const char *a, const char *b)
{
  g_autofree char *ta = NULL, *tb = NULL;
  gsize la = 0, lb = 0;
  g_assert_true(g_file_get_contents(a, &ta, &la, NULL));
  g_assert_true(g_file_get_contents(b, &tb, &lb, NULL));
  return la == lb && memcmp(ta, tb, la) == 0;
}

/* The mirror's archive of that sha256, or NULL. */
static const CupTestArchive *mirror_archive(const char *sha256)
{
  for (guint i = 0; i < world.mirror->archives->len; i++) {
    const CupTestArchive *a = g_ptr_array_index(world.mirror->archives, i);
    if (g_strcmp0(a->sha256, sha256) == 0)
      return a;
  }
  return NULL;
}

/* The JSON result names the three archives of the plan, each a verified copy of the mirror's
 * file in <cache>/archives/<sha256>; returns the parsed document. */
static json_t *check_result(const char *out, const char *cache, gboolean from_cache)
{
  json_error_t jerr;
  json_t *doc = json_loads(out, 0, &jerr);
  g_assert_nonnull(doc);
  g_assert_cmpstr(json_string_value(json_object_get(doc, "cache")), ==, cache);
  json_t *archives = json_object_get(doc, "archives");
  g_assert_cmpuint(json_array_size(archives), ==, 3);
  const char *want[] = {"cuda_cudart", "cuda_nvcc", "cudnn"};
  for (gsize i = 0; i < 3; i++) {
    json_t *a = json_array_get(archives, i);
    const char *sha = json_string_value(json_object_get(a, "sha256"));
    const CupTestArchive *src = mirror_archive(sha);
    g_assert_nonnull(src);
    g_assert_cmpstr(json_string_value(json_object_get(a, "component")), ==, want[i]);
    g_assert_cmpstr(src->platform, ==, "linux-x86_64");
    g_assert_cmpint(json_integer_value(json_object_get(a, "size")), ==, (json_int_t)src->size);
    g_autofree char *path = g_build_filename(cache, "archives", sha, NULL);
    g_assert_cmpstr(json_string_value(json_object_get(a, "path")), ==, path);
    g_assert_true(same_bytes(path, src->file));
    g_assert_cmpint(json_is_true(json_object_get(a, "from_cache")), ==, from_cache);
    json_t *url = json_object_get(a, "url");
    json_int_t got = json_integer_value(json_object_get(a, "downloaded"));
    if (from_cache) {
      g_assert_true(json_is_null(url));
      g_assert_cmpint(got, ==, 0);
    } else {
      g_assert_true(g_str_has_suffix(json_string_value(url), src->path));
      g_assert_cmpint(got, ==, (json_int_t)src->size);
    }
    g_assert_cmpint(json_integer_value(json_object_get(a, "resumed_from")), ==, 0);
  }
  return doc;
}

static void test_fetch_then_cached(void)
{
  if (skip_without_world())
    return;
  g_autofree char *cache = fresh_dir("cache");
  const char *json[] = {"--json", NULL};
  Run r = run_fetch("fetch", world.catalog, cache, json);
  g_assert_cmpint(r.status, ==, 0);
  json_t *doc = check_result(r.out, cache, FALSE);
  for (guint i = 0; i < 3; i++) {
    json_t *a = json_array_get(json_object_get(doc, "archives"), i);
    g_assert_true(g_str_has_prefix(json_string_value(json_object_get(a, "url")),
                                   cup_test_nginx_url(world.nginx)));
  }
  json_decref(doc);
  /* Not a terminal: plain progress lines on stderr, stdout only the JSON. */
  g_assert_nonnull(strstr(r.err, "download: cuda_nvcc: "));
  g_assert_null(strchr(r.err, '\r'));
  run_free(&r);

  const char *text[] = {NULL};
  r = run_fetch("fetch", world.catalog, cache, text);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_null(strstr(r.out, "  downloaded "));
  g_auto(GStrv) lines = g_strsplit(r.out, "\n", -1);
  guint cached = 0;
  for (char **l = lines; *l; l++)
    cached += g_str_has_suffix(*l, "  cached");
  g_assert_cmpuint(cached, ==, 3);
  g_assert_nonnull(strstr(r.out, "all of it there already"));
  g_assert_nonnull(strstr(r.out, cache));
  run_free(&r);

  r = run_fetch("install", world.catalog, cache,
                (const char *[]){"--download-only", "--json", NULL});
  g_assert_cmpint(r.status, ==, 0);
  json_decref(check_result(r.out, cache, TRUE));
  run_free(&r);
}

static void test_text_summary(void)
{
  if (skip_without_world())
    return;
  g_autofree char *cache = fresh_dir("cache");
  const char *none[] = {"--jobs", "1", NULL};
  Run r = run_fetch("fetch", world.catalog, cache, none);
  g_assert_cmpint(r.status, ==, 0);
  g_autofree char *from = g_strdup_printf(" from %s\n", cup_test_nginx_url(world.nginx));
  g_auto(GStrv) lines = g_strsplit(r.out, "\n", -1);
  guint downloaded = 0;
  for (char **l = lines; *l; l++)
    downloaded += strstr(*l, "  downloaded ") != NULL;
  g_assert_cmpuint(downloaded, ==, 3);
  g_assert_nonnull(strstr(r.out, from));
  g_autofree char *summary = g_strdup_printf("Cache      %s: 3 archives", cache);
  g_assert_nonnull(strstr(r.out, summary));
  run_free(&r);
}

/* A redistrib manifest the catalog lacks comes from the mirror into <cache>/manifests when
 * it matches its pin, and is refused when it does not. */
static void test_manifest_from_mirror(void)
{
  if (skip_without_world())
    return;
  g_autofree char *sha = NULL;
  {
    g_autofree char *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(world.mirror->cuda_manifest, &text, &len, NULL));
    sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);
  }
  g_autofree char *catalog = make_catalog(FALSE, sha);
  g_autofree char *cache = fresh_dir("cache");
  const char *json[] = {"--json", NULL};
  Run r = run_fetch("fetch", catalog, cache, json);
  g_assert_cmpint(r.status, ==, 0);
  json_t *doc = check_result(r.out, cache, FALSE);
  g_assert_cmpint(json_integer_value(json_object_get(doc, "manifests_fetched")), ==, 1);
  json_decref(doc);
  g_autofree char *got =
      g_build_filename(cache, "manifests", "cuda", "redistrib_13.0.0.json", NULL);
  g_assert_true(same_bytes(got, world.mirror->cuda_manifest));
  run_free(&r);

  g_autofree char *pinned_wrong =
      make_catalog(FALSE, "0000000000000000000000000000000000000000000000000000000000000000");
  g_autofree char *cache2 = fresh_dir("cache");
  const char *none[] = {NULL};
  r = run_fetch("fetch", pinned_wrong, cache2, none);
  g_assert_cmpint(r.status, ==, 5);
  g_assert_nonnull(strstr(error_line(r.err), "13.0.0"));
  g_autofree char *refused =
      g_build_filename(cache2, "manifests", "cuda", "redistrib_13.0.0.json", NULL);
  g_assert_false(g_file_test(refused, G_FILE_TEST_EXISTS));
  run_free(&r);
}

/* --offline DIR takes everything from a bundle in the mirror layout; no server is asked. */
static void test_offline(void)
{
  if (skip_without_world())
    return;
  g_autofree char *cache = fresh_dir("cache");
  g_autoptr(GPtrArray) args = fetch_args("fetch", world.catalog, cache);
  const char *offline[] = {"--offline", world.mirror->root, "--json", NULL};
  add_args(args, offline);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = spawn_cli(args, &error);
  g_assert_no_error(error);
  Run r = finish(proc);
  g_assert_cmpint(r.status, ==, 0);
  json_decref(check_result(r.out, cache, FALSE));
  run_free(&r);
}

/* A bad command line: one line, the usage exit code, and no cache directory made. */
static void test_usage_errors(void)
{
  g_autofree char *missing = g_build_filename(world.dir, "no-such-ca.pem", NULL);
  const struct {
    const char *args[5];
    const char *says;
  } cases[] = {
      {{"--mirror", "ftp://127.0.0.1/nvidia", NULL}, "--mirror ftp://127.0.0.1/nvidia"},
      {{"--jobs", "0", NULL}, "--jobs 0"},
      {{"--jobs", "17", NULL}, "--jobs 17"},
      {{"--jobs", "many", NULL}, "--jobs"},
      {{"--cacert", missing, NULL}, "--cacert"},
      {{"--offline", missing, NULL}, "--offline"},
      {{"--deadline", "-1", NULL}, "--deadline -1"},
      {{"--bogus", NULL}, "--bogus"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *cache = fresh_dir("never-made");
    g_autoptr(GPtrArray) args = fetch_args(i % 2 ? "install" : "fetch", CUP_TEST_MANIFESTS, cache);
    if (i % 2)
      g_ptr_array_add(args, g_strdup("--download-only"));
    add_args(args, cases[i].args);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) proc = spawn_cli(args, &error);
    g_assert_no_error(error);
    Run r = finish(proc);
    g_assert_cmpint(r.status, ==, 2);
    g_assert_true(g_str_has_prefix(r.err, "cudaup: error: "));
    g_assert_nonnull(strstr(r.err, cases[i].says));
    g_assert_cmpstr(strchr(r.err, '\n'), ==, "\n");
    g_assert_false(g_file_test(cache, G_FILE_TEST_EXISTS));
    run_free(&r);
  }
}

/* http:// is accepted for a mirror the user names: the run gets past the checks and fails on
 * the network (nothing listens there), bounded by --deadline. */
static void test_explicit_http_mirror(void)
{
  if (skip_without_world())
    return;
  g_autofree char *cache = fresh_dir("cache");
  g_autoptr(GPtrArray) args = fetch_args("fetch", world.catalog, cache);
  const char *http[] = {"--mirror", "http://127.0.0.1:9/nvidia", "--deadline", "3", NULL};
  add_args(args, http);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = spawn_cli(args, &error);
  g_assert_no_error(error);
  Run r = finish(proc);
  g_assert_cmpint(r.status, ==, 4);
  g_assert_nonnull(strstr(error_line(r.err), "127.0.0.1:9"));
  run_free(&r);
}

static void test_wrong_ca(void)
{
  if (skip_without_world())
    return;
  g_autofree char *cache = fresh_dir("cache");
  g_autoptr(GPtrArray) args = fetch_args("fetch", world.catalog, cache);
  const char *net[] = {"--mirror", cup_test_nginx_url(world.nginx), "--cacert", world.ca->other_ca,
                       NULL};
  add_args(args, net);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = spawn_cli(args, &error);
  g_assert_no_error(error);
  Run r = finish(proc);
  g_assert_cmpint(r.status, ==, 4);
  g_assert_nonnull(strstr(error_line(r.err), "certificate"));
  run_free(&r);
}

/* `cudaup install` without --silent asks to confirm; with no terminal to answer it is a usage
 * error that makes neither a cache nor a toolkit root. */
static void test_install_needs_terminal(void)
{
  g_autofree char *cache = fresh_dir("never-made");
  g_autofree char *prefix = fresh_dir("no-prefix");
  g_autoptr(GPtrArray) args = fetch_args("install", CUP_TEST_MANIFESTS, cache);
  const char *more[] = {"--prefix", prefix, NULL};
  add_args(args, more);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = spawn_cli(args, &error);
  g_assert_no_error(error);
  Run r = finish(proc);
  g_assert_cmpint(r.status, ==, 2);
  g_assert_nonnull(strstr(r.err, "--silent"));
  g_assert_nonnull(strstr(r.err, "not a terminal"));
  g_assert_cmpstr(strchr(r.err, '\n'), ==, "\n");
  g_assert_false(g_file_test(cache, G_FILE_TEST_EXISTS));
  g_assert_false(g_file_test(prefix, G_FILE_TEST_EXISTS));
  run_free(&r);
}

/* A plan for PyTorch alone needs the driver only: nothing to download, and no network. */
static void test_nothing_to_download(void)
{
  g_autofree char *cache = fresh_dir("cache");
  g_autofree char *log = g_build_filename(world.dir, "cudaup.log", NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
  const char *argv[] = {"fetch",
                        "--root",
                        world.root,
                        "--catalog",
                        CUP_TEST_MANIFESTS,
                        "--log",
                        log,
                        "--cache",
                        cache,
                        "--os",
                        "linux",
                        "--cc",
                        "8.6",
                        "--driver",
                        "550.54.14",
                        "--framework",
                        "pytorch",
                        "--mirror",
                        "https://127.0.0.1:9/nowhere",
                        NULL};
  add_args(args, argv);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = spawn_cli(args, &error);
  g_assert_no_error(error);
  Run r = finish(proc);
  g_assert_cmpint(r.status, ==, 0);
  g_assert_true(g_str_has_prefix(r.out, "Nothing to download"));
  g_assert_cmpstr(r.err, ==, "");
  run_free(&r);
}

/* Whether @dir/archives holds a `.part` file with bytes in it. */
static gboolean has_part(const char *cache)
{
  g_autofree char *dir = g_build_filename(cache, "archives", NULL);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    if (g_str_has_suffix(name, ".part")) {
      g_autofree char *path = g_build_filename(dir, name, NULL);
      GStatBuf st;
      if (g_stat(path, &st) == 0 && st.st_size > 0)
        return TRUE;
    }
  return FALSE;
}

/* SIGINT during a slow download: exit code 7 (cancelled) and the `.part` kept for resume. */
static void test_sigint_keeps_part(void)
{
  if (skip_without_world())
    return;
  g_autoptr(CupFaultServer) server = cup_fault_server_start(world.ca);
  CupFault slow = {.kind = CUP_FAULT_TRICKLE, .bytes = 32 * 1024};
  for (guint i = 0; i < world.mirror->archives->len; i++) {
    const CupTestArchive *a = g_ptr_array_index(world.mirror->archives, i);
    g_autofree char *body = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(a->file, &body, &len, NULL));
    g_autofree char *path = g_strdup_printf("/%s", a->path);
    cup_fault_server_add(server, path, body, len, &slow);
  }
  g_autofree char *cache = fresh_dir("cache");
  g_autoptr(GPtrArray) args = fetch_args("fetch", world.catalog, cache);
  const char *net[] = {"--mirror", cup_fault_server_url(server), "--cacert", world.ca->ca_cert,
                       NULL};
  add_args(args, net);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = spawn_cli(args, &error);
  g_assert_no_error(error);
  gint64 give_up = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
  while (!has_part(cache) && g_get_monotonic_time() < give_up)
    g_usleep(50 * 1000);
  g_assert_true(has_part(cache));
  g_subprocess_send_signal(proc, SIGINT);
  gint64 sent = g_get_monotonic_time();
  Run r = finish(proc);
  g_assert_cmpint(g_get_monotonic_time() - sent, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpint(r.status, ==, 7);
  g_assert_nonnull(strstr(r.err, "cancelled"));
  g_assert_true(has_part(cache));
  run_free(&r);
}

static void world_set_up(void)
{
  world.dir = cup_test_make_root();
  world.root = g_build_filename(world.dir, "root", NULL);
  cup_test_write(world.root, "etc/os-release",
                 "ID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\n");
  if (!cup_test_nginx_available(&world.why))
    return;
  world.ca = cup_test_ca_new();
  g_autofree char *mirror = g_build_filename(world.dir, "mirror", NULL);
  world.mirror = cup_test_mirror_build(mirror, "13.0.0", "9.13.0");
  world.nginx = cup_test_nginx_start(world.mirror->root, world.ca);
  world.catalog = make_catalog(TRUE, NULL);
}

static void world_tear_down(void)
{
  g_clear_pointer(&world.nginx, cup_test_nginx_stop);
  g_clear_pointer(&world.mirror, cup_test_mirror_free);
  g_clear_pointer(&world.ca, cup_test_ca_free);
  if (world.dir)
    cup_test_remove_tree(world.dir);
  g_clear_pointer(&world.dir, g_free);
  g_clear_pointer(&world.root, g_free);
  g_clear_pointer(&world.catalog, g_free);
  g_clear_pointer(&world.why, g_free);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli-fetch/progress/bar", test_bar);
  g_test_add_func("/cli-fetch/progress/eta", test_eta);
  g_test_add_func("/cli-fetch/progress/overall", test_overall_text);
  g_test_add_func("/cli-fetch/progress/plain", test_plain_lines);
  g_test_add_func("/cli-fetch/progress/plain-unknown-size", test_plain_unknown_size);
  g_test_add_func("/cli-fetch/progress/terminal", test_terminal_line);
  g_test_add_func("/cli-fetch/fetch-then-cached", test_fetch_then_cached);
  g_test_add_func("/cli-fetch/text-summary", test_text_summary);
  g_test_add_func("/cli-fetch/manifest-from-mirror", test_manifest_from_mirror);
  g_test_add_func("/cli-fetch/offline", test_offline);
  g_test_add_func("/cli-fetch/usage-errors", test_usage_errors);
  g_test_add_func("/cli-fetch/explicit-http-mirror", test_explicit_http_mirror);
  g_test_add_func("/cli-fetch/wrong-ca", test_wrong_ca);
  g_test_add_func("/cli-fetch/install-needs-terminal", test_install_needs_terminal);
  g_test_add_func("/cli-fetch/sigint-keeps-part", test_sigint_keeps_part);
  g_test_add_func("/cli-fetch/nothing-to-download", test_nothing_to_download);
  world_set_up();
  int rc = g_test_run();
  world_tear_down();
  return rc;
}
