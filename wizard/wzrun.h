/* wzrun.h - the wizard's install, without widgets: a plan run by core/engine in a GTask worker
 * thread with a GCancellable, its progress and log lines handed to the main context of the
 * caller (g_main_context_invoke) and throttled, then the installed toolkit proven by
 * core/verify for the Done page (issue 8).
 *
 * Two paths:
 *   - in-process, when the toolkit root is the user's (or writable): cup_engine_install, the
 *     environment at user scope through platform/linux/profile, journaled in the install's
 *     transaction so a rollback undoes it with the files;
 *   - privileged, when the root needs root rights (system scope, root not writable): the
 *     archives are downloaded and verified into the user's cache in-process, then
 *     `pkexec cudaup-helper` (cli/helper/helper.c, contract at its top) gets a JSON request on
 *     stdin; its JSON-line progress is forwarded and Cancel writes "cancel" to it. The GUI
 *     itself never runs as root; the helper checks every sha256 again.
 * No GTK: tested without a display (tests/test_wizard_run.c).
 */
#pragma once

#include "wizard/wzmodel.h"

#include "core/catalog.h"
#include "core/engine.h"
#include "core/plan.h"
#include "core/system.h"
#include "core/verify.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* The rows of the Install page, in order. */
typedef enum {
  WZ_STAGE_DOWNLOAD,
  WZ_STAGE_VERIFY, /* sha256 of every archive (computed while it downloads, core/fetch) */
  WZ_STAGE_EXTRACT,
  WZ_STAGE_ENVIRONMENT,
  WZ_STAGE_CHECKS,
  WZ_N_STAGES,
} WzStage;

/* One progress event as the main context receives it (a copy: valid during the call only). */
typedef struct {
  WzStage stage;
  const char *engine_stage;  /* the producer's name: "download", "extract", "commit", ... */
  guint64 done, total;       /* bytes (download) or units of the stage; total 0: unknown */
  double speed;              /* bytes per second, smoothed; 0: unknown */
  gint64 eta_ms;             /* -1: unknown */
  guint n_items, n_verified; /* download: archives, and those verified or taken from the cache */
  gboolean final;            /* the stage's last event: always delivered */
} WzRunEvent;

typedef void (*WzRunProgressFunc)(const WzRunEvent *event, gpointer data);
/* One line of the install's log (also appended to the log file). */
typedef void (*WzRunLogFunc)(const char *line, gpointer data);

typedef struct {
  const CupPlan *plan;       /* must outlive the run */
  const CupSystem *system;   /* for the proof (core/verify); must outlive the run */
  const CupCatalog *catalog; /* likewise */
  const char *mirror;        /* base URL of a mirror of NVIDIA's layout; NULL: NVIDIA's */
  const char *offline_dir;   /* an offline bundle; NULL: download */
  const char *cache_dir;     /* NULL: cup_cache_default_dir() */
  const char *cacert;        /* CA bundle for the mirror (tests); NULL: the system store */
  const char *log_path;      /* NULL: wz_run_default_log_path() */
  gboolean user_scope;       /* the environment's scope (the request's) */
  gboolean no_environment;   /* leave the environment alone */
  gboolean skip_verify;      /* no core/verify after the install */
  guint throttle_ms;         /* least time between two events of one stage; 0: 250 (4/s) */
  /* The privileged path's command, run with the request on stdin; NULL: $CUDAUP_WIZARD_HELPER
   * run directly when set (tests), else {"pkexec", LIBEXECDIR/cudaup/cudaup-helper}. */
  const char *const *helper_argv;
  gboolean force_helper; /* take the privileged path even where the root is writable (tests) */
  /* How the plan was made, so that it can be made again once the redistrib manifests it lacks
   * (a CUDA or cuDNN release the catalog does not carry) are downloaded, as `cudaup install`
   * does: the choices (copied; NULL: no second plan), whether the user is an administrator
   * and the catalog's directory (NULL: cup_manifests_dir(NULL)). */
  const WzChoices *choices;
  gboolean is_admin;
  const char *catalog_dir;
  WzRunProgressFunc progress;
  WzRunLogFunc log;
  gpointer data; /* for progress and log */
} WzRunOptions;

