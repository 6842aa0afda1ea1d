/* progress_view.c - download progress on stderr: a redrawn line on a terminal, plain lines in
 * logs. */
#include "core/i18n.h"
#include "cli/progress_view.h"

#include <string.h>
#ifdef G_OS_UNIX
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#define BAR_CELLS 24
#define MIN_BAR_CELLS 8
#define GREEN "\033[32m"
#define RESET "\033[0m"
#define CLEAR_LINE "\r\033[K"

/* What was last shown of one item, to print a line only when something changes. */
typedef struct {
  CupProgressState state;
  guint attempt;
  gboolean started;
  char *source;
} Seen;

struct CliProgressView {
  FILE *out;
  gboolean tty, color;
  Seen *seen;
  guint n_seen;
  gint64 last_overall_us; /* 0: no event yet */
  gboolean bar_shown;     /* a terminal line is on screen, to clear before other output */
};

static void seen_reset(CliProgressView *v, guint n)
{
  for (guint i = 0; i < v->n_seen; i++)
    g_free(v->seen[i].source);
  g_free(v->seen);
  v->seen = g_new0(Seen, n);
  v->n_seen = n;
  for (guint i = 0; i < n; i++)
    v->seen[i].state = CUP_PROGRESS_QUEUED;
}

char *cli_format_size(guint64 bytes)
{
  char *text = g_format_size(bytes);
  /* GLib puts a no-break space (U+00A0) before the unit; logs and terminals in the C locale
   * show it as garbage, and it would make column counting byte-unsafe. */
  char *nbsp;
  while ((nbsp = strstr(text, "\302\240")) != NULL)
    memmove(nbsp, nbsp + 1, strlen(nbsp + 1) + 1), *nbsp = ' ';
  return text;
}

CliProgressView *cli_progress_view_new(FILE *out, gboolean tty, gboolean color)
{
  CliProgressView *v = g_new0(CliProgressView, 1);
  v->out = out;
  v->tty = tty;
  v->color = tty && color;
  return v;
}

void cli_progress_view_free(CliProgressView *view)
{
  if (view == NULL)
    return;
  seen_reset(view, 0);
  g_free(view);
}

char *cli_progress_bar(guint64 done, guint64 total, guint width)
{
  guint filled = 0;
  if (total > 0)
    filled = (guint)((double)MIN(done, total) / (double)total * width);
  GString *s = g_string_sized_new(width + 2);
  g_string_append_c(s, '[');
  for (guint i = 0; i < width; i++)
    g_string_append_c(s, i < filled ? '#' : '-');
  g_string_append_c(s, ']');
  return g_string_free(s, FALSE);
}

char *cli_progress_eta_text(gint64 eta_ms)
{
  if (eta_ms < 0)
    return g_strdup("-:--");
  gint64 s = (eta_ms + 999) / 1000; /* round up: "0:00" only when nothing is left */
  if (s >= 3600)
    return g_strdup_printf("%" G_GINT64_FORMAT ":%02d:%02d", s / 3600, (int)(s / 60 % 60),
                           (int)(s % 60));
  return g_strdup_printf("%d:%02d", (int)(s / 60), (int)(s % 60));
}

static guint active_items(const CupProgress *p)
{
  guint n = 0;
  for (guint i = 0; i < p->n_items; i++)
    n += p->items[i].state == CUP_PROGRESS_CONNECTING || p->items[i].state == CUP_PROGRESS_RUNNING;
  return n;
}

static int percent(const CupProgress *p)
{
  return p->total ? (int)((double)MIN(p->done, p->total) * 100.0 / (double)p->total) : 0;
}

char *cli_progress_overall_text(const CupProgress *p)
{
  g_autofree char *done = cli_format_size(p->done);
  g_autofree char *total = cli_format_size(p->total);
  g_autofree char *speed = cli_format_size((guint64)MAX(p->speed, 0.0));
  g_autofree char *eta = cli_progress_eta_text(p->eta_ms);
  return g_strdup_printf(_("%s of %s (%d%%), %s/s, ETA %s, %u active"), done, total, percent(p),
                         speed, eta, active_items(p));
}

static const char *stage(const CupProgress *p)
{
  return p->stage ? p->stage : "download";
}

/* ", 1.5 MB" for an item of known size, "" otherwise (a redistrib manifest). */
static char *size_text(guint64 size)
{
  g_autofree char *text = size ? cli_format_size(size) : NULL;
  return text ? g_strconcat(", ", text, NULL) : g_strdup("");
}

/* The line an item's change of state deserves, or NULL. */
static char *item_event(const CupProgress *p, const CupProgressItem *it, Seen *seen)
{
  g_autofree char *size = size_text(it->total);
  CupProgressState was = seen->state;
  gboolean moving = it->state == CUP_PROGRESS_CONNECTING || it->state == CUP_PROGRESS_RUNNING;
  gboolean new_source = it->source && g_strcmp0(it->source, seen->source) != 0;
  char *line = NULL;
  if (it->state == CUP_PROGRESS_CACHED && was != CUP_PROGRESS_CACHED)
    line = g_strdup_printf(_("%s: %s: in the cache%s"), stage(p), it->name, size);
  else if (it->state == CUP_PROGRESS_DONE && was != CUP_PROGRESS_DONE)
    line = g_strdup_printf(_("%s: %s: done%s%s"), stage(p), it->name, size,
                           it->total && strcmp(stage(p), "download") == 0 ? _(" verified") : "");
  else if (it->state == CUP_PROGRESS_FAILED && was != CUP_PROGRESS_FAILED)
    line = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%s: %s: failed after %u attempt",
                                       "%s: %s: failed after %u attempts", it->attempt),
                           stage(p), it->name, it->attempt);
  else if (it->state == CUP_PROGRESS_RETRYING &&
           (was != CUP_PROGRESS_RETRYING || it->attempt != seen->attempt))
    line =
        g_strdup_printf(_("%s: %s: retrying (attempt %u failed)"), stage(p), it->name, it->attempt);
  else if (moving && (!seen->started || new_source))
    line = g_strdup_printf("%s: %s: %s%s%s%s", stage(p), it->name,
                           seen->started ? _("trying") : _("starting"), size,
                           it->source ? _(" from ") : "", it->source ? it->source : "");
  seen->started = seen->started || moving;
  seen->state = it->state;
  seen->attempt = it->attempt;
  if (it->source && new_source) {
    g_free(seen->source);
    seen->source = g_strdup(it->source);
  }
  return line;
}

