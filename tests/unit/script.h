/* Scripted interleavings for the protocol tests: the runtime's test
 * points (core/testpoint.h) call mn_test_point, defined here. A script,
 * run on a thread of its own (the test's thread or a plain kernel
 * thread, never a G: it must not need a P to make progress), arms a stop
 * at a point for one object, waits until some thread is stopped there,
 * acts (delivers an event, wakes a waiter, moves timers), then lets the
 * stopped thread go on. Every point reached is counted per object, so a
 * script can also tell which path a thread took.
 *
 * A stopped thread sleeps in the kernel (a futex), whatever it is: a
 * foreign thread, g0 or a G, whose M and P then stay with it, as if that
 * kernel thread were slow right there. Waiting is for conditions, never
 * for time: SCRIPT_AWAIT(cond) sleeps until cond holds, re-checked at
 * every stop, release and script_note(). Actors that change what a
 * script waits for call script_note() after the change. */
#ifndef MN_TESTS_UNIT_SCRIPT_H
#define MN_TESTS_UNIT_SCRIPT_H

#include "core/testpoint.h"

#include <stdbool.h>
#include <stdint.h>

struct script_stop;

/* Stops the next thread that reaches point with arg == who (who NULL:
 * any arg). At most 8 stops are armed or stopped at a time. */
struct script_stop *script_stop_at(enum mn_test_point point, const void *who);
/* Whether a thread is stopped at s now. */
bool script_stopped(struct script_stop *s);
/* Waits until a thread is stopped at s. */
void script_wait(struct script_stop *s);
/* Lets the thread stopped at s go on; disarms s if none came yet. */
void script_go(struct script_stop *s);
/* How often point was reached with arg == who (NULL: with any arg). */
int script_hits(enum mn_test_point point, const void *who);

/* Something a script may wait for changed. */
void script_note(void);
/* The counter SCRIPT_AWAIT sleeps on, and its sleep. */
uint32_t script_seq(void);
void script_sleep(uint32_t seq);

#define SCRIPT_AWAIT(cond)                                                 \
    do {                                                                   \
        for (;;) {                                                         \
            uint32_t script_seq_ = script_seq();                           \
            if (cond)                                                      \
                break;                                                     \
            script_sleep(script_seq_);                                     \
        }                                                                  \
    } while (0)

#endif
