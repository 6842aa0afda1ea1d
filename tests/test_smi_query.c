/* test_smi_query.c - cup_smi_query against a fake nvidia-smi: a shell script, written by the
 * test into a temporary directory, that replays recorded outputs according to its arguments. */
#include "core/error.h"
#include "core/smi.h"
#include "tests/testutil.h"

#include <glib/gstdio.h>
#include <string.h>

/* What nvidia-smi prints when the kernel module is not loaded (on stdout, exit status 9). */
#define NO_DRIVER                                                                                  \
  "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make "     \
  "sure that the latest NVIDIA driver is installed and running.\"; echo; exit 9"
#define GARBAGE "printf '<nvidia_smi_log><gpu id=\"0\x01\xff'"

typedef struct {
  char *root;
  char *program;
} Fake;

static char *replay(const char *fixture)
{
  g_autofree char *path = g_build_filename(CUP_TEST_FIXTURES, "nvidia-smi", fixture, NULL);
  g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
  return g_strdup_printf("cat '%s'", path);
}

/* A fake nvidia-smi that runs @xml for "-q -x", @query for "-q", @csv for "--query-gpu=...",
 * @table otherwise, and logs its arguments, one call a line, to ROOT/args.log. */
static Fake fake_new4(const char *xml, const char *query, const char *csv, const char *table)
{
  Fake f = {cup_test_make_root(), NULL};
  f.program = g_build_filename(f.root, "nvidia-smi", NULL);
  g_autofree char *script = g_strdup_printf("#!/bin/sh\n"
                                            "echo \"$*\" >> '%s/args.log'\n"
                                            "case \"$*\" in\n"
                                            "  '-q -x') %s ;;\n"
                                            "  -q) %s ;;\n"
                                            "  --query-gpu=*) %s ;;\n"
                                            "  *) %s ;;\n"
                                            "esac\n",
                                            f.root, xml, query, csv, table);
  cup_test_write(f.root, "nvidia-smi", script);
  g_assert_cmpint(g_chmod(f.program, 0755), ==, 0);
  return f;
}

/* As fake_new4 with a "-q" that behaves like "-q -x" (both broken, or both hung). */
static Fake fake_new(const char *xml, const char *csv, const char *table)
{
  return fake_new4(xml, xml, csv, table);
}

static void fake_free(Fake *f)
{
  cup_test_remove_tree(f->root);
  g_free(f->root);
  g_free(f->program);
}

static char **fake_calls(const Fake *f)
{
  g_autofree char *path = g_build_filename(f->root, "args.log", NULL);
  g_autofree char *log = NULL;
  g_assert_true(g_file_get_contents(path, &log, NULL, NULL));
  /* One line per call; a call without arguments logs an empty line. */
  g_assert_true(g_str_has_suffix(log, "\n"));
  log[strlen(log) - 1] = '\0';
  return g_strsplit(log, "\n", -1);
}

static GPtrArray *warnings_new(void)
{
  return g_ptr_array_new_with_free_func(g_free);
}

static void show_warnings(GPtrArray *warnings)
{
  for (guint i = 0; i < warnings->len; i++)
    g_test_message("warning: %s", (const char *)g_ptr_array_index(warnings, i));
}

static const CupGpu *gpu_at(const CupSmiReport *r, guint i)
{
  g_assert_cmpuint(i, <, r->gpus->len);
  return g_ptr_array_index(r->gpus, i);
}

