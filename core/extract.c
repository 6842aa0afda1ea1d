/* extract.c - unpack one verified archive below a staging directory (see extract.h): libarchive
 * reads, every entry is checked and mapped (extract_checks.c), files are created here with
 * O_EXCL|O_NOFOLLOW below directories opened one component at a time with O_NOFOLLOW, and
 * their bytes written and hashed by the writer thread (extract_writer.c). */
#include "core/extract.h"

#include "core/error.h"
#include "core/extract_private.h"
#include "core/i18n.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#ifndef G_OS_WIN32
#include <unistd.h>
#endif

/* libarchive reads the archive in blocks of this size. */
#define READ_BLOCK (256 * 1024)
#define PROGRESS_INTERVAL_US (200 * 1000)

typedef struct {
  char *path; /* below the staging directory */
  gboolean dir;
} Created;

typedef struct {
  const CupExtractOptions *o;
  CupExtractLayout layout;
  GCancellable *cancellable;
  struct archive *a;
  int archive_fd;
  guint8 *read_buf;   /* for an archive read from o->input */
  GError *read_error; /* what o->input failed with */
  int stage_fd;
  GHashTable *seen;   /* tree path -> GINT_TO_POINTER(CupExtractType + 1): this archive's */
  GArray *created;    /* Created, in order: what a failure removes */
  GPtrArray *entries; /* CupExtractEntry*: the result */
  char *parent;       /* the tree path parent_fd is open on; NULL when none */
  int parent_fd;
  CupExtractWriter *writer;
  guint64 archive_size, max_bytes, written;
  guint n_entries, max_entries;
  CupRateMeter meter;
  gint64 last_progress_us;
  guint64 progress_done;
} Extractor;

const char *cup_extract_type_name(CupExtractType type)
{
  switch (type) {
  case CUP_EXTRACT_FILE:
    return "file";
  case CUP_EXTRACT_SYMLINK:
    return "symlink";
  case CUP_EXTRACT_DIR:
    return "dir";
  }
  return "file";
}

void cup_extract_entry_free(CupExtractEntry *entry)
{
  if (entry == NULL)
    return;
  g_free(entry->path);
  g_free(entry->sha256);
  g_free(entry->link_target);
  g_free(entry);
}

#ifdef G_OS_WIN32
/* Everything below relies on directory descriptors (openat, mkdirat, symlinkat) and O_NOFOLLOW
 * to never follow a link while writing; Windows needs its own layer (CreateFileW with
 * CREATE_NEW and FILE_FLAG_OPEN_REPARSE_POINT). Until it exists nothing is unpacked there. */
gboolean cup_extract_archive(const CupExtractOptions *o, GPtrArray *entries_out,
                             GCancellable *cancellable, GError **error)
{
  (void)entries_out, (void)cancellable;
  g_set_error(error, CUP_ERROR, CUP_ERROR_UNSUPPORTED,
              _("cannot unpack %s: unpacking archives is not supported on Windows yet; install "
                "the toolkit with NVIDIA's installer and use 'cudaup env apply --prefix DIR'"),
              o->archive);
  return FALSE;
}
#else

static CupExtractEntry *add_entry(Extractor *x, const char *path, CupExtractType type, guint32 mode,
                                  char *sha256, const char *link_target, guint64 size)
{
  CupExtractEntry *e = g_new0(CupExtractEntry, 1);
  e->path = g_strdup(path);
  e->type = type;
  e->mode = mode;
  e->sha256 = sha256;
  e->link_target = g_strdup(link_target);
  e->size = size;
  g_ptr_array_add(x->entries, e);
  return e;
}

static void note_created(Extractor *x, const char *path, gboolean dir)
{
  Created c = {g_strdup(path), dir};
  g_array_append_val(x->created, c);
}

/* ---- progress ---- */

