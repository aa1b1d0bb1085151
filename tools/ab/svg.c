/* report.svg: three panels, native and mnrt in each. 1: the latency
 * distribution of the largest step, all rounds merged (latency against
 * percentile, on a "nines" scale: 90%, 99%, 99.9% ...). 2: kernel
 * threads of the server's process tree over the first round (log scale).
 * 3: its resident memory over the first round. Every series is a
 * <polyline> with an id (native-latency, mnrt-threads, ...). */
#include "ab.h"

#include <math.h>
#include <stdio.h>

#define W 960
#define PANEL_H 230
#define LEFT 80
#define RIGHT 30
#define TOP 60

static const char *const color[AB_SIDES] = {"#1f77b4", "#e8710a"};

struct frame {
    double x0, x1, y0, y1;  /* data range */
    int top;                /* pixel top of the plot area */
};

static double px(const struct frame *f, double x)
{
    return LEFT + (x - f->x0) / (f->x1 - f->x0) * (W - LEFT - RIGHT);
}

static double py(const struct frame *f, double y)
{
    return f->top + PANEL_H - (y - f->y0) / (f->y1 - f->y0) * PANEL_H;
}

static void axes(FILE *o, const struct frame *f, const char *title, const char *xlabel)
{
    fprintf(o, "<text x=\"%d\" y=\"%d\" class=\"title\">%s</text>\n", LEFT, f->top - 12, title);
    fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n", LEFT,
            f->top, W - LEFT - RIGHT, PANEL_H);
    fprintf(o, "<text x=\"%d\" y=\"%d\" class=\"label\" text-anchor=\"middle\">%s</text>\n",
            (W + LEFT - RIGHT) / 2, f->top + PANEL_H + 34, xlabel);
}

static void ytick(FILE *o, const struct frame *f, double y, const char *text)
{
    double yy = py(f, y);
    fprintf(o, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>\n", LEFT, yy,
            W - RIGHT, yy);
    fprintf(o, "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>\n",
            LEFT - 6, yy + 4, text);
}

static void xtick(FILE *o, const struct frame *f, double x, const char *text)
{
    double xx = px(f, x);
    fprintf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>\n", xx, f->top,
            xx, f->top + PANEL_H);
    fprintf(o, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>\n", xx,
            f->top + PANEL_H + 16, text);
}

static void log_yticks(FILE *o, const struct frame *f, const char *unit, double scale)
{
    for (int e = (int)floor(f->y0); e <= (int)ceil(f->y1); e++) {
        if (e < f->y0 || e > f->y1)
            continue;
        char t[32];
        double v = pow(10, e) * scale;
        if (v >= 1)
            snprintf(t, sizeof t, "%g%s", v, unit);
        else
            snprintf(t, sizeof t, "%g%s", v, unit);
        ytick(o, f, e, t);
    }
}

static void latency_panel(FILE *o, const struct ab_result *r, int step, int top)
{
    struct frame f = {0, 1, 1e300, -1e300, top};
    for (enum ab_side s = 0; s < AB_SIDES; s++) {
        const struct ab_hist *h = &r->hist[s][step];
        if (!h->count)
            continue;
        f.x1 = fmax(f.x1, fmin(5, log10((double)h->count)));
        f.y0 = fmin(f.y0, log10(fmax(1, (double)h->min / 1e3)));
        f.y1 = fmax(f.y1, log10(fmax(1, (double)h->max / 1e3)));
    }
    if (f.y0 > f.y1)
        f.y0 = 0, f.y1 = 1;
    f.y0 = floor(f.y0);
    f.y1 = fmax(ceil(f.y1), f.y0 + 1);
    f.x1 = ceil(f.x1);
    char title[128];
    snprintf(title, sizeof title, "Latency at %d connections (all rounds)", r->cfg.conns[step]);
    axes(o, &f, title, "percentile");
    static const char *const pct[] = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
    for (int k = 0; k <= (int)f.x1 && k < 6; k++)
        xtick(o, &f, k, pct[k]);
    log_yticks(o, &f, " ms", 1e-3);
    for (enum ab_side s = 0; s < AB_SIDES; s++) {
        const struct ab_hist *h = &r->hist[s][step];
        fprintf(o, "<polyline id=\"%s-latency\" class=\"line\" stroke=\"%s\" points=\"",
                ab_side_name(s), color[s]);
        uint64_t cum = 0;
        for (int i = 0; h->count && i < AB_HIST_BUCKETS; i++) {
            if (!h->b[i])
                continue;
            cum += h->b[i];
            double p = cum < h->count ? (double)cum / (double)h->count
                                      : 1 - 0.5 / (double)h->count;
            double x = fmin(f.x1, -log10(1 - p));
            double us = (double)(ab_hist_upper(i) < h->max ? ab_hist_upper(i) : h->max) / 1e3;
            fprintf(o, "%.1f,%.1f ", px(&f, x), py(&f, log10(fmax(1, us))));
        }
        fprintf(o, "\"/>\n");
    }
}

