/* verify.h - `cudaup verify`: the proof that an installed CUDA toolkit works on this machine,
 * as a list of checks, each passed, failed or skipped, with one line of evidence and, on
 * failure, the fix (issue 7).
 *
 * The checks, in order (CupVerifyCheck.id):
 *   driver        the NVIDIA driver answers (NVML or nvidia-smi, from cup_detect)
 *   driver-cuda   it supports the toolkit's CUDA version (full minimum, or minor-version
 *                 compatibility: the planner's rule, manifests/cuda.json)
 *   cudart        libcudart of the tree loads by full path; cudaRuntimeGetVersion() matches
 *   cuda-devices  cudaGetDeviceCount() succeeds (without a driver: "insufficient driver")
 *   cudnn         libcudnn of the tree loads; cudnnGetVersion() matches the install record
 *   cudnn-cuda    cudnnGetCudartVersion() has the toolkit's CUDA major
 *   nvcc          nvcc --version matches the toolkit's version
 *   nvcc-compile  nvcc compiles a kernel for the GPU's compute capability (no GPU: the lowest
 *                 architecture the toolkit supports)
 *   login-shell   (Linux) a new login shell finds the toolkit's nvcc and libraries
 *   registry      (Windows) the registry holds CUDA_PATH and the toolkit's bin on Path
 *   python        the Python interpreter answers the framework probe (core/pyprobe)
 *   torch         PyTorch: torch.__version__, torch.version.cuda, torch.cuda.is_available()
 *                 and the device name
 *   tensorflow    TensorFlow: its version, the CUDA it was built with, its GPU list
 * Library loads and nvcc runs are core/check's proofs; nothing here changes the machine.
 */
#pragma once

#include "core/catalog.h"
#include "core/system.h"

#include <jansson.h>

G_BEGIN_DECLS

typedef enum {
  CUP_VERIFY_PASS,
  CUP_VERIFY_FAIL,
  CUP_VERIFY_SKIP, /* not applicable here (no GPU, no cuDNN in the tree...): the reason is the
                    * evidence; a skip does not fail the verification */
} CupVerifyStatus;

#define CUP_VERIFY_DRIVER "driver"
#define CUP_VERIFY_DRIVER_CUDA "driver-cuda"
#define CUP_VERIFY_CUDART "cudart"
#define CUP_VERIFY_DEVICES "cuda-devices"
#define CUP_VERIFY_CUDNN "cudnn"
#define CUP_VERIFY_CUDNN_CUDA "cudnn-cuda"
#define CUP_VERIFY_NVCC "nvcc"
#define CUP_VERIFY_NVCC_COMPILE "nvcc-compile"
#define CUP_VERIFY_LOGIN_SHELL "login-shell"
#define CUP_VERIFY_REGISTRY "registry"
#define CUP_VERIFY_PYTHON "python"
#define CUP_VERIFY_TORCH "torch"
#define CUP_VERIFY_TENSORFLOW "tensorflow"

typedef struct {
  char *id; /* one of the CUP_VERIFY_* ids above: stable, for programs */
  CupVerifyStatus status;
  char *title;    /* what is checked, for a person (translated) */
  char *evidence; /* one line: what was seen (for a skip: why it was not checked) */
  char *fix;      /* what to do, when there is something to do; NULL otherwise */
} CupVerifyCheck;

typedef struct {
  const CupToolkit *toolkit; /* the toolkit to verify (root and version needed); its cudnn,
                              * when detected, is what libcudnn is compared with when the tree
                              * holds no cudaup install record */
  const CupSystem *system;   /* GPUs, driver and OS, as cup_detect found them */
  const CupCatalog *catalog; /* driver minimums (manifests/cuda.json) */
  const char *sysroot;       /* --root: toolkit paths are taken under it, and the login shell,
                              * which runs on the real system, is not asked; NULL: "/" */
  const char *home;          /* HOME of the login shell; NULL: $HOME */
  const char *shell;         /* the login shell to ask; NULL: the user's (passwd), else /bin/sh */
  const char *compile_cc;    /* compile for this compute capability ("8.6") instead of the
                              * first GPU's; NULL: the GPU's, or the lowest without a GPU */
  const char *python;        /* the interpreter whose frameworks are checked (--python EXE);
                              * NULL: the python3 or python on PATH, and none there (or a
                              * --root, whose Python cannot run here) skips those checks */
  guint timeout_ms;          /* per library load, nvcc run and shell; 0: CUP_CHECK_TIMEOUT_MS;
                              * the Python probe gets CUP_PYPROBE_TIMEOUT_MS at least */
} CupVerifyOptions;

typedef struct {
  char *toolkit_root; /* the root verified (a system path) */
  char *cuda;         /* its CUDA "X.Y" */
  char *cudnn;        /* the cuDNN "X.Y.Z" libcudnn reported; NULL when none answered */
  char *verdict;      /* the one line that comes first (translated) */
  GPtrArray *checks;  /* CupVerifyCheck*, in the order above */
  guint n_pass, n_fail, n_skip;
  gboolean ok; /* no check failed */
} CupVerifyResult;

/**
 * cup_verify_run: run every check against @o->toolkit. Failed checks are results, not errors.
 * Verdict: "Verified: CUDA 13.0 and cuDNN 9.19 work on GPU (driver D)"; without a driver
 * "Verified: CUDA 13.0 and cuDNN 9.19 work; no GPU driver, so the GPU itself was not tested";
 * with failures "Not verified: N of M checks failed, first: TITLE".
 * Errors: CUP_ERROR_USAGE when @o lacks the toolkit (or its root or version), the system or
 * the catalog; CUP_ERROR_NOT_FOUND when the toolkit root is not a directory.
 * Returns a new result (cup_verify_result_free).
 */
CupVerifyResult *cup_verify_run(const CupVerifyOptions *o, GError **error);

/** cup_verify_status_id: "pass", "fail" or "skip" (static; the JSON "status"). */
const char *cup_verify_status_id(CupVerifyStatus status);

/**
 * cup_verify_to_json: the stable `cudaup verify --json` object (README, "cudaup verify"):
 * {"verdict","ok","toolkit":{"root","cuda","cudnn"},"driver":{"version","cuda_version"},
 *  "gpu":{"name","compute_capability"},"counts":{"pass","fail","skip"},
 *  "checks":[{"id","status","title","evidence","fix"}]}; absent facts are null (driver, gpu
 * and their members too). Returns a new reference.
 */
json_t *cup_verify_to_json(const CupVerifyResult *r, const CupSystem *system);

/** cup_verify_result_free: free @r and everything in it; NULL is allowed. */
void cup_verify_result_free(CupVerifyResult *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupVerifyResult, cup_verify_result_free)

G_END_DECLS
