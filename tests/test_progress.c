/* test_progress.c - core/progress: the smoothed rate meter, ETAs and state names. */
#include "core/progress.h"

#include <math.h>

#define SEC G_TIME_SPAN_SECOND
#define MS G_TIME_SPAN_MILLISECOND
#define T0 (1000 * SEC) /* any non-zero monotonic start */

/* Feed @seconds of a steady @rate, sampled every @step_us, starting at *@now with *@bytes. */
static void feed_steady(CupRateMeter *meter, double rate, double seconds, gint64 step_us,
                        gint64 *now, guint64 *bytes)
{
  gint64 end = *now + (gint64)(seconds * SEC);
  while (*now < end) {
    *now += step_us;
    *bytes += (guint64)(rate * (double)step_us / SEC);
    cup_rate_meter_sample(meter, *bytes, *now);
  }
}

static void test_no_rate_before_two_samples(void)
{
  CupRateMeter meter = {0};
  g_assert_cmpfloat(cup_rate_meter_rate(&meter), ==, 0.0);
  cup_rate_meter_sample(&meter, 5000, T0);
  g_assert_cmpfloat(cup_rate_meter_rate(&meter), ==, 0.0);
  cup_rate_meter_sample(&meter, 105000, T0 + SEC);
  g_assert_cmpfloat_with_epsilon(cup_rate_meter_rate(&meter), 100000.0, 1e-6);
}

static void test_constant_rate(void)
{
  CupRateMeter meter = {0};
  gint64 now = T0;
  guint64 bytes = 0;
  cup_rate_meter_sample(&meter, bytes, now);
  feed_steady(&meter, 1e6, 10, 200 * MS, &now, &bytes);
  g_assert_cmpfloat_with_epsilon(cup_rate_meter_rate(&meter), 1e6, 1.0);
}

/* From 1 MB/s to 4 MB/s: the meter moves towards the new speed within a few time constants,
 * without jumping there at the first sample. */
static void test_follows_change(void)
{
  CupRateMeter meter = {0};
  gint64 now = T0;
  guint64 bytes = 0;
  cup_rate_meter_sample(&meter, bytes, now);
  feed_steady(&meter, 1e6, 10, 250 * MS, &now, &bytes);
  feed_steady(&meter, 4e6, 0.25, 250 * MS, &now, &bytes);
  double first = cup_rate_meter_rate(&meter);
  g_assert_cmpfloat(first, >, 1.1e6);
  g_assert_cmpfloat(first, <, 2e6);
  feed_steady(&meter, 4e6, 2.5, 250 * MS, &now, &bytes);
  double one_tau = cup_rate_meter_rate(&meter);
  g_assert_cmpfloat(one_tau, >, 2.5e6);
  g_assert_cmpfloat(one_tau, <, 3.7e6);
  feed_steady(&meter, 4e6, 15, 250 * MS, &now, &bytes);
  g_assert_cmpfloat_with_epsilon(cup_rate_meter_rate(&meter), 4e6, 4e4);
}

/* One slow second does not halve the speed shown. */
static void test_one_slow_second(void)
{
  CupRateMeter meter = {0};
  gint64 now = T0;
  guint64 bytes = 0;
  cup_rate_meter_sample(&meter, bytes, now);
  feed_steady(&meter, 1e6, 10, 200 * MS, &now, &bytes);
  feed_steady(&meter, 0, 1, 200 * MS, &now, &bytes);
  g_assert_cmpfloat(cup_rate_meter_rate(&meter), >, 0.6e6);
}

/* Samples closer than 100 ms are folded into the next one, whose rate covers them all. */
static void test_close_samples_folded(void)
{
  CupRateMeter meter = {0};
  cup_rate_meter_sample(&meter, 0, T0);
  cup_rate_meter_sample(&meter, 1000000, T0 + 10 * MS);
  g_assert_cmpfloat(cup_rate_meter_rate(&meter), ==, 0.0);
  cup_rate_meter_sample(&meter, 1000000, T0 + 1000 * MS);
  g_assert_cmpfloat_with_epsilon(cup_rate_meter_rate(&meter), 1e6, 1e-6);
}

/* A byte count that goes down is a restart from zero: the old speed is forgotten. */
static void test_restart_resets(void)
{
  CupRateMeter meter = {0};
  gint64 now = T0;
  guint64 bytes = 0;
  cup_rate_meter_sample(&meter, bytes, now);
  feed_steady(&meter, 5e6, 5, 200 * MS, &now, &bytes);
  g_assert_cmpfloat(cup_rate_meter_rate(&meter), >, 4e6);
  now += 200 * MS;
  bytes = 1000;
  cup_rate_meter_sample(&meter, bytes, now);
  g_assert_cmpfloat(cup_rate_meter_rate(&meter), ==, 0.0);
  g_assert_false(meter.primed);
  feed_steady(&meter, 2e5, 1, 200 * MS, &now, &bytes);
  g_assert_cmpfloat_with_epsilon(cup_rate_meter_rate(&meter), 2e5, 1.0);
}

static void test_eta(void)
{
  g_assert_cmpint(cup_progress_eta_ms(1000, 0), ==, -1);
  g_assert_cmpint(cup_progress_eta_ms(1000, -5), ==, -1);
  g_assert_cmpint(cup_progress_eta_ms(1000, NAN), ==, -1);
  g_assert_cmpint(cup_progress_eta_ms(0, 0), ==, 0);
  g_assert_cmpint(cup_progress_eta_ms(0, 100), ==, 0);
  g_assert_cmpint(cup_progress_eta_ms(1000, 100), ==, 10000);
  g_assert_cmpint(cup_progress_eta_ms(1, 3), ==, 334); /* rounded up: never "0 s left" early */
  g_assert_cmpint(cup_progress_eta_ms(G_MAXUINT64, 1e-9), ==, -1);
}

static void test_state_names(void)
{
  g_assert_cmpstr(cup_progress_state_name(CUP_PROGRESS_QUEUED), ==, "queued");
  g_assert_cmpstr(cup_progress_state_name(CUP_PROGRESS_CACHED), ==, "cached");
  g_assert_cmpstr(cup_progress_state_name(CUP_PROGRESS_CONNECTING), ==, "connecting");
  g_assert_cmpstr(cup_progress_state_name(CUP_PROGRESS_RUNNING), ==, "running");
  g_assert_cmpstr(cup_progress_state_name(CUP_PROGRESS_RETRYING), ==, "retrying");
  g_assert_cmpstr(cup_progress_state_name(CUP_PROGRESS_VERIFYING), ==, "verifying");
  g_assert_cmpstr(cup_progress_state_name(CUP_PROGRESS_DONE), ==, "done");
  g_assert_cmpstr(cup_progress_state_name(CUP_PROGRESS_FAILED), ==, "failed");
  g_assert_cmpstr(cup_progress_state_name((CupProgressState)99), ==, "unknown");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/progress/rate/needs-two-samples", test_no_rate_before_two_samples);
  g_test_add_func("/progress/rate/constant", test_constant_rate);
  g_test_add_func("/progress/rate/follows-change", test_follows_change);
  g_test_add_func("/progress/rate/one-slow-second", test_one_slow_second);
  g_test_add_func("/progress/rate/close-samples-folded", test_close_samples_folded);
  g_test_add_func("/progress/rate/restart-resets", test_restart_resets);
  g_test_add_func("/progress/eta", test_eta);
  g_test_add_func("/progress/state-names", test_state_names);
  return g_test_run();
}
