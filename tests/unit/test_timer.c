/* Timer heaps (core/timer.c): timers fire once, in deadline order, only
 * when due; deletion before firing prevents it; deletion racing with a
 * firing callback waits for the callback to finish. */
#include "core/timer.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define N 2000

static int64_t fired_order[N];
static int nfired;

static void record(struct mn_timer *t)
{
    fired_order[nfired++] = t->when;
}

Test(timer, fire_in_order_and_once)
{
    static struct mn_timers ts;
    static struct mn_timer t[N];
    mn_timers_init(&ts);
    srand(7);
    for (int i = 0; i < N; i++)
        cr_assert_eq(mn_timer_add(&ts, &t[i], rand() % 100000, record, NULL), 0);
    cr_assert_eq(mn_timers_len(&ts), N);
    cr_assert_eq(mn_timers_run(&ts, 49999), nfired);
    int first = nfired;
    for (int i = 0; i < first; i++)
        cr_assert_leq(fired_order[i], 49999);
    mn_timers_run(&ts, 100000);
    cr_assert_eq(nfired, N);
    for (int i = 1; i < N; i++)
        cr_assert_leq(fired_order[i - 1], fired_order[i], "out of order at %d", i);
    cr_assert_eq(mn_timers_run(&ts, 1000000), 0, "nothing fires twice");
    cr_assert_eq(mn_timers_next(&ts), INT64_MAX);
}

Test(timer, delete_before_firing)
{
    static struct mn_timers ts;
    static struct mn_timer t[100];
    mn_timers_init(&ts);
    nfired = 0;
    for (int i = 0; i < 100; i++)
        mn_timer_add(&ts, &t[i], i, record, NULL);
    for (int i = 0; i < 100; i += 2)
        cr_assert(mn_timer_del(&t[i]), "pending timer %d", i);
    cr_assert(!mn_timer_del(&t[0]), "deleted twice");
    cr_assert_eq(mn_timers_next(&ts), 1);
    mn_timers_run(&ts, 1000);
    cr_assert_eq(nfired, 50);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(fired_order[i] % 2, 1);
    cr_assert(!mn_timer_del(&t[1]), "a fired timer is not pending");
}

static atomic_int in_callback, callback_done;

static void slow(struct mn_timer *t)
{
    (void)t;
    atomic_store(&in_callback, 1);
    usleep(50 * 1000);
    atomic_store(&callback_done, 1);
}

static void *runner(void *arg)
{
    mn_timers_run(arg, 10);
    return NULL;
}

Test(timer, delete_waits_for_running_callback)
{
    static struct mn_timers ts;
    static struct mn_timer t;
    mn_timers_init(&ts);
    mn_timer_add(&ts, &t, 1, slow, NULL);
    pthread_t th;
    pthread_create(&th, NULL, runner, &ts);
    while (!atomic_load(&in_callback))
        usleep(100);
    cr_assert(!mn_timer_del(&t));
    cr_assert_eq(atomic_load(&callback_done), 1, "del returned while the callback ran");
    pthread_join(th, NULL);
}
