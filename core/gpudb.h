/* gpudb.h - the GPU table of manifests/gpus.json: PCI device id -> chip -> architecture ->
 * CUDA compute capability, so that detect can tell a GPU's CC from the PCI bus alone, on a
 * machine without an NVIDIA driver (DESIGN.md section 1). The file's schema is documented in
 * manifests/README.md (section gpus.json).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The schema string gpus.json must carry. */
#define CUP_GPU_TABLE_SCHEMA "cudaup-gpus/1"

typedef struct {
  char *compute_capability; /* "8.6" */
  char *architecture;       /* "Ampere" */
  char *sm;                 /* "sm_86", or NULL when the file does not say */
  GStrv chips;              /* NULL-terminated: "GA102", "GA103", ... */
} CupGpuArchitecture;

typedef struct {
  guint16 vendor;                 /* 0x10de */
  guint16 device;                 /* 0x24e0 */
  char *pci_id;                   /* "10de:24e0" */
  char *chip;                     /* "GA104" */
  char *name;                     /* pci.ids text, "GA104M [GeForce RTX 3070 Ti Mobile / Max-Q]" */
  const CupGpuArchitecture *arch; /* the row of the chip; owned by the table */
  char *legacy_branch; /* last driver branch supporting it ("470"), or NULL: not legacy for R525 */
} CupGpuEntry;

typedef struct _CupGpuTable CupGpuTable;

/**
 * cup_gpu_table_load: read and validate gpus.json at @path (the caller picks the path, e.g.
 * CATALOG/gpus.json). Every key the schema requires is checked, with its type and format
 * ("X.Y" compute capabilities, "10de:xxxx" ids), chips unique across architectures, devices
 * unique and naming a listed chip.
 *
 * Errors: CUP_ERROR_CATALOG for every failure: an unreadable file ("PATH: cannot read: ..."),
 * not JSON ("PATH: not valid JSON: ... (line L, column C)"), or a schema violation
 * ("PATH: invalid at $.devices[3].chip: expected a string").
 * Returns a new table, free with cup_gpu_table_free; NULL on error.
 */
CupGpuTable *cup_gpu_table_load(const char *path, GError **error);

/** cup_gpu_table_free: free @table and every entry and string it owns. NULL is ignored. */
void cup_gpu_table_free(CupGpuTable *table);

/**
 * cup_gpu_table_lookup: the entry of PCI id @vendor:@device, or NULL when the table does not
 * list it (not a CUDA GPU, or newer than the table). The entry is owned by @table.
 */
const CupGpuEntry *cup_gpu_table_lookup(const CupGpuTable *table, guint16 vendor, guint16 device);

/**
 * cup_gpu_table_lookup_chip: the architecture row of chip codename @chip ("GA104", exact
 * match, as the table spells it), or NULL. Owned by @table.
 */
const CupGpuArchitecture *cup_gpu_table_lookup_chip(const CupGpuTable *table, const char *chip);

/** cup_gpu_table_entries: every device entry (CupGpuEntry*), in file order; owned by @table. */
const GPtrArray *cup_gpu_table_entries(const CupGpuTable *table);

/** cup_gpu_table_architectures: every architecture row (CupGpuArchitecture*), in file order. */
const GPtrArray *cup_gpu_table_architectures(const CupGpuTable *table);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupGpuTable, cup_gpu_table_free)

G_END_DECLS
