/* testcatalog.h - a catalog directory (a copy of manifests/) whose NVIDIA redistrib manifests
 * are those of a test mirror, pinned by their sha256, for `cudaup --catalog DIR` runs against
 * mirrors the tests build. */
#pragma once

#include <glib.h>

/**
 * cup_test_catalog_for_mirror: copy the *.json files of @manifests_dir into @out_dir (created),
 * then give it a redist/ holding only @cuda_manifest and @cudnn_manifest (either may be NULL)
 * and a pinned-manifest-sha256.json with their hashes, keyed by the release of their file name
 * (redistrib_<release>.json). Asserts on failure.
 */
void cup_test_catalog_for_mirror(const char *manifests_dir, const char *out_dir,
                                 const char *cuda_manifest, const char *cudnn_manifest);
