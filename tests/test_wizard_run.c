/* test_wizard_run.c - the wizard's install without widgets (wizard/wzrun.h): a real install of
 * the real-content mirror (tests/support/installmirror.h, read as file://) into a temp prefix
 * with HOME in a temp dir, its events throttled and every stage's final one delivered, the log,
 * the environment and the proof; Cancel during a slow download (the fault server trickles)
 * rolls back; the privileged path's request and the helper's JSON lines, and one install
 * through the real cudaup-helper (run directly, as root, instead of pkexec). No display. */
#include "wizard/wzmodel.h"
#include "wizard/wzrun.h"

#include "core/detect.h"
#include "core/error.h"
#include "tests/support/faultserver.h"
#include "tests/support/installmirror.h"
#include "tests/testutil.h"
#include "tests/wizard_fixtures.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  char *dir, *home, *fixture, *prefix, *cache, *log;
  CupTestInstallMirror *mirror;
  CupCatalog *catalog;
  CupSystem *system;
  CupPlan *plan;
} Scene;

static void scene_free(Scene *s)
{
  cup_test_remove_tree(s->dir);
  cup_test_remove_tree(s->fixture);
  g_free(s->dir), g_free(s->home), g_free(s->fixture), g_free(s->prefix), g_free(s->cache);
  g_free(s->log);
  cup_test_install_mirror_free(s->mirror);
  g_clear_pointer(&s->catalog, cup_catalog_free);
  g_clear_pointer(&s->system, cup_system_free);
  g_clear_pointer(&s->plan, cup_plan_free);
  g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Scene, scene_free)

/* The wizard's choices for CUDA development 13.0 with cuDNN 9.19 into the scene's prefix (into
 * @c, cleared by the caller), planned for the laptop over @cat. */
static CupPlan *plan_with(const Scene *s, const CupCatalog *cat, WzChoices *c)
{
  *c = (WzChoices){.framework = CUP_FRAMEWORK_NONE,
                   .version = g_strdup("13.0"),
                   .cudnn_pin = g_strdup("9.19"),
                   .prefix = g_strdup(s->prefix),
                   .user = TRUE};
  CupRequest r = {0};
  wz_choices_to_request(c, FALSE, g_get_user_data_dir(), &r);
  g_autoptr(GError) error = NULL;
  CupPlan *plan = cup_plan_make(s->system, cat, &r, &error);
  g_assert_no_error(error);
  cup_request_clear(&r);
  return plan;
}

/* The laptop (no driver) planning CUDA development 13.0 with cuDNN 9.19 from the mirror's
 * catalog into DIR/T, as the wizard's choices say it. NULL (skipped) without the mirror. */
static Scene *scene_new(void)
{
  g_autoptr(GError) error = NULL;
  CupTestInstallMirror *m = cup_test_install_mirror_get(CUP_TEST_MANIFESTS, &error);
  if (m == NULL) {
    g_test_skip_printf("no real-content mirror: %s", error->message);
    return NULL;
  }
  Scene *s = g_new0(Scene, 1);
  s->mirror = m;
  s->dir = cup_test_make_root();
  s->home = g_build_filename(s->dir, "home", NULL);
  g_mkdir_with_parents(s->home, 0700);
  wz_fixture_environment(s->home);
  s->fixture = wz_fixture_root(TRUE);
  s->prefix = g_build_filename(s->dir, "T", NULL);
  s->cache = g_build_filename(s->dir, "cache", NULL);
  s->log = g_build_filename(s->dir, "state", "wizard.log", NULL);
  s->catalog = cup_catalog_load(m->catalog, NULL, &error);
  g_assert_no_error(error);
  CupDetectOptions o = {.root = s->fixture, .gpu_table = s->catalog->gpus};
  s->system = cup_detect(&o, &error);
  g_assert_no_error(error);
  WzChoices c = {0};
  s->plan = plan_with(s, s->catalog, &c);
  wz_choices_clear(&c);
  return s;
}

typedef struct {
  GPtrArray *events[WZ_N_STAGES]; /* WzRunEvent copies (engine_stage dropped) */
  guint finals[WZ_N_STAGES];
  GPtrArray *lines;
  GCancellable *cancel_on_bytes; /* cancelled at the first download event with bytes */
  GAsyncResult *result;
  GMainContext *thread_context; /* where events must arrive */
  gboolean wrong_thread;
} Watch;

