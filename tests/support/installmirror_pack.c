/* installmirror_pack.c - the install mirror's archives: which wheel files go into which
 * component archive (the wheels' RECORD files), packed as NVIDIA packs its redist archives, with
 * the redistrib manifests and the cache's index.json. The cache around it is installmirror.c. */
#include "tests/support/installmirror.h"
#include "tests/support/installmirror_private.h"

#include "core/digest.h"
#include "core/error.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* deflate -6 is zip's default and what NVIDIA's .zip archives use. */
#define ZIP_LEVEL "6"
#define IO_BLOCK (1024 * 1024)
/* A fixed mtime (2025-10-15, the day this toolkit's files carry) keeps archive bytes stable.
 * The manifests' release_date is that day too: NVIDIA's 13.0.2 and 9.19.0 manifests are not
 * stored here and the wheels carry no date. */
#define ARCHIVE_MTIME 1760486400
#define RELEASE_DATE "2025-10-15"
#define LINUX "linux-x86_64"
#define WINDOWS "windows-x86_64"

/* One component archive: which wheel its files come from, what NVIDIA calls it. */
typedef struct {
  const char *key, *name, *license, *product;
  const char *wheel;   /* dist-info name without -VERSION.dist-info */
  const char *version; /* the wheel's version, which is the component's */
  const char *prefix;  /* where the wheel's files are in RECORD */
} Component;

/* CUDA 13.0 Update 2's component versions (NVIDIA's 13.0.2 manifest) and cuDNN 9.19.0.56: the
 * wheels installed at /usr/local/cuda. The CUDA set is what `nvcc -c` needs: the compiler, its
 * CRT headers, cicc and libdevice, the runtime headers and the CCCL headers nvcc puts on the
 * include path (nvcc.profile). */
static const Component components[] = {
    {"cuda_cccl", "CXX Core Compute Libraries", "CUDA Toolkit", "cuda", "nvidia_cuda_cccl",
     "13.0.85", "nvidia/cu13/"},
    {"cuda_crt", "CUDA CRT", "CUDA Toolkit", "cuda", "nvidia_cuda_crt", "13.0.88", "nvidia/cu13/"},
    {"cuda_cudart", "CUDA Runtime (cudart)", "CUDA Toolkit", "cuda", "nvidia_cuda_runtime",
     "13.0.96", "nvidia/cu13/"},
    {"cuda_nvcc", "CUDA NVCC", "CUDA Toolkit", "cuda", "nvidia_cuda_nvcc", "13.0.88",
     "nvidia/cu13/"},
    {"libnvvm", "CUDA NVVM", "CUDA Toolkit", "cuda", "nvidia_nvvm", "13.0.88", "nvidia/cu13/"},
    {"cudnn", "NVIDIA CUDA Deep Neural Network library", "cudnn", "cudnn", "nvidia_cudnn_cu13",
     CUP_TEST_INSTALL_CUDNN_VERSION, "nvidia/cudnn/"},
};

typedef struct {
  char *name;   /* below the archive's top directory */
  char *source; /* the file whose bytes are stored, or NULL */
  char *link;   /* a symlink's target, or NULL */
  char *text;   /* generated content, or NULL */
  guint64 size; /* bytes of source or text */
  gint64 mtime_ns;
  gboolean exec;
} Entry;

typedef struct {
  const Component *comp;
  const char *platform;
  char *top;           /* <component>-<platform>-<version>[_cuda13]-archive */
  char *relative_path; /* below <product>/redist */
  GPtrArray *entries;  /* Entry* */
  int xz_preset;
  char *file; /* where it is written (set when building) */
  char *sha256, *md5;
  guint64 size, unpacked;
  GError *error;
} Job;

static void entry_free(gpointer data)
{
  Entry *e = data;
  g_free(e->name);
  g_free(e->source);
  g_free(e->link);
  g_free(e->text);
  g_free(e);
}

