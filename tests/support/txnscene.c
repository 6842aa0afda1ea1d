/* txnscene.c - scenes for the core/txn tests (see txnscene.h). */
#include "tests/support/txnscene.h"

#include "tests/testutil.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const cup_test_txn_archives[] = {
    "1111111111111111111111111111111111111111111111111111111111111111", NULL};
const CupTxnPackage cup_test_txn_package = {CUP_TEST_TXN_NAME, "cudnn", "9.19.0.56",
                                            cup_test_txn_archives};

/* A toolkit as NVIDIA's installer leaves it: lib64 is a symlink into targets/. */
void cup_test_txn_nvidia_tree(const char *root)
{
  cup_test_write(root, "bin/nvcc", "nvcc of the toolkit");
  cup_test_write(root, "include/cuda.h", "cuda.h");
  cup_test_write(root, "include/cudnn.h", "a cudnn.h copied in by hand");
  cup_test_write(root, "include/same.h", "same");
  cup_test_write(root, "targets/x86_64-linux/lib/libcudart.so.13", "cudart");
  cup_test_symlink(root, "targets/x86_64-linux/lib/libcudnn.so", "libcudnn.so.8");
  cup_test_symlink(root, "lib64", "targets/x86_64-linux/lib");
}

CupTxnEntry *cup_test_txn_stage_file(const char *staging, const char *path, const char *text)
{
  cup_test_write(staging, path, text);
  g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
  return cup_txn_entry_new(CUP_TXN_ENTRY_FILE, path, 0644, sha, strlen(text), NULL);
}

CupTxnEntry *cup_test_txn_stage_link(const char *staging, const char *path, const char *target)
{
  cup_test_symlink(staging, path, target);
  return cup_txn_entry_new(CUP_TXN_ENTRY_SYMLINK, path, 0777, NULL, 0, target);
}

CupTxnEntry *cup_test_txn_dir_entry(const char *path)
{
  return cup_txn_entry_new(CUP_TXN_ENTRY_DIR, path, 0755, NULL, 0, NULL);
}

/* What a cuDNN archive brings, staged as core/extract would; @version_h varies it. */
GPtrArray *cup_test_txn_stage_cudnn(const char *staging, const char *version_h)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func((GDestroyNotify)cup_txn_entry_free);
  const char *dirs[] = {"include", "lib64", "share", "share/doc", "share/doc/cudnn"};
  for (guint i = 0; i < G_N_ELEMENTS(dirs); i++)
    g_ptr_array_add(entries, cup_test_txn_dir_entry(dirs[i]));
  g_ptr_array_add(entries, cup_test_txn_stage_file(staging, "include/cudnn.h", "cudnn.h of 9.19"));
  g_ptr_array_add(entries, cup_test_txn_stage_file(staging, "include/same.h", "same"));
  g_ptr_array_add(entries, cup_test_txn_stage_file(staging, "include/cudnn_version.h", version_h));
  g_ptr_array_add(entries,
                  cup_test_txn_stage_file(staging, "lib64/libcudnn.so.9.19.0", "libcudnn 9.19.0"));
  g_ptr_array_add(entries,
                  cup_test_txn_stage_link(staging, "lib64/libcudnn.so.9", "libcudnn.so.9.19.0"));
  g_ptr_array_add(entries, cup_test_txn_stage_link(staging, "lib64/libcudnn.so", "libcudnn.so.9"));
  g_ptr_array_add(entries, cup_test_txn_stage_file(staging, "share/doc/cudnn/LICENSE", "license"));
  return entries;
}

gboolean cup_test_txn_install_version(const char *root, const char *version_h, GError **error)
{
  g_autoptr(CupTxn) txn = cup_txn_begin(root, CUP_TEST_TXN_WHAT, CUP_TXN_LOCK_WAIT_MS, NULL, error);
  if (txn == NULL)
    return FALSE;
  g_autoptr(GPtrArray) entries = cup_test_txn_stage_cudnn(cup_txn_staging_dir(txn), version_h);
  return cup_txn_apply(txn, &cup_test_txn_package, cup_txn_staging_dir(txn), entries, NULL,
                       error) &&
         cup_txn_commit(txn, error);
}

void cup_test_txn_install(const char *root)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(cup_test_txn_install_version(root, "#define CUDNN_MAJOR 9", &error));
  g_assert_no_error(error);
}

