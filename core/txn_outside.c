/* txn_outside.c - changes an install makes outside its toolkit root (the environment's
 * profile files and ld.so.conf.d, issue 6), journaled with the rest of the transaction so
 * that a rollback or the recovery after a crash undoes them too (txn.h, "edit", "extdir" and
 * "ldconfig" lines). */
#include "core/i18n.h"
#include "core/txn_private.h"

#include "core/error.h"
#include "core/filelock.h"
#include "core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "core/system.h" /* g_autoptr(json_t) */
#ifdef G_OS_WIN32
#include "platform/windows/envdefault.h"
#else
#include <unistd.h>
#endif

#ifndef O_BINARY
#define O_BINARY 0
#endif

gboolean txn_op_is_outside(TxnOp op)
{
  return op == TXN_OP_EDIT || op == TXN_OP_EXTDIR || op == TXN_OP_LDCONFIG || op == TXN_OP_WINENV;
}

gboolean txn_outside_path_ok(const char *path)
{
  if (path == NULL || !g_path_is_absolute(path))
    return FALSE;
  g_autofree char *canonical = g_canonicalize_filename(path, NULL);
  return strcmp(canonical, path) == 0;
}

/* Flush @path's content to disk: the copy must outlive a power cut before the change it
 * protects is made. */
static gboolean sync_file(const char *path)
{
  int fd = g_open(path, O_RDWR | O_BINARY, 0);
  if (fd < 0)
    return FALSE;
#ifdef G_OS_WIN32
  gboolean ok = _commit(fd) == 0;
#else
  gboolean ok = fsync(fd) == 0;
#endif
  return g_close(fd, NULL) && ok;
}

/* Copy @from to @to with its mode, owner (when we may) and times. */
static gboolean copy_file(const char *from, const char *to, GError **error)
{
  g_autoptr(GFile) src = g_file_new_for_path(from);
  g_autoptr(GFile) dst = g_file_new_for_path(to);
  g_autoptr(GError) local = NULL;
  GFileCopyFlags flags =
      G_FILE_COPY_OVERWRITE | G_FILE_COPY_ALL_METADATA | G_FILE_COPY_NOFOLLOW_SYMLINKS;
  if (!g_file_copy(src, dst, flags, NULL, NULL, NULL, &local) || !sync_file(to)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot copy %s to %s: %s"), from, to,
                local ? local->message : g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static TxnStep *file_step(CupTxn *txn, const char *path, GError **error)
{
  GStatBuf st;
  if (!txn_lstat(path, &st))
    return txn_step_new(TXN_OP_EDIT, path, NULL, NULL, 0);
  if (!S_ISREG(st.st_mode)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("%s is not a regular file; cudaup edits only plain files there"), path);
    return NULL;
  }
  g_autofree char *saved = txn_next_saved(txn);
  g_autofree char *copy = g_build_filename(txn->state, saved, NULL);
  if (!copy_file(path, copy, error))
    return NULL;
  cup_file_sync_dir(txn->state);
  return txn_step_new(TXN_OP_EDIT, path, saved, NULL, 0);
}

/* Whether @txn may still journal a change: begun, neither ended nor failed. */
static gboolean journal_open(const CupTxn *txn)
{
  return !txn->finished && !txn->committed && !txn->failed;
}

gboolean cup_txn_journal_outside(CupTxn *txn, CupTxnOutside kind, const char *path, GError **error)
{
  if (!journal_open(txn) || (kind != CUP_TXN_OUTSIDE_LDCONFIG && !txn_outside_path_ok(path))) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("cannot journal a change of %s in the transaction on %s (ended, or not an "
                  "absolute canonical path)"),
                path ? path : "ldconfig", txn->root);
    return FALSE;
  }
  const char *key = kind == CUP_TXN_OUTSIDE_LDCONFIG ? "ldconfig" : path;
  if (g_hash_table_contains(txn->outside, key))
    return TRUE;
  g_autoptr(TxnStep) step = NULL;
  if (kind == CUP_TXN_OUTSIDE_FILE)
    step = file_step(txn, path, error);
  else
    step = txn_step_new(kind == CUP_TXN_OUTSIDE_DIR ? TXN_OP_EXTDIR : TXN_OP_LDCONFIG,
                        kind == CUP_TXN_OUTSIDE_DIR ? path : NULL, NULL, NULL, 0);
  if (step == NULL || !txn_journal_step(txn, step, error))
    return FALSE;
  g_hash_table_add(txn->outside, g_strdup(key));
  return TRUE;
}