static void series_panel(FILE *o, const struct ab_result *r, int top, bool threads)
{
    struct frame f = {0, 1, 0, 1, top};
    for (enum ab_side s = 0; s < AB_SIDES; s++)
        for (int i = 0; i < r->nseries[s]; i++) {
            const struct ab_point *p = &r->series[s][i];
            f.x1 = fmax(f.x1, p->t);
            double v = threads ? log10(fmax(1, p->threads)) : (double)p->rss_kb / 1024;
            f.y1 = fmax(f.y1, v);
        }
    if (threads)
        f.y1 = ceil(f.y1);
    else
        f.y1 *= 1.1;
    axes(o, &f, threads ? "Kernel threads of the server (first round)"
                        : "Resident memory of the server, MB (first round)",
         "seconds since the server started");
    for (int k = 0; k <= 10; k++) {
        char t[32];
        snprintf(t, sizeof t, "%.0f", f.x1 * k / 10);
        xtick(o, &f, f.x1 * k / 10, t);
    }
    if (threads) {
        log_yticks(o, &f, "", 1);
    } else {
        for (int k = 0; k <= 4; k++) {
            char t[32];
            snprintf(t, sizeof t, "%.0f", f.y1 * k / 4);
            ytick(o, &f, f.y1 * k / 4, t);
        }
    }
    for (enum ab_side s = 0; s < AB_SIDES; s++) {
        fprintf(o, "<polyline id=\"%s-%s\" class=\"line\" stroke=\"%s\" points=\"",
                ab_side_name(s), threads ? "threads" : "rss", color[s]);
        for (int i = 0; i < r->nseries[s]; i++) {
            const struct ab_point *p = &r->series[s][i];
            double v = threads ? log10(fmax(1, p->threads)) : (double)p->rss_kb / 1024;
            fprintf(o, "%.1f,%.1f ", px(&f, p->t), py(&f, v));
        }
        fprintf(o, "\"/>\n");
    }
}

int ab_report_svg(const struct ab_result *r, const char *path)
{
    FILE *o = fopen(path, "w");
    if (!o)
        return -1;
    int h = TOP + 3 * (PANEL_H + 80);
    fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n", W, h, W, h);
    fprintf(o, "<style>.title{font-size:15px;font-weight:bold}.label{font-size:12px}"
               ".tick{font-size:11px;fill:#444}.frame{fill:none;stroke:#888}"
               ".grid{stroke:#e4e4e4}.line{fill:none;stroke-width:2}</style>\n");
    fprintf(o, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(o, "<text x=\"%d\" y=\"24\" class=\"title\">mnrt ab: %s natively and under mnrt</text>\n",
            LEFT, r->cfg.server[0]);
    for (enum ab_side s = 0; s < AB_SIDES; s++)
        fprintf(o, "<rect x=\"%d\" y=\"34\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                   "<text x=\"%d\" y=\"40\" class=\"label\">%s</text>\n",
                LEFT + 160 * (int)s, color[s], LEFT + 160 * (int)s + 20, ab_side_name(s));
    int largest = 0;
    for (int s = 1; s < r->cfg.nsteps; s++)
        if (r->cfg.conns[s] > r->cfg.conns[largest])
            largest = s;
    latency_panel(o, r, largest, TOP + 30);
    series_panel(o, r, TOP + 30 + PANEL_H + 80, true);
    series_panel(o, r, TOP + 30 + 2 * (PANEL_H + 80), false);
    fprintf(o, "</svg>\n");
    return fclose(o) == 0 ? 0 : -1;
}
