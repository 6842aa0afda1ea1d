/* progress.h - progress events shared by the CLI and the wizard: bytes done and total, speed
 * and ETA, per item (an archive) and overall.
 *
 * Producers (fetch now, the install engine later) fill a CupProgress and call the front end's
 * CupProgressFunc from the thread doing the work; the CLI draws a bar or plain lines, the
 * wizard marshals the event to its main loop. Speeds come from CupRateMeter, an exponentially
 * weighted moving average, so one slow second does not make the ETA jump.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CUP_PROGRESS_QUEUED,     /* waiting for a transfer slot */
  CUP_PROGRESS_CACHED,     /* already in the cache and verified: nothing to download */
  CUP_PROGRESS_CONNECTING, /* request sent, no body byte yet */
  CUP_PROGRESS_RUNNING,    /* bytes arriving */
  CUP_PROGRESS_RETRYING,   /* waiting out a backoff before the next try */
  CUP_PROGRESS_VERIFYING,  /* hashing bytes already on disk */
  CUP_PROGRESS_DONE,       /* verified and in the cache */
  CUP_PROGRESS_FAILED,
} CupProgressState;

typedef struct {
  const char *name; /* "cuda_nvcc" */
  CupProgressState state;
  guint64 done;       /* bytes */
  guint64 total;      /* bytes; 0 when unknown */
  double speed;       /* bytes per second, smoothed */
  gint64 eta_ms;      /* milliseconds; -1 when unknown */
  guint attempt;      /* 1 for the first try */
  const char *source; /* URL or mirror being read, may be NULL */
} CupProgressItem;

typedef struct {
  const char *stage;   /* "download", later "extract", ... */
  guint64 done, total; /* bytes over every item */
  double speed;        /* bytes per second over every item, smoothed */
  gint64 eta_ms;       /* -1 when unknown */
  guint n_items;
  const CupProgressItem *items; /* n_items entries, valid during the call only */
  gboolean final;               /* the last event of this stage */
} CupProgress;

/**
 * CupProgressFunc: receives @progress (valid during the call only) from the working thread,
 * at most every few hundred ms and once with final set. Must not block.
 */
typedef void (*CupProgressFunc)(const CupProgress *progress, gpointer user_data);

/* A smoothed bytes-per-second meter. */
typedef struct {
  gint64 last_us; /* monotonic time of the last sample, microseconds; 0 = none yet */
  guint64 last_bytes;
  double rate;     /* bytes per second */
  gboolean primed; /* rate holds a measurement */
} CupRateMeter;

/**
 * cup_rate_meter_sample: feed the running byte count @bytes seen at monotonic time @now_us
 * (microseconds). The rate is an exponentially weighted moving average with a time constant
 * of 2.5 s (a discrete RC low-pass over the rate between samples). Samples closer than 100 ms
 * to the previous one are folded into the next. A byte count that goes down (a restart)
 * resets the meter; the first sample after a reset only sets the starting point.
 */
void cup_rate_meter_sample(CupRateMeter *meter, guint64 bytes, gint64 now_us);

/** cup_rate_meter_rate: bytes per second, 0 before two samples. */
double cup_rate_meter_rate(const CupRateMeter *meter);

/** cup_progress_eta_ms: milliseconds to move @remaining bytes at @speed bytes/s; -1 if unknown. */
gint64 cup_progress_eta_ms(guint64 remaining, double speed);

/** cup_progress_state_name: "queued", "cached", ... (static). */
const char *cup_progress_state_name(CupProgressState state);

G_END_DECLS