static void job_free(gpointer data)
{
  Job *j = data;
  g_free(j->top);
  g_free(j->relative_path);
  g_ptr_array_unref(j->entries);
  g_free(j->file);
  g_free(j->sha256);
  g_free(j->md5);
  g_clear_error(&j->error);
  g_free(j);
}

/* ---- which files go where (the wheels' RECORD files) ---------------------------------------- */

static gboolean add_source(GPtrArray *entries, const char *name, const char *source,
                           gint64 expected, GError **error)
{
  GStatBuf st;
  if (g_stat(source, &st) != 0 || !S_ISREG(st.st_mode)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                "%s is missing: the install mirror packs the toolkit's wheel files; reinstall "
                "the wheel that lists it",
                source);
    return FALSE;
  }
  if (expected >= 0 && st.st_size != expected) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY,
                "%s is %" G_GINT64_FORMAT " bytes but its wheel's RECORD says %" G_GINT64_FORMAT
                ": the toolkit changed since the wheel was installed; reinstall it",
                source, (gint64)st.st_size, expected);
    return FALSE;
  }
  Entry *e = g_new0(Entry, 1);
  e->name = g_strdup(name);
  e->source = g_strdup(source);
  e->size = (guint64)st.st_size;
  e->mtime_ns = (gint64)st.st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st.st_mtim.tv_nsec;
  e->exec = (st.st_mode & 0111) != 0;
  g_ptr_array_add(entries, e);
  return TRUE;
}

static void add_link(GPtrArray *entries, const char *name, const char *target)
{
  Entry *e = g_new0(Entry, 1);
  e->name = g_strdup(name);
  e->link = g_strdup(target);
  g_ptr_array_add(entries, e);
}

/* The major of a "libX.so.N" name (N digits only), or -1. */
static int soname_major(const char *name)
{
  const char *so = g_strrstr(name, ".so.");
  if (so == NULL || so[4] == '\0')
    return -1;
  for (const char *p = so + 4; *p; p++)
    if (!g_ascii_isdigit(*p))
      return -1;
  return atoi(so + 4);
}

/* NVIDIA ships a library as lib/libX.so.<full> with the links libX.so.<major> and libX.so
 * (the wheels carry only libX.so.<major>). <full> is the first three parts of the component's
 * version when the majors agree (libcudart.so.13.0.96, libcudnn.so.9.19.0), else N.0.0
 * (libnvvm.so.4.0.0). */
static gboolean add_library(GPtrArray *entries, const Component *c, const char *name,
                            const char *source, gint64 expected, GError **error)
{
  int major = soname_major(name);
  g_auto(GStrv) v = g_strsplit(c->version, ".", 4);
  g_autofree char *full = atoi(v[0]) == major && v[1] && v[2]
                              ? g_strdup_printf("%s.%s.%s", v[0], v[1], v[2])
                              : g_strdup_printf("%d.0.0", major);
  g_autofree char *stem = g_strndup(name, (gsize)(g_strrstr(name, ".so.") + 3 - name));
  g_autofree char *file = g_strdup_printf("%s.%s", stem, full);
  if (!add_source(entries, file, source, expected, error))
    return FALSE;
  g_autofree char *base_file = g_path_get_basename(file);
  g_autofree char *base_major = g_path_get_basename(name);
  add_link(entries, name, base_file);
  add_link(entries, stem, base_major);
  return TRUE;
}

/* Where RECORD path @rel (its wheel prefix removed) goes in the archive, or NULL to leave it
 * out (the wheels' .metadata/ build notes). libnvvm keeps its header and library under nvvm/,
 * as NVIDIA's archive does; the wheel has them in include/ and lib/. */
