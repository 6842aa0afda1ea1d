/* smi_private.h - helpers shared by smi.c and smi_text.c; not part of the public API. */
#pragma once

#include "core/smi.h"

G_BEGIN_DECLS

/* NULL for nvidia-smi's "not known" spellings: "", "N/A", "[N/A]", "[Not Supported]", and any
 * other "[...]" message such as "[Requested functionality has been deprecated]". */
gboolean cup_smi_value_missing(const char *value);

/* "0x233010DE" or "233010DE" (device in the high half, vendor in the low half, as nvidia-smi
 * prints PCI device and subsystem ids) -> "10de:2330". NULL unless exactly 8 hex digits with
 * neither half 0000 or ffff (telegraf a10g.xml prints a masked "000000DE"). */
char *cup_smi_pci_id(const char *value);

/* "81920 MiB", "81920MiB", or "81920" when !unit_required -> 81920; -1 otherwise. */
gint64 cup_smi_mib(const char *value, gboolean unit_required);

/* "Enabled"/"Disabled" (any case) -> "enabled"/"disabled" (static); NULL otherwise. */
const char *cup_smi_mig_mode(const char *value);

/* A driver or CUDA version with any " [Deprecated; ...]" suffix (driver 610 on) dropped;
 * NULL unless cup_version_parse accepts it. Newly allocated. */
char *cup_smi_version(const char *value);

/* Set @fact of @gpu from nvidia-smi, normalising it by kind: "pci_id"/"subsystem_id" through
 * cup_smi_pci_id, "bus_id" through cup_bus_id_normalize, "mig_mode" through cup_smi_mig_mode,
 * "compute_capability" must be "N.M"; missing or malformed values are dropped. */
void cup_smi_gpu_set(CupGpu *gpu, const char *fact, const char *value);

/* Check @text for NUL bytes (CUP_ERROR_PARSE naming @what) and return a NUL-terminated copy
 * with any invalid UTF-8 replaced. */
char *cup_smi_prepare_text(const char *text, gsize len, const char *what, GError **error);

/* The lines of @text without their "\n" (and "\r"). When @drop_unterminated, a last line
 * without "\n" is left out, since output cut in the middle of a line may give wrong values. */
char **cup_smi_split_lines(const char *text, gboolean drop_unterminated);

/* Append @gpu (taking it) to @report with index = its position unless an index is set. */
void cup_smi_report_add_gpu(CupSmiReport *report, CupGpu *gpu);

/* Return @report, or free it and fail with CUP_ERROR_PARSE naming @what when it holds neither
 * a driver version nor a GPU. */
CupSmiReport *cup_smi_report_finish(CupSmiReport *report, const char *what, GError **error);

G_END_DECLS
