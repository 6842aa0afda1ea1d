/* smi.h - read what `nvidia-smi` prints, and run it.
 *
 * nvidia-smi has four output forms that matter to cudaup, best first:
 *   `nvidia-smi -q -x`                      XML (nvsmi_device_v10..v13.dtd)
 *   `nvidia-smi --query-gpu=F,.. --format=csv[,noheader][,nounits]`
 *   `nvidia-smi -q`                         indented "Key : value" text
 *   `nvidia-smi`                            the plain status table
 * and `nvidia-smi -L`, a one-line-per-GPU list. Each parser turns one form into a CupSmiReport.
 *
 * Every parser takes @text with an explicit length (no terminating NUL needed). A NUL byte
 * inside the text, XML that is not well formed, or text in which no driver version and no GPU
 * can be found fails with CUP_ERROR_PARSE. Bytes that are not UTF-8 are tolerated by the text
 * forms (they are replaced before parsing; the facts cudaup reads are ASCII) and rejected in XML.
 *
 * Facts are normalised as CupGpu documents them (core/system.h) and set with cup_gpu_set(...,
 * CUP_SOURCE_NVIDIA_SMI): PCI ids "10de:2330" (lower case), bus ids through
 * cup_bus_id_normalize, memory in MiB, mig_mode "enabled"/"disabled"/NULL, and every "N/A",
 * "[N/A]", "[Not Supported]" or malformed value becomes "not known" (NULL or -1), never a guess.
 * Product names are copied as printed but must not be used for identity: drivers older than
 * the GPU print placeholders (driver 418.43 calls a GTX 1660 Ti "Graphics Device", telegraf
 * testdata gtx-1660-ti.xml); callers resolve chip and compute capability from pci_id.
 * MIG devices are never reported as GPUs; their parent GPU carries mig_mode "enabled".
 */
#pragma once

#include "core/system.h"

#include <glib.h>

G_BEGIN_DECLS

/**
 * CUP_SMI_QUERY_FIELDS: the --query-gpu field list cup_smi_query asks for. Every field exists
 * since driver 418 (nvidia-smi --help-query-gpu); compute_cap is left out on purpose because
 * drivers before about 510 reject unknown fields and fail the whole query. The parsers still
 * read compute_cap wherever a CSV header names it.
 */
#define CUP_SMI_QUERY_FIELDS                                                                       \
  "index,pci.bus_id,pci.device_id,pci.sub_device_id,name,memory.total,mig.mode.current,"           \
  "driver_version"

typedef struct {
  char *driver_version; /* "550.54.14"; NULL when not printed */
  char *cuda_version;   /* highest CUDA the driver supports, "12.4"; NULL when not printed */
  GPtrArray *gpus;      /* CupGpu*, in nvidia-smi's order (its GPU index order) */
  /* TRUE when the output looks cut short: "Attached GPUs : 8" but fewer GPU blocks, or CSV
   * rows whose field count does not match the header. What was read is still right; the
   * list may be incomplete. */
  gboolean partial;
} CupSmiReport;

/** cup_smi_report_new: an empty report (no versions, no GPUs). Free with cup_smi_report_free. */
CupSmiReport *cup_smi_report_new(void);
void cup_smi_report_free(CupSmiReport *report);

/**
 * cup_smi_parse_xml: parse `nvidia-smi -q -x` output. Reads the top-level driver_version and
 * cuda_version, and per <gpu> element: product_name, pci/pci_device_id ("0x233010DE" or
 * "233010DE": device 0x2330 of vendor 0x10de), pci/pci_sub_system_id, pci/pci_bus_id (else the
 * id attribute), fb_memory_usage/total ("81920 MiB"), mig_mode/current_mig. Elements nested in
 * mig_devices are ignored. gpu->index is the GPU's position in the document, which is
 * nvidia-smi's index order; minor_number is not used because it is the /dev/nvidiaN number and
 * differs from the index (telegraf dual_a5000-v13.xml: minor 1 on index 0).
 * Returns a new report, or NULL with CUP_ERROR_PARSE for XML that is not well formed or not
 * UTF-8 (this includes truncated output) or that holds neither a driver version nor a GPU.
 */
CupSmiReport *cup_smi_parse_xml(const char *text, gsize len, GError **error);