static void report(Extractor *x, CupProgressState state, gboolean final)
{
  if (x->o->progress == NULL)
    return;
  gint64 now = g_get_monotonic_time();
  if (!final && now - x->last_progress_us < PROGRESS_INTERVAL_US)
    return;
  x->last_progress_us = now;
  /* Bytes consumed; a .zip read through its central directory may seek back, and the bar must
   * not. */
  guint64 done = MAX((guint64)MAX(archive_filter_bytes(x->a, -1), 0), x->progress_done);
  if (final && state == CUP_PROGRESS_DONE)
    done = x->archive_size;
  done = x->progress_done = MIN(done, x->archive_size);
  cup_rate_meter_sample(&x->meter, done, now);
  double speed = cup_rate_meter_rate(&x->meter);
  gint64 eta = final ? 0 : cup_progress_eta_ms(x->archive_size - done, speed);
  CupProgressItem item = {x->o->component, state, done, x->archive_size,
                          speed,           eta,   1,    x->o->archive};
  CupProgress p = {"extract", done, x->archive_size, speed, eta, 1, &item, final};
  x->o->progress(&p, x->o->progress_data);
}

static gboolean cancelled(Extractor *x, GError **error)
{
  g_set_error(error, CUP_ERROR, CUP_ERROR_CANCELLED,
              _("extracting the %s archive was cancelled; nothing was written"), x->o->component);
  return FALSE;
}

static gboolean check_cancelled(Extractor *x, GError **error)
{
  return !g_cancellable_is_cancelled(x->cancellable) || cancelled(x, error);
}

/* ---- errors ---- */

static gboolean is_io_errno(int e)
{
  return e == EIO || e == ENOENT || e == EACCES || e == EPERM || e == EISDIR || e == ENXIO ||
         e == EMFILE || e == ENFILE || e == ENODEV || e == ENOMEM;
}

/* A libarchive read failure: the stream's own error, the disk (IO) or the bytes (PARSE). */
static gboolean archive_failed(Extractor *x, const char *after, GError **error)
{
  if (x->read_error != NULL && g_error_matches(x->read_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return cancelled(x, error);
  if (x->read_error != NULL) {
    g_propagate_error(error, g_steal_pointer(&x->read_error));
    return FALSE;
  }
  int e = archive_errno(x->a);
  const char *why = archive_error_string(x->a) ? archive_error_string(x->a) : "unknown error";
  if (is_io_errno(e))
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot read the %s archive %s: %s"),
                x->o->component, x->o->archive, why);
  else if (after != NULL)
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                _("the %s archive %s is corrupt or cut short at entry '%s': %s; download it again"),
                x->o->component, x->o->archive, after, why);
  else
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                _("the %s archive %s is corrupt or not a .tar.xz or .zip archive: %s; download it "
                  "again"),
                x->o->component, x->o->archive, why);
  return FALSE;
}

static gboolean io_failed(Extractor *x, int saved, const char *doing, const char *path,
                          GError **error)
{
  g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot %s %s/%s (from the %s archive): %s"), doing,
              x->o->staging, path, x->o->component, g_strerror(saved));
  return FALSE;
}

/* ---- directories ---- */

/* Opens @name below @fd as a real directory, creating it (0755 whatever the umask) when
 * absent; @path is its tree path. Returns the descriptor or -1. */
static int open_child_dir(Extractor *x, int fd, const char *name, const char *path,
                          const char *entry, GError **error)
{
  gboolean made = mkdirat(fd, name, 0755) == 0;
  if (!made && errno != EEXIST) {
    io_failed(x, errno, "create the directory", path, error);
    return -1;
  }
  if (made)
    note_created(x, path, TRUE);
  int child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (child < 0 && (errno == ELOOP || errno == ENOTDIR)) {
    cup_extract_refuse(error, x->o->component, entry,
                       "would be written below '%s', which is a symlink or a file in the staging "
                       "directory, not a directory",
                       path);
    return -1;
  }
  if (child < 0) {
    io_failed(x, errno, "open the directory", path, error);
    return -1;
  }
  if (made && fchmod(child, 0755) != 0) {
    int saved = errno;
    close(child);
    io_failed(x, saved, "set the mode of", path, error);
    return -1;
  }
  return child;
}

