/* doctor.h - why does this machine not use its GPU? A catalogue of known failure modes, each
 * with a stable id, the evidence found, the fix and the document the rule comes from
 * (DESIGN.md section 2, doctor).
 *
 * Two steps, so that every rule can be tested with plain data:
 *  1. cup_doctor_gather reads the machine into CupDoctorFacts: cup_detect's CupSystem, the
 *     catalog, PATH / LD_LIBRARY_PATH entries resolved to the toolkits they belong to, cuDNN
 *     libraries and lib64/stubs directories on the library paths, unfinished install journals,
 *     Linux driver libraries inside WSL, and the Python probe (core/pyprobe.h).
 *  2. cup_doctor_diagnose runs every rule over the facts (pure: no I/O, no clock, no
 *     environment) and gives a CupDoctorReport: a one-line verdict, then the findings.
 */
#pragma once

#include "core/catalog.h"
#include "core/pyprobe.h"
#include "core/system.h"

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

/* The stable ids of the findings (README, "cudaup doctor"). Never renamed; new ones may come. */
#define CUP_DOCTOR_TORCH_CPU_WHEEL "torch-cpu-wheel"
#define CUP_DOCTOR_TORCH_CUDA_NEWER_THAN_DRIVER "torch-cuda-newer-than-driver"
#define CUP_DOCTOR_TORCH_ARCH_MISSING "torch-arch-missing"
#define CUP_DOCTOR_FRAMEWORK_SEES_NO_GPU "framework-sees-no-gpu"
#define CUP_DOCTOR_NO_DRIVER "no-driver"
#define CUP_DOCTOR_DRIVER_TOO_OLD_FOR_TOOLKIT "driver-too-old-for-toolkit"
#define CUP_DOCTOR_SMI_CUDA_VERSION_IS_NOT_TOOLKIT "smi-cuda-version-is-not-toolkit"
#define CUP_DOCTOR_NOUVEAU_LOADED "nouveau-loaded"
#define CUP_DOCTOR_SECURE_BOOT_BLOCKS_NVIDIA "secure-boot-blocks-nvidia"
#define CUP_DOCTOR_TOOLKITS_PATH_ORDER "toolkits-path-order"
#define CUP_DOCTOR_CUDNN_SHADOWS_FRAMEWORK "cudnn-shadows-framework"
#define CUP_DOCTOR_STUBS_ON_LIBRARY_PATH "stubs-on-library-path"
#define CUP_DOCTOR_TF_WINDOWS_CUDNN_MISSING "tf-windows-cudnn-missing"
#define CUP_DOCTOR_CUDNN_CUDA_MAJOR_MISMATCH "cudnn-cuda-major-mismatch"
#define CUP_DOCTOR_TF_WINDOWS_NATIVE_GPU "tf-windows-native-gpu"
#define CUP_DOCTOR_WSL_LINUX_DRIVER "wsl-linux-driver"
#define CUP_DOCTOR_UNFINISHED_INSTALL "unfinished-install"
#define CUP_DOCTOR_PYTHON_PROBE_FAILED "python-probe-failed"

/* The version of the --json schema ("schema": "cudaup-doctor/1"). */
#define CUP_DOCTOR_SCHEMA "cudaup-doctor/1"

typedef enum {
  CUP_DOCTOR_INFO,    /* an explanation; not a problem */
  CUP_DOCTOR_WARNING, /* works badly or will break soon */
  CUP_DOCTOR_ERROR,   /* the GPU cannot be used until it is fixed */
} CupDoctorSeverity;

/* A directory entry of PATH or LD_LIBRARY_PATH, and the toolkit it belongs to. */
typedef struct {
  char *entry;           /* as written in the variable: "/usr/local/cuda/bin" */
  char *toolkit_root;    /* the canonical root of the toolkit it is part of; NULL: none */
  char *toolkit_version; /* that toolkit's version; NULL when none or unknown */
} CupDoctorPathEntry;

/* A file found on a search path (a cuDNN library, a stubs directory, a driver library). */
typedef struct {
  char *path;    /* system path (without --root) */
  char *version; /* from the file name: "9.19.0" of libcudnn.so.9.19.0, "9" of cudnn64_9.dll */
  char *via;     /* where it was found: "LD_LIBRARY_PATH", "PATH", "/etc/ld.so.conf.d/x.conf" */
} CupDoctorFile;

/* An install journal left by a cudaup that did not finish (core/txn.h). */
typedef struct {
  char *root;    /* the toolkit root, system path */
  char *journal; /* ROOT/.cudaup/journal */
  char *what;    /* its "what" ("install of cuda-12.4"); NULL when unreadable */
  char *started; /* its "time"; NULL when unreadable */
} CupDoctorJournal;