/**
 * cup_smi_parse_csv: parse `--query-gpu=... --format=csv` output whose first line is the
 * header. Columns are found by name (a unit suffix such as " [MiB]" is ignored): index,
 * name, pci.bus_id, pci.device_id, pci.sub_device_id, memory.total, mig.mode.current,
 * compute_cap, driver_version (kmd_version when driver_version is missing, driver 610 on);
 * other columns are skipped. Values may carry units ("8192 MiB") or be "[N/A]".
 * Rows with the wrong number of fields are skipped and set report->partial.
 * Returns a new report, or NULL with CUP_ERROR_PARSE when the header names none of those
 * columns or no row gives a fact.
 */
CupSmiReport *cup_smi_parse_csv(const char *text, gsize len, GError **error);

/**
 * cup_smi_parse_csv_noheader: as cup_smi_parse_csv for `--format=csv,noheader[,nounits]`
 * output of the comma-separated field list @fields (CUP_SMI_QUERY_FIELDS for cudaup's own
 * query).
 */
CupSmiReport *cup_smi_parse_csv_noheader(const char *text, gsize len, const char *fields,
                                         GError **error);

/**
 * cup_smi_parse_query_text: parse `nvidia-smi -q` output. Reads "Driver Version" and
 * "CUDA Version" (driver 610 appends " [Deprecated; ...]", which is dropped; "KMD Version" and
 * "CUDA UMD Version" are used when those are missing) and per "GPU 00000000:01:00.0" block:
 * Product Name, PCI/Device Id, PCI/Sub System Id, PCI/Bus Id, FB Memory Usage/Total and
 * MIG Mode/Current, by indentation, so "MIG Device" sub-blocks and process lists are not GPUs.
 * An unterminated last line is ignored (it may be cut). Sets report->partial when
 * "Attached GPUs" is larger than the number of GPU blocks (gpud testdata
 * nvidia-smi-query.535.183.01.out.0.invalid). Returns a new report, or NULL with
 * CUP_ERROR_PARSE when neither a driver version nor a GPU block is found.
 */
CupSmiReport *cup_smi_parse_query_text(const char *text, gsize len, GError **error);

/**
 * cup_smi_parse_table: parse the plain `nvidia-smi` table. Reads the header line
 * ("Driver Version: 550.90.07   CUDA Version: 12.4", or from driver 610 on
 * "KMD Version: 610.57.04   CUDA UMD Version: 13.3") and per GPU row: the index, the bus id,
 * the memory total of the second line and the "MIG M." cell of the third. The table
 * truncates long names ("NVIDIA GeForce ..."); those are not recorded, only names shown whole.
 * Returns a new report, or NULL with CUP_ERROR_PARSE when no header line is found.
 */
CupSmiReport *cup_smi_parse_table(const char *text, gsize len, GError **error);

/**
 * cup_smi_parse_list: parse `nvidia-smi -L` ("GPU 0: NVIDIA H100 80GB HBM3 (UUID: ...)").
 * Gives index and name only; indented "MIG ..." lines are not GPUs. Returns a new report, or
 * NULL with CUP_ERROR_PARSE when no "GPU N:" line is found.
 */
CupSmiReport *cup_smi_parse_list(const char *text, gsize len, GError **error);

/**
 * cup_smi_query: run @nvidia_smi_path ("nvidia-smi" looks it up on PATH) and parse what it
 * prints. Tries `-q -x`, then `--query-gpu=CUP_SMI_QUERY_FIELDS --format=csv,nounits`, then the
 * plain table, each with @timeout_ms; stops at the first that exits 0 and parses. The CSV query
 * prints no CUDA version, so after it the table is also run to fill cuda_version (and the
 * driver version if missing). Every failed attempt appends one line (char*, newly allocated)
 * to @warnings (may be NULL) naming the command and what went wrong, e.g. nvidia-smi's own
 * "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver" line.
 * Returns a new report, or NULL with: CUP_ERROR_NOT_FOUND when the program cannot be started
 * or every attempt failed; CUP_ERROR_INTERNAL when it did not finish in time (not retried).
 */
CupSmiReport *cup_smi_query(const char *nvidia_smi_path, guint timeout_ms, GPtrArray *warnings,
                            GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupSmiReport, cup_smi_report_free)

G_END_DECLS
