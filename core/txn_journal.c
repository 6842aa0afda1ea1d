/* txn_journal.c - the write-ahead journal of core/txn: journaling and making steps, the commit
 * point, and settling a journal (cleanup after a commit, undo without one), which serves the
 * live commit and rollback and the recovery after a crash alike. */
#include "core/i18n.h"
#include "core/txn_private.h"

#include "core/filelock.h"
#include "core/paths.h"

#include "core/error.h"
#include "core/system.h" /* g_autoptr(json_t) */

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#ifdef G_OS_WIN32
#include <io.h>
#include <process.h>
#define cup_getpid _getpid
#else
#include <unistd.h>
#define cup_getpid getpid
#endif

#ifndef O_BINARY
#define O_BINARY 0
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* Intents journaled under one fsync. Undo is idempotent, so intents may run ahead of the
 * changes they name; batching only saves fsyncs (thousands of files in a CUDA install). */
#define BATCH 128

static const char *const op_names[] = {"mkdir", "add",  "replace", "remove",   "move",
                                       "rmdir", "edit", "extdir",  "ldconfig", "winenv"};
G_STATIC_ASSERT(G_N_ELEMENTS(op_names) == TXN_OP_WINENV + 1);

TxnStep *txn_step_new(TxnOp op, const char *path, const char *saved, const char *source,
                      guint32 mode)
{
  TxnStep *step = g_new0(TxnStep, 1);
  step->op = op;
  step->path = g_strdup(path);
  step->saved = g_strdup(saved);
  step->source = g_strdup(source);
  step->mode = mode;
  return step;
}

void txn_step_free(TxnStep *step)
{
  if (step == NULL)
    return;
  g_free(step->path);
  g_free(step->saved);
  g_free(step->source);
  g_free(step->data);
  g_free(step);
}

/* ---- writing ---- */

static void append_json_line(GString *lines, json_t *object)
{
  g_autofree char *text = json_dumps(object, JSON_COMPACT);
  g_string_append(lines, text);
  g_string_append_c(lines, '\n');
}

static void append_step(GString *lines, const TxnStep *step)
{
  g_autoptr(json_t) object = json_pack("{s:s}", "op", op_names[step->op]);
  if (step->path != NULL)
    json_object_set_new(object, txn_op_is_outside(step->op) ? "file" : "path",
                        json_string(step->path));
  if (step->saved != NULL)
    json_object_set_new(object, step->op == TXN_OP_MOVE ? "from" : "saved",
                        json_string(step->saved));
  if (step->op == TXN_OP_MKDIR || step->op == TXN_OP_RMDIR)
    json_object_set_new(object, "mode", json_integer(step->mode));
  if (step->data != NULL)
    json_object_set_new(object, "snapshot", json_loads(step->data, 0, NULL));
  append_json_line(lines, object);
}

static gboolean open_journal(CupTxn *txn, GString *lines, GError **error)
{
  g_autofree char *path = g_build_filename(txn->state, TXN_JOURNAL, NULL);
  /* O_EXCL: begin settled any earlier journal, so one still there is not ours to extend. */
  txn->journal_fd =
      g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_BINARY | O_CLOEXEC, 0644);
  if (txn->journal_fd < 0)
    return txn_io_error(error, errno, txn->root, "create the install journal", path);
  g_autofree char *now = txn_now_iso8601();
  g_autoptr(json_t) begin = json_pack("{s:s,s:s,s:s,s:i,s:s}", "op", "begin", "txn", txn->id,
                                      "what", txn->what, "pid", (int)cup_getpid(), "time", now);
  GString *head = g_string_new(NULL);
  append_json_line(head, begin);
  g_string_prepend(lines, head->str);
  g_string_free(head, TRUE);
  return TRUE;
}

