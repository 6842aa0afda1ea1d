/* test_engine.c - cup_engine_install end to end from a file:// mirror in NVIDIA's layout into a
 * toolkit root T: hostile archives (each refused naming its entry, T byte-identical, the lock
 * free, the verified archive kept in the cache), a failure into a root that did not exist, a
 * full disk before and during extraction, installing twice, the dry run, cancelling, cuDNN
 * alone into a toolkit NVIDIA's installer made and its uninstall, and the proof (core/check)
 * with the real libcudnn of /usr/local/cuda. */
#define _GNU_SOURCE
#include "core/engine.h"
#include "core/error.h"
#include "core/fetchplan.h"
#include "core/txn.h"
#include "tests/support/archspec.h"
#include "tests/support/faultserver.h"
#include "tests/support/treelist.h"
#include "tests/support/txnscene.h"
#include "tests/testutil.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>

#define MIB (1024 * 1024)
#define PLATFORM "linux-x86_64"
#define WIN_PLATFORM "windows-x86_64"
#define CUDNN_TOP "cudnn-" PLATFORM "-9.19.0.56_cuda13-archive"
#define CUDNN_WIN_TOP "cudnn-" WIN_PLATFORM "-9.19.0.56_cuda13-archive"
#define CUDART_TOP "cuda_cudart-" PLATFORM "-13.0.96-archive"
#define CUDNN_SHIM "/usr/local/cuda/lib64/libcudnn.so.9"

/* ---- fixture: a mirror, a cache and a root T ---- */

typedef struct {
  char *dir;        /* everything below; removed at teardown */
  char *mirror;     /* DIR/mirror, NVIDIA's layout */
  char *mirror_url; /* file://DIR/mirror */
  const char *mirrors[2];
  CupFetchOptions fetch;
  CupCache *cache; /* DIR/cache */
  char *root;      /* T: DIR/cuda-13.0, absent until a test makes it */
  char *mounted;   /* a tmpfs to unmount at teardown, or NULL */
} Fixture;

static void fixture_setup(Fixture *fx, gconstpointer data)
{
  (void)data;
  fx->dir = cup_test_make_root();
  fx->mirror = g_build_filename(fx->dir, "mirror", NULL);
  g_assert_cmpint(g_mkdir(fx->mirror, 0755), ==, 0);
  fx->mirror_url = g_filename_to_uri(fx->mirror, NULL, NULL);
  fx->mirrors[0] = fx->mirror_url;
  fx->fetch = (CupFetchOptions){.mirrors = fx->mirrors, .mirrors_explicit = TRUE};
  g_autofree char *cache = g_build_filename(fx->dir, "cache", NULL);
  g_autoptr(GError) error = NULL;
  fx->cache = cup_cache_open(cache, &error);
  g_assert_no_error(error);
  fx->root = g_build_filename(fx->dir, "cuda-13.0", NULL);
}

static void fixture_teardown(Fixture *fx, gconstpointer data)
{
  (void)data;
  if (fx->mounted != NULL && umount2(fx->mounted, MNT_DETACH) != 0)
    g_printerr("could not unmount %s: %s\n", fx->mounted, g_strerror(errno));
  cup_cache_free(fx->cache);
  cup_test_remove_tree(fx->dir);
  g_free(fx->dir);
  g_free(fx->mirror);
  g_free(fx->mirror_url);
  g_free(fx->root);
  g_free(fx->mounted);
}

/* ---- archives in the mirror, and a plan made from them ---- */

/* "cudnn-linux-x86_64-9.19.0.56_cuda13-archive" -> component "cudnn", version "9.19.0.56". */
static void parse_top(const char *top, const char *platform, char **component, char **version)
{
  g_autofree char *infix = g_strdup_printf("-%s-", platform);
  const char *at = strstr(top, infix);
  g_assert_nonnull(at);
  g_assert_true(g_str_has_suffix(top, "-archive"));
  *component = g_strndup(top, (gsize)(at - top));
  const char *v = at + strlen(infix);
  gsize len = strlen(v) - strlen("-archive");
  const char *variant = g_strstr_len(v, (gssize)len, "_cuda");
  *version = g_strndup(v, variant ? (gsize)(variant - v) : len);
}

/* Writes the archive of @specs (after the good entries when @with_good) at its place in the
 * mirror; returns that place below the mirror root. */
static char *put_archive(Fixture *fx, CupTestFormat format, const char *top,
                         const CupTestSpec *specs, gsize n, gboolean with_good)
{
  const char *platform = strstr(top, WIN_PLATFORM) ? WIN_PLATFORM : PLATFORM;
  g_autofree char *component = NULL, *version = NULL;
  parse_top(top, platform, &component, &version);
  const char *product = strcmp(component, "cudnn") == 0 ? "cudnn" : "cuda";
  char *path = g_strdup_printf("%s/redist/%s/%s/%s.%s", product, component, platform, top,
                               format == CUP_TEST_ZIP ? "zip" : "tar.xz");
  g_autofree char *file = g_build_filename(fx->mirror, path, NULL);
  g_autofree char *dir = g_path_get_dirname(file);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  cup_test_archive_write(file, format, top, specs, n, with_good);
  return path;
}

