/* plan.h - the planner: (CupSystem, CupCatalog, CupRequest) -> CupPlan.
 *
 * Pure: no I/O, no clock, no environment. Everything a user sees before confirming an install
 * is in the plan, with one reason line per decision naming its rule and source, and the plan
 * serialises to the stable JSON of DESIGN.md section 3.
 */
#pragma once

#include "core/catalog.h"
#include "core/system.h"

#include <jansson.h>

G_BEGIN_DECLS

typedef enum {
  CUP_FRAMEWORK_NONE, /* CUDA development (nvcc) only */
  CUP_FRAMEWORK_PYTORCH,
  CUP_FRAMEWORK_TENSORFLOW,
} CupFramework;

/* NVIDIA's download server with its real redist layout (compute/cuda/redist/...). */
#define CUP_DEFAULT_MIRROR "https://developer.download.nvidia.com/compute"

typedef struct {
  CupFramework framework;
  char *framework_version; /* "2.1.2", "2.10"; NULL = the newest that fits */
  char *python;            /* "3.11"; NULL = the first Python detect found, if any */
  char *cuda;              /* pin "12.1" or "12.1.1"; NULL = choose */
  char *cudnn;             /* pin "8.9" or "8.9.7"; NULL = choose */
  gboolean with_toolkit;   /* install the CUDA Toolkit even when the framework bundles CUDA */
  char *os;                /* "linux" or "windows"; NULL = the detected OS family */
  char *arch;              /* "x86_64" or "sbsa"; NULL = from the detected CPU */
  char *mirror;            /* base URL of the redist layout; NULL = CUP_DEFAULT_MIRROR */
  char *prefix;            /* toolkit root; NULL = the default root for @os and @user_scope */
  gboolean user_scope;     /* install for this user only (no administrator rights) */
  char *user_data_dir;     /* $XDG_DATA_HOME or %LOCALAPPDATA%, for the user-scope root */
  /* A CUDA Toolkit already installed (found by detect, or the one at --prefix) that cuDNN is
   * added to when no --cuda is pinned and no framework asks for another CUDA: its version
   * ("13.0" or "13.0.2") and root. NULL: none. */
  char *existing_cuda;
  char *existing_root;
} CupRequest;

typedef struct {
  char *component; /* "cuda_nvcc", "cudnn" */
  char *version;   /* the component's version */
  char *url;       /* mirror URL of the archive */
  char *path;      /* below the mirror root: "cuda/redist/cuda_nvcc/linux-x86_64/..." */
  char *sha256;
  guint64 size;      /* bytes */
  char *destination; /* toolkit root the archive is merged into */
} CupPlanArchive;

typedef struct {
  CupGpu *gpu; /* the GPU planned for (a copy), NULL when planning without one */

  char *os;       /* "linux" / "windows" */
  char *platform; /* redist platform, "linux-x86_64" */

  char *driver_action;               /* "keep", "install" or "upgrade" */
  char *driver_current;              /* detected driver version, NULL when none */
  char *driver_minimum;              /* full-feature minimum for the chosen CUDA */
  char *driver_minimum_minor_compat; /* floor through minor-version compatibility, or NULL */
  gboolean driver_minor_compat;      /* the plan relies on minor-version compatibility */
  char *driver_branch;               /* branch to install, "530"; NULL when keeping the driver */
  char *legacy_branch;               /* "470" when the GPU is stuck on a legacy branch */

  char *cuda_version;     /* "12.1" (or "12.1.1" when a redist release is used) */
  gboolean cuda_required; /* the CUDA Toolkit must be installed */
  char *toolkit_root;     /* where it goes, NULL when not installed */
  gboolean cuda_existing; /* the toolkit at toolkit_root is kept and cuDNN added to it */
  GPtrArray *components;  /* char*: redist component keys to install */

  char *cudnn_version; /* NULL when no cuDNN is planned */
  char *cudnn_variant; /* "cuda12"; NULL for cuDNN 8.x */
  gboolean cudnn_required;

  char *framework_name; /* "pytorch", "tensorflow" or NULL */
  char *framework_version;
  char *framework_variant; /* "cu121" */
  char *index_url;
  char *pip_command;

  GPtrArray *archives;    /* CupPlanArchive* */
  GPtrArray *environment; /* char*: "PATH += /usr/local/cuda-12.1/bin", ... */
  GPtrArray *reasons;     /* char*: one line per decision, with its source */
  GPtrArray *warnings;    /* char* */
} CupPlan;

/**
 * cup_plan_make: choose driver, CUDA Toolkit, cuDNN and framework wheel for the first GPU of
 * @sys. Preferences, in order: what @request pins; the newest combination the framework ships
 * for this GPU; a CUDA the current driver already supports over a driver upgrade; the default
 * driver branch over legacy ones.
 * Errors: CUP_ERROR_NO_COMPATIBLE naming the constraint that failed and what to do instead;
 * CUP_ERROR_USAGE for a malformed version in @request. Returns a new plan.
 */
CupPlan *cup_plan_make(const CupSystem *sys, const CupCatalog *catalog, const CupRequest *request,
                       GError **error);

/** cup_plan_to_json: the stable plan JSON. Returns a new reference. */
json_t *cup_plan_to_json(const CupPlan *plan);

void cup_plan_free(CupPlan *plan);
void cup_request_clear(CupRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupPlan, cup_plan_free)

G_END_DECLS
