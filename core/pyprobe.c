/* pyprobe.c - run the framework probe script in a Python interpreter and read its answer. */
#include "core/pyprobe.h"

#include "core/error.h"
#include "core/i18n.h"
#include "core/proc.h"

#include <string.h>

/* The script: Python 3.6 syntax (no f-strings), standard library only, every call wrapped so
 * that one failing call is reported and the rest still answers. torch.cuda.get_arch_list() is
 * empty when no driver answers; torch._C._cuda_getArchFlags() gives the same list without
 * one. torch.backends.cudnn.version() is the cuDNN actually loaded (a library on
 * LD_LIBRARY_PATH may stand in for the wheel's own); _cudnn.getCompileVersion() the one torch
 * was built against. */
static const char probe_script[] =
    "import sys, os, json, traceback\n"
    "sys.path[:] = [p for p in sys.path if p not in ('', '.', os.getcwd())]\n"
    "from importlib import util, import_module\n"
    "def exc(e):\n"
    "    lines = ''.join(traceback.format_exception_only(type(e), e)).strip().splitlines()\n"
    "    return lines[-1] if lines else type(e).__name__\n"
    "def call(d, f):\n"
    "    try:\n"
    "        return f()\n"
    "    except Exception as e:\n"
    "        if d.get('error') is None:\n"
    "            d['error'] = exc(e)\n"
    "        return None\n"
    "def find(name):\n"
    "    try:\n"
    "        return util.find_spec(name)\n"
    "    except Exception:\n"
    "        return None\n"
    "def cudnn_ver(v):\n"
    "    if v is None:\n"
    "        return None\n"
    "    v = int(v)\n"
    "    if v >= 10000:\n"
    "        return '%d.%d.%d' % (v // 10000, v // 100 % 100, v % 100)\n"
    "    return '%d.%d.%d' % (v // 1000, v // 100 % 10, v % 100)\n"
    "def cudnn_files(dirs):\n"
    "    out = []\n"
    "    for d in dirs:\n"
    "        try:\n"
    "            names = os.listdir(d)\n"
    "        except OSError:\n"
    "            continue\n"
    "        for n in names:\n"
    "            l = n.lower()\n"
    "            if l.startswith('libcudnn') or (l.startswith('cudnn') and l.endswith('.dll')):\n"
    "                out.append(os.path.join(d, n))\n"
    "    return out\n"
    "def cudnn_wheel():\n"
    "    w = {'name': None, 'version': None, 'dirs': []}\n"
    "    try:\n"
    "        from importlib import metadata\n"
    "        for dist in metadata.distributions():\n"
    "            name = (dist.metadata['Name'] or '').lower().replace('_', '-')\n"
    "            if name.startswith('nvidia-cudnn-cu'):\n"
    "                w['name'], w['version'] = name, dist.version\n"
    "    except Exception:\n"
    "        pass\n"
    "    spec = find('nvidia.cudnn')\n"
    "    for loc in (spec.submodule_search_locations or []) if spec else []:\n"
    "        w['dirs'] += [os.path.join(loc, 'lib'), os.path.join(loc, 'bin')]\n"
    "    return w\n"
    "def torch_probe(d, torch):\n"
    "    d['cuda'] = getattr(torch.version, 'cuda', None)\n"
    "    d['built_with_cuda'] = d['cuda'] is not None\n"
    "    d['cuda_available'] = call(d, torch.cuda.is_available)\n"
    "    d['device_count'] = call(d, torch.cuda.device_count)\n"
    "    if d['cuda_available']:\n"
    "        d['devices'] = [call(d, lambda i=i: torch.cuda.get_device_name(i))\n"
    "                        for i in range(d['device_count'] or 0)]\n"
    "    archs = call(d, torch.cuda.get_arch_list) or []\n"
    "    c = getattr(torch, '_C', None)\n"
    "    if not archs and hasattr(c, '_cuda_getArchFlags'):\n"
    "        archs = (call(d, c._cuda_getArchFlags) or '').split()\n"
    "    d['arch_list'] = [str(a) for a in archs]\n"
    "    d['cudnn'] = cudnn_ver(call(d, torch.backends.cudnn.version))\n"
    "    compiled = getattr(getattr(c, '_cudnn', None), 'getCompileVersion', None)\n"
    "    v = call(d, compiled) if compiled else None\n"
    "    d['cudnn_compiled'] = '%d.%d.%d' % tuple(v)[:3] if v else None\n"
    "    d['lib_dir'] = os.path.join(os.path.dirname(torch.__file__), 'lib')\n"
    "def tf_probe(d, tf):\n"
    "    d['built_with_cuda'] = call(d, tf.test.is_built_with_cuda)\n"
    "    info = call(d, tf.sysconfig.get_build_info) or {}\n"
    "    d['cuda'], d['cudnn'] = info.get('cuda_version'), info.get('cudnn_version')\n"
    "    gpus = call(d, lambda: tf.config.list_physical_devices('GPU'))\n"
    "    if gpus is not None:\n"
    "        d['devices'] = [str(getattr(g, 'name', g)) for g in gpus]\n"
    "        d['device_count'] = len(gpus)\n"
    "        d['cuda_available'] = len(gpus) > 0\n"
    "def framework(name, probe, wheel):\n"
    "    d = {'found': find(name) is not None, 'version': None, 'file': None,\n"
    "         'import_error': None, 'error': None, 'cuda': None, 'cudnn': None,\n"
    "         'cudnn_compiled': None, 'built_with_cuda': None, 'cuda_available': None,\n"
    "         'device_count': None, 'devices': [], 'arch_list': [], 'lib_dir': None,\n"
    "         'cudnn_libs': [], 'cudnn_wheel': wheel['name'],\n"
    "         'cudnn_wheel_version': wheel['version']}\n"
    "    if not d['found']:\n"
    "        return d\n"
    "    try:\n"
    "        mod = import_module(name)\n"
    "    except BaseException as e:\n"
    "        d['import_error'] = exc(e)\n"
    "        return d\n"
    "    d['file'] = getattr(mod, '__file__', None)\n"
    "    v = getattr(mod, '__version__', None)\n"
    "    d['version'] = None if v is None else str(v)\n"
    "    try:\n"
    "        probe(d, mod)\n"
    "    except Exception as e:\n"
    "        d['error'] = d['error'] or exc(e)\n"
    "    dirs = ([d['lib_dir']] if d['lib_dir'] else []) + wheel['dirs']\n"
    "    d['cudnn_libs'] = sorted(cudnn_files(dirs))\n"
    "    return d\n"
    "import platform\n"
    "wheel = cudnn_wheel()\n"
    "out = {'version': platform.python_version(), 'executable': sys.executable,\n"
    "       'torch': framework('torch', torch_probe, wheel),\n"
    "       'tensorflow': framework('tensorflow', tf_probe, wheel)}\n"
    "sys.stdout.write('\\n" CUP_PYPROBE_MARKER "' + json.dumps(out) + '\\n')\n"
    "sys.stdout.flush()\n";

