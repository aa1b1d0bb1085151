/* Log-linear latency histograms: see hist.h. */
#include "hist.h"

#include <string.h>

static int bucket(uint64_t v)
{
    if (v < AB_HIST_SUB)
        return (int)v;
    int e = 63 - __builtin_clzll(v); /* >= 5 */
    int sub = (int)(v >> (e - 5)) - AB_HIST_SUB;
    int i = (e - 4) * AB_HIST_SUB + sub;
    return i < AB_HIST_BUCKETS ? i : AB_HIST_BUCKETS - 1;
}

uint64_t ab_hist_lower(int i)
{
    if (i < AB_HIST_SUB)
        return (uint64_t)i;
    int e = i / AB_HIST_SUB + 4, sub = i % AB_HIST_SUB;
    return (uint64_t)(AB_HIST_SUB + sub) << (e - 5);
}

uint64_t ab_hist_upper(int i)
{
    return i + 1 < AB_HIST_BUCKETS ? ab_hist_lower(i + 1) - 1 : UINT64_MAX;
}

void ab_hist_reset(struct ab_hist *h)
{
    memset(h, 0, sizeof *h);
}

void ab_hist_add(struct ab_hist *h, uint64_t ns)
{
    if (h->count == 0 || ns < h->min)
        h->min = ns;
    if (ns > h->max)
        h->max = ns;
    h->count++;
    h->sum += ns;
    h->b[bucket(ns)]++;
}

void ab_hist_merge(struct ab_hist *dst, const struct ab_hist *src)
{
    if (!src->count)
        return;
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->count += src->count;
    dst->sum += src->sum;
    for (int i = 0; i < AB_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
}

uint64_t ab_hist_pct(const struct ab_hist *h, double p)
{
    if (!h->count)
        return 0;
    uint64_t want = (uint64_t)(p * (double)h->count + 0.999999);
    if (want < 1)
        want = 1;
    uint64_t seen = 0;
    for (int i = 0; i < AB_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= want) {
            uint64_t u = ab_hist_upper(i);
            return u < h->max ? u : h->max;
        }
    }
    return h->max;
}
