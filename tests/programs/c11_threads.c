/* C11 <threads.h>: glibc implements it on internal pthread functions that
 * interposition cannot reach, so mnrt serves thrd_*, mtx_*, cnd_*, tss_*
 * and call_once itself (shim/c11_threads.c). This program checks what a
 * C11 program relies on: thrd_create/join with int results, thrd_exit from
 * nested calls, thrd_detach, thrd_sleep, thrd_yield, thrd_current/equal;
 * plain, recursive and timed mutexes with thrd_busy and thrd_timedout;
 * condition variables (signal, broadcast, timed wait); tss values with
 * destructors at thread exit; call_once from many threads. */
#include "check.h"

#include <stdatomic.h>
#include <threads.h>
#include <time.h>

#define THREADS 32
#define ROUNDS 5000
#define SHORT_MS 30

/* C11 deadlines are TIME_UTC times: CLOCK_REALTIME */
static struct timespec utc_in(long ms)
{
    return deadline_in(CLOCK_REALTIME, ms);
}

/* --- threads --- */

static int exit_at_bottom = 1; /* a variable, so that the compiler sees a way back up */

static int nested_exit(int depth)
{
    if (depth == 0) {
        if (exit_at_bottom)
            thrd_exit(77);
        return 0;
    }
    return nested_exit(depth - 1) + 1;
}

static thrd_t current_seen[THREADS];

static int worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    current_seen[i] = thrd_current();
    struct timespec d = {0, 100000}, rem;
    CHECK_EQ(thrd_sleep(&d, &rem), 0);
    thrd_yield();
    if (i == 0)
        return nested_exit(10);
    return i * 2;
}

static atomic_int detached_done;

static int detached_worker(void *arg)
{
    (void)arg;
    thrd_yield();
    atomic_fetch_add(&detached_done, 1);
    return 0;
}

static void threads(void)
{
    thrd_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(thrd_create(&t[i], worker, (void *)(intptr_t)i), thrd_success);
    int sum = 0;
    for (int i = 0; i < THREADS; i++) {
        int res = -1;
        CHECK_EQ(thrd_join(t[i], &res), thrd_success);
        CHECK_EQ(res, i == 0 ? 77 : i * 2);
        CHECK(thrd_equal(t[i], current_seen[i]), "thrd_current differs in thread %d", i);
        sum += res;
    }
    CHECK(!thrd_equal(t[0], t[1]), "two threads equal");
    CHECK(thrd_equal(thrd_current(), thrd_current()), "thrd_current");
    for (int i = 0; i < THREADS; i++) {
        CHECK_EQ(thrd_create(&t[i], detached_worker, NULL), thrd_success);
        CHECK_EQ(thrd_detach(t[i]), thrd_success);
    }
    WAIT_UNTIL(atomic_load(&detached_done) == THREADS);
    printf("threads: %d joined (sum %d, thrd_exit 10 calls deep gave 77), %d detached\n",
           THREADS, sum, THREADS);
}

/* --- mutexes --- */

static mtx_t mtx;
static long counter;
static int mtx_kind;

static int try_other(void *arg)
{
    (void)arg;
    int r = mtx_trylock(&mtx);
    if (r == thrd_success)
        mtx_unlock(&mtx);
    return r;
}

static int timed_other(void *arg)
{
    (void)arg;
    struct timespec dl = utc_in(SHORT_MS);
    int r = mtx_timedlock(&mtx, &dl);
    if (r == thrd_timedout)
        CHECK(deadline_passed(CLOCK_REALTIME, &dl), "mtx_timedlock returned early");
    if (r == thrd_success)
        mtx_unlock(&mtx);
    return r;
}

/* runs fn on a C11 thread and returns its result */
static int c11_in_thread(thrd_start_t fn)
{
    thrd_t t;
    int r = -1;
    CHECK_EQ(thrd_create(&t, fn, NULL), thrd_success);
    CHECK_EQ(thrd_join(t, &r), thrd_success);
    return r;
}

