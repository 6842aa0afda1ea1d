/* detect_cmd.c - `cudaup detect`: run core detection and render it as text or JSON. */
#include "core/i18n.h"
#include "cli/cli.h"

#include "core/detect.h"
#include "core/error.h"
#include "core/paths.h"
#include "core/txn.h"

#include <stdio.h>

static const char *yes_no_unknown(CupTristate t, const char *yes, const char *no)
{
  return t == CUP_UNKNOWN ? _("unknown") : t == CUP_YES ? yes : no;
}

/* @strings (char*) joined with ", "; GPtrArray's pdata is not NULL-terminated. */
static char *join(const GPtrArray *strings)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < strings->len; i++)
    g_string_append_printf(out, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(strings, i));
  return g_string_free(out, FALSE);
}

static void print_gpu(const CupGpu *gpu)
{
  printf(_("GPU %d  %s\n"), gpu->index, gpu->name ? gpu->name : _("(name unknown)"));
  printf(_("       PCI %s"), gpu->pci_id ? gpu->pci_id : "?");
  if (gpu->subsystem_id)
    printf(_(" (subsystem %s)"), gpu->subsystem_id);
  printf(_(" at %s\n"), gpu->bus_id ? gpu->bus_id : "?");
  printf(_("       chip %s, %s, compute capability %s\n"), gpu->chip ? gpu->chip : _("unknown"),
         gpu->architecture ? gpu->architecture : _("architecture unknown"),
         gpu->compute_capability ? gpu->compute_capability : _("unknown"));
  g_autofree char *mib = g_strdup_printf("%" G_GINT64_FORMAT, gpu->memory_mib);
  if (gpu->memory_mib >= 0)
    printf(_("       memory %s MiB\n"), mib);
  if (gpu->mig_mode)
    printf(_("       MIG %s\n"), gpu->mig_mode);
  g_autofree char *sources = join(gpu->sources);
  printf(_("       from %s\n"), sources);
}

static void print_driver(const CupSystem *sys)
{
  if (sys->driver.version == NULL) {
    printf(_("Driver   none installed\n"));
    return;
  }
  printf(_("Driver   %s"), sys->driver.version);
  if (sys->driver.cuda_version)
    printf(_(", supports CUDA up to %s"), sys->driver.cuda_version);
  printf(_(" (from %s)\n"), sys->driver.source);
}

static void print_toolkits(const CupSystem *sys)
{
  if (sys->toolkits->len == 0) {
    printf(_("CUDA     no toolkit installed\n"));
    return;
  }
  for (guint i = 0; i < sys->toolkits->len; i++) {
    const CupToolkit *tk = g_ptr_array_index(sys->toolkits, i);
    g_autofree char *via = join(tk->found_via);
    printf(_("%s %s at %s (version from %s; found via %s)\n"), i ? "        " : "CUDA    ",
           tk->version ? tk->version : "?", tk->root, tk->version_source, via);
    if (tk->cudnn)
      printf(_("           cuDNN %s (%s)\n"), tk->cudnn->version, tk->cudnn->path);
    else
      printf(_("           no cuDNN in this toolkit\n"));
  }
}

static void print_text(const CupSystem *sys)
{
  if (sys->gpus->len == 0)
    printf(_("No NVIDIA GPU found (looked at NVML, nvidia-smi and the PCI bus).\n"));
  for (guint i = 0; i < sys->gpus->len; i++)
    print_gpu(g_ptr_array_index(sys->gpus, i));
  print_driver(sys);
  print_toolkits(sys);
  printf(_("System   %s, %s; WSL %s; Secure Boot %s; nouveau %s\n"),
         sys->os.pretty_name ? sys->os.pretty_name : sys->os.family,
         sys->os.arch ? sys->os.arch : "?", yes_no_unknown(sys->os.wsl, _("yes"), _("no")),
         yes_no_unknown(sys->secure_boot, _("on"), _("off")),
         yes_no_unknown(sys->nouveau_loaded, _("loaded"), _("not loaded")));
  for (guint i = 0; i < sys->pythons->len; i++) {
    const CupPython *py = g_ptr_array_index(sys->pythons, i);
    printf("%s %s (%s)\n", i ? "        " : _("Python  "), py->path,
           py->version ? py->version : _("version unknown"));
  }
  for (guint i = 0; i < sys->warnings->len; i++)
    printf("%s %s\n", i ? "        " : _("Warning "), (char *)g_ptr_array_index(sys->warnings, i));
}

/* A toolkit root where an install was interrupted is put back in order first (the next cudaup
 * command recovers and says so, core/txn.h); TRUE when one was. A root this user cannot
 * write keeps its journal and gets a warning. */
static gboolean recover_toolkits(const CliGlobals *g, CupSystem *sys)
{
  gboolean any = FALSE;
  for (guint i = 0; i < sys->toolkits->len; i++) {
    const CupToolkit *tk = g_ptr_array_index(sys->toolkits, i);
    g_autofree char *root = cup_root_join(g->root, tk->root);
    g_autofree char *journal = g_build_filename(root, CUP_TXN_STATE_DIR, "journal", NULL);
    if (!g_file_test(journal, G_FILE_TEST_EXISTS))
      continue;
    g_autofree char *said = NULL;
    g_autoptr(GError) error = NULL;
    if (cup_txn_recover(root, CUP_TXN_LOCK_WAIT_MS, &said, &error)) {
      if (said)
        fprintf(stderr, "cudaup: %s\n", said);
      any = any || said != NULL;
    } else {
      g_ptr_array_add(sys->warnings,
                      g_strdup_printf("an install into %s was interrupted and is not recovered "
                                      "yet (%s): run cudaup there as its owner",
                                      tk->root, error->message));
    }
  }
  return any;
}

int cli_detect(CliGlobals *g, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  char *pci_ids = NULL, *nvidia_smi = NULL;
  const GOptionEntry entries[] = {
      {"pci-ids", 0, 0, G_OPTION_ARG_FILENAME, &pci_ids, N_("Read PCI names from FILE"), "FILE"},
      {"nvidia-smi", 0, 0, G_OPTION_ARG_FILENAME, &nvidia_smi, N_("Use this nvidia-smi"), "EXE"},
      G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse(g, "detect", N_("show the NVIDIA GPUs, driver, CUDA toolkits and cuDNN"), NULL,
                 entries, &argc, &argv, &error))
    return cli_fail(g, error);
  g_autofree char *pci_ids_owned = pci_ids, *smi_owned = nvidia_smi;
  CupDetectOptions options = {
      .root = g->root,
      .manifests_dir = g->catalog,
      .pci_ids_path = pci_ids,
      .nvidia_smi = nvidia_smi,
  };
  g_autoptr(CupSystem) sys = cup_detect(&options, &error);
  if (sys != NULL && recover_toolkits(g, sys)) {
    g_clear_pointer(&sys, cup_system_free);
    sys = cup_detect(&options, &error);
  }
  if (sys == NULL)
    return cli_fail(g, error);
  for (guint i = 0; i < sys->warnings->len; i++)
    g_info("detect: %s", (char *)g_ptr_array_index(sys->warnings, i));
  if (g->json) {
    g_autoptr(json_t) json = cup_system_to_json(sys);
    json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
  } else {
    print_text(sys);
  }
  return 0;
}