static void plan_archive_free(CupPlanArchive *a)
{
  g_free(a->component);
  g_free(a->version);
  g_free(a->url);
  g_free(a->path);
  g_free(a->sha256);
  g_free(a->destination);
  g_free(a);
}

static CupPlanArchive *plan_archive(const Fixture *fx, const char *path, const char *root)
{
  g_autofree char *file = g_build_filename(fx->mirror, path, NULL);
  g_autofree char *base = g_path_get_basename(file);
  const char *platform = strstr(path, WIN_PLATFORM) ? WIN_PLATFORM : PLATFORM;
  const char *ext = strstr(base, "-archive.");
  g_assert_nonnull(ext);
  g_autofree char *top = g_strndup(base, (gsize)(ext - base) + strlen("-archive"));
  CupPlanArchive *a = g_new0(CupPlanArchive, 1);
  parse_top(top, platform, &a->component, &a->version);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(file, &data, &len, NULL));
  a->sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
  a->size = len;
  a->path = g_strdup(path);
  a->url = g_strconcat(fx->mirror_url, "/", path, NULL);
  a->destination = g_strdup(root);
  return a;
}

/* A plan, as cup_plan_make would make it, installing the archives at @paths (below the mirror
 * root, NULL-terminated) into @root; CUDA 13.0.2, and cuDNN @cudnn_version when one of them is
 * cuDNN's. */
static CupPlan *make_plan(const Fixture *fx, const char *root, const char *const *paths,
                          const char *cudnn_version)
{
  CupPlan *p = g_new0(CupPlan, 1);
  gboolean windows = strstr(paths[0], WIN_PLATFORM) != NULL;
  p->os = g_strdup(windows ? "windows" : "linux");
  p->platform = g_strdup(windows ? WIN_PLATFORM : PLATFORM);
  p->cuda_version = g_strdup("13.0.2");
  p->toolkit_root = g_strdup(root);
  p->components = g_ptr_array_new_with_free_func(g_free);
  p->archives = g_ptr_array_new_with_free_func((GDestroyNotify)plan_archive_free);
  p->environment = g_ptr_array_new_with_free_func(g_free);
  p->reasons = g_ptr_array_new_with_free_func(g_free);
  p->warnings = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; paths[i] != NULL; i++) {
    CupPlanArchive *a = plan_archive(fx, paths[i], root);
    g_ptr_array_add(p->archives, a);
    if (strcmp(a->component, "cudnn") == 0) {
      p->cudnn_version = g_strdup(cudnn_version);
      p->cudnn_variant = g_strdup("cuda13");
      p->cudnn_required = TRUE;
    } else {
      g_ptr_array_add(p->components, g_strdup(a->component));
      p->cuda_required = TRUE;
    }
  }
  p->cuda_existing = !p->cuda_required;
  return p;
}

static CupPlan *plan_one(const Fixture *fx, const char *path)
{
  const char *paths[] = {path, NULL};
  return make_plan(fx, fx->root, paths, "9.19.0");
}

/* ---- running the engine ---- */

typedef struct {
  GCancellable *cancel_in_extract; /* cancelled at the first "extract" event, or NULL */
  guint extract_events;
} Watch;

static void on_progress(const CupProgress *p, gpointer data)
{
  Watch *w = data;
  if (strcmp(p->stage, "extract") != 0)
    return;
  w->extract_events++;
  if (w->cancel_in_extract != NULL)
    g_cancellable_cancel(w->cancel_in_extract);
}

static CupEngineResult *run_engine(Fixture *fx, const CupPlan *plan, gboolean dry_run,
                                   gboolean skip_check, Watch *watch, CupEngineResult **partial,
                                   GError **error)
{
  CupEngineOptions o = {.plan = plan,
                        .cache = fx->cache,
                        .fetch = &fx->fetch,
                        .dry_run = dry_run,
                        .skip_check = skip_check,
                        .progress = watch ? on_progress : NULL,
                        .progress_data = watch,
                        .cancellable = watch ? watch->cancel_in_extract : NULL};
  return cup_engine_install(&o, partial, error);
}