/* Every item is done or was in the cache. */
static gboolean all_settled(const CupProgress *p)
{
  for (guint i = 0; i < p->n_items; i++)
    if (p->items[i].state != CUP_PROGRESS_DONE && p->items[i].state != CUP_PROGRESS_CACHED)
      return FALSE;
  return TRUE;
}

/* The terminal line: bar and figures, cut to @width - 1 columns so it never wraps; the bar
 * shrinks first, down to MIN_BAR_CELLS, then goes. */
static void append_bar_line(const CliProgressView *v, const CupProgress *p, guint width,
                            GString *out)
{
  g_autofree char *text = cli_progress_overall_text(p);
  gsize room = width > 1 ? width - 1 : 0;
  gsize spare = room > strlen(text) + 4 ? room - strlen(text) - 4 : 0; /* "[]  " */
  guint cells = (guint)MIN(spare, BAR_CELLS);
  g_string_append(out, "\r");
  if (cells >= MIN_BAR_CELLS) {
    g_autofree char *bar = cli_progress_bar(p->done, p->total, cells);
    g_string_append_printf(out, "%s%s%s  %s", v->color ? GREEN : "", bar, v->color ? RESET : "",
                           text);
  } else {
    g_string_append_len(out, text, (gssize)MIN(strlen(text), room));
  }
  g_string_append(out, "\033[K");
}

/* Plain lines: the items' events, then the overall line every few seconds and at the end
 * (left out where one item's own line already says everything, or there was nothing). */
static void render_plain(CliProgressView *v, const CupProgress *p, gint64 now_us,
                         const GString *events, GString *out)
{
  g_string_append(out, events->str);
  if (p->final && p->n_items <= 1)
    return;
  if (p->final && p->total == 0) {
    g_string_append_printf(out, "%s: %s\n", stage(p),
                           all_settled(p) ? _("finished") : _("stopped"));
  } else if (p->final) {
    g_autofree char *done = cli_format_size(p->done);
    g_autofree char *total = cli_format_size(p->total);
    g_string_append_printf(out, _("%s: %s, %s of %s (%d%%)\n"), stage(p),
                           all_settled(p) ? _("finished") : _("stopped"), done, total, percent(p));
  } else if (now_us - v->last_overall_us >= CLI_PROGRESS_PLAIN_INTERVAL_US) {
    g_autofree char *text = cli_progress_overall_text(p);
    g_string_append_printf(out, "%s: %s\n", stage(p), text);
    v->last_overall_us = now_us;
  }
}

void cli_progress_view_render(CliProgressView *v, const CupProgress *p, gint64 now_us, guint width,
                              GString *out)
{
  /* A stage without items (commit, check) has one line when it starts. */
  if (p->n_items == 0) {
    if (v->bar_shown)
      g_string_append(out, CLEAR_LINE);
    v->bar_shown = FALSE;
    if (!p->final)
      g_string_append_printf(out, _("%s: running\n"), stage(p));
    return;
  }
  if (v->n_seen != p->n_items)
    seen_reset(v, p->n_items);
  g_autoptr(GString) events = g_string_new(NULL);
  for (guint i = 0; i < p->n_items; i++) {
    g_autofree char *line = item_event(p, &p->items[i], &v->seen[i]);
    if (line)
      g_string_append_printf(events, "%s\n", line);
  }
  if (v->last_overall_us == 0)
    v->last_overall_us = now_us;
  if (!v->tty) {
    render_plain(v, p, now_us, events, out);
  } else {
    if (v->bar_shown && (events->len || p->final))
      g_string_append(out, CLEAR_LINE);
    g_string_append(out, events->str);
    v->bar_shown = !p->final;
    if (!p->final)
      append_bar_line(v, p, width, out);
  }
  /* The next event starts a new run (the next redistrib manifest, then the archives). */
  if (p->final) {
    seen_reset(v, 0);
    v->last_overall_us = 0;
  }
}

static guint terminal_width(FILE *out)
{
#if defined(G_OS_UNIX) && defined(TIOCGWINSZ)
  struct winsize ws;
  if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
#else
  (void)out;
#endif
  return 80;
}

void cli_progress_view_func(const CupProgress *progress, gpointer view)
{
  CliProgressView *v = view;
  g_autoptr(GString) out = g_string_new(NULL);
  cli_progress_view_render(v, progress, g_get_monotonic_time(), v->tty ? terminal_width(v->out) : 0,
                           out);
  if (out->len) {
    fputs(out->str, v->out);
    fflush(v->out);
  }
}
