/* The life of a thread: detached threads (by attribute or pthread_detach)
 * run to completion; pthread_detach of a finished thread is 0; joining a
 * detached thread or detaching it twice is EINVAL; joining yourself is
 * EDEADLK; pthread_tryjoin_np/timedjoin_np/clockjoin_np say EBUSY and
 * ETIMEDOUT while the thread runs; pthread_exit from deep frames delivers
 * its value and runs the cleanup handlers of every frame in reverse order;
 * return values arrive whatever order threads are joined in; pthread_self
 * in a thread equals the handle its creator got; pthread_kill(t, 0) is 0
 * while t lives. (Calls with the handle of a joined thread: join_misuse.c.)
 * mnrt implements join/detach itself and makes
 * pthread_exit unwind to its own frame (docs/design.md §15, shim/create.c). */
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#define DETACHED 200
#define JOINED 1000
#define DEPTH 40
#define SHORT_MS 30

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int finished, release;

static void wait_release(void)
{
    pthread_mutex_lock(&mu);
    while (!release)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void set_release(int v)
{
    pthread_mutex_lock(&mu);
    release = v;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* --- detached threads run to completion --- */

static void *detached_worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    for (int r = 0; r < 5; r++) {
        if ((i + r) % 2)
            sched_yield();
        else
            usleep(200);
    }
    pthread_mutex_lock(&mu);
    finished++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    if (i % 3 == 0)
        pthread_exit(NULL);
    return NULL;
}

static void detached_run_to_completion(void)
{
    pthread_attr_t attr;
    CHECK_ERR(pthread_attr_init(&attr), 0);
    CHECK_ERR(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED), 0);
    finished = 0;
    for (int i = 0; i < DETACHED; i++) {
        pthread_t t;
        if (i % 2) {
            CHECK_ERR(pthread_create(&t, &attr, detached_worker, (void *)(intptr_t)i), 0);
        } else {
            CHECK_ERR(pthread_create(&t, NULL, detached_worker, (void *)(intptr_t)i), 0);
            CHECK_ERR(pthread_detach(t), 0);
        }
    }
    CHECK_ERR(pthread_attr_destroy(&attr), 0);
    pthread_mutex_lock(&mu);
    while (finished < DETACHED)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    printf("%d detached threads ran to completion\n", finished);
}

/* --- detach and join errors --- */

static atomic_int blocked_started, blocked_done;

static void *blocked(void *arg)
{
    atomic_fetch_add(&blocked_started, 1);
    wait_release();
    atomic_fetch_add(&blocked_done, 1);
    return arg;
}

static void *quick(void *arg)
{
    return arg;
}

static void *join_self(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_join(pthread_self(), NULL);
}

static void detach_join_errors(void)
{
    set_release(0);
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, blocked, NULL), 0);
    WAIT_UNTIL(atomic_load(&blocked_started) == 1);
    CHECK_ERR(pthread_kill(t, 0), 0);
    CHECK_ERR(pthread_detach(t), 0);
    CHECK_ERR(pthread_kill(t, 0), 0);
    CHECK_ERR(pthread_join(t, NULL), EINVAL);
    CHECK_ERR(pthread_detach(t), EINVAL);
    set_release(1);
    WAIT_UNTIL(atomic_load(&blocked_done) == 1);

    /* detach a thread that has finished its work */
    CHECK_ERR(pthread_create(&t, NULL, quick, NULL), 0);
    usleep(20 * 1000); /* it has most likely exited; 0 either way */
    CHECK_ERR(pthread_detach(t), 0);

    CHECK_ERR(pthread_join(pthread_self(), NULL), EDEADLK);
    void *r;
    CHECK_ERR(pthread_create(&t, NULL, join_self, NULL), 0);
    CHECK_ERR(pthread_join(t, &r), 0);
    CHECK_ERR((int)(intptr_t)r, EDEADLK);
    printf("detach: EINVAL when joined or detached again, 0 after exit; join self: EDEADLK\n");
}

/* --- try, timed and clock joins --- */

