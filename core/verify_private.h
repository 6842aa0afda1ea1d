/* verify_private.h - what verify.c (the toolkit's checks, verdict, JSON) and verify_env.c (the
 * environment a new terminal gets) share. Not for other modules: they use verify.h. */
#pragma once

#include "core/verify.h"

/**
 * cup_verify_add: append the check @id titled @title (translated, copied) to @r with @status,
 * @evidence and @fix (both taken; @fix may be NULL) and count it. Returns the check.
 */
CupVerifyCheck *cup_verify_add(CupVerifyResult *r, const char *id, const char *title,
                               CupVerifyStatus status, char *evidence, char *fix);

/**
 * cup_verify_environment: the login-shell check (Linux) or the registry check (Windows) of the
 * toolkit at @root (a system path) of CUDA @cuda ("X.Y"), appended to @r.
 */
void cup_verify_environment(const CupVerifyOptions *o, const char *root, const char *cuda,
                            CupVerifyResult *r);

/**
 * cup_verify_python: the python, torch and tensorflow checks (core/pyprobe) for @o->python,
 * appended to @r. A framework that is not installed is a skip; one that cannot see the GPU is a
 * failure only where a driver answers (without one no framework can). @sys gives the driver.
 */
void cup_verify_python(const CupVerifyOptions *o, CupVerifyResult *r);
