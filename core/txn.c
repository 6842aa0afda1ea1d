/* txn.c - a transaction on a toolkit root: begin (lock and recover), apply staged entries,
 * commit with the install records, rollback, and recovery on its own. */
#include "core/i18n.h"
#include "core/txn_private.h"

#include "core/digest.h"
#include "core/error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifndef G_OS_WIN32
#include <unistd.h>
#endif

/* ---- begin and end ---- */

static CupTxn *txn_new(const char *root, const char *what)
{
  CupTxn *txn = g_new0(CupTxn, 1);
  txn->root = g_strdup(root);
  txn->state = g_build_filename(root, CUP_TXN_STATE_DIR, NULL);
  txn->id = txn_new_id();
  txn->what = g_strdup(what != NULL ? what : "change");
  txn->lock_fd = -1;
  txn->journal_fd = -1;
  txn->records = g_ptr_array_new_with_free_func((GDestroyNotify)txn_record_free);
  txn->keep = g_ptr_array_new_with_free_func(g_free);
  txn->written = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  txn->outside = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return txn;
}

CupTxn *cup_txn_begin(const char *root, const char *what, guint lock_wait_ms, char **recovered,
                      GError **error)
{
  if (recovered != NULL)
    *recovered = NULL;
  gboolean existed = g_file_test(root, G_FILE_TEST_IS_DIR);
  if (!existed && g_mkdir_with_parents(root, 0755) != 0) {
    txn_io_error(error, errno, root, "create", root);
    return NULL;
  }
  g_autoptr(CupTxn) txn = txn_new(root, what);
  txn->root_created = !existed;
  txn->finished = TRUE; /* nothing to roll back until the lock is ours */
  txn->lock_fd = txn_lock_acquire(root, txn->state, lock_wait_ms, error);
  if (txn->lock_fd < 0 || !txn_journal_settle(root, txn->state, recovered, error))
    return NULL;
  txn->staging = g_build_filename(txn->state, TXN_STAGING, txn->id, NULL);
  if (g_mkdir_with_parents(txn->staging, 0755) != 0) {
    txn_io_error(error, errno, root, "create", txn->staging);
    if (recovered != NULL)
      g_clear_pointer(recovered, g_free);
    return NULL;
  }
  txn->finished = FALSE;
  return g_steal_pointer(&txn);
}

const char *cup_txn_root(const CupTxn *txn)
{
  return txn->root;
}

const char *cup_txn_staging_dir(const CupTxn *txn)
{
  return txn->staging;
}

gboolean cup_txn_rollback(CupTxn *txn, GError **error)
{
  if (txn->committed) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL,
                _("the transaction on %s has committed; it cannot be rolled back"), txn->root);
    return FALSE;
  }
  if (txn->finished)
    return TRUE;
  txn->finished = TRUE;
  if (txn->journal_fd >= 0) {
    g_close(txn->journal_fd, NULL);
    txn->journal_fd = -1;
  }
  return txn_journal_settle(txn->root, txn->state, NULL, error);
}

void cup_txn_free(CupTxn *txn)
{
  if (txn == NULL)
    return;
  if (!txn->finished) {
    g_autoptr(GError) error = NULL;
    if (!cup_txn_rollback(txn, &error))
      g_warning("%s; the next cudaup run on %s will try again", error->message, txn->root);
  }
  if (txn->journal_fd >= 0)
    g_close(txn->journal_fd, NULL);
  if (txn->lock_fd >= 0) {
    /* A root left with no record keeps nothing of cudaup's, not even the state directory. */
    g_autofree char *journal = g_build_filename(txn->state, TXN_JOURNAL, NULL);
    if (!g_file_test(journal, G_FILE_TEST_EXISTS))
      txn_lock_remove_state(txn->state);
    txn_lock_release(txn->lock_fd);
  }
  if (txn->root_created && !txn->committed)
    g_rmdir(txn->root);
  g_free(txn->root);
  g_free(txn->state);
  g_free(txn->id);
  g_free(txn->what);
  g_free(txn->staging);
  g_ptr_array_unref(txn->records);
  g_ptr_array_unref(txn->keep);
  g_hash_table_unref(txn->written);
  g_hash_table_unref(txn->outside);
  g_free(txn);
}

