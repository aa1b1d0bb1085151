/* report.svg: what the table says, drawn. A header with the full server
 * command, the load, placement and machine lines, and three panels, native in
 * blue and mnrt in orange:
 *
 *   latency   the distribution of the largest step, all rounds merged
 *             (latency against percentile on a "nines" axis: 90%, 99%,
 *             99.9% ...); with --load the percentiles the command printed
 *             (median over rounds), as points joined by lines;
 *   threads   kernel threads of the server's process tree over the first
 *             round (log scale), beside
 *   memory    RSS + kernel stacks (the table's headline figure) as a solid
 *             line, RSS alone dashed, over the first round.
 *
 * In the two time panels a dotted vertical line marks where each step
 * (and the idle connections, or the load command) began, labelled; where
 * sampling paused (ab opening thousands of connections) the line is
 * broken, not drawn straight across. A panel without data says why.
 * Series are <path>s with ids: native-latency, mnrt-threads, native-mem,
 * mnrt-rss ...; mark labels have class "mark", notes class "note". */
#include "ab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 1000
#define PANEL_H 220
#define ROW_GAP 96        /* from a panel's bottom to the next one's top */
#define LEFT 80
#define RIGHT 24
#define MID 84            /* between the threads and memory panels */
#define KSTACK_KB 16      /* a kernel thread's stack (x86-64), as in the table */
#define CMD_LINE 90       /* characters of the command a header line holds (15 px bold) */
#define LABEL_LINE 125    /* characters of a 12 px line across the picture */

static const char *const color[AB_SIDES] = {"#1f77b4", "#e8710a"};

struct frame {
    double x0, x1, y0, y1;  /* data range; y of a log axis in log10 */
    int left, width, top, height;
};

static double px(const struct frame *f, double x)
{
    return f->left + (x - f->x0) / (f->x1 - f->x0) * f->width;
}

static double py(const struct frame *f, double y)
{
    return f->top + f->height - (y - f->y0) / (f->y1 - f->y0) * f->height;
}

/* text with XML's five characters escaped */
static void esc(FILE *o, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '&': fputs("&amp;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&apos;", o); break;
        default:
            if ((unsigned char)*s >= 0x20)
                fputc(*s, o);
        }
}

static void text(FILE *o, double x, double y, const char *cls, const char *anchor, const char *s)
{
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\" text-anchor=\"%s\">", x, y, cls, anchor);
    esc(o, s);
    fputs("</text>\n", o);
}

/* 1, 2 or 5 times a power of ten, near range / n */
static double nice_step(double range, int n)
{
    double raw = range / n, mag = pow(10, floor(log10(raw))), r = raw / mag;
    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

/* v with as many decimals as step needs */
static void num(char *buf, size_t len, double v, double step)
{
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, len, "%.*f", dec, v);
}

static void panel(FILE *o, const struct frame *f, const char *title, const char *xlabel)
{
    text(o, f->left, f->top - 18, "title", "start", title);
    fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n", f->left,
            f->top, f->width, f->height);
    text(o, f->left + f->width / 2.0, f->top + f->height + 34, "label", "middle", xlabel);
}

static void note(FILE *o, const struct frame *f, int line, const char *s)
{
    text(o, f->left + f->width / 2.0, f->top + f->height / 2.0 - 8 + 16 * line, "note", "middle", s);
}

static void ytick(FILE *o, const struct frame *f, double y, const char *label)
{
    double yy = py(f, y);
    fprintf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>\n", f->left, yy,
            f->left + f->width, yy);
    text(o, f->left - 6, yy + 4, "tick", "end", label);
}

static void xtick(FILE *o, const struct frame *f, double x, const char *label)
{
    double xx = px(f, x);
    fprintf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>\n", xx, f->top,
            xx, f->top + f->height);
    text(o, xx, f->top + f->height + 16, "tick", "middle", label);
}

/* linear ticks of nice steps over [lo, hi] */
static void linear_ticks(FILE *o, const struct frame *f, bool x_axis, double lo, double hi, int n)
{
    double step = nice_step(hi - lo, n);
    for (double v = ceil(lo / step) * step; v <= hi + step * 1e-6; v += step) {
        char t[32];
        num(t, sizeof t, fabs(v) < step * 1e-6 ? 0 : v, step);
        if (x_axis)
            xtick(o, f, v, t);
        else
            ytick(o, f, v, t);
    }
}