static void timed_joins(void)
{
    set_release(0);
    atomic_store(&blocked_started, 0);
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, blocked, (void *)42), 0);
    WAIT_UNTIL(atomic_load(&blocked_started) == 1);
    CHECK_ERR(pthread_tryjoin_np(t, NULL), EBUSY);
    struct timespec dl = deadline_in(CLOCK_REALTIME, SHORT_MS);
    CHECK_ERR(pthread_timedjoin_np(t, NULL, &dl), ETIMEDOUT);
    CHECK(deadline_passed(CLOCK_REALTIME, &dl), "timedjoin returned early");
    dl = deadline_in(CLOCK_MONOTONIC, SHORT_MS);
    CHECK_ERR(pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &dl), ETIMEDOUT);
    CHECK(deadline_passed(CLOCK_MONOTONIC, &dl), "clockjoin returned early");
    CHECK_ERR(pthread_kill(t, 0), 0);
    set_release(1);
    void *r;
    dl = deadline_in(CLOCK_MONOTONIC, 60000);
    CHECK_ERR(pthread_clockjoin_np(t, &r, CLOCK_MONOTONIC, &dl), 0);
    CHECK_EQ((intptr_t)r, 42);
    printf("tryjoin EBUSY, timedjoin/clockjoin ETIMEDOUT while it runs, then its value\n");
}

/* --- pthread_exit from deep frames --- */

static int cleanup_order[DEPTH], ncleanups;
static int exit_at_bottom = 1; /* a variable, so that the compiler sees a way back up */

static void cleanup(void *arg)
{
    cleanup_order[ncleanups++] = (int)(intptr_t)arg;
}

static void popped(void *arg)
{
    (*(int *)arg)++;
}

static int descend(int level)
{
    int result = 0;
    pthread_cleanup_push(cleanup, (void *)(intptr_t)level);
    if (level == DEPTH - 1) {
        int runs = 0;
        pthread_cleanup_push(popped, &runs);
        pthread_cleanup_pop(1); /* runs it */
        pthread_cleanup_push(popped, &runs);
        pthread_cleanup_pop(0); /* does not */
        CHECK_EQ(runs, 1);
        if (exit_at_bottom)
            pthread_exit((void *)(intptr_t)(1000 + level));
    } else {
        result = descend(level + 1) + 1; /* never returns */
    }
    pthread_cleanup_pop(0);
    return result;
}

static void *deep_exit(void *arg)
{
    (void)arg;
    descend(0);
    return (void *)1; /* not reached */
}

static void exit_from_deep_frames(void)
{
    pthread_t t;
    void *r;
    ncleanups = 0;
    CHECK_ERR(pthread_create(&t, NULL, deep_exit, NULL), 0);
    CHECK_ERR(pthread_join(t, &r), 0);
    CHECK_EQ((intptr_t)r, 1000 + DEPTH - 1);
    CHECK_EQ(ncleanups, DEPTH);
    for (int i = 0; i < DEPTH; i++)
        CHECK_EQ(cleanup_order[i], DEPTH - 1 - i);
    printf("pthread_exit %d frames deep: value %ld, %d cleanup handlers innermost first\n",
           DEPTH, (long)(intptr_t)r, ncleanups);
}

/* --- values and handles --- */

static pthread_t self_seen[JOINED];

static void *report(void *arg)
{
    int i = (int)(intptr_t)arg;
    self_seen[i] = pthread_self();
    if (i % 4 == 0)
        sched_yield();
    if (i % 2)
        pthread_exit((void *)(intptr_t)(i * 3));
    return (void *)(intptr_t)(i * 3);
}

static void values_and_handles(void)
{
    static pthread_t t[JOINED];
    spawn(t, JOINED, report);
    usleep(10 * 1000); /* some finish long before they are joined */
    long sum = 0;
    for (int i = JOINED - 1; i >= 0; i--) {
        void *r;
        CHECK_ERR(pthread_join(t[i], &r), 0);
        CHECK_EQ((intptr_t)r, i * 3);
        CHECK(pthread_equal(self_seen[i], t[i]), "thread %d: pthread_self differs", i);
        sum += (intptr_t)r;
    }
    printf("%d threads joined in reverse order: sum of values %ld, pthread_self matches\n",
           JOINED, sum);
}

int main(void)
{
    detached_run_to_completion();
    detach_join_errors();
    timed_joins();
    exit_from_deep_frames();
    values_and_handles();
    return 0;
}
