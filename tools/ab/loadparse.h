/* The figures a load generator printed (--load), from the summaries of
 *   wrk / wrk2:   "Requests/sec:  1234.56"; with --latency the lines
 *                 "    50%    1.23ms" (wrk2: " 50.000%    1.23ms") for 50,
 *                 75, 90, 99, 99.9 and 100%, in us, ms, s, m or h; the mean
 *                 and max of "Thread Stats"' "Latency" line; "N requests in",
 *                 "Socket errors: connect A, read B, write C, timeout D",
 *                 "Non-2xx or 3xx responses: N";
 *   ApacheBench:  "Requests per second:    1234.56 [#/sec] (mean)", "Time per
 *                 request: 2.2 [ms] (mean)", the table after "Percentage of
 *                 the requests served within a certain time (ms)" ("  50%
 *                 3" ... " 100%  12 (longest request)", in ms), "Complete
 *                 requests:", "Failed requests:" with its "(Connect: ,
 *                 Receive: , Length: , Exceptions: )" and "Non-2xx
 *                 responses:";
 *   h2load:       "finished in 1.2s, 1234.56 req/s, ...", "requests: T
 *                 total, ... S succeeded, F failed, ...", the min, max and
 *                 mean of "time for request:";
 *   sysbench:     "transactions: N (X per sec.)" (else "events per second:"
 *                 and "total number of events:"), "queries: N (X per
 *                 sec.)", "ignored errors:", and its "Latency (ms):"
 *                 section: avg, max and "Nth percentile:".
 * Anything else is not understood (and shown as such, never guessed). */
#ifndef MN_AB_LOADPARSE_H
#define MN_AB_LOADPARSE_H

#include <stdbool.h>
#include <stdint.h>

struct ab_parsed {
    const char *format;          /* "wrk", "ab", "h2load", "sysbench", or NULL: nothing understood */
    const char *unit;            /* what the rate counts: "requests", "transactions" or "events" */
    bool has_rps;
    double rps;
    bool has_qps;                /* sysbench: SQL queries/s besides transactions/s */
    double qps;
    uint64_t p50, p75, p90, p95, p99, p999, max, mean; /* ns; 0: not printed */
    bool has_counts;             /* served and errors were printed */
    uint64_t served;             /* requests (transactions, events) that succeeded */
    uint64_t errors;             /* those that failed, as the generator counts them */
    const char *errors_what;     /* the largest kind of error ("socket errors: read", ...) */
};

void ab_parse_load(const char *output, struct ab_parsed *out);

#endif
