/* Reading a load generator's summary: see loadparse.h. */
#include "loadparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "1.23ms" and the like (wrk's units) in ns; -1 when not a time. */
static double wrk_time(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return -1;
    static const struct { const char *unit; double ns; } units[] = {
        {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0)
            return v * units[i].ns;
    return -1;
}

static void set_pct(struct ab_parsed *p, double pct, double ns)
{
    uint64_t v = (uint64_t)llround(ns);
    if (pct == 50)
        p->p50 = v;
    else if (pct == 75)
        p->p75 = v;
    else if (pct == 90)
        p->p90 = v;
    else if (pct == 99)
        p->p99 = v;
    else if (pct == 99.9)
        p->p999 = v;
    else if (pct == 100)
        p->max = v;
}

/* One line; in_ab: inside ApacheBench's percentile table. */
static void line(struct ab_parsed *p, const char *l, bool *in_ab)
{
    double pct, v;
    char a[64], b[64];
    if (sscanf(l, " Requests/sec: %lf", &v) == 1) {
        p->has_rps = true, p->rps = v, p->format = "wrk";
    } else if (sscanf(l, " Requests per second: %lf", &v) == 1) {
        p->has_rps = true, p->rps = v, p->format = "ab";
    } else if (strstr(l, "Percentage of the requests served within a certain time (ms)")) {
        *in_ab = true;
    } else if (*in_ab && sscanf(l, " %lf%% %lf", &pct, &v) == 2) {
        set_pct(p, pct, v * 1e6);
        p->format = "ab";
    } else if (sscanf(l, " %lf%% %63s %63s", &pct, a, b) == 2 && wrk_time(a) >= 0) {
        set_pct(p, pct, wrk_time(a));
        p->format = "wrk";
    } else {
        *in_ab = false;
    }
}

void ab_parse_load(const char *output, struct ab_parsed *out)
{
    *out = (struct ab_parsed){0};
    bool in_ab = false;
    for (const char *s = output; *s;) {
        size_t n = strcspn(s, "\n");
        char l[256];
        snprintf(l, sizeof l, "%.*s", (int)(n < sizeof l ? n : sizeof l - 1), s);
        line(out, l, &in_ab);
        s += n + (s[n] == '\n');
    }
}
