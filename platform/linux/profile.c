/* profile.c - the Linux environment store: the managed scripts, the marked blocks of the
 * profile files, /etc/profile.d and /etc/ld.so.conf.d (which files: profile.h). */
#include "core/i18n.h"
#include "platform/linux/profile.h"

#include "core/error.h"
#include "core/paths.h"
#include "core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PROFILE_BYTES (1024 * 1024)
#define NEW_FILE_MODE 0644
#define SYS_PROFILE_D "/etc/profile.d/cudaup.sh"
#define SYS_LDCONF_D "/etc/ld.so.conf.d"
#define SYS_FISH_DIR "/etc/fish"
#define SYS_FISH_CONF "/etc/fish/conf.d/cudaup.fish"

/* How one file changes: from its old content (NULL: absent) to the new one, or NULL to delete
 * it. @result equal to @old means "leave it". */
typedef gboolean (*ComputeFn)(const char *old, gconstpointer data, char **result, GError **error);

typedef struct {
  CupEnvScope scope;
  const CupProfileOptions *o;
  const char *root; /* system scope: the options' root; user scope: NULL (HOME is a host path) */
  CupProfileReport *report;
  GString *failures; /* "; "-joined, one clause per file that could not be changed */
  guint n_failed;
} Run;

/* The files of the user scope, computed once from the options. */
typedef struct {
  char *config;   /* CONFIG/cudaup */
  char *env_sh;   /* CONFIG/cudaup/env.sh */
  char *env_fish; /* CONFIG/cudaup/env.fish */
  char *fish_dir; /* CONFIG/fish */
  char *fish_conf;
  char *rc[5]; /* .profile .bashrc .bash_profile .bash_login .zshenv */
} UserFiles;

enum { RC_PROFILE, RC_BASHRC, RC_BASH_PROFILE, RC_BASH_LOGIN, RC_ZSHENV, RC_COUNT };
static const char *const rc_names[RC_COUNT] = {".profile", ".bashrc", ".bash_profile",
                                               ".bash_login", ".zshenv"};

/* ---- reports ---------------------------------------------------------------------------- */

static void edit_free(gpointer p)
{
  CupProfileEdit *e = p;
  g_free(e->path);
  g_free(e->host_path);
  g_free(e->old_content);
  g_free(e->new_content);
  g_free(e);
}

void cup_profile_report_free(CupProfileReport *report)
{
  if (report == NULL)
    return;
  g_free(report->root);
  g_ptr_array_unref(report->edits);
  g_ptr_array_unref(report->created_dirs);
  g_free(report);
}

static CupProfileReport *report_new(CupEnvScope scope, const char *root)
{
  CupProfileReport *r = g_new0(CupProfileReport, 1);
  r->scope = scope;
  r->root = g_strdup(root);
  r->edits = g_ptr_array_new_with_free_func(edit_free);
  r->created_dirs = g_ptr_array_new_with_free_func(g_free);
  return r;
}

static void file_state_free(gpointer p)
{
  CupProfileFile *f = p;
  g_free(f->path);
  g_free(f->problem);
  g_free(f);
}

void cup_profile_state_free(CupProfileState *state)
{
  if (state == NULL)
    return;
  g_free(state->cuda);
  g_free(state->toolkit_root);
  g_ptr_array_unref(state->known_roots);
  g_ptr_array_unref(state->files);
  g_free(state);
}

/* Tell the journal (if any) of the change about to be made. */
static gboolean journal(const CupProfileOptions *o, CupTxnOutside kind, const char *path,
                        GError **error)
{
  return o->journal == NULL || o->journal(kind, path, o->journal_data, error);
}

static gboolean is_real_system(const char *root)
{
  return root == NULL || *root == '\0' || strcmp(root, "/") == 0;
}

/* ---- reading and writing one file ------------------------------------------------------- */

static void set_errno_error(GError **error, int err)
{
  g_set_error_literal(error, CUP_ERROR, CUP_ERROR_IO, g_strerror(err));
}

/* Where @path lives on this machine: symlinks followed (inside @root), or the plain joined path
 * for a file that does not exist. @st gets the target's stat; @exists says whether there is
 * one. A dangling symlink fails: writing would replace the link with a file. */