/* Records every directory of @path (a tree path of a directory) as this archive's, parents
 * first, refusing when an earlier entry put a symlink or file there. */
static gboolean claim_dirs(Extractor *x, const char *path, const char *entry, GError **error)
{
  g_autofree char *prefix = g_strdup(path);
  for (char *slash = prefix;; slash++) {
    slash = strchr(slash, '/');
    if (slash != NULL)
      *slash = '\0';
    int kind = GPOINTER_TO_INT(g_hash_table_lookup(x->seen, prefix)) - 1;
    if (kind == CUP_EXTRACT_SYMLINK || kind == CUP_EXTRACT_FILE)
      return cup_extract_refuse(error, x->o->component, entry,
                                "would be written through the %s '%s' made by an earlier entry",
                                cup_extract_type_name(kind), prefix);
    if (kind < 0) {
      g_hash_table_insert(x->seen, g_strdup(prefix), GINT_TO_POINTER(CUP_EXTRACT_DIR + 1));
      add_entry(x, prefix, CUP_EXTRACT_DIR, 0755, NULL, NULL, 0);
    }
    if (slash == NULL)
      return TRUE;
    *slash = '/';
  }
}

/* Opens the directory @path (a tree path; "" is the staging directory) for writing into it,
 * walking from the staging directory one component at a time. Keeps one open at a time. */
static int open_dir(Extractor *x, const char *path, const char *entry, GError **error)
{
  if (x->parent != NULL && strcmp(x->parent, path) == 0)
    return x->parent_fd;
  if (x->parent != NULL)
    close(x->parent_fd);
  g_clear_pointer(&x->parent, g_free);
  if (*path != '\0' && !claim_dirs(x, path, entry, error))
    return -1;
  int fd = dup(x->stage_fd);
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);
  g_autoptr(GString) walked = g_string_new(NULL);
  for (char **p = parts; fd >= 0 && *p != NULL && **p != '\0'; p++) {
    if (walked->len > 0)
      g_string_append_c(walked, '/');
    g_string_append(walked, *p);
    int child = open_child_dir(x, fd, *p, walked->str, entry, error);
    close(fd);
    fd = child;
  }
  if (fd >= 0) {
    x->parent = g_strdup(path);
    x->parent_fd = fd;
  }
  return fd;
}

/* ---- entries ---- */

/* The kind of @entry, or FALSE for anything but a plain file, directory or symlink, or for
 * special mode bits. */
static gboolean entry_kind(Extractor *x, struct archive_entry *entry, const char *name,
                           CupExtractType *kind, GError **error)
{
  const char *component = x->o->component;
  if (archive_entry_hardlink(entry) != NULL)
    return cup_extract_refuse(error, component, name, "is a hard link");
  mode_t mode = archive_entry_mode(entry);
  switch (archive_entry_filetype(entry)) {
  case AE_IFREG:
    *kind = CUP_EXTRACT_FILE;
    break;
  case AE_IFDIR:
    *kind = CUP_EXTRACT_DIR;
    break;
  case AE_IFLNK:
    *kind = CUP_EXTRACT_SYMLINK;
    break;
  case AE_IFCHR:
    return cup_extract_refuse(error, component, name, "is a character device");
  case AE_IFBLK:
    return cup_extract_refuse(error, component, name, "is a block device");
  case AE_IFIFO:
    return cup_extract_refuse(error, component, name, "is a FIFO");
  case AE_IFSOCK:
    return cup_extract_refuse(error, component, name, "is a socket");
  default:
    return cup_extract_refuse(error, component, name, "is of an unknown type (mode %o)",
                              (unsigned)mode);
  }
  if ((mode & (S_ISUID | S_ISGID | S_ISVTX)) != 0 && *kind != CUP_EXTRACT_SYMLINK)
    return cup_extract_refuse(error, component, name, "has the %s bit set (mode %04o)",
                              (mode & S_ISUID)   ? "setuid"
                              : (mode & S_ISGID) ? "setgid"
                                                 : "sticky",
                              (unsigned)(mode & 07777));
  return TRUE;
}

