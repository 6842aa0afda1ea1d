/* txn.h - installing into a toolkit root as one transaction: a lock per root, a write-ahead
 * journal, commit by rename, rollback, recovery after a crash, install records and uninstall.
 *
 * State lives in the root itself, in ROOT/.cudaup/ (CUP_TXN_STATE_DIR):
 *   lock                  locked with flock(LOCK_EX) (LockFileEx on Windows) by the one process
 *                         changing ROOT; it holds that process's pid. The kernel drops the lock
 *                         when the process dies, so a crash never leaves ROOT locked.
 *   journal               the write-ahead log of the running transaction (format below)
 *   staging/<txn>/        where the transaction's archives are extracted (cup_txn_staging_dir):
 *                         on ROOT's file system, so every file reaches the tree by rename(2)
 *   saved/<txn>/<n>       files moved aside by transaction <txn>: backups that a rollback puts
 *                         back, and originals that an install replaced, kept so that uninstall
 *                         can put them back
 *   installs/<name>.json  one install record per installed package ("cuda-13.0", "cudnn-9.19")
 *
 * A transaction (DESIGN.md section 4, "a crash at any point leaves the old or the new state,
 * never a mix, and the next run recovers first"):
 *  1. cup_txn_begin takes the lock and recovers whatever an earlier process left unfinished;
 *  2. the engine extracts archives into cup_txn_staging_dir (core/extract);
 *  3. cup_txn_apply moves the staged entries into ROOT: for each change it first appends its
 *     intent to the journal and fsyncs it, then makes it (mkdir, or rename from staging, with
 *     an existing file saved first by a hard link or a rename);
 *  4. cup_txn_commit writes each package's install record by the same journaled rename, syncs
 *     the file system, appends COMMIT and fsyncs it: that line is the commit point;
 *  5. cleanup removes the backups, the staging directory and, last, the journal.
 * Recovery reads the journal: without COMMIT every recorded step is undone, newest first;
 * with COMMIT only the cleanup is finished. Every undo is idempotent (a step may have been
 * recorded and not made, or half made, or already undone by a recovery that itself died), so
 * recovery may be interrupted and run again any number of times.
 *
 * Journal format: JSON, one object per line, appended and fsynced before the steps it names
 * are made (a batch of intents shares one fsync). A last line without its newline was cut by
 * the crash and is ignored: nothing it named was made. Paths are relative: "path" to ROOT,
 * "saved" and "from" to ROOT/.cudaup.
 *   {"op":"begin","txn":ID,"what":"install of cudnn-9.19","pid":N,"time":ISO8601}
 *   {"op":"mkdir","path":P,"mode":493}        created directory P   undo: rmdir P if empty
 *   {"op":"add","path":P}                     renamed a new entry to P (nothing was there)
 *                                                                   undo: remove P
 *   {"op":"replace","path":P,"saved":S}       saved the old P as S, renamed the new one to P
 *                                                                   undo: rename S over P
 *   {"op":"remove","path":P,"saved":S}        moved P to S (uninstall)  undo: rename S to P
 *   {"op":"move","from":S,"path":P}           moved a saved original S back to P (uninstall)
 *                                                                   undo: rename P to S
 *   {"op":"rmdir","path":P,"mode":493}        removed the empty directory P  undo: mkdir P
 *   {"op":"edit","file":F,"saved":S}          F (absolute, outside ROOT) is about to be edited or
 *                                             deleted; S is a copy of it  undo: copy S over F
 *   {"op":"edit","file":F}                    F did not exist and is about to be created
 *                                                                   undo: remove F
 *   {"op":"extdir","file":D}                  directory D (absolute) is about to be created
 *                                                                   undo: rmdir D if empty
 *   {"op":"ldconfig"}                         ldconfig is about to run  undo: run it again
 *                                             once everything else is undone
 *   {"op":"winenv","snapshot":{...}}          the Windows registry's environment is about to
 *                                             change (Windows)  undo: write the snapshot back
 *   {"op":"commit","keep":[S,...]}            the commit point; saved files not in "keep" are
 *                                             deleted by the cleanup
 * Install records are written into ROOT/.cudaup/installs/ by add/replace steps like any file.
 * The edit, extdir and ldconfig lines are the changes an install makes outside ROOT (the
 * environment's profile files, issue 6), journaled by cup_txn_journal_outside; a journal
 * naming them is acted on only when the user running cudaup owns it, so a journal planted in
 * a root that others can write never makes root overwrite files outside it.
 *
 * Install record (installs/<name>.json, format 1):
 *   {"format":1,"name":"cudnn-9.19","component":"cudnn","version":"9.19.0.56",
 *    "installed_at":ISO8601,"txn":ID,"archives":[SHA256,...],
 *    "files":[{"path":P,"sha256":H,"size":N,"mode":M},...],
 *    "symlinks":[{"path":P,"target":T},...],
 *    "dirs":[P,...],                            directories cudaup created, parents first
 *    "replaced":[{"path":P,"saved":S},...]}  originals cudaup replaced, kept as
 *                                             ROOT/.cudaup/S until uninstall puts them back
 * A path counts as written by cudaup only when cudaup put it there: an existing file that is
 * identical to the one an archive brings (same sha256, or a symlink with the same target) is
 * left alone and not recorded, so cuDNN added to a toolkit installed by NVIDIA's installer
 * never claims the toolkit's own files. Installing a package whose record exists merges into
 * that record.
 *
 * "Running the same install again is a no-op": the engine asks cup_txn_is_installed before
 * downloading anything, and says "already installed" when it answers yes.
 *
 * Test hook (never set it outside tests): CUDAUP_TEST_CRASH_AT_STEP=N makes the process
 * raise(SIGKILL) at its N-th crash point. Crash points are counted from the start of the
 * process: after each fsync of the journal and after each change made to the file system by
 * apply, commit, cleanup, rollback and recovery. Running with N = 1, 2, ... until the process
 * exits normally kills it at every point of a transaction.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The directory in every toolkit root that holds cudaup's state. */
