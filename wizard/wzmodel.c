/* wzmodel.c - the wizard's choices and the words of its pages (wzmodel.h). */
#include "wizard/wzmodel.h"

#include "core/i18n.h"

#include <string.h>

void wz_choices_clear(WzChoices *c)
{
  char **strs[] = {&c->version, &c->python, &c->cuda_pin,   &c->cudnn_pin,
                   &c->prefix,  &c->mirror, &c->offline_dir};
  for (gsize i = 0; i < G_N_ELEMENTS(strs); i++)
    g_clear_pointer(strs[i], g_free);
  memset(c, 0, sizeof *c);
}

void wz_choices_copy(const WzChoices *from, WzChoices *to)
{
  *to = *from;
  char **strs[] = {&to->version, &to->python, &to->cuda_pin,   &to->cudnn_pin,
                   &to->prefix,  &to->mirror, &to->offline_dir};
  for (gsize i = 0; i < G_N_ELEMENTS(strs); i++)
    *strs[i] = g_strdup(*strs[i]);
}

char *wz_choice_given(const char *text)
{
  if (text == NULL)
    return NULL;
  g_autofree char *s = g_strstrip(g_strdup(text));
  return *s ? g_steal_pointer(&s) : NULL;
}

void wz_choices_to_request(const WzChoices *c, gboolean is_admin, const char *user_data_dir,
                           CupRequest *r)
{
  r->framework = c->framework;
  if (c->framework == CUP_FRAMEWORK_NONE) {
    r->cuda = wz_choice_given(c->cuda_pin);
    if (r->cuda == NULL)
      r->cuda = wz_choice_given(c->version);
    r->with_toolkit = TRUE; /* CUDA development means nvcc */
  } else {
    r->framework_version = wz_choice_given(c->version);
    r->cuda = wz_choice_given(c->cuda_pin);
  }
  r->python = wz_choice_given(c->python);
  r->cudnn = wz_choice_given(c->cudnn_pin);
  r->prefix = wz_choice_given(c->prefix);
  r->mirror = wz_choice_given(c->mirror);
  while (r->mirror && strlen(r->mirror) > 1 && g_str_has_suffix(r->mirror, "/"))
    r->mirror[strlen(r->mirror) - 1] = '\0';
  r->user_scope = c->user || !is_admin;
  r->user_data_dir = g_strdup(user_data_dir);
}

static void add_once(GStrvBuilder *b, GHashTable *seen, const char *v)
{
  if (v != NULL && g_hash_table_add(seen, g_strdup(v)))
    g_strv_builder_add(b, v);
}

GStrv wz_versions(const CupCatalog *cat, CupFramework framework, const char *os)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (framework == CUP_FRAMEWORK_PYTORCH) {
    for (guint i = 0; i < cat->torch_releases->len; i++)
      add_once(b, seen, ((CupTorchRelease *)g_ptr_array_index(cat->torch_releases, i))->version);
  } else if (framework == CUP_FRAMEWORK_TENSORFLOW) {
    for (guint i = 0; i < cat->tf_releases->len; i++) {
      const CupTfRelease *t = g_ptr_array_index(cat->tf_releases, i);
      if (os == NULL || g_strcmp0(t->os, os) == 0)
        add_once(b, seen, t->version);
    }
  } else {
    for (guint i = 0; i < cat->cuda_releases->len; i++) {
      const CupCudaRelease *r = g_ptr_array_index(cat->cuda_releases, i);
      g_auto(GStrv) parts = g_strsplit(r->version, ".", 3);
      g_autofree char *mm = parts[0] && parts[1] ? g_strdup_printf("%s.%s", parts[0], parts[1])
                                                 : g_strdup(r->version);
      add_once(b, seen, mm);
    }
  }
  return g_strv_builder_end(b);
}

int wz_newest_fitting(const CupSystem *sys, const CupCatalog *cat, const WzChoices *c,
                      gboolean is_admin, const char *user_data_dir, const char *const *versions)
{
  for (int i = 0; versions && versions[i]; i++) {
    WzChoices trial = *c;
    trial.version = (char *)versions[i];
    CupRequest r = {0};
    wz_choices_to_request(&trial, is_admin, user_data_dir, &r);
    CupPlan *plan = cup_plan_make(sys, cat, &r, NULL);
    cup_request_clear(&r);
    if (plan != NULL) {
      cup_plan_free(plan);
      return i;
    }
  }
  return -1;
}