/* ticks of a log10 axis: each decade, and 2 and 5 in between when the
 * range is short; labels by fmt_value */
static void log_ticks(FILE *o, const struct frame *f, void (*fmt_value)(char *, size_t, double))
{
    bool fine = f->y1 - f->y0 <= 2.01;
    for (int e = (int)floor(f->y0); e <= (int)ceil(f->y1); e++)
        for (int m = 1; m <= 5; m++) {
            if (m != 1 && !(fine && (m == 2 || m == 5)))
                continue;
            double y = e + log10(m);
            if (y < f->y0 - 1e-9 || y > f->y1 + 1e-9)
                continue;
            char t[32];
            fmt_value(t, sizeof t, pow(10, y));
            ytick(o, f, y, t);
        }
}

static void fmt_count(char *buf, size_t len, double v)
{
    snprintf(buf, len, "%.0f", v);
}

/* us on the axis, shown in us, ms or s */
static void fmt_us(char *buf, size_t len, double us)
{
    if (us >= 1e6)
        snprintf(buf, len, "%g s", us / 1e6);
    else if (us >= 1e3)
        snprintf(buf, len, "%g ms", us / 1e3);
    else
        snprintf(buf, len, "%g us", us);
}

/* ---- latency ---- */

/* The percentiles a --load command printed, median over its rounds. */
struct pctpoint {
    double nines;  /* -log10(1 - p) */
    double us;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int load_points(const struct ab_result *r, enum ab_side s, struct pctpoint *out)
{
    static const struct { double p; size_t off; } pcts[] = {
        {0.50, offsetof(struct ab_run, p50)}, {0.75, offsetof(struct ab_run, p75)},
        {0.90, offsetof(struct ab_run, p90)}, {0.95, offsetof(struct ab_run, p95)},
        {0.99, offsetof(struct ab_run, p99)}, {0.999, offsetof(struct ab_run, p999)}};
    int n = 0;
    for (size_t k = 0; k < sizeof pcts / sizeof pcts[0]; k++) {
        uint64_t v[AB_MAX_ROUNDS];
        int m = 0;
        for (int i = 0; i < r->rounds_done; i++) {
            const struct ab_run *x = &r->run[s][i][0];
            uint64_t ns = *(const uint64_t *)((const char *)x + pcts[k].off);
            if (x->ok && ns)
                v[m++] = ns;
        }
        if (!m)
            continue;
        qsort(v, (size_t)m, sizeof v[0], cmp_u64);
        double med = m % 2 ? (double)v[m / 2] : ((double)v[m / 2 - 1] + (double)v[m / 2]) / 2;
        out[n++] = (struct pctpoint){-log10(1 - pcts[k].p), med / 1e3};
    }
    return n;
}

static void latency_panel(FILE *o, const struct ab_result *r, int top)
{
    const struct ab_config *c = &r->cfg;
    struct frame f = {0, 1, 1e300, -1e300, LEFT, W - LEFT - RIGHT, top, PANEL_H};
    int step = 0;
    for (int s = 1; s < c->nsteps; s++)
        if (c->conns[s] > c->conns[step])
            step = s;
    struct pctpoint pts[AB_SIDES][8];
    int npts[AB_SIDES] = {0};
    bool any = false, has[AB_SIDES] = {false};
    for (enum ab_side s = 0; s < AB_SIDES; s++) {
        if (c->load) {
            npts[s] = load_points(r, s, pts[s]);
            for (int i = 0; i < npts[s]; i++) {
                f.x1 = fmax(f.x1, pts[s][i].nines);
                f.y0 = fmin(f.y0, log10(fmax(1, pts[s][i].us)));
                f.y1 = fmax(f.y1, log10(fmax(1, pts[s][i].us)));
            }
            has[s] = npts[s] > 0;
        } else {
            const struct ab_hist *h = &r->hist[s][step];
            has[s] = h->count > 0;
            if (has[s]) {
                f.x1 = fmax(f.x1, fmin(5, log10((double)h->count)));
                f.y0 = fmin(f.y0, log10(fmax(1, (double)h->min / 1e3)));
                f.y1 = fmax(f.y1, log10(fmax(1, (double)h->max / 1e3)));
            }
        }
        any |= has[s];
    }
    if (!any)
        f.y0 = 2, f.y1 = 4; /* 100 us - 10 ms: an empty frame of the usual size */
    f.y0 = floor(f.y0);
    f.y1 = fmax(ceil(f.y1), f.y0 + 1);
    f.x1 = ceil(f.x1);
    char title[160];
    if (c->load)
        snprintf(title, sizeof title, "Latency percentiles the load command printed (median "
                                      "over rounds)");
    else
        snprintf(title, sizeof title, "Latency at %d connections (all rounds)", c->conns[step]);
    panel(o, &f, title, "percentile");
    static const char *const pct[] = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
    for (int k = 0; k <= (int)f.x1 && k < 6; k++)
        xtick(o, &f, k, pct[k]);
    if (c->load) /* the load's own percentiles sit between the nines */
        for (double p = 0.5; p < 0.8; p += 0.25)
            xtick(o, &f, -log10(1 - p), p < 0.6 ? "50%" : "75%");
    log_ticks(o, &f, fmt_us);
    if (!any) {
        note(o, &f, 0, c->load ? "No latency percentiles: the load command printed none"
                               : "No latency data: no request was answered");
        note(o, &f, 1, c->load ? "(what it printed is in the table and in report.json)"
                               : "(the table and the FAILED lines say why)");
    }
    int noted = 0;
    for (enum ab_side s = 0; s < AB_SIDES; s++) {
        if (!c->sides[s])
            continue;
        if (any && !has[s]) {
            char t[128];
            snprintf(t, sizeof t, "%s: %s", ab_side_name(s),
                     c->load ? "no percentiles printed" : "no replies");
            text(o, f.left + 8, f.top + 16 + 14 * noted++, "note", "start", t);
        }
        fprintf(o, "<path id=\"%s-latency\" class=\"line\" stroke=\"%s\" d=\"", ab_side_name(s),
                color[s]);
        if (c->load) {
            for (int i = 0; i < npts[s]; i++)
                fprintf(o, "%s%.1f,%.1f ", i ? "L" : "M", px(&f, pts[s][i].nines),
                        py(&f, log10(fmax(1, pts[s][i].us))));
            fprintf(o, "\"/>\n");
            for (int i = 0; i < npts[s]; i++)
                fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n",
                        px(&f, pts[s][i].nines), py(&f, log10(fmax(1, pts[s][i].us))), color[s]);
            continue;
        }
        const struct ab_hist *h = &r->hist[s][step];
        uint64_t cum = 0;
        bool first = true;
        for (int i = 0; h->count && i < AB_HIST_BUCKETS; i++) {
            if (!h->b[i])
                continue;
            cum += h->b[i];
            double p = cum < h->count ? (double)cum / (double)h->count
                                      : 1 - 0.5 / (double)h->count;
            double x = fmin(f.x1, -log10(1 - p));
            double us = (double)(ab_hist_upper(i) < h->max ? ab_hist_upper(i) : h->max) / 1e3;
            fprintf(o, "%s%.1f,%.1f ", first ? "M" : "L", px(&f, x), py(&f, log10(fmax(1, us))));
            first = false;
        }
        fprintf(o, "\"/>\n");
    }
}

