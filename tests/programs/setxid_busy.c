/* set*id calls made over and over while other threads keep the P busy
 * (4 spin, 36 sleep a millisecond at a time): each call is broadcast to
 * every kernel thread of the process (shim/setxid.c) while mnrt holds the
 * lock that keeps new Ms from being made, and sysmon hands a busy P on
 * to another M whenever its G sits in a system call. The broadcast must
 * have no scheduling point: its G may not switch away holding the lock.
 * The lock-rank build (-Dlockrank=true, .ci/run) checks that: with the
 * broadcast's system calls made through mnrt's own syscall(), its G
 * switched away holding sched.mcreate_lock (3 runs of 3). The ids set are
 * the ones the process has, so it runs as any user. */
#include "check.h"

#include <stdatomic.h>

#define SPINNERS 4
#define SLEEPERS 36
#define CALLS 500

static atomic_int stop;

static void *spin(void *arg)
{
    while (!atomic_load(&stop))
        ;
    return arg;
}

static void *nap(void *arg)
{
    while (!atomic_load(&stop))
        usleep(1000);
    return arg;
}

int main(void)
{
    pthread_t t[SPINNERS + SLEEPERS];
    for (int i = 0; i < SPINNERS + SLEEPERS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, i < SPINNERS ? spin : nap, NULL), 0);
    gid_t gid = getgid();
    uid_t uid = getuid();
    for (int i = 0; i < CALLS; i++) {
        CHECK(setgid(gid) == 0, "setgid: %s", strerror(errno));
        CHECK(setuid(uid) == 0, "setuid: %s", strerror(errno));
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < SPINNERS + SLEEPERS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    printf("%d setgid and setuid calls with %d other threads: all 0\n", CALLS,
           SPINNERS + SLEEPERS);
    return 0;
}
