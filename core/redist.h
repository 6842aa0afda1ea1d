/* redist.h - NVIDIA redistrib manifests (compute/cuda/redist/redistrib_X.Y.Z.json and
 * compute/cudnn/redist/redistrib_X.Y.Z.json) as components and archives.
 *
 * Two forms exist (see manifests/README.md):
 *  - CUDA, and cuDNN 8.x: component -> platform -> {relative_path, sha256, md5, size};
 *  - cuDNN 9.x: component -> platform -> cuda_variant ("cuda11", "cuda12", "cuda13") -> {...}.
 * `size` is a decimal string in the real files. Unknown keys are ignored; a missing or
 * ill-typed required key is an error naming its JSON path.
 *
 * What is checked (details in manifests/README.md, "redist/"): top-level keys other than
 * release_date, release_label and release_product whose value is an object are components;
 * a component needs the strings name, license and version and at least one archive; its
 * object members are platforms ([A-Za-z0-9._+-], e.g. "linux-x86_64", "linux-all", "source").
 * In the cuDNN kind a platform object without archive keys maps cuda variants ("cuda" and 1-3
 * digits) to archives; other members (license_path, cuda_variant, ...) are metadata.
 * An archive needs relative_path (relative, '/'-separated, no "..", "." or empty segments, no
 * backslash, no drive letter, only [A-Za-z0-9._+-/], at most 1024 bytes), sha256 (64 hex
 * digits) and size (digits only, 1 to 2^64-1); md5, when present, is 32 hex digits. Hex is
 * stored lower-case. A JSON path writes a key as ".key" when it is made of [A-Za-z0-9_-] and
 * as ["key"] otherwise ($.cuda["11.8.0"]).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest redistrib manifest or pins file read, in bytes (the real ones are < 64 KiB). */
#define CUP_REDIST_MAX_FILE_SIZE (8u * 1024u * 1024u)

/* The `schema` of manifests/redist/pinned-manifest-sha256.json. */
#define CUP_REDIST_PINS_SCHEMA "cudaup-redist-pins/1"

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
  char *release;         /* "11.8.0", "9.13.0" (release_label); cup_redist_parse leaves it NULL
                          * for a file without one (CUDA 11.8.0), cup_redist_load_dir fills it
                          * from the file name */
  char *release_date;    /* "2022-10-03", may be NULL */
  char *origin;          /* the file it was read from, for messages */
  GPtrArray *components; /* CupRedistComponent* */
} CupRedistManifest;

/**
 * cup_redist_parse: parse the redistrib JSON @text (@len bytes, need not be NUL-terminated;
 * NULL only with @len 0) of @kind. @origin names the file in error messages. Errors:
 * CUP_ERROR_CATALOG "ORIGIN: invalid at <json path>: <why>" (e.g. "invalid at
 * $.cuda_nvcc.linux-x86_64.size: expected a decimal string"), or "ORIGIN: not valid JSON:
 * <parser message> (line L, column C)"; duplicate keys are invalid JSON here.
 * Returns a new manifest (cup_redist_manifest_free), components and archives in file order.
 */
CupRedistManifest *cup_redist_parse(const char *text, gsize len, CupRedistKind kind,
                                    const char *origin, GError **error);

/**
 * cup_redist_find: the archive of @component for @platform (and @cuda_variant for cuDNN 9.x;
 * ignored when NULL or when the manifest has no variants). Returns it (owned by @manifest) or
 * NULL. With @cuda_variant NULL the first archive of @platform in file order is returned; an
 * archive without a variant (cuDNN 8.x, cudnn_samples "source") matches any @cuda_variant.
 */
const CupRedistArchive *cup_redist_find(const CupRedistManifest *manifest, const char *component,
                                        const char *platform, const char *cuda_variant);

/** cup_redist_component: the component @key of @manifest, or NULL. */
const CupRedistComponent *cup_redist_component(const CupRedistManifest *manifest, const char *key);

/**
 * cup_redist_load_dir: load every redistrib_*.json below @dir/cuda and @dir/cudnn into @out
 * (CupRedistManifest*). Each file's sha256 (GChecksum) is checked against @pins
 * (cup_redist_pins_load) when the pins list its release; a mismatch is CUP_ERROR_INTEGRITY
 * naming the file, both hashes and the fix. A file of a release the pins do not list is
 * accepted with a line added to @warnings. A missing @dir is not an error.
 * Files are hashed (G_CHECKSUM_SHA256) before they are parsed and read only up to
 * CUP_REDIST_MAX_FILE_SIZE bytes. The release is the <release> of redistrib_<release>.json; a
 * release_label that differs from it is CUP_ERROR_CATALOG; a file named redistrib_X.json
 * whose X is not a dotted release is skipped with a warning. Manifests are added CUDA first,
 * then cuDNN, each oldest release first. @pins may be NULL (every file is then unpinned).
 * @out must free its elements with cup_redist_manifest_free and takes ownership of them;
 * @warnings (may be NULL) gets newly allocated strings and must free them with g_free. On
 * error nothing is added to either. Other errors: CUP_ERROR_CATALOG for a file that cannot
 * be read, is too large, or is invalid (as cup_redist_parse).
 */
gboolean cup_redist_load_dir(const char *dir, GHashTable *pins, GPtrArray *out, GPtrArray *warnings,
                             GError **error);

/**
 * cup_redist_pins_load: the pinned manifest hashes (manifests/redist/pinned-manifest-sha256.json)
 * as a table "cuda/11.8.0" / "cudnn/9.13.0" -> sha256 hex. Errors as cup_redist_parse.
 * File form (schema CUP_REDIST_PINS_SCHEMA; source and method in manifests/redist/PROVENANCE.md):
 * {"schema": "cudaup-redist-pins/1", "cuda": {"11.8.0": "<sha256>", ...}, "cudnn": {...}},
 * keys being the <release> of NVIDIA's redistrib_<release>.json. Returns a new table (keys
 * and values owned by it; g_hash_table_unref), hashes lower-case.
 */
GHashTable *cup_redist_pins_load(const char *path, GError **error);

void cup_redist_manifest_free(CupRedistManifest *manifest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupRedistManifest, cup_redist_manifest_free)

G_END_DECLS