/* Installs @plan without the proof; asserts success. */
static CupEngineResult *install_ok(Fixture *fx, const CupPlan *plan)
{
  g_autoptr(GError) error = NULL;
  CupEngineResult *r = run_engine(fx, plan, FALSE, TRUE, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  return r;
}

/* The verified archive of @a is in the cache (its bytes are hashed again). */
static gboolean in_cache(Fixture *fx, const CupPlanArchive *a)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cup_cache_lookup(fx->cache, a->sha256, a->size, NULL, &error);
  g_assert_no_error(error);
  return path != NULL;
}

static const CupPlanArchive *first_archive(const CupPlan *plan)
{
  return g_ptr_array_index(plan->archives, 0);
}

/* ---- a well-formed cuDNN ---- */

static const CupTestSpec cudnn_specs[] = {
    {.name = "", .type = AE_IFDIR},
    {.name = "include/cudnn.h"},
    {.name = "include/cudnn_version.h"},
    {.name = "lib/libcudnn.so.9.19.0", .perm = 0755},
    {.name = "lib/libcudnn.so.9", .type = AE_IFLNK, .link = "libcudnn.so.9.19.0"},
    {.name = "lib/libcudnn.so", .type = AE_IFLNK, .link = "libcudnn.so.9"},
    {.name = "LICENSE"},
};

static char *put_cudnn(Fixture *fx)
{
  return put_archive(fx, CUP_TEST_TAR_XZ, CUDNN_TOP, cudnn_specs, G_N_ELEMENTS(cudnn_specs), FALSE);
}

/* ---- hostile archives ---- */

typedef struct {
  const char *test;
  CupTestFormat format;
  CupTestSpec bad[2];
  const char *entry; /* the path in the archive that the message names */
} Hostile;

#define LX CUDNN_TOP "/"
#define WX CUDNN_WIN_TOP "/"

/* The list. Zip archives are Windows ones (a windows-x86_64 plan), as NVIDIA ships
 * them, and hold neither hard links nor devices. A bomb needs no cap of its own: 70 MiB of
 * zeros pass the floor of every archive's cap (CUP_EXTRACT_MIN_BYTES). */
static const Hostile hostile[] = {
    {"zip-slip",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/../../../etc/passwd"}},
     LX "lib/../../../etc/passwd"},
    {"zip-slip-zip",
     CUP_TEST_ZIP,
     {{.name = "lib/../../../etc/passwd"}},
     WX "lib/../../../etc/passwd"},
    {"absolute", CUP_TEST_TAR_XZ, {{.name = "/etc/cudaup-test", .raw = TRUE}}, "/etc/cudaup-test"},
    {"absolute-zip", CUP_TEST_ZIP, {{.name = "/etc/cudaup-test", .raw = TRUE}}, "/etc/cudaup-test"},
    {"symlink-escape",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/out", .type = AE_IFLNK, .link = "../../../.."}, {.name = "lib/out/x"}},
     LX "lib/out"},
    {"symlink-escape-zip",
     CUP_TEST_ZIP,
     {{.name = "lib/out", .type = AE_IFLNK, .link = "../../../.."}, {.name = "lib/out/x"}},
     WX "lib/out"},
    {"symlink-absolute",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/etc", .type = AE_IFLNK, .link = "/etc"}, {.name = "lib/etc/cudaup-test"}},
     LX "lib/etc"},
    {"hard-link",
     CUP_TEST_TAR_XZ,
     {{.name = "lib/hard", .hardlink = "lib/libcudnn.so.9.13.0"}},
     LX "lib/hard"},
    {"device", CUP_TEST_TAR_XZ, {{.name = "bin/null", .type = AE_IFCHR}}, LX "bin/null"},
    {"setuid", CUP_TEST_TAR_XZ, {{.name = "bin/su", .perm = 04755}}, LX "bin/su"},
    {"setuid-zip", CUP_TEST_ZIP, {{.name = "bin/su", .perm = 04755}}, WX "bin/su"},
    {"bomb", CUP_TEST_TAR_XZ, {{.name = "lib/zeros", .zeros = 70 * MIB}}, LX "lib/zeros"},
    {"bomb-zip", CUP_TEST_ZIP, {{.name = "lib/zeros", .zeros = 70 * MIB}}, WX "lib/zeros"},
};

static gsize n_bad(const Hostile *h)
{
  return h->bad[1].name != NULL ? 2 : 1;
}

/* Installs the hostile archive @h into T and asserts the refusal: CUP_ERROR_INTEGRITY naming
 * the entry, T as @before, the lock free, the verified archive kept in the cache. */
