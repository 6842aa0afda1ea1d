/* fetch_bench.c - cup_fetch_run against the curl program on one archive of real files served
 * by nginx on 127.0.0.1 over HTTPS (throwaway CA), in the same run: median wall time of three
 * repetitions each, MB/s, the ratio fetch/curl (target >= 0.75) and the peak RSS of the fetch
 * (target < 64 MiB). Both run as child processes, so each pays one process start, and the
 * fetch's peak RSS is its own (wait4). For context it also times what a careful user would
 * type for the same guarantees (curl -o, sha256sum, sync). Report only: exits 0 when a target
 * is missed.
 *
 * Usage: fetch_bench [--size-mb N]   (default 300, or $CUP_BENCH_FETCH_MB)
 *        fetch_bench --fetch-only MIRROR PATH SHA256 SIZE CACERT CACHE   (the measured child)
 */
#include "core/cache.h"
#include "core/error.h"
#include "core/fetch.h"
#include "tests/support/mirror.h"
#include "tests/support/nginx.h"
#include "tests/support/tlsca.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define REPETITIONS 3
#define TARGET_RATIO 0.75
#define TARGET_RSS_MIB 64.0

typedef struct {
  double seconds;
  double rss_mib;
  gboolean ok;
} Sample;

/* The child: download MIRROR/PATH into a fresh cache, verified, then exit. */
static int fetch_only(char **argv)
{
  const char *mirrors[] = {argv[0], NULL};
  const char *path = argv[1], *sha256 = argv[2], *cacert = argv[4], *cache_dir = argv[5];
  guint64 size = g_ascii_strtoull(argv[3], NULL, 10);
  CupFetchOptions options = {.mirrors = mirrors, .jobs = 1, .cacert = cacert};
  CupFetchItem item = {.name = "big", .path = path, .sha256 = sha256, .size = size};
  g_autoptr(GError) error = NULL;
  g_autoptr(CupCache) cache = cup_cache_open(cache_dir, &error);
  GPtrArray *results = cache ? cup_fetch_run(&options, cache, &item, 1, &error) : NULL;
  if (results == NULL) {
    fprintf(stderr, "fetch_bench: %s\n", error->message);
    return 1;
  }
  g_ptr_array_unref(results);
  return 0;
}

/* Run @argv to its end; its wall time and its own peak RSS. */
static Sample run_child(char **argv)
{
  Sample s = {0};
  GPid pid;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error)) {
    fprintf(stderr, "fetch_bench: %s: %s\n", argv[0], error->message);
    return s;
  }
  int status = 0;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) < 0)
    return s;
  s.seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
  s.rss_mib = (double)usage.ru_maxrss / 1024.0; /* KiB on Linux */
  s.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  g_spawn_close_pid(pid);
  return s;
}

static int by_seconds(const void *a, const void *b)
{
  double x = ((const Sample *)a)->seconds, y = ((const Sample *)b)->seconds;
  return (x > y) - (x < y);
}

static double median_seconds(Sample *samples, guint n)
{
  qsort(samples, n, sizeof *samples, by_seconds);
  return samples[n / 2].seconds;
}

static guint64 size_from_args(int argc, char **argv)
{
  const char *mb = g_getenv("CUP_BENCH_FETCH_MB");
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--size-mb") == 0)
      mb = argv[i + 1];
  guint64 n = mb ? g_ascii_strtoull(mb, NULL, 10) : 300;
  return (n ? n : 300) * 1000 * 1000;
}

typedef struct {
  char *dir, *file, *sha256, *mirror, *url, *self, *curl;
  guint64 size;
  CupTestCa *ca;
} Bench;

/* What a careful user would type for the same guarantees: download, hash, flush to disk. */
static Sample run_recipe(const Bench *b, const char *out)
{
  g_autofree char *script =
      g_strdup_printf("'%s' -s --cacert '%s' -o '%s' '%s' && sha256sum '%s' >/dev/null && "
                      "sync '%s'",
                      b->curl, b->ca->ca_cert, out, b->url, out, out);
  char *argv[] = {"/bin/sh", "-c", script, NULL};
  return run_child(argv);
}