/* Marks @path as this archive's; another entry may not map there, except directories twice. */
static gboolean claim(Extractor *x, const char *path, CupExtractType kind, const char *name,
                      GError **error)
{
  int before = GPOINTER_TO_INT(g_hash_table_lookup(x->seen, path)) - 1;
  if (before >= 0 && !(before == CUP_EXTRACT_DIR && kind == CUP_EXTRACT_DIR))
    return cup_extract_refuse(error, x->o->component, name,
                              "maps onto '%s' in the toolkit tree, like an earlier entry", path);
  if (before < 0 && kind != CUP_EXTRACT_DIR)
    g_hash_table_insert(x->seen, g_strdup(path), GINT_TO_POINTER(kind + 1));
  return TRUE;
}

static gboolean refuse_existing(Extractor *x, const char *name, const char *path, GError **error)
{
  return cup_extract_refuse(error, x->o->component, name,
                            "would replace '%s', already in the staging directory %s (from "
                            "another archive)",
                            path, x->o->staging);
}

static gboolean write_symlink(Extractor *x, const char *name, const char *path,
                              struct archive_entry *entry, GError **error)
{
  const char *target = archive_entry_symlink(entry);
  if (target == NULL)
    target = "";
  if (!cup_extract_check_link(&x->layout, name, path, target, error))
    return FALSE;
  g_autofree char *dir = g_path_get_dirname(path);
  g_autofree char *base = g_path_get_basename(path);
  int fd = open_dir(x, strcmp(dir, ".") == 0 ? "" : dir, name, error);
  if (fd < 0)
    return FALSE;
  if (symlinkat(target, fd, base) != 0)
    return errno == EEXIST ? refuse_existing(x, name, path, error)
                           : io_failed(x, errno, "create the symlink", path, error);
  note_created(x, path, FALSE);
  add_entry(x, path, CUP_EXTRACT_SYMLINK, 0777, NULL, target, strlen(target));
  return TRUE;
}

/* ---- file data ---- */

static gboolean refuse_bytes(Extractor *x, const char *name, GError **error)
{
  g_autofree char *cap = g_format_size(x->max_bytes);
  g_autofree char *size = g_format_size(x->archive_size);
  return cup_extract_refuse(error, x->o->component, name,
                            "would unpack past %s, the cap for an archive of %s (a "
                            "decompression bomb?)",
                            cap, size);
}

/* The writer thread's first failure as the error of this call. */
static gboolean write_failed(Extractor *x, GError **error)
{
  const CupExtractWriteFailure *f = cup_extract_writer_drain(x->writer);
  g_assert(f != NULL);
  if (f->saved_errno != ENOSPC && f->saved_errno != EDQUOT)
    return io_failed(x, f->saved_errno, f->doing, f->path, error);
  g_autofree char *done = g_format_size(f->file_done);
  g_autofree char *size = f->file_size ? g_format_size(f->file_size) : g_strdup("unknown");
  g_autofree char *all = g_format_size(f->written);
  g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
              _("no space left on the disk of %s while writing %s from the %s archive (%s of its "
                "%s written, %s in all): free space and try again"),
              x->o->staging, f->path, x->o->component, done, size, all);
  return FALSE;
}

/* Accounts for the bytes from @pos to @end against the cap: FALSE when they pass it. */
static gboolean take_bytes(Extractor *x, guint64 pos, guint64 end)
{
  if (end - pos > x->max_bytes - x->written)
    return FALSE;
  x->written += end - pos;
  return TRUE;
}