static void watch_init(Watch *w)
{
  memset(w, 0, sizeof *w);
  for (int i = 0; i < WZ_N_STAGES; i++)
    w->events[i] = g_ptr_array_new_with_free_func(g_free);
  w->lines = g_ptr_array_new_with_free_func(g_free);
  w->thread_context = g_main_context_default();
}

static void watch_clear(Watch *w)
{
  for (int i = 0; i < WZ_N_STAGES; i++)
    g_ptr_array_unref(w->events[i]);
  g_ptr_array_unref(w->lines);
  g_clear_object(&w->result);
}

static void on_event(const WzRunEvent *e, gpointer data)
{
  Watch *w = data;
  if (!g_main_context_is_owner(w->thread_context))
    w->wrong_thread = TRUE;
  WzRunEvent *copy = g_memdup2(e, sizeof *e);
  copy->engine_stage = NULL;
  g_ptr_array_add(w->events[e->stage], copy);
  if (e->final)
    w->finals[e->stage]++;
  if (w->cancel_on_bytes && e->stage == WZ_STAGE_DOWNLOAD && e->done > 0)
    g_cancellable_cancel(w->cancel_on_bytes);
}

static void on_line(const char *line, gpointer data)
{
  g_ptr_array_add(((Watch *)data)->lines, g_strdup(line));
}

static void on_done(GObject *source, GAsyncResult *result, gpointer data)
{
  (void)source;
  ((Watch *)data)->result = g_object_ref(result);
}

static WzRunOutcome *run_to_end(WzRunOptions *o, Watch *w, GCancellable *cancellable,
                                GError **error)
{
  o->progress = on_event, o->log = on_line, o->data = w;
  wz_run_async(o, cancellable, on_done, w);
  while (w->result == NULL)
    g_main_context_iteration(NULL, TRUE);
  return wz_run_finish(w->result, error);
}

static const CupVerifyCheck *find_check(const CupVerifyResult *v, const char *id)
{
  for (guint i = 0; i < v->checks->len; i++) {
    const CupVerifyCheck *c = g_ptr_array_index(v->checks, i);
    if (strcmp(c->id, id) == 0)
      return c;
  }
  g_error("verify has no check %s", id);
}

static void test_install(void)
{
  g_autoptr(Scene) s = scene_new();
  if (s == NULL)
    return;
  g_autofree char *url = g_strconcat("file://", s->mirror->root, NULL);
  Watch w;
  watch_init(&w);
  WzRunOptions o = {.plan = s->plan,
                    .system = s->system,
                    .catalog = s->catalog,
                    .mirror = url,
                    .cache_dir = s->cache,
                    .log_path = s->log,
                    .user_scope = TRUE,
                    .throttle_ms = 1000};
  gint64 start = g_get_monotonic_time();
  g_autoptr(GError) error = NULL;
  g_autoptr(WzRunOutcome) out = run_to_end(&o, &w, NULL, &error);
  g_assert_no_error(error);
  double seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
  g_assert_false(w.wrong_thread);
  /* at most one event a second per stage, besides the first and the final one */
  for (int i = 0; i < WZ_N_STAGES; i++) {
    g_assert_cmpuint(w.finals[i], ==, 1);
    guint others = w.events[i]->len - w.finals[i];
    g_test_message("stage %d: %u events in %.1f s", i, w.events[i]->len, seconds);
    g_assert_cmpuint(others, <=, 2 + (guint)seconds);
  }
  const WzRunEvent *last =
      g_ptr_array_index(w.events[WZ_STAGE_DOWNLOAD], w.events[WZ_STAGE_DOWNLOAD]->len - 1);
  g_assert_cmpuint(last->done, ==, last->total);
  g_assert_cmpuint(last->n_verified, ==, s->plan->archives->len);
  /* the tree, the environment in the temp HOME, the log */
  g_assert_nonnull(out->engine);
  g_autofree char *nvcc = g_build_filename(s->prefix, "bin", "nvcc", NULL);
  g_assert_true(g_file_test(nvcc, G_FILE_TEST_IS_EXECUTABLE));
  guint env_files = 0;
  for (guint i = 0; i < w.lines->len; i++) {
    const char *line = g_ptr_array_index(w.lines, i);
    if (!g_str_has_prefix(line, "Environment: wrote "))
      continue;
    g_autofree char *text = NULL;
    const char *file = line + strlen("Environment: wrote ");
    g_assert_true(g_str_has_prefix(file, s->home));
    g_assert_true(g_file_get_contents(file, &text, NULL, NULL));
    if (strstr(text, s->prefix))
      env_files++; /* the file that names the toolkit; the others source it */
  }
  g_assert_cmpuint(env_files, >, 0);
  g_assert_cmpuint(w.lines->len, >, 3);
  g_autofree char *log = NULL;
  g_assert_true(g_file_get_contents(s->log, &log, NULL, NULL));
  g_assert_nonnull(strstr(log, "Installed into"));
  /* the proof: the libraries load from the tree; without a driver the device check fails */
  g_assert_nonnull(out->verify);
  g_assert_cmpint(find_check(out->verify, CUP_VERIFY_CUDART)->status, ==, CUP_VERIFY_PASS);
  g_assert_cmpint(find_check(out->verify, CUP_VERIFY_CUDNN)->status, ==, CUP_VERIFY_PASS);
  const CupVerifyCheck *devices = find_check(out->verify, CUP_VERIFY_DEVICES);
  g_assert_cmpint(devices->status, ==, CUP_VERIFY_FAIL);
  g_assert_nonnull(strstr(devices->evidence, "insufficient"));
  watch_clear(&w);
}

