/* selectors.c - SELECTORS of DESIGN.md section 3: one option table and one way from options to
 * a plan for every command that plans. */
#include "core/i18n.h"
#include "cli/selectors.h"

#include "core/cache.h"
#include "core/detect.h"
#include "core/error.h"
#include "core/fetch.h"
#include "core/paths.h"
#include "core/planinput.h"

#include <stdio.h>
#include <string.h>
#ifdef G_OS_UNIX
#include <unistd.h>
#else
#include "platform/windows/envstore.h" /* cup_winenv_is_administrator */
#endif

void cli_selectors_add_entries(CliSelectors *s, GArray *entries)
{
  const GOptionEntry table[] = {
      {"framework", 0, 0, G_OPTION_ARG_STRING, &s->framework,
       N_("pytorch[==V], tensorflow[==V] or none (default)"), "NAME[==V]"},
      {"python", 0, 0, G_OPTION_ARG_STRING, &s->python, N_("Python version to plan for"), "X.Y"},
      {"cuda", 0, 0, G_OPTION_ARG_STRING, &s->cuda, N_("Pin the CUDA version"), "X.Y[.Z]"},
      {"cudnn", 0, 0, G_OPTION_ARG_STRING, &s->cudnn, N_("Pin the cuDNN version"), "X.Y[.Z]"},
      {"with-toolkit", 0, 0, G_OPTION_ARG_NONE, &s->with_toolkit,
       N_("Install the CUDA Toolkit even when the framework bundles CUDA"), NULL},
      {"driver", 0, 0, G_OPTION_ARG_STRING, &s->driver, N_("Plan for this driver (or 'none')"),
       "VER"},
      {"os", 0, 0, G_OPTION_ARG_STRING, &s->os, N_("Plan for linux or windows"), "OS"},
      {"arch", 0, 0, G_OPTION_ARG_STRING, &s->arch, N_("Plan for x86_64 or sbsa"), "ARCH"},
      {"gpu", 0, 0, G_OPTION_ARG_STRING, &s->gpu, N_("Plan for the GPU of this name"), "NAME"},
      {"pci", 0, 0, G_OPTION_ARG_STRING, &s->pci, N_("Plan for the GPU of this PCI id"),
       "10de:XXXX"},
      {"cc", 0, 0, G_OPTION_ARG_STRING, &s->cc, N_("Plan for this compute capability"), "X.Y"},
      {"mirror", 0, 0, G_OPTION_ARG_STRING_ARRAY, &s->mirrors,
       N_("Download from this mirror of NVIDIA's layout (repeat for fallbacks, in order)"), "URL"},
      {"prefix", 0, 0, G_OPTION_ARG_FILENAME, &s->prefix, N_("Toolkit root"), "DIR"},
      {"user", 0, 0, G_OPTION_ARG_NONE, &s->user, N_("Install for this user only"), NULL},
      {"cache", 0, 0, G_OPTION_ARG_FILENAME, &s->cache, N_("Download cache directory"), "DIR"},
  };
  g_array_append_vals(entries, table, G_N_ELEMENTS(table));
}

gboolean cli_selectors_check(const CliSelectors *s, GError **error)
{
  for (char **m = s->mirrors; m && *m; m++)
    if (!cup_fetch_check_mirror(*m, TRUE, error))
      return FALSE;
  return TRUE;
}

char *cli_selectors_cache_dir(const CliSelectors *s)
{
  return s->cache ? g_strdup(s->cache) : cup_cache_default_dir();
}

/* "pytorch", "pytorch==2.1.2", "tensorflow==2.10", "none". */
static gboolean parse_framework(const char *text, CupRequest *r, GError **error)
{
  g_auto(GStrv) parts = g_strsplit(text ? text : "none", "==", 2);
  const char *name = parts[0];
  if (strcmp(name, "pytorch") == 0 || strcmp(name, "torch") == 0)
    r->framework = CUP_FRAMEWORK_PYTORCH;
  else if (strcmp(name, "tensorflow") == 0)
    r->framework = CUP_FRAMEWORK_TENSORFLOW;
  else if (strcmp(name, "none") == 0 && parts[1] == NULL)
    r->framework = CUP_FRAMEWORK_NONE;
  else {
    g_set_error(error, CUP_ERROR, CUP_ERROR_USAGE,
                _("--framework %s: expected pytorch[==VERSION], tensorflow[==VERSION] or none"),
                text);
    return FALSE;
  }
  r->framework_version = g_strdup(parts[1]);
  return TRUE;
}

