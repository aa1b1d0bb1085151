/* Condition variables and their clocks: timed waits on CLOCK_REALTIME (the
 * default) and CLOCK_MONOTONIC (pthread_condattr_setclock), and
 * pthread_cond_clockwait with either clock on either kind of condvar. A
 * timeout returns ETIMEDOUT no earlier than the deadline and with the mutex
 * held again (even when another thread holds it at the deadline); a signal
 * before the deadline wakes with 0; broadcast wakes every waiter; a bad
 * tv_nsec or clock is EINVAL with the mutex still held; and a signal wakes
 * only threads that were already waiting: k signals wake exactly k of N
 * waiters, and a signal sent before a thread waits is not kept for it.
 * (Which of several waiters a signal wakes is not observable
 * deterministically natively, so FIFO order is not tested here.)
 * Programs build timeouts, thread pools and shutdown on exactly these
 * rules; mnrt converts deadlines to its own timers (docs/design.md §7). */
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#define SHORT_MS 30
#define LONG_MS 60000
#define WAITERS 50
#define SIGNALLED 10
#define SIGNALS 3

/* errorcheck: unlock returns 0 only for the owner, which shows the mutex
 * is held again after a wait */
static pthread_mutex_t mu = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_cond_t cv_rt = PTHREAD_COND_INITIALIZER; /* CLOCK_REALTIME */
static pthread_cond_t cv_mono;                          /* CLOCK_MONOTONIC */

enum how { TIMEDWAIT, CLOCKWAIT_RT, CLOCKWAIT_MONO };
static const char *const how_name[] = {"timedwait", "clockwait(REALTIME)",
                                       "clockwait(MONOTONIC)"};

static clockid_t cond_clock(pthread_cond_t *cv)
{
    return cv == &cv_mono ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

static const char *cond_name(pthread_cond_t *cv)
{
    return cv == &cv_mono ? "MONOTONIC condvar" : "REALTIME condvar";
}

static clockid_t how_clock(pthread_cond_t *cv, enum how how)
{
    return how == TIMEDWAIT ? cond_clock(cv) : how == CLOCKWAIT_RT ? CLOCK_REALTIME
                                                                   : CLOCK_MONOTONIC;
}

static int wait_until(pthread_cond_t *cv, enum how how, const struct timespec *dl)
{
    if (how == TIMEDWAIT)
        return pthread_cond_timedwait(cv, &mu, dl);
    return pthread_cond_clockwait(cv, &mu, how_clock(cv, how), dl);
}

/* --- timeouts --- */

static void timeout_returns_locked(pthread_cond_t *cv, enum how how)
{
    clockid_t clock = how_clock(cv, how);
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    struct timespec dl = deadline_in(clock, SHORT_MS);
    CHECK_ERR(wait_until(cv, how, &dl), ETIMEDOUT);
    CHECK(deadline_passed(clock, &dl), "%s %s returned before its deadline", cond_name(cv),
          how_name[how]);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    printf("%s, %s: ETIMEDOUT after the deadline, mutex held\n", cond_name(cv),
           how_name[how]);
}

/* A deadline long past (a monotonic time read as a realtime one is in
 * 1970) times out at once. */
static void past_deadline(void)
{
    struct timespec mono = deadline_in(CLOCK_MONOTONIC, 0), zero = {0, 0};
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    CHECK_ERR(pthread_cond_timedwait(&cv_rt, &mu, &mono), ETIMEDOUT);
    CHECK_ERR(pthread_cond_clockwait(&cv_mono, &mu, CLOCK_REALTIME, &mono), ETIMEDOUT);
    CHECK_ERR(pthread_cond_timedwait(&cv_mono, &mu, &zero), ETIMEDOUT);
    CHECK_ERR(pthread_cond_clockwait(&cv_rt, &mu, CLOCK_MONOTONIC, &zero), ETIMEDOUT);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    printf("past deadlines: ETIMEDOUT at once\n");
}

static void bad_arguments(void)
{
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    struct timespec dl = deadline_in(CLOCK_REALTIME, LONG_MS);
    dl.tv_nsec = 1000000000;
    CHECK_ERR(pthread_cond_timedwait(&cv_rt, &mu, &dl), EINVAL);
    CHECK_ERR(pthread_cond_clockwait(&cv_rt, &mu, CLOCK_MONOTONIC, &dl), EINVAL);
    dl.tv_nsec = -1;
    CHECK_ERR(pthread_cond_timedwait(&cv_mono, &mu, &dl), EINVAL);
    CHECK_ERR(pthread_cond_clockwait(&cv_mono, &mu, CLOCK_REALTIME, &dl), EINVAL);
    dl = deadline_in(CLOCK_MONOTONIC, LONG_MS);
    CHECK_ERR(pthread_cond_clockwait(&cv_rt, &mu, CLOCK_PROCESS_CPUTIME_ID, &dl), EINVAL);
    CHECK_ERR(pthread_cond_clockwait(&cv_mono, &mu, CLOCK_THREAD_CPUTIME_ID, &dl), EINVAL);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    printf("bad tv_nsec and clocks: EINVAL, mutex still held\n");
}

/* --- a timeout while another thread holds the mutex --- */

static int in_wait, holder_done;

static void *timeout_under_holder(void *arg)
{
    pthread_cond_t *cv = arg;
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    in_wait = 1;
    struct timespec dl = deadline_in(cond_clock(cv), SHORT_MS);
    CHECK_ERR(pthread_cond_timedwait(cv, &mu, &dl), ETIMEDOUT);
    CHECK(holder_done, "returned while another thread held the mutex");
    in_wait = 0;
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    return NULL;
}

static void timeout_waits_for_mutex(pthread_cond_t *cv)
{
    in_wait = holder_done = 0;
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, timeout_under_holder, cv), 0);
    WAIT_UNTIL(locked_read(&mu, &in_wait));
    /* hold the mutex well past the waiter's deadline */
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    struct timespec past = deadline_in(CLOCK_MONOTONIC, 3 * SHORT_MS);
    while (!deadline_passed(CLOCK_MONOTONIC, &past))
        usleep(5000);
    holder_done = 1;
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    CHECK_ERR(pthread_join(t, NULL), 0);
    CHECK(!in_wait, "waiter did not finish");
    printf("%s: a timeout while another thread holds the mutex returns after it unlocks\n",
           cond_name(cv));
}

