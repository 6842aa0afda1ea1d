/* pyprobe.h - ask a Python interpreter what deep-learning frameworks it has and whether they
 * see a GPU: PyTorch and TensorFlow versions, the CUDA and cuDNN they were built with, the
 * GPUs they see, the architectures the torch wheel carries and the cuDNN libraries it brings.
 *
 * The interpreter runs a small embedded script (`PYTHON -c SCRIPT`) that never needs a GPU:
 * every call it makes answers without one (torch.cuda.is_available() is False, the GPU list is
 * empty). `-I` is not used, so PYTHONPATH and a virtual environment's site-packages count, as
 * they do when the user runs their own code; the caller passes the environment explicitly.
 */
#pragma once

#include "core/system.h"

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* Default time the probe may take, in milliseconds: importing TensorFlow alone takes several
 * seconds on a laptop, and the first import after an install compiles bytecode. */
#define CUP_PYPROBE_TIMEOUT_MS 60000

/* The line prefix the script prints its one JSON object after; whatever else the frameworks
 * print while importing (TensorFlow logs, warnings) is ignored. */
#define CUP_PYPROBE_MARKER "CUDAUP-PYPROBE:"

typedef struct {
  const char *python;           /* the interpreter: a path, or a name looked up on the PATH of
                                 * @envp; NULL: the first python3 or python on that PATH
                                 * (Windows: python.exe, then py.exe) */
  const char *const *envp;      /* its environment ("NAME=value"); NULL: ours */
  const char *const *extra_env; /* "NAME=value" set over @envp (PYTHONPATH=...); may be NULL */
  guint timeout_ms;             /* 0: CUP_PYPROBE_TIMEOUT_MS */
} CupPyProbeOptions;

/* What the probe found out about one framework. Strings NULL when not known. */
typedef struct {
  gboolean found;       /* importlib.util.find_spec() found the package */
  char *version;        /* __version__: "2.1.2+cpu", "2.15.0" */
  char *file;           /* the module's __file__ (which installation was imported) */
  char *import_error;   /* "ImportError: libcudnn.so.8: cannot open ..." when import failed */
  char *error;          /* the first exception of a later call (is_available(), ...) */
  char *cuda;           /* torch.version.cuda / build_info["cuda_version"]; NULL: CPU build */
  char *cudnn;          /* torch.backends.cudnn.version() as "9.1.0" (the cuDNN loaded);
                         * TensorFlow: build_info["cudnn_version"] */
  char *cudnn_compiled; /* torch: the cuDNN it was compiled against ("9.1.0"); NULL unknown */
  CupTristate built_with_cuda; /* torch: torch.version.cuda is set; tf.test.is_built_with_cuda() */
  CupTristate cuda_available;  /* torch.cuda.is_available(); TensorFlow: a GPU is listed */
  int device_count;            /* torch.cuda.device_count() / GPUs listed; -1 unknown */
  GPtrArray *devices;          /* char*: device names (torch) or "/physical_device:GPU:0" (TF) */
  GPtrArray *arch_list;        /* char*: "sm_50", ..., "compute_90" (torch only; may be empty) */
  char *lib_dir;               /* torch/lib: where the wheel keeps its shared libraries */
  GPtrArray *cudnn_libs;       /* char*: libcudnn* / cudnn*.dll files the framework brings (its lib
                                * dir, the nvidia-cudnn-cu* wheel's lib or bin dir), sorted */
  char *cudnn_wheel;           /* "nvidia-cudnn-cu12": the cuDNN wheel installed beside it */
  char *cudnn_wheel_version;   /* "9.1.0.70" */
} CupPyFramework;

typedef struct {
  char *python;     /* the interpreter as run (the path found) */
  char *executable; /* sys.executable */
  char *version;    /* "3.11.2" */
  CupPyFramework torch;
  CupPyFramework tensorflow;
  json_t *json; /* the object the script printed (a reference owned by the probe) */
} CupPyProbe;

/**
 * cup_pyprobe_find_python: the interpreter @o->python names, or the first python3 / python
 * (Windows: python.exe / py.exe) on the PATH of @o->envp (ours when NULL), each PATH entry
 * tried for every name before the next entry. Returns a newly allocated path, or NULL with
 * CUP_ERROR_NOT_FOUND "no Python found on PATH; install Python 3 or name one with --python
 * EXE" (or naming the missing @o->python).
 */
char *cup_pyprobe_find_python(const CupPyProbeOptions *o, GError **error);

/**
 * cup_pyprobe_run: run the probe script in the interpreter of @o (see
 * cup_pyprobe_find_python) through core/proc: stdin closed, stdout and stderr captured, the
 * interpreter and everything it started killed at the timeout. Bytecode is not written
 * (PYTHONDONTWRITEBYTECODE) and the working directory is left off sys.path, so a "torch"
 * directory where the user stands does not stand in for the installed one.
 * Errors: CUP_ERROR_NOT_FOUND when there is no such Python or it cannot be started (the
 * message names the fix); CUP_ERROR_CHECK when it did not finish within the timeout (the
 * message says so) or exited without a result (its last output line is quoted);
 * CUP_ERROR_PARSE when the result line is not the JSON object expected.
 * Returns a new probe (cup_pyprobe_free).
 */
CupPyProbe *cup_pyprobe_run(const CupPyProbeOptions *o, GError **error);

/**
 * cup_pyprobe_parse: build a probe from the script's @output (what the interpreter printed,
 * the result line anywhere in it), for @python. Errors: CUP_ERROR_PARSE when no line carries
 * CUP_PYPROBE_MARKER or its JSON is not an object with the expected keys.
 */
CupPyProbe *cup_pyprobe_parse(const char *python, const char *output, GError **error);

/** cup_pyprobe_script: the embedded script (static), for tests and for reading. */
const char *cup_pyprobe_script(void);

/**
 * cup_pyprobe_to_json: the stable JSON of @probe: {"python","executable","version",
 * "torch":{...},"tensorflow":{...}}, each framework {"found","version","file","import_error",
 * "error","cuda","cudnn","cudnn_compiled","built_with_cuda","cuda_available","device_count",
 * "devices","arch_list","lib_dir","cudnn_libs","cudnn_wheel","cudnn_wheel_version"} (unknown:
 * null). Returns a new reference.
 */
json_t *cup_pyprobe_to_json(const CupPyProbe *probe);

/** cup_pyprobe_free: free @probe; NULL is allowed. */
void cup_pyprobe_free(CupPyProbe *probe);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupPyProbe, cup_pyprobe_free)

G_END_DECLS
