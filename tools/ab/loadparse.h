/* The figures a load generator printed (--load): requests/s and latency
 * percentiles from the summaries of
 *   wrk / wrk2:   "Requests/sec:  1234.56", and with --latency the lines
 *                 "    50%    1.23ms" (wrk2: " 50.000%    1.23ms") for
 *                 50, 75, 90, 99, 99.9 and 100%, in us, ms, s, m or h;
 *   ApacheBench:  "Requests per second:    1234.56 [#/sec] (mean)" and the
 *                 table after "Percentage of the requests served within a
 *                 certain time (ms)": "  50%      3" ... " 100%     12
 *                 (longest request)", in milliseconds.
 * Anything else is not understood (and shown as such, never guessed). */
#ifndef MN_AB_LOADPARSE_H
#define MN_AB_LOADPARSE_H

#include <stdbool.h>
#include <stdint.h>

struct ab_parsed {
    const char *format;          /* "wrk", "ab", or NULL: nothing understood */
    bool has_rps;
    double rps;
    uint64_t p50, p75, p90, p99, p999, max; /* ns; 0: not printed */
};

void ab_parse_load(const char *output, struct ab_parsed *out);

#endif
