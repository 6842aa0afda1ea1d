/* mirror.h - builds a mirror tree in NVIDIA's redist layout for the tests, from real files.
 *
 *   ROOT/cuda/redist/redistrib_<release>.json
 *   ROOT/cuda/redist/<component>/<platform>/<component>-<platform>-<version>-archive.tar.xz
 *   ROOT/cudnn/redist/redistrib_<release>.json
 *   ROOT/cudnn/redist/cudnn/<platform>/cudnn-<platform>-<version>_<variant>-archive.tar.xz
 *
 * Each archive holds one top directory <name>-<platform>-<version>-archive/ with NVIDIA's
 * subtrees (bin/, include/, lib/ or lib/x64 on Windows, LICENSE), packed with libarchive as
 * .tar.xz (Linux) or .zip (Windows). Content comes from the CUDA toolkit on this machine
 * (/usr/local/cuda: libcudart, headers, cuDNN libraries) when it is there; otherwise small
 * generated files are used and the builder says so on stderr.
 */
#pragma once

#include <glib.h>

typedef struct {
  char *component;     /* "cuda_cudart" */
  char *platform;      /* "linux-x86_64" */
  char *cuda_variant;  /* "cuda12" or "cuda13" for cuDNN; NULL for CUDA components */
  char *relative_path; /* below ROOT/<product>/redist */
  char *path;          /* below ROOT: "cuda/redist/..." (a CupFetchItem path) */
  char *file;          /* absolute path of the archive */
  char *sha256;
  guint64 size;
} CupTestArchive;

typedef struct {
  char *root;            /* the mirror root */
  gboolean real_content; /* built from /usr/local/cuda files */
  GPtrArray *archives;   /* CupTestArchive* */
  char *cuda_manifest;   /* ROOT/cuda/redist/redistrib_<release>.json */
  char *cudnn_manifest;  /* ROOT/cudnn/redist/redistrib_<release>.json */
} CupTestMirror;

/**
 * cup_test_mirror_build: build in @root (created) a mirror with CUDA release @cuda_release
 * (cuda_cudart and cuda_nvcc components) and cuDNN @cudnn_release ("cuda12"/"cuda13"
 * variants) for linux-x86_64 (.tar.xz) and windows-x86_64 (.zip), with redistrib JSON in
 * NVIDIA's exact format (release_date, release_label, release_product, per-component name,
 * license, license_path, version, per-platform relative_path, sha256, md5, size). Asserts.
 */
CupTestMirror *cup_test_mirror_build(const char *root, const char *cuda_release,
                                     const char *cudnn_release);

/**
 * cup_test_mirror_find: the archive of @component for @platform, or NULL (for cuDNN the first
 * variant, cuda12; iterate mirror->archives for the others).
 */
const CupTestArchive *cup_test_mirror_find(const CupTestMirror *mirror, const char *component,
                                           const char *platform);

/**
 * cup_test_mirror_big_archive: write at @file a .tar archive of about @bytes bytes of real
 * files (cuDNN and CUDA libraries from /usr/local/cuda, repeated when needed; generated when
 * absent), for the benchmark and the memory test. Returns its sha256 (newly allocated).
 */
char *cup_test_mirror_big_archive(const char *file, guint64 bytes);

void cup_test_mirror_free(CupTestMirror *mirror);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupTestMirror, cup_test_mirror_free)