static void assert_refused(Fixture *fx, const Hostile *h, const char *before)
{
  const char *top = h->format == CUP_TEST_ZIP ? CUDNN_WIN_TOP : CUDNN_TOP;
  g_autofree char *path = put_archive(fx, h->format, top, h->bad, n_bad(h), TRUE);
  g_autoptr(CupPlan) plan = plan_one(fx, path);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEngineResult) partial = NULL;
  g_autoptr(CupEngineResult) r = run_engine(fx, plan, FALSE, TRUE, NULL, &partial, &error);
  g_assert_null(r);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_autofree char *named = g_strdup_printf("entry '%s' ", h->entry);
  if (strstr(error->message, named) == NULL)
    g_test_fail_printf("%s: the message does not name %s: %s", h->test, named, error->message);
  g_assert_nonnull(partial);
  g_autofree char *after = cup_test_tree_snapshot(fx->root);
  g_assert_cmpstr(after, ==, before);
  cup_test_txn_assert_lock_free(fx->root);
  g_assert_true(in_cache(fx, first_archive(plan)));
}

static void test_hostile(Fixture *fx, gconstpointer data)
{
  cup_test_txn_nvidia_tree(fx->root);
  g_autofree char *before = cup_test_tree_snapshot(fx->root);
  g_assert_null(strstr(before, CUP_TXN_STATE_DIR));
  assert_refused(fx, data, before);
}

/* T holds an earlier install of cudaup's: its state directory is left exactly as it was. */
static void test_hostile_after_install(Fixture *fx, gconstpointer data)
{
  (void)data;
  cup_test_txn_nvidia_tree(fx->root);
  g_autofree char *good = put_cudnn(fx);
  g_autoptr(CupPlan) plan = plan_one(fx, good);
  g_autoptr(CupEngineResult) r = install_ok(fx, plan);
  g_autofree char *before = cup_test_tree_snapshot(fx->root);
  g_assert_nonnull(strstr(before, "f 0644 " CUP_TXN_STATE_DIR "/installs/cudnn-9.19.json "));
  assert_refused(fx, &hostile[0], before);
}

/* A root that did not exist is not left behind by a failed install. */
static void test_hostile_fresh_root(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *path = put_archive(fx, CUP_TEST_TAR_XZ, CUDNN_TOP, hostile[0].bad, 1, TRUE);
  g_autoptr(CupPlan) plan = plan_one(fx, path);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEngineResult) r = run_engine(fx, plan, FALSE, TRUE, NULL, NULL, &error);
  g_assert_null(r);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_false(g_file_test(fx->root, G_FILE_TEST_EXISTS));
  g_assert_true(in_cache(fx, first_archive(plan)));
}

/* ---- a full disk ---- */

/* Mounts a tmpfs of @size at T, in a mount namespace of this process's own where the kernel
 * allows one: a failed assertion aborts the program before any teardown runs, and the kernel
 * then drops the namespace, and the mount with it, when the process ends. FALSE (the test is
 * skipped, saying why) when no tmpfs can be mounted. */
static gboolean mount_small_root(Fixture *fx, const char *size)
{
  g_assert_cmpint(g_mkdir(fx->root, 0755), ==, 0);
  if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    g_printerr("# no private mounts (%s): the tmpfs is unmounted at teardown only\n",
               g_strerror(errno));
  g_autofree char *options = g_strdup_printf("size=%s,mode=0755", size);
  if (mount("tmpfs", fx->root, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0) {
    int saved = errno;
    g_test_skip_printf("cannot mount a tmpfs at %s: %s (the full-disk tests need root)", fx->root,
                       g_strerror(saved));
    return FALSE;
  }
  fx->mounted = g_strdup(fx->root);
  return TRUE;
}

/* The engine's space check takes an archive to unpack to at least 1.3 times its size, so an
 * archive that fills the disk only while it is extracted must compress well: megabytes of
 * zeros in an archive of a few KB. */
static void test_full_disk_extract(Fixture *fx, gconstpointer data)
{
  (void)data;
  if (!mount_small_root(fx, "1m"))
    return;
  cup_test_txn_nvidia_tree(fx->root);
  g_autofree char *before = cup_test_tree_snapshot(fx->root);
  const CupTestSpec big = {.name = "lib/libcudnn_engines.so.9", .zeros = 4 * MIB};
  g_autofree char *path = put_archive(fx, CUP_TEST_TAR_XZ, CUDNN_TOP, &big, 1, TRUE);
  g_autoptr(CupPlan) plan = plan_one(fx, path);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEngineResult) r = run_engine(fx, plan, FALSE, TRUE, NULL, NULL, &error);
  g_assert_null(r);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "no space left"));
  g_assert_nonnull(strstr(error->message, "free space"));
  g_autofree char *after = cup_test_tree_snapshot(fx->root);
  g_assert_cmpstr(after, ==, before);
  cup_test_txn_assert_lock_free(fx->root);
  g_assert_true(in_cache(fx, first_archive(plan)));
}

