/* Reading a load generator's summary: see loadparse.h. */
#include "loadparse.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "1.23ms" and the like (wrk's and h2load's units) in ns; -1 when not a time. */
static double time_ns(const char *s)
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

static uint64_t ns(double v)
{
    return v > 0 ? (uint64_t)llround(v) : 0;
}

static void set_pct(struct ab_parsed *p, double pct, double v)
{
    static const struct { double pct; size_t off; } fields[] = {
        {50, offsetof(struct ab_parsed, p50)},  {75, offsetof(struct ab_parsed, p75)},
        {90, offsetof(struct ab_parsed, p90)},  {95, offsetof(struct ab_parsed, p95)},
        {99, offsetof(struct ab_parsed, p99)},  {99.9, offsetof(struct ab_parsed, p999)},
        {100, offsetof(struct ab_parsed, max)}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (fabs(pct - fields[i].pct) < 1e-9)
            *(uint64_t *)((char *)p + fields[i].off) = ns(v);
}

/* What the generators print besides rates and latencies: their counts of
 * requests and errors, read as each one means them. */
struct counts {
    bool wrk_requests, ab_complete, h2_requests, sb_served;
    uint64_t requests;                          /* wrk: "N requests in" (incl. non-2xx) */
    uint64_t sock[4];                           /* wrk: connect, read, write, timeout */
    uint64_t non2xx;                            /* wrk, ab */
    uint64_t ab_failed, ab_kinds[4];            /* ab: connect, receive, length, exceptions */
    bool ab_kinds_known;
    uint64_t h2_ok, h2_failed;
    uint64_t sb_errors;
};

enum section { S_NONE, S_AB_PCT, S_SB_LATENCY, S_WRK_STATS };

struct state {
    struct ab_parsed *p;
    struct counts k;
    enum section sec;
    bool sb_transactions;                       /* sysbench printed transactions: they are the unit */
};

static void format(struct state *s, const char *f)
{
    s->p->format = f;
}

static bool wrk_line(struct state *s, const char *l)
{
    struct ab_parsed *p = s->p;
    double v, pct;
    char a[64], b[64], c[64];
    unsigned long long n[4];
    if (sscanf(l, " Requests/sec: %lf", &v) == 1) {
        p->has_rps = true, p->rps = v, p->unit = "requests";
    } else if (sscanf(l, " %llu requests in %63s", &n[0], a) == 2) {
        s->k.wrk_requests = true, s->k.requests = n[0];
    } else if (sscanf(l, " Socket errors: connect %llu, read %llu, write %llu, timeout %llu",
                      &n[0], &n[1], &n[2], &n[3]) == 4) {
        for (int i = 0; i < 4; i++)
            s->k.sock[i] = n[i];
    } else if (sscanf(l, " Non-2xx or 3xx responses: %llu", &n[0]) == 1) {
        s->k.non2xx = n[0];
    } else if (strstr(l, "Thread Stats") && strstr(l, "Avg")) {
        s->sec = S_WRK_STATS;
        return true;
    } else if (s->sec == S_WRK_STATS && sscanf(l, " Latency %63s %63s %63s", a, b, c) == 3 &&
               time_ns(a) >= 0 && time_ns(c) >= 0) {
        p->mean = ns(time_ns(a));
        if (!p->max)
            p->max = ns(time_ns(c));
    } else if (sscanf(l, " %lf%% %63s %63s", &pct, a, b) == 2 && time_ns(a) >= 0) {
        set_pct(p, pct, time_ns(a));
    } else {
        return false;
    }
    format(s, "wrk");
    return true;
}

static bool ab_line(struct state *s, const char *l)
{
    struct ab_parsed *p = s->p;
    double v, pct;
    unsigned long long n[4];
    if (sscanf(l, " Requests per second: %lf", &v) == 1) {
        p->has_rps = true, p->rps = v, p->unit = "requests";
    } else if (strstr(l, "Percentage of the requests served within a certain time (ms)")) {
        s->sec = S_AB_PCT;
        return true;
    } else if (s->sec == S_AB_PCT && sscanf(l, " %lf%% %lf", &pct, &v) == 2) {
        set_pct(p, pct, v * 1e6);
        format(s, "ab");
        return true;
    } else if (sscanf(l, " Time per request: %lf [ms] (mean)", &v) == 1 && !strstr(l, "across")) {
        p->mean = ns(v * 1e6);
    } else if (sscanf(l, " Complete requests: %llu", &n[0]) == 1) {
        s->k.ab_complete = true, s->k.requests = n[0];
    } else if (sscanf(l, " Failed requests: %llu", &n[0]) == 1) {
        s->k.ab_failed = n[0];
    } else if (sscanf(l, " (Connect: %llu, Receive: %llu, Length: %llu, Exceptions: %llu)", &n[0],
                      &n[1], &n[2], &n[3]) == 4) {
        for (int i = 0; i < 4; i++)
            s->k.ab_kinds[i] = n[i];
        s->k.ab_kinds_known = true;
    } else if (sscanf(l, " Non-2xx responses: %llu", &n[0]) == 1) {
        s->k.non2xx = n[0];
    } else {
        return false;
    }
    format(s, "ab");
    return true;
}

static bool h2load_line(struct state *s, const char *l)
{
    struct ab_parsed *p = s->p;
    double v;
    char a[64], b[64], c[64];
    unsigned long long n[3];
    if (sscanf(l, "finished in %63[^,], %lf req/s", a, &v) == 2) {
        p->has_rps = true, p->rps = v, p->unit = "requests";
    } else if (sscanf(l, "requests: %llu total, %*u started, %*u done, %llu succeeded, %llu failed",
                      &n[0], &n[1], &n[2]) == 3) {
        s->k.h2_requests = true, s->k.h2_ok = n[1], s->k.h2_failed = n[2];
    } else if (sscanf(l, "time for request: %63s %63s %63s", a, b, c) == 3 && time_ns(a) >= 0 &&
               time_ns(b) >= 0 && time_ns(c) >= 0) {
        if (s->k.h2_ok) { /* with no request done its times are all 0 */
            p->max = ns(time_ns(b));
            p->mean = ns(time_ns(c));
        }
    } else {
        return false;
    }
    format(s, "h2load");
    return true;
}

static bool sysbench_line(struct state *s, const char *l)
{
    struct ab_parsed *p = s->p;
    double v, pct;
    unsigned long long n;
    if (sscanf(l, " transactions: %llu (%lf per sec.)", &n, &v) == 2) {
        p->has_rps = true, p->rps = v, p->unit = "transactions";
        s->sb_transactions = s->k.sb_served = true, p->served = n;
    } else if (sscanf(l, " queries: %llu (%lf per sec.)", &n, &v) == 2) {
        p->has_qps = true, p->qps = v;
    } else if (sscanf(l, " events per second: %lf", &v) == 1 && !s->sb_transactions) {
        p->has_rps = true, p->rps = v, p->unit = "events";
    } else if (sscanf(l, " total number of events: %llu", &n) == 1 && !s->sb_transactions) {
        s->k.sb_served = true, p->served = n;
    } else if (sscanf(l, " ignored errors: %llu", &n) == 1) {
        s->k.sb_errors = n;
    } else if (strncmp(l, "Latency (ms):", 13) == 0) {
        s->sec = S_SB_LATENCY;
        return true;
    } else if (s->sec == S_SB_LATENCY && sscanf(l, " avg: %lf", &v) == 1) {
        p->mean = ns(v * 1e6);
    } else if (s->sec == S_SB_LATENCY && sscanf(l, " max: %lf", &v) == 1) {
        p->max = ns(v * 1e6);
    } else if (s->sec == S_SB_LATENCY && sscanf(l, " %lfth percentile: %lf", &pct, &v) == 2) {
        set_pct(p, pct, v * 1e6);
    } else if (s->sec == S_SB_LATENCY && (strstr(l, "min:") || strstr(l, "sum:"))) {
        /* part of the section, not a figure of the table */
    } else {
        return false;
    }
    format(s, "sysbench");
    return true;
}

/* served and errors, as each generator means them */
static void settle(struct state *s)
{
    struct ab_parsed *p = s->p;
    const struct counts *k = &s->k;
    static const char *const sock[4] = {"socket errors: connect", "socket errors: read",
                                        "socket errors: write", "socket errors: timeout"};
    static const char *const abk[4] = {"failed requests: connect", "failed requests: receive",
                                       "failed requests: length", "failed requests: exceptions"};
    uint64_t most = 0;
    p->errors = 0;
    if (k->wrk_requests) {
        p->has_counts = true;
        p->served = k->requests > k->non2xx ? k->requests - k->non2xx : 0;
        for (int i = 0; i < 4; i++) {
            p->errors += k->sock[i];
            if (k->sock[i] > most)
                most = k->sock[i], p->errors_what = sock[i];
        }
    } else if (k->ab_complete) {
        /* ab counts a response whose length differs from the first one's
         * as failed ("Length"): a dynamic page, not an error */
        uint64_t failed = k->ab_failed;
        if (k->ab_kinds_known) {
            failed = 0;
            for (int i = 0; i < 4; i++)
                if (i != 2) {
                    failed += k->ab_kinds[i];
                    if (k->ab_kinds[i] > most)
                        most = k->ab_kinds[i], p->errors_what = abk[i];
                }
        } else if (failed) {
            most = failed, p->errors_what = "failed requests";
        }
        p->has_counts = true;
        uint64_t bad = failed + k->non2xx;
        p->served = k->requests > bad ? k->requests - bad : 0;
        p->errors = failed;
    } else if (k->h2_requests) {
        p->has_counts = true;
        p->served = k->h2_ok;
        p->errors = k->h2_failed;
        p->errors_what = "failed requests";
        return;
    } else if (k->sb_served) {
        p->has_counts = true;
        p->errors = k->sb_errors;
        p->errors_what = "ignored errors";
        return;
    }
    if (k->non2xx) {
        p->errors += k->non2xx;
        if (k->non2xx >= most)
            p->errors_what = "responses other than 2xx or 3xx: is the path right?";
    }
}

void ab_parse_load(const char *output, struct ab_parsed *out)
{
    *out = (struct ab_parsed){0};
    struct state s = {.p = out};
    for (const char *o = output; *o;) {
        size_t n = strcspn(o, "\n");
        char l[256];
        snprintf(l, sizeof l, "%.*s", (int)(n < sizeof l ? n : sizeof l - 1), o);
        o += n + (o[n] == '\n');
        if (!(ab_line(&s, l) || sysbench_line(&s, l) || h2load_line(&s, l) || wrk_line(&s, l)))
            s.sec = S_NONE;
    }
    settle(&s);
}
