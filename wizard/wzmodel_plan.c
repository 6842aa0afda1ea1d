/* wzmodel_plan.c - the page "The plan" in words (wzmodel.h): one row per thing installed,
 * its version, download size and one line saying why; what needs administrator rights. */
#include "wizard/wzmodel.h"

#include "core/engine.h"
#include "core/i18n.h"

#include <string.h>

static void row_free(gpointer p)
{
  WzPlanRow *r = p;
  g_free(r->what), g_free(r->version), g_free(r->size), g_free(r->reason);
  g_free(r);
}

static void add_row(WzPlanView *v, const char *what, const char *version, guint64 bytes,
                    char *reason)
{
  WzPlanRow *r = g_new0(WzPlanRow, 1);
  r->what = g_strdup(what);
  r->version = g_strdup(version ? version : "-");
  r->size = bytes ? g_format_size(bytes) : g_strdup("-");
  r->reason = reason;
  g_ptr_array_add(v->rows, r);
}

/* Download bytes of the plan's archives: cuDNN's (@cudnn TRUE) or the toolkit's. */
static guint64 archive_bytes(const CupPlan *p, gboolean cudnn, guint *count)
{
  guint64 sum = 0;
  for (guint i = 0; i < p->archives->len; i++) {
    const CupPlanArchive *a = g_ptr_array_index(p->archives, i);
    if ((strcmp(a->component, "cudnn") == 0) == cudnn)
      sum += a->size, (*count)++;
  }
  return sum;
}

static void add_driver_row(WzPlanView *v, const CupPlan *p)
{
  if (g_strcmp0(p->driver_action, "keep") == 0) {
    add_row(v, _("NVIDIA driver"), p->driver_current, 0,
            g_strdup_printf(_("Kept: it already runs CUDA %s."), p->cuda_version));
    return;
  }
  g_autofree char *branch =
      p->driver_branch ? g_strdup_printf(_("branch %s"), p->driver_branch) : NULL;
  add_row(v, _("NVIDIA driver"), branch, 0,
          g_strdup_printf(_("CUDA %s needs driver %s or newer; it comes from your "
                            "distribution's packages."),
                          p->cuda_version, p->driver_minimum ? p->driver_minimum : "?"));
}

static void add_cuda_row(WzPlanView *v, const CupPlan *p)
{
  guint n = 0;
  guint64 bytes = archive_bytes(p, FALSE, &n);
  if (p->cuda_existing)
    add_row(v, _("CUDA Toolkit"), p->cuda_version, 0,
            g_strdup_printf(_("Already installed in %s: kept."), p->toolkit_root));
  else if (p->cuda_required || n > 0)
    add_row(v, _("CUDA Toolkit"), p->cuda_version, bytes,
            g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
                                        "For nvcc and building CUDA code (%u archive).",
                                        "For nvcc and building CUDA code (%u archives).", n),
                            n));
  else if (p->framework_name)
    add_row(v, _("CUDA Toolkit"), p->cuda_version, 0,
            g_strdup(_("Not installed: the framework brings its own CUDA runtime.")));
}

static void add_cudnn_row(WzPlanView *v, const CupPlan *p)
{
  guint n = 0;
  guint64 bytes = archive_bytes(p, TRUE, &n);
  if (p->cudnn_version == NULL)
    return;
  add_row(v, _("cuDNN"), p->cudnn_version, bytes,
          p->cudnn_variant
              ? g_strdup_printf(_("The deep-learning library, built for %s."), p->cudnn_variant)
              : g_strdup(_("The deep-learning library for this CUDA.")));
}

static void add_framework_row(WzPlanView *v, const CupPlan *p)
{
  if (p->framework_name == NULL)
    return;
  const char *name = strcmp(p->framework_name, "pytorch") == 0      ? "PyTorch"
                     : strcmp(p->framework_name, "tensorflow") == 0 ? "TensorFlow"
                                                                    : p->framework_name;
  add_row(v, name, p->framework_version, 0,
          g_strdup_printf(_("Installed by pip into your Python: %s"),
                          p->pip_command ? p->pip_command : "-"));
}

static void add_admin_lines(WzPlanView *v, const CupPlan *p, gboolean user_scope)
{
  if (g_strcmp0(p->driver_action, "keep") != 0)
    g_ptr_array_add(v->admin, g_strdup(_("Installing the NVIDIA driver needs administrator "
                                         "rights (you will be asked for your password).")));
  if (!user_scope && p->toolkit_root && !p->cuda_existing)
    g_ptr_array_add(v->admin,
                    g_strdup_printf(_("Writing to %s and the system-wide environment needs "
                                      "administrator rights."),
                                    p->toolkit_root));
  if (v->admin->len == 0)
    g_ptr_array_add(v->admin, g_strdup(_("Nothing in this plan needs administrator rights.")));
}

static GPtrArray *copy_lines(const GPtrArray *lines)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; lines && i < lines->len; i++)
    g_ptr_array_add(out, g_strdup(g_ptr_array_index(lines, i)));
  return out;
}

WzPlanView *wz_plan_view_new(const CupPlan *p, gboolean user_scope)
{
  WzPlanView *v = g_new0(WzPlanView, 1);
  v->title = g_strdup_printf(_("Plan for %s on %s"),
                             p->gpu && p->gpu->name ? p->gpu->name : _("no GPU"), p->platform);
  v->rows = g_ptr_array_new_with_free_func(row_free);
  add_driver_row(v, p);
  add_cuda_row(v, p);
  add_cudnn_row(v, p);
  add_framework_row(v, p);
  for (guint i = 0; i < p->archives->len; i++)
    v->download_bytes += ((CupPlanArchive *)g_ptr_array_index(p->archives, i))->size;
  g_autofree char *total = g_format_size(v->download_bytes);
  v->download =
      p->archives->len
          ? g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "Total download: %s in %u file",
                                        "Total download: %s in %u files", p->archives->len),
                            total, p->archives->len)
          : g_strdup(_("Nothing to download."));
  if (p->toolkit_root && !p->cuda_existing && p->archives->len) {
    /* The engine's own free-space rule, so the figure is the one the install checks. */
    v->disk_bytes = cup_engine_unpack_lower_bound(p);
    g_autofree char *disk = g_format_size(v->disk_bytes);
    v->location = g_strdup_printf(_("Installed into %s, which needs at least %s of free disk "
                                    "space (the downloads are kept in the download cache)."),
                                  p->toolkit_root, disk);
  }
  v->admin = g_ptr_array_new_with_free_func(g_free);
  add_admin_lines(v, p, user_scope);
  v->reasons = copy_lines(p->reasons);
  v->warnings = copy_lines(p->warnings);
  return v;
}

void wz_plan_view_free(WzPlanView *v)
{
  if (v == NULL)
    return;
  g_free(v->title), g_free(v->download), g_free(v->location);
  g_ptr_array_unref(v->rows);
  g_ptr_array_unref(v->admin);
  g_ptr_array_unref(v->reasons);
  g_ptr_array_unref(v->warnings);
  g_free(v);
}
