/* raise() runs the handler before it returns, also in a thread whose
 * kernel thread just slept where mnrt does not see (a nanosleep made with
 * the syscall instruction) while another thread computed: sysmon then
 * hands its P to another M, and the thread runs on without one until it
 * switches. Before the fix the signal it sent itself was only noted there,
 * for its next switch, and every later one merged with it: with one P, 20
 * raises ran 1 handler, none before raise returned (CI saw 999 of 1,000
 * in altstack under randomized scheduling). Natively: 20 and 20. */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>

#define ROUNDS 20

static volatile sig_atomic_t ran;
static atomic_int handled, stop;

static void on_usr1(int sig)
{
    (void)sig;
    ran = 1;
    atomic_fetch_add(&handled, 1);
}

static void *compute(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        ;
    return NULL;
}

int main(void)
{
    CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR, "signal");
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, compute, NULL), 0);
    int before_return = 0;
    for (int i = 0; i < ROUNDS; i++) {
        struct timespec ts = {0, 30 * 1000 * 1000};
        raw_nanosleep(&ts);
        ran = 0;
        CHECK_EQ(raise(SIGUSR1), 0);
        before_return += ran;
    }
    atomic_store(&stop, 1);
    CHECK_ERR(pthread_join(t, NULL), 0);
    printf("%d raises: %d handlers ran before raise returned, %d in all\n", ROUNDS,
           before_return, atomic_load(&handled));
    return 0;
}