/* One repetition of each, interleaved so all see the same machine state. */
static void repeat(const Bench *b, Sample *fetch, Sample *curl, Sample *recipe)
{
  g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, b->size);
  for (guint r = 0; r < REPETITIONS; r++) {
    g_autofree char *out = g_build_filename(b->dir, "curl.out", NULL);
    char *curl_argv[] = {b->curl, "-s", "--cacert", b->ca->ca_cert, "-o", out, b->url, NULL};
    if (b->curl) {
      curl[r] = run_child(curl_argv);
      g_unlink(out);
      recipe[r] = run_recipe(b, out);
      g_unlink(out);
    }
    g_autofree char *cache = g_strdup_printf("%s/cache-%u", b->dir, r);
    char *fetch_argv[] = {b->self, "--fetch-only", b->mirror, "big.tar", b->sha256,
                          size,    b->ca->ca_cert, cache,     NULL};
    fetch[r] = run_child(fetch_argv);
    cup_test_remove_tree(cache);
  }
}

/* Every run, so a noisy machine shows (the medians above hide it). */
static void print_runs(const char *what, const Sample *samples)
{
  printf("  %s runs:", what);
  for (guint r = 0; r < REPETITIONS; r++)
    printf(" %.2f s", samples[r].seconds);
  printf("\n");
}

static void report(const Bench *b, Sample *fetch, Sample *curl, Sample *recipe)
{
  double mb = (double)b->size / 1e6, peak = 0;
  gboolean ok = TRUE;
  for (guint r = 0; r < REPETITIONS; r++) {
    peak = MAX(peak, fetch[r].rss_mib);
    ok = ok && fetch[r].ok && (b->curl == NULL || (curl[r].ok && recipe[r].ok));
  }
  if (!ok)
    printf("a transfer FAILED: the figures below are not meaningful\n");
  double f = median_seconds(fetch, REPETITIONS);
  printf("fetch: %.0f MB in %.2f s (%.0f MB/s)", mb, f, mb / f);
  if (b->curl) {
    double c = median_seconds(curl, REPETITIONS), ratio = c / f;
    printf("; curl -o: %.2f s (%.0f MB/s); ratio %.2f (target >= %.2f)%s\n", c, mb / c, ratio,
           TARGET_RATIO, ratio >= TARGET_RATIO ? "" : " MISSED");
    double same = median_seconds(recipe, REPETITIONS);
    printf("for the same guarantees, curl -o + sha256sum + sync: %.2f s (%.0f MB/s); ratio %.2f\n",
           same, mb / same, same / f);
  } else {
    printf("; curl: not installed, no ratio\n");
  }
  printf("peak RSS: %.1f MiB (target < %.0f MiB)%s\n", peak, TARGET_RSS_MIB,
         peak < TARGET_RSS_MIB ? "" : " MISSED");
  print_runs("fetch", fetch);
  if (b->curl) {
    print_runs("curl -o", curl);
    print_runs("curl -o + sha256sum + sync", recipe);
  }
  printf("(medians of %d runs each; HTTPS from nginx on 127.0.0.1; the fetch writes into a fresh "
         "cache and fsyncs before it renames)\n",
         REPETITIONS);
}

int main(int argc, char **argv)
{
  if (argc == 8 && strcmp(argv[1], "--fetch-only") == 0)
    return fetch_only(argv + 2);
  g_autofree char *why = NULL;
  if (!cup_test_nginx_available(&why)) {
    printf("fetch benchmark skipped: %s\n", why);
    return 0;
  }
  Bench b = {.size = size_from_args(argc, argv)};
  b.ca = cup_test_ca_new();
  b.dir = cup_test_make_root();
  b.file = g_build_filename(b.dir, "www", "big.tar", NULL);
  g_autofree char *www = g_path_get_dirname(b.file);
  g_mkdir_with_parents(www, 0755);
  b.sha256 = cup_test_mirror_big_archive(b.file, b.size);
  GStatBuf st;
  g_assert(g_stat(b.file, &st) == 0);
  b.size = (guint64)st.st_size;
  CupTestNginx *nginx = cup_test_nginx_start(www, b.ca);
  b.mirror = g_strdup(cup_test_nginx_url(nginx));
  b.url = g_strdup_printf("%s/big.tar", b.mirror);
  b.self = g_file_read_link("/proc/self/exe", NULL);
  b.curl = g_find_program_in_path("curl");
  Sample fetch[REPETITIONS] = {0}, curl[REPETITIONS] = {0}, recipe[REPETITIONS] = {0};
  repeat(&b, fetch, curl, recipe);
  report(&b, fetch, curl, recipe);
  cup_test_nginx_stop(nginx);
  cup_test_remove_tree(b.dir);
  cup_test_ca_free(b.ca);
  char *owned[] = {b.dir, b.file, b.sha256, b.mirror, b.url, b.self, b.curl};
  for (gsize i = 0; i < G_N_ELEMENTS(owned); i++)
    g_free(owned[i]);
  return 0;
}