static char *resolve(const char *root, const char *path, struct stat *st, gboolean *exists,
                     GError **error)
{
  g_autofree char *lexical = cup_root_join(root, path);
  struct stat lst;
  *exists = FALSE;
  if (lstat(lexical, &lst) != 0) {
    if (errno == ENOENT)
      return g_steal_pointer(&lexical);
    set_errno_error(error, errno);
    return NULL;
  }
  char *host = cup_root_host_path(root, path);
  if (host == NULL || stat(host, st) != 0) {
    g_free(host);
    g_set_error_literal(error, CUP_ERROR, CUP_ERROR_IO,
                        _("it is a symlink to a missing file; fix or remove the link"));
    return NULL;
  }
  if (!S_ISREG(st->st_mode)) {
    g_free(host);
    g_set_error_literal(error, CUP_ERROR, CUP_ERROR_IO, _("it is not a regular file"));
    return NULL;
  }
  *exists = TRUE;
  return host;
}

static char *read_text(const char *host, GError **error)
{
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  char *text = cup_read_small_file(host, MAX_PROFILE_BYTES, &len, &local);
  if (text == NULL) {
    g_set_error_literal(error, CUP_ERROR, CUP_ERROR_IO, local->message);
    return NULL;
  }
  if (strlen(text) != len) {
    g_free(text);
    g_set_error_literal(error, CUP_ERROR, CUP_ERROR_IO, _("it holds a NUL byte: not a text file"));
    return NULL;
  }
  return text;
}

static void sync_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  if (fsync(fd) != 0)
    g_debug("fsync of %s: %s", dir, g_strerror(errno));
  close(fd);
}

static gboolean write_all(int fd, const char *text)
{
  gsize len = strlen(text);
  while (len > 0) {
    ssize_t n = write(fd, text, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return FALSE;
    text += n;
    len -= (gsize)n;
  }
  return TRUE;
}

/* The old file's owner stays when root edits a user's file (sudo with the user's HOME). */
static gboolean keep_owner(int fd, const struct stat *old)
{
  if (old == NULL || geteuid() != 0)
    return TRUE;
  return fchown(fd, old->st_uid, old->st_gid) == 0;
}

/* @content into @host by a temporary file in the same directory and rename(2): a reader sees
 * the old file or the new one, never a half-written one. */
static gboolean write_atomic(const char *host, const char *content, guint mode,
                             const struct stat *old, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(host);
  g_autofree char *base = g_path_get_basename(host);
  g_autofree char *tmp = g_strdup_printf("%s/.%s.cudaup-XXXXXX", dir, base);
  int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    set_errno_error(error, errno);
    return FALSE;
  }
  gboolean ok =
      write_all(fd, content) && fchmod(fd, mode) == 0 && keep_owner(fd, old) && fsync(fd) == 0;
  int saved = errno;
  if (close(fd) != 0 && ok) {
    ok = FALSE;
    saved = errno;
  }
  if (ok && rename(tmp, host) != 0) {
    ok = FALSE;
    saved = errno;
  }
  if (!ok) {
    g_unlink(tmp);
    set_errno_error(error, saved);
    return FALSE;
  }
  sync_dir(dir);
  return TRUE;
}

static gboolean delete_file(const char *host, GError **error)
{
  if (g_unlink(host) != 0 && errno != ENOENT) {
    set_errno_error(error, errno);
    return FALSE;
  }
  g_autofree char *dir = g_path_get_dirname(host);
  sync_dir(dir);
  return TRUE;
}

/* mkdir -p @dir, recording each directory made in the report. */
static gboolean make_dirs(Run *run, const char *dir, GError **error)
{
  if (g_file_test(dir, G_FILE_TEST_IS_DIR))
    return TRUE;
  g_autofree char *parent = g_path_get_dirname(dir);
  if (strcmp(parent, dir) != 0 && !make_dirs(run, parent, error))
    return FALSE;
  int mode = run->scope == CUP_ENV_SCOPE_USER ? 0700 : 0755; /* XDG base dirs are 0700 */
  if (!journal(run->o, CUP_TXN_OUTSIDE_DIR, dir, error))
    return FALSE;
  if (g_mkdir(dir, mode) != 0 && errno != EEXIST) {
    set_errno_error(error, errno);
    return FALSE;
  }
  g_ptr_array_add(run->report->created_dirs, g_strdup(dir));
  return TRUE;
}