static int incrementer(void *arg)
{
    int i = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        if ((mtx_kind & mtx_timed) && (r + i) % 3 == 0) {
            struct timespec dl = utc_in(60000);
            CHECK_EQ(mtx_timedlock(&mtx, &dl), thrd_success);
        } else if ((r + i) % 3 == 1) {
            while (mtx_trylock(&mtx) == thrd_busy)
                thrd_yield();
        } else {
            CHECK_EQ(mtx_lock(&mtx), thrd_success);
        }
        if (mtx_kind & mtx_recursive)
            CHECK_EQ(mtx_lock(&mtx), thrd_success);
        long v = counter;
        if (r % 64 == 0)
            thrd_yield();
        counter = v + 1;
        if (mtx_kind & mtx_recursive)
            CHECK_EQ(mtx_unlock(&mtx), thrd_success);
        CHECK_EQ(mtx_unlock(&mtx), thrd_success);
    }
    return 0;
}

static void mutex(const char *name, int kind)
{
    mtx_kind = kind;
    CHECK_EQ(mtx_init(&mtx, kind), thrd_success);
    CHECK_EQ(mtx_lock(&mtx), thrd_success);
    CHECK_EQ(c11_in_thread(try_other), thrd_busy);
    if (kind & mtx_timed)
        CHECK_EQ(c11_in_thread(timed_other), thrd_timedout);
    if (kind & mtx_recursive) {
        CHECK_EQ(mtx_trylock(&mtx), thrd_success);
        CHECK_EQ(mtx_lock(&mtx), thrd_success);
        CHECK_EQ(mtx_unlock(&mtx), thrd_success);
        CHECK_EQ(mtx_unlock(&mtx), thrd_success);
        CHECK_EQ(c11_in_thread(try_other), thrd_busy);
    } else {
        CHECK_EQ(mtx_trylock(&mtx), thrd_busy);
    }
    CHECK_EQ(mtx_unlock(&mtx), thrd_success);
    CHECK_EQ(c11_in_thread(try_other), thrd_success);

    counter = 0;
    thrd_t t[THREADS / 4];
    for (int i = 0; i < THREADS / 4; i++)
        CHECK_EQ(thrd_create(&t[i], incrementer, (void *)(intptr_t)i), thrd_success);
    for (int i = 0; i < THREADS / 4; i++)
        CHECK_EQ(thrd_join(t[i], NULL), thrd_success);
    CHECK_EQ(counter, (long)(THREADS / 4) * ROUNDS);
    mtx_destroy(&mtx);
    printf("mtx %s: thrd_busy%s; %d threads x %d increments = %ld\n", name,
           kind & mtx_timed ? ", thrd_timedout" : "", THREADS / 4, ROUNDS, counter);
}

/* --- condition variables --- */

static mtx_t cmtx;
static cnd_t cnd;
static int waiting, go, woken;

static int cnd_waiter(void *arg)
{
    int i = (int)(intptr_t)arg;
    CHECK_EQ(mtx_lock(&cmtx), thrd_success);
    waiting++;
    while (go == 0) {
        if (i % 2) {
            CHECK_EQ(cnd_wait(&cnd, &cmtx), thrd_success);
        } else {
            struct timespec dl = utc_in(60000);
            CHECK_EQ(cnd_timedwait(&cnd, &cmtx, &dl), thrd_success);
        }
    }
    woken++;
    CHECK_EQ(mtx_unlock(&cmtx), thrd_success);
    return 0;
}

static int locked_int(int *v)
{
    CHECK_EQ(mtx_lock(&cmtx), thrd_success);
    int n = *v;
    CHECK_EQ(mtx_unlock(&cmtx), thrd_success);
    return n;
}

