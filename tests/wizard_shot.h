/* wizard_shot.h - screenshots of a GTK window and the two checks made on them: a page that
 * renders blank, and a label that overflows the window. Header-only (static inline), for the
 * wizard's tests (tests/test_wizard*.c), which are built only where the wizard is.
 *
 *   wz_shot_settle(win)                  wait until the window is laid out and drawn
 *   wz_shot_render(widget)               a window, or a page alone, as a texture (the
 *                                        window's own GskRenderer)
 *   wz_shot_is_blank(tex, &why)          fewer than WZ_SHOT_MIN_INK pixels differ from the
 *                                        most common colour
 *   wz_shot_overflow(win, w, h, report)  labels outside w x h, cut-off unwrapped labels, a
 *                                        window grown past w x h, and labels with characters
 *                                        no installed font draws; one line per finding
 *   wz_shot_page(win, stack, dir, base, w, h)  all of it for the page shown: the window saved
 *                                        as dir/base, the page alone checked for blank, the
 *                                        window for overflow and for its size; fails the test
 *   WZ_SHOT_INSTALL_PAGES                the stack pages reached only by installing: rendered
 *                                        and checked by test_wizard_install, the rest by
 *                                        test_wizard_screens
 *
 * GTK 4.8 API only (GDK_VERSION_MAX_ALLOWED). */
#pragma once

#include <gtk/gtk.h>

/* A page whose area has fewer pixels than this that differ from its background shows nothing:
 * one short word ("Done.") at the default font already inks several hundred. */
#define WZ_SHOT_MIN_INK 64

static inline gboolean wz_shot_count_tick(GtkWidget *w, GdkFrameClock *clock, gpointer data)
{
  (void)w, (void)clock;
  (*(int *)data)++;
  return G_SOURCE_CONTINUE;
}

static inline gboolean wz_shot_transition_running(GtkWidget *w)
{
  if (GTK_IS_STACK(w) && gtk_stack_get_transition_running(GTK_STACK(w)))
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
    if (wz_shot_transition_running(c))
      return TRUE;
  return FALSE;
}

/* Wait (at most 5 s) until no stack is sliding and two more frames were laid out, so that the
 * allocation read by the checks is the one drawn. */
static inline void wz_shot_settle(GtkWidget *win)
{
  int ticks = 0;
  guint id = gtk_widget_add_tick_callback(win, wz_shot_count_tick, &ticks, NULL);
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < deadline) {
    if (wz_shot_transition_running(win))
      ticks = 0;
    else if (ticks >= 2)
      break;
    gtk_widget_queue_draw(win);
    g_main_context_iteration(NULL, TRUE);
  }
  gtk_widget_remove_tick_callback(win, id);
}

/* @w (a window, or one widget alone: a page) drawn as it is shown, by its window's renderer.
 * Returns a new texture. */
static inline GdkTexture *wz_shot_render(GtkWidget *w)
{
  int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
  g_assert_cmpint(width, >, 0);
  g_assert_cmpint(height, >, 0);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(w);
  GtkSnapshot *snapshot = gtk_snapshot_new();
  gdk_paintable_snapshot(paintable, GDK_SNAPSHOT(snapshot), width, height);
  g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node(snapshot);
  GskRenderer *renderer = gtk_native_get_renderer(gtk_widget_get_native(w));
  g_assert_nonnull(renderer);
  graphene_rect_t viewport = GRAPHENE_RECT_INIT(0, 0, (float)width, (float)height);
  if (node == NULL) { /* nothing drawn at all: transparent */
    GdkRGBA none = {0, 0, 0, 0};
    node = gsk_color_node_new(&none, &viewport);
  }
  return gsk_renderer_render_texture(renderer, node, &viewport);
}

/* TRUE when @tex is blank: fewer than WZ_SHOT_MIN_INK pixels differ from its most common colour
 * (a page rendered alone draws no background of its own: only its content inks). @why (may be
 * NULL) gets one line of counts. */
static inline gboolean wz_shot_is_blank(GdkTexture *tex, char **why)
{
  gsize w = (gsize)gdk_texture_get_width(tex), h = (gsize)gdk_texture_get_height(tex);
  g_autofree guint32 *px = g_new(guint32, w * h); /* ARGB32, native endian */
  gdk_texture_download(tex, (guchar *)px, w * 4);
  g_autoptr(GHashTable) counts = g_hash_table_new(NULL, NULL);
  guint best = 0;
  for (gsize i = 0; i < w * h; i++) {
    gpointer key = GUINT_TO_POINTER(px[i]);
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, key)) + 1;
    g_hash_table_insert(counts, key, GUINT_TO_POINTER(n));
    best = MAX(best, n);
  }
  guint ink = (guint)(w * h) - best;
  if (why)
    *why = g_strdup_printf("%u of %u pixels differ from the background, %u colours", ink,
                           (guint)(w * h), g_hash_table_size(counts));
  return ink < WZ_SHOT_MIN_INK;
}

static inline char *wz_shot_label_name(GtkLabel *label)
{
  g_autofree char *text = g_strdup(gtk_label_get_text(label));
  if (g_utf8_strlen(text, -1) > 60)
    *g_utf8_offset_to_pointer(text, 60) = '\0';
  return g_strdup_printf("label \"%s\"", text);
}

/* One visible label: inside @win_w x @win_h (and horizontally inside its scrolled window, where
 * content below the fold is fine), and not cut off when it neither wraps nor ellipsizes. */
