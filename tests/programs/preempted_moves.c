/* Three threads that spin without ever entering mnrt, at two Ps
 * (MNRT_PROCS=2): each is preempted every slice (docs/design.md §13),
 * and a preempted thread must be able to go on at the other P. A
 * thread preempted back into its own P's queue never did: the P whose
 * thread spun alone was never asked to yield (nobody waited for it), so
 * that thread kept a P to itself while the other two took turns at the
 * other one, for good (redis 7's I/O threads at two CPUs ran at a third
 * of their speed). Preempted threads go to the global queue, as Go's
 * do, and the P that preempted one takes the G ahead of it there, not
 * both (a share of that queue put two of the three back where they
 * were, for good). Main waits without waking meanwhile: its wake-ups
 * would move the spinners too.
 * Seen from inside: the kernel thread a thread runs on (gettid made
 * as a raw system call, not mnrt's) changes as it moves between the
 * Ps' kernel threads, which no spinner ever leaves (no system call, so
 * no handoff). Each thread counts those changes until it saw MOVES; a
 * thread that stays on one kernel thread for DEADLINE_S seconds fails
 * the test. mnrt only: natively each thread is its own kernel thread. */
#include "check.h"

#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>

#define SPINNERS 3
#define MOVES 10
#define DEADLINE_S 30

static atomic_int still_moving = SPINNERS;
static sem_t all_moved;
static atomic_bool stop;
static int moves[SPINNERS];

static long raw_gettid(void)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_gettid) : "rcx", "r11", "memory");
    return r;
}

static void *spinner(void *arg)
{
    int *moved = arg;
    long last = raw_gettid();
    volatile unsigned long x = 1;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int i = 0; i < 4096; i++)
            x = x * 6364136223846793005ul + 1442695040888963407ul;
        long now = raw_gettid();
        if (now != last && ++*moved == MOVES && atomic_fetch_sub(&still_moving, 1) == 1)
            CHECK_EQ(sem_post(&all_moved), 0);
        last = now;
    }
    return NULL;
}

int main(void)
{
    CHECK_EQ(sem_init(&all_moved, 0, 0), 0);
    pthread_t t[SPINNERS];
    for (int i = 0; i < SPINNERS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, spinner, &moves[i]), 0);
    struct timespec deadline;
    CHECK_EQ(clock_gettime(CLOCK_REALTIME, &deadline), 0);
    deadline.tv_sec += DEADLINE_S;
    int r;
    while ((r = sem_timedwait(&all_moved, &deadline)) != 0 && errno == EINTR)
        ;
    if (r != 0) {
        CHECK(errno == ETIMEDOUT, "sem_timedwait: %s", strerror(errno));
        for (int i = 0; i < SPINNERS; i++)
            fprintf(stderr, "spinner %d changed kernel threads %d times\n", i, moves[i]);
        CHECK(false, "a spinning thread stayed on its kernel thread for %d s", DEADLINE_S);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < SPINNERS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    printf("%d spinning threads each moved between kernel threads %d times or more\n", SPINNERS,
           MOVES);
    return 0;
}
