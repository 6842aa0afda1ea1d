/* proc.h - run a helper program (nvidia-smi, nvcc, python) and capture what it prints. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* cup_proc_run_full's @exit_status for a program killed at its timeout. */
#define CUP_PROC_TIMED_OUT (-2)

/* How cup_proc_run_full runs a program. Everything is borrowed for the call only. */
typedef struct {
  const char *const *argv; /* argv[0] a path, or a name looked up on our PATH (not @envp's) */
  const char *const *envp; /* the program's whole environment ("NAME=value"); NULL: ours */
  const char *cwd;         /* its working directory; NULL: ours */
  gboolean merge_stderr;   /* TRUE: stderr goes into the output too; FALSE: it is discarded */
  guint timeout_ms;        /* wall-clock limit in milliseconds from the start */
} CupProcOptions;

/**
 * cup_proc_run_full: run @o->argv with stdin closed (/dev/null), capture stdout (and stderr
 * when @o->merge_stderr) while it runs, so any amount of output is read without blocking it,
 * and wait at most @o->timeout_ms milliseconds.
 * On Unix the program runs in a process group of its own, and at the timeout the whole group
 * is killed (SIGKILL) and the program reaped: a wrapper script's children (nvcc's cicc and
 * gcc, a python started by a shell script) would otherwise keep the output pipe open and
 * keep us waiting. A process that left the group (setsid) is not killed, but no longer holds
 * us either. Being its own group, the program does not get the terminal's Ctrl-C; the
 * timeout bounds it. On Windows only the program itself is killed.
 * Returns the output (newly allocated GBytes, empty for none) and sets @exit_status (may be
 * NULL) to the exit code, or -1 when it died of a signal. Errors (NULL returned): the
 * program cannot be started (not found, not executable, @o->cwd missing):
 * CUP_ERROR_NOT_FOUND, @exit_status -1; it did not finish in time: CUP_ERROR_INTERNAL
 * naming the timeout, @exit_status CUP_PROC_TIMED_OUT; reading its output failed:
 * CUP_ERROR_INTERNAL, @exit_status -1. A non-zero exit code is not an error: the caller
 * decides.
 */
GBytes *cup_proc_run_full(const CupProcOptions *o, int *exit_status, GError **error);

/**
 * cup_proc_run: cup_proc_run_full with our environment and working directory: run @argv
 * (argv[0] a path or a name looked up on PATH) with stdin closed, capture stdout (stderr too
 * when @merge_stderr), and wait at most @timeout_ms milliseconds; a program still running
 * then is killed, with everything it started (Unix).
 * Returns the output (newly allocated GBytes) and the exit status in @exit_status (the
 * program's exit code, or -1 when it died of a signal). A program that cannot be started
 * sets CUP_ERROR_NOT_FOUND; one that times out sets CUP_ERROR_INTERNAL naming the timeout.
 * A non-zero exit code is not an error: the caller decides.
 */
GBytes *cup_proc_run(const char *const *argv, gboolean merge_stderr, guint timeout_ms,
                     int *exit_status, GError **error);

/** cup_proc_output_text: what a program printed (GBytes) as a string; "" for nothing. */
char *cup_proc_output_text(GBytes *output);

/**
 * cup_proc_ldconfig: run ldconfig(8) (/sbin/ldconfig, /usr/sbin/ldconfig, else from PATH), so
 * the dynamic linker's cache lists the libraries of the directories in /etc/ld.so.conf.d.
 * Linux only; as root. Errors: cup_proc_run's, and CUP_ERROR_IO "exit status N: <output>".
 */
gboolean cup_proc_ldconfig(GError **error);

G_END_DECLS