static gboolean journal_append(CupTxn *txn, GString *lines, GError **error)
{
  gboolean created = txn->journal_fd < 0;
  if (created && !open_journal(txn, lines, error))
    return FALSE;
  if (!txn_write_durable(txn->journal_fd, lines->str, lines->len)) {
    g_autofree char *path = g_build_filename(txn->state, TXN_JOURNAL, NULL);
    return txn_io_error(error, errno, txn->root, "write the install journal", path);
  }
  /* The journal's own name must survive a power cut as surely as its lines. */
  if (created)
    cup_file_sync_dir(txn->state);
  txn_crash_point();
  return TRUE;
}

/* Move the existing @path aside to @saved. A hard link keeps @path in place until the new
 * entry's rename replaces it atomically; where links do not work, a rename does the job. */
static gboolean save_existing(const char *root, const char *path, const char *saved, GError **error)
{
#ifndef G_OS_WIN32
  if (link(path, saved) == 0)
    return TRUE;
#endif
  if (g_rename(path, saved) != 0)
    return txn_io_error(error, errno, root, "move aside", path);
  return TRUE;
}

/* The saved copy must be on disk before the rename that replaces the only other name of the
 * original: file systems need not keep the order of changes in two directories. */
static void sync_parent(const char *path)
{
  g_autofree char *dir = g_path_get_dirname(path);
  cup_file_sync_dir(dir);
}

static gboolean make_dir(const char *root, const char *path, guint32 mode, GError **error)
{
  if (g_mkdir(path, (int)mode) == 0 || (errno == EEXIST && g_file_test(path, G_FILE_TEST_IS_DIR)))
    return TRUE;
  return txn_io_error(error, errno, root, "create the directory", path);
}

static gboolean rename_into(const char *root, const char *from, const char *to, GError **error)
{
  if (g_rename(from, to) == 0)
    return TRUE;
  return txn_io_error(error, errno, root, "move into place", to);
}

static gboolean perform(CupTxn *txn, const TxnStep *step, GError **error)
{
  g_autofree char *path = g_build_filename(txn->root, step->path, NULL);
  g_autofree char *saved =
      step->saved != NULL ? g_build_filename(txn->state, step->saved, NULL) : NULL;
  switch (step->op) {
  case TXN_OP_MKDIR:
    return make_dir(txn->root, path, step->mode, error);
  case TXN_OP_ADD:
    return rename_into(txn->root, step->source, path, error);
  case TXN_OP_REPLACE:
    if (!save_existing(txn->root, path, saved, error))
      return FALSE;
    sync_parent(saved);
    txn_crash_point();
    return rename_into(txn->root, step->source, path, error);
  case TXN_OP_REMOVE:
    if (g_rename(path, saved) != 0)
      return txn_io_error(error, errno, txn->root, "remove", path);
    return TRUE;
  case TXN_OP_MOVE:
    return rename_into(txn->root, saved, path, error);
  case TXN_OP_RMDIR:
    if (g_rmdir(path) != 0)
      return txn_io_error(error, errno, txn->root, "remove the directory", path);
    return TRUE;
  default: /* outside changes are made by the caller (txn_journal_step) */
    g_assert_not_reached();
  }
}

gboolean txn_run_steps(CupTxn *txn, GPtrArray *steps, GError **error)
{
  for (guint start = 0; start < steps->len; start += BATCH) {
    guint end = MIN(start + BATCH, steps->len);
    g_autoptr(GString) lines = g_string_new(NULL);
    for (guint i = start; i < end; i++)
      append_step(lines, g_ptr_array_index(steps, i));
    if (!journal_append(txn, lines, error))
      return FALSE;
    for (guint i = start; i < end; i++) {
      if (!perform(txn, g_ptr_array_index(steps, i), error))
        return FALSE;
      txn_crash_point();
    }
  }
  return TRUE;
}

gboolean txn_journal_step(CupTxn *txn, const TxnStep *step, GError **error)
{
  g_autoptr(GString) lines = g_string_new(NULL);
  append_step(lines, step);
  return journal_append(txn, lines, error);
}