/* Bytes that do not compress, from a fixed seed. */
static char *write_random_file(const Fixture *fx, gsize size)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(20250804);
  g_autofree guint32 *words = g_new(guint32, size / 4);
  for (gsize i = 0; i < size / 4; i++)
    words[i] = g_rand_int(rand);
  char *file = g_build_filename(fx->dir, "random.bin", NULL);
  g_autoptr(GError) error = NULL;
  g_file_set_contents(file, (const char *)words, (gssize)(size / 4 * 4), &error);
  g_assert_no_error(error);
  return file;
}

/* An archive of incompressible bytes larger than the free space is stopped before it is
 * downloaded, with what is needed, what is free and the fix. */
static void test_full_disk_before(Fixture *fx, gconstpointer data)
{
  (void)data;
  if (!mount_small_root(fx, "1m"))
    return;
  cup_test_txn_nvidia_tree(fx->root);
  g_autofree char *before = cup_test_tree_snapshot(fx->root);
  g_autofree char *random = write_random_file(fx, 2 * MIB);
  const CupTestSpec big = {.name = "lib/libcudnn_engines.so.9", .source = random};
  g_autofree char *path = put_archive(fx, CUP_TEST_TAR_XZ, CUDNN_TOP, &big, 1, TRUE);
  g_autoptr(CupPlan) plan = plan_one(fx, path);
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEngineResult) r = run_engine(fx, plan, FALSE, TRUE, NULL, NULL, &error);
  g_assert_null(r);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_IO);
  g_autofree char *where = g_strdup_printf(" on %s, ", fx->root);
  g_assert_nonnull(strstr(error->message, where));
  g_assert_nonnull(strstr(error->message, " free; free space or choose --prefix DIR"));
  g_autofree char *after = cup_test_tree_snapshot(fx->root);
  g_assert_cmpstr(after, ==, before);
  g_assert_false(in_cache(fx, first_archive(plan)));
}

/* ---- installing twice, the dry run, cancelling ---- */

static void test_already_installed(Fixture *fx, gconstpointer data)
{
  (void)data;
  cup_test_txn_nvidia_tree(fx->root);
  g_autofree char *path = put_cudnn(fx);
  g_autoptr(CupPlan) plan = plan_one(fx, path);
  g_autoptr(CupEngineResult) first = install_ok(fx, plan);
  g_assert_false(first->already);
  g_assert_cmpuint(first->packages->len, ==, 1);
  g_assert_false(((CupEnginePackage *)g_ptr_array_index(first->packages, 0))->already);
  g_autofree char *installed = cup_test_tree_snapshot(fx->root);
  g_autoptr(CupEngineResult) again = install_ok(fx, plan);
  g_assert_true(again->already);
  g_assert_true(((CupEnginePackage *)g_ptr_array_index(again->packages, 0))->already);
  g_assert_cmpuint(again->downloaded, ==, 0);
  g_assert_cmpuint(again->written, ==, 0);
  g_autofree char *after = cup_test_tree_snapshot(fx->root);
  g_assert_cmpstr(after, ==, installed);
}

static const CupTestSpec cudart_specs[] = {
    {.name = "", .type = AE_IFDIR},
    {.name = "include/cuda_runtime.h"},
    {.name = "lib/libcudart.so.13.0.96", .perm = 0755},
    {.name = "lib/libcudart.so.13", .type = AE_IFLNK, .link = "libcudart.so.13.0.96"},
    {.name = "LICENSE"},
};

/* @lines (char*, owned) sorted and joined by newlines. */
static char *join_sorted(GPtrArray *lines)
{
  g_ptr_array_sort(lines, cup_test_compare_strings);
  g_ptr_array_add(lines, NULL);
  return g_strjoinv("\n", (char **)lines->pdata);
}

/* What a dry run says would be written: "KIND PATH" lines as cup_test_tree_listing writes
 * them, files with their size, each once (a directory shared by two archives is one). */
static char *dry_run_listing(const CupEngineResult *r)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < r->files->len; i++) {
    const CupEngineFile *f = g_ptr_array_index(r->files, i);
    gboolean file = strcmp(f->kind, "file") == 0, link = strcmp(f->kind, "symlink") == 0;
    g_assert_true(file || link || strcmp(f->kind, "dir") == 0);
    char *line = file ? g_strdup_printf("f %s %" G_GUINT64_FORMAT, f->path, f->size)
                      : g_strdup_printf("%c %s", link ? 'l' : 'd', f->path);
    if (g_hash_table_contains(seen, line)) {
      if (file || link)
        g_test_fail_printf("the dry run lists %s twice", f->path);
      g_free(line);
      continue;
    }
    g_hash_table_add(seen, line);
    g_ptr_array_add(lines, line);
  }
  return join_sorted(lines);
}

