/* engine.c - runs a plan inside one transaction (see engine.h for the stages and why they are
 * in this order). */
#include "core/i18n.h"
#include "core/engine_private.h"

#include "core/error.h"
#include "core/extract.h"
#include "core/fetchplan.h"
#include "core/toolkit.h"
#include "core/txn.h"
#include "core/version.h"

#include <glib/gstdio.h>
#include <string.h>

/* A lower bound of how much an archive unpacks to, for the free-space check before extracting
 * (the exact size is known only after decompressing). NVIDIA's .tar.xz archives of libraries
 * unpack to 1.5x (cuDNN 9.19) to 3x (cuda_cccl headers, about 15x) their size; .zip ones to at
 * least their size. A disk that fills anyway is rolled back. */
#define UNPACK_LOWER_BOUND_TENTHS 13

guint64 cup_engine_unpack_lower_bound(const CupPlan *plan)
{
  guint64 unpack = 0;
  for (guint i = 0; i < plan->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(plan->archives, i);
    unpack += a->size / 10 * UNPACK_LOWER_BOUND_TENTHS;
  }
  return unpack;
}

gint64 cup_engine_ms_since(gint64 start_us)
{
  return (g_get_monotonic_time() - start_us) / 1000;
}

static void progress_stage(const Run *run, const char *stage, gboolean final)
{
  if (run->o->progress == NULL)
    return;
  CupProgress p = {.stage = stage, .eta_ms = -1, .final = final};
  cup_engine_progress(&p, (gpointer)run);
}

GStrv cup_engine_package_archives(const Run *run, const CupEnginePackage *pkg)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  for (guint i = 0; i < run->plan->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(run->plan->archives, i);
    for (guint k = 0; k < pkg->archives->len; k++)
      if (strcmp(a->component, g_ptr_array_index(pkg->archives, k)) == 0)
        g_strv_builder_add(b, a->sha256);
  }
  return g_strv_builder_end(b);
}

