/* Scripted interleavings: see script.h. Only atomics and raw futexes
 * (core/futex.h): a test point may be reached holding any of mnrt's
 * locks, or on g0, where nothing else may be taken. */
#include "script.h"

#include "compat/log.h"
#include "core/futex.h"

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>

enum { FREE, ARMED, STOPPED, GOING };

struct script_stop {
    _Atomic uint32_t state;
    enum mn_test_point point;
    const void *who;
};

#define STOPS 8
#define HIT_SLOTS 1024

_Static_assert(MN_TP_COUNT <= 32, "a point fits in 5 bits of a hit's key");

static struct script_stop stops[STOPS];
static _Atomic uint32_t seq;

/* hits per (point, arg): an open-addressing table keyed by both, filled
 * with CAS */
static _Atomic uintptr_t hit_key[HIT_SLOTS]; /* 0: free */
static _Atomic int hit_n[HIT_SLOTS];
static _Atomic int hits_any[MN_TP_COUNT];

static uintptr_t key_of(enum mn_test_point point, const void *arg)
{
    return ((uintptr_t)arg << 5 | (uintptr_t)point) + 1;
}

void script_note(void)
{
    atomic_fetch_add(&seq, 1);
    mn_futex_wake(&seq, INT_MAX, false);
}

uint32_t script_seq(void)
{
    return atomic_load(&seq);
}

void script_sleep(uint32_t seen)
{
    mn_futex_wait(&seq, seen, -1, false);
}

static void count_hit(enum mn_test_point point, const void *arg)
{
    atomic_fetch_add(&hits_any[point], 1);
    uintptr_t key = key_of(point, arg);
    size_t h = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 54) % HIT_SLOTS;
    for (size_t k = 0; k < HIT_SLOTS; k++, h = (h + 1) % HIT_SLOTS) {
        uintptr_t cur = 0;
        if (atomic_compare_exchange_strong(&hit_key[h], &cur, key) || cur == key) {
            atomic_fetch_add(&hit_n[h], 1);
            return;
        }
    }
    mn_fatal("script: more than %d (point, arg) pairs", HIT_SLOTS);
}

int script_hits(enum mn_test_point point, const void *who)
{
    if (!who)
        return atomic_load(&hits_any[point]);
    uintptr_t key = key_of(point, who);
    for (size_t h = 0; h < HIT_SLOTS; h++)
        if (atomic_load(&hit_key[h]) == key)
            return atomic_load(&hit_n[h]);
    return 0;
}

void mn_test_point(enum mn_test_point point, const void *arg)
{
    count_hit(point, arg);
    for (int i = 0; i < STOPS; i++) {
        struct script_stop *s = &stops[i];
        uint32_t armed = ARMED;
        if (atomic_load(&s->state) != ARMED || s->point != point || (s->who && s->who != arg) ||
            !atomic_compare_exchange_strong(&s->state, &armed, STOPPED))
            continue;
        script_note();
        while (atomic_load(&s->state) == STOPPED)
            mn_futex_wait(&s->state, STOPPED, -1, false);
        atomic_store(&s->state, FREE);
        break;
    }
    script_note();
}

struct script_stop *script_stop_at(enum mn_test_point point, const void *who)
{
    for (int i = 0; i < STOPS; i++) {
        struct script_stop *s = &stops[i];
        if (atomic_load(&s->state) != FREE)
            continue;
        s->point = point;
        s->who = who;
        atomic_store(&s->state, ARMED);
        return s;
    }
    mn_fatal("script: more than %d stops at a time", STOPS);
}

bool script_stopped(struct script_stop *s)
{
    return atomic_load(&s->state) == STOPPED;
}

void script_wait(struct script_stop *s)
{
    SCRIPT_AWAIT(script_stopped(s));
}

void script_go(struct script_stop *s)
{
    uint32_t armed = ARMED;
    if (atomic_compare_exchange_strong(&s->state, &armed, FREE))
        return;
    if (atomic_load(&s->state) == STOPPED) {
        atomic_store(&s->state, GOING);
        mn_futex_wake(&s->state, INT_MAX, false);
    }
}
