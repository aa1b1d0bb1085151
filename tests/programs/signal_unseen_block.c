/* A thread blocks where mnrt cannot see (a raw nanosleep system call), so
 * sysmon takes its P (one P, and another thread wants it); a signal sent
 * to it meanwhile must still reach its handler, and the thread's next
 * interruptible call (poll) must not spin. Under mnrt the handler was
 * refused while the thread had no P, and poll, finding the signal
 * pending, ended its wait at once, again and again, for good (gdb's poll
 * loop spun so under load). Natively the handler runs during the sleep
 * and poll then waits out its timeout; under mnrt it may run at the
 * poll: the output says only that it ran and that poll returned. */
#include "check.h"

#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>

static atomic_int handled;
static atomic_bool sleeping;

static void on_usr1(int sig)
{
    (void)sig;
    atomic_store(&handled, 1);
}

static void *unseen(void *arg)
{
    int *pipefd = arg;
    atomic_store(&sleeping, true);
    struct timespec ts = {0, 300 * 1000 * 1000};
    raw_nanosleep(&ts);
    struct pollfd pf = {.fd = pipefd[0], .events = POLLIN};
    int r = poll(&pf, 1, 1000);
    CHECK(r == 0 || (r == -1 && errno == EINTR), "poll: %d, errno %d", r, errno);
    return NULL;
}

int main(void)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, unseen, p), 0);
    while (!atomic_load(&sleeping))
        usleep(1000);
    usleep(100 * 1000); /* it sleeps unseen: sysmon takes its P for this thread */
    CHECK_EQ(pthread_kill(t, SIGUSR1), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    printf("handler ran: %s; poll returned\n", atomic_load(&handled) ? "yes" : "no");
    return 0;
}