/* cuDNN alone may go into a toolkit that is there already (plan.c, adds_to_existing): only
 * then are toolkits worth detecting (it may run nvcc). */
static gboolean may_add_to_existing(const CliSelectors *s)
{
  return s->cudnn && !s->with_toolkit &&
         (s->framework == NULL || strcmp(s->framework, "none") == 0);
}

/* The environment toolkit detection reads; --prefix DIR is offered to it as CUDA_PATH, so a
 * toolkit there is found wherever it is. */
GStrv cli_toolkit_environ(const char *prefix)
{
  GStrv env = g_get_environ();
  return prefix ? g_environ_setenv(env, "CUDA_PATH", prefix, TRUE) : env;
}

const CupToolkit *cli_toolkit_pick(const GPtrArray *toolkits, const char *sysroot,
                                   const char *prefix, const char *cuda)
{
  g_autofree char *real = prefix ? cup_root_realpath(sysroot, prefix) : NULL;
  for (guint i = 0; toolkits && (prefix == NULL || real != NULL) && i < toolkits->len; i++) {
    const CupToolkit *t = g_ptr_array_index(toolkits, i);
    if (t->version != NULL && (real == NULL || strcmp(real, t->root) == 0) &&
        (cuda == NULL || g_str_has_prefix(t->version, cuda)))
      return t;
  }
  return NULL;
}

CupSystem *cli_selectors_system(const CliGlobals *g, const CliSelectors *s, const CupCatalog *cat,
                                GError **error)
{
  g_auto(GStrv) env = cli_toolkit_environ(s->prefix);
  CupDetectOptions o = {.root = g->root,
                        .manifests_dir = g->catalog,
                        .skip_toolkits = !may_add_to_existing(s),
                        .gpu_table = cat->gpus,
                        .envp = (const char *const *)env};
  g_autoptr(CupSystem) sys = cup_detect(&o, error);
  if (sys == NULL)
    return NULL;
  CupOverrides ov = {.gpu_name = s->gpu, .pci_id = s->pci, .cc = s->cc, .driver = s->driver};
  if (!cup_system_override(sys, cat, &ov, error))
    return NULL;
  return g_steal_pointer(&sys);
}

/* Without root (Linux) or elevation (Windows) the default root is the user's own (DESIGN.md
 * section 3). */
static gboolean is_administrator(void)
{
#ifdef G_OS_UNIX
  return geteuid() == 0;
#else
  return cup_winenv_is_administrator();
#endif
}

/* The toolkit cuDNN would be added to: the one at --prefix, else the newest detected. */
static void find_existing(const CliSelectors *s, const CupSystem *sys, CupRequest *r)
{
  const CupToolkit *t = cli_toolkit_pick(sys->toolkits, NULL, s->prefix, NULL);
  if (t == NULL)
    return;
  r->existing_cuda = g_strdup(t->version);
  r->existing_root = g_strdup(t->root);
}

CupPlan *cli_selectors_plan(const CliSelectors *s, const CupSystem *sys, const CupCatalog *cat,
                            GError **error)
{
  CupRequest r = {0};
  if (!parse_framework(s->framework, &r, error))
    return NULL;
  r.python = g_strdup(s->python), r.cuda = g_strdup(s->cuda), r.cudnn = g_strdup(s->cudnn);
  r.os = g_strdup(s->os), r.arch = g_strdup(s->arch);
  r.mirror = g_strdup(s->mirrors ? s->mirrors[0] : NULL);
  while (r.mirror && g_str_has_suffix(r.mirror, "/") && strlen(r.mirror) > 1)
    r.mirror[strlen(r.mirror) - 1] = '\0'; /* archive URLs are MIRROR/cuda/redist/... */
  r.prefix = g_strdup(s->prefix), r.with_toolkit = s->with_toolkit;
  r.user_scope = s->user || !is_administrator();
  r.user_data_dir = g_strdup(g_get_user_data_dir());
  find_existing(s, sys, &r);
  CupPlan *plan = cup_plan_make(sys, cat, &r, error);
  cup_request_clear(&r);
  return plan;
}

void cli_selectors_clear(CliSelectors *s)
{
  char **strs[] = {&s->framework, &s->python, &s->cuda, &s->cudnn, &s->driver, &s->os,
                   &s->arch,      &s->gpu,    &s->pci,  &s->cc,    &s->prefix, &s->cache};
  for (gsize i = 0; i < G_N_ELEMENTS(strs); i++)
    g_clear_pointer(strs[i], g_free);
  g_clear_pointer(&s->mirrors, g_strfreev);
}

void cli_print_json(json_t *json)
{
  json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', stdout);
  json_decref(json);
}