static gboolean make_edit(Run *run, CupProfileEdit *e, const struct stat *old, GError **error)
{
  if (e->new_content == NULL)
    return journal(run->o, CUP_TXN_OUTSIDE_FILE, e->host_path, error) &&
           delete_file(e->host_path, error);
  /* Directories first: an undo goes newest first, so the file goes before its directory. */
  g_autofree char *dir = g_path_get_dirname(e->host_path);
  return make_dirs(run, dir, error) && journal(run->o, CUP_TXN_OUTSIDE_FILE, e->host_path, error) &&
         write_atomic(e->host_path, e->new_content, e->mode, old, error);
}

/* ---- one file's edit, with its failure recorded ------------------------------------------ */

static void fail(Run *run, const char *path, const char *why, const char *manual)
{
  if (run->failures->len > 0)
    g_string_append(run->failures, "; ");
  g_string_append_printf(run->failures, "cannot edit %s (%s)", path, why);
  if (manual != NULL)
    g_string_append_printf(run->failures, ": %s", manual);
  run->n_failed++;
}

/* Whether we may write @host: the file itself when it exists, else the nearest directory
 * above it that exists (where the new directories and the file would be made), so that a dry
 * run meets the same refusals as the real one. Sets errno when not. */
static gboolean may_write(const char *host, gboolean exists)
{
  if (exists)
    return access(host, W_OK) == 0;
  g_autofree char *dir = g_path_get_dirname(host);
  while (!g_file_test(dir, G_FILE_TEST_EXISTS)) {
    char *parent = g_path_get_dirname(dir);
    gboolean top = strcmp(parent, dir) == 0;
    g_free(dir);
    dir = parent;
    if (top)
      break;
  }
  return access(dir, W_OK) == 0;
}

/* Compute and make the edit of the file @path (a system path under the run's root). @manual
 * tells the user what to do by hand when it cannot be made. Returns whether the file is as it
 * should be now (dry run: would be). */
static gboolean edit_file(Run *run, const char *path, ComputeFn compute, gconstpointer data,
                          const char *manual)
{
  g_autoptr(GError) error = NULL;
  struct stat st;
  gboolean exists;
  g_autofree char *host = resolve(run->root, path, &st, &exists, &error);
  g_autofree char *old = host && exists ? read_text(host, &error) : NULL;
  char *result = NULL;
  if (error == NULL)
    compute(old, data, &result, &error);
  if (error != NULL) {
    fail(run, path, error->message, manual);
    return FALSE;
  }
  if (g_strcmp0(old, result) == 0) {
    g_free(result);
    return TRUE;
  }
  CupProfileEdit *e = g_new0(CupProfileEdit, 1);
  e->path = g_strdup(path);
  e->host_path = g_steal_pointer(&host);
  e->old_content = g_steal_pointer(&old);
  e->new_content = result;
  e->mode = exists ? (st.st_mode & 07777) : NEW_FILE_MODE;
  /* rename(2) would replace a read-only file too; its mode says the user wants it unchanged */
  if (!may_write(e->host_path, exists))
    set_errno_error(&error, errno);
  else if (!run->o->dry_run && make_edit(run, e, exists ? &st : NULL, &error))
    e->done = TRUE;
  if (error != NULL) {
    fail(run, path, error->message, manual);
    edit_free(e);
    return FALSE;
  }
  g_ptr_array_add(run->report->edits, e);
  return TRUE;
}

static gboolean compute_whole(const char *old, gconstpointer data, char **result, GError **error)
{
  if (old != NULL && !cup_envset_is_generated(old)) {
    g_set_error_literal(error, CUP_ERROR, CUP_ERROR_IO,
                        _("cudaup did not write it; move it away and apply again"));
    return FALSE;
  }
  *result = g_strdup(data);
  return TRUE;
}

static gboolean compute_delete(const char *old, gconstpointer data, char **result, GError **error)
{
  (void)data;
  (void)error;
  *result = cup_envset_is_generated(old) ? NULL : g_strdup(old);
  return TRUE;
}

static gboolean compute_block(const char *old, gconstpointer body, char **result, GError **error)
{
  *result = cup_envset_block_apply(old, body, error);
  return *result != NULL;
}