static void test_xml_first(void)
{
  g_autofree char *xml = replay("telegraf/dual_a5000-v13.xml");
  g_autofree char *csv = replay("nvidia_gpu_exporter/exporter-testdata-query.txt");
  g_autofree char *table = replay("gpud/nvidia-smi.550.90.07.out.0.valid");
  Fake f = fake_new(xml, csv, table);
  g_autoptr(GPtrArray) warnings = warnings_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSmiReport) r = cup_smi_query(f.program, 10000, warnings, &error);
  show_warnings(warnings);
  g_assert_no_error(error);
  g_assert_cmpuint(warnings->len, ==, 0);
  g_assert_cmpstr(r->driver_version, ==, "590.44.01");
  g_assert_cmpstr(r->cuda_version, ==, "13.1");
  g_assert_cmpuint(r->gpus->len, ==, 2);
  g_assert_cmpstr(gpu_at(r, 0)->pci_id, ==, "10de:2231");
  g_assert_cmpstr(gpu_at(r, 1)->bus_id, ==, "0000:c1:00.0");
  g_auto(GStrv) calls = fake_calls(&f);
  g_assert_cmpuint(g_strv_length(calls), ==, 1);
  g_assert_cmpstr(calls[0], ==, "-q -x");
  fake_free(&f);
}

static void test_garbage_xml_falls_back_to_csv(void)
{
  g_autofree char *csv = replay("nvidia_gpu_exporter/exporter-testdata-query.txt");
  g_autofree char *table = replay("gpud/nvidia-smi.550.90.07.out.0.valid");
  Fake f = fake_new(GARBAGE, csv, table);
  g_autoptr(GPtrArray) warnings = warnings_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSmiReport) r = cup_smi_query(f.program, 10000, warnings, &error);
  show_warnings(warnings);
  g_assert_no_error(error);
  g_assert_cmpuint(warnings->len, ==, 2);
  g_assert_true(g_str_has_prefix(g_ptr_array_index(warnings, 0), "nvidia-smi -q -x: "));
  g_assert_true(g_str_has_prefix(g_ptr_array_index(warnings, 1), "nvidia-smi -q: "));
  g_assert_true(g_utf8_validate(g_ptr_array_index(warnings, 0), -1, NULL));
  g_assert_null(strchr(g_ptr_array_index(warnings, 0), '\n'));
  /* GPUs and driver from the CSV, the CUDA version (which the CSV lacks) from the table. */
  g_assert_cmpuint(r->gpus->len, ==, 2);
  g_assert_cmpstr(gpu_at(r, 0)->bus_id, ==, "0000:01:00.0");
  g_assert_cmpstr(gpu_at(r, 0)->compute_capability, ==, "7.5");
  g_assert_cmpstr(gpu_at(r, 1)->compute_capability, ==, "8.6");
  g_assert_cmpstr(r->driver_version, ==, "466.63");
  g_assert_cmpstr(r->cuda_version, ==, "12.4");
  g_auto(GStrv) calls = fake_calls(&f);
  g_assert_cmpuint(g_strv_length(calls), ==, 4);
  g_assert_cmpstr(calls[0], ==, "-q -x");
  g_assert_cmpstr(calls[1], ==, "-q");
  g_assert_cmpstr(calls[2], ==, "--query-gpu=" CUP_SMI_QUERY_FIELDS " --format=csv,nounits");
  g_assert_cmpstr(calls[3], ==, "");
  fake_free(&f);
}

/* Broken XML, good -q text (the real 8x H100 capture): the -q text is used, nothing else run. */
static void test_query_text_second(void)
{
  g_autofree char *query = replay("gpud/nvidia-smi-query.535.161.08.out.0.valid");
  Fake f = fake_new4(GARBAGE, query, "exit 3", "exit 3");
  g_autoptr(GPtrArray) warnings = warnings_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSmiReport) r = cup_smi_query(f.program, 10000, warnings, &error);
  show_warnings(warnings);
  g_assert_no_error(error);
  g_assert_cmpuint(warnings->len, ==, 1);
  g_assert_cmpuint(r->gpus->len, ==, 8);
  g_assert_cmpstr(r->driver_version, ==, "535.161.08");
  g_assert_nonnull(r->cuda_version);
  g_auto(GStrv) calls = fake_calls(&f);
  g_assert_cmpuint(g_strv_length(calls), ==, 2);
  fake_free(&f);
}