gboolean txn_journal_commit(CupTxn *txn, GError **error)
{
  g_autoptr(json_t) keep = json_array();
  for (guint i = 0; i < txn->keep->len; i++)
    json_array_append_new(keep, json_string(g_ptr_array_index(txn->keep, i)));
  g_autoptr(json_t) commit = json_pack("{s:s,s:O}", "op", "commit", "keep", keep);
  g_autoptr(GString) lines = g_string_new(NULL);
  append_json_line(lines, commit);
  return journal_append(txn, lines, error);
}

/* ---- reading ---- */

typedef struct {
  char *id;
  char *what;
  GPtrArray *steps; /* TxnStep * */
  gboolean committed;
  GHashTable *keep; /* set of saved paths */
  gboolean trusted; /* written by this user: its changes outside the root may be undone */
} Journal;

static void journal_free(Journal *journal)
{
  g_free(journal->id);
  g_free(journal->what);
  g_ptr_array_unref(journal->steps);
  g_hash_table_unref(journal->keep);
  g_free(journal);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Journal, journal_free)

static gboolean parse_op(const char *name, TxnOp *op)
{
  for (guint i = 0; i < G_N_ELEMENTS(op_names); i++) {
    if (g_strcmp0(name, op_names[i]) == 0) {
      *op = (TxnOp)i;
      return TRUE;
    }
  }
  return FALSE;
}

/* A change outside the root, or NULL. Only a journal this user wrote may name one: undoing it
 * writes wherever it says, so one planted in a root that another user can write must not
 * make us (perhaps root) overwrite files of our own. */
static TxnStep *parse_outside(const Journal *journal, json_t *object, TxnOp op)
{
  const char *path = json_string_value(json_object_get(object, "file"));
  const char *saved = json_string_value(json_object_get(object, "saved"));
  json_t *snapshot = json_object_get(object, "snapshot");
  gboolean pathless = op == TXN_OP_LDCONFIG || op == TXN_OP_WINENV;
  if (!journal->trusted || (!pathless && !txn_outside_path_ok(path)) ||
      (op == TXN_OP_EDIT && saved != NULL && !txn_path_is_clean(saved)) ||
      (op == TXN_OP_WINENV && !json_is_object(snapshot)))
    return NULL;
  TxnStep *step =
      txn_step_new(op, pathless ? NULL : path, op == TXN_OP_EDIT ? saved : NULL, NULL, 0);
  if (op == TXN_OP_WINENV)
    step->data = json_dumps(snapshot, JSON_COMPACT);
  return step;
}

/* A step line, or NULL when it is not one we wrote (a damaged journal). */
static TxnStep *parse_step(const Journal *journal, json_t *object, const char *op_name)
{
  TxnOp op;
  if (!parse_op(op_name, &op))
    return NULL;
  if (txn_op_is_outside(op))
    return parse_outside(journal, object, op);
  const char *path = json_string_value(json_object_get(object, "path"));
  if (!txn_path_is_clean(path))
    return NULL;
  const char *saved =
      json_string_value(json_object_get(object, op == TXN_OP_MOVE ? "from" : "saved"));
  gboolean needs_saved = op == TXN_OP_REPLACE || op == TXN_OP_REMOVE || op == TXN_OP_MOVE;
  if (needs_saved && !txn_path_is_clean(saved))
    return NULL;
  guint32 mode = (guint32)json_integer_value(json_object_get(object, "mode")) & 0777;
  return txn_step_new(op, path, needs_saved ? saved : NULL, NULL, mode ? mode : 0755);
}