/* --- a signal before the deadline --- */

struct waiter {
    pthread_cond_t *cv;
    enum how how;
    int waiting, go;
    int err;
};

static void *wait_for_go(void *arg)
{
    struct waiter *w = arg;
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    w->waiting = 1;
    /* a deadline far in the future on the clock the call uses */
    struct timespec dl = deadline_in(how_clock(w->cv, w->how), LONG_MS);
    w->err = 0;
    while (!w->go && w->err == 0)
        w->err = wait_until(w->cv, w->how, &dl);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    return NULL;
}

static void signal_before_deadline(pthread_cond_t *cv, enum how how)
{
    struct waiter w = {cv, how, 0, 0, -1};
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, wait_for_go, &w), 0);
    WAIT_UNTIL(locked_read(&mu, &w.waiting));
    /* it holds mu until it waits: it is waiting now */
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    w.go = 1;
    CHECK_ERR(pthread_cond_signal(cv), 0);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    CHECK_ERR(pthread_join(t, NULL), 0);
    CHECK_ERR(w.err, 0);
    printf("%s, %s: a signal before the deadline wakes with 0\n", cond_name(cv),
           how_name[how]);
}

/* --- broadcast --- */

static int nwaiting, nwoken;
static int go_all;

static void *broadcast_waiter(void *arg)
{
    int i = (int)(intptr_t)arg;
    pthread_cond_t *cv = i % 2 ? &cv_mono : &cv_rt;
    enum how how = (enum how)(i % 3);
    struct timespec dl = deadline_in(how_clock(cv, how), LONG_MS);
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    nwaiting++;
    int err = 0;
    while (!go_all && err == 0)
        err = i % 4 == 3 ? pthread_cond_wait(cv, &mu) : wait_until(cv, how, &dl);
    CHECK_ERR(err, 0);
    nwoken++;
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    return NULL;
}

