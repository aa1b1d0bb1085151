/* Waits and wakes that meet on the same words through every path mnrt
 * serves, with threads of both kinds: 16 threads (Gs under mnrt) and the
 * threads glibc makes for a SIGEV_THREAD timer (foreign threads to mnrt,
 * made inside glibc) take, over and over,
 *   - a lock built on syscall(SYS_futex) (glibc's low-level lock protocol:
 *     parked on mnrt's wait table for a G, in the kernel for the others),
 *   - a pthread mutex (mnrt's),
 *   - a stream's lock, explicitly (flockfile) and inside fputs (glibc's own,
 *     inline: converted into a park under mnrt when it blocks).
 * A lost wake-up hangs (the failure mode); every count is checked. usage:
 * wake_paths [ROUNDS] (each thread's iterations; default 3000). */
#include "check.h"

#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#define THREADS 16

static _Atomic uint32_t word;    /* 0 free, 1 held, 2 held and waited for */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static long by_word, by_mutex, by_stream;
static atomic_long foreign_ops, g_ops;
static atomic_int stop, in_flight;

static void word_lock(void)
{
    uint32_t zero = 0;
    if (atomic_compare_exchange_strong(&word, &zero, 1))
        return;
    while (atomic_exchange(&word, 2) != 0)
        syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

static void word_unlock(void)
{
    if (atomic_exchange(&word, 0) == 2)
        syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void one_of_each(void)
{
    word_lock();
    by_word++;
    word_unlock();
    pthread_mutex_lock(&mu);
    by_mutex++;
    pthread_mutex_unlock(&mu);
    flockfile(out);
    by_stream++;
    fputc('x', out);
    funlockfile(out);
    fputs("y", out); /* glibc takes the stream's lock inside */
}

/* A notification counts itself in flight before it looks at stop, and
 * main sets stop before it waits for none to be in flight: either this
 * one sees stop, or main sees it in flight (both sequentially
 * consistent). */
static void on_timer(union sigval v)
{
    (void)v;
    atomic_fetch_add(&in_flight, 1);
    for (int i = 0; i < 20 && !atomic_load(&stop); i++) {
        one_of_each();
        atomic_fetch_add(&foreign_ops, 1);
    }
    atomic_fetch_sub(&in_flight, 1);
}

static void *worker(void *arg)
{
    long rounds = (long)(intptr_t)arg;
    for (long i = 0; i < rounds; i++) {
        one_of_each();
        atomic_fetch_add(&g_ops, 1);
        if (i % 64 == 0)
            sched_yield();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 3000;
    out = fopen("/dev/null", "w");
    CHECK(out != NULL, "fopen: %s", strerror(errno));
    setvbuf(out, NULL, _IONBF, 0); /* every character is a write made under the lock */
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_timer;
    timer_t tm;
    CHECK_EQ(timer_create(CLOCK_MONOTONIC, &ev, &tm), 0);
    struct itimerspec its = {{0, 500 * 1000}, {0, 500 * 1000}};
    CHECK_EQ(timer_settime(tm, 0, &its, NULL), 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)rounds), 0);
    join_all(t, THREADS);
    atomic_store(&stop, 1);
    CHECK_EQ(timer_delete(tm), 0);
    WAIT_UNTIL(atomic_load(&in_flight) == 0);
    long total = atomic_load(&g_ops) + atomic_load(&foreign_ops);
    word_lock();
    pthread_mutex_lock(&mu);
    flockfile(out);
    CHECK(by_word == total && by_mutex == total && by_stream == total,
          "counts %ld %ld %ld, operations %ld", by_word, by_mutex, by_stream, total);
    funlockfile(out);
    pthread_mutex_unlock(&mu);
    word_unlock();
    fprintf(stderr, "%ld operations by threads, %ld by timer threads\n",
            (long)atomic_load(&g_ops), (long)atomic_load(&foreign_ops));
    printf("%d threads and timer threads: every lock taken and released, no wake-up lost\n",
           THREADS);
    return 0;
}
