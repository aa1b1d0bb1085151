/* Formatted output for reports that must not allocate or take a lock
 * (the scheduler trace, thread dumps, the deadlock report): a buffer on
 * the caller's stack, written out with raw system calls when it fills.
 *
 * Invariants: nothing here allocates, locks or touches errno; after a
 * failed write (err set) further output is dropped. */
#ifndef MN_CORE_OUTBUF_H
#define MN_CORE_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct mn_out {
    int fd;
    bool sock;        /* fd is a socket: sent with MSG_NOSIGNAL */
    int err;          /* the first write error, 0 if none */
    size_t len;
    char buf[8192];
};

/* Writes out what the buffer holds (all of it, across short writes). */
void mn_out_flush(struct mn_out *o);
/* Appends printf-style text (cut to what fits), flushing first when full. */
void mn_out_put(struct mn_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
