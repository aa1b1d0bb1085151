/* The timer heap's rules under concurrency (core/timer.h), each as one
 * scripted interleaving at the test points of core/testpoint.h, with
 * plain kernel threads: a deletion that races with a move of the timers
 * to another heap (a P retired by procresize) finds the timer where it
 * went, and a deletion that races with the timer's callback returns only
 * after the callback did, so that the timer's owner may go away. */
#include "script.h"

#include "core/timer.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>

#define N 16

static _Atomic int fired[N];

static void count(struct mn_timer *t)
{
    atomic_fetch_add(&fired[(intptr_t)t->arg], 1);
}

struct deleter {
    pthread_t t;
    struct mn_timer *timer;
    bool result;
    _Atomic bool done;
    bool callback_over;          /* what the deleter saw when del returned */
};

static _Atomic bool callback_over;

static void *delete_main(void *arg)
{
    struct deleter *d = arg;
    d->result = mn_timer_del(d->timer);
    d->callback_over = atomic_load(&callback_over);
    atomic_store(&d->done, true);
    script_note();
    return NULL;
}

static void start_deleter(struct deleter *d, struct mn_timer *t)
{
    d->timer = t;
    atomic_store(&d->done, false);
    cr_assert_eq(pthread_create(&d->t, NULL, delete_main, d), 0);
}

/* The deleter read which heap the timer is in; before it locks that
 * heap, every timer moves to another one. It must remove the timer from
 * where it is now, once. (Caught with mn_timer_del's check that the
 * timer is still in the heap it locked removed: it removed from the old,
 * empty heap.) */
Test(timer_protocol, delete_races_move)
{
    static struct mn_timers from, to;
    static struct mn_timer t[N];
    mn_timers_init(&from);
    mn_timers_init(&to);
    for (int i = 0; i < N; i++)
        cr_assert_eq(mn_timer_add(&from, &t[i], 100 + i, count, (void *)(intptr_t)i), 0);
    struct mn_timer *victim = &t[N / 2];
    struct script_stop *locking = script_stop_at(MN_TP_TIMER_DEL_LOCK, victim);
    struct deleter d;
    start_deleter(&d, victim);
    script_wait(locking);
    cr_assert_eq(mn_timers_move(&to, &from), 0);
    script_go(locking);
    pthread_join(d.t, NULL);
    cr_assert(d.result, "a waiting timer was not deleted");
    cr_assert_eq(mn_timers_len(&from), 0);
    cr_assert_eq(mn_timers_len(&to), N - 1);
    cr_assert_eq(mn_timers_run(&to, 1000), N - 1);
    for (int i = 0; i < N; i++)
        cr_assert_eq(atomic_load(&fired[i]), i == N / 2 ? 0 : 1, "timer %d fired %d times", i,
                     atomic_load(&fired[i]));
}

static void note_over(struct mn_timer *t)
{
    (void)t;
    atomic_store(&callback_over, true);
}

static void *run_main(void *arg)
{
    mn_timers_run(arg, 1000);
    return NULL;
}

/* The timer is out of its heap and about to call its callback when its
 * owner deletes it: del must wait until the callback returned (it may
 * use the owner's memory). (Caught with mn_timer_del returning at once
 * for a running timer.) */
Test(timer_protocol, delete_waits_for_running_callback)
{
    static struct mn_timers heap;
    static struct mn_timer t;
    mn_timers_init(&heap);
    cr_assert_eq(mn_timer_add(&heap, &t, 1, note_over, NULL), 0);
    struct script_stop *fire = script_stop_at(MN_TP_TIMER_FIRE, &t);
    pthread_t runner;
    cr_assert_eq(pthread_create(&runner, NULL, run_main, &heap), 0);
    script_wait(fire);
    /* out of the heap, its wake-up not yet done: the heap is not idle (the
     * deadlock check declared a sleeper dead so) */
    cr_assert(!mn_timers_idle(&heap), "a heap whose timer is firing looks idle");
    struct deleter d;
    start_deleter(&d, &t);
    /* the deleter found the timer running and waits: only now does the
     * callback go */
    SCRIPT_AWAIT(script_hits(MN_TP_TIMER_DEL_WAITS, &t) > 0 || atomic_load(&d.done));
    cr_assert(!atomic_load(&d.done), "del returned while the timer's callback was due");
    script_go(fire);
    pthread_join(runner, NULL);
    pthread_join(d.t, NULL);
    cr_assert(!d.result, "a timer that fired was reported deleted");
    cr_assert(d.callback_over, "del returned while the callback ran");
    cr_assert(mn_timers_idle(&heap));
}