static char *archive_name(const Component *c, const char *rel)
{
  static const char *const kept[] = {"include/", "lib/", "bin/", "nvvm/"};
  gboolean keep = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(kept); i++)
    keep = keep || g_str_has_prefix(rel, kept[i]);
  if (!keep)
    return NULL;
  if (strcmp(c->key, "libnvvm") == 0 && g_str_has_prefix(rel, "include/"))
    return g_strconcat("nvvm/", rel, NULL);
  if (strcmp(c->key, "libnvvm") == 0 && g_str_has_prefix(rel, "lib/"))
    return g_strconcat("nvvm/lib64/", rel + 4, NULL);
  return g_strdup(rel);
}

/* One RECORD line "path,sha256=...,size": the path and size (-1 when not given). */
static gboolean parse_record_line(const char *line, char **path, gint64 *size)
{
  const char *last = strrchr(line, ',');
  const char *hash = last ? g_strrstr_len(line, last - line, ",") : NULL;
  if (hash == NULL || line[0] == '"')
    return FALSE;
  *path = g_strndup(line, (gsize)(hash - line));
  *size = last[1] ? g_ascii_strtoll(last + 1, NULL, 10) : -1;
  return TRUE;
}

static char *dist_info(const char *cuda_root, const Component *c)
{
  return g_strdup_printf("%s/dist-info/%s-%s.dist-info", cuda_root, c->wheel, c->version);
}

static GPtrArray *component_entries(const char *cuda_root, const Component *c, GError **error)
{
  g_autofree char *info = dist_info(cuda_root, c);
  g_autofree char *record = g_build_filename(info, "RECORD", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(record, &text, NULL, NULL)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                "%s is missing: the install mirror needs the %s %s wheel installed at %s", record,
                c->wheel, c->version, cuda_root);
    return NULL;
  }
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(entry_free);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    g_autofree char *path = NULL, *name = NULL;
    gint64 size = -1;
    g_strchomp(*l);
    if (**l == '\0')
      continue;
    if (!parse_record_line(*l, &path, &size)) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE, "%s: cannot read the line '%s'", record, *l);
      return NULL;
    }
    if (!g_str_has_prefix(path, c->prefix) ||
        (name = archive_name(c, path + strlen(c->prefix))) == NULL)
      continue;
    g_autofree char *source = g_build_filename(cuda_root, path + strlen(c->prefix), NULL);
    gboolean ok = soname_major(name) >= 0 ? add_library(entries, c, name, source, size, error)
                                          : add_source(entries, name, source, size, error);
    if (!ok)
      return NULL;
  }
  g_autofree char *license = g_build_filename(info, "licenses", "License.txt", NULL);
  if (!add_source(entries, "LICENSE", license, -1, error))
    return NULL;
  return g_steal_pointer(&entries);
}

/* NVIDIA's Windows cuDNN layout: bin/<stem>64_9.dll, lib/x64/<stem>.lib, include/, no links.
 * The DLLs hold the Linux libraries' bytes under NVIDIA's Windows names (cudnn64_9.dll,
 * cudnn_ops64_9.dll, ...): nothing here runs them, the installer only places them. The import
 * libraries are short generated stand-ins. */
static GPtrArray *windows_entries(const GPtrArray *linux_entries)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(entry_free);
  for (guint i = 0; i < linux_entries->len; i++) {
    const Entry *e = g_ptr_array_index(linux_entries, i);
    if (e->link != NULL)
      continue;
    Entry *w = g_memdup2(e, sizeof *e);
    w->source = g_strdup(e->source);
    w->text = NULL;
    w->link = NULL;
    if (!g_str_has_prefix(e->name, "lib/lib") || strstr(e->name, ".so.") == NULL) {
      w->name = g_strdup(e->name);
      g_ptr_array_add(out, w);
      continue;
    }
    g_autofree char *stem = g_strndup(e->name + 7, (gsize)(strstr(e->name, ".so.") - e->name - 7));
    w->name = g_strdup_printf("bin/%s64_%d.dll", stem, atoi(strstr(e->name, ".so.") + 4));
    w->exec = FALSE;
    g_ptr_array_add(out, w);
    Entry *lib = g_new0(Entry, 1);
    lib->name = g_strdup_printf("lib/x64/%s.lib", stem);
    lib->text = g_strdup_printf("import library stand-in for %s (test mirror)\n", w->name + 4);
    lib->size = strlen(lib->text);
    g_ptr_array_add(out, lib);
  }
  return out;
}