const char *cup_pyprobe_script(void)
{
  return probe_script;
}

/* ---- finding the interpreter ------------------------------------------------------------ */

static const char *const *python_names(void)
{
#ifdef G_OS_WIN32
  static const char *const names[] = {"python.exe", "py.exe", NULL};
#else
  static const char *const names[] = {"python3", "python", NULL};
#endif
  return names;
}

static gboolean is_program(const char *path)
{
  return g_file_test(path, G_FILE_TEST_IS_REGULAR) && g_file_test(path, G_FILE_TEST_IS_EXECUTABLE);
}

/* The first entry of @path_var holding one of @names, each entry tried for every name. */
static char *search_path(const char *path_var, const char *const *names)
{
  g_auto(GStrv) dirs = g_strsplit(path_var ? path_var : "", G_SEARCHPATH_SEPARATOR_S, -1);
  for (char **dir = dirs; *dir; dir++) {
    if (**dir == '\0')
      continue; /* an empty entry means the working directory: never a Python we pick */
    for (const char *const *name = names; *name; name++) {
      g_autofree char *candidate = g_build_filename(*dir, *name, NULL);
      if (is_program(candidate))
        return g_steal_pointer(&candidate);
    }
  }
  return NULL;
}

char *cup_pyprobe_find_python(const CupPyProbeOptions *o, GError **error)
{
  g_auto(GStrv) own = o->envp ? NULL : g_get_environ();
  const char *path_var = g_environ_getenv(o->envp ? (char **)o->envp : own, "PATH");
  if (o->python && strchr(o->python, G_DIR_SEPARATOR) == NULL && strchr(o->python, '/') == NULL) {
    const char *names[] = {o->python, NULL};
    char *found = search_path(path_var, names);
    if (found == NULL)
      g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                  _("Python '%s' was not found on PATH; name an installed interpreter with "
                    "--python EXE"),
                  o->python);
    return found;
  }
  if (o->python) {
    if (is_program(o->python))
      return g_strdup(o->python);
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("Python '%s' does not exist or is not executable; name an installed "
                  "interpreter with --python EXE"),
                o->python);
    return NULL;
  }
  char *found = search_path(path_var, python_names());
  if (found == NULL)
    g_set_error_literal(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                        _("no Python found on PATH; install Python 3 or name one with "
                          "--python EXE"));
  return found;
}

