/* progress.c - the smoothed rate meter, ETAs and progress state names. */
#include "core/progress.h"

#include <math.h>

/* Time constant of the moving average, in seconds: a change of speed shows up to 63 % after
 * this long. 2.5 s smooths out the bursts of a TCP window and one slow second, yet follows a
 * real change (another transfer finishing, a mirror switch) within a few seconds. */
#define RATE_TAU_S 2.5

/* Samples closer together than this are folded into the next one, so a burst of callbacks
 * does not turn into a burst of huge or zero instantaneous rates. */
#define RATE_MIN_INTERVAL_US (100 * G_TIME_SPAN_MILLISECOND)

static void meter_restart(CupRateMeter *meter, guint64 bytes, gint64 now_us)
{
  meter->last_us = now_us;
  meter->last_bytes = bytes;
  meter->rate = 0;
  meter->primed = FALSE;
}

void cup_rate_meter_sample(CupRateMeter *meter, guint64 bytes, gint64 now_us)
{
  if (meter->last_us == 0 || bytes < meter->last_bytes) {
    meter_restart(meter, bytes, now_us);
    return;
  }
  gint64 dt_us = now_us - meter->last_us;
  if (dt_us < RATE_MIN_INTERVAL_US)
    return;
  double dt_s = (double)dt_us / G_TIME_SPAN_SECOND;
  double instant = (double)(bytes - meter->last_bytes) / dt_s;
  if (!meter->primed) {
    meter->rate = instant;
    meter->primed = TRUE;
  } else {
    /* The discrete RC low-pass filter: the weight of a sample grows with the time it
     * covers, so irregular sampling follows the same curve as regular sampling. */
    double alpha = dt_s / (RATE_TAU_S + dt_s);
    meter->rate += alpha * (instant - meter->rate);
  }
  meter->last_us = now_us;
  meter->last_bytes = bytes;
}

double cup_rate_meter_rate(const CupRateMeter *meter)
{
  return meter->primed ? meter->rate : 0.0;
}

gint64 cup_progress_eta_ms(guint64 remaining, double speed)
{
  if (remaining == 0)
    return 0;
  if (!(speed > 0.0) || !isfinite(speed))
    return -1;
  double ms = (double)remaining * 1000.0 / speed;
  if (!(ms < (double)G_MAXINT64))
    return -1;
  gint64 whole = (gint64)ms;
  return (double)whole < ms ? whole + 1 : whole;
}

const char *cup_progress_state_name(CupProgressState state)
{
  static const char *const names[] = {
      [CUP_PROGRESS_QUEUED] = "queued",
      [CUP_PROGRESS_CACHED] = "cached",
      [CUP_PROGRESS_CONNECTING] = "connecting",
      [CUP_PROGRESS_RUNNING] = "running",
      [CUP_PROGRESS_RETRYING] = "retrying",
      [CUP_PROGRESS_VERIFYING] = "verifying",
      [CUP_PROGRESS_DONE] = "done",
      [CUP_PROGRESS_FAILED] = "failed",
  };
  if ((guint)state >= G_N_ELEMENTS(names))
    return "unknown";
  return names[state];
}