#define CUP_TXN_STATE_DIR ".cudaup"
/* How long cup_txn_begin waits for another cudaup to release a root, in milliseconds. */
#define CUP_TXN_LOCK_WAIT_MS 5000
/* The environment variable of the test-only crash hook (see above). */
#define CUP_TXN_CRASH_ENV "CUDAUP_TEST_CRASH_AT_STEP"

typedef enum {
  CUP_TXN_ENTRY_FILE,
  CUP_TXN_ENTRY_SYMLINK,
  CUP_TXN_ENTRY_DIR,
} CupTxnEntryType;

/* One staged entry. The same fields, in the same order and with the same type values, as
 * core/extract's CupExtractEntry, so the engine converts one into the other field by field. */
typedef struct {
  char *path; /* relative to the tree, '/'-separated: "lib64/libcudnn.so.9" */
  CupTxnEntryType type;
  guint32 mode;      /* permission bits (0755 or 0644; symlinks 0777) */
  char *sha256;      /* files: 64 lower-case hex digits of the content; else NULL */
  char *link_target; /* symlinks: the link's target, relative; else NULL */
  guint64 size;      /* files: bytes; else not used */
} CupTxnEntry;

/**
 * cup_txn_entry_new: an entry (copies every string). @sha256 is for files and @link_target
 * for symlinks; pass NULL otherwise. Free with cup_txn_entry_free.
 */
CupTxnEntry *cup_txn_entry_new(CupTxnEntryType type, const char *path, guint32 mode,
                               const char *sha256, guint64 size, const char *link_target);
void cup_txn_entry_free(CupTxnEntry *entry);

/* What an apply installs, named as the user names it. */
typedef struct {
  const char *name;      /* record name, [A-Za-z0-9._+-]+ not starting with '.': "cuda-13.0" */
  const char *component; /* "cuda" or "cudnn" */
  const char *version;   /* the full version installed: "13.0.2", "9.19.0.56" */
  const char *const *archives; /* NULL-terminated SHA-256 of each archive installed; may be NULL */
} CupTxnPackage;

typedef struct CupTxn CupTxn;

/**
 * cup_txn_begin: start a transaction on @root (created with its parents when missing): take
 * the root's lock, waiting up to @lock_wait_ms (CUP_TXN_LOCK_WAIT_MS is the usual value; 0:
 * do not wait), then recover an unfinished transaction left by an earlier process. @what
 * ("install of cuda-13.0 and cudnn-9.19") is written to the journal so that a later recovery
 * can say what it finished or undid. When something was recovered, *@recovered (if given) is
 * set to a newly allocated sentence for the user ("recovered an interrupted install of
 * cudnn-9.19 into /opt/cuda: undid 12 changes"), else to NULL.
 * Errors: CUP_ERROR_LOCKED "another cudaup (pid N) is installing into ROOT; wait for it to
 * finish"; CUP_ERROR_IO when ROOT or its state directory cannot be created or written, or a
 * recovery failed (the journal is kept, so the next run tries again). Free with cup_txn_free.
 */
CupTxn *cup_txn_begin(const char *root, const char *what, guint lock_wait_ms, char **recovered,
                      GError **error);

/** cup_txn_root: the toolkit root (owned by @txn). */
const char *cup_txn_root(const CupTxn *txn);

