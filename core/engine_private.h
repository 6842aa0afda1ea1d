/* engine_private.h - shared between engine.c and engine_result.c. */
#pragma once

#include "core/engine.h"

/* A result for @root with empty arrays. */
CupEngineResult *cup_engine_result_new(const char *root);

/* One package per kind (cuda, cudnn) of @plan's archives, CUDA first, each listing its
 * archives' components. */
void cup_engine_result_add_packages(CupEngineResult *r, const CupPlan *plan);

/* Appends a file the dry run would write. */
void cup_engine_add_file(CupEngineResult *r, const char *path, const char *kind, guint64 size);