/* ---- running it ------------------------------------------------------------------------- */

static char **probe_environment(const CupPyProbeOptions *o)
{
  char **env = o->envp ? g_strdupv((char **)o->envp) : g_get_environ();
  for (const char *const *kv = o->extra_env; kv && *kv; kv++) {
    const char *eq = strchr(*kv, '=');
    if (eq == NULL || eq == *kv)
      continue;
    g_autofree char *name = g_strndup(*kv, (gsize)(eq - *kv));
    env = g_environ_setenv(env, name, eq + 1, TRUE);
  }
  /* Never write __pycache__ into someone's environment (or a test fixture); keep
   * TensorFlow's start-up log off the output; make the output UTF-8 whatever the locale. */
  env = g_environ_setenv(env, "PYTHONDONTWRITEBYTECODE", "1", TRUE);
  env = g_environ_setenv(env, "PYTHONIOENCODING", "utf-8", TRUE);
  env = g_environ_setenv(env, "TF_CPP_MIN_LOG_LEVEL", "3", TRUE);
  return env;
}

/* The last non-empty line of @text (for quoting what a failing interpreter said). */
static char *last_line(const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (gint i = (gint)g_strv_length(lines) - 1; i >= 0; i--) {
    g_strstrip(lines[i]);
    if (lines[i][0] != '\0')
      return g_strdup(lines[i]);
  }
  return g_strdup(_("(no output)"));
}

/* Why a run without a result failed, as one line with the fix. */
static void set_run_error(const char *python, int status, const char *output, GError **error)
{
  g_autofree char *said = last_line(output);
  if (status != 0)
    g_set_error(error, CUP_ERROR, CUP_ERROR_CHECK,
                _("%s exited with status %d before it could say which frameworks it has: %s; "
                  "run it by hand to see the whole message"),
                python, status, said);
  else
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                _("%s printed no probe result (is it Python 3?): %s; name a Python 3 "
                  "interpreter with --python EXE"),
                python, said);
}

