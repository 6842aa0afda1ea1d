/* tlsca.h - a throwaway certificate authority made by the test with the openssl command. */
#pragma once

#include <glib.h>

typedef struct {
  char *dir;      /* holds everything below; removed by cup_test_ca_free */
  char *ca_cert;  /* PEM of the CA that signed the server certificate */
  char *cert;     /* server certificate for 127.0.0.1 and localhost (SAN), PEM */
  char *key;      /* its private key, PEM */
  char *other_ca; /* PEM of a second CA that signed nothing here (the "wrong CA" test) */
} CupTestCa;

/** cup_test_ca_new: make a fresh CA, a second unrelated CA and a server certificate (asserts). */
CupTestCa *cup_test_ca_new(void);
void cup_test_ca_free(CupTestCa *ca);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupTestCa, cup_test_ca_free)
