/* version.h - dotted version numbers as NVIDIA writes them: "12.1", "12.1.105",
 * "550.54.14", "9.1.0.70". Components compare numerically; missing trailing components are
 * zero, so 12.4 == 12.4.0.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CUP_VERSION_MAX_PARTS 6

typedef struct {
  guint32 parts[CUP_VERSION_MAX_PARTS];
  guint n_parts; /* 1..CUP_VERSION_MAX_PARTS */
} CupVersion;

/**
 * cup_version_parse: parse @text ("550.54.14") into @out.
 * Accepts 1 to CUP_VERSION_MAX_PARTS decimal components separated by single dots, each below
 * 2^32; surrounding spaces are ignored. Anything else (empty, "12.", "1..2", "v12", "12.4a",
 * a sign) fails with CUP_ERROR_PARSE naming the text: garbage is an error, never version 0.
 */
gboolean cup_version_parse(const char *text, CupVersion *out, GError **error);

/** cup_version_compare: <0, 0 or >0 as @a is older than, equal to or newer than @b. */
int cup_version_compare(const CupVersion *a, const CupVersion *b);

/**
 * cup_version_compare_strings: compare two version strings. Returns FALSE and sets
 * CUP_ERROR_PARSE when either does not parse; otherwise stores the order in @order.
 */
gboolean cup_version_compare_strings(const char *a, const char *b, int *order, GError **error);

/**
 * cup_version_to_string: the canonical text of @v with @min_parts components at least
 * (padding with zeros). Returns a newly allocated string.
 */
char *cup_version_to_string(const CupVersion *v, guint min_parts);

/**
 * cup_version_from_encoded: decode NVIDIA's integer encodings: CUDA's 1000*major + 10*minor
 * (cudaRuntimeGetVersion, NVML: 12040 -> "12.4") when @kind is 'c', and cuDNN's
 * (cudnnGetVersion: 8 -> 8900 -> "8.9.0" as major*1000+minor*100+patch before 9,
 * 91900 -> "9.19.0" as major*10000+minor*100+patch from 9 on) when @kind is 'd'.
 * Source: cudnn_version.h (CUDNN_VERSION macro) of cuDNN 8.9 and 9.x.
 * Returns a newly allocated string, or NULL for a value that cannot be a version (<= 0).
 */
char *cup_version_from_encoded(int value, char kind);

/**
 * cup_major_minor: the first two parts of @version ("13.0.2" -> "13.0", "12" -> "12.0"); a
 * string that does not parse is returned as it is. Newly allocated.
 */
char *cup_major_minor(const char *version);

G_END_DECLS
