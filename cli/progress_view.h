/* progress_view.h - download progress on stderr: one redrawn line on a terminal (bar, percent,
 * bytes, speed, ETA, active transfers), plain lines otherwise, so the logs of thirty lab
 * machines stay readable: one line when an archive starts, is found in the cache, is retried,
 * fails or is done, and an overall line at most every CLI_PROGRESS_PLAIN_INTERVAL_US. */
#pragma once

#include "core/progress.h"

#include <stdio.h>

/* Plain output prints the overall line at most this often (microseconds). */
#define CLI_PROGRESS_PLAIN_INTERVAL_US (5 * G_USEC_PER_SEC)

typedef struct CliProgressView CliProgressView;

/**
 * cli_progress_view_new: a view writing to @out (not owned). @tty: redraw one line (else
 * plain lines); @color: colour the bar (only with @tty). Free with cli_progress_view_free.
 */
CliProgressView *cli_progress_view_new(FILE *out, gboolean tty, gboolean color);

/** cli_progress_view_func: the CupProgressFunc; @view is the CliProgressView. */
void cli_progress_view_func(const CupProgress *progress, gpointer view);

/**
 * cli_progress_view_render: append to @out what @view shows for @progress at monotonic time
 * @now_us (microseconds) on a terminal @width columns wide, and remember what was shown. The
 * pure core of cli_progress_view_func, for tests.
 */
void cli_progress_view_render(CliProgressView *view, const CupProgress *progress, gint64 now_us,
                              guint width, GString *out);

void cli_progress_view_free(CliProgressView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliProgressView, cli_progress_view_free)

/** cli_format_size: g_format_size with a plain space before the unit ("1.5 MB"). Newly allocated.
 */
char *cli_format_size(guint64 bytes);

/**
 * cli_progress_bar: "[#####-----]" with @width cells between the brackets, filled in
 * proportion to @done of @total bytes (empty when @total is 0). Newly allocated.
 */
char *cli_progress_bar(guint64 done, guint64 total, guint width);

/** cli_progress_eta_text: "m:ss", or "h:mm:ss" from an hour on, "-:--" when @eta_ms < 0. */
char *cli_progress_eta_text(gint64 eta_ms);

/**
 * cli_progress_overall_text: "120.0 MB of 800.0 MB (15%), 35.2 MB/s, ETA 0:19, 3 active",
 * the figures of both the terminal line and the plain overall line. Newly allocated.
 */
char *cli_progress_overall_text(const CupProgress *progress);
