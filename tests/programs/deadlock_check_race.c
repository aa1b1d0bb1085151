/* A thread about to wait for something mnrt watches is no deadlock, also
 * when it starts that wait while the deadlock check runs. Thread A
 * sleeps where mnrt does not see (a nanosleep made with the syscall
 * instruction), so that sysmon hands its P on while B computes; B then
 * waits for A on a condition variable, which leaves every P idle and
 * sends an idle M into the deadlock check, just as A wakes, arms a
 * timerfd and waits to read it. The check had read "no thread waits for
 * I/O" before A's wait began and "every thread is parked" after: it
 * reported a deadlock (exit 2) of a program about to go on (CI saw it
 * in spawn_many, with posix_spawn's clone as the unseen block). Each
 * round moves B's wait a few microseconds against A's wake-up, to sweep
 * the check's window. Natively: every round ends. */
#include "check.h"

#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>

#define ROUNDS 40
#define SLEEP_NS (30 * 1000 * 1000)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int rounds_done;                /* under mu */
static _Atomic int started = -1;       /* the round A has begun */
static _Atomic int64_t wakes_at;       /* when A's unseen sleep ends */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* the pipes to and from the child, which answers each byte 20 ms later */
static int ask[2], answer[2];

static void child(void)
{
    close(ask[1]);
    close(answer[0]);
    char c;
    while (read(ask[0], &c, 1) == 1) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        CHECK_EQ(write(answer[1], &c, 1), 1);
    }
    _exit(0);
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        atomic_store(&wakes_at, now_ns() + SLEEP_NS);
        atomic_store(&started, i);
        struct timespec ts = {0, SLEEP_NS};
        raw_nanosleep(&ts);
        char c = 'x';
        CHECK_EQ(write(ask[1], &c, 1), 1);
        CHECK_EQ(read(answer[0], &c, 1), 1);
        pthread_mutex_lock(&mu);
        rounds_done = i + 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

static void *computer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        while (atomic_load(&started) < i)
            ;
        /* from 50 us before A's wake-up to 150 us after it */
        int64_t until = atomic_load(&wakes_at) - 50000 + (int64_t)i * 200000 / ROUNDS;
        while (now_ns() < until)
            ;
        pthread_mutex_lock(&mu);
        while (rounds_done <= i)
            pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(void)
{
    CHECK_EQ(pipe(ask), 0);
    CHECK_EQ(pipe(answer), 0);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0)
        child();
    close(ask[0]);
    close(answer[1]);
    pthread_t a, b;
    CHECK_ERR(pthread_create(&a, NULL, sleeper, NULL), 0);
    CHECK_ERR(pthread_create(&b, NULL, computer, NULL), 0);
    CHECK_ERR(pthread_join(a, NULL), 0);
    CHECK_ERR(pthread_join(b, NULL), 0);
    close(ask[1]);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
    printf("%d rounds\n", rounds_done);
    return 0;
}
