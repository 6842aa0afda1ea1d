/* installmirror_private.h - between the install mirror's cache (installmirror.c) and its packer
 * (installmirror_pack.c), which reads the wheels' RECORD files and writes the archives, the
 * redistrib manifests and index.json. Not for tests: they use installmirror.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The format of a cache entry (archives, index.json); bumping it makes old entries unused. */
#define CUP_TEST_IM_FORMAT_VERSION 1

/**
 * cup_test_im_plan: the mirror's archives as jobs (an opaque GPtrArray, freed with
 * g_ptr_array_unref) from the RECORD files of the wheels installed at @cuda_root, to be packed
 * with xz preset @preset. Stats every source file. Errors as cup_test_install_mirror_get
 * (CUP_ERROR_NOT_FOUND, CUP_ERROR_PARSE, CUP_ERROR_INTEGRITY).
 */
GPtrArray *cup_test_im_plan(const char *cuda_root, int preset, GError **error);

/**
 * cup_test_im_key: 16 hex digits naming the cache entry of @jobs: a SHA-256 of the format
 * version, @cuda_root, the compression settings and every source's path, size and mtime
 * (newly allocated).
 */
char *cup_test_im_key(const GPtrArray *jobs, const char *cuda_root);

/** cup_test_im_describe: "7 archives of 1265 MB, xz -1", for the line saying a build started. */
char *cup_test_im_describe(const GPtrArray *jobs);

/**
 * cup_test_im_write: pack every archive of @jobs below @dir/root (as many at once as there are
 * cores, each .tar.xz single-threaded), then write the two redistrib manifests there and
 * @dir/index.json. Errors: CUP_ERROR_IO naming the file.
 */
gboolean cup_test_im_write(GPtrArray *jobs, const char *dir, GError **error);

G_END_DECLS