/* The same for what an install wrote into @root (cudaup's state directory aside). */
static char *written_listing(const char *root)
{
  g_autofree char *listing = cup_test_tree_listing(root);
  g_auto(GStrv) lines = g_strsplit(listing, "\n", -1);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; lines[i] != NULL; i++) {
    if (lines[i][0] == '\0' || g_str_has_prefix(lines[i] + 2, CUP_TXN_STATE_DIR))
      continue;
    g_autofree char *full = g_build_filename(root, lines[i] + 2, NULL);
    GStatBuf st;
    g_assert_cmpint(g_lstat(full, &st), ==, 0);
    g_ptr_array_add(out, lines[i][0] == 'f' ? g_strdup_printf("%s %" G_GUINT64_FORMAT, lines[i],
                                                              (guint64)st.st_size)
                                            : g_strdup(lines[i]));
  }
  return join_sorted(out);
}

/* Nothing is created or downloaded; once the archives are in the cache, the files listed are
 * exactly those the install then writes. */
static void test_dry_run(Fixture *fx, gconstpointer data)
{
  (void)data;
  g_autofree char *cudart =
      put_archive(fx, CUP_TEST_TAR_XZ, CUDART_TOP, cudart_specs, G_N_ELEMENTS(cudart_specs), FALSE);
  g_autofree char *cudnn = put_cudnn(fx);
  const char *paths[] = {cudart, cudnn, NULL};
  g_autoptr(CupPlan) plan = make_plan(fx, fx->root, paths, "9.19.0");
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEngineResult) empty = run_engine(fx, plan, TRUE, TRUE, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_true(empty->dry_run);
  g_assert_cmpuint(empty->files->len, ==, 0);
  g_assert_cmpuint(empty->notes->len, ==, 2); /* each archive is not in the cache yet */
  g_assert_false(g_file_test(fx->root, G_FILE_TEST_EXISTS));
  g_assert_false(in_cache(fx, g_ptr_array_index(plan->archives, 0)));
  g_assert_false(in_cache(fx, g_ptr_array_index(plan->archives, 1)));

  g_autoptr(GPtrArray) fetched = cup_fetch_plan_archives(&fx->fetch, fx->cache, plan, &error);
  g_assert_no_error(error);
  g_autoptr(CupEngineResult) dry = run_engine(fx, plan, TRUE, TRUE, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_false(g_file_test(fx->root, G_FILE_TEST_EXISTS));
  g_autofree char *listed = dry_run_listing(dry);
  g_assert_nonnull(strstr(listed, "\nf lib64/libcudnn.so.9.19.0 "));
  g_assert_nonnull(strstr(listed, "\nl lib64/libcudart.so.13\n"));

  g_autoptr(CupEngineResult) r = install_ok(fx, plan);
  g_autofree char *written = written_listing(fx->root);
  g_assert_cmpstr(listed, ==, written);
}

static void test_cancel_in_extract(Fixture *fx, gconstpointer data)
{
  (void)data;
  cup_test_txn_nvidia_tree(fx->root);
  g_autofree char *before = cup_test_tree_snapshot(fx->root);
  g_autofree char *path = put_cudnn(fx);
  g_autoptr(CupPlan) plan = plan_one(fx, path);
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  Watch watch = {.cancel_in_extract = cancellable};
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEngineResult) r = run_engine(fx, plan, FALSE, TRUE, &watch, NULL, &error);
  g_assert_null(r);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CANCELLED);
  g_assert_cmpuint(watch.extract_events, >, 0);
  g_autofree char *after = cup_test_tree_snapshot(fx->root);
  g_assert_cmpstr(after, ==, before);
  cup_test_txn_assert_lock_free(fx->root);
  g_assert_true(in_cache(fx, first_archive(plan)));
}

/* ---- cuDNN alone into NVIDIA's toolkit, and back out ---- */