static Job *job_new(const Component *c, const char *platform, GPtrArray *entries, int preset)
{
  Job *j = g_new0(Job, 1);
  gboolean cudnn = strcmp(c->product, "cudnn") == 0;
  j->comp = c;
  j->platform = platform;
  j->top =
      g_strdup_printf("%s-%s-%s%s-archive", c->key, platform, c->version, cudnn ? "_cuda13" : "");
  j->relative_path = g_strdup_printf("%s/%s/%s%s", c->key, platform, j->top,
                                     strcmp(platform, WINDOWS) == 0 ? ".zip" : ".tar.xz");
  j->entries = entries;
  j->xz_preset = preset;
  for (guint i = 0; i < entries->len; i++) {
    const Entry *e = g_ptr_array_index(entries, i);
    j->unpacked += e->link ? 0 : e->size;
  }
  return j;
}

/* Every archive of the mirror, from the RECORD files of @cuda_root's wheels. */
GPtrArray *cup_test_im_plan(const char *cuda_root, int preset, GError **error)
{
  if (!g_file_test(cuda_root, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                "no CUDA toolkit at %s: the install mirror is built from its CUDA 13.0 and "
                "cuDNN 9.19 wheel files (dist-info/*/RECORD)",
                cuda_root);
    return NULL;
  }
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func(job_free);
  for (gsize i = 0; i < G_N_ELEMENTS(components); i++) {
    GPtrArray *entries = component_entries(cuda_root, &components[i], error);
    if (entries == NULL)
      return NULL;
    g_ptr_array_add(jobs, job_new(&components[i], LINUX, entries, preset));
    if (strcmp(components[i].product, "cudnn") == 0)
      g_ptr_array_add(jobs, job_new(&components[i], WINDOWS, windows_entries(entries), preset));
  }
  return g_steal_pointer(&jobs);
}

/* The cache key: every input that shapes the archives. */
char *cup_test_im_key(const GPtrArray *jobs, const char *cuda_root)
{
  int preset = ((const Job *)g_ptr_array_index(jobs, 0))->xz_preset;
  g_autoptr(GString) s = g_string_new(NULL);
  g_string_append_printf(s, "cudaup-install-mirror/%d xz-%d zip-%s %s\n",
                         CUP_TEST_IM_FORMAT_VERSION, preset, ZIP_LEVEL, cuda_root);
  for (guint i = 0; i < jobs->len; i++) {
    const Job *j = g_ptr_array_index(jobs, i);
    g_string_append_printf(s, "%s\n", j->relative_path);
    for (guint k = 0; k < j->entries->len; k++) {
      const Entry *e = g_ptr_array_index(j->entries, k);
      g_string_append_printf(s, "%s\t%s\t%s\t%" G_GUINT64_FORMAT "\t%" G_GINT64_FORMAT "\n",
                             e->name, e->source ? e->source : "", e->link ? e->link : "", e->size,
                             e->mtime_ns);
    }
  }
  g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, s->str, s->len);
  return g_strndup(sha, 16);
}

/* ---- writing one archive, hashing it on the way out ----------------------------------------- */

typedef struct {
  int fd;
  CupSha256 *sha;
  GChecksum *md5;
  guint64 size;
} Sink;

static la_ssize_t sink_write(struct archive *a, void *data, const void *buf, size_t len)
{
  Sink *sink = data;
  for (const char *p = buf, *end = p + len; p < end;) {
    ssize_t n = write(sink->fd, p, (size_t)(end - p));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      archive_set_error(a, errno, "%s", g_strerror(errno));
      return -1;
    }
    p += n;
  }
  cup_sha256_update(sink->sha, buf, len);
  g_checksum_update(sink->md5, buf, (gssize)len);
  sink->size += len;
  return (la_ssize_t)len;
}

