/* engine.h - runs a plan: download, verify, extract, commit, prove (DESIGN.md section 2, the
 * only place that sequences stages).
 *
 * One install is one transaction on the toolkit root (core/txn): the root's lock is taken
 * before anything is downloaded, so a second installer into the same root waits or exits with
 * CUP_ERROR_LOCKED at once instead of downloading gigabytes first. Then:
 *   1. recover what a dead cudaup left in the root (said in the result);
 *   2. "already installed": every package's install record is there with the same version
 *      and archives and its files are in place -> nothing is done;
 *   3. free space: the archives not yet in the cache on the cache's file system, and a lower
 *      bound of the unpacked size on the root's (a full disk later is still rolled back);
 *   4. download and verify every archive into the cache (core/fetch);
 *   5. extract each archive from the verified cache file into the transaction's staging
 *      directory on the root's file system (core/extract) and apply it (core/txn);
 *   6. the environment (the caller's, see CupEngineEnvFunc): its edits outside the root are
 *      journaled in the same transaction, so a rollback or a crash before the commit undoes
 *      them with the files;
 *   7. commit (install records, one fsync of the file system, the commit record);
 *   8. with set_default, point the "cuda" link beside the root at it (/usr/local/cuda);
 *   9. prove the result (core/check): libcudart and libcudnn loaded from the tree by full
 *      path, the installed nvcc run and made to compile.
 * Packages, one install record each: "cuda-X.Y" (every CUDA Toolkit archive of the plan,
 * version the CUDA release) and "cudnn-X.Y" (the cuDNN archive, version the archive's).
 */
#pragma once

#include "core/cache.h"
#include "core/check.h"
#include "core/fetch.h"
#include "core/plan.h"
#include "core/txn.h"

#include <jansson.h>

G_BEGIN_DECLS

/* The environment stage: make the toolkit at @root the default for new terminals. @txn is the
 * install's transaction, to journal every change made outside the root with
 * cup_txn_journal_outside before making it; NULL when everything was installed already (no
 * transaction: nothing else changes). Returning FALSE (with @error) fails the install, which is
 * then rolled back with the environment's journaled edits; a problem the install should
 * survive (a read-only ~/.bashrc) is kept by the callee and TRUE returned. Runs on the
 * engine's thread. */
typedef gboolean (*CupEngineEnvFunc)(CupTxn *txn, const char *root, gpointer data, GError **error);

typedef struct {
  const CupPlan *plan;          /* what to install; its toolkit_root is the root */
  CupCache *cache;              /* where archives are downloaded and verified */
  const CupFetchOptions *fetch; /* mirrors, offline bundle, CA, proxy, jobs...; its progress
                                 * and cancellable are replaced by the ones below */
  gboolean dry_run;             /* say what would be done; change nothing, download nothing */
  gboolean set_default;         /* make ROOT/../cuda a symlink to ROOT (Linux) */
  gboolean skip_check;          /* do not prove the install (the plan is for another OS) */
  guint lock_wait_ms;           /* how long to wait for another cudaup's lock (0: 5000) */
  CupEngineEnvFunc environment; /* the environment stage (never in a dry run); NULL: none */
  gpointer environment_data;
  CupProgressFunc progress; /* stages "download", "extract", "environment", "commit", "check" */
  gpointer progress_data;
  GCancellable *cancellable;
} CupEngineOptions;

/* One package of the install. */
typedef struct {
  char *name;             /* "cudnn-9.19" */
  char *component;        /* "cuda" or "cudnn" */
  char *version;          /* "13.0.2", "9.19.0.56" */
  GPtrArray *archives;    /* char*: component names of its archives */
  gboolean already;       /* it was installed already: left as it was */
  guint n_files, n_links; /* entries its archives hold */
  guint64 bytes;          /* unpacked bytes of its files */
} CupEnginePackage;

/* One file the install writes (dry run) or wrote. */
typedef struct {
  char *path; /* below the root, '/'-separated */
  char *kind; /* "file", "symlink", "dir" */
  guint64 size;
} CupEngineFile;

typedef struct {
  char *root;
  char *recovered;     /* what the recovery at the start did, NULL: nothing */
  gboolean already;    /* every package was installed already: nothing was done */
  gboolean dry_run;    /* nothing was changed */
  GPtrArray *packages; /* CupEnginePackage* */
  GPtrArray *archives; /* json_t* objects: component, sha256, size, cache path, source */
  GPtrArray *files;    /* CupEngineFile*: dry run: of the archives already in the cache */
  GPtrArray *notes;    /* char*: what the user should know (one line each) */
  char *default_link;  /* the link made by set_default, NULL when none */
  char *streamed;      /* the archive unpacked while it downloaded; NULL: each one was unpacked
                        * from its verified cache file */
  guint64 downloaded;  /* bytes received in this run */
  guint64 written;     /* bytes of files written into the tree */
  gint64 ms_download, ms_extract, ms_commit, ms_check, ms_total; /* milliseconds */
  CupCheckResult *check;                                         /* NULL when not proved */
} CupEngineResult;

/**
 * cup_engine_install: install @o->plan as described at the top of this file. Returns the
 * result (free with cup_engine_result_free), or NULL with @error; in every failure case the
 * root is as it was before (the transaction is rolled back; downloaded archives stay in the
 * cache for the next run). When *@partial is given it receives what was learnt before a
 * failure (root, recovery, timings) for the report, or NULL.
 * Errors: CUP_ERROR_USAGE for a plan with no root or nothing to install; CUP_ERROR_LOCKED;
 * CUP_ERROR_IO (a full disk names the space needed and free, or the file being written);
 * fetch's CUP_ERROR_NETWORK / INTEGRITY / NOT_FOUND; extract's CUP_ERROR_INTEGRITY (an unsafe
 * archive, naming the entry) and CUP_ERROR_PARSE; CUP_ERROR_CANCELLED; CUP_ERROR_CHECK when
 * the install was committed but its proof failed (the result is then in *@partial, the
 * install stays and `cudaup uninstall` takes it back).
 */
CupEngineResult *cup_engine_install(const CupEngineOptions *o, CupEngineResult **partial,
                                    GError **error);

/**
 * cup_engine_unpack_lower_bound: the bytes @plan's archives unpack to at least (1.3x their
 * compressed size; the exact size is known only after decompressing), which the install checks
 * is free on the toolkit root's file system before it downloads. For the plan's "disk space"
 * line, so the wizard shows the number the engine will check.
 */
guint64 cup_engine_unpack_lower_bound(const CupPlan *plan);

/** cup_engine_package_names: "cuda-13.0 and cudnn-9.19" for messages. Newly allocated. */
char *cup_engine_package_names(const CupEngineResult *r);

/** cup_engine_result_to_json: the "done" part of the report. Returns a new reference. */
json_t *cup_engine_result_to_json(const CupEngineResult *r);

void cup_engine_result_free(CupEngineResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupEngineResult, cup_engine_result_free)

G_END_DECLS