CupPyProbe *cup_pyprobe_run(const CupPyProbeOptions *o, GError **error)
{
  g_autofree char *python = cup_pyprobe_find_python(o, error);
  if (python == NULL)
    return NULL;
  g_auto(GStrv) env = probe_environment(o);
  const char *argv[] = {python, "-c", probe_script, NULL};
  guint timeout = o->timeout_ms ? o->timeout_ms : CUP_PYPROBE_TIMEOUT_MS;
  CupProcOptions run = {argv, (const char *const *)env, NULL, TRUE, timeout};
  int status = -1;
  g_autoptr(GError) local = NULL;
  g_autoptr(GBytes) out = cup_proc_run_full(&run, &status, &local);
  if (out == NULL && status == CUP_PROC_TIMED_OUT) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_CHECK,
                _("%s did not answer within %u s and was stopped (importing a framework hung); "
                  "run '%s -c \"import torch\"' by hand to see where it stops"),
                python, (timeout + 999) / 1000, python);
    return NULL;
  }
  if (out == NULL) {
    g_set_error(error, CUP_ERROR, CUP_ERROR_NOT_FOUND,
                _("cannot run Python %s: %s; name a working interpreter with --python EXE"), python,
                local->message);
    return NULL;
  }
  g_autofree char *text = cup_proc_output_text(out);
  if (strstr(text, CUP_PYPROBE_MARKER) == NULL) {
    set_run_error(python, status, text, error);
    return NULL;
  }
  return cup_pyprobe_parse(python, text, error);
}

/* ---- parsing ---------------------------------------------------------------------------- */

static char *dup_string(json_t *object, const char *key)
{
  const char *s = json_string_value(json_object_get(object, key));
  return s ? g_strdup(s) : NULL;
}

static CupTristate tristate(json_t *object, const char *key)
{
  json_t *v = json_object_get(object, key);
  return json_is_boolean(v) ? (json_is_true(v) ? CUP_YES : CUP_NO) : CUP_UNKNOWN;
}

static GPtrArray *string_list(json_t *object, const char *key)
{
  GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
  json_t *array = json_object_get(object, key);
  size_t i;
  json_t *item;
  json_array_foreach(array, i, item)
  {
    if (json_is_string(item))
      g_ptr_array_add(list, g_strdup(json_string_value(item)));
  }
  return list;
}

static void framework_from_json(CupPyFramework *f, json_t *o)
{
  f->found = json_is_true(json_object_get(o, "found"));
  f->version = dup_string(o, "version");
  f->file = dup_string(o, "file");
  f->import_error = dup_string(o, "import_error");
  f->error = dup_string(o, "error");
  f->cuda = dup_string(o, "cuda");
  f->cudnn = dup_string(o, "cudnn");
  f->cudnn_compiled = dup_string(o, "cudnn_compiled");
  f->built_with_cuda = tristate(o, "built_with_cuda");
  f->cuda_available = tristate(o, "cuda_available");
  json_t *count = json_object_get(o, "device_count");
  f->device_count = json_is_integer(count) ? (int)json_integer_value(count) : -1;
  f->devices = string_list(o, "devices");
  f->arch_list = string_list(o, "arch_list");
  f->lib_dir = dup_string(o, "lib_dir");
  f->cudnn_libs = string_list(o, "cudnn_libs");
  f->cudnn_wheel = dup_string(o, "cudnn_wheel");
  f->cudnn_wheel_version = dup_string(o, "cudnn_wheel_version");
}

/* The JSON after the last marker of @output, or NULL. */
static json_t *result_object(const char *output)
{
  const char *at = NULL;
  for (const char *p = strstr(output, CUP_PYPROBE_MARKER); p; p = strstr(p + 1, CUP_PYPROBE_MARKER))
    at = p;
  if (at == NULL)
    return NULL;
  at += strlen(CUP_PYPROBE_MARKER);
  const char *end = strchr(at, '\n');
  g_autofree char *line = end ? g_strndup(at, (gsize)(end - at)) : g_strdup(at);
  return json_loads(line, 0, NULL);
}