/* ---- threads and memory over the first round ---- */

static double point_value(const struct ab_point *p, int what)
{
    switch (what) {
    case 0:
        return log10(fmax(1, p->threads));
    case 1: /* RSS + kernel stacks */
        return ((double)p->rss_kb + (double)KSTACK_KB * p->threads) / 1024;
    default:
        return (double)p->rss_kb / 1024;
    }
}

/* One series as a path broken where sampling paused. */
static void series(FILE *o, const struct frame *f, const struct ab_result *r, enum ab_side s,
                   int what, const char *name, const char *extra)
{
    fprintf(o, "<path id=\"%s-%s\" class=\"line\" stroke=\"%s\"%s d=\"", ab_side_name(s), name,
            color[s], extra);
    for (int i = 0; i < r->nseries[s]; i++) {
        const struct ab_point *p = &r->series[s][i];
        fprintf(o, "%s%.1f,%.1f ", i == 0 || p->gap ? "M" : "L", px(f, p->t),
                py(f, point_value(p, what)));
    }
    fprintf(o, "\"/>\n");
}

/* The phases' starts: a dotted line per side, a label (the first side's) */
static void marks(FILE *o, const struct frame *f, const struct ab_result *r)
{
    double row_end[3] = {-1e9, -1e9, -1e9};
    bool labelled = false;
    for (enum ab_side s = 0; s < AB_SIDES; s++) {
        for (int i = 0; i < r->nmarks[s]; i++) {
            const struct ab_mark *m = &r->marks[s][i];
            double x = px(f, m->t);
            fprintf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"markline\" "
                       "stroke=\"%s\"/>\n", x, f->top, x, f->top + f->height, color[s]);
            if (labelled)
                continue;
            double wide = 6.0 * (double)strlen(m->label) + 6;
            bool right = x + wide > f->left + f->width; /* no room: left of the line */
            double from = right ? x - wide : x;
            int row = 0;
            while (row < 2 && from < row_end[row])
                row++;
            row_end[row] = from + wide;
            text(o, right ? x - 3 : x + 3, f->top + 13 + 12 * row, "mark", right ? "end" : "start",
                 m->label);
        }
        labelled |= r->nmarks[s] > 0;
    }
}

