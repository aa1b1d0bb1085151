/* Setting up the netpoller (syscalls/poller.c) on first need, against
 * stand-in backends whose set-up the test holds: a thread that asks for
 * the poller while another sets it up gets the poller once it is set up,
 * never "none". (Caught with the old fast path, which returned what
 * `chosen` held as soon as the set-up had begun: the second thread got
 * NULL, and its G waited as if there were no poller, looking again every
 * 10 ms.) */
#include "syscalls/poller.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static _Atomic int setting_up;   /* 1: a set-up began */
static _Atomic bool may_finish;  /* the test lets it end */
static _Atomic int inits;

static void nap(void)
{
    struct timespec ts = {0, 100 * 1000};
    nanosleep(&ts, NULL);
}

static int held_init(void)
{
    atomic_fetch_add(&inits, 1);
    atomic_store(&setting_up, 1);
    while (!atomic_load(&may_finish))
        nap();
    return 0;
}

static int refused_init(void)
{
    return ENOSYS;
}

static void wait_nothing(int64_t timeout_ns, uint64_t sigmask)
{
    (void)timeout_ns, (void)sigmask;
}

static bool poll_nothing(void)
{
    return false;
}

static void nothing(void)
{
}

const struct mn_poller mn_poller_uring = {
    .name = "held", .init = held_init, .wait = wait_nothing, .poll_now = poll_nothing,
    .wake = nothing, .forget = nothing,
};
const struct mn_poller mn_poller_epoll = {
    .name = "refused", .init = refused_init, .wait = wait_nothing, .poll_now = poll_nothing,
    .wake = nothing, .forget = nothing,
};

static void *get_main(void *arg)
{
    *(const struct mn_poller **)arg = mn_poller_get();
    return NULL;
}

Test(poller_init, a_second_caller_waits_for_the_set_up)
{
    const struct mn_poller *first = NULL, *second = NULL;
    pthread_t a, b;
    cr_assert_eq(pthread_create(&a, NULL, get_main, &first), 0);
    while (!atomic_load(&setting_up))
        nap();
    cr_assert_eq(pthread_create(&b, NULL, get_main, &second), 0);
    for (int i = 0; i < 100; i++) /* time for b to get there; it passes either way */
        nap();
    atomic_store(&may_finish, true);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    cr_assert_eq(first, &mn_poller_uring);
    cr_assert_eq(second, &mn_poller_uring, "the second caller got %s",
                 second ? second->name : "no poller");
    cr_assert_eq(atomic_load(&inits), 1);
}