/**
 * cup_txn_staging_dir: ROOT/.cudaup/staging/<txn>, an empty directory created by
 * cup_txn_begin, on ROOT's file system; extract archives into it (or into directories below
 * it). Removed, with whatever is left in it, when the transaction ends. Owned by @txn.
 */
const char *cup_txn_staging_dir(const CupTxn *txn);

/**
 * cup_txn_apply: move the @entries (CupTxnEntry *) staged in @staging (their paths are
 * relative to it and to ROOT alike) into ROOT for @package, journaling every step. Parent
 * directories missing in ROOT are created; a directory of ROOT that is a symlink to a
 * directory inside ROOT (lib64 -> targets/x86_64-linux/lib) is followed. An existing file or
 * symlink identical to its entry is left alone; one that differs is replaced and kept to be
 * put back by rollback, or by uninstall when it was not cudaup's. Every entry is checked
 * before anything changes. May be called several times (several archives, several packages);
 * entries of a later call may replace those of an earlier one.
 * Errors (after any of them, call cup_txn_rollback or cup_txn_free): CUP_ERROR_INTEGRITY for
 * an unsafe entry (absolute, "..", into .cudaup/, a symlink leaving the tree, a duplicate);
 * CUP_ERROR_IO naming the path when ROOT has a directory where an entry is a file or the
 * other way round, when a directory of ROOT leads outside it, when a staged entry is missing,
 * or for a failed write (a full disk names the fix); CUP_ERROR_CANCELLED from @cancellable
 * (checked while comparing existing files).
 */
gboolean cup_txn_apply(CupTxn *txn, const CupTxnPackage *package, const char *staging,
                       const GPtrArray *entries, GCancellable *cancellable, GError **error);

/* What cup_txn_journal_outside is told about. */
typedef enum {
  CUP_TXN_OUTSIDE_FILE,     /* a file about to be written, created or deleted */
  CUP_TXN_OUTSIDE_DIR,      /* a directory about to be created */
  CUP_TXN_OUTSIDE_LDCONFIG, /* ldconfig about to run (path ignored) */
} CupTxnOutside;

/**
 * cup_txn_journal_outside: journal a change the caller is about to make outside the root, so
 * that cup_txn_rollback, cup_txn_free before a commit, and the recovery after a crash undo it
 * with the rest of the transaction (the environment an install sets, issue 6: "every edit is
 * in the install journal, so a rollback undoes it too"). @path is absolute, with symlinks
 * already followed to the file that will really change. For a file that exists, a copy (mode,
 * owner and times kept) is made in the transaction's saved directory first, and the undo
 * copies it back by a temporary file and rename(2); a file that does not exist yet is removed
 * by the undo. The intent is on disk when this returns; make the change only then. A path
 * journaled before in this transaction is not copied again (the first copy is the state to
 * return to). After the commit the copies are deleted.
 * Errors: CUP_ERROR_USAGE for a relative path or a transaction already ended; CUP_ERROR_IO when
 * the file is not a regular file or cannot be copied, or the journal cannot be written (a full
 * disk names the fix).
 */
gboolean cup_txn_journal_outside(CupTxn *txn, CupTxnOutside kind, const char *path, GError **error);

/**
 * cup_txn_journal_registry: journal @snapshot (platform/windows/envdefault.h,
 * cup_winenv_snapshot_take) before the environment in the Windows registry changes, so that a
 * rollback or the recovery after a crash writes every variable back. The intent is on disk when
 * this returns. Errors: CUP_ERROR_USAGE for text that is not a JSON object or a transaction
 * already ended; CUP_ERROR_IO when the journal cannot be written.
 */
gboolean cup_txn_journal_registry(CupTxn *txn, const char *snapshot, GError **error);

/**
 * cup_txn_commit: write the install record of each applied package (merged into an existing
 * record of the same name), make everything durable, append COMMIT, then clean up. After a
 * TRUE return the new state stands, even if the process dies now. A transaction with nothing
 * applied commits without writing anything. Errors: CUP_ERROR_IO (full disk: the transaction
 * is still uncommitted; call cup_txn_rollback); CUP_ERROR_INTERNAL after a failed apply.
 */
gboolean cup_txn_commit(CupTxn *txn, GError **error);

/**
 * cup_txn_rollback: undo every step of the uncommitted transaction, newest first, and remove
 * its journal and staging directory; ROOT is as it was at cup_txn_begin. The lock is kept
 * until cup_txn_free. Errors: CUP_ERROR_IO when a step cannot be undone (the journal is kept
 * for the next run's recovery).
 */
gboolean cup_txn_rollback(CupTxn *txn, GError **error);

