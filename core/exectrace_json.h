/* The execution trace as Chrome trace-event JSON (the "JSON Object Format"
 * that ui.perfetto.dev and chrome://tracing open), from the rings of
 * exectrace.h once recording has stopped.
 *
 * What the file holds, in one process (pid: the program's):
 * - a track per P ("P0", ...): a slice per run of a thread, named
 *   "thread N" or "thread N (NAME)" (N: the id thread dumps use, NAME:
 *   pthread_setname_np's), its args saying on which M it ran and how the
 *   run ended ("park (cond wait)", "yield", "preempted", "exit", "P taken
 *   by sysmon ..."); "idle" slices while the P is idle; zero-length
 *   slices where a thread on it (or its M, between threads) readied
 *   ("ready thread N") or made ("create thread N") another, or stole
 *   one; "netpoll" slices where its M collected ready I/O;
 * - a track per M ("M3"): its sleeps (idle, in the poller until the next
 *   timer, a locked thread's M waiting for it), its start and end, and
 *   what it readied without a P; a "sysmon" track: P handoffs,
 *   preemption signals, its netpoller collections and readies; an "other
 *   threads" track: readies by threads mnrt did not make;
 * - a flow arrow (bind_id, flow_out/flow_in) from each ready or create to
 *   the run it caused, only when both are in the file;
 * - "otherData": the pid, the ring sizes, the events kept and those
 *   dropped (by ring: oldest overwritten when a ring wrapped, or caught
 *   being overwritten while the file was written).
 * A P's track starts at its ring's oldest event kept: a run whose start
 * was dropped begins there (args "start": "dropped"); a run still going
 * when the file is written ends then ("end": "still running").
 * Slices on one track never overlap: each track's slices come from one
 * state machine fed in time order.
 *
 * Each event's first key is "ts" (Perfetto's tokenizer looks for it
 * first and does not read \u escapes before it). Nothing here allocates
 * but mmap memory or takes a lock: it may run in a signal handler. */
#ifndef MN_CORE_EXECTRACE_JSON_H
#define MN_CORE_EXECTRACE_JSON_H

#include "core/outbuf.h"

#include <stdint.h>

struct mn_xt_totals {
    int64_t events;   /* events in the file */
    int64_t dropped;  /* events recorded and not in it */
};

/* Writes the whole JSON document to o. Recording must be off. */
void mn_xt_json_write(struct mn_out *o, struct mn_xt_totals *t);

#endif