static void time_panel(FILE *o, const struct ab_result *r, int left, int top, int width, bool threads)
{
    struct frame f = {0, 1, 0, 1, left, width, top, PANEL_H};
    bool any = false;
    for (enum ab_side s = 0; s < AB_SIDES; s++)
        for (int i = 0; i < r->nseries[s]; i++) {
            const struct ab_point *p = &r->series[s][i];
            f.x1 = fmax(f.x1, p->t);
            f.y1 = fmax(f.y1, point_value(p, threads ? 0 : 1));
            any = true;
        }
    for (enum ab_side s = 0; s < AB_SIDES; s++)
        for (int i = 0; i < r->nmarks[s]; i++)
            f.x1 = fmax(f.x1, r->marks[s][i].t);
    if (threads)
        f.y1 = fmax(1, ceil(f.y1 + 1e-9));
    else
        f.y1 = ceil(f.y1 * 1.08 / nice_step(f.y1 * 1.08, 5)) * nice_step(f.y1 * 1.08, 5);
    f.x1 = ceil(f.x1 / nice_step(f.x1, 6)) * nice_step(f.x1, 6);
    panel(o, &f, threads ? "Kernel threads of the server (first round)"
                         : "Memory of the server, MB (first round)",
          "seconds since the server started");
    linear_ticks(o, &f, true, 0, f.x1, 6);
    if (threads)
        log_ticks(o, &f, fmt_count);
    else
        linear_ticks(o, &f, false, 0, f.y1, 5);
    if (!any) {
        note(o, &f, 0, "No samples: the server never ran");
        note(o, &f, 1, "(the FAILED lines say why)");
    }
    marks(o, &f, r);
    for (enum ab_side s = 0; s < AB_SIDES; s++) {
        if (!r->cfg.sides[s])
            continue;
        if (threads) {
            series(o, &f, r, s, 0, "threads", "");
        } else {
            series(o, &f, r, s, 1, "mem", "");
            series(o, &f, r, s, 2, "rss", " stroke-dasharray=\"6 4\" stroke-opacity=\"0.8\"");
        }
    }
    if (!threads) /* under the title, above the frame */
        text(o, f.left + f.width, f.top - 2 - 1, "tick", "end",
             "solid: RSS + kernel stacks (16 KiB a thread); dashed: RSS alone");
}

/* ---- the header ---- */

/* "mnrt ab: " and the server's command in one or two lines (*second
 * empty: one) of at most CMD_LINE characters, the second cut with "..." */
