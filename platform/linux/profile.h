/* profile.h - the Linux environment store: writes what core/envset computes into profile
 * files, so that a new terminal finds the default CUDA toolkit (DESIGN.md section 2, platform/
 * "environment store"; issue 6).
 *
 * User scope (HOME and XDG_CONFIG_HOME come from the options, never from our environment):
 *   CONFIG/cudaup/env.sh, env.fish   the scripts (cup_envset_script_sh/_fish), whole files
 *   ~/.profile                       marked block sourcing env.sh. Read by login shells (sh,
 *                                    dash, bash without ~/.bash_profile) and by the display
 *                                    managers that start desktop sessions, so it is created
 *                                    when missing, whatever the user's shell.
 *   ~/.bashrc                        block; read by interactive non-login bash (a terminal
 *                                    window). Created when missing only if the shell is bash.
 *   ~/.bash_profile or ~/.bash_login block in the first that exists: bash's login shell reads
 *                                    it instead of ~/.profile. Never created: a new one would
 *                                    hide ~/.profile from bash.
 *   ~/.zshenv                        block; read by every zsh. Edited when it exists, created
 *                                    only if the shell is zsh.
 *   CONFIG/fish/conf.d/cudaup.fish   a whole file sourcing env.fish, written when the shell is
 *                                    fish or CONFIG/fish exists.
 * System scope (every path under the options' root):
 *   /etc/profile.d/cudaup.sh         the sh script without LD_LIBRARY_PATH (read by
 *                                    /etc/profile for every login shell)
 *   /etc/ld.so.conf.d/cudaup-cuda-X.Y.conf  the library directory; other versions' files are
 *                                    removed. ldconfig runs after every apply (the toolkit's
 *                                    libraries may have changed) and after a remove that
 *                                    deleted such a file, when the root is "/".
 *   /etc/fish/conf.d/cudaup.fish     the fish script, when /etc/fish exists
 * The /usr/local/cuda symlink is not managed here (`cudaup install --set-default` makes it).
 *
 * Every edit: symlinks are followed to the file they name (a ~/.bashrc linked into a dotfiles
 * repository stays a link), the new content goes to a temporary file in the same directory
 * that gets the old file's mode (and owner, when we are root), is fsynced and renamed over the
 * old one; bytes outside the marked block never change. An existing file we may not write (a
 * read-only rc file) is left alone, even where the directory would let a rename replace it.
 * Files holding a NUL byte, or over 1 MiB, are refused.
 */
#pragma once

#include "core/envset.h"
#include "core/txn.h"

#include <glib.h>

G_BEGIN_DECLS

/* Told of each change before it is made (see CupProfileOptions.journal). */
typedef gboolean (*CupProfileJournalFunc)(CupTxnOutside kind, const char *host_path, gpointer data,
                                          GError **error);

typedef struct {
  const char *home;               /* user scope: the home directory (absolute) */
  const char *config_home;        /* user scope: XDG_CONFIG_HOME; NULL or "": HOME/.config */
  const char *shell;              /* the user's login shell, path or name; NULL: unknown */
  const char *root;               /* system scope: NULL or "/" is the real system */
  const char *const *known_roots; /* apply: more toolkit roots whose entries are dropped */
  gboolean dry_run;               /* compute every edit, write nothing, run nothing */
  /* Told before each change is made (never in a dry run): a file about to be written, created
   * or deleted (its host path, symlinks followed), a directory about to be created, ldconfig
   * about to run (path NULL). An install passes its transaction's journal
   * (cup_txn_journal_outside), so a rollback undoes the environment too. Returning FALSE
   * leaves that change unmade: it fails like an unwritable file. NULL: nobody is told. */
  CupProfileJournalFunc journal;
  gpointer journal_data;
} CupProfileOptions;

typedef struct {
  char *path;        /* the file as the user knows it: root stripped, symlinks not followed */
  char *host_path;   /* the file written: under the root, symlinks followed */
  char *old_content; /* NULL: the file did not exist */
  char *new_content; /* NULL: the file is deleted */
  guint mode;        /* permission bits of the file (kept; new files get 0644) */
  gboolean done;     /* made; FALSE in a dry run */
} CupProfileEdit;