/**
 * cup_txn_free: end the transaction: roll back when it was not committed (a failure is logged
 * as a warning and left for the next recovery), remove the staging directory, release the
 * lock. NULL is allowed.
 */
void cup_txn_free(CupTxn *txn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupTxn, cup_txn_free)

/**
 * cup_txn_recover: finish or undo what a dead cudaup left in @root, under the root's lock
 * (waiting up to @lock_wait_ms), as cup_txn_begin does; every command that reads or changes a
 * root calls it first. A root without an unfinished journal is left untouched, without
 * taking the lock (so a user who cannot write the root can still read it). *@recovered as for
 * cup_txn_begin. Errors: as cup_txn_begin.
 */
gboolean cup_txn_recover(const char *root, guint lock_wait_ms, char **recovered, GError **error);

/* An install record, summarised. */
typedef struct {
  char *name;         /* "cudnn-9.19" */
  char *component;    /* "cudnn" */
  char *version;      /* "9.19.0.56" */
  char *installed_at; /* ISO 8601, UTC */
  GStrv archives;     /* SHA-256 of the archives installed (maybe empty, never NULL) */
  guint n_files;
  guint n_symlinks;
  guint n_dirs;     /* directories cudaup created */
  guint n_replaced; /* existing files it replaced (their originals are kept) */
  guint64 bytes;    /* total size of the files, in bytes */
} CupTxnInstall;

void cup_txn_install_free(CupTxnInstall *install);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupTxnInstall, cup_txn_install_free)

/**
 * cup_txn_read_install: the record @name of @root. Errors: CUP_ERROR_NOT_FOUND when there is
 * none; CUP_ERROR_PARSE naming the file when it is damaged; CUP_ERROR_IO.
 */
CupTxnInstall *cup_txn_read_install(const char *root, const char *name, GError **error);

/**
 * cup_txn_list_installs: every install record of @root (CupTxnInstall *, sorted by name;
 * empty when none). Errors: as cup_txn_read_install for a damaged record.
 */
GPtrArray *cup_txn_list_installs(const char *root, GError **error);

/**
 * cup_txn_is_installed: whether @package is installed in @root already, so that installing it
 * again would change nothing: its record exists with the same version, lists every one of
 * @package's archives, and every recorded file is present with its recorded size and every
 * symlink points at its recorded target (hashes are not read: a changed file of the same size
 * is a matter for `cudaup verify`). FALSE while an unfinished journal exists (the install will
 * recover first). Errors (FALSE): CUP_ERROR_PARSE for a damaged record.
 */
gboolean cup_txn_is_installed(const char *root, const CupTxnPackage *package, GError **error);

/* What an uninstall did. Paths are relative to the root. */
typedef struct {
  GPtrArray *removed;  /* files, symlinks and directories removed */
  GPtrArray *restored; /* files put back as they were before cudaup replaced them */
  GPtrArray *kept;     /* files and symlinks kept because they changed since the install */
  GPtrArray *missing;  /* recorded paths that were already gone */
  char *recovered;     /* what the recovery at the start did (NULL: nothing) */
} CupTxnUninstallReport;

void cup_txn_uninstall_report_free(CupTxnUninstallReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupTxnUninstallReport, cup_txn_uninstall_report_free)

/**
 * cup_txn_uninstall: take back the install @name from @root, as one transaction under the
 * root's lock (a crash mid-way is recovered like an install): remove each recorded file whose
 * sha256 still matches and each recorded symlink that still points at its recorded target,
 * put back the originals those files replaced, remove the directories cudaup created when
 * they are empty, then the record. Files the user changed are kept and listed in the report;
 * paths cudaup did not write are never touched. When the last record goes, ROOT/.cudaup goes
 * too (ROOT itself stays). *@report (if given) receives a newly allocated report.
 * Errors: CUP_ERROR_NOT_FOUND when @root has no record @name; CUP_ERROR_PARSE for a damaged
 * record; CUP_ERROR_LOCKED and CUP_ERROR_IO as cup_txn_begin.
 */
gboolean cup_txn_uninstall(const char *root, const char *name, guint lock_wait_ms,
                           CupTxnUninstallReport **report, GError **error);

/**
 * cup_txn_check_space: whether the file system of @dir (or of its nearest existing parent,
 * when @dir does not exist yet) has @bytes_needed bytes free for an unprivileged writer.
 * Errors: CUP_ERROR_IO "need 2.1 GB on /usr/local, 0.8 GB free; free space or choose
 * --prefix DIR" (sizes in g_format_size's decimal units); CUP_ERROR_IO when the free space cannot
 * be read.
 */
gboolean cup_txn_check_space(const char *dir, guint64 bytes_needed, GError **error);

G_END_DECLS