gboolean cup_txn_recover(const char *root, guint lock_wait_ms, char **recovered, GError **error)
{
  if (recovered != NULL)
    *recovered = NULL;
  g_autofree char *state = g_build_filename(root, CUP_TXN_STATE_DIR, NULL);
  g_autofree char *journal = g_build_filename(state, TXN_JOURNAL, NULL);
  /* Without a journal there is nothing to recover, and no lock to take: a read-only command
   * by a user who may not write the root must not fail here. */
  if (!g_file_test(journal, G_FILE_TEST_EXISTS))
    return TRUE;
  int fd = txn_lock_acquire(root, state, lock_wait_ms, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = txn_journal_settle(root, state, recovered, error);
  if (ok)
    txn_lock_remove_state(state);
  txn_lock_release(fd);
  return ok;
}

/* ---- apply: checking entries ---- */

static gboolean unsafe(GError **error, const CupTxnEntry *entry, const char *why)
{
  g_set_error(error, CUP_ERROR, CUP_ERROR_INTEGRITY,
              _("unsafe entry %s: %s; nothing was installed"),
              entry->path != NULL ? entry->path : "(no name)", why);
  return FALSE;
}

static gboolean check_entry(const CupTxnEntry *entry, GError **error)
{
  if (!txn_path_is_clean(entry->path))
    return unsafe(error, entry, "not a plain relative path");
  if (strcmp(entry->path, CUP_TXN_STATE_DIR) == 0 ||
      g_str_has_prefix(entry->path, CUP_TXN_STATE_DIR "/"))
    return unsafe(error, entry, "it would write into cudaup's own " CUP_TXN_STATE_DIR "/");
  if (entry->type == CUP_TXN_ENTRY_FILE &&
      (entry->sha256 == NULL || !cup_sha256_is_hex(entry->sha256)))
    return unsafe(error, entry, "no sha256");
  if (entry->type == CUP_TXN_ENTRY_SYMLINK &&
      !txn_link_stays_inside(entry->path, entry->link_target))
    return unsafe(error, entry, "a symlink that leads outside the tree");
  return TRUE;
}

/* ---- apply: planning ---- */

typedef struct {
  CupTxn *txn;
  TxnRecord *record;
  const char *staging;
  GPtrArray *steps;  /* TxnStep * */
  GHashTable *dirs;  /* directories checked or planned by this apply */
  GHashTable *paths; /* files and symlinks of this apply */
  GCancellable *cancellable;
} Plan;

static gboolean conflict(GError **error, const char *root, const char *path, const char *what)
{
  g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
              _("cannot install into %s: %s/%s %s; move it away or choose --prefix DIR"), root,
              root, path, what);
  return FALSE;
}

static char *resolve(const char *path)
{
#ifdef G_OS_WIN32
  return g_canonicalize_filename(path, NULL);
#else
  char *real = realpath(path, NULL);
  char *copy = g_strdup(real);
  free(real);
  return copy;
#endif
}

/* A directory of the root that is a symlink may be followed when it leads to a directory
 * inside the root (NVIDIA's lib64 -> targets/x86_64-linux/lib); else files would land
 * outside the tree that the install record describes. */
static gboolean symlinked_dir_ok(const char *root, const char *path)
{
  g_autofree char *full = g_build_filename(root, path, NULL);
  g_autofree char *real_root = resolve(root);
  g_autofree char *real = resolve(full);
  if (real_root == NULL || real == NULL || !g_file_test(real, G_FILE_TEST_IS_DIR))
    return FALSE;
  g_autofree char *prefix = g_strconcat(real_root, G_DIR_SEPARATOR_S, NULL);
  return g_str_has_prefix(real, prefix);
}