static gboolean la_failed(struct archive *a, int r, const Job *j, GError **error)
{
  if (r >= ARCHIVE_WARN)
    return FALSE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "writing %s: %s", j->file,
              archive_error_string(a) ? archive_error_string(a) : "libarchive failed");
  return TRUE;
}

static gboolean write_header(struct archive *a, const Job *j, const char *name, mode_t type,
                             mode_t perm, guint64 size, const char *link, GError **error)
{
  g_autofree char *path = g_strconcat(j->top, "/", name, NULL);
  struct archive_entry *entry = archive_entry_new();
  archive_entry_set_pathname(entry, path);
  archive_entry_set_filetype(entry, type);
  archive_entry_set_perm(entry, perm);
  archive_entry_set_size(entry, (la_int64_t)size);
  archive_entry_set_mtime(entry, ARCHIVE_MTIME, 0);
  if (link != NULL)
    archive_entry_set_symlink(entry, link);
  int r = archive_write_header(a, entry);
  archive_entry_free(entry);
  return !la_failed(a, r, j, error);
}

static gboolean copy_data(struct archive *a, const Job *j, const Entry *e, GError **error)
{
  if (e->text != NULL)
    return archive_write_data(a, e->text, e->size) == (la_ssize_t)e->size ||
           !la_failed(a, ARCHIVE_FATAL, j, error);
  int fd = g_open(e->source, O_RDONLY | O_CLOEXEC, 0);
  g_autofree char *buf = g_malloc(IO_BLOCK);
  guint64 left = e->size;
  gssize n = 0;
  while (fd >= 0 && left > 0 && (n = read(fd, buf, (gsize)MIN(left, IO_BLOCK))) > 0) {
    if (archive_write_data(a, buf, (gsize)n) != n) {
      close(fd);
      return !la_failed(a, ARCHIVE_FATAL, j, error);
    }
    left -= (guint64)n;
  }
  if (fd >= 0)
    close(fd);
  if (fd < 0 || left > 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "reading %s for %s: %s", e->source, j->file,
                fd < 0 || n < 0 ? g_strerror(errno) : "the file shrank while it was read");
    return FALSE;
  }
  return TRUE;
}

static gint by_name(gconstpointer a, gconstpointer b)
{
  return strcmp((*(Entry *const *)a)->name, (*(Entry *const *)b)->name);
}

/* The top directory, then each entry after the directories above it, in name order (as tar
 * lists a tree). */
