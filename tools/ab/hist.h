/* Latency histograms with log-linear buckets: 32 per power of two (about
 * 3% wide), exact below 32 ns. Count, sum, min and max are exact.
 * Percentiles are bucket upper bounds (capped at the max), so they never
 * understate. Not thread-safe: each load thread has its own, merged at the
 * end. */
#ifndef MN_AB_HIST_H
#define MN_AB_HIST_H

#include <stdint.h>

#define AB_HIST_SUB 32
#define AB_HIST_BUCKETS (60 * AB_HIST_SUB)

struct ab_hist {
    uint64_t count, sum, min, max;
    uint64_t b[AB_HIST_BUCKETS];
};

void ab_hist_reset(struct ab_hist *h);
void ab_hist_add(struct ab_hist *h, uint64_t ns);
void ab_hist_merge(struct ab_hist *dst, const struct ab_hist *src);
/* The smallest bucket bound below which a fraction p (0..1] of the values lie. */
uint64_t ab_hist_pct(const struct ab_hist *h, double p);
/* Bucket i's range [lower, upper]. */
uint64_t ab_hist_lower(int i);
uint64_t ab_hist_upper(int i);

#endif