static gboolean compute_unblock(const char *old, gconstpointer data, char **result, GError **error)
{
  (void)data;
  if (old == NULL) {
    *result = NULL;
    return TRUE;
  }
  return cup_envset_block_remove(old, result, error);
}

/* The run's end: the error for its failures, if any. */
static gboolean finish(Run *run, GError **error)
{
  gboolean ok = run->n_failed == 0;
  if (!ok) {
    gboolean some_done = FALSE;
    for (guint i = 0; i < run->report->edits->len; i++)
      some_done |= ((CupProfileEdit *)run->report->edits->pdata[i])->done;
    g_set_error(error, CUP_ERROR, some_done ? CUP_ERROR_PARTIAL : CUP_ERROR_IO, "%s",
                run->failures->str);
  }
  g_string_free(run->failures, TRUE);
  return ok;
}

static void run_init(Run *run, CupEnvScope scope, const CupProfileOptions *o,
                     CupProfileReport **report)
{
  run->scope = scope;
  run->o = o;
  run->root = scope == CUP_ENV_SCOPE_SYSTEM && !is_real_system(o->root) ? o->root : NULL;
  run->report = report_new(scope, run->root);
  run->failures = g_string_new(NULL);
  run->n_failed = 0;
  *report = run->report;
}

/* ---- user scope ------------------------------------------------------------------------- */

static void user_files_clear(UserFiles *f)
{
  g_free(f->config);
  g_free(f->env_sh);
  g_free(f->env_fish);
  g_free(f->fish_dir);
  g_free(f->fish_conf);
  for (int i = 0; i < RC_COUNT; i++)
    g_free(f->rc[i]);
}

static gboolean user_files(const CupProfileOptions *o, UserFiles *f, GError **error)
{
  memset(f, 0, sizeof *f);
  if (o->home == NULL || !g_path_is_absolute(o->home) ||
      (o->config_home != NULL && *o->config_home != '\0' && !g_path_is_absolute(o->config_home))) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("home directory '%s' or XDG_CONFIG_HOME '%s' is not an absolute path: set HOME"),
                o->home ? o->home : "", o->config_home ? o->config_home : "");
    return FALSE;
  }
  g_autofree char *config = o->config_home && *o->config_home
                                ? g_canonicalize_filename(o->config_home, NULL)
                                : g_build_filename(o->home, ".config", NULL);
  f->config = g_build_filename(config, "cudaup", NULL);
  f->env_sh = g_build_filename(f->config, "env.sh", NULL);
  f->env_fish = g_build_filename(f->config, "env.fish", NULL);
  f->fish_dir = g_build_filename(config, "fish", NULL);
  f->fish_conf = g_build_filename(f->fish_dir, "conf.d", "cudaup.fish", NULL);
  for (int i = 0; i < RC_COUNT; i++)
    f->rc[i] = g_build_filename(o->home, rc_names[i], NULL);
  return TRUE;
}

static gboolean shell_is(const CupProfileOptions *o, const char *name)
{
  if (o->shell == NULL)
    return FALSE;
  g_autofree char *base = g_path_get_basename(o->shell);
  return strcmp(base, name) == 0;
}