static inline void wz_shot_check_label(GtkWidget *win, GtkLabel *label, int win_w, int win_h,
                                       GString *report)
{
  GtkWidget *w = GTK_WIDGET(label);
  graphene_rect_t b;
  if (!gtk_widget_compute_bounds(w, win, &b))
    return;
  g_autofree char *name = wz_shot_label_name(label);
  const float slack = 0.5f;
  float left = b.origin.x, right = b.origin.x + b.size.width;
  float top = b.origin.y, bottom = b.origin.y + b.size.height;
  GtkWidget *scroller = gtk_widget_get_ancestor(w, GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t s;
  if (scroller && gtk_widget_compute_bounds(scroller, win, &s)) {
    if (left < s.origin.x - slack || right > s.origin.x + s.size.width + slack)
      g_string_append_printf(report,
                             "%s spans x %.0f..%.0f, outside its scrolled area %.0f..%.0f\n", name,
                             left, right, s.origin.x, s.origin.x + s.size.width);
  } else if (top < -slack || bottom > (float)win_h + slack) {
    g_string_append_printf(report, "%s spans y %.0f..%.0f, outside the %d px high window\n", name,
                           top, bottom, win_h);
  }
  if (left < -slack || right > (float)win_w + slack)
    g_string_append_printf(report, "%s spans x %.0f..%.0f, outside the %d px wide window\n", name,
                           left, right, win_w);
  /* Text no installed font can draw (Korean without fonts-noto-cjk) shows as boxes. */
  int unknown = pango_layout_get_unknown_glyphs_count(gtk_label_get_layout(label));
  if (unknown > 0)
    g_string_append_printf(report, "%s has %d characters no installed font can draw\n", name,
                           unknown);
  if (gtk_label_get_wrap(label) || gtk_label_get_ellipsize(label) != PANGO_ELLIPSIZE_NONE)
    return;
  int natural = 0;
  gtk_widget_measure(w, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural, NULL, NULL);
  if (natural > gtk_widget_get_width(w))
    g_string_append_printf(report, "%s needs %d px but has %d and neither wraps nor ellipsizes\n",
                           name, natural, gtk_widget_get_width(w));
}

static inline void wz_shot_walk_labels(GtkWidget *win, GtkWidget *w, int win_w, int win_h,
                                       GString *report)
{
  if (!gtk_widget_get_mapped(w))
    return; /* hidden, another stack page, a closed expander or popover */
  if (GTK_IS_LABEL(w))
    wz_shot_check_label(win, GTK_LABEL(w), win_w, win_h, report);
  for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
    wz_shot_walk_labels(win, c, win_w, win_h, report);
}

/* Every overflow in @win as it is shown, one line each, appended to @report; the window itself
 * grown past @win_w x @win_h (its allocation or its surface) counts too. Returns TRUE when
 * nothing overflows. */
static inline gboolean wz_shot_overflow(GtkWidget *win, int win_w, int win_h, GString *report)
{
  gsize before = report->len;
  int w = gtk_widget_get_width(win), h = gtk_widget_get_height(win);
  if (w > win_w || h > win_h)
    g_string_append_printf(report, "the window grew to %dx%d, past %dx%d\n", w, h, win_w, win_h);
  GdkSurface *surface = gtk_native_get_surface(GTK_NATIVE(win));
  if (surface &&
      (gdk_surface_get_width(surface) > win_w || gdk_surface_get_height(surface) > win_h))
    g_string_append_printf(report, "the window's surface grew to %dx%d, past %dx%d\n",
                           gdk_surface_get_width(surface), gdk_surface_get_height(surface), win_w,
                           win_h);
  wz_shot_walk_labels(win, win, win_w, win_h, report);
  return report->len == before;
}

/* The GtkStack pages (by stack name) that only an install reaches: "install" while it runs and
 * "done", which shows the results or, after a failure, the error. test_wizard_install renders
 * and checks them (a successful install, a cancelled download, a failed one); test_wizard_screens
 * every other page, and it asserts that the two lists together are the whole stack. */
static const char *const WZ_SHOT_INSTALL_PAGES[] = {"install", "done", NULL};

/* The page @stack shows in @win: the window written to @dir/@base (a PNG), the page rendered
 * alone must not be blank, and no label may overflow a @win_w x @win_h window (nor the window
 * grow past it). Fails the test with the file's path and the findings. Returns the blank
 * check's counts (newly allocated), for a g_test_message. */
static inline char *wz_shot_page(GtkWidget *win, GtkStack *stack, const char *dir, const char *base,
                                 int win_w, int win_h)
{
  const char *page = gtk_stack_get_visible_child_name(stack);
  wz_shot_settle(win);
  g_autoptr(GdkTexture) tex = wz_shot_render(win);
  g_autofree char *path = g_build_filename(dir, base, NULL);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_assert_true(gdk_texture_save_to_png(tex, path));

  g_autoptr(GdkTexture) alone = wz_shot_render(gtk_stack_get_visible_child(stack));
  char *why = NULL;
  if (wz_shot_is_blank(alone, &why))
    g_error("%s: page %s renders blank (%s)", path, page, why);
  g_autoptr(GString) report = g_string_new(NULL);
  if (!wz_shot_overflow(win, win_w, win_h, report))
    g_error("%s: page %s does not fit or draw in the %dx%d window:\n%s", path, page, win_w, win_h,
            report->str);
  return why;
}
