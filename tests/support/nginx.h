/* nginx.h - a real nginx on 127.0.0.1 for the tests, with its own config in a temp directory
 * (no system config touched), serving a directory over HTTPS with HTTP/2. */
#pragma once

#include "tests/support/tlsca.h"

#include <glib.h>

typedef struct CupTestNginx CupTestNginx;

/**
 * cup_test_nginx_available: whether the nginx binary exists; when not, *@why says so (for
 * g_test_skip with the reason printed).
 */
gboolean cup_test_nginx_available(char **why);

/**
 * cup_test_nginx_start: start nginx on a free port of 127.0.0.1 serving @root over HTTPS (with
 * http2) using @ca's server certificate, and wait until it accepts connections (asserts).
 */
CupTestNginx *cup_test_nginx_start(const char *root, const CupTestCa *ca);

/** cup_test_nginx_url: "https://127.0.0.1:PORT" (owned). */
const char *cup_test_nginx_url(const CupTestNginx *nginx);

/** cup_test_nginx_stop: stop it (SIGQUIT, then wait), remove its temp dir, free. */
void cup_test_nginx_stop(CupTestNginx *nginx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupTestNginx, cup_test_nginx_stop)