static gboolean plan_dir(Plan *plan, const char *path, guint32 mode, GError **error)
{
  const char *root = plan->txn->root;
  if (g_hash_table_contains(plan->dirs, path))
    return TRUE;
  if (g_hash_table_contains(plan->paths, path))
    return conflict(error, root, path, "is both a file and a directory in the archive");
  g_hash_table_add(plan->dirs, g_strdup(path));
  g_autofree char *full = g_build_filename(root, path, NULL);
  GStatBuf st;
  if (!txn_lstat(full, &st)) {
    g_ptr_array_add(plan->steps,
                    txn_step_new(TXN_OP_MKDIR, path, NULL, NULL, (mode & 0755) | 0700));
    g_hash_table_add(plan->record->dirs, g_strdup(path));
    return TRUE;
  }
  if (S_ISDIR(st.st_mode))
    return TRUE;
  if (S_ISLNK(st.st_mode) && symlinked_dir_ok(root, path))
    return TRUE;
  if (S_ISLNK(st.st_mode))
    return conflict(error, root, path, "is a symlink that does not lead to a directory inside it");
  return conflict(error, root, path, "is a file where the archive has a directory");
}

static gboolean plan_parents(Plan *plan, const char *path, GError **error)
{
  g_autofree char *parent = g_strdup(path);
  for (char *slash = strchr(parent, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    gboolean ok = plan_dir(plan, parent, 0755, error);
    *slash = '/';
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

/* Whether the existing @full (of @st) is already what @entry would put there. */
static gboolean identical(const char *full, const GStatBuf *st, const CupTxnEntry *entry,
                          GCancellable *cancellable, GError **error)
{
  if (entry->type == CUP_TXN_ENTRY_SYMLINK) {
    g_autofree char *target = S_ISLNK(st->st_mode) ? g_file_read_link(full, NULL) : NULL;
    return g_strcmp0(target, entry->link_target) == 0;
  }
  if (!S_ISREG(st->st_mode) || (guint64)st->st_size != entry->size)
    return FALSE;
  guint64 size = 0;
  g_autofree char *sha = cup_sha256_file(full, entry->size, &size, cancellable, error);
  return sha != NULL && size == entry->size && strcmp(sha, entry->sha256) == 0;
}

static gboolean check_staged(const Plan *plan, const CupTxnEntry *entry, GError **error)
{
  g_autofree char *source = g_build_filename(plan->staging, entry->path, NULL);
  GStatBuf st;
  gboolean ok = txn_lstat(source, &st) &&
                (entry->type == CUP_TXN_ENTRY_FILE ? S_ISREG(st.st_mode) : S_ISLNK(st.st_mode));
  if (!ok)
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO,
                _("the staged %s is missing from %s; nothing was installed"), entry->path,
                plan->staging);
  return ok;
}

char *txn_next_saved(CupTxn *txn)
{
  g_autofree char *dir = g_build_filename(txn->state, TXN_SAVED, txn->id, NULL);
  g_mkdir_with_parents(dir, 0700);
  return g_strdup_printf(TXN_SAVED "/%s/%u", txn->id, txn->n_saved++);
}

/* Plan replacing the existing @entry->path; the old one is an original to keep for uninstall
 * unless cudaup wrote it (this transaction, or the package's earlier install). */
static void plan_replace(Plan *plan, const CupTxnEntry *entry, const char *source)
{
  CupTxn *txn = plan->txn;
  g_autofree char *saved = txn_next_saved(txn);
  gboolean ours = g_hash_table_contains(txn->written, entry->path) ||
                  g_hash_table_contains(plan->record->paths, entry->path);
  if (!ours && !g_hash_table_contains(plan->record->replaced, entry->path)) {
    g_hash_table_replace(plan->record->replaced, g_strdup(entry->path), g_strdup(saved));
    g_ptr_array_add(txn->keep, g_strdup(saved));
  }
  g_ptr_array_add(plan->steps, txn_step_new(TXN_OP_REPLACE, entry->path, saved, source, 0));
}

static void own(Plan *plan, const CupTxnEntry *entry)
{
  g_hash_table_replace(plan->record->paths, g_strdup(entry->path),
                       cup_txn_entry_new(entry->type, entry->path, entry->mode, entry->sha256,
                                         entry->size, entry->link_target));
  g_hash_table_add(plan->txn->written, g_strdup(entry->path));
}

static gboolean plan_entry(Plan *plan, const CupTxnEntry *entry, GError **error)
{
  const char *root = plan->txn->root;
  if (!plan_parents(plan, entry->path, error))
    return FALSE;
  if (entry->type == CUP_TXN_ENTRY_DIR)
    return plan_dir(plan, entry->path, entry->mode, error);
  if (g_hash_table_contains(plan->paths, entry->path) ||
      g_hash_table_contains(plan->dirs, entry->path))
    return unsafe(error, entry, "it is in the archive twice");
  g_hash_table_add(plan->paths, g_strdup(entry->path));
  if (!check_staged(plan, entry, error))
    return FALSE;
  g_autofree char *source = g_build_filename(plan->staging, entry->path, NULL);
  g_autofree char *full = g_build_filename(root, entry->path, NULL);
  GStatBuf st;
  if (!txn_lstat(full, &st)) {
    g_ptr_array_add(plan->steps, txn_step_new(TXN_OP_ADD, entry->path, NULL, source, 0));
  } else if (S_ISDIR(st.st_mode)) {
    return conflict(error, root, entry->path, "is a directory where the archive has a file");
  } else {
    g_autoptr(GError) local = NULL;
    if (identical(full, &st, entry, plan->cancellable, &local)) {
      /* Someone else's identical file stays theirs; cudaup's stays cudaup's. */
      if (g_hash_table_contains(plan->txn->written, entry->path) ||
          g_hash_table_contains(plan->record->paths, entry->path))
        own(plan, entry);
      return TRUE;
    }
    if (g_error_matches(local, CUP_ERROR, CUP_ERROR_CANCELLED)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return FALSE;
    }
    plan_replace(plan, entry, source);
  }
  own(plan, entry);
  return TRUE;
}

/* ---- apply ---- */

static gboolean usable(CupTxn *txn, GError **error)
{
  if (!txn->failed && !txn->finished && !txn->committed)
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL,
              _("the transaction on %s has %s; start a new one"), txn->root,
              txn->failed ? "failed" : "ended");
  return FALSE;
}

static void add_archives(TxnRecord *record, const char *const *archives)
{
  for (guint i = 0; archives != NULL && archives[i] != NULL; i++) {
    if (!g_ptr_array_find_with_equal_func(record->archives, archives[i], g_str_equal, NULL))
      g_ptr_array_add(record->archives, g_strdup(archives[i]));
  }
}

/* The record @package goes into: one of this transaction's, else the installed one, else new. */
static TxnRecord *record_for(CupTxn *txn, const CupTxnPackage *package, GError **error)
{
  TxnRecord *record = NULL;
  for (guint i = 0; i < txn->records->len && record == NULL; i++) {
    TxnRecord *candidate = g_ptr_array_index(txn->records, i);
    if (strcmp(candidate->name, package->name) == 0)
      record = candidate;
  }
  if (record == NULL) {
    g_autoptr(GError) local = NULL;
    record = txn_record_load(txn->state, package->name, &local);
    if (record == NULL && !g_error_matches(local, CUP_ERROR, CUP_ERROR_NOT_FOUND)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return NULL;
    }
    if (record == NULL)
      record = txn_record_new(package->name);
    g_ptr_array_add(txn->records, record);
  }
  g_free(record->component);
  record->component = g_strdup(package->component);
  g_free(record->version);
  record->version = g_strdup(package->version);
  add_archives(record, package->archives);
  return record;
}

gboolean cup_txn_apply(CupTxn *txn, const CupTxnPackage *package, const char *staging,
                       const GPtrArray *entries, GCancellable *cancellable, GError **error)
{
  if (!usable(txn, error))
    return FALSE;
  if (!txn_record_name_valid(package->name)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_INTERNAL, _("bad install record name \"%s\""),
                package->name);
    return FALSE;
  }
  for (guint i = 0; i < entries->len; i++) {
    if (!check_entry(g_ptr_array_index(entries, i), error))
      return FALSE;
  }
  TxnRecord *record = record_for(txn, package, error);
  if (record == NULL)
    return FALSE;
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func((GDestroyNotify)txn_step_free);
  g_autoptr(GHashTable) dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  Plan plan = {txn, record, staging, steps, dirs, paths, cancellable};
  txn->failed = TRUE; /* until every step is made */
  for (guint i = 0; i < entries->len; i++) {
    if (!plan_entry(&plan, g_ptr_array_index(entries, i), error))
      return FALSE;
  }
  if (!txn_run_steps(txn, steps, error))
    return FALSE;
  txn->failed = FALSE;
  return TRUE;
}

