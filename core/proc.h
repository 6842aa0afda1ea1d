/* proc.h - run a helper program (nvidia-smi, nvcc, python) and capture what it prints. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * cup_proc_run: run @argv (argv[0] a path or a name looked up on PATH) with stdin closed,
 * capture stdout (stderr too when @merge_stderr), and wait at most @timeout_ms milliseconds;
 * a program still running then is killed.
 * Returns the output (newly allocated GBytes) and the exit status in @exit_status (the
 * program's exit code, or -1 when it died of a signal). A program that cannot be started
 * sets CUP_ERROR_NOT_FOUND; one that times out sets CUP_ERROR_INTERNAL naming the timeout.
 * A non-zero exit code is not an error: the caller decides.
 */
GBytes *cup_proc_run(const char *const *argv, gboolean merge_stderr, guint timeout_ms,
                     int *exit_status, GError **error);

/** cup_proc_output_text: what a program printed (GBytes) as a string; "" for nothing. */
char *cup_proc_output_text(GBytes *output);

G_END_DECLS