static gboolean parse_line(Journal *journal, json_t *object)
{
  const char *op = json_string_value(json_object_get(object, "op"));
  if (g_strcmp0(op, "begin") == 0) {
    const char *id = json_string_value(json_object_get(object, "txn"));
    if (id == NULL || !txn_path_is_clean(id) || strchr(id, '/') != NULL)
      return FALSE;
    journal->id = g_strdup(id);
    journal->what = g_strdup(json_string_value(json_object_get(object, "what")));
    return TRUE;
  }
  if (g_strcmp0(op, "commit") == 0) {
    journal->committed = TRUE;
    json_t *keep = json_object_get(object, "keep");
    for (gsize i = 0; i < json_array_size(keep); i++) {
      const char *saved = json_string_value(json_array_get(keep, i));
      if (saved != NULL)
        g_hash_table_add(journal->keep, g_strdup(saved));
    }
    return TRUE;
  }
  TxnStep *step = parse_step(journal, object, op);
  if (step == NULL)
    return FALSE;
  g_ptr_array_add(journal->steps, step);
  return TRUE;
}

static Journal *journal_read(const char *path, gboolean trusted, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, NULL, &local)) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, _("cannot read %s: %s"), path, local->message);
    return NULL;
  }
  g_autoptr(Journal) journal = g_new0(Journal, 1);
  journal->steps = g_ptr_array_new_with_free_func((GDestroyNotify)txn_step_free);
  journal->keep = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  journal->trusted = trusted;
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  /* The piece after the last newline is empty, or a line cut by the crash whose steps were
   * never made (each change waits for its line's fsync): both are ignored. */
  guint n = g_strv_length(lines);
  for (guint i = 0; i + 1 < n; i++) {
    g_autoptr(json_t) object = json_loads(lines[i], 0, NULL);
    gboolean begin = g_strcmp0(json_string_value(json_object_get(object, "op")), "begin") == 0;
    if (!json_is_object(object) || begin != (i == 0) || !parse_line(journal, object)) {
      g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                  _("line %u of the install journal %s is damaged, so cudaup cannot tell what to "
                    "undo; check the files it names by hand, then delete it"),
                  i + 1, path);
      return NULL;
    }
  }
  return g_steal_pointer(&journal);
}

/* ---- settling ---- */

static gboolean undo_failed(GError **error, const char *root, const char *what, const char *path)
{
  int saved = errno;
  txn_io_error(error, saved, root, what, path);
  g_prefix_error(error, _("cannot undo an unfinished change: "));
  return FALSE;
}

/* Put the saved @saved back at @path; also when it is a hard link of @path already (rename(2)
 * then does nothing, so the link is removed). */
static gboolean undo_save(const char *root, const char *path, const char *saved, GError **error)
{
  GStatBuf st;
  if (!txn_lstat(saved, &st))
    return TRUE;
  if (g_rename(saved, path) != 0)
    return undo_failed(error, root, "restore", path);
  if (txn_lstat(saved, &st) && g_unlink(saved) != 0)
    return undo_failed(error, root, "remove", saved);
  return TRUE;
}

static gboolean undo_move(const char *root, const char *path, const char *from, GError **error)
{
  GStatBuf st;
  if (txn_lstat(from, &st) || !txn_lstat(path, &st))
    return TRUE;
  g_autofree char *dir = g_path_get_dirname(from);
  g_mkdir_with_parents(dir, 0755);
  if (g_rename(path, from) != 0)
    return undo_failed(error, root, "put back", path);
  return TRUE;
}

static gboolean undo_step(const char *root, const char *state, const TxnStep *step,
                          gboolean *ldconfig, GError **error)
{
  if (txn_op_is_outside(step->op))
    return txn_outside_undo(state, step, ldconfig, error);
  g_autofree char *path = g_build_filename(root, step->path, NULL);
  g_autofree char *saved = step->saved ? g_build_filename(state, step->saved, NULL) : NULL;
  GStatBuf st;
  switch (step->op) {
  case TXN_OP_MKDIR:
    /* Not empty: something that is not ours is in it (never delete that). */
    if (g_rmdir(path) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST &&
        errno != ENOTDIR)
      return undo_failed(error, root, "remove the directory", path);
    return TRUE;
  case TXN_OP_ADD:
    if (txn_lstat(path, &st) && !S_ISDIR(st.st_mode) && g_unlink(path) != 0)
      return undo_failed(error, root, "remove", path);
    return TRUE;
  case TXN_OP_REPLACE:
  case TXN_OP_REMOVE:
    return undo_save(root, path, saved, error);
  case TXN_OP_MOVE:
    return undo_move(root, path, saved, error);
  case TXN_OP_RMDIR:
    return make_dir(root, path, step->mode, error);
  default:
    g_assert_not_reached();
  }
}