static void plan_archive_free(CupPlanArchive *a)
{
  g_free(a->component), g_free(a->version), g_free(a->url), g_free(a->path), g_free(a->sha256);
  g_free(a->destination);
  g_free(a);
}

/* A plan of one archive of @size bytes at PATH, trickled by a fault server. */
static CupPlan *slow_plan(const char *root, const char *path, const char *sha256, guint64 size)
{
  CupPlan *p = g_new0(CupPlan, 1);
  p->os = g_strdup("linux"), p->platform = g_strdup("linux-x86_64");
  p->cuda_version = g_strdup("13.0.2"), p->cuda_required = TRUE;
  p->toolkit_root = g_strdup(root);
  p->components = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(p->components, g_strdup("cuda_big"));
  p->archives = g_ptr_array_new_with_free_func((GDestroyNotify)plan_archive_free);
  p->environment = g_ptr_array_new_with_free_func(g_free);
  p->reasons = g_ptr_array_new_with_free_func(g_free);
  p->warnings = g_ptr_array_new_with_free_func(g_free);
  CupPlanArchive *a = g_new0(CupPlanArchive, 1);
  a->component = g_strdup("cuda_big"), a->version = g_strdup("13.0.1");
  a->path = g_strdup(path), a->url = g_strdup(path), a->sha256 = g_strdup(sha256);
  a->size = size, a->destination = g_strdup(root);
  g_ptr_array_add(p->archives, a);
  return p;
}

static void test_cancel(void)
{
  g_autofree char *dir = cup_test_make_root();
  g_autofree char *root = g_build_filename(dir, "T", NULL);
  g_autofree char *cache = g_build_filename(dir, "cache", NULL);
  g_autofree char *log = g_build_filename(dir, "wizard.log", NULL);
  gsize size = 4 << 20;
  g_autofree guint8 *body = g_malloc(size);
  for (gsize i = 0; i < size; i++)
    body[i] = (guint8)(i * 7 + (i >> 9));
  g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, body, size);
  const char *path = "cuda/redist/cuda_big/linux-x86_64/cuda_big-13.0.1-archive.tar.xz";
  g_autoptr(CupFaultServer) server = cup_fault_server_start(NULL);
  CupFault trickle = {.kind = CUP_FAULT_TRICKLE, .bytes = 64 * 1024};
  g_autofree char *served = g_strconcat("/", path, NULL);
  cup_fault_server_add(server, served, body, size, &trickle);
  g_autoptr(CupPlan) plan = slow_plan(root, path, sha, size);
  Watch w;
  watch_init(&w);
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  w.cancel_on_bytes = cancellable;
  WzRunOptions o = {.plan = plan,
                    .mirror = cup_fault_server_url(server),
                    .cache_dir = cache,
                    .log_path = log,
                    .user_scope = TRUE,
                    .skip_verify = TRUE};
  gint64 start = g_get_monotonic_time();
  g_autoptr(GError) error = NULL;
  g_autoptr(WzRunOutcome) out = run_to_end(&o, &w, cancellable, &error);
  g_assert_null(out);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CANCELLED);
  g_assert_cmpint(g_get_monotonic_time() - start, <, 30 * G_USEC_PER_SEC); /* not downloaded */
  g_assert_false(g_file_test(root, G_FILE_TEST_EXISTS));
  g_autofree char *fix = wz_run_fix(error);
  g_assert_nonnull(strstr(fix, "Nothing was changed"));
  g_autofree char *details = wz_run_details(error, plan, log);
  g_assert_nonnull(strstr(details, "cancelled (exit code 7)"));
  g_assert_nonnull(strstr(details, log));
  watch_clear(&w);
  cup_test_remove_tree(dir);
}