/* Hands the current entry's data for @fd to the writer thread. Holes of sparse entries stay
 * holes; their bytes count against the cap like written ones. */
static gboolean copy_data(Extractor *x, int fd, CupExtractEntry *e, const char *name, guint64 *size,
                          GError **error)
{
  guint64 pos = 0;
  for (;;) {
    const void *buf;
    size_t len;
    la_int64_t offset;
    int r = archive_read_data_block(x->a, &buf, &len, &offset);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN || offset < 0 || (guint64)offset < pos)
      return archive_failed(x, name, error);
    if (!take_bytes(x, pos, (guint64)offset + len))
      return refuse_bytes(x, name, error);
    if (!cup_extract_writer_data(x->writer, fd, e, (guint64)offset, buf, len))
      return write_failed(x, error);
    pos = (guint64)offset + len;
    report(x, CUP_PROGRESS_RUNNING, FALSE);
    if (!check_cancelled(x, error))
      return FALSE;
  }
  if (*size > pos && !take_bytes(x, pos, *size))
    return refuse_bytes(x, name, error);
  *size = MAX(*size, pos);
  return TRUE;
}

static gboolean write_file(Extractor *x, const char *name, const char *path,
                           struct archive_entry *entry, GError **error)
{
  gint64 declared = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
  guint64 size = (guint64)MAX(declared, 0);
  /* A declared size past the cap is refused before a byte is decompressed. */
  if (size > x->max_bytes - x->written)
    return refuse_bytes(x, name, error);
  guint32 mode = (archive_entry_perm(entry) & 0111) != 0 ? 0755 : 0644;
  g_autofree char *dir = g_path_get_dirname(path);
  g_autofree char *base = g_path_get_basename(path);
  int dir_fd = open_dir(x, strcmp(dir, ".") == 0 ? "" : dir, name, error);
  if (dir_fd < 0)
    return FALSE;
  int fd = openat(dir_fd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    return errno == EEXIST ? refuse_existing(x, name, path, error)
                           : io_failed(x, errno, "create", path, error);
  note_created(x, path, FALSE);
  CupExtractEntry *e = add_entry(x, path, CUP_EXTRACT_FILE, mode, NULL, NULL, size);
  gboolean ok = copy_data(x, fd, e, name, &size, error);
  /* The writer thread owns the descriptor from here: it closes it in every case. */
  cup_extract_writer_close(x->writer, fd, ok ? e : NULL, size, mode);
  return ok;
}

static const char *entry_name(struct archive_entry *entry)
{
  const char *name = archive_entry_pathname(entry);
  if (name == NULL)
    name = archive_entry_pathname_utf8(entry);
  return name != NULL ? name : "";
}

/* list_only: the checks and the entry of an extraction, without writing. */
static gboolean list_entry(Extractor *x, struct archive_entry *entry, const char *name,
                           const char *path, CupExtractType kind, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  if (kind == CUP_EXTRACT_DIR)
    return claim_dirs(x, path, name, error);
  if (strcmp(dir, ".") != 0 && !claim_dirs(x, dir, name, error))
    return FALSE;
  if (kind == CUP_EXTRACT_SYMLINK) {
    const char *target = archive_entry_symlink(entry) ? archive_entry_symlink(entry) : "";
    if (!cup_extract_check_link(&x->layout, name, path, target, error))
      return FALSE;
    add_entry(x, path, kind, 0777, NULL, target, strlen(target));
    return TRUE;
  }
  gint64 size = archive_entry_size_is_set(entry) ? MAX(archive_entry_size(entry), 0) : 0;
  if ((guint64)size > x->max_bytes - x->written)
    return refuse_bytes(x, name, error);
  x->written += (guint64)size;
  add_entry(x, path, kind, (archive_entry_perm(entry) & 0111) ? 0755 : 0644, NULL, NULL,
            (guint64)size);
  return TRUE;
}

static gboolean handle_entry(Extractor *x, struct archive_entry *entry, GError **error)
{
  const char *name = entry_name(entry);
  CupExtractType kind = CUP_EXTRACT_FILE;
  if (!entry_kind(x, entry, name, &kind, error))
    return FALSE;
  gboolean is_top;
  g_autofree char *path =
      cup_extract_map(&x->layout, name, kind == CUP_EXTRACT_DIR, &is_top, error);
  if (path == NULL)
    return is_top && *error == NULL;
  if (!claim(x, path, kind, name, error))
    return FALSE;
  if (x->o->list_only)
    return list_entry(x, entry, name, path, kind, error);
  switch (kind) {
  case CUP_EXTRACT_DIR:
    return open_dir(x, path, name, error) >= 0;
  case CUP_EXTRACT_SYMLINK:
    return write_symlink(x, name, path, entry, error);
  case CUP_EXTRACT_FILE:
    return write_file(x, name, path, entry, error);
  }
  return FALSE;
}

/* ---- the archive ---- */

/* libarchive's read callback for an archive given as a stream (CupExtractOptions.input). */
static la_ssize_t stream_read(struct archive *a, void *data, const void **buffer)
{
  Extractor *x = data;
  gssize n =
      g_input_stream_read(x->o->input, x->read_buf, READ_BLOCK, x->cancellable, &x->read_error);
  if (n < 0) {
    archive_set_error(a, EIO, "%s", x->read_error->message);
    return -1;
  }
  *buffer = x->read_buf;
  return n;
}

static gboolean open_file(Extractor *x, GError **error)
{
  x->archive_fd = g_open(x->o->archive, O_RDONLY | O_CLOEXEC, 0);
  GStatBuf st;
  if (x->archive_fd < 0 || fstat(x->archive_fd, &st) != 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot read the %s archive %s: %s"),
                x->o->component, x->o->archive, g_strerror(saved));
    return FALSE;
  }
  if (x->archive_size == 0)
    x->archive_size = (guint64)st.st_size;
  return TRUE;
}

