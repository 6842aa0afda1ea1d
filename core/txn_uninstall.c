/* txn_uninstall.c - taking an install back from its record, as one journaled transaction. */
#include "core/i18n.h"
#include "core/txn_private.h"

#include "core/digest.h"
#include "core/error.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
  CupTxn *txn;
  TxnRecord *record;
  CupTxnUninstallReport *report;
  GPtrArray *steps; /* TxnStep * */
  GHashTable *gone; /* paths that will not exist once the steps are made */
} Undo;

void cup_txn_uninstall_report_free(CupTxnUninstallReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref(report->removed);
  g_ptr_array_unref(report->restored);
  g_ptr_array_unref(report->kept);
  g_ptr_array_unref(report->missing);
  g_free(report->recovered);
  g_free(report);
}

static CupTxnUninstallReport *report_new(void)
{
  CupTxnUninstallReport *report = g_new0(CupTxnUninstallReport, 1);
  report->removed = g_ptr_array_new_with_free_func(g_free);
  report->restored = g_ptr_array_new_with_free_func(g_free);
  report->kept = g_ptr_array_new_with_free_func(g_free);
  report->missing = g_ptr_array_new_with_free_func(g_free);
  return report;
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of @table (owned by it), sorted; @reverse puts children before their parents. */
static GPtrArray *sorted_keys(GHashTable *table, gboolean reverse)
{
  GPtrArray *keys = g_ptr_array_new();
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init(&iter, table);
  while (g_hash_table_iter_next(&iter, &key, NULL))
    g_ptr_array_add(keys, key);
  g_ptr_array_sort(keys, compare_strings);
  for (guint i = 0; reverse && i < keys->len / 2; i++) {
    gpointer swap = keys->pdata[i];
    keys->pdata[i] = keys->pdata[keys->len - 1 - i];
    keys->pdata[keys->len - 1 - i] = swap;
  }
  return keys;
}

static void plan_remove(Undo *undo, const char *path)
{
  CupTxn *txn = undo->txn;
  g_autofree char *saved = txn_next_saved(txn);
  g_ptr_array_add(undo->steps, txn_step_new(TXN_OP_REMOVE, path, saved, NULL, 0));
  g_hash_table_add(undo->gone, g_strdup(path));
}

/* Whether the entry at @full is still the one cudaup wrote. */
static gboolean unchanged(const char *full, const GStatBuf *st, const CupTxnEntry *entry)
{
  if (entry->type == CUP_TXN_ENTRY_SYMLINK) {
    g_autofree char *target = S_ISLNK(st->st_mode) ? g_file_read_link(full, NULL) : NULL;
    return g_strcmp0(target, entry->link_target) == 0;
  }
  if (!S_ISREG(st->st_mode) || (guint64)st->st_size != entry->size)
    return FALSE;
  guint64 size = 0;
  g_autofree char *sha = cup_sha256_file(full, entry->size, &size, NULL, NULL);
  return sha != NULL && size == entry->size && strcmp(sha, entry->sha256) == 0;
}

static void plan_paths(Undo *undo)
{
  g_autoptr(GPtrArray) paths = sorted_keys(undo->record->paths, FALSE);
  for (guint i = 0; i < paths->len; i++) {
    const char *path = g_ptr_array_index(paths, i);
    g_autofree char *full = g_build_filename(undo->txn->root, path, NULL);
    GStatBuf st;
    if (!txn_lstat(full, &st)) {
      g_ptr_array_add(undo->report->missing, g_strdup(path));
      g_hash_table_add(undo->gone, g_strdup(path));
    } else if (unchanged(full, &st, g_hash_table_lookup(undo->record->paths, path))) {
      plan_remove(undo, path);
      g_ptr_array_add(undo->report->removed, g_strdup(path));
    } else {
      g_ptr_array_add(undo->report->kept, g_strdup(path));
    }
  }
}

/* Originals go back where cudaup's file was removed (or the user removed it); where the user
 * changed cudaup's file, theirs stays and the original stays saved. */
static void plan_restores(Undo *undo)
{
  g_autoptr(GPtrArray) paths = sorted_keys(undo->record->replaced, FALSE);
  for (guint i = 0; i < paths->len; i++) {
    const char *path = g_ptr_array_index(paths, i);
    const char *saved = g_hash_table_lookup(undo->record->replaced, path);
    g_autofree char *full = g_build_filename(undo->txn->state, saved, NULL);
    GStatBuf st;
    if (!g_hash_table_contains(undo->gone, path) || !txn_lstat(full, &st)) {
      g_message("the original of %s/%s stays at %s", undo->txn->root, path, full);
      continue;
    }
    g_ptr_array_add(undo->steps, txn_step_new(TXN_OP_MOVE, path, saved, NULL, 0));
    g_hash_table_remove(undo->gone, path);
    g_ptr_array_add(undo->report->restored, g_strdup(path));
  }
}

/* Whether the directory @path holds nothing once the planned removals are made. */
static gboolean will_be_empty(const Undo *undo, const char *path)
{
  g_autofree char *full = g_build_filename(undo->txn->root, path, NULL);
  g_autoptr(GDir) dir = g_dir_open(full, 0, NULL);
  if (dir == NULL)
    return FALSE;
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *child = g_strconcat(path, "/", name, NULL);
    if (!g_hash_table_contains(undo->gone, child))
      return FALSE;
  }
  return TRUE;
}