static void test_cudnn_into_nvidia_tree(Fixture *fx, gconstpointer data)
{
  (void)data;
  cup_test_txn_nvidia_tree(fx->root);
  g_autofree char *before = cup_test_tree_snapshot(fx->root);
  g_autofree char *path = put_cudnn(fx);
  g_autoptr(CupPlan) plan = plan_one(fx, path);
  g_autoptr(CupEngineResult) r = install_ok(fx, plan);
  g_autofree char *after = cup_test_tree_snapshot(fx->root);
  /* The toolkit's own files are untouched; only cuDNN's are new or replaced. */
  g_auto(GStrv) lines = g_strsplit(before, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    if (strstr(lines[i], "cudnn") == NULL && strstr(after, lines[i]) == NULL)
      g_test_fail_printf("the install changed the toolkit's '%s'", lines[i]);
  const char *added[] = {"targets/x86_64-linux/lib/libcudnn.so.9.19.0", "include/cudnn_version.h",
                         "share/doc/cudaup/cudnn/LICENSE"};
  for (gsize i = 0; i < G_N_ELEMENTS(added); i++)
    g_assert_true(cup_test_txn_exists(fx->root, added[i]));
  g_autofree char *link = g_build_filename(fx->root, "lib64/libcudnn.so", NULL);
  g_autofree char *target = g_file_read_link(link, NULL);
  g_assert_cmpstr(target, ==, "libcudnn.so.9");
  g_autoptr(GError) error = NULL;
  g_autoptr(CupTxnInstall) record = cup_txn_read_install(fx->root, "cudnn-9.19", &error);
  g_assert_no_error(error);
  g_assert_cmpstr(record->version, ==, "9.19.0.56");
  g_assert_cmpuint(record->n_files, ==, 4);
  g_assert_cmpuint(record->n_symlinks, ==, 2);
  g_assert_cmpuint(record->n_replaced, ==, 2); /* the hand-copied cudnn.h, libcudnn.so */

  g_assert_true(cup_txn_uninstall(fx->root, "cudnn-9.19", 0, NULL, &error));
  g_assert_no_error(error);
  g_autofree char *restored = cup_test_tree_snapshot(fx->root);
  g_assert_cmpstr(restored, ==, before);
}

/* ---- the proof ---- */

static const CupCheckItem *check_item(const CupCheckResult *c, const char *name)
{
  for (guint i = 0; i < c->items->len; i++) {
    const CupCheckItem *item = g_ptr_array_index(c->items, i);
    if (strcmp(item->name, name) == 0)
      return item;
  }
  g_assert_not_reached();
}

/* The libcudnn.so.9 of /usr/local/cuda (the small front library, which answers
 * cudnnGetVersion itself) as cuDNN 9.19.0: proven when the plan says 9.19.0; committed but
 * CUP_ERROR_CHECK when the plan says 9.13.0. */
static void test_proof(Fixture *fx, gconstpointer data)
{
  (void)data;
  if (!g_file_test(CUDNN_SHIM, G_FILE_TEST_IS_REGULAR)) {
    g_test_skip_printf("%s is absent: the proof needs a real libcudnn", CUDNN_SHIM);
    return;
  }
  CupTestSpec specs[G_N_ELEMENTS(cudnn_specs)];
  memcpy(specs, cudnn_specs, sizeof specs);
  specs[3].source = CUDNN_SHIM;
  g_autofree char *path =
      put_archive(fx, CUP_TEST_TAR_XZ, CUDNN_TOP, specs, G_N_ELEMENTS(specs), FALSE);
  const char *paths[] = {path, NULL};
  g_autoptr(CupPlan) plan = make_plan(fx, fx->root, paths, "9.19.0");
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEngineResult) r = run_engine(fx, plan, FALSE, FALSE, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r->check);
  g_assert_true(r->check->ok);
  g_assert_cmpstr(check_item(r->check, CUP_CHECK_LIBCUDNN)->version, ==, "9.19.0");

  g_autofree char *other = g_build_filename(fx->dir, "cuda-other", NULL);
  g_autoptr(CupPlan) wrong = make_plan(fx, other, paths, "9.13.0");
  g_autoptr(CupEngineResult) partial = NULL;
  g_autoptr(CupEngineResult) none = run_engine(fx, wrong, FALSE, FALSE, NULL, &partial, &error);
  g_assert_null(none);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_CHECK);
  g_assert_nonnull(strstr(error->message, "9.13"));
  g_assert_nonnull(partial);
  g_assert_nonnull(partial->check);
  g_assert_false(partial->check->ok);
  const CupCheckItem *cudnn = check_item(partial->check, CUP_CHECK_LIBCUDNN);
  g_assert_false(cudnn->ok);
  g_assert_cmpstr(cudnn->version, ==, "9.19.0");
  g_clear_error(&error);
  g_autoptr(CupTxnInstall) record = cup_txn_read_install(other, "cudnn-9.13", &error);
  g_assert_no_error(error);
  g_assert_true(cup_test_txn_exists(other, "lib64/libcudnn.so.9.19.0"));
}

/* ---- unpacking while downloading ---- */

#define REAL_LIBRARY "/usr/local/cuda/lib64/libcudart.so.13"

