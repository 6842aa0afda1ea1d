/* i18n.h - translated messages (gettext). Every user-facing message of core, the CLI and the
 * wizard is written in English inside _() (or N_() where the string is a table entry and
 * translated where shown); po/ holds the translations (po/ko.po: Korean).
 *
 * The text domain is "cudaup"; core is a static library linked into both programs, so every
 * translation unit uses dgettext() through glib/gi18n-lib.h and no program needs textdomain().
 */
#pragma once

#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "cudaup"
#endif
#include <glib/gi18n-lib.h>

G_BEGIN_DECLS

/**
 * cup_i18n_init: bind the "cudaup" text domain to its message catalogs, in UTF-8. Call once at
 * the start of main(), after setlocale(LC_ALL, ""). The catalogs are looked for in
 * $CUDAUP_LOCALEDIR when set; else PREFIX/share/locale next to the running executable (an
 * installed cudaup); else the build tree's locale/ (running from a build directory); else the
 * configured install location. A missing catalog is no error: messages stay in English.
 */
void cup_i18n_init(void);

/**
 * cup_i18n_localedir: the directory cup_i18n_init() binds (see there). Returns a newly
 * allocated path that may not exist.
 */
char *cup_i18n_localedir(void);

G_END_DECLS
