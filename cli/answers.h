/* answers.h - the answers file of `cudaup install --silent` (DESIGN.md section 3): an INI file
 * (GKeyFile syntax) whose [install] keys are the command's long options without the dashes,
 * merged into the command line before it is parsed, and where each choice came from, so the
 * install can log every one.
 *
 * The format, for the README:
 *   - one group, [install]; no other group, and no alias (one spelling keeps every file alike);
 *   - `key = value`, one per line; the key is a long option name ("cuda" for --cuda);
 *   - flags (options without a value) take true or false (any case; 1 and 0 work too); false
 *     leaves the flag out;
 *   - a repeatable option takes a list separated by ';' ("mirror = https://a/;https://b/"),
 *     used only when the command line gives that option not at all;
 *   - values are taken as written, without GKeyFile's backslash escapes, so Windows paths work;
 *     surrounding whitespace and one pair of surrounding double quotes are dropped;
 *   - a relative path is relative to the answers file's directory, not to the current one;
 *   - whole-line comments start with '#' or ';'; a UTF-8 BOM, CRLF line ends and UTF-16 with a
 *     BOM (Windows Notepad and PowerShell write those) are read as well;
 *   - the command line wins over the file; the file wins over the defaults.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** The answers file's one group. */
#define CLI_ANSWERS_GROUP "install"

/** CliAnswers: the merged command line (it owns the argv handed out) and each option's source. */
typedef struct _CliAnswers CliAnswers;

/** Where the value of an option came from. */
typedef enum {
  CLI_FROM_DEFAULT,
  CLI_FROM_COMMAND_LINE,
  CLI_FROM_ANSWERS,
} CliAnswerSource;

/**
 * cli_answers_file_arg: the value of --answers in @argv (argc/argv as main() gets them, argv[0]
 * the program), the last one when given twice, before any "--"; NULL when not given. Knows which
 * options of @entries take a value, so `--prefix --answers` is not mistaken for one. Needed
 * because the file must be merged before the command line is parsed. Returns a pointer into
 * @argv (not a copy).
 */
const char *cli_answers_file_arg(const GOptionEntry *entries, int argc, char **argv);

/**
 * cli_answers_merge: read the answers @file (NULL: none) and put `--key=value` arguments for its
 * [install] keys right after (*argv)[0], ahead of the user's own arguments, for every key the
 * command line does not give. @entries is the command's option table, ended by an entry whose
 * long_name is NULL; only its long names are keys (add the global entries to it to allow keys
 * such as log). Keys whose option takes a FILENAME have relative paths resolved against the
 * file's directory.
 *
 * On success *argc and *argv are replaced by the merged command line, which the returned object
 * owns: it stays valid (and may be parsed, which reorders it in place) until cli_answers_free.
 * The strings of the old argv are neither copied nor freed; they must outlive the object. With
 * @file NULL the argv is the same list, and the object still tells the sources apart.
 *
 * Errors: CUP_ERROR_USAGE, one line "FILE[:LINE]: what; the fix", for a missing or unreadable
 * file, text that is not UTF-8/UTF-16 or not INI, no [install] group, another group, an unknown
 * key, a key set twice, a key that may not be in an answers file (answers, help), a value of the
 * wrong type, an empty value or a path starting with '~'. On error nothing is changed.
 * Returns a new CliAnswers, or NULL on error.
 */
CliAnswers *cli_answers_merge(const char *file, const GOptionEntry *entries, int *argc,
                              char ***argv, GError **error);

/** cli_answers_source: where the option named @key (a long name) got its value. */
CliAnswerSource cli_answers_source(const CliAnswers *answers, const char *key);

/**
 * cli_answers_describe: one line per option of @entries, for the log, read from the entries'
 * arg_data (so call it after parsing):
 *   "cuda = 13.0 (answers file /x/answers.ini:3)", "prefix = /opt/cuda (command line)",
 *   "cudnn = newest that fits (default)".
 * The answers file is named by its absolute path. @defaults (may be NULL) pairs a key with the
 * text to show for it when it was not given ("cudnn", "newest that fits", ..., NULL); without
 * one, a default shows its value, "false" or "not set". Lists show as the file writes them
 * (a;b). Hidden options are left out unless given. Returns a newly allocated GStrv.
 */
char **cli_answers_describe(const CliAnswers *answers, const GOptionEntry *entries,
                            const char *const *defaults);

/** cli_answers_free: free @answers and the argv it handed out. NULL is allowed. */
void cli_answers_free(CliAnswers *answers);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliAnswers, cli_answers_free)

G_END_DECLS