static void command_lines(const struct ab_result *r, char first[CMD_LINE + 1],
                          char second[CMD_LINE + 4])
{
    char cmd[2048] = "mnrt ab: ";
    for (char **a = r->cfg.server; *a; a++) {
        size_t n = strlen(cmd);
        snprintf(cmd + n, sizeof cmd - n, "%s%s", a == r->cfg.server ? "" : " ", *a);
    }
    const size_t line = CMD_LINE;
    size_t n = strlen(cmd), cut = n <= line ? n : line;
    if (n > line) /* at a space where there is one */
        for (size_t i = line; i > line / 2; i--)
            if (cmd[i] == ' ') {
                cut = i;
                break;
            }
    snprintf(first, CMD_LINE + 1, "%.*s", (int)cut, cmd);
    const char *rest = cmd + cut + (cmd[cut] == ' ');
    if (strlen(rest) > line)
        snprintf(second, CMD_LINE + 4, "%.*s...", (int)line - 3, rest);
    else
        snprintf(second, CMD_LINE + 4, "%s", rest);
}

/* The header's height. */
static int header_height(const struct ab_result *r)
{
    char first[CMD_LINE + 1], second[CMD_LINE + 4];
    command_lines(r, first, second);
    return *second ? 114 : 96;
}

/* "name: what", cut with "..." to a line across the picture */
static void label_line(FILE *o, int y, const char *name, const char *what)
{
    char l[1300];
    snprintf(l, sizeof l, "%s: %s", name, what);
    if (strlen(l) > LABEL_LINE)
        strcpy(l + LABEL_LINE - 3, "...");
    text(o, LEFT, y, "label", "start", l);
}

static void header(FILE *o, const struct ab_result *r)
{
    char first[CMD_LINE + 1], second[CMD_LINE + 4];
    command_lines(r, first, second);
    fprintf(o, "<text x=\"%d\" y=\"22\" class=\"title\" id=\"command\">", LEFT);
    esc(o, first);
    if (*second) {
        fprintf(o, "<tspan x=\"%d\" dy=\"18\">", LEFT);
        esc(o, second);
        fputs("</tspan>", o);
    }
    fputs("</text>\n", o);
    int y = header_height(r) - 54;
    char buf[1200];
    ab_describe_load(r, buf, sizeof buf);
    label_line(o, y, "load", buf); /* the whole command is in report.json */
    ab_describe_placement(r, buf, sizeof buf);
    label_line(o, y + 16, "placement", buf);
    ab_machine(buf, sizeof buf);
    label_line(o, y + 32, "machine", buf);
    int x = LEFT;
    for (enum ab_side s = 0; s < AB_SIDES; s++) {
        if (!r->cfg.sides[s])
            continue;
        fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"4\" fill=\"%s\"/>\n", x, y + 45,
                color[s]);
        text(o, x + 24, y + 51, "label", "start", ab_side_name(s));
        x += 100;
    }
    text(o, x + 20, y + 51, "tick", "start",
         "dotted verticals: where each step began (its label), one per side");
}

int ab_report_svg(const struct ab_result *r, const char *path)
{
    FILE *o = fopen(path, "w");
    if (!o)
        return -1;
    int row1 = header_height(r) + 36, row2 = row1 + PANEL_H + ROW_GAP, h = row2 + PANEL_H + 56;
    fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, sans-serif\">\n", W, h, W, h);
    fprintf(o, "<style>.title{font-size:15px;font-weight:bold}.label{font-size:12px}"
               ".tick{font-size:11px;fill:#444}.note{font-size:13px;fill:#a00}"
               ".mark{font-size:10px;fill:#333}.frame{fill:none;stroke:#888}"
               ".grid{stroke:#e4e4e4}.line{fill:none;stroke-width:2}"
               ".markline{stroke-width:1;stroke-dasharray:2 3;stroke-opacity:0.7}</style>\n");
    fprintf(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    header(o, r);
    latency_panel(o, r, row1);
    int half = (W - LEFT - RIGHT - MID) / 2;
    time_panel(o, r, LEFT, row2, half, true);
    time_panel(o, r, LEFT + half + MID, row2, half, false);
    fprintf(o, "</svg>\n");
    return fclose(o) == 0 ? 0 : -1;
}