static gboolean undo_all(const char *root, const char *state, const Journal *journal,
                         GError **error)
{
  gboolean ldconfig = FALSE;
  for (guint i = journal->steps->len; i-- > 0;) {
    if (!undo_step(root, state, g_ptr_array_index(journal->steps, i), &ldconfig, error))
      return FALSE;
    txn_crash_point();
  }
  if (ldconfig)
    txn_outside_ldconfig();
  /* The journal may go only once the restored state is on disk. */
  txn_sync_filesystem(root);
  return TRUE;
}

/* After the commit: delete the backups that are not originals kept for uninstall. */
static void finish_committed(const char *state, const Journal *journal)
{
  for (guint i = 0; i < journal->steps->len; i++) {
    const TxnStep *step = g_ptr_array_index(journal->steps, i);
    if (step->saved == NULL ||
        (step->op != TXN_OP_REPLACE && step->op != TXN_OP_REMOVE && step->op != TXN_OP_EDIT))
      continue;
    if (g_hash_table_contains(journal->keep, step->saved))
      continue;
    g_autofree char *saved = g_build_filename(state, step->saved, NULL);
    GStatBuf st;
    if (txn_lstat(saved, &st) && g_unlink(saved) == 0)
      txn_crash_point();
  }
}

/* Staging directories of dead transactions, and saved/ directories left empty. */
static void remove_leftovers(const char *state)
{
  g_autofree char *staging = g_build_filename(state, TXN_STAGING, NULL);
  cup_remove_tree(staging);
  g_autofree char *saved = g_build_filename(state, TXN_SAVED, NULL);
  g_autoptr(GDir) dir = g_dir_open(saved, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *child = g_build_filename(saved, name, NULL);
    g_rmdir(child);
  }
}

static char *describe(const char *root, const Journal *journal)
{
  const char *what = journal->what != NULL ? journal->what : "change";
  if (journal->committed)
    return g_strdup_printf("finished an interrupted %s in %s (it had committed)", what, root);
  guint n = journal->steps->len;
  return g_strdup_printf("recovered an interrupted %s in %s: undid %u change%s, it is as it was "
                         "before",
                         what, root, n, n == 1 ? "" : "s");
}

static gboolean written_by_us(const char *path)
{
#ifdef G_OS_WIN32
  (void)path;
  return TRUE; /* the state directory's ACL, inherited from the root, decides who writes it */
#else
  GStatBuf st;
  return g_stat(path, &st) == 0 && st.st_uid == geteuid();
#endif
}

gboolean txn_journal_settle(const char *root, const char *state, char **message, GError **error)
{
  g_autofree char *path = g_build_filename(state, TXN_JOURNAL, NULL);
  if (message != NULL)
    *message = NULL;
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    remove_leftovers(state);
    return TRUE;
  }
  g_autoptr(Journal) journal = journal_read(path, written_by_us(path), error);
  if (journal == NULL)
    return FALSE;
  if (journal->committed)
    finish_committed(state, journal);
  else if (!undo_all(root, state, journal, error))
    return FALSE;
  if (journal->id != NULL && !journal->committed) {
    g_autofree char *saved = g_build_filename(state, TXN_SAVED, journal->id, NULL);
    cup_remove_tree(saved);
  }
  remove_leftovers(state);
  if (g_unlink(path) != 0)
    return txn_io_error(error, errno, root, "remove", path);
  cup_file_sync_dir(state);
  txn_crash_point();
  if (message != NULL)
    *message = describe(root, journal);
  return TRUE;
}
