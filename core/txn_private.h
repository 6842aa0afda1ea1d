/* txn_private.h - what the parts of core/txn share: the transaction, its journaled steps,
 * install records in memory, and file-system helpers. Not for use outside core/txn*.c. */
#pragma once

#include "core/txn.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#ifndef S_ISLNK
#define S_ISLNK(mode) 0 /* no symlinks in this C runtime's stat */
#endif

G_BEGIN_DECLS

#define TXN_JOURNAL "journal"
#define TXN_LOCK "lock"
#define TXN_STAGING "staging"
#define TXN_SAVED "saved"
#define TXN_INSTALLS "installs"

/* One journaled change (see the journal format in txn.h). */
typedef enum {
  TXN_OP_MKDIR,
  TXN_OP_ADD,
  TXN_OP_REPLACE,
  TXN_OP_REMOVE,
  TXN_OP_MOVE,
  TXN_OP_RMDIR,
  /* Changes made outside the root by the caller (txn_outside.c); their path is absolute. */
  TXN_OP_EDIT,     /* a file edited, created or deleted; saved: its old copy, NULL: it was absent */
  TXN_OP_EXTDIR,   /* a directory created */
  TXN_OP_LDCONFIG, /* ldconfig ran: run it again after undoing the rest */
  TXN_OP_WINENV,   /* the Windows registry's environment about to change; data: its snapshot */
} TxnOp;

typedef struct {
  TxnOp op;
  char *path;   /* relative to the root (edit, extdir: absolute) */
  char *saved;  /* replace, remove: where the old entry goes; move: where it comes from;
                 * relative to the state directory */
  char *source; /* add, replace: the absolute path of the new entry (not journaled) */
  guint32 mode; /* mkdir, rmdir */
  char *data;   /* winenv: the snapshot's JSON text */
} TxnStep;

TxnStep *txn_step_new(TxnOp op, const char *path, const char *saved, const char *source,
                      guint32 mode);
void txn_step_free(TxnStep *step);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TxnStep, txn_step_free)

/* An install record in memory (the JSON form is in txn.h). */
typedef struct {
  char *name;
  char *component;
  char *version;
  char *installed_at;
  char *txn;
  GPtrArray *archives;  /* char * */
  GHashTable *paths;    /* path -> CupTxnEntry * (files and symlinks cudaup wrote) */
  GHashTable *dirs;     /* set of directories cudaup created */
  GHashTable *replaced; /* path -> saved (relative to the state directory) */
} TxnRecord;

TxnRecord *txn_record_new(const char *name);
void txn_record_free(TxnRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TxnRecord, txn_record_free)

/* ROOT/.cudaup/installs/@name.json (newly allocated). */
char *txn_record_path(const char *state, const char *name);
/* The record @name, or NULL with CUP_ERROR_NOT_FOUND, CUP_ERROR_PARSE or CUP_ERROR_IO. */
TxnRecord *txn_record_load(const char *state, const char *name, GError **error);
/* The JSON text of @record (newly allocated, ends with a newline). */
char *txn_record_to_text(const TxnRecord *record);
/* Whether @name may name a record: [A-Za-z0-9._+-]+, not starting with '.'. */
gboolean txn_record_name_valid(const char *name);

struct CupTxn {
  char *root;
  char *state;   /* ROOT/.cudaup */
  char *id;      /* this transaction's id, also the name of its staging and saved dirs */
  char *what;    /* "install of cudnn-9.19", for the journal */
  char *staging; /* ROOT/.cudaup/staging/<id> */
  int lock_fd;
  int journal_fd;        /* -1 until the first step is journaled */
  guint n_saved;         /* names the next saved/<id>/<n> */
  gboolean root_created; /* begin made the root: removed again unless something committed */
  gboolean failed;
  gboolean committed;
  gboolean finished;
  GPtrArray *records;  /* TxnRecord * to write at commit, in order of first apply */
  GPtrArray *keep;     /* saved originals to keep after the commit (char *, state-relative) */
  GHashTable *written; /* paths this transaction put into the root */
  GHashTable *outside; /* absolute paths outside the root journaled by cup_txn_journal_outside */
};

/* ---- txn.c ---- */

/* The name of the next saved file, relative to the state directory (its directory is made). */
char *txn_next_saved(CupTxn *txn);

/* ---- txn_fs.c ---- */

/* The crash point of the test hook (txn.h): counts, and dies by SIGKILL at the chosen one. */
void txn_crash_point(void);
/* Set CUP_ERROR_IO for @what failing on @path with @errnum; ENOSPC gets the fix for a full
 * disk of @root. Returns FALSE. */
gboolean txn_io_error(GError **error, int errnum, const char *root, const char *what,
                      const char *path);
/* Flush everything written on @path's file system to disk (syncfs on Linux). */
void txn_sync_filesystem(const char *path);
/* Write all of @len bytes at the end of @fd and flush them to disk. */
gboolean txn_write_durable(int fd, const char *data, gsize len);
/* Whether @path is relative, '/'-separated, with no empty, "." or ".." component. */
gboolean txn_path_is_clean(const char *path);
/* Whether the relative symlink @target, placed at @path (relative to a root), stays inside it. */
gboolean txn_link_stays_inside(const char *path, const char *target);
/* lstat(2) by GLib: TRUE and *@st when @path exists. */
gboolean txn_lstat(const char *path, GStatBuf *st);
/* A new transaction id: UTC time, pid and a random suffix (newly allocated). */
char *txn_new_id(void);
/* The current time in ISO 8601 UTC (newly allocated). */
char *txn_now_iso8601(void);

/* ---- txn_lock.c ---- */

/* Take the lock of @state (ROOT/.cudaup, created when missing), waiting up to @wait_ms.
 * Returns the open descriptor holding it, or -1 with CUP_ERROR_LOCKED or CUP_ERROR_IO. */
int txn_lock_acquire(const char *root, const char *state, guint wait_ms, GError **error);
void txn_lock_release(int fd);
/* Remove the lock file and the state directory while holding the lock, if nothing else is in
 * it; a process waiting on the old file notices and starts over. */
void txn_lock_remove_state(const char *state);

/* ---- txn_journal.c ---- */

/* Journal and make @steps (TxnStep *) in batches: intents first, fsynced, then the changes.
 * On failure the steps made so far stay journaled, for a rollback. */
gboolean txn_run_steps(CupTxn *txn, GPtrArray *steps, GError **error);
/* Journal @step without making it (the caller makes it): its intent is on disk on return. */
gboolean txn_journal_step(CupTxn *txn, const TxnStep *step, GError **error);
/* Append the commit line (keeping @txn->keep) and fsync: the commit point. */
gboolean txn_journal_commit(CupTxn *txn, GError **error);
/* Settle the journal of @state, if any: finish the cleanup of a committed transaction or undo
 * an uncommitted one, then remove stale staging directories. *@message (if given) says what was
 * done, or NULL when there was no journal. */
gboolean txn_journal_settle(const char *root, const char *state, char **message, GError **error);

/* ---- txn_outside.c ---- */

/* Whether @op is one of the changes made outside the root. */
gboolean txn_op_is_outside(TxnOp op);
/* Whether @path may name a change outside the root in a journal: absolute and canonical. */
gboolean txn_outside_path_ok(const char *path);
/* Undo the outside change @step (idempotent); an ldconfig step only sets *@ldconfig. */
gboolean txn_outside_undo(const char *state, const TxnStep *step, gboolean *ldconfig,
                          GError **error);
/* Run ldconfig after an undo put ld.so.conf.d files back; a failure is logged. */
void txn_outside_ldconfig(void);

G_END_DECLS