/* The real library the served archives carry; skips the test (saying why) when it is absent. */
static gboolean have_real_library(void)
{
  if (g_file_test(REAL_LIBRARY, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  g_test_skip(REAL_LIBRARY " is absent: no real library to pack");
  return FALSE;
}

/* cuDNN with a real library inside (a few hundred KB of xz), served by the fault server with
 * @fault over plain HTTP; installs it and returns the result (NULL with @error). */
static CupEngineResult *install_served(Fixture *fx, const CupFault *fault, GError **error)
{
  CupTestSpec specs[G_N_ELEMENTS(cudnn_specs)];
  memcpy(specs, cudnn_specs, sizeof specs);
  specs[3].source = REAL_LIBRARY;
  g_autofree char *path =
      put_archive(fx, CUP_TEST_TAR_XZ, CUDNN_TOP, specs, G_N_ELEMENTS(specs), FALSE);
  g_autoptr(CupPlan) plan = plan_one(fx, path);
  CupPlanArchive *a = g_ptr_array_index(plan->archives, 0);
  g_assert_cmpuint(a->size, >, 150000);
  g_autofree char *file = g_build_filename(fx->mirror, path, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(file, &data, &len, NULL));
  g_autoptr(CupFaultServer) server = cup_fault_server_start(NULL);
  g_autofree char *served = g_strconcat("/", path, NULL);
  cup_fault_server_add(server, served, data, len, fault);
  const char *mirrors[] = {cup_fault_server_url(server), NULL};
  g_free(a->url);
  a->url = g_strconcat(mirrors[0], served, NULL);
  fx->fetch.mirrors = mirrors;
  fx->fetch.backoff_base_ms = 10;
  CupEngineResult *r = run_engine(fx, plan, FALSE, TRUE, NULL, NULL, error);
  fx->fetch.mirrors = fx->mirrors;
  return r;
}

/* The installed library is the archive's, byte for byte. */
static void assert_library_installed(const Fixture *fx)
{
  g_autofree char *lib = g_build_filename(fx->root, "lib64", "libcudnn.so.9.19.0", NULL);
  g_autofree char *want = NULL, *got = NULL;
  gsize want_len = 0, got_len = 0;
  g_assert_true(g_file_get_contents(REAL_LIBRARY, &want, &want_len, NULL));
  g_assert_true(g_file_get_contents(lib, &got, &got_len, NULL));
  g_assert_cmpmem(got, got_len, want, want_len);
}

/* A download cut short and resumed (Range) goes on feeding the same unpacking: the bytes
 * follow on, so what was unpacked while downloading is kept. */
static void test_stream_resumed(Fixture *fx, gconstpointer data)
{
  (void)data;
  if (!have_real_library())
    return;
  CupFault cut = {.kind = CUP_FAULT_CUT_ONCE, .bytes = 60000};
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEngineResult) r = install_served(fx, &cut, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(r->streamed, ==, "cudnn");
  assert_library_installed(fx);
}

/* The first bytes were another file's (a new ETag): the transfer starts again from zero, so
 * what was unpacked from them is thrown away and the verified download unpacked instead. */
static void test_stream_restarted(Fixture *fx, gconstpointer data)
{
  (void)data;
  if (!have_real_library())
    return;
  CupFault changes = {.kind = CUP_FAULT_ETAG_CHANGES, .bytes = 60000};
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEngineResult) r = install_served(fx, &changes, &error);
  g_assert_no_error(error);
  g_assert_null(r->streamed);
  assert_library_installed(fx);
}

/* Bytes that never match: the unpacking done meanwhile is never applied, T stays absent. */
static void test_stream_never_verified(Fixture *fx, gconstpointer data)
{
  (void)data;
  if (!have_real_library())
    return;
  CupFault wrong = {.kind = CUP_FAULT_WRONG_BYTES, .bytes = 120000};
  g_autoptr(GError) error = NULL;
  g_autoptr(CupEngineResult) r = install_served(fx, &wrong, &error);
  g_assert_null(r);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY);
  g_assert_nonnull(strstr(error->message, "sha256 mismatch"));
  g_assert_false(g_file_test(fx->root, G_FILE_TEST_EXISTS));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(hostile); i++) {
    g_autofree char *name = g_strdup_printf("/engine/hostile/%s", hostile[i].test);
    g_test_add(name, Fixture, &hostile[i], fixture_setup, test_hostile, fixture_teardown);
  }
  struct {
    const char *name;
    void (*func)(Fixture *, gconstpointer);
  } tests[] = {
      {"/engine/hostile/after-install", test_hostile_after_install},
      {"/engine/hostile/fresh-root", test_hostile_fresh_root},
      {"/engine/full-disk/extract", test_full_disk_extract},
      {"/engine/full-disk/before", test_full_disk_before},
      {"/engine/already-installed", test_already_installed},
      {"/engine/dry-run", test_dry_run},
      {"/engine/cancel", test_cancel_in_extract},
      {"/engine/cudnn-into-nvidia-tree", test_cudnn_into_nvidia_tree},
      {"/engine/proof", test_proof},
      {"/engine/stream/resumed", test_stream_resumed},
      {"/engine/stream/restarted", test_stream_restarted},
      {"/engine/stream/never-verified", test_stream_never_verified},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(tests); i++)
    g_test_add(tests[i].name, Fixture, NULL, fixture_setup, tests[i].func, fixture_teardown);
  return g_test_run();
}