/* Only xz (and no filter): NVIDIA ships .tar.xz and .zip, and libarchive's other filters may
 * run an external program (lrzip, lzop, grzip) on the bytes. */
static gboolean open_archive(Extractor *x, GError **error)
{
  if (x->o->input == NULL && !open_file(x, error))
    return FALSE;
  x->a = archive_read_new();
  archive_read_support_filter_xz(x->a);
  archive_read_support_format_tar(x->a);
  archive_read_support_format_zip(x->a);
  int r;
  if (x->o->input != NULL) {
    x->read_buf = g_malloc(READ_BLOCK);
    r = archive_read_open(x->a, x, NULL, stream_read, NULL);
  } else {
    r = archive_read_open_fd(x->a, x->archive_fd, READ_BLOCK);
  }
  return r == ARCHIVE_OK || archive_failed(x, NULL, error);
}

static gboolean read_entries(Extractor *x, GError **error)
{
  g_autofree char *last = NULL;
  for (;;) {
    struct archive_entry *entry;
    int r = archive_read_next_header(x->a, &entry);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN)
      return archive_failed(x, last, error);
    if (r == ARCHIVE_WARN)
      g_debug("%s archive: %s: %s", x->o->component, entry_name(entry), archive_error_string(x->a));
    if (++x->n_entries > x->max_entries)
      return cup_extract_refuse(error, x->o->component, entry_name(entry),
                                "is past the cap of %u entries", x->max_entries);
    if (!check_cancelled(x, error) || !handle_entry(x, entry, error))
      return FALSE;
    g_free(last);
    last = g_strdup(entry_name(entry));
    report(x, CUP_PROGRESS_RUNNING, FALSE);
  }
  if (x->n_entries == 0)
    return archive_failed(x, NULL, error);
  if (cup_extract_writer_drain(x->writer) != NULL)
    return write_failed(x, error);
  return TRUE;
}