/* ---- Your computer ------------------------------------------------------------------------ */

static char *gpu_line(const CupGpu *gpu)
{
  g_autofree char *memory = NULL;
  if (gpu->memory_mib >= 0)
    memory = g_format_size((guint64)gpu->memory_mib * 1024 * 1024);
  else
    memory = g_strdup(_("not known until a driver is installed"));
  return g_strdup_printf(_("%s — compute capability %s, memory %s"),
                         gpu->name ? gpu->name : _("NVIDIA GPU (name not known)"),
                         gpu->compute_capability ? gpu->compute_capability : _("not known"),
                         memory);
}

static char *driver_line(const CupDriver *d)
{
  if (d->version == NULL)
    return g_strdup(_("No NVIDIA driver is installed. cudaup can install one."));
  if (d->cuda_version == NULL)
    return g_strdup_printf(_("NVIDIA driver %s is installed."), d->version);
  return g_strdup_printf(_("NVIDIA driver %s is installed; it runs CUDA up to %s."), d->version,
                         d->cuda_version);
}

static void add_toolkit_lines(GPtrArray *out, const GPtrArray *toolkits)
{
  for (guint i = 0; toolkits && i < toolkits->len; i++) {
    const CupToolkit *t = g_ptr_array_index(toolkits, i);
    if (t->cudnn && t->cudnn->version)
      g_ptr_array_add(out,
                      g_strdup_printf(_("CUDA Toolkit %s in %s, with cuDNN %s"),
                                      t->version ? t->version : "?", t->root, t->cudnn->version));
    else
      g_ptr_array_add(
          out, g_strdup_printf(_("CUDA Toolkit %s in %s"), t->version ? t->version : "?", t->root));
  }
  if (out->len == 0)
    g_ptr_array_add(out, g_strdup(_("No CUDA Toolkit is installed yet.")));
}

static void add_plain_warnings(GPtrArray *out, const CupSystem *sys)
{
  if (sys->gpus->len == 0)
    g_ptr_array_add(out, g_strdup(_("No NVIDIA graphics card was found in this computer. "
                                    "cudaup can only plan for another machine.")));
  if (sys->nouveau_loaded == CUP_YES)
    g_ptr_array_add(out, g_strdup(_("The open-source \"nouveau\" driver is running. It has to "
                                    "be switched off before the NVIDIA driver can work.")));
  if (sys->secure_boot == CUP_YES)
    g_ptr_array_add(out, g_strdup(_("Secure Boot is on. A new NVIDIA driver must be signed "
                                    "(enrolled) before it loads, or Secure Boot turned off.")));
  if (sys->os.wsl == CUP_YES)
    g_ptr_array_add(out, g_strdup(_("This is Linux inside Windows (WSL). The driver comes from "
                                    "Windows: install it there, not here.")));
}

WzSystemView *wz_system_view_new(const CupSystem *sys)
{
  WzSystemView *v = g_new0(WzSystemView, 1);
  v->gpus = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < sys->gpus->len; i++)
    g_ptr_array_add(v->gpus, gpu_line(g_ptr_array_index(sys->gpus, i)));
  v->driver = driver_line(&sys->driver);
  v->toolkits = g_ptr_array_new_with_free_func(g_free);
  add_toolkit_lines(v->toolkits, sys->toolkits);
  v->warnings = g_ptr_array_new_with_free_func(g_free);
  add_plain_warnings(v->warnings, sys);
  for (guint i = 0; i < sys->warnings->len; i++)
    g_ptr_array_add(v->warnings, g_strdup(g_ptr_array_index(sys->warnings, i)));
  return v;
}

void wz_system_view_free(WzSystemView *v)
{
  if (v == NULL)
    return;
  g_ptr_array_unref(v->gpus);
  g_free(v->driver);
  g_ptr_array_unref(v->toolkits);
  g_ptr_array_unref(v->warnings);
  g_free(v);
}
