/* check.h - the proof that a toolkit tree works, run after an install commits (issue 5):
 * load libcudart and libcudnn from the tree by full path and read their versions, run the
 * tree's nvcc and let it compile a small kernel.
 *
 * None of this needs a GPU or a driver: cudaRuntimeGetVersion() and cudnnGetVersion() answer
 * from the library itself, and `nvcc -c` only compiles (for any -arch). Only the device proof
 * (cudaGetDeviceCount, asked for by `cudaup verify`) talks to the driver. The proof is never
 * fooled by another toolkit on the machine (/usr/local/cuda/bin on PATH, a CUDA lib directory
 * in ld.so.conf or LD_LIBRARY_PATH): a library or nvcc whose real path (symlinks resolved) is
 * not below the tree's root fails, a library is loaded by its full path and the object that
 * actually answered is asked where it lives, and nvcc runs with an environment of our own.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* Default time one proof may take (a library load, an nvcc run), in milliseconds. */
#define CUP_CHECK_TIMEOUT_MS 60000

/* Names of the proofs (CupCheckItem.name), in the order they are run. */
#define CUP_CHECK_LIBCUDART "libcudart"
#define CUP_CHECK_DEVICES "cuda-devices" /* cudaGetDeviceCount() in libcudart's process */
#define CUP_CHECK_LIBCUDNN "libcudnn"
#define CUP_CHECK_CUDNN_CUDA "libcudnn-cuda" /* cudnnGetCudartVersion() in libcudnn's process */
#define CUP_CHECK_NVCC "nvcc"
#define CUP_CHECK_NVCC_COMPILE "nvcc-compile"

/* CupCheckOptions.compile_cc: compile for the lowest architecture `nvcc --list-gpu-arch`
 * names (a machine without a GPU). */
#define CUP_CHECK_CC_LOWEST "lowest"

/* What to prove and against what. At least one proof must be asked for. */
typedef struct {
  const char *root;         /* the toolkit tree (made absolute against the working directory) */
  const char *lib_dir;      /* relative to root; NULL: "lib64", else targets/<arch>-linux/lib when
                             * lib64 is absent (Windows: "bin", where the DLLs are) */
  gboolean cudart;          /* load libcudart.so.N, cudaRuntimeGetVersion() */
  gboolean cudnn;           /* load libcudnn.so.N, cudnnGetVersion() */
  gboolean nvcc;            /* bin/nvcc --version */
  gboolean compile;         /* bin/nvcc -c k.cu -o k.o in a temporary directory */
  const char *expect_cuda;  /* "13.0": what libcudart and nvcc must report, compared on the
                             * parts given; NULL: no expectation */
  const char *expect_cudnn; /* "9.19" or "9.19.0", compared on the parts given; NULL: none */
  guint timeout_ms;         /* per proof; 0: CUP_CHECK_TIMEOUT_MS */
  gboolean devices;         /* with cudart: cudaGetDeviceCount() too (needs the driver) */
  gboolean cudnn_cuda;      /* with cudnn: cudnnGetCudartVersion() must have the CUDA major of
                             * expect_cuda, else of what libcudart reported (one is needed) */
  const char *compile_cc;   /* with compile: "8.6" compiles with -arch=sm_86, CUP_CHECK_CC_LOWEST
                             * for the lowest the toolkit supports; NULL: nvcc's default */
} CupCheckOptions;

/* The outcome of one proof. */
typedef struct {
  char *name;    /* CUP_CHECK_LIBCUDART, ... */
  gboolean ok;   /* */
  char *path;    /* the library or nvcc proven, as found in the tree; NULL when none was */
  char *version; /* what it reported: "13.0" (cudart), "9.19.0" (cudnn), "13.0.88" (nvcc),
                  * "13.0" (libcudnn-cuda: the CUDA cuDNN was built for); NULL when nothing was
                  * read (and for nvcc-compile and cuda-devices) */
  char *detail;  /* one line: what was seen and, on failure, "; " and the fix */
  gint64 ms;     /* how long the proof took, in milliseconds */
  /* cuda-devices only: what cudaGetDeviceCount() returned, -1 / NULL when it was not reached */
  int cuda_error;        /* the cudaError_t: 0 cudaSuccess, 35 cudaErrorInsufficientDriver */
  char *cuda_error_name; /* cudaGetErrorName() of it: "cudaErrorInsufficientDriver" */
  int device_count;      /* the GPUs the runtime sees */
  char *arch;            /* nvcc-compile: the -arch compiled for ("sm_75"); NULL: the default */
} CupCheckItem;