static void condvars(void)
{
    CHECK_EQ(mtx_init(&cmtx, mtx_plain), thrd_success);
    CHECK_EQ(cnd_init(&cnd), thrd_success);

    CHECK_EQ(mtx_lock(&cmtx), thrd_success);
    struct timespec dl = utc_in(SHORT_MS);
    CHECK_EQ(cnd_timedwait(&cnd, &cmtx, &dl), thrd_timedout);
    CHECK(deadline_passed(CLOCK_REALTIME, &dl), "cnd_timedwait returned early");
    CHECK_EQ(mtx_unlock(&cmtx), thrd_success);

    thrd_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(thrd_create(&t[i], cnd_waiter, (void *)(intptr_t)i), thrd_success);
    WAIT_UNTIL(locked_int(&waiting) == THREADS);
    /* a signal lets a waiter through; a broadcast all the others */
    CHECK_EQ(mtx_lock(&cmtx), thrd_success);
    go = 1;
    CHECK_EQ(cnd_signal(&cnd), thrd_success);
    CHECK_EQ(mtx_unlock(&cmtx), thrd_success);
    WAIT_UNTIL(locked_int(&woken) >= 1);
    CHECK_EQ(mtx_lock(&cmtx), thrd_success);
    CHECK_EQ(cnd_broadcast(&cnd), thrd_success);
    CHECK_EQ(mtx_unlock(&cmtx), thrd_success);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(thrd_join(t[i], NULL), thrd_success);
    CHECK_EQ(woken, THREADS);
    cnd_destroy(&cnd);
    mtx_destroy(&cmtx);
    printf("cnd: timed wait thrd_timedout, signal and broadcast woke all %d\n", woken);
}

/* --- tss --- */

static tss_t tss;
static atomic_int tss_dtor_calls, tss_dtor_sum;

static void tss_dtor(void *v)
{
    atomic_fetch_add(&tss_dtor_calls, 1);
    atomic_fetch_add(&tss_dtor_sum, *(int *)v);
}

static int tss_user(void *arg)
{
    static int values[THREADS];
    int i = (int)(intptr_t)arg;
    CHECK(tss_get(tss) == NULL, "fresh thread has a tss value");
    values[i] = i + 1;
    CHECK_EQ(tss_set(tss, &values[i]), thrd_success);
    thrd_yield();
    struct timespec d = {0, 200000};
    thrd_sleep(&d, NULL);
    CHECK(tss_get(tss) == &values[i], "tss value changed in thread %d", i);
    return 0;
}

static void thread_specific(void)
{
    CHECK_EQ(tss_create(&tss, tss_dtor), thrd_success);
    thrd_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(thrd_create(&t[i], tss_user, (void *)(intptr_t)i), thrd_success);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(thrd_join(t[i], NULL), thrd_success);
    CHECK_EQ(atomic_load(&tss_dtor_calls), THREADS);
    CHECK_EQ(atomic_load(&tss_dtor_sum), THREADS * (THREADS + 1) / 2);
    tss_delete(tss);
    printf("tss: %d destructor calls at thread exit, values summing to %d\n",
           atomic_load(&tss_dtor_calls), atomic_load(&tss_dtor_sum));
}

/* --- call_once --- */

static once_flag flag = ONCE_FLAG_INIT;
static atomic_int once_runs, once_done;

static void once_fn(void)
{
    atomic_fetch_add(&once_runs, 1);
    struct timespec d = {0, 10 * 1000000};
    thrd_sleep(&d, NULL);
    atomic_store(&once_done, 1);
}

static int once_caller(void *arg)
{
    (void)arg;
    call_once(&flag, once_fn);
    CHECK_EQ(atomic_load(&once_done), 1);
    return 0;
}

static void once(void)
{
    thrd_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(thrd_create(&t[i], once_caller, NULL), thrd_success);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(thrd_join(t[i], NULL), thrd_success);
    CHECK_EQ(atomic_load(&once_runs), 1);
    printf("call_once: %d callers, ran once\n", THREADS);
}

int main(void)
{
    threads();
    mutex("plain", mtx_plain);
    mutex("recursive", mtx_plain | mtx_recursive);
    mutex("timed", mtx_timed);
    mutex("timed recursive", mtx_timed | mtx_recursive);
    condvars();
    thread_specific();
    once();
    return 0;
}