/* Which rc files get the block (the rules of profile.h). */
static void wanted_rc(const CupProfileOptions *o, const UserFiles *f, gboolean want[RC_COUNT])
{
  gboolean exists[RC_COUNT];
  for (int i = 0; i < RC_COUNT; i++)
    exists[i] = g_file_test(f->rc[i], G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
  want[RC_PROFILE] = TRUE;
  want[RC_BASHRC] = exists[RC_BASHRC] || shell_is(o, "bash");
  want[RC_BASH_PROFILE] = exists[RC_BASH_PROFILE];
  want[RC_BASH_LOGIN] = exists[RC_BASH_LOGIN] && !exists[RC_BASH_PROFILE];
  want[RC_ZSHENV] = exists[RC_ZSHENV] || shell_is(o, "zsh");
}

static gboolean wants_fish(const CupProfileOptions *o, const UserFiles *f)
{
  return shell_is(o, "fish") || g_file_test(f->fish_dir, G_FILE_TEST_IS_DIR);
}

/* The roots recorded in the script at @path, plus the options' ones. */
static GPtrArray *known_roots(Run *run, const char *path)
{
  GPtrArray *roots = g_ptr_array_new_with_free_func(g_free);
  struct stat st;
  gboolean exists;
  g_autofree char *host = resolve(run->root, path, &st, &exists, NULL);
  g_autofree char *text = host && exists ? read_text(host, NULL) : NULL;
  cup_envset_script_parse(text, NULL, NULL, roots);
  for (const char *const *r = run->o->known_roots; r != NULL && *r != NULL; r++)
    g_ptr_array_add(roots, g_strdup(*r));
  g_ptr_array_add(roots, NULL);
  return roots;
}

static void apply_user(Run *run, const CupEnvSpec *spec, const UserFiles *f)
{
  g_autoptr(GPtrArray) roots = known_roots(run, f->env_sh);
  const char *const *known = (const char *const *)roots->pdata;
  g_autofree char *sh = cup_envset_script_sh(spec, known);
  g_autofree char *fish = cup_envset_script_fish(spec, known);
  const char *again = "make it writable and run `cudaup env apply` again";
  if (!edit_file(run, f->env_sh, compute_whole, sh, again) ||
      !edit_file(run, f->env_fish, compute_whole, fish, again))
    return; /* the rc files would source a script that is not there */
  g_autofree char *line = cup_envset_rc_line(f->env_sh);
  g_autofree char *body = g_strconcat(line, "\n", NULL);
  g_autofree char *manual = g_strdup_printf("add this line to it by hand: %s", line);
  gboolean want[RC_COUNT];
  wanted_rc(run->o, f, want);
  for (int i = 0; i < RC_COUNT; i++)
    if (want[i])
      edit_file(run, f->rc[i], compute_block, body, manual);
  if (wants_fish(run->o, f)) {
    g_autofree char *conf = cup_envset_fish_conf(f->env_fish);
    g_autofree char *fish_line = cup_envset_fish_line(f->env_fish);
    g_autofree char *fish_manual =
        g_strdup_printf("add this line to %s/config.fish by hand: %s", f->fish_dir, fish_line);
    edit_file(run, f->fish_conf, compute_whole, conf, fish_manual);
  }
}

static void remove_user(Run *run, const UserFiles *f)
{
  const char *manual =
      "delete the lines from '" CUP_ENVSET_BLOCK_BEGIN "' to '" CUP_ENVSET_BLOCK_END "' by hand";
  for (int i = 0; i < RC_COUNT; i++)
    edit_file(run, f->rc[i], compute_unblock, NULL, manual);
  const char *gone = "delete it by hand";
  edit_file(run, f->fish_conf, compute_delete, NULL, gone);
  edit_file(run, f->env_fish, compute_delete, NULL, gone);
  edit_file(run, f->env_sh, compute_delete, NULL, gone);
  if (!run->o->dry_run)
    g_rmdir(f->config); /* only when empty: the user's own files there stay */
}

/* ---- system scope ----------------------------------------------------------------------- */

static int compare_paths(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The other versions' ld.so.conf.d files (every one when @keep is NULL): system paths. */
static GPtrArray *other_ldconfs(Run *run, const char *keep)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *dir = cup_root_join(run->root, SYS_LDCONF_D);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name(d)) != NULL)
    if (cup_envset_ldconf_is_ours(name) && g_strcmp0(name, keep) != 0)
      g_ptr_array_add(paths, g_build_filename(SYS_LDCONF_D, name, NULL));
  g_ptr_array_sort(paths, compare_paths);
  return paths;
}

static gboolean touched_ldconf(Run *run)
{
  for (guint i = 0; i < run->report->edits->len; i++) {
    const CupProfileEdit *e = run->report->edits->pdata[i];
    if (g_str_has_prefix(e->path, SYS_LDCONF_D "/"))
      return TRUE;
  }
  return FALSE;
}

/* ldconfig rebuilds the cache of the real system only; a fixture root has none to update.
 * An apply runs it even when no file changed: the toolkit's libraries may have (cuDNN added
 * to a toolkit that was already the default), and the cache must list them. */
