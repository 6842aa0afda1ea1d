/* wzrun_private.h - the state of one wizard install, shared by wzrun.c (the engine in-process,
 * events, log) and wzrun_helper.c (the privileged path). */
#pragma once

#include "wizard/wzrun.h"

#include "core/cache.h"

#include <stdio.h>

typedef struct {
  WzRunOptions o; /* the strings below replace the caller's */
  char *mirror, *offline_dir, *cache_dir, *cacert, *log_path;
  GStrv helper_argv;
  GMainContext *context; /* where events are delivered */
  gboolean verify;       /* core/verify runs after the install */
  GMutex lock;           /* guards what follows: producers may call from several threads */
  gint64 last_us[WZ_N_STAGES];
  gboolean started[WZ_N_STAGES];
  FILE *log_file;
  WzChoices choices; /* a copy of o.choices (o.choices points here), when given */
  char *catalog_dir;
  CupCatalog *own_catalog; /* with the downloaded manifests; o.catalog then points here */
  CupPlan *own_plan;       /* planned again over it; o.plan then points here */
} WzRun;

/* Hand @e to the caller's main context unless one of its stage came less than throttle_ms
 * ago; a final event always goes. Any thread. */
void wz_run_emit(WzRun *run, const WzRunEvent *e);
/* Append a line to the log file and hand it to the caller's main context. Any thread. */
void wz_run_log(WzRun *run, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* The engine's CupProgressFunc (@data: the run): the rows' events. */
void wz_run_on_progress(const CupProgress *p, gpointer data);
/* The fetch options of @run (mirror, offline bundle, CA); @mirrors receives the mirror list. */
CupFetchOptions wz_run_fetch_options(WzRun *run, const char **mirrors);

/* wzrun_manifests.c: download the redistrib manifests the plan lacks and plan again (then
 * o.plan and o.catalog are the new ones). FALSE with fetch's or the planner's error. */
gboolean wz_run_fetch_manifests(WzRun *run, GCancellable *cancellable, GError **error);

/* wzrun_helper.c: download into the user's cache, then run the helper. */
WzRunOutcome *wz_run_privileged(WzRun *run, GCancellable *cancellable, GError **error);
