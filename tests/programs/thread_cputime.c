/* Per-thread CPU time (core/cputime.h): a thread that spins and one that
 * sleeps, on one P under mnrt (so on the same kernel threads, taking
 * turns; the test runs with 2 Ps too), each see their own CPU time with CLOCK_THREAD_CPUTIME_ID and
 * getrusage(RUSAGE_THREAD), and the main thread reads the spinner's with
 * the clock of pthread_getcpuclockid while it spins. Before, a thread got
 * its kernel thread's time (the sleeper's included the spinner's) and
 * pthread_getcpuclockid failed with ENOENT. A thread that only computes,
 * whose clock main asks for while it runs, is accounted from then on
 * (with 2 Ps it never switches). So is one whose clock main asks for
 * while it runs before it first reads its own (with 2 Ps its own reads
 * stayed at 0 for good: a spinner waiting for its clock to advance hung).
 * Only relations between CPU times are checked, never how long anything
 * took. */
#include "check.h"

#include <sys/resource.h>

#define SPIN_NS (300 * 1000000LL)

static _Atomic int spinner_at; /* 1: past a third of its spin; 2: done */
static int64_t spinner_cpu, spinner_rusage, sleeper_cpu, sleeper_rusage;

static int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    CHECK_EQ(clock_gettime(c, &ts), 0);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t rusage_ns(void)
{
    struct rusage ru;
    CHECK_EQ(getrusage(RUSAGE_THREAD, &ru), 0);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static void *spin(void *arg)
{
    (void)arg;
    volatile unsigned long x = 0;
    int64_t cpu;
    while ((cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID)) < SPIN_NS) {
        for (int i = 0; i < 100000; i++)
            x++;
        if (cpu > SPIN_NS / 3 && !spinner_at)
            spinner_at = 1;
    }
    spinner_cpu = cpu;
    spinner_rusage = rusage_ns();
    spinner_at = 2;
    return NULL;
}

static void *nap(void *arg)
{
    (void)arg;
    while (spinner_at != 2)
        usleep(5000);
    sleeper_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    sleeper_rusage = rusage_ns();
    return NULL;
}

/* Computes without ever asking for its CPU time, until told to stop. */
static _Atomic long worked;
static _Atomic int stop_working;

static void *work(void *arg)
{
    (void)arg;
    while (!stop_working)
        worked++;
    return NULL;
}

/* Runs without a system call until main has asked for its clock, then
 * reads its own before and after a fixed amount of work. */
static _Atomic int asker_state; /* 1: running; 2: main asked */
static int64_t own_before, own_after;

static void *asked_while_running(void *arg)
{
    (void)arg;
    asker_state = 1;
    while (asker_state != 2)
        ;
    own_before = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    for (volatile long i = 0; i < 50000000; i++)
        ;
    own_after = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    return NULL;
}

static const char *yes(int b)
{
    return b ? "yes" : "no";
}

int main(void)
{
    pthread_t spinner, sleeper;
    CHECK_EQ(pthread_create(&sleeper, NULL, nap, NULL), 0);
    CHECK_EQ(pthread_create(&spinner, NULL, spin, NULL), 0);
    clockid_t clk;
    CHECK_EQ(pthread_getcpuclockid(spinner, &clk), 0);
    WAIT_UNTIL(spinner_at >= 1);
    int64_t seen = clock_ns(clk), later = seen;
    if (spinner_at < 2)
        later = clock_ns(clk);
    CHECK_EQ(pthread_join(spinner, NULL), 0);
    CHECK_EQ(pthread_join(sleeper, NULL), 0);
    int64_t main_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);

    /* a thread's clock asked for while it runs (with 2 Ps it never
     * switches meanwhile) */
    pthread_t worker;
    clockid_t wclk;
    CHECK_EQ(pthread_create(&worker, NULL, work, NULL), 0);
    WAIT_UNTIL(worked > 1000);
    CHECK_EQ(pthread_getcpuclockid(worker, &wclk), 0);
    int64_t w1 = clock_ns(wclk);
    long at = worked;
    WAIT_UNTIL(worked > at + 50000000);
    int64_t w2 = clock_ns(wclk);
    stop_working = 1;
    CHECK_EQ(pthread_join(worker, NULL), 0);

    /* asked for by main while it runs, before it reads its own */
    pthread_t asked;
    clockid_t aclk;
    CHECK_EQ(pthread_create(&asked, NULL, asked_while_running, NULL), 0);
    WAIT_UNTIL(asker_state == 1);
    CHECK_EQ(pthread_getcpuclockid(asked, &aclk), 0);
    clock_ns(aclk);
    asker_state = 2;
    CHECK_EQ(pthread_join(asked, NULL), 0);

    printf("spinner's own clock reached its goal: %s\n", yes(spinner_cpu >= SPIN_NS));
    printf("its clock, read by main while it spun: past a third: %s, never backwards: %s, "
           "at most its final time: %s\n",
           yes(seen >= SPIN_NS / 3), yes(later >= seen), yes(later <= spinner_cpu));
    printf("its getrusage(RUSAGE_THREAD) is most of it: %s\n",
           yes(spinner_rusage >= spinner_cpu / 2));
    printf("sleeper's clock and getrusage are a tenth of the spinner's or less: %s, %s\n",
           yes(sleeper_cpu * 10 < spinner_cpu), yes(sleeper_rusage * 10 < spinner_cpu));
    printf("main's clock is a tenth of the spinner's or less: %s\n",
           yes(main_cpu * 10 < spinner_cpu));
    printf("a thread that computes and never asks: its clock advances while it runs: %s\n",
           yes(w2 > w1));
    printf("one asked for while it runs, then reading its own: its clock advances: %s\n",
           yes(own_after > own_before));
    fprintf(stderr, "spinner %lld (rusage %lld), seen %lld then %lld, sleeper %lld (rusage %lld), "
                    "main %lld ns, worker %lld then %lld, asked %lld then %lld\n",
            (long long)spinner_cpu, (long long)spinner_rusage, (long long)seen, (long long)later,
            (long long)sleeper_cpu, (long long)sleeper_rusage, (long long)main_cpu,
            (long long)w1, (long long)w2, (long long)own_before, (long long)own_after);
    return 0;
}