typedef struct {
  CupEnvScope scope;
  char *root;              /* the options' root (NULL for the real system) */
  GPtrArray *edits;        /* CupProfileEdit*, in the order they were made */
  GPtrArray *created_dirs; /* char*: host paths of the directories created, parents first */
  gboolean ldconfig;       /* ldconfig ran (a dry run: would run) */
} CupProfileReport;

void cup_profile_report_free(CupProfileReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupProfileReport, cup_profile_report_free)

typedef struct {
  char *path;      /* as the user knows it */
  gboolean exists; /* the file exists */
  gboolean ours;   /* it holds a cudaup block, or cudaup generated it */
  char *problem;   /* why it could not be read, or NULL */
} CupProfileFile;

typedef struct {
  CupEnvScope scope;
  char *cuda;             /* the default toolkit's CUDA X.Y; NULL when none is set */
  char *toolkit_root;     /* its root; NULL likewise */
  GPtrArray *known_roots; /* char*: every toolkit root the scripts drop entries of */
  GPtrArray *files;       /* CupProfileFile*: every file this scope reads or writes */
} CupProfileState;

void cup_profile_state_free(CupProfileState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CupProfileState, cup_profile_state_free)

/**
 * cup_profile_apply: make @spec's toolkit the default at @spec->scope: write the scripts and
 * the marked blocks listed above (see the file comment for which files). Running it again
 * changes nothing; with another toolkit's spec, that one's entries replace the old ones. The
 * roots recorded in the existing script, and @o->known_roots, are the roots whose entries the
 * new script drops. Files that already say the same are not written.
 * Sets @report (always, even on error; free with cup_profile_report_free): the edits made, or
 * with @o->dry_run the edits that would be made. Errors: CUP_ERROR_USAGE for a relative HOME
 * or a Windows @spec; CUP_ERROR_IO when nothing could be written (a system file as a user:
 * "run as root, or use --scope user"); CUP_ERROR_PARTIAL when some files were written and
 * others not, naming each file, why, and the line to add to it by hand; ldconfig failing is
 * PARTIAL too. A damaged block (no end marker) fails that file.
 */
gboolean cup_profile_apply(const CupEnvSpec *spec, const CupProfileOptions *o,
                           CupProfileReport **report, GError **error);

/**
 * cup_profile_remove: take every cudaup edit of @scope away: blocks leave the files exactly as
 * they were before the first apply (a file cudaup created is deleted), generated files are
 * deleted, and CONFIG/cudaup is removed when empty; ldconfig runs when an ld.so.conf.d file
 * went (root "/"). Files that are not cudaup's are never touched. Sets @report as
 * cup_profile_apply does; the errors are the same, with "remove the cudaup block by hand".
 */
gboolean cup_profile_remove(CupEnvScope scope, const CupProfileOptions *o,
                            CupProfileReport **report, GError **error);

/**
 * cup_profile_revert: undo the edits of @report that were made (a rollback of the install
 * transaction), newest first: each file gets its old content back (or is deleted, when it did
 * not exist), directories it created are removed when empty, and ldconfig runs again when it
 * ran. A file changed by someone else since is left alone. Errors: CUP_ERROR_PARTIAL naming the
 * files that were left or could not be restored.
 */
gboolean cup_profile_revert(const CupProfileReport *report, GError **error);

/**
 * cup_profile_report_diff: every edit of @report as cup_envset_diff text, one after the
 * other (what a dry run prints), followed by "ldconfig" lines when it runs. Newly allocated.
 */
char *cup_profile_report_diff(const CupProfileReport *report);

/**
 * cup_profile_show: what @scope has now: the default toolkit and known roots read from the
 * script, and every file of the scope with whether it holds cudaup's edit. Unreadable files
 * are listed with their problem; nothing fails but a relative HOME (CUP_ERROR_USAGE).
 * Returns a new state (free with cup_profile_state_free), or NULL on error.
 */
CupProfileState *cup_profile_show(CupEnvScope scope, const CupProfileOptions *o, GError **error);

G_END_DECLS