static gboolean package_installed(const Run *run, CupEnginePackage *pkg, GError **error)
{
  g_auto(GStrv) archives = cup_engine_package_archives(run, pkg);
  CupTxnPackage tp = {pkg->name, pkg->component, pkg->version, (const char *const *)archives};
  g_autoptr(GError) local = NULL;
  pkg->already = cup_txn_is_installed(run->r->root, &tp, &local);
  if (local != NULL) {
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  return TRUE;
}

/* Whether every package is installed already; each package says whether it is. */
static gboolean all_installed(const Run *run, gboolean *all, GError **error)
{
  *all = TRUE;
  for (guint i = 0; i < run->r->packages->len; i++) {
    CupEnginePackage *pkg = g_ptr_array_index(run->r->packages, i);
    if (!package_installed(run, pkg, error))
      return FALSE;
    *all = *all && pkg->already;
  }
  return TRUE;
}

gboolean cup_engine_in_cache(const Run *run, const CupPlanArchive *a)
{
  g_autofree char *path = cup_cache_archive_path(run->o->cache, a->sha256);
  GStatBuf st;
  return g_stat(path, &st) == 0 && (guint64)st.st_size == a->size;
}

/* Free space for the downloads on the cache's disk and for the unpacked files on the root's;
 * "need 2.1 GB on /usr/local, 0.8 GB free". */
static gboolean check_space(const Run *run, GError **error)
{
  guint64 download = 0;
  for (guint i = 0; i < run->plan->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(run->plan->archives, i);
    if (!cup_engine_in_cache(run, a))
      download += a->size;
  }
  return cup_txn_check_space(cup_cache_dir(run->o->cache), download, error) &&
         cup_txn_check_space(run->r->root, cup_engine_unpack_lower_bound(run->plan), error);
}

static guint lock_wait(const CupEngineOptions *o)
{
  return o->lock_wait_ms ? o->lock_wait_ms : CUP_TXN_LOCK_WAIT_MS;
}

/* The topmost directory of @root's path that does not exist yet (cup_txn_begin creates it and
 * those below it), or NULL when @root exists. */
static char *first_missing(const char *root)
{
  char *missing = NULL;
  g_autofree char *path = g_strdup(root);
  while (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
    g_free(missing);
    missing = g_strdup(path);
    char *parent = g_path_get_dirname(path);
    gboolean top = strcmp(parent, path) == 0;
    g_free(path);
    path = parent;
    if (top)
      break;
  }
  return missing;
}

static gboolean begin(Run *run, GError **error)
{
  g_autofree char *names = cup_engine_package_names(run->r);
  g_autofree char *what = g_strdup_printf("install of %s", names);
  g_autofree char *recovered = NULL;
  run->first_created = first_missing(run->r->root);
  run->txn = cup_txn_begin(run->r->root, what, lock_wait(run->o), &recovered, error);
  if (recovered != NULL && run->r->recovered == NULL)
    run->r->recovered = g_steal_pointer(&recovered);
  return run->txn != NULL;
}

/* Stage 6 of engine.h. @txn NULL: nothing was installed, nothing to journal with. */
static gboolean environment(Run *run, CupTxn *txn, GError **error)
{
  if (run->o->environment == NULL)
    return TRUE;
  progress_stage(run, "environment", FALSE);
  gboolean ok = run->o->environment(txn, run->r->root, run->o->environment_data, error);
  progress_stage(run, "environment", TRUE);
  return ok;
}

static gboolean commit(Run *run, GError **error)
{
  gint64 start = g_get_monotonic_time();
  progress_stage(run, "commit", FALSE);
  gboolean ok = cup_txn_commit(run->txn, error);
  run->committed = ok;
  progress_stage(run, "commit", TRUE);
  run->r->ms_commit = cup_engine_ms_since(start);
  return ok;
}

/* The root, then each parent begin() made for it, while they are empty. */
static void remove_made_dirs(const Run *run)
{
  g_autofree char *dir = g_strdup(run->r->root);
  while (g_rmdir(dir) == 0 && strcmp(dir, run->first_created) != 0) {
    char *parent = g_path_get_dirname(dir);
    g_free(dir);
    dir = parent;
  }
}

/* After a failure inside the transaction: roll back, and remove a root this run created (it is
 * empty again) while the lock is still held, so that a failure changes nothing on disk. A
 * process waiting for the lock sees it unlinked and takes a new one (core/filelock). */
static void abandon(Run *run)
{
  g_autoptr(GError) error = NULL;
  if (!cup_txn_rollback(run->txn, &error)) {
    g_warning("%s", error->message);
    return;
  }
  if (run->first_created == NULL)
    return;
  g_autofree char *state = g_build_filename(run->r->root, CUP_TXN_STATE_DIR, NULL);
  static const char *const empty_dirs[] = {"staging", "saved", "installs"};
  for (gsize i = 0; i < G_N_ELEMENTS(empty_dirs); i++) {
    g_autofree char *dir = g_build_filename(state, empty_dirs[i], NULL);
    g_rmdir(dir); /* only when empty: anything else stays for the next recovery */
  }
  g_autoptr(GDir) state_dir = g_dir_open(state, 0, NULL);
  const char *name;
  while (state_dir && (name = g_dir_read_name(state_dir)) != NULL)
    if (strcmp(name, "lock") != 0)
      return;
  g_autofree char *lock = g_build_filename(state, "lock", NULL);
  g_unlink(lock);
  g_rmdir(state);
  remove_made_dirs(run);
}

/* Stage 8: a link that cannot be made is a note; the install stands. */
static void set_default_link(Run *run)
{
  g_autoptr(GError) error = NULL;
  run->r->default_link = cup_toolkit_set_default(run->r->root, &error);
  if (error != NULL)
    g_ptr_array_add(run->r->notes, g_strdup_printf("%s (--set-default)", error->message));
}

static gboolean has_component(const CupPlan *plan, const char *component)
{
  return g_ptr_array_find_with_equal_func(plan->components, component, g_str_equal, NULL);
}

static gboolean prove(Run *run, GError **error)
{
  gint64 start = g_get_monotonic_time();
  const CupPlan *p = run->plan;
  gboolean cuda = p->cuda_required, nvcc = cuda && has_component(p, "cuda_nvcc");
  g_autofree char *cuda_mm = p->cuda_version ? cup_major_minor(p->cuda_version) : NULL;
  CupCheckOptions co = {.root = run->r->root,
                        .cudart = cuda && has_component(p, "cuda_cudart"),
                        .cudnn = p->cudnn_version != NULL,
                        .nvcc = nvcc,
                        .compile = nvcc,
                        .expect_cuda = cuda ? cuda_mm : NULL,
                        .expect_cudnn = p->cudnn_version};
  progress_stage(run, "check", FALSE);
  run->r->check = cup_check_toolkit(&co, error);
  progress_stage(run, "check", TRUE);
  run->r->ms_check = cup_engine_ms_since(start);
  if (run->r->check == NULL)
    return FALSE;
  if (run->r->check->ok)
    return TRUE;
  g_autofree char *summary = cup_check_summary(run->r->check);
  g_set_error(error, CUP_ERROR, CUP_ERROR_CHECK,
              _("installed into %s, but the proof failed: %s; 'cudaup uninstall' takes the install "
                "back"),
              run->r->root, summary);
  return FALSE;
}

/* The host can load what the plan installs only when they are the same OS. */
static gboolean provable(const CupPlan *plan)
{
#ifdef G_OS_WIN32
  return strcmp(plan->os, "windows") == 0;
#else
  return strcmp(plan->os, "linux") == 0;
#endif
}

/* The dry run: what would be downloaded, and the files of every archive already in the cache
 * (listed and checked like an extraction, nothing written). Nothing is recovered or locked. */
static gboolean dry_run(Run *run, GError **error)
{
  gboolean all;
  if (!all_installed(run, &all, error))
    return FALSE;
  run->r->already = all;
  for (guint i = 0; i < run->plan->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(run->plan->archives, i);
    g_autofree char *path = cup_cache_archive_path(run->o->cache, a->sha256);
    gboolean cached = cup_engine_in_cache(run, a);
    g_ptr_array_add(run->r->archives,
                    json_pack("{s:s,s:s,s:I,s:s,s:s,s:b}", "component", a->component, "sha256",
                              a->sha256, "size", (json_int_t)a->size, "url", a->url, "cache_path",
                              path, "in_cache", cached));
    if (!cached) {
      g_ptr_array_add(run->r->notes,
                      g_strdup_printf("%s is not in the cache yet: its files are listed once it "
                                      "is ('cudaup fetch' downloads it)",
                                      a->component));
      continue;
    }
    CupExtractOptions eo = {.archive = path,
                            .component = a->component,
                            .platform = run->plan->platform,
                            .list_only = TRUE,
                            .archive_size = a->size};
    g_autoptr(GPtrArray) entries =
        g_ptr_array_new_with_free_func((GDestroyNotify)cup_extract_entry_free);
    if (!cup_extract_archive(&eo, entries, run->o->cancellable, error))
      return FALSE;
    for (guint k = 0; k < entries->len; k++) {
      const CupExtractEntry *e = g_ptr_array_index(entries, k);
      cup_engine_add_file(run->r, e->path, cup_extract_type_name(e->type), e->size);
    }
  }
  return TRUE;
}

static gboolean check_plan(const CupPlan *plan, GError **error)
{
  if (plan->toolkit_root == NULL || plan->archives->len == 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("nothing to install: the plan lists no NVIDIA archive (see the warnings of "
                  "'cudaup plan'; pin --cuda or --cudnn, or add --with-toolkit)"));
    return FALSE;
  }
  return TRUE;
}

