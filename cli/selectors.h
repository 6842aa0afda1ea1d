/* selectors.h - the options that say what to plan for (DESIGN.md section 3, SELECTORS), shared
 * by `cudaup plan`, `cudaup fetch` and `cudaup install`: their option table, the request they
 * make and the plan made from it. */
#pragma once

#include "cli/cli.h"

#include "core/catalog.h"
#include "core/plan.h"
#include "core/system.h"

typedef struct {
  char *framework, *python, *cuda, *cudnn, *driver, *os, *arch, *gpu, *pci, *cc, *prefix, *cache;
  char **mirrors; /* --mirror URL, repeatable, in order of preference; NULL when not given */
  gboolean with_toolkit, user;
} CliSelectors;

/**
 * cli_selectors_add_entries: append the selector options, --mirror (repeatable), --prefix,
 * --user and --cache, bound to @s, to @entries (a GArray of GOptionEntry, not terminated).
 */
void cli_selectors_add_entries(CliSelectors *s, GArray *entries);

/**
 * cli_selectors_check: the checks that need no file or network: every --mirror must pass
 * cup_fetch_check_mirror (the user named them, so http:// and file:// are allowed).
 * Errors: CUP_ERROR_USAGE naming the option and the fix.
 */
gboolean cli_selectors_check(const CliSelectors *s, GError **error);

/** cli_selectors_cache_dir: --cache DIR, else cup_cache_default_dir(). Newly allocated. */
char *cli_selectors_cache_dir(const CliSelectors *s);

/**
 * cli_selectors_system: detect this machine (without toolkits) and apply --gpu, --pci, --cc
 * and --driver. Errors as cup_detect and cup_system_override. Returns a new system.
 */
CupSystem *cli_selectors_system(const CliGlobals *g, const CliSelectors *s, const CupCatalog *cat,
                                GError **error);

/**
 * cli_selectors_plan: the request of @s (the first --mirror is the plan's mirror) planned over
 * @sys and @cat. Errors as cup_plan_make, plus CUP_ERROR_USAGE for a malformed --framework.
 * Returns a new plan.
 */
CupPlan *cli_selectors_plan(const CliSelectors *s, const CupSystem *sys, const CupCatalog *cat,
                            GError **error);

/**
 * cli_toolkit_environ: the environment toolkit detection reads: ours, with @prefix (when not
 * NULL) offered as CUDA_PATH so that a toolkit there is found wherever it is. A new GStrv.
 */
GStrv cli_toolkit_environ(const char *prefix);

/**
 * cli_toolkit_pick: of @toolkits (CupToolkit*, newest first), the first with a known version
 * that is at @prefix (resolved inside @sysroot; none when it does not resolve) when @prefix is
 * given, and whose version starts with @cuda when that is given. Owned by @toolkits, or NULL.
 */
const CupToolkit *cli_toolkit_pick(const GPtrArray *toolkits, const char *sysroot,
                                   const char *prefix, const char *cuda);

/** cli_plan_print: the plan as `cudaup plan` shows it, on stdout. */
void cli_plan_print(const CupPlan *plan);

/** cli_selectors_clear: free every string @s holds and zero it. */
void cli_selectors_clear(CliSelectors *s);

/** cli_print_json: dump @json (a reference that is taken) on stdout, indented, then a newline. */
void cli_print_json(json_t *json);