/* ---- observing a root ---- */

static void list_tree(const char *root, const char *rel, GPtrArray *lines)
{
  g_autofree char *dir_path = g_build_filename(root, rel, NULL);
  g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
  g_assert_nonnull(dir);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL) {
    if (*rel == '\0' && strcmp(name, CUP_TXN_STATE_DIR) == 0)
      continue;
    g_autofree char *child = *rel ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
    g_autofree char *full = g_build_filename(root, child, NULL);
    GStatBuf st;
    g_assert_cmpint(g_lstat(full, &st), ==, 0);
    if (S_ISLNK(st.st_mode)) {
      g_autofree char *target = g_file_read_link(full, NULL);
      g_ptr_array_add(lines, g_strdup_printf("l %s -> %s", child, target));
    } else if (S_ISDIR(st.st_mode)) {
      g_ptr_array_add(lines, g_strdup_printf("d %s %o", child, st.st_mode & 07777));
      list_tree(root, child, lines);
    } else {
      g_autofree char *text = NULL;
      gsize len = 0;
      g_assert_true(g_file_get_contents(full, &text, &len, NULL));
      g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guint8 *)text, len);
      g_ptr_array_add(lines, g_strdup_printf("f %s %s %o", child, sha, st.st_mode & 07777));
    }
  }
}

/* Every path below @root but .cudaup/, with each file's sha256 and each symlink's target,
 * plus the names of the install records. */
char *cup_test_txn_snapshot(const char *root)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  list_tree(root, "", lines);
  g_ptr_array_sort(lines, cup_test_compare_strings);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) installs = cup_txn_list_installs(root, &error);
  g_assert_no_error(error);
  for (guint i = 0; i < installs->len; i++)
    g_ptr_array_add(lines,
                    g_strdup_printf("record %s", ((CupTxnInstall *)installs->pdata[i])->name));
  g_ptr_array_add(lines, NULL);
  return g_strjoinv("\n", (char **)lines->pdata);
}

char *cup_test_txn_read_text(const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename(root, rel, NULL);
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

gboolean cup_test_txn_exists(const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename(root, rel, NULL);
  GStatBuf st;
  return g_lstat(path, &st) == 0;
}

/* Nothing of a transaction is left: no journal, no staging, no saved file but @n_kept. */
void cup_test_txn_assert_settled(const char *root, guint n_kept)
{
  g_assert_false(cup_test_txn_exists(root, CUP_TXN_STATE_DIR "/journal"));
  g_autofree char *staging = g_build_filename(root, CUP_TXN_STATE_DIR, "staging", NULL);
  g_autoptr(GDir) dir = g_dir_open(staging, 0, NULL);
  g_assert_true(dir == NULL || g_dir_read_name(dir) == NULL);
  g_autofree char *saved = g_build_filename(root, CUP_TXN_STATE_DIR, "saved", NULL);
  g_autoptr(GDir) saved_dir = g_dir_open(saved, 0, NULL);
  guint n = 0;
  const char *name;
  while (saved_dir != NULL && (name = g_dir_read_name(saved_dir)) != NULL) {
    g_autofree char *sub = g_build_filename(saved, name, NULL);
    g_autoptr(GDir) files = g_dir_open(sub, 0, NULL);
    while (files != NULL && g_dir_read_name(files) != NULL)
      n++;
  }
  g_assert_cmpuint(n, ==, n_kept);
}

/* The lock is free: another process (here, another open file) can take it at once. */
void cup_test_txn_assert_lock_free(const char *root)
{
  g_autofree char *path = g_build_filename(root, CUP_TXN_STATE_DIR, "lock", NULL);
  int fd = g_open(path, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0)
    return; /* no lock file: nobody can hold it */
  g_assert_cmpint(flock(fd, LOCK_EX | LOCK_NB), ==, 0);
  g_close(fd, NULL);
}

char *cup_test_txn_nvidia_root(void)
{
  char *root = cup_test_make_root();
  cup_test_txn_nvidia_tree(root);
  return root;
}

char *cup_test_txn_installed_snapshot(gboolean nvidia)
{
  g_autofree char *root = nvidia ? cup_test_txn_nvidia_root() : cup_test_make_root();
  cup_test_txn_install(root);
  char *snap = cup_test_txn_snapshot(root);
  cup_test_remove_tree(root);
  return snap;
}
