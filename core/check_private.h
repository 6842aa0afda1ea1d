/* check_private.h - what the parts of the post-install proof share: check.c (options, library
 * proofs, output), check_probe.c (loading a library in a child process) and check_nvcc.c
 * (running nvcc). Not for other modules: they use check.h. */
#pragma once

#include "core/check.h"
#include "core/version.h"

#ifdef G_OS_WIN32
#define CUP_CHECK_NVCC_NAME "nvcc.exe"
#define CUP_CHECK_OBJECT_NAME "k.obj"
#define CUP_CHECK_DEFAULT_LIB_DIR "bin"
#define CUP_CHECK_HOST_COMPILER "cl.exe"
#else
#define CUP_CHECK_NVCC_NAME "nvcc"
#define CUP_CHECK_OBJECT_NAME "k.o"
#define CUP_CHECK_DEFAULT_LIB_DIR "lib64"
#define CUP_CHECK_HOST_COMPILER "g++"
#endif

/* One library proof: its file is STEM N SUFFIX in the lib directory. */
typedef struct {
  const char *stem;   /* "libcudart.so." */
  const char *suffix; /* "" (Linux), ".dll" (Windows) */
  const char *symbol; /* the version function */
  char kind;          /* cup_version_from_encoded: 'c' CUDA, 'd' cuDNN */
  const char *what;   /* for the fix: "the CUDA toolkit", "cuDNN" */
  const char *flag;   /* for the fix: the cudaup install selector */
  const char *extra;  /* asked after the version when wanted: "cudaGetDeviceCount" (cudart),
                       * "cudnnGetCudartVersion" (cudnn) */
} CupCheckLibSpec;

/* The options, validated and resolved once. */
typedef struct {
  const CupCheckOptions *o;
  char *root;      /* absolute, as given */
  char *real_root; /* symlinks resolved */
  char *lib_dir;   /* absolute */
  CupVersion cuda, cudnn;
  guint timeout_ms;
} CupCheck;

/* What a library load told us. */
typedef struct {
  char *error;         /* why it failed, or NULL */
  char *object;        /* the object the handle names (dlinfo) */
  char *symbol_object; /* the object that holds the version function (dladdr) */
  gint64 value;        /* what the version function returned */
  gboolean has_value;
  /* The extra call (CupCheckLibSpec.extra), when asked for and reached. */
  gboolean has_extra;
  int extra_rc;       /* cudaGetDeviceCount's cudaError_t; 0 for cudnnGetCudartVersion */
  gint64 extra_value; /* the device count, or cudnnGetCudartVersion() */
  char *extra_name;   /* cudaGetErrorName(extra_rc); NULL when the library has none */
  char *extra_text;   /* cudaGetErrorString(extra_rc); NULL likewise */
  char *extra_error;  /* why the extra call gave no answer (missing, hung), or NULL */
} CupCheckProbe;

/* check_probe.c */
/**
 * cup_check_probe_library: load @path (Linux: in a forked child, killed after @timeout_ms),
 * call @spec's version function and, when @extra, @spec->extra; fill @p (clear it with
 * cup_check_probe_clear).
 */
void cup_check_probe_library(const char *path, const CupCheckLibSpec *spec, guint timeout_ms,
                             gboolean extra, CupCheckProbe *p);
void cup_check_probe_clear(CupCheckProbe *p);

/* check.c */
gint64 cup_check_now_ms(void);
/** cup_check_real_path: @path with symlinks resolved (errno set on failure), or NULL. */
char *cup_check_real_path(const char *path);
/** cup_check_escape_problem: NULL when @path resolves below the root, else why not + @fix. */
char *cup_check_escape_problem(const CupCheck *c, const char *path, const char *fix);
/** cup_check_version_matches: @seen equals @want on the parts @want gives. */
gboolean cup_check_version_matches(const char *seen, const CupVersion *want);
/** cup_check_fix_for: "install WHAT into ROOT again (cudaup install FLAG EXPECT --prefix ROOT)". */
char *cup_check_fix_for(const CupCheck *c, const char *what, const char *flag, const char *expect);
/** cup_check_item_done: @it is finished: @ok, @detail (taken), its duration. */
void cup_check_item_done(CupCheckItem *it, gboolean ok, char *detail);

/* check_nvcc.c */
void cup_check_prove_nvcc(const CupCheck *c, CupCheckItem *it);
void cup_check_prove_compile(const CupCheck *c, CupCheckItem *it);
