/* redist.h - NVIDIA redistrib manifests (compute/cuda/redist/redistrib_X.Y.Z.json and
 * compute/cudnn/redist/redistrib_X.Y.Z.json) as components and archives.
 *
 * Two forms exist (see manifests/README.md):
 *  - CUDA, and cuDNN 8.x: component -> platform -> {relative_path, sha256, md5, size};
 *  - cuDNN 9.x: component -> platform -> cuda_variant ("cuda11", "cuda12", "cuda13") -> {...}.
 * `size` is a decimal string in the real files. Unknown keys are ignored; a missing or
 * ill-typed required key is an error naming its JSON path.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *platform;      /* "linux-x86_64", "linux-sbsa", "windows-x86_64", ... */
  char *cuda_variant;  /* "cuda12" for cuDNN 9.x; NULL in the CUDA and cuDNN 8.x form */
  char *relative_path; /* below the redist directory, e.g. "cuda_nvcc/linux-x86_64/..." */
  char *sha256;        /* 64 lower-case hex digits */
  char *md5;           /* may be NULL */
  guint64 size;        /* bytes */
} CupRedistArchive;

typedef struct {
  char *key;           /* "cuda_nvcc", "cudnn" */
  char *name;          /* "CUDA NVCC" */
  char *license;       /* "CUDA Toolkit" */
  char *version;       /* the component's own version, "11.8.89" */
  GPtrArray *archives; /* CupRedistArchive* */
} CupRedistComponent;

typedef enum { CUP_REDIST_CUDA, CUP_REDIST_CUDNN } CupRedistKind;

typedef struct {
  CupRedistKind kind;
  char *release;         /* "11.8.0", "9.13.0" (release_label) */
  char *release_date;    /* "2022-10-03", may be NULL */
  char *origin;          /* the file it was read from, for messages */
  GPtrArray *components; /* CupRedistComponent* */
} CupRedistManifest;

/**
 * cup_redist_parse: parse the redistrib JSON @text (@len bytes) of @kind. @origin names the
 * file in error messages. Errors: CUP_ERROR_CATALOG "ORIGIN: invalid at <json path>: <why>"
 * (e.g. "invalid at $.cuda_nvcc.linux-x86_64.size: expected a decimal string").
 * Returns a new manifest (cup_redist_manifest_free).
 */
CupRedistManifest *cup_redist_parse(const char *text, gsize len, CupRedistKind kind,
                                    const char *origin, GError **error);

/**
 * cup_redist_find: the archive of @component for @platform (and @cuda_variant for cuDNN 9.x;
 * ignored when NULL or when the manifest has no variants). Returns it (owned by @manifest) or
 * NULL.
 */
const CupRedistArchive *cup_redist_find(const CupRedistManifest *manifest, const char *component,
                                        const char *platform, const char *cuda_variant);

/** cup_redist_component: the component @key of @manifest, or NULL. */
const CupRedistComponent *cup_redist_component(const CupRedistManifest *manifest,
                                               const char *key);

/**
 * cup_redist_load_dir: load every redistrib_*.json below @dir/cuda and @dir/cudnn into @out
 * (CupRedistManifest*). Each file's sha256 (GChecksum) is checked against @pins
 * (cup_redist_pins_load) when the pins list its release; a mismatch is CUP_ERROR_INTEGRITY
 * naming the file, both hashes and the fix. A file of a release the pins do not list is
 * accepted with a line added to @warnings. A missing @dir is not an error.
 */
gboolean cup_redist_load_dir(const char *dir, GHashTable *pins, GPtrArray *out,
                             GPtrArray *warnings, GError **error);

/**
 * cup_redist_pins_load: the pinned manifest hashes (manifests/redist/pinned-manifest-sha256.json)
 * as a table "cuda/11.8.0" / "cudnn/9.13.0" -> sha256 hex. Errors as cup_redist_parse.
 */
GHashTable *cup_redist_pins_load(const char *path, GError **error);

void cup_redist_manifest_free(CupRedistManifest *manifest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupRedistManifest, cup_redist_manifest_free)

G_END_DECLS
