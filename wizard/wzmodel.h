/* wzmodel.h - the wizard's logic without widgets: the user's choices turned into a CupRequest,
 * and the facts of core (CupSystem, CupCatalog, CupPlan) turned into the lines a page shows.
 * Nothing here decides a version or a rule: every value comes from core; this module only
 * words it. No GTK: tested on its own (tests/test_wizard_model.c).
 */
#pragma once

#include "core/catalog.h"
#include "core/plan.h"
#include "core/system.h"

G_BEGIN_DECLS

/* What the user chose on the page "What do you want to run". */
typedef struct {
  CupFramework framework;
  char *version;     /* the framework's version, or the CUDA version for CUDA development;
                      * NULL: the newest that fits */
  char *python;      /* "3.11"; NULL: the Python found on this computer */
  char *cuda_pin;    /* Advanced: "12.4"; NULL: none */
  char *cudnn_pin;   /* Advanced: "9.1"; NULL: none */
  char *prefix;      /* Advanced: toolkit root; NULL: the default */
  gboolean user;     /* Advanced: environment scope user (TRUE) or system */
  char *mirror;      /* Advanced: base URL of a mirror of NVIDIA's layout; NULL: NVIDIA */
  char *offline_dir; /* Advanced: an offline bundle; NULL: download */
} WzChoices;

/** wz_choices_clear: free every string of @c and zero it. */
void wz_choices_clear(WzChoices *c);

/** wz_choice_given: @text without surrounding blanks, or NULL when it is NULL or blank (an
 * entry left empty is a choice not made). Newly allocated. */
char *wz_choice_given(const char *text);

/** wz_choices_copy: @to (uninitialised) receives a deep copy of @from; clear it with
 * wz_choices_clear. */
void wz_choices_copy(const WzChoices *from, WzChoices *to);

/**
 * wz_choices_to_request: fill @r (zeroed by the caller, cleared with cup_request_clear) from
 * @c. For CUDA development the chosen version is the CUDA pin (an Advanced CUDA pin wins over
 * it); an empty string counts as not given. The scope is the user's when @c->user or when
 * @is_admin is FALSE (DESIGN.md section 3: without root the default root is the user's own).
 * @user_data_dir is $XDG_DATA_HOME, for the user-scope root. A mirror loses trailing slashes
 * (archive URLs are MIRROR/cuda/redist/...).
 */
void wz_choices_to_request(const WzChoices *c, gboolean is_admin, const char *user_data_dir,
                           CupRequest *r);

/**
 * wz_versions: the versions the catalog offers for @framework, newest first: PyTorch release
 * lines, TensorFlow GPU builds for @os ("linux", "windows"; each version once), CUDA releases
 * as major.minor for CUDA development (each once). Returns a new GStrv (maybe empty).
 */
GStrv wz_versions(const CupCatalog *cat, CupFramework framework, const char *os);

/**
 * wz_newest_fitting: the index in @versions of the first (newest) one the planner can plan for
 * @sys with the rest of @c, or -1 when none fits. Each candidate is planned by cup_plan_make:
 * the wizard decides nothing itself.
 */
int wz_newest_fitting(const CupSystem *sys, const CupCatalog *cat, const WzChoices *c,
                      gboolean is_admin, const char *user_data_dir, const char *const *versions);

/* The page "Your computer", worded. Every array holds char* lines. */
typedef struct {
  GPtrArray *gpus;     /* "NVIDIA GeForce RTX 3070 Ti Laptop GPU" + details line, per GPU */
  char *driver;        /* one line: the driver and the CUDA version it supports, or none */
  GPtrArray *toolkits; /* one line per toolkit found, or one line saying none */
  GPtrArray *warnings; /* plain words first (no GPU, nouveau, Secure Boot, WSL), then detect's */
} WzSystemView;

/** wz_system_view_new: word @sys for the page. Free with wz_system_view_free. */
WzSystemView *wz_system_view_new(const CupSystem *sys);
void wz_system_view_free(WzSystemView *v);

/* One row of the plan table. */
typedef struct {
  char *what;    /* "NVIDIA driver", "CUDA Toolkit", "cuDNN", "PyTorch" */
  char *version; /* "560", "12.4.1"; "-" when not known */
  char *size;    /* download size, "1.2 GB"; "-" for nothing downloaded by cudaup */
  char *reason;  /* one line */
} WzPlanRow;

/* The page "The plan", worded. */
typedef struct {
  char *title;         /* "Plan for NVIDIA GeForce RTX 3070 Ti Laptop GPU on linux-x86_64" */
  GPtrArray *rows;     /* WzPlanRow* */
  char *download;      /* "Total download: 2.1 GB in 14 files" */
  char *location;      /* "Installed into /usr/local/cuda-12.4, which needs at least 3.1 GB
                        * of free disk space ...", or NULL when nothing is installed */
  GPtrArray *admin;    /* char*: each step that needs administrator rights, or one line: none */
  GPtrArray *reasons;  /* char*: the planner's own reasons (plan->reasons), as they are */
  GPtrArray *warnings; /* char*: plan->warnings */
  guint64 download_bytes;
  guint64 disk_bytes; /* at least this much is unpacked into the root (the engine's rule) */
} WzPlanView;

/**
 * wz_plan_view_new: word @plan for the page; @user_scope is the request's scope (a system
 * install writes outside the user's home). Free with wz_plan_view_free.
 */
WzPlanView *wz_plan_view_new(const CupPlan *plan, gboolean user_scope);
void wz_plan_view_free(WzPlanView *v);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(WzSystemView, wz_system_view_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WzPlanView, wz_plan_view_free)

G_END_DECLS
