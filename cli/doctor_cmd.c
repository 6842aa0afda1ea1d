/* doctor_cmd.c - `cudaup doctor`: gather the machine's facts, run the doctor's rules, print the
 * verdict and the findings (core/doctor.h). */
#include "cli/cli.h"

#include "core/doctor.h"
#include "core/error.h"
#include "core/i18n.h"

#include <stdio.h>

int cli_doctor(CliGlobals *g, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  char *python = NULL, *pci_ids = NULL, *nvidia_smi = NULL;
  const GOptionEntry entries[] = {
      {"python", 0, 0, G_OPTION_ARG_FILENAME, &python,
       N_("Check the frameworks of this Python (default: the first python3 on PATH)"), "EXE"},
      {"pci-ids", 0, 0, G_OPTION_ARG_FILENAME, &pci_ids, N_("Read PCI names from FILE"), "FILE"},
      {"nvidia-smi", 0, 0, G_OPTION_ARG_FILENAME, &nvidia_smi, N_("Use this nvidia-smi"), "EXE"},
      G_OPTION_ENTRY_NULL,
  };
  if (!cli_parse(g, "doctor", N_("find out why the GPU is not used, and how to fix it"), NULL,
                 entries, &argc, &argv, &error))
    return cli_fail(g, error);
  g_autofree char *python_owned = python, *pci_owned = pci_ids, *smi_owned = nvidia_smi;
  CupDoctorOptions options = {
      .root = g->root,
      .manifests_dir = g->catalog,
      .pci_ids_path = pci_ids,
      .nvidia_smi = nvidia_smi,
      .python = python,
  };
  g_autoptr(CupDoctorFacts) facts = cup_doctor_gather(&options, &error);
  if (facts == NULL)
    return cli_fail(g, error);
  for (guint i = 0; i < facts->sys->warnings->len; i++)
    g_info("doctor: %s", (char *)g_ptr_array_index(facts->sys->warnings, i));
  g_autoptr(CupDoctorReport) report = cup_doctor_diagnose(facts);
  for (guint i = 0; i < report->findings->len; i++)
    g_info("doctor: %s", ((CupDoctorFinding *)g_ptr_array_index(report->findings, i))->id);
  if (g->json) {
    g_autoptr(json_t) json = cup_doctor_report_to_json(report, facts);
    json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
  } else {
    g_autofree char *text = cup_doctor_report_text(report);
    fputs(text, stdout);
  }
  /* Problems found is a failed check: the exit code says so to scripts (README, exit codes). */
  return report->problems ? cup_error_exit_code_for(CUP_ERROR_CHECK) : 0;
}