static void broadcast_wakes_all(void)
{
    pthread_t t[WAITERS];
    nwaiting = nwoken = 0;
    go_all = 0;
    spawn(t, WAITERS, broadcast_waiter);
    WAIT_UNTIL(locked_read(&mu, &nwaiting) == WAITERS);
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    go_all = 1;
    CHECK_ERR(pthread_cond_broadcast(&cv_rt), 0);
    CHECK_ERR(pthread_cond_broadcast(&cv_mono), 0);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    join_all(t, WAITERS);
    CHECK_EQ(nwoken, WAITERS);
    printf("broadcast woke all %d waiters (untimed and timed, both clocks)\n", nwoken);
}

/* --- a signal wakes only threads already waiting --- */

static void *wait_once(void *arg)
{
    (void)arg;
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    nwaiting++;
    CHECK_ERR(pthread_cond_wait(&cv_rt, &mu), 0); /* no predicate: count every wake-up */
    nwoken++;
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    return NULL;
}

static void signal_wakes_only_waiters(void)
{
    /* nobody waits: the signal is lost, a later waiter times out */
    CHECK_ERR(pthread_cond_signal(&cv_rt), 0);
    CHECK_ERR(pthread_cond_broadcast(&cv_rt), 0);
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    struct timespec dl = deadline_in(CLOCK_REALTIME, SHORT_MS);
    CHECK_ERR(pthread_cond_timedwait(&cv_rt, &mu, &dl), ETIMEDOUT);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);

    /* SIGNALS signals to SIGNALLED waiters wake exactly SIGNALS of them */
    pthread_t t[SIGNALLED];
    nwaiting = nwoken = 0;
    spawn(t, SIGNALLED, wait_once);
    WAIT_UNTIL(locked_read(&mu, &nwaiting) == SIGNALLED);
    for (int i = 0; i < SIGNALS; i++)
        CHECK_ERR(pthread_cond_signal(&cv_rt), 0);
    WAIT_UNTIL(locked_read(&mu, &nwoken) == SIGNALS);
    /* a correct condvar wakes no more, however long we look */
    usleep(50 * 1000);
    CHECK_EQ(locked_read(&mu, &nwoken), SIGNALS);

    /* a thread that starts waiting after those signals is not woken by
     * them: it times out */
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    dl = deadline_in(CLOCK_REALTIME, SHORT_MS);
    CHECK_ERR(pthread_cond_timedwait(&cv_rt, &mu, &dl), ETIMEDOUT);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    CHECK_EQ(locked_read(&mu, &nwoken), SIGNALS);

    CHECK_ERR(pthread_cond_broadcast(&cv_rt), 0);
    join_all(t, SIGNALLED);
    CHECK_EQ(nwoken, SIGNALLED);
    printf("%d signals woke exactly %d of %d waiters; a signal is not kept for later "
           "waiters\n", SIGNALS, SIGNALS, SIGNALLED);
}

int main(void)
{
    pthread_condattr_t attr;
    CHECK_ERR(pthread_condattr_init(&attr), 0);
    CHECK_ERR(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC), 0);
    CHECK_ERR(pthread_cond_init(&cv_mono, &attr), 0);
    CHECK_ERR(pthread_condattr_destroy(&attr), 0);

    pthread_cond_t *cvs[] = {&cv_rt, &cv_mono};
    for (int c = 0; c < 2; c++)
        for (int h = TIMEDWAIT; h <= CLOCKWAIT_MONO; h++)
            timeout_returns_locked(cvs[c], (enum how)h);
    past_deadline();
    bad_arguments();
    for (int c = 0; c < 2; c++)
        timeout_waits_for_mutex(cvs[c]);
    for (int c = 0; c < 2; c++)
        for (int h = TIMEDWAIT; h <= CLOCKWAIT_MONO; h++)
            signal_before_deadline(cvs[c], (enum how)h);
    broadcast_wakes_all();
    signal_wakes_only_waiters();
    CHECK_ERR(pthread_cond_destroy(&cv_rt), 0);
    CHECK_ERR(pthread_cond_destroy(&cv_mono), 0);
    return 0;
}