static void maybe_ldconfig(Run *run, gboolean always)
{
  if (run->root != NULL || (!always && !touched_ldconf(run)))
    return;
  run->report->ldconfig = TRUE;
  g_autoptr(GError) error = NULL;
  if (!run->o->dry_run &&
      (!journal(run->o, CUP_TXN_OUTSIDE_LDCONFIG, NULL, &error) || !cup_proc_ldconfig(&error))) {
    run->report->ldconfig = FALSE;
    fail(run, "the library cache", error->message, "run `sudo ldconfig` by hand");
  }
}

static void apply_system(Run *run, const CupEnvSpec *spec)
{
  g_autoptr(GPtrArray) roots = known_roots(run, SYS_PROFILE_D);
  const char *const *known = (const char *const *)roots->pdata;
  g_autofree char *sh = cup_envset_script_sh(spec, known);
  const char *as_root = "run as root, or use --scope user";
  if (!edit_file(run, SYS_PROFILE_D, compute_whole, sh, as_root))
    return;
  g_autofree char *ldconf = g_build_filename(SYS_LDCONF_D, spec->ldconf_name, NULL);
  edit_file(run, ldconf, compute_whole, spec->ldconf_content, as_root);
  g_autoptr(GPtrArray) others = other_ldconfs(run, spec->ldconf_name);
  for (guint i = 0; i < others->len; i++)
    edit_file(run, others->pdata[i], compute_delete, NULL, as_root);
  g_autofree char *fish_dir = cup_root_join(run->root, SYS_FISH_DIR);
  if (g_file_test(fish_dir, G_FILE_TEST_IS_DIR)) {
    g_autofree char *fish = cup_envset_script_fish(spec, known);
    edit_file(run, SYS_FISH_CONF, compute_whole, fish, as_root);
  }
  maybe_ldconfig(run, TRUE);
}

static void remove_system(Run *run)
{
  const char *as_root = "run as root";
  edit_file(run, SYS_PROFILE_D, compute_delete, NULL, as_root);
  g_autoptr(GPtrArray) ldconfs = other_ldconfs(run, NULL);
  for (guint i = 0; i < ldconfs->len; i++)
    edit_file(run, ldconfs->pdata[i], compute_delete, NULL, as_root);
  edit_file(run, SYS_FISH_CONF, compute_delete, NULL, as_root);
  maybe_ldconfig(run, FALSE);
}

/* ---- the interface ---------------------------------------------------------------------- */

gboolean cup_profile_apply(const CupEnvSpec *spec, const CupProfileOptions *o,
                           CupProfileReport **report, GError **error)
{
  Run run;
  run_init(&run, spec->scope, o, report);
  if (strcmp(spec->os, "linux") != 0) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("the Linux profile files cannot hold a %s environment"), spec->os);
    g_string_free(run.failures, TRUE);
    return FALSE;
  }
  if (spec->scope == CUP_ENV_SCOPE_SYSTEM) {
    apply_system(&run, spec);
    return finish(&run, error);
  }
  UserFiles f;
  gboolean ok = user_files(o, &f, error);
  if (ok)
    apply_user(&run, spec, &f);
  user_files_clear(&f);
  if (!ok) {
    g_string_free(run.failures, TRUE);
    return FALSE;
  }
  return finish(&run, error);
}

gboolean cup_profile_remove(CupEnvScope scope, const CupProfileOptions *o,
                            CupProfileReport **report, GError **error)
{
  Run run;
  run_init(&run, scope, o, report);
  if (scope == CUP_ENV_SCOPE_SYSTEM) {
    remove_system(&run);
    return finish(&run, error);
  }
  UserFiles f;
  gboolean ok = user_files(o, &f, error);
  if (ok)
    remove_user(&run, &f);
  user_files_clear(&f);
  if (!ok) {
    g_string_free(run.failures, TRUE);
    return FALSE;
  }
  return finish(&run, error);
}