/* What a successful run leaves for the Done page. */
typedef struct {
  CupEngineResult *engine; /* NULL on the privileged path (the helper's JSON is in helper) */
  json_t *helper;          /* the helper's "result" object, or NULL */
  CupVerifyResult *verify; /* NULL when skipped or when verify could not run (see notes) */
  GPtrArray *notes;        /* char*: lines the user should know */
} WzRunOutcome;

/** wz_run_outcome_free: free @o; NULL is ignored. */
void wz_run_outcome_free(WzRunOutcome *o);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WzRunOutcome, wz_run_outcome_free)

/** wz_run_default_log_path: $XDG_STATE_HOME/cudaup/wizard-install.log (newly allocated). */
char *wz_run_default_log_path(void);

/** wz_run_needs_helper: whether @plan's root needs root rights: a system-scope install
 * (@user_scope FALSE) whose root (or its nearest existing parent) this process cannot write. */
gboolean wz_run_needs_helper(const CupPlan *plan, gboolean user_scope);

/**
 * wz_run_async: start the install of @o->plan in a worker thread. Events and log lines reach
 * @o->progress and @o->log in the thread-default main context of this call, at most one per
 * stage each @o->throttle_ms (a stage's final event always); @callback runs there too when it
 * is over. @o's strings are copied; the plan, system and catalog are borrowed.
 * Cancelling @cancellable rolls the install back (CUP_ERROR_CANCELLED).
 */
void wz_run_async(const WzRunOptions *o, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data);

/**
 * wz_run_finish: the outcome, or NULL with the engine's error (core/engine.h: CUP_ERROR_
 * CANCELLED when cancelled; the root is then as before), or the helper's.
 */
WzRunOutcome *wz_run_finish(GAsyncResult *result, GError **error);

/** wz_run_fix: one line saying what to do about @error (translated; static or newly
 * allocated: always free). */
char *wz_run_fix(const GError *error);

/** wz_run_details: the text "Copy details" puts on the clipboard: the error, its id and exit
 * code, the fix, the plan's versions and root, and the log file. Newly allocated. */
char *wz_run_details(const GError *error, const CupPlan *plan, const char *log_path);

/* ---- the privileged path (wzrun_helper.c) ------------------------------------------------- */

/**
 * wz_helper_request: the helper's request line (format 1, no newline) for @plan, its archives
 * at @paths (the verified cache files, in the order of plan->archives) in @cache_dir, with the
 * system environment when @environment. Newly allocated.
 */
char *wz_helper_request(const CupPlan *plan, const char *cache_dir, const char *const *paths,
                        gboolean environment);

typedef enum { WZ_HELPER_PROGRESS, WZ_HELPER_DONE, WZ_HELPER_ERROR, WZ_HELPER_OTHER } WzHelperKind;

/* One line of the helper's stdout, parsed. */
typedef struct {
  WzHelperKind kind;
  char *stage; /* progress */
  guint64 done, total;
  double speed;
  gint64 eta_ms;
  gboolean final;
  json_t *result; /* done: the engine's result (a new reference) */
  GError *error;  /* error: in CUP_ERROR, code from the helper's id */
} WzHelperLine;

/** wz_helper_parse_line: parse @line into @out (cleared with wz_helper_line_clear). A line
 * that is not JSON or has no known "event" is WZ_HELPER_OTHER (logged, not an error). */
void wz_helper_parse_line(const char *line, WzHelperLine *out);
void wz_helper_line_clear(WzHelperLine *l);

/** wz_stage_of: the row an engine stage name belongs to ("commit" is extract's, "check"
 * checks'). */
WzStage wz_stage_of(const char *engine_stage);

G_END_DECLS