/* ---- commit ---- */

static gboolean plan_record(CupTxn *txn, TxnRecord *record, const char *dir, GPtrArray *steps,
                            GError **error)
{
  g_free(record->installed_at);
  record->installed_at = txn_now_iso8601();
  g_free(record->txn);
  record->txn = g_strdup(txn->id);
  g_autofree char *text = txn_record_to_text(record);
  g_autofree char *file = g_strconcat(record->name, ".json", NULL);
  g_autofree char *source = g_build_filename(dir, file, NULL);
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents_full(source, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, &local)) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOSPC))
      return txn_io_error(error, ENOSPC, txn->root, "write", source);
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot write %s: %s"), source, local->message);
    return FALSE;
  }
  g_autofree char *path = g_strjoin("/", CUP_TXN_STATE_DIR, TXN_INSTALLS, file, NULL);
  g_autofree char *target = txn_record_path(txn->state, record->name);
  if (g_file_test(target, G_FILE_TEST_EXISTS)) {
    g_autofree char *saved = txn_next_saved(txn);
    g_ptr_array_add(steps, txn_step_new(TXN_OP_REPLACE, path, saved, source, 0));
  } else {
    g_ptr_array_add(steps, txn_step_new(TXN_OP_ADD, path, NULL, source, 0));
  }
  return TRUE;
}