typedef struct {
  char *root;       /* the root as given, made absolute */
  GPtrArray *items; /* CupCheckItem*, owned, in the order run */
  gboolean ok;      /* every item ok */
} CupCheckResult;

/**
 * cup_check_toolkit: run the proofs @o asks for against the tree @o->root.
 *
 * Libraries: the file is LIB_DIR/libcudart.so.N (libcudnn.so.N), N the major version the
 * expectation names when that file exists, else the highest N present. It must resolve
 * (realpath) below the root, is loaded by full path in a child process (fork, Linux) and must
 * be the object that answers the version call (dladdr/dlinfo, also below the root). Versions:
 * CUDA 1000*major + 10*minor; cuDNN major*10000 + minor*100 + patch from 9 on,
 * major*1000 + minor*100 + patch before (CUDNN_VERSION in NVIDIA's cudnn_version.h); see
 * cup_version_from_encoded. nvcc: ROOT/bin/nvcc must resolve below the root; it runs with no
 * shell, a clean environment (PATH with ROOT/bin first and without any other directory that
 * holds an nvcc, HOME, TMPDIR, LC_ALL=C) and is killed, with everything it started, after the
 * timeout; "release 13.0, V13.0.88" gives "13.0.88". The compile proof checks that k.o is a
 * non-empty relocatable ELF object (COFF on Windows) and removes its temporary directory;
 * with compile_cc it passes -arch=sm_XY (CUP_CHECK_CC_LOWEST: the lowest compute_XY of
 * `nvcc --list-gpu-arch`, the list nvcc itself accepts).
 *
 * Devices (CUP_CHECK_DEVICES, after libcudart): cudaGetDeviceCount() is called in the process
 * that loaded libcudart, after its version was read; the item is ok when it returns
 * cudaSuccess with at least one device. Its cudaError_t is reported by name
 * (cudaGetErrorName of the same library) and in words: without a driver it is
 * cudaErrorInsufficientDriver (35), "insufficient driver". cudnn_cuda
 * (CUP_CHECK_CUDNN_CUDA, after libcudnn): cudnnGetCudartVersion() (CUDART_VERSION of the CUDA
 * cuDNN was built with, 1000*major + 10*minor) must have the toolkit's CUDA major (NVIDIA's
 * cuDNN support matrix: each cuDNN build is for one CUDA major). Items of a library that did
 * not load fail, saying so.
 *
 * Failed proofs are items with ok FALSE, never errors. Errors: CUP_ERROR_USAGE for bad
 * options (no root, no proof asked for, a lib_dir that is absolute or holds "..", an
 * expectation that is not a version, a compile_cc that is not X.Y, cudnn_cuda without
 * expect_cuda or cudart); CUP_ERROR_NOT_FOUND when the root is not a directory.
 * Returns a new result (cup_check_result_free) or NULL with @error set.
 */
CupCheckResult *cup_check_toolkit(const CupCheckOptions *o, GError **error);

/**
 * cup_check_summary: one line for a person. On failure, the first failing item:
 * "libcudnn at ROOT/lib64/libcudnn.so.9 reports 9.13.0, expected 9.19; install cuDNN 9.19 ..."
 * (callers raise CUP_ERROR_CHECK with it); when every proof passed, what was proven:
 * "ROOT works: libcudart 13.0, libcudnn 9.19.0, nvcc 13.0.88, nvcc compiles".
 * Returns a newly allocated string.
 */
char *cup_check_summary(const CupCheckResult *r);

/**
 * cup_check_to_json: {"root","ok","items":[{"name","ok","path","version","detail","ms",
 * "cuda_error","cuda_error_name","device_count","arch"}]}, absent strings and numbers (-1) as
 * null. Returns a new reference.
 */
json_t *cup_check_to_json(const CupCheckResult *r);

/** cup_check_result_free: free @r and everything in it; NULL is allowed. */
void cup_check_result_free(CupCheckResult *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupCheckResult, cup_check_result_free)

G_END_DECLS