static gboolean write_entries(struct archive *a, const Job *j, GError **error)
{
  g_autoptr(GHashTable) dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) sorted = g_ptr_array_copy(j->entries, NULL, NULL);
  g_ptr_array_set_free_func(sorted, NULL); /* the copy would free the entries too */
  g_ptr_array_sort(sorted, by_name);
  if (!write_header(a, j, "", AE_IFDIR, 0755, 0, NULL, error))
    return FALSE;
  for (guint i = 0; i < sorted->len; i++) {
    const Entry *e = g_ptr_array_index(sorted, i);
    for (const char *s = strchr(e->name, '/'); s; s = strchr(s + 1, '/')) {
      g_autofree char *dir = g_strndup(e->name, (gsize)(s - e->name + 1));
      if (!g_hash_table_contains(dirs, dir) &&
          !write_header(a, j, dir, AE_IFDIR, 0755, 0, NULL, error))
        return FALSE;
      g_hash_table_add(dirs, g_steal_pointer(&dir));
    }
    gboolean ok = e->link ? write_header(a, j, e->name, AE_IFLNK, 0777, 0, e->link, error)
                          : write_header(a, j, e->name, AE_IFREG, e->exec ? 0755 : 0644, e->size,
                                         NULL, error) &&
                                copy_data(a, j, e, error);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

static gboolean set_format(struct archive *a, const Job *j, GError **error)
{
  if (strcmp(j->platform, WINDOWS) == 0)
    return !la_failed(a, archive_write_set_format_zip(a), j, error) &&
           !la_failed(a, archive_write_set_format_option(a, "zip", "compression-level", ZIP_LEVEL),
                      j, error);
  /* One xz stream of one block: libarchive's xz writer runs liblzma single-threaded unless
   * told otherwise, as NVIDIA's archives are made. */
  g_autofree char *level = g_strdup_printf("%d", j->xz_preset);
  return !la_failed(a, archive_write_set_format_pax_restricted(a), j, error) &&
         !la_failed(a, archive_write_add_filter_xz(a), j, error) &&
         !la_failed(a, archive_write_set_filter_option(a, "xz", "compression-level", level), j,
                    error);
}

static gboolean write_job(Job *j, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(j->file);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot create %s: %s", dir, g_strerror(errno));
    return FALSE;
  }
  Sink sink = {g_open(j->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), cup_sha256_new(),
               g_checksum_new(G_CHECKSUM_MD5), 0};
  struct archive *a = archive_write_new();
  gboolean ok = sink.fd >= 0;
  if (!ok)
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot create %s: %s", j->file, g_strerror(errno));
  /* No padding after the last byte (libarchive pads to its 10 KiB block by default). */
  archive_write_set_bytes_in_last_block(a, 1);
  ok = ok && set_format(a, j, error) &&
       !la_failed(a, archive_write_open2(a, &sink, NULL, sink_write, NULL, NULL), j, error) &&
       write_entries(a, j, error) && !la_failed(a, archive_write_close(a), j, error);
  archive_write_free(a);
  if (sink.fd >= 0)
    close(sink.fd);
  j->sha256 = cup_sha256_finish(sink.sha);
  j->md5 = g_strdup(g_checksum_get_string(sink.md5));
  j->size = sink.size;
  cup_sha256_free(sink.sha);
  g_checksum_free(sink.md5);
  return ok;
}

static void run_job(gpointer data, gpointer user_data)
{
  (void)user_data;
  Job *j = data;
  write_job(j, &j->error);
}

static gint by_unpacked_desc(gconstpointer a, gconstpointer b)
{
  guint64 x = (*(Job *const *)a)->unpacked, y = (*(Job *const *)b)->unpacked;
  return (x < y) - (x > y);
}

