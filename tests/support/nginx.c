/* nginx.c - a real nginx on 127.0.0.1 for the download tests: its own prefix, config, logs and
 * temp paths in a temp directory, one process (no master) so the test owns exactly one pid. */
#include "tests/support/nginx.h"

#include "tests/testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define STOP_TIMEOUT_US (5 * G_USEC_PER_SEC)
#define START_TRIES 3

struct CupTestNginx {
  char *dir; /* prefix: nginx.conf, logs, pid, temp paths */
  char *url;
  GPid pid;
};

gboolean cup_test_nginx_available(char **why)
{
  if (CUP_TEST_NGINX[0] != '\0' && g_file_test(CUP_TEST_NGINX, G_FILE_TEST_IS_EXECUTABLE))
    return TRUE;
  if (why != NULL)
    *why = g_strdup("nginx is not installed (apt-get install nginx-light); the HTTPS mirror "
                    "tests need it");
  return FALSE;
}

/* A port the kernel just handed out; another process could take it before nginx binds it, so
 * the start retries on "Address already in use". */
static guint16 free_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint(fd, >=, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
  socklen_t len = sizeof addr;
  g_assert_cmpint(getsockname(fd, (struct sockaddr *)&addr, &len), ==, 0);
  close(fd);
  return ntohs(addr.sin_port);
}

static void write_config(const char *dir, const char *root, const CupTestCa *ca, guint16 port)
{
  g_autofree char *conf = g_strdup_printf("daemon off;\n"
                                          "master_process off;\n"
                                          "worker_processes 1;\n"
                                          "error_log %1$s/error.log warn;\n"
                                          "pid %1$s/nginx.pid;\n"
                                          "lock_file %1$s/nginx.lock;\n"
                                          "events { worker_connections 256; }\n"
                                          "http {\n"
                                          "  access_log off;\n"
                                          "  default_type application/octet-stream;\n"
                                          "  sendfile on;\n"
                                          "  client_body_temp_path %1$s/body;\n"
                                          "  proxy_temp_path %1$s/proxy;\n"
                                          "  fastcgi_temp_path %1$s/fastcgi;\n"
                                          "  uwsgi_temp_path %1$s/uwsgi;\n"
                                          "  scgi_temp_path %1$s/scgi;\n"
                                          "  server {\n"
                                          "    listen 127.0.0.1:%2$u ssl http2;\n"
                                          "    server_name localhost 127.0.0.1;\n"
                                          "    ssl_certificate %3$s;\n"
                                          "    ssl_certificate_key %4$s;\n"
                                          "    root %5$s;\n"
                                          "  }\n"
                                          "}\n",
                                          dir, (guint)port, ca->cert, ca->key, root);
  g_autofree char *path = g_build_filename(dir, "nginx.conf", NULL);
  g_autoptr(GError) error = NULL;
  g_file_set_contents(path, conf, -1, &error);
  g_assert_no_error(error);
}

static void die_with_parent(gpointer data)
{
  (void)data;
  /* A test that aborts must not leave nginx holding its port. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GPid spawn_nginx(const char *dir)
{
  g_autofree char *conf = g_build_filename(dir, "nginx.conf", NULL);
  g_autofree char *err = g_build_filename(dir, "error.log", NULL);
  g_autofree char *out = g_build_filename(dir, "stderr.log", NULL);
  const char *argv[] = {CUP_TEST_NGINX, "-p", dir, "-c", conf, "-e", err, NULL};
  int out_fd = g_open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  g_assert_cmpint(out_fd, >=, 0);
  g_autoptr(GError) error = NULL;
  GPid pid = 0;
  gboolean ok = g_spawn_async_with_fds(dir, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                       die_with_parent, NULL, &pid, -1, out_fd, out_fd, &error);
  close(out_fd);
  g_assert_no_error(error);
  g_assert_true(ok);
  return pid;
}

static gboolean can_connect(guint16 port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint(fd, >=, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  gboolean ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
  close(fd);
  return ok;
}

static char *logs_of(const char *dir)
{
  g_autofree char *err = g_build_filename(dir, "error.log", NULL);
  g_autofree char *out = g_build_filename(dir, "stderr.log", NULL);
  g_autofree char *err_text = NULL, *out_text = NULL;
  g_file_get_contents(err, &err_text, NULL, NULL);
  g_file_get_contents(out, &out_text, NULL, NULL);
  return g_strdup_printf("error.log: %s\nstderr: %s", err_text ? err_text : "(none)",
                         out_text ? out_text : "(none)");
}

typedef enum { STARTED, EXITED, TIMED_OUT } StartResult;

/* Waits until nginx accepts on @port; an nginx that exits is reaped here. */
static StartResult wait_started(GPid pid, guint16 port)
{
  gint64 deadline = g_get_monotonic_time() + START_TIMEOUT_US;
  while (g_get_monotonic_time() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid)
      return EXITED;
    if (can_connect(port))
      return STARTED;
    g_usleep(20 * 1000);
  }
  return TIMED_OUT;
}

static void stop_pid(GPid pid)
{
  kill(pid, SIGQUIT);
  gint64 deadline = g_get_monotonic_time() + STOP_TIMEOUT_US;
  while (g_get_monotonic_time() < deadline) {
    int status = 0;
    pid_t got = waitpid(pid, &status, WNOHANG);
    if (got == pid || (got < 0 && errno == ECHILD))
      return;
    g_usleep(10 * 1000);
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

CupTestNginx *cup_test_nginx_start(const char *root, const CupTestCa *ca)
{
  g_autofree char *why = NULL;
  if (!cup_test_nginx_available(&why))
    g_error("%s", why);
  CupTestNginx *nginx = g_new0(CupTestNginx, 1);
  nginx->dir = cup_test_make_root();
  for (int attempt = 1;; attempt++) {
    guint16 port = free_port();
    g_autofree char *err = g_build_filename(nginx->dir, "error.log", NULL);
    g_autofree char *out = g_build_filename(nginx->dir, "stderr.log", NULL);
    g_unlink(err);
    g_unlink(out);
    write_config(nginx->dir, root, ca, port);
    nginx->pid = spawn_nginx(nginx->dir);
    StartResult result = wait_started(nginx->pid, port);
    if (result == STARTED) {
      nginx->url = g_strdup_printf("https://127.0.0.1:%u", (guint)port);
      return nginx;
    }
    g_autofree char *logs = logs_of(nginx->dir);
    if (result == TIMED_OUT) {
      stop_pid(nginx->pid);
      g_error("nginx did not accept connections on 127.0.0.1:%u within 10 s; %s", port, logs);
    }
    if (attempt == START_TRIES || strstr(logs, "Address already in use") == NULL)
      g_error("nginx exited while starting on 127.0.0.1:%u; %s", port, logs);
  }
}

const char *cup_test_nginx_url(const CupTestNginx *nginx)
{
  return nginx->url;
}

void cup_test_nginx_stop(CupTestNginx *nginx)
{
  if (nginx == NULL)
    return;
  stop_pid(nginx->pid);
  g_spawn_close_pid(nginx->pid);
  cup_test_remove_tree(nginx->dir);
  g_free(nginx->dir);
  g_free(nginx->url);
  g_free(nginx);
}