CupPyProbe *cup_pyprobe_parse(const char *python, const char *output, GError **error)
{
  json_t *json = result_object(output);
  json_t *torch = json_object_get(json, "torch");
  json_t *tf = json_object_get(json, "tensorflow");
  if (!json_is_object(json) || !json_is_object(torch) || !json_is_object(tf)) {
    g_autofree char *said = last_line(output);
    g_set_error(error, CUP_ERROR, CUP_ERROR_PARSE,
                _("%s printed a probe result cudaup cannot read: %s; name a Python 3 "
                  "interpreter with --python EXE"),
                python, said);
    json_decref(json);
    return NULL;
  }
  CupPyProbe *probe = g_new0(CupPyProbe, 1);
  probe->python = g_strdup(python);
  probe->executable = dup_string(json, "executable");
  probe->version = dup_string(json, "version");
  framework_from_json(&probe->torch, torch);
  framework_from_json(&probe->tensorflow, tf);
  probe->json = json;
  return probe;
}

/* ---- output ----------------------------------------------------------------------------- */

static json_t *framework_json(const CupPyFramework *f)
{
  json_t *o = json_object();
  json_object_set_new(o, "found", json_boolean(f->found));
  json_object_set_new(o, "version", cup_json_string_or_null(f->version));
  json_object_set_new(o, "file", cup_json_string_or_null(f->file));
  json_object_set_new(o, "import_error", cup_json_string_or_null(f->import_error));
  json_object_set_new(o, "error", cup_json_string_or_null(f->error));
  json_object_set_new(o, "cuda", cup_json_string_or_null(f->cuda));
  json_object_set_new(o, "cudnn", cup_json_string_or_null(f->cudnn));
  json_object_set_new(o, "cudnn_compiled", cup_json_string_or_null(f->cudnn_compiled));
  json_object_set_new(o, "built_with_cuda", cup_json_tristate(f->built_with_cuda));
  json_object_set_new(o, "cuda_available", cup_json_tristate(f->cuda_available));
  json_object_set_new(o, "device_count",
                      f->device_count >= 0 ? json_integer(f->device_count) : json_null());
  json_object_set_new(o, "devices", cup_json_strings(f->devices));
  json_object_set_new(o, "arch_list", cup_json_strings(f->arch_list));
  json_object_set_new(o, "lib_dir", cup_json_string_or_null(f->lib_dir));
  json_object_set_new(o, "cudnn_libs", cup_json_strings(f->cudnn_libs));
  json_object_set_new(o, "cudnn_wheel", cup_json_string_or_null(f->cudnn_wheel));
  json_object_set_new(o, "cudnn_wheel_version", cup_json_string_or_null(f->cudnn_wheel_version));
  return o;
}

json_t *cup_pyprobe_to_json(const CupPyProbe *p)
{
  json_t *o = json_object();
  json_object_set_new(o, "python", cup_json_string_or_null(p->python));
  json_object_set_new(o, "executable", cup_json_string_or_null(p->executable));
  json_object_set_new(o, "version", cup_json_string_or_null(p->version));
  json_object_set_new(o, "torch", framework_json(&p->torch));
  json_object_set_new(o, "tensorflow", framework_json(&p->tensorflow));
  return o;
}

static void framework_clear(CupPyFramework *f)
{
  g_free(f->version);
  g_free(f->file);
  g_free(f->import_error);
  g_free(f->error);
  g_free(f->cuda);
  g_free(f->cudnn);
  g_free(f->cudnn_compiled);
  g_clear_pointer(&f->devices, g_ptr_array_unref);
  g_clear_pointer(&f->arch_list, g_ptr_array_unref);
  g_free(f->lib_dir);
  g_clear_pointer(&f->cudnn_libs, g_ptr_array_unref);
  g_free(f->cudnn_wheel);
  g_free(f->cudnn_wheel_version);
}

void cup_pyprobe_free(CupPyProbe *probe)
{
  if (probe == NULL)
    return;
  g_free(probe->python);
  g_free(probe->executable);
  g_free(probe->version);
  framework_clear(&probe->torch);
  framework_clear(&probe->tensorflow);
  json_decref(probe->json);
  g_free(probe);
}