static void test_table_last(void)
{
  g_autofree char *table = replay("gpud/nvidia-smi.525.125.06.out.0.valid");
  Fake f = fake_new4("echo 'Unknown option -x'; exit 2", GARBAGE, GARBAGE, table);
  g_autoptr(GPtrArray) warnings = warnings_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSmiReport) r = cup_smi_query(f.program, 10000, warnings, &error);
  show_warnings(warnings);
  g_assert_no_error(error);
  g_assert_cmpuint(warnings->len, ==, 3);
  g_assert_cmpstr(g_ptr_array_index(warnings, 0), ==,
                  "nvidia-smi -q -x exited with status 2: Unknown option -x");
  g_assert_true(g_str_has_prefix(g_ptr_array_index(warnings, 1), "nvidia-smi -q: "));
  g_assert_true(g_str_has_prefix(g_ptr_array_index(warnings, 2), "nvidia-smi --query-gpu: "));
  g_assert_cmpstr(r->driver_version, ==, "525.125.06");
  g_assert_cmpstr(r->cuda_version, ==, "12.0");
  g_assert_cmpuint(r->gpus->len, ==, 1);
  g_assert_cmpstr(gpu_at(r, 0)->bus_id, ==, "0000:01:00.0");
  fake_free(&f);
}

static void test_driver_not_loaded(void)
{
  Fake f = fake_new(NO_DRIVER, NO_DRIVER, NO_DRIVER);
  g_autoptr(GPtrArray) warnings = warnings_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(CupSmiReport) r = cup_smi_query(f.program, 10000, warnings, &error);
  show_warnings(warnings);
  g_assert_null(r);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_assert_nonnull(strstr(error->message, "couldn't communicate with the NVIDIA driver"));
  g_assert_cmpuint(warnings->len, ==, 4);
  for (guint i = 0; i < warnings->len; i++) {
    const char *w = g_ptr_array_index(warnings, i);
    g_assert_nonnull(strstr(w, "exited with status 9: NVIDIA-SMI has failed because it couldn't"));
    g_assert_null(strchr(w, '\n'));
  }
  /* Without a warnings array the result is the same. */
  g_autoptr(GError) again = NULL;
  g_assert_null(cup_smi_query(f.program, 10000, NULL, &again));
  g_assert_error(again, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  fake_free(&f);
}

static void test_missing_program(void)
{
  g_autofree char *root = cup_test_make_root();
  g_autofree char *missing = g_build_filename(root, "nvidia-smi", NULL);
  g_autoptr(GPtrArray) warnings = warnings_new();
  g_autoptr(GError) error = NULL;
  g_assert_null(cup_smi_query(missing, 10000, warnings, &error));
  show_warnings(warnings);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND);
  g_assert_cmpuint(warnings->len, ==, 1); /* no second try of a program that is not there */
  cup_test_remove_tree(root);
}

static void test_hung_program(void)
{
  Fake f = fake_new("exec sleep 30", "exec sleep 30", "exec sleep 30");
  g_autoptr(GPtrArray) warnings = warnings_new();
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time();
  g_assert_null(cup_smi_query(f.program, 300, warnings, &error));
  show_warnings(warnings);
  g_assert_error(error, CUP_ERROR, CUP_ERROR_INTERNAL);
  g_assert_cmpint(g_get_monotonic_time() - start, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpuint(warnings->len, ==, 1); /* a hung nvidia-smi is not asked again */
  g_auto(GStrv) calls = fake_calls(&f);
  g_assert_cmpuint(g_strv_length(calls), ==, 1);
  fake_free(&f);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/smi-query/xml-first", test_xml_first);
  g_test_add_func("/smi-query/garbage-xml-falls-back-to-csv", test_garbage_xml_falls_back_to_csv);
  g_test_add_func("/smi-query/query-text-second", test_query_text_second);
  g_test_add_func("/smi-query/table-last", test_table_last);
  g_test_add_func("/smi-query/driver-not-loaded", test_driver_not_loaded);
  g_test_add_func("/smi-query/missing-program", test_missing_program);
  g_test_add_func("/smi-query/hung-program", test_hung_program);
  return g_test_run();
}