/* Put one edit's old content back, if the file still holds what the edit wrote. */
static gboolean revert_edit(const CupProfileEdit *e, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *now = NULL;
  if (g_file_test(e->host_path, G_FILE_TEST_EXISTS))
    now = read_text(e->host_path, &local);
  if (local == NULL && g_strcmp0(now, e->new_content) != 0)
    g_set_error_literal(&local, CUP_ERROR, CUP_ERROR_IO, _("changed since cudaup edited it"));
  else if (local == NULL && e->old_content == NULL)
    delete_file(e->host_path, &local);
  else if (local == NULL) {
    /* a remove may have taken the directory away with the file */
    g_autofree char *dir = g_path_get_dirname(e->host_path);
    struct stat st;
    gboolean have = stat(e->host_path, &st) == 0;
    if (g_mkdir_with_parents(dir, 0700) != 0)
      set_errno_error(&local, errno);
    else
      write_atomic(e->host_path, e->old_content, e->mode, have ? &st : NULL, &local);
  }
  if (local != NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_IO, "%s (%s)", e->path, local->message);
    return FALSE;
  }
  return TRUE;
}

gboolean cup_profile_revert(const CupProfileReport *report, GError **error)
{
  g_autoptr(GString) failed = g_string_new(NULL);
  for (guint i = report->edits->len; i-- > 0;) {
    const CupProfileEdit *e = report->edits->pdata[i];
    g_autoptr(GError) local = NULL;
    if (e->done && !revert_edit(e, &local))
      g_string_append_printf(failed, "%s%s", failed->len ? ", " : "", local->message);
  }
  for (guint i = report->created_dirs->len; i-- > 0;)
    g_rmdir(report->created_dirs->pdata[i]); /* only when empty */
  g_autoptr(GError) ld = NULL;
  if (report->ldconfig && is_real_system(report->root) && !cup_proc_ldconfig(&ld))
    g_string_append_printf(failed, "%sldconfig (%s)", failed->len ? ", " : "", ld->message);
  if (failed->len == 0)
    return TRUE;
  g_set_error(error, CUP_ERROR, CUP_ERROR_PARTIAL,
              _("could not undo the environment edits of %s: restore them by hand"), failed->str);
  return FALSE;
}

char *cup_profile_report_diff(const CupProfileReport *report)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < report->edits->len; i++) {
    const CupProfileEdit *e = report->edits->pdata[i];
    g_autofree char *diff = cup_envset_diff(e->path, e->old_content, e->new_content);
    g_string_append(out, diff);
  }
  if (report->ldconfig)
    g_string_append(out, "ldconfig\n");
  return g_string_free(out, FALSE);
}

/* ---- show ------------------------------------------------------------------------------- */

static void show_file(CupProfileState *state, const char *root, const char *path)
{
  CupProfileFile *f = g_new0(CupProfileFile, 1);
  g_autoptr(GError) error = NULL;
  struct stat st;
  f->path = g_strdup(path);
  g_autofree char *host = resolve(root, path, &st, &f->exists, &error);
  g_autofree char *text = host && f->exists ? read_text(host, &error) : NULL;
  f->ours = cup_envset_is_generated(text) || cup_envset_block_present(text);
  f->problem = error ? g_strdup(error->message) : NULL;
  if (text != NULL && state->cuda == NULL)
    cup_envset_script_parse(text, &state->cuda, &state->toolkit_root, state->known_roots);
  g_ptr_array_add(state->files, f);
}

CupProfileState *cup_profile_show(CupEnvScope scope, const CupProfileOptions *o, GError **error)
{
  g_autoptr(CupProfileState) state = g_new0(CupProfileState, 1);
  state->scope = scope;
  state->known_roots = g_ptr_array_new_with_free_func(g_free);
  state->files = g_ptr_array_new_with_free_func(file_state_free);
  if (scope == CUP_ENV_SCOPE_SYSTEM) {
    const char *root = is_real_system(o->root) ? NULL : o->root;
    Run run = {.root = root};
    show_file(state, root, SYS_PROFILE_D);
    g_autoptr(GPtrArray) ldconfs = other_ldconfs(&run, NULL);
    for (guint i = 0; i < ldconfs->len; i++)
      show_file(state, root, ldconfs->pdata[i]);
    show_file(state, root, SYS_FISH_CONF);
    return g_steal_pointer(&state);
  }
  UserFiles f;
  if (!user_files(o, &f, error))
    return NULL;
  show_file(state, NULL, f.env_sh);
  show_file(state, NULL, f.env_fish);
  for (int i = 0; i < RC_COUNT; i++)
    show_file(state, NULL, f.rc[i]);
  show_file(state, NULL, f.fish_conf);
  user_files_clear(&f);
  return g_steal_pointer(&state);
}
