/* plan_private.h - what plan.c (choosing) and plan_out.c (archives, environment, JSON) share. */
#pragma once

#include "core/plan.h"
#include "core/version.h"

/* How a driver relates to one CUDA version (NVIDIA, CUDA Compatibility guide). */
typedef enum {
  CUP_FIT_NONE, /* the driver cannot run it: install or upgrade */
  CUP_FIT_MVC,  /* runs through minor-version compatibility (limited features) */
  CUP_FIT_FULL, /* meets the release's own minimum */
} CupDriverFit;

/* One candidate CUDA major.minor, judged against the driver and the GPU's branch. */
typedef struct {
  char *cuda;         /* "12.1" */
  char *full_minimum; /* the release's minimum driver for the OS, NULL = not given */
  char *floor;        /* the major's minor-version-compatibility floor, NULL = none */
  CupDriverFit fit;   /* of the current driver; NONE without one */
  gboolean possible;  /* some driver the GPU can use runs it */
  gboolean needs_mvc; /* the driver to install only reaches it through the floor */
  const char *source; /* release notes URL */
} CupCudaOption;

/* plan_out.c */
void cup_plan_archive_free(CupPlanArchive *archive);
void cup_plan_add_archives(CupPlan *plan, const CupCatalog *catalog, const CupRequest *request);
void cup_plan_add_environment(CupPlan *plan);
char *cup_plan_default_root(const CupRequest *request, const char *os, const char *cuda);
void cup_plan_reason(CupPlan *plan, const char *format, ...) G_GNUC_PRINTF(2, 3);
void cup_plan_warn(CupPlan *plan, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Version helpers on strings the catalog has already validated. */
int cup_vcmp(const char *a, const char *b);
gboolean cup_version_matches(const char *pin, const char *version);