/* Writes every archive below @root, the biggest first, as many at once as there are cores. */
static gboolean write_archives(GPtrArray *jobs, const char *root, GError **error)
{
  g_autoptr(GPtrArray) order = g_ptr_array_copy(jobs, NULL, NULL);
  g_ptr_array_set_free_func(order, NULL); /* the copy would free the jobs too */
  g_ptr_array_sort(order, by_unpacked_desc);
  GThreadPool *pool = g_thread_pool_new(run_job, NULL, (gint)g_get_num_processors(), TRUE, NULL);
  for (guint i = 0; i < order->len; i++) {
    Job *j = g_ptr_array_index(order, i);
    j->file = g_strdup_printf("%s/%s/redist/%s", root, j->comp->product, j->relative_path);
    g_thread_pool_push(pool, j, NULL);
  }
  g_thread_pool_free(pool, FALSE, TRUE);
  for (guint i = 0; i < jobs->len; i++) {
    Job *j = g_ptr_array_index(jobs, i);
    if (j->error != NULL) {
      g_propagate_error(error, g_steal_pointer(&j->error));
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- the redistrib manifests and the index -------------------------------------------------- */

static json_t *archive_json(const Job *j)
{
  g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, j->size);
  return json_pack("{s:s, s:s, s:s, s:s}", "relative_path", j->relative_path, "sha256", j->sha256,
                   "md5", j->md5, "size", size);
}

/* NVIDIA's form: release keys, then per component name, license, license_path, version and
 * one member per platform (cuDNN 9: per platform one per CUDA variant, then cuda_variant). */
static gboolean write_manifest(const GPtrArray *jobs, const char *root, const char *product,
                               const char *release, GError **error)
{
  json_t *doc = json_pack("{s:s, s:s, s:s}", "release_date", RELEASE_DATE, "release_label", release,
                          "release_product", product);
  for (guint i = 0; i < jobs->len; i++) {
    const Job *j = g_ptr_array_index(jobs, i);
    if (strcmp(j->comp->product, product) != 0)
      continue;
    json_t *comp = json_object_get(doc, j->comp->key);
    if (comp == NULL) {
      g_autofree char *license_path = g_strdup_printf("%s/LICENSE.txt", j->comp->key);
      comp = json_pack("{s:s, s:s, s:s, s:s}", "name", j->comp->name, "license", j->comp->license,
                       "license_path", license_path, "version", j->comp->version);
      json_object_set_new(doc, j->comp->key, comp);
    }
    gboolean cudnn = strcmp(product, "cudnn") == 0;
    json_object_set_new(comp, j->platform,
                        cudnn ? json_pack("{s:o}", "cuda13", archive_json(j)) : archive_json(j));
    if (cudnn && strcmp(j->platform, LINUX) == 0)
      json_object_set_new(comp, "cuda_variant", json_pack("[s]", "13"));
  }
  g_autofree char *path = g_strdup_printf("%s/%s/redist/redistrib_%s.json", root, product, release);
  /* NVIDIA's files: 4-space indent, keys in this order, no newline at the end. */
  int r = json_dump_file(doc, path, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
  json_decref(doc);
  if (r != 0)
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot write %s", path);
  return r == 0;
}

static gboolean write_index(const GPtrArray *jobs, const char *dir, GError **error)
{
  json_t *list = json_array();
  for (guint i = 0; i < jobs->len; i++) {
    const Job *j = g_ptr_array_index(jobs, i);
    gboolean cudnn = strcmp(j->comp->product, "cudnn") == 0;
    g_autofree char *path = g_strdup_printf("%s/redist/%s", j->comp->product, j->relative_path);
    json_array_append_new(
        list, json_pack("{s:s, s:s, s:s*, s:s, s:s, s:s, s:I, s:I}", "component", j->comp->key,
                        "platform", j->platform, "cuda_variant", cudnn ? "cuda13" : NULL, "version",
                        j->comp->version, "path", path, "sha256", j->sha256, "size",
                        (json_int_t)j->size, "unpacked_size", (json_int_t)j->unpacked));
  }
  json_t *doc = json_pack("{s:i, s:o}", "format", CUP_TEST_IM_FORMAT_VERSION, "archives", list);
  g_autofree char *path = g_build_filename(dir, "index.json", NULL);
  int r = json_dump_file(doc, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(doc);
  if (r != 0)
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "cannot write %s", path);
  return r == 0;
}

char *cup_test_im_describe(const GPtrArray *jobs)
{
  guint64 unpacked = 0;
  for (guint i = 0; i < jobs->len; i++)
    unpacked += ((const Job *)g_ptr_array_index(jobs, i))->unpacked;
  return g_strdup_printf("%u archives of %.0f MB, xz -%d", jobs->len, (double)unpacked / 1e6,
                         ((const Job *)g_ptr_array_index(jobs, 0))->xz_preset);
}

gboolean cup_test_im_write(GPtrArray *jobs, const char *dir, GError **error)
{
  g_autofree char *root = g_build_filename(dir, "root", NULL);
  return write_archives(jobs, root, error) &&
         write_manifest(jobs, root, "cuda", CUP_TEST_INSTALL_CUDA_RELEASE, error) &&
         write_manifest(jobs, root, "cudnn", CUP_TEST_INSTALL_CUDNN_RELEASE, error) &&
         write_index(jobs, dir, error);
}