static void plan_dirs(Undo *undo)
{
  g_autoptr(GPtrArray) dirs = sorted_keys(undo->record->dirs, TRUE);
  for (guint i = 0; i < dirs->len; i++) {
    const char *path = g_ptr_array_index(dirs, i);
    g_autofree char *full = g_build_filename(undo->txn->root, path, NULL);
    GStatBuf st;
    /* A directory the user replaced by a symlink or a file is not ours any more. */
    if (!txn_lstat(full, &st) || !S_ISDIR(st.st_mode) || !will_be_empty(undo, path))
      continue;
    g_ptr_array_add(undo->steps, txn_step_new(TXN_OP_RMDIR, path, NULL, NULL, st.st_mode & 0777));
    g_hash_table_add(undo->gone, g_strdup(path));
    g_ptr_array_add(undo->report->removed, g_strdup(path));
  }
}

static gboolean uninstall_in(CupTxn *txn, const char *name, CupTxnUninstallReport *report,
                             GError **error)
{
  g_autoptr(TxnRecord) record = txn_record_load(txn->state, name, error);
  if (record == NULL)
    return FALSE;
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func((GDestroyNotify)txn_step_free);
  g_autoptr(GHashTable) gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  Undo undo = {txn, record, report, steps, gone};
  plan_paths(&undo);
  plan_restores(&undo);
  plan_dirs(&undo);
  g_autofree char *file = g_strconcat(name, ".json", NULL);
  g_autofree char *record_path = g_strjoin("/", CUP_TXN_STATE_DIR, TXN_INSTALLS, file, NULL);
  plan_remove(&undo, record_path);
  txn->failed = TRUE; /* until every step is made */
  if (!txn_run_steps(txn, steps, error))
    return FALSE;
  txn->failed = FALSE;
  return cup_txn_commit(txn, error);
}

gboolean cup_txn_uninstall(const char *root, const char *name, guint lock_wait_ms,
                           CupTxnUninstallReport **report, GError **error)
{
  if (report != NULL)
    *report = NULL;
  g_autofree char *state = g_build_filename(root, CUP_TXN_STATE_DIR, NULL);
  g_autofree char *record = txn_record_path(state, name);
  if (!txn_record_name_valid(name) || !g_file_test(record, G_FILE_TEST_EXISTS)) {
    /* Checked before the lock too, so that a mistyped name creates nothing in @root. */
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("%s is not installed in %s: cudaup has no install record %s"), name, root,
                record);
    return FALSE;
  }
  g_autofree char *what = g_strconcat("uninstall of ", name, NULL);
  g_autoptr(CupTxnUninstallReport) done = report_new();
  g_autoptr(CupTxn) txn = cup_txn_begin(root, what, lock_wait_ms, &done->recovered, error);
  if (txn == NULL)
    return FALSE;
  if (done->recovered != NULL)
    g_message("%s", done->recovered);
  if (!uninstall_in(txn, name, done, error))
    return FALSE;
  if (report != NULL)
    *report = g_steal_pointer(&done);
  return TRUE;
}