/* Everything the rules read. Owned by the struct; fill it by hand in tests. */
typedef struct {
  CupSystem *sys;             /* detect's facts (never NULL) */
  CupCatalog *catalog;        /* NULL when manifests/ could not be loaded: catalog rules skip */
  char *python;               /* the interpreter probed; NULL when none was found */
  CupPyProbe *probe;          /* NULL when there is no Python or the probe failed */
  GError *probe_error;        /* why @probe is NULL (NULL when no Python was looked for) */
  gboolean python_requested;  /* the user named the interpreter (--python) */
  GPtrArray *path;            /* CupDoctorPathEntry*: PATH in order */
  GPtrArray *library_path;    /* CupDoctorPathEntry*: LD_LIBRARY_PATH in order */
  char *cuda_home;            /* CUDA_HOME, else CUDA_PATH, as set; NULL */
  char *cuda_home_var;        /* which of the two it was */
  gboolean cuda_home_exists;  /* it names an existing directory */
  char *cuda_home_root;       /* the canonical root of the toolkit it names; NULL: none */
  GPtrArray *cudnn_on_path;   /* CupDoctorFile*: cuDNN libraries in LD_LIBRARY_PATH (Linux) or
                               * PATH (Windows) directories */
  GPtrArray *stubs;           /* CupDoctorFile*: stubs directories on a run-time library path */
  GPtrArray *journals;        /* CupDoctorJournal* */
  GPtrArray *wsl_driver_libs; /* CupDoctorFile*: Linux driver libraries installed inside WSL */
} CupDoctorFacts;

/* One finding. Text is translated; facts and command are data (never translated). */
typedef struct {
  const char *id; /* one of CUP_DOCTOR_* (static) */
  CupDoctorSeverity severity;
  char *title;         /* one line: what is wrong */
  GPtrArray *evidence; /* char*: what was found, concretely (paths, versions, entries) */
  char *explanation;   /* why it matters, in plain words; may be NULL */
  char *fix;           /* what to do */
  char *command;       /* the command that does it, when there is one; NULL otherwise */
  json_t *facts;       /* object: the evidence as data ("torch_version": "2.1.2+cpu", ...) */
  const char *source;  /* the document the rule comes from (URL, static) */
} CupDoctorFinding;

typedef struct {
  GPtrArray *findings; /* CupDoctorFinding*: errors, then warnings, then explanations */
  guint problems;      /* findings that are errors or warnings */
  const char *status;  /* "ready", "problems", "no-gpu", "no-framework", "no-python",
                        * "cpu-only" (static) */
  char *verdict;       /* the one line that comes first */
} CupDoctorReport;

typedef struct {
  const char *root;          /* system paths under this root; NULL: "/" */
  const char *const *envp;   /* the environment examined and given to Python; NULL: ours */
  const char *manifests_dir; /* NULL: cup_manifests_dir(NULL) */
  const char *pci_ids_path;  /* NULL: the usual places */
  const char *nvidia_smi;    /* NULL: search PATH */
  const char *python;        /* NULL: the first python3/python on PATH */
  gboolean no_python;        /* do not probe any Python */
  guint python_timeout_ms;   /* 0: CUP_PYPROBE_TIMEOUT_MS */
} CupDoctorOptions;

/**
 * cup_doctor_gather: read the machine (see the file comment). The Python always runs on this
 * machine, even under --root. A probe that fails is kept in facts->probe_error, not returned.
 * Errors: CUP_ERROR_CATALOG from detection (gpus.json missing while NVIDIA GPUs need it);
 * CUP_ERROR_NOT_FOUND when @o->python names an interpreter that does not exist. Returns new
 * facts (cup_doctor_facts_free).
 */
CupDoctorFacts *cup_doctor_gather(const CupDoctorOptions *o, GError **error);

/** cup_doctor_facts_new: empty facts around an empty CupSystem (for tests). */
CupDoctorFacts *cup_doctor_facts_new(void);
void cup_doctor_facts_free(CupDoctorFacts *facts);
CupDoctorPathEntry *cup_doctor_path_entry_new(const char *entry, const char *toolkit_root,
                                              const char *toolkit_version);
void cup_doctor_path_entry_free(CupDoctorPathEntry *entry);
CupDoctorFile *cup_doctor_file_new(const char *path, const char *version, const char *via);
void cup_doctor_file_free(CupDoctorFile *file);
CupDoctorJournal *cup_doctor_journal_new(const char *root, const char *journal, const char *what,
                                         const char *started);
void cup_doctor_journal_free(CupDoctorJournal *journal);

/**
 * cup_doctor_diagnose: run every rule over @facts. Pure. Returns a new report
 * (cup_doctor_report_free).
 */
CupDoctorReport *cup_doctor_diagnose(const CupDoctorFacts *facts);

/** cup_doctor_find: the finding @id of @report, or NULL (owned by @report). */
const CupDoctorFinding *cup_doctor_find(const CupDoctorReport *report, const char *id);

/**
 * cup_doctor_report_text: the verdict line, then each finding (title, evidence, explanation,
 * fix, command, source) as text for a terminal. Newly allocated.
 */
char *cup_doctor_report_text(const CupDoctorReport *report);

/**
 * cup_doctor_report_to_json: {"schema","status","verdict","problems","findings":[{"id",
 * "severity","title","evidence":[..],"explanation","fix","command","facts":{..},"source"}],
 * "python": <cup_pyprobe_to_json or null>, "python_error": string or null,
 * "system": <cup_system_to_json>} (README, "cudaup doctor"). Returns a new reference.
 */
json_t *cup_doctor_report_to_json(const CupDoctorReport *report, const CupDoctorFacts *facts);

/** cup_doctor_severity_id: "error", "warning" or "info" (static). */
const char *cup_doctor_severity_id(CupDoctorSeverity severity);

void cup_doctor_report_free(CupDoctorReport *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupDoctorFacts, cup_doctor_facts_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupDoctorReport, cup_doctor_report_free)

G_END_DECLS