/* Removes what this call wrote, newest first (children before their directories). */
static void remove_created(Extractor *x)
{
  for (guint i = x->created->len; i-- > 0;) {
    const Created *c = &g_array_index(x->created, Created, i);
    if (unlinkat(x->stage_fd, c->path, c->dir ? AT_REMOVEDIR : 0) != 0)
      g_info("could not remove %s/%s: %s", x->o->staging, c->path, g_strerror(errno));
  }
}

static void created_clear(gpointer data)
{
  g_free(((Created *)data)->path);
}

static gboolean extractor_init(Extractor *x, const CupExtractOptions *o, GCancellable *cancellable,
                               GError **error)
{
  memset(x, 0, sizeof *x);
  x->o = o;
  x->cancellable = cancellable;
  x->archive_fd = x->stage_fd = -1;
  x->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  x->created = g_array_new(FALSE, FALSE, sizeof(Created));
  g_array_set_clear_func(x->created, created_clear);
  x->entries = g_ptr_array_new_with_free_func((GDestroyNotify)cup_extract_entry_free);
  x->writer = cup_extract_writer_new();
  x->archive_size = o->archive_size;
  x->max_entries = o->max_entries ? o->max_entries : CUP_EXTRACT_MAX_ENTRIES;
  if (!cup_extract_layout_init(&x->layout, o, error))
    return FALSE;
  if (!o->list_only)
    x->stage_fd = g_open(o->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (!o->list_only && x->stage_fd < 0) {
    int saved = errno;
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot open the staging directory %s: %s"),
                o->staging, g_strerror(saved));
    return FALSE;
  }
  if (!open_archive(x, error))
    return FALSE;
  x->max_bytes = o->max_bytes;
  if (x->max_bytes == 0)
    x->max_bytes = MAX(CUP_EXTRACT_MIN_BYTES, x->archive_size * CUP_EXTRACT_BYTES_RATIO);
  return TRUE;
}

static void extractor_clear(Extractor *x)
{
  /* First: the writer thread may still use entries and descriptors. */
  cup_extract_writer_free(x->writer);
  if (x->parent != NULL)
    close(x->parent_fd);
  g_free(x->parent);
  if (x->a != NULL)
    archive_read_free(x->a);
  if (x->archive_fd >= 0)
    close(x->archive_fd);
  g_free(x->read_buf);
  g_clear_error(&x->read_error);
  if (x->stage_fd >= 0)
    close(x->stage_fd);
  g_hash_table_unref(x->seen);
  g_array_unref(x->created);
  g_ptr_array_unref(x->entries);
  cup_extract_layout_clear(&x->layout);
}

gboolean cup_extract_archive(const CupExtractOptions *o, GPtrArray *entries_out,
                             GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail(o != NULL && o->archive != NULL && o->component != NULL, FALSE);
  g_return_val_if_fail((o->staging != NULL || o->list_only) && entries_out != NULL, FALSE);
  g_return_val_if_fail(o->input == NULL || o->archive_size > 0, FALSE);
  Extractor x;
  g_autoptr(GError) local = NULL;
  gboolean ok = extractor_init(&x, o, cancellable, &local) && read_entries(&x, &local);
  if (x.a != NULL)
    report(&x, ok ? CUP_PROGRESS_DONE : CUP_PROGRESS_FAILED, TRUE);
  if (ok) {
    g_ptr_array_extend_and_steal(entries_out, g_steal_pointer(&x.entries));
    x.entries = g_ptr_array_new();
  } else if (x.stage_fd >= 0) {
    cup_extract_writer_drain(x.writer); /* every file closed, no write in flight */
    remove_created(&x);
  }
  extractor_clear(&x);
  if (!ok)
    g_propagate_error(error, g_steal_pointer(&local));
  return ok;
}
#endif /* G_OS_WIN32 */