gboolean cup_txn_journal_registry(CupTxn *txn, const char *snapshot, GError **error)
{
  g_autoptr(json_t) object = json_loads(snapshot, 0, NULL);
  if (!journal_open(txn) || !json_is_object(object)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("cannot journal a registry snapshot in the transaction on %s (ended, or not a "
                  "snapshot)"),
                txn->root);
    return FALSE;
  }
  g_autoptr(TxnStep) step = txn_step_new(TXN_OP_WINENV, NULL, NULL, NULL, 0);
  step->data = g_strdup(snapshot);
  return txn_journal_step(txn, step, error);
}

/* ---- undo ---- */

static gboolean undo_error(GError **error, const char *what, const char *path, const char *why)
{
  g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
              _("cannot undo an unfinished change: cannot %s %s (%s); fix that and run cudaup "
                "again, it will finish the undo"),
              what, path, why);
  return FALSE;
}

/* Put the copy @saved back at @path by a temporary file beside it and rename(2): @path may be
 * on another file system than the copy (~/.bashrc and /opt/cuda-13.0/.cudaup). */
static gboolean restore(const char *saved, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  g_autofree char *base = g_path_get_basename(path);
  g_autofree char *tmp = g_strdup_printf("%s%c.%s.cudaup-restore", dir, G_DIR_SEPARATOR, base);
  g_autoptr(GError) local = NULL;
  /* a later change may have taken the directory away with the file */
  if (g_mkdir_with_parents(dir, 0700) != 0)
    return undo_error(error, "create", dir, g_strerror(errno));
  if (!copy_file(saved, tmp, &local)) {
    g_unlink(tmp);
    return undo_error(error, "restore", path, local->message);
  }
  if (g_rename(tmp, path) != 0) {
    int saved_errno = errno;
    g_unlink(tmp);
    return undo_error(error, "restore", path, g_strerror(saved_errno));
  }
  cup_file_sync_dir(dir);
  return TRUE;
}

gboolean txn_outside_undo(const char *state, const TxnStep *step, gboolean *ldconfig,
                          GError **error)
{
  GStatBuf st;
  switch (step->op) {
  case TXN_OP_EDIT:
    if (step->saved != NULL) {
      g_autofree char *saved = g_build_filename(state, step->saved, NULL);
      /* No copy: an earlier undo finished and removed the copies, so the file is back. */
      return !txn_lstat(saved, &st) || restore(saved, step->path, error);
    }
    if (g_unlink(step->path) != 0 && errno != ENOENT)
      return undo_error(error, "remove", step->path, g_strerror(errno));
    return TRUE;
  case TXN_OP_EXTDIR:
    /* Not empty: something that is not ours is in it (never delete that). */
    g_rmdir(step->path);
    return TRUE;
  case TXN_OP_LDCONFIG:
    *ldconfig = TRUE;
    return TRUE;
  case TXN_OP_WINENV:
#ifdef G_OS_WIN32
    return cup_winenv_snapshot_restore(step->data, error);
#else
    g_set_error_literal(error, CUP_ERROR, CUP_ERROR_UNSUPPORTED,
                        _("the install journal names Windows registry changes; finish it on "
                          "Windows"));
    return FALSE;
#endif
  default:
    g_assert_not_reached();
  }
}

void txn_outside_ldconfig(void)
{
  g_autoptr(GError) error = NULL;
  if (!cup_proc_ldconfig(&error))
    g_warning("%s; run `sudo ldconfig` by hand so the library cache forgets the undone toolkit",
              error->message);
}
