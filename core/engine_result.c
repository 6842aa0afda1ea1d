/* engine_result.c - the engine's packages and result: building, JSON, freeing. */
#include "core/engine_private.h"

#include "core/version.h"

#include <string.h>

static void package_free(CupEnginePackage *p)
{
  if (p == NULL)
    return;
  g_free(p->name);
  g_free(p->component);
  g_free(p->version);
  g_ptr_array_unref(p->archives);
  g_free(p);
}

static void file_free(CupEngineFile *f)
{
  g_free(f->path);
  g_free(f->kind);
  g_free(f);
}

CupEngineResult *cup_engine_result_new(const char *root)
{
  CupEngineResult *r = g_new0(CupEngineResult, 1);
  r->root = g_strdup(root);
  r->packages = g_ptr_array_new_with_free_func((GDestroyNotify)package_free);
  r->archives = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
  r->files = g_ptr_array_new_with_free_func((GDestroyNotify)file_free);
  r->notes = g_ptr_array_new_with_free_func(g_free);
  return r;
}

void cup_engine_result_free(CupEngineResult *r)
{
  if (r == NULL)
    return;
  g_free(r->root);
  g_free(r->recovered);
  g_ptr_array_unref(r->packages);
  g_ptr_array_unref(r->archives);
  g_ptr_array_unref(r->files);
  g_ptr_array_unref(r->notes);
  g_free(r->default_link);
  g_free(r->streamed);
  g_clear_pointer(&r->check, cup_check_result_free);
  g_free(r);
}

void cup_engine_add_file(CupEngineResult *r, const char *path, const char *kind, guint64 size)
{
  CupEngineFile *f = g_new0(CupEngineFile, 1);
  f->path = g_strdup(path);
  f->kind = g_strdup(kind);
  f->size = size;
  g_ptr_array_add(r->files, f);
}

/* The package an archive of @component belongs to, created on first use. */
static CupEnginePackage *package_for(CupEngineResult *r, const CupPlan *plan, const char *component,
                                     const char *archive_version)
{
  gboolean cudnn = strcmp(component, "cudnn") == 0;
  const char *kind = cudnn ? "cudnn" : "cuda";
  for (guint i = 0; i < r->packages->len; i++) {
    CupEnginePackage *p = g_ptr_array_index(r->packages, i);
    if (strcmp(p->component, kind) == 0)
      return p;
  }
  const char *version = cudnn ? plan->cudnn_version : plan->cuda_version;
  g_autofree char *mm = cup_major_minor(version);
  CupEnginePackage *p = g_new0(CupEnginePackage, 1);
  p->name = g_strdup_printf("%s-%s", kind, mm);
  p->component = g_strdup(kind);
  /* cuDNN's record keeps the archive's full version (9.19.0.56); CUDA's the release. */
  p->version = g_strdup(cudnn && archive_version ? archive_version : version);
  p->archives = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(r->packages, p);
  return p;
}

void cup_engine_result_add_packages(CupEngineResult *r, const CupPlan *plan)
{
  /* CUDA first: cuDNN goes into its tree. */
  for (int pass = 0; pass < 2; pass++) {
    for (guint i = 0; i < plan->archives->len; i++) {
      const CupPlanArchive *a = g_ptr_array_index(plan->archives, i);
      if ((strcmp(a->component, "cudnn") == 0) != (pass == 1))
        continue;
      CupEnginePackage *p = package_for(r, plan, a->component, a->version);
      g_ptr_array_add(p->archives, g_strdup(a->component));
    }
  }
}

char *cup_engine_package_names(const CupEngineResult *r)
{
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint i = 0; i < r->packages->len; i++) {
    const CupEnginePackage *p = g_ptr_array_index(r->packages, i);
    if (i > 0)
      g_string_append(s, i + 1 == r->packages->len ? " and " : ", ");
    g_string_append(s, p->name);
  }
  return g_string_free(g_steal_pointer(&s), FALSE);
}

static json_t *strings_json(const GPtrArray *strings)
{
  json_t *a = json_array();
  for (guint i = 0; strings && i < strings->len; i++)
    json_array_append_new(a, json_string(g_ptr_array_index(strings, i)));
  return a;
}

static json_t *packages_json(const CupEngineResult *r)
{
  json_t *a = json_array();
  for (guint i = 0; i < r->packages->len; i++) {
    const CupEnginePackage *p = g_ptr_array_index(r->packages, i);
    json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o,s:b,s:i,s:i,s:I}", "name", p->name,
                                       "component", p->component, "version", p->version, "archives",
                                       strings_json(p->archives), "already_installed", p->already,
                                       "files", (int)p->n_files, "symlinks", (int)p->n_links,
                                       "bytes", (json_int_t)p->bytes));
  }
  return a;
}

static json_t *files_json(const CupEngineResult *r)
{
  json_t *a = json_array();
  for (guint i = 0; i < r->files->len; i++) {
    const CupEngineFile *f = g_ptr_array_index(r->files, i);
    json_array_append_new(a, json_pack("{s:s,s:s,s:I}", "path", f->path, "kind", f->kind, "size",
                                       (json_int_t)f->size));
  }
  return a;
}

json_t *cup_engine_result_to_json(const CupEngineResult *r)
{
  json_t *archives = json_array();
  for (guint i = 0; i < r->archives->len; i++)
    json_array_append(archives, g_ptr_array_index(r->archives, i));
  json_t *o = json_pack("{s:s,s:o,s:b,s:b,s:o,s:o,s:o,s:I,s:I}", "root", r->root, "recovered",
                        r->recovered ? json_string(r->recovered) : json_null(), "already_installed",
                        r->already, "dry_run", r->dry_run, "packages", packages_json(r), "archives",
                        archives, "notes", strings_json(r->notes), "downloaded_bytes",
                        (json_int_t)r->downloaded, "written_bytes", (json_int_t)r->written);
  if (r->dry_run)
    json_object_set_new(o, "files", files_json(r));
  json_object_set_new(o, "streamed", r->streamed ? json_string(r->streamed) : json_null());
  json_object_set_new(o, "default_link",
                      r->default_link ? json_string(r->default_link) : json_null());
  json_object_set_new(o, "timings_ms",
                      json_pack("{s:I,s:I,s:I,s:I,s:I}", "download", (json_int_t)r->ms_download,
                                "extract", (json_int_t)r->ms_extract, "commit",
                                (json_int_t)r->ms_commit, "check", (json_int_t)r->ms_check, "total",
                                (json_int_t)r->ms_total));
  json_object_set_new(o, "check", r->check ? cup_check_to_json(r->check) : json_null());
  return o;
}
