/* installmirror.h - the real-content mirror that the install test, the install benchmark and the
 * README's main job install from: NVIDIA's redist layout, with archives packed from the CUDA
 * 13.0 toolkit and cuDNN 9.19 on this machine, built once into a cache and reused.
 *
 *   ROOT/cuda/redist/redistrib_13.0.2.json
 *   ROOT/cuda/redist/<comp>/linux-x86_64/<comp>-linux-x86_64-<version>-archive.tar.xz
 *       cuda_cccl, cuda_crt, cuda_cudart, cuda_nvcc, libnvvm: what `nvcc -c` needs
 *   ROOT/cudnn/redist/redistrib_9.19.0.json
 *   ROOT/cudnn/redist/cudnn/linux-x86_64/cudnn-linux-x86_64-9.19.0.56_cuda13-archive.tar.xz
 *   ROOT/cudnn/redist/cudnn/windows-x86_64/cudnn-windows-x86_64-9.19.0.56_cuda13-archive.zip
 *
 * The toolkit at /usr/local/cuda was assembled from NVIDIA's pip wheels; each wheel's
 * dist-info/<wheel>.dist-info/RECORD names its files, and so decides which files go into which
 * component archive. Archives are laid out as NVIDIA's are (one top directory
 * <name>-archive/, LICENSE at its top, lib/libX.so.<full> with the .so.<major> and .so
 * symlinks), the .tar.xz as one single-block xz stream (single-threaded, like NVIDIA's).
 *
 * The cache: $CUDAUP_TEST_MIRROR_CACHE, else g_get_user_cache_dir()/cudaup-test-mirror, holds
 * one directory per key (a hash of the format version, the xz preset and every source file's
 * path, size and mtime): <key>/root (the mirror), <key>/index.json (the archives and their
 * unpacked sizes) and <key>/catalog-<hash of the manifests directory> (test catalogs). A
 * directory is built under <key>.tmp-XXXXXX and renamed into place while holding flock(2) on
 * <key>.lock, so builders in several processes take turns and a reader never sees half a
 * mirror; one killed while building leaves a temp directory the next holder removes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The releases the mirror serves (CUDA 13.0 Update 2, the wheels' cuDNN). */
#define CUP_TEST_INSTALL_CUDA_RELEASE "13.0.2"
#define CUP_TEST_INSTALL_CUDNN_RELEASE "9.19.0"
#define CUP_TEST_INSTALL_CUDNN_VERSION "9.19.0.56"

/* The environment variable that moves the cache (a directory; created when missing). */
#define CUP_TEST_INSTALL_MIRROR_CACHE_ENV "CUDAUP_TEST_MIRROR_CACHE"

typedef struct {
  char *component;    /* "cuda_nvcc", "cudnn" */
  char *platform;     /* "linux-x86_64", "windows-x86_64" */
  char *cuda_variant; /* "cuda13" for cuDNN; NULL for CUDA components */
  char *version;      /* the component's own version: "13.0.88", "9.19.0.56" */
  char *path;         /* below root, as a plan names it: "cuda/redist/cuda_nvcc/linux-x86_64/..." */
  char *file;         /* absolute path of the archive */
  char *sha256;       /* 64 lower-case hex digits */
  guint64 size;       /* bytes of the archive */
  guint64 unpacked_size; /* bytes of the regular files inside it (symlinks and dirs count 0) */
} CupTestInstallArchive;

typedef struct {
  char *dir;            /* the cache entry: <cache>/<key> */
  char *root;           /* the mirror root, to be served over HTTP(S) */
  char *catalog;        /* the test catalog directory (for `cudaup --catalog DIR`) */
  char *cuda_manifest;  /* ROOT/cuda/redist/redistrib_13.0.2.json */
  char *cudnn_manifest; /* ROOT/cudnn/redist/redistrib_9.19.0.json */
  GPtrArray *archives;  /* CupTestInstallArchive*: the CUDA components by name, then cuDNN
                         * linux-x86_64, then cuDNN windows-x86_64 */
  gboolean built;       /* TRUE when this call built the mirror, FALSE when it reused one */
  double seconds;       /* how long this call took, in seconds */
} CupTestInstallMirror;

typedef struct {
  const char *cuda_root; /* NULL: /usr/local/cuda */
  const char *cache_dir; /* NULL: $CUDAUP_TEST_MIRROR_CACHE, else <user cache>/cudaup-test-mirror */
  int xz_preset;         /* 0: the default, 1 (see installmirror.c for why); else 1..9 */
} CupTestInstallMirrorOptions;

/**
 * cup_test_install_mirror_get: the mirror of the toolkit at /usr/local/cuda in the default
 * cache, built there first when no valid copy exists (several minutes; a line on stderr says
 * so and how long it took), and a test catalog made from @manifests_dir (the project's
 * manifests/, CUP_TEST_MANIFESTS) next to it: a copy whose redist/cuda and redist/cudnn hold
 * only the mirror's two redistrib manifests, whose redist/pinned-manifest-sha256.json pins
 * them, and whose cudnn.json has a 9.19.0 row (copied from 9.19.1 when missing).
 *
 * A cached copy is verified before it is returned: every archive's size and SHA-256 against
 * index.json and the redistrib manifests. A copy that fails is removed and rebuilt.
 *
 * Errors: CUP_ERROR_NOT_FOUND when the toolkit is absent or lacks one of the wheels the mirror
 * is built from (the message names what is missing, for g_test_skip); CUP_ERROR_PARSE for a
 * RECORD file that cannot be read; CUP_ERROR_INTEGRITY when a source file's size differs from
 * its RECORD; CUP_ERROR_CATALOG for a @manifests_dir without cudnn.json rows to copy;
 * CUP_ERROR_IO for a disk problem. Returns a new mirror (cup_test_install_mirror_free).
 */
CupTestInstallMirror *cup_test_install_mirror_get(const char *manifests_dir, GError **error);

/**
 * cup_test_install_mirror_get_with: as cup_test_install_mirror_get, from the toolkit and into
 * the cache @options names (NULL: the defaults). The tests of the cache itself use it with a
 * small stand-in toolkit and a private cache directory.
 */
CupTestInstallMirror *cup_test_install_mirror_get_with(const CupTestInstallMirrorOptions *options,
                                                       const char *manifests_dir, GError **error);

/**
 * cup_test_install_mirror_find: the archive of @component for @platform ("linux-x86_64",
 * "windows-x86_64"), owned by @mirror, or NULL.
 */
const CupTestInstallArchive *cup_test_install_mirror_find(const CupTestInstallMirror *mirror,
                                                          const char *component,
                                                          const char *platform);

/** cup_test_install_mirror_free: free @mirror (the files stay in the cache). NULL is ignored. */
void cup_test_install_mirror_free(CupTestInstallMirror *mirror);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupTestInstallMirror, cup_test_install_mirror_free)

G_END_DECLS
