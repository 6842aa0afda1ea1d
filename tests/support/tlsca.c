/* tlsca.c - a throwaway certificate authority for the loopback HTTPS tests, made with the
 * openssl command (its own config file, so the system openssl.cnf plays no part). */
#include "tests/support/tlsca.h"

#include "tests/testutil.h"

#include <gio/gio.h>

/* The config names every extension explicitly: a CA certificate must say CA:TRUE and may sign
 * certificates (RFC 5280 4.2.1.9, 4.2.1.3); the server certificate names 127.0.0.1 and
 * localhost in subjectAltName, the only place TLS clients look (RFC 6125 6.4.4). */
static const char openssl_cnf[] = "[req]\n"
                                  "distinguished_name = dn\n"
                                  "prompt = no\n"
                                  "[dn]\n"
                                  "CN = unused\n"
                                  "[ca]\n"
                                  "basicConstraints = critical, CA:TRUE\n"
                                  "keyUsage = critical, keyCertSign, cRLSign\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "[server]\n"
                                  "basicConstraints = critical, CA:FALSE\n"
                                  "keyUsage = critical, digitalSignature\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "authorityKeyIdentifier = keyid:always\n";

static void run_openssl(const char *dir, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)CUP_TEST_OPENSSL);
  for (const char *const *a = args; *a != NULL; a++)
    g_ptr_array_add(argv, (gpointer)*a);
  g_ptr_array_add(argv, NULL);

  g_autofree char *err_text = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  if (!g_spawn_sync(dir, (char **)argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                    &err_text, &status, &error))
    g_error("cannot run %s: %s", CUP_TEST_OPENSSL, error->message);
  if (!g_spawn_check_wait_status(status, &error))
    g_error("openssl %s failed (%s): %s", args[0], error->message, err_text);
}

static void make_ca(const char *dir, const char *name, const char *subject)
{
  g_autofree char *key = g_strdup_printf("%s.key", name);
  g_autofree char *cert = g_strdup_printf("%s.pem", name);
  const char *args[] = {"req",     "-x509",   "-config",     "openssl.cnf",
                        "-newkey", "ec",      "-pkeyopt",    "ec_paramgen_curve:P-256",
                        "-nodes",  "-keyout", key,           "-out",
                        cert,      "-days",   "3",           "-subj",
                        subject,   "-sha256", "-extensions", "ca",
                        NULL};
  run_openssl(dir, args);
}

static void make_server_cert(const char *dir)
{
  const char *req[] = {"req",        "-new",    "-config",       "openssl.cnf",
                       "-newkey",    "ec",      "-pkeyopt",      "ec_paramgen_curve:P-256",
                       "-nodes",     "-keyout", "server.key",    "-out",
                       "server.csr", "-subj",   "/CN=127.0.0.1", NULL};
  run_openssl(dir, req);
  /* A random serial: two runs never issue two certificates with one serial. */
  g_autofree char *serial = g_strdup_printf("0x%08x%08x", g_random_int(), g_random_int());
  const char *sign[] = {"x509",        "-req",   "-in",     "server.csr",  "-CA",
                        "ca.pem",      "-CAkey", "ca.key",  "-set_serial", serial,
                        "-days",       "3",      "-sha256", "-extfile",    "openssl.cnf",
                        "-extensions", "server", "-out",    "server.pem",  NULL};
  run_openssl(dir, sign);
}

CupTestCa *cup_test_ca_new(void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("cudaup-ca-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *cnf = g_build_filename(dir, "openssl.cnf", NULL);
  g_file_set_contents(cnf, openssl_cnf, -1, &error);
  g_assert_no_error(error);

  make_ca(dir, "ca", "/CN=cudaup test CA");
  make_ca(dir, "other-ca", "/CN=cudaup unrelated test CA");
  make_server_cert(dir);

  CupTestCa *ca = g_new0(CupTestCa, 1);
  ca->dir = dir;
  ca->ca_cert = g_build_filename(dir, "ca.pem", NULL);
  ca->cert = g_build_filename(dir, "server.pem", NULL);
  ca->key = g_build_filename(dir, "server.key", NULL);
  ca->other_ca = g_build_filename(dir, "other-ca.pem", NULL);
  return ca;
}

void cup_test_ca_free(CupTestCa *ca)
{
  if (ca == NULL)
    return;
  cup_test_remove_tree(ca->dir);
  g_free(ca->dir);
  g_free(ca->ca_cert);
  g_free(ca->cert);
  g_free(ca->key);
  g_free(ca->other_ca);
  g_free(ca);
}
