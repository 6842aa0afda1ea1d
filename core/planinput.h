/* planinput.h - plan for a machine other than this one: replace detected facts with the
 * user's (--gpu NAME, --pci 10de:XXXX, --cc X.Y, --driver VER). */
#pragma once

#include "core/catalog.h"
#include "core/system.h"

G_BEGIN_DECLS

typedef struct {
  const char *gpu_name; /* --gpu: matched against the GPU table's names, case-insensitively */
  const char *pci_id;   /* --pci "10de:2204" */
  const char *cc;       /* --cc "8.6" */
  const char *driver;   /* --driver "535.54.03"; "none" plans for a machine without one */
} CupOverrides;

/**
 * cup_system_override: apply @o to @sys. --pci or --gpu replace the detected GPUs with the one
 * named (facts from the GPU table, source "user"); --cc sets (or, with neither, creates) the
 * GPU's compute capability; --driver sets the driver version.
 * Errors: CUP_ERROR_USAGE for a malformed id or version; CUP_ERROR_NOT_FOUND for a PCI id or
 * name the GPU table does not know, or a name that matches GPUs of different compute
 * capabilities (the message lists them and asks for --pci). @sys is unchanged on error.
 */
gboolean cup_system_override(CupSystem *sys, const CupCatalog *catalog, const CupOverrides *o,
                             GError **error);

G_END_DECLS