static void test_helper_protocol(void)
{
  g_autoptr(CupPlan) plan =
      slow_plan("/usr/local/cuda-13.0", "cuda/x.tar.xz",
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 10);
  const char *paths[] = {"/home/u/.cache/cudaup/archives/0123", NULL};
  g_autofree char *text = wz_helper_request(plan, "/home/u/.cache/cudaup", paths, TRUE);
  json_t *j = json_loads(text, 0, NULL);
  g_assert_nonnull(j);
  g_assert_cmpint(json_integer_value(json_object_get(j, "format")), ==, 1);
  g_assert_cmpstr(json_string_value(json_object_get(j, "root")), ==, "/usr/local/cuda-13.0");
  g_assert_cmpstr(json_string_value(json_object_get(j, "cuda")), ==, "13.0.2");
  g_assert_cmpstr(json_string_value(json_object_get(j, "environment")), ==, "system");
  json_t *a = json_array_get(json_object_get(j, "archives"), 0);
  g_assert_cmpstr(json_string_value(json_object_get(a, "path")), ==, paths[0]);
  g_assert_cmpstr(json_string_value(json_object_get(a, "component")), ==, "cuda_big");
  json_decref(j);

  WzHelperLine l;
  wz_helper_parse_line("{\"event\":\"progress\",\"stage\":\"extract\",\"done\":5,\"total\":9,"
                       "\"speed\":2.5,\"eta_ms\":100,\"final\":true}",
                       &l);
  g_assert_cmpint(l.kind, ==, WZ_HELPER_PROGRESS);
  g_assert_cmpstr(l.stage, ==, "extract");
  g_assert_cmpuint(l.done, ==, 5);
  g_assert_cmpuint(l.total, ==, 9);
  g_assert_true(l.final);
  wz_helper_line_clear(&l);
  wz_helper_parse_line("{\"event\":\"error\",\"error\":\"integrity\",\"exit_code\":5,"
                       "\"message\":\"sha256 mismatch for cudnn\"}",
                       &l);
  g_assert_error(l.error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_cmpstr(l.error->message, ==, "sha256 mismatch for cudnn");
  wz_helper_line_clear(&l);
  wz_helper_parse_line("{\"event\":\"done\",\"result\":{\"root\":\"/x\"}}", &l);
  g_assert_cmpint(l.kind, ==, WZ_HELPER_DONE);
  g_assert_cmpstr(json_string_value(json_object_get(l.result, "root")), ==, "/x");
  wz_helper_line_clear(&l);
  wz_helper_parse_line("pkexec: not authorized", &l);
  g_assert_cmpint(l.kind, ==, WZ_HELPER_OTHER);
  wz_helper_line_clear(&l);
  g_assert_cmpint(wz_stage_of("commit"), ==, WZ_STAGE_EXTRACT);
  g_assert_cmpint(wz_stage_of("check"), ==, WZ_STAGE_CHECKS);
}

/* The privileged path end to end with the real helper (root runs it without pkexec). */
static void test_helper_install(void)
{
  if (geteuid() != 0) {
    g_test_skip("the helper installs as root: run as root");
    return;
  }
  g_autoptr(Scene) s = scene_new();
  if (s == NULL)
    return;
  g_autofree char *url = g_strconcat("file://", s->mirror->root, NULL);
  g_autofree char *work = g_build_filename(s->dir, "work", NULL);
  const char *argv[] = {CUP_TEST_HELPER, "--allow-root", s->dir, "--work-dir", work, NULL};
  Watch w;
  watch_init(&w);
  WzRunOptions o = {.plan = s->plan,
                    .mirror = url,
                    .cache_dir = s->cache,
                    .log_path = s->log,
                    .user_scope = TRUE,
                    .no_environment = TRUE,
                    .skip_verify = TRUE,
                    .force_helper = TRUE,
                    .helper_argv = argv};
  g_autoptr(GError) error = NULL;
  g_autoptr(WzRunOutcome) out = run_to_end(&o, &w, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(out->helper);
  g_assert_cmpstr(json_string_value(json_object_get(out->helper, "root")), ==, s->prefix);
  g_autofree char *nvcc = g_build_filename(s->prefix, "bin", "nvcc", NULL);
  g_assert_true(g_file_test(nvcc, G_FILE_TEST_IS_EXECUTABLE));
  g_assert_cmpuint(w.finals[WZ_STAGE_DOWNLOAD], ==, 1);
  g_assert_cmpuint(w.finals[WZ_STAGE_EXTRACT], ==, 1);
  watch_clear(&w);
}

/* A catalog without the redistrib manifest of CUDA 13.0.2 (but with its pin) plans no CUDA
 * archives; the run downloads the manifest from the mirror into the cache, plans the same
 * choices again and installs, as `cudaup install` does. */
static void test_manifest_first(void)
{
  g_autoptr(Scene) s = scene_new();
  if (s == NULL)
    return;
  g_autofree char *catalog = g_build_filename(s->dir, "catalog", NULL);
  const char *cp[] = {"/bin/cp", "-r", s->mirror->catalog, catalog, NULL};
  g_auto(CupTestRun) copied = cup_test_run(cp, NULL);
  g_assert_cmpint(copied.status, ==, 0);
  g_autofree char *manifest =
      g_build_filename(catalog, "redist", "cuda", "redistrib_13.0.2.json", NULL);
  g_assert_cmpint(g_remove(manifest), ==, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupCatalog) cat = cup_catalog_load(catalog, NULL, &error);
  g_assert_no_error(error);
  WzChoices c = {0};
  g_autoptr(CupPlan) plan = plan_with(s, cat, &c);
  g_assert_cmpuint(plan->archives->len, <, s->plan->archives->len);

  g_autofree char *url = g_strconcat("file://", s->mirror->root, NULL);
  Watch w;
  watch_init(&w);
  WzRunOptions o = {.plan = plan,
                    .system = s->system,
                    .catalog = cat,
                    .mirror = url,
                    .cache_dir = s->cache,
                    .log_path = s->log,
                    .user_scope = TRUE,
                    .no_environment = TRUE,
                    .skip_verify = TRUE,
                    .choices = &c,
                    .catalog_dir = catalog};
  g_autoptr(WzRunOutcome) out = run_to_end(&o, &w, NULL, &error);
  wz_choices_clear(&c);
  g_assert_no_error(error);
  g_autofree char *nvcc = g_build_filename(s->prefix, "bin", "nvcc", NULL);
  g_assert_true(g_file_test(nvcc, G_FILE_TEST_IS_EXECUTABLE));
  g_autofree char *fetched =
      g_build_filename(s->cache, "manifests", "cuda", "redistrib_13.0.2.json", NULL);
  g_assert_true(g_file_test(fetched, G_FILE_TEST_IS_REGULAR));
  gboolean said = FALSE;
  for (guint i = 0; i < w.lines->len; i++)
    said = said || strstr(g_ptr_array_index(w.lines, i), "Downloaded 1 redistrib manifest");
  g_assert_true(said);
  watch_clear(&w);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/wizard-run/install", test_install);
  g_test_add_func("/wizard-run/cancel", test_cancel);
  g_test_add_func("/wizard-run/manifest-first", test_manifest_first);
  g_test_add_func("/wizard-run/helper-protocol", test_helper_protocol);
  g_test_add_func("/wizard-run/helper-install", test_helper_install);
  return g_test_run();
}