static gboolean write_records(CupTxn *txn, GError **error)
{
  g_autofree char *installs = g_build_filename(txn->state, TXN_INSTALLS, NULL);
  g_autofree char *name = g_strconcat(txn->id, "-records", NULL);
  g_autofree char *dir = g_build_filename(txn->state, TXN_STAGING, name, NULL);
  if (g_mkdir_with_parents(installs, 0755) != 0)
    return txn_io_error(error, errno, txn->root, "create", installs);
  if (g_mkdir_with_parents(dir, 0755) != 0)
    return txn_io_error(error, errno, txn->root, "create", dir);
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func((GDestroyNotify)txn_step_free);
  for (guint i = 0; i < txn->records->len; i++) {
    if (!plan_record(txn, g_ptr_array_index(txn->records, i), dir, steps, error))
      return FALSE;
  }
  return txn_run_steps(txn, steps, error);
}

gboolean cup_txn_commit(CupTxn *txn, GError **error)
{
  if (!usable(txn, error))
    return FALSE;
  txn->failed = TRUE; /* until the commit line is on disk */
  if (txn->records->len > 0 && !write_records(txn, error))
    return FALSE;
  if (txn->journal_fd >= 0) {
    /* Every rename must be on disk before the line that says they all happened. */
    txn_sync_filesystem(txn->root);
    if (!txn_journal_commit(txn, error))
      return FALSE;
    g_close(txn->journal_fd, NULL);
    txn->journal_fd = -1;
  }
  txn->failed = FALSE;
  txn->committed = TRUE;
  txn->finished = TRUE;
  g_autoptr(GError) local = NULL;
  if (!txn_journal_settle(txn->root, txn->state, NULL, &local))
    g_warning("%s; the next cudaup run on %s will finish the cleanup", local->message, txn->root);
  return TRUE;
}