/* Stages 4 to 8 of engine.h, inside the transaction. */
static gboolean run_install(Run *run, GError **error)
{
  gboolean all;
  /* The lock first: a second installer into this root waits or gives up before it downloads
   * gigabytes, and unpacking needs the transaction's staging directory. */
  if (!check_space(run, error) || !begin(run, error))
    return FALSE;
  /* Another cudaup may have installed the same while this one waited for the lock. */
  if (!all_installed(run, &all, error))
    return FALSE;
  if (all) {
    run->r->already = TRUE;
    return TRUE;
  }
  if (!cup_engine_download_and_unpack(run, error) || !cup_engine_apply(run, error) ||
      !environment(run, run->txn, error) || !commit(run, error))
    return FALSE;
  if (run->o->set_default)
    set_default_link(run);
  if (run->o->skip_check || !provable(run->plan)) {
    g_ptr_array_add(run->r->notes,
                    g_strdup(run->o->skip_check ? "not proved, as asked (--skip-check)"
                                                : "not proved: the install is for another OS"));
    return TRUE;
  }
  return prove(run, error);
}

CupEngineResult *cup_engine_install(const CupEngineOptions *o, CupEngineResult **partial,
                                    GError **error)
{
  gint64 start = g_get_monotonic_time();
  if (partial)
    *partial = NULL;
  if (!check_plan(o->plan, error))
    return NULL;
  Run run = {
      .o = o, .plan = o->plan, .r = cup_engine_result_new(o->plan->toolkit_root), .streamed = -1};
  g_mutex_init(&run.progress_lock);
  run.r->dry_run = o->dry_run;
  cup_engine_result_add_packages(run.r, o->plan);
  gboolean all = FALSE, ok;
  if (o->dry_run)
    ok = dry_run(&run, error);
  else
    ok = cup_txn_recover(run.r->root, lock_wait(o), &run.r->recovered, error) &&
         all_installed(&run, &all, error) && (all || run_install(&run, error));
  run.r->already = run.r->already || all;
  if (ok && run.r->already && !o->dry_run)
    ok = environment(&run, NULL, error);
  if (!ok && run.txn != NULL && !run.committed)
    abandon(&run);
  g_clear_pointer(&run.txn, cup_txn_free);
  g_clear_pointer(&run.fetched, g_ptr_array_unref);
  g_clear_pointer(&run.staged, g_ptr_array_unref);
  g_mutex_clear(&run.progress_lock);
  g_free(run.first_created);
  run.r->ms_total = cup_engine_ms_since(start);
  if (ok)
    return run.r;
  if (partial)
    *partial = run.r;
  else
    cup_engine_result_free(run.r);
  return NULL;
}
