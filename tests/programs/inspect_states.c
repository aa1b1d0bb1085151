/* Threads in known states, for the live view (`mnrt top`, top.py) and
 * the gdb extension (gdb_extension.py): 100 threads named "cond-waiter"
 * parked in park_on_cond on one condition variable, 2 named "spinner"
 * running in spin_forever, one named "in-kernel" blocked in a system
 * call in block_in_kernel (opening FIFO, a FIFO nobody opens for
 * writing), one named "unseen" whose kernel thread sleeps where mnrt does
 * not see in sleep_unseen (sysmon takes its P), and the main thread
 * reading stdin. The waiters have a local
 * variable for the debugger to show (wakeups = 0). Prints "ready" once
 * every thread is about to start its wait (the tests look until each is
 * in it), then reads stdin until it ends (or it is killed: the gdb test
 * makes it abort for a core file).
 *
 * usage: inspect_states FIFO */
#include "check.h"

#include <fcntl.h>
#include <sys/stat.h>

#define WAITERS 100
#define SPINNERS 2

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int waiting, spinning, opening, unseen;
static volatile int stop;
static const char *fifo_path;

static void *park_on_cond(void *arg)
{
    CHECK_EQ(pthread_setname_np(pthread_self(), "cond-waiter"), 0);
    volatile int wakeups = 0; /* a local the debugger shows */
    pthread_mutex_lock(&mutex);
    waiting++;
    while (!stop) {
        pthread_cond_wait(&cond, &mutex);
        wakeups++;
    }
    pthread_mutex_unlock(&mutex);
    return arg;
}

static void *spin_forever(void *arg)
{
    CHECK_EQ(pthread_setname_np(pthread_self(), "spinner"), 0);
    __atomic_add_fetch(&spinning, 1, __ATOMIC_SEQ_CST);
    while (!stop)
        ;
    return arg;
}

static void *block_in_kernel(void *arg)
{
    CHECK_EQ(pthread_setname_np(pthread_self(), "in-kernel"), 0);
    __atomic_store_n(&opening, 1, __ATOMIC_SEQ_CST);
    open(fifo_path, O_RDONLY); /* no writer: blocks in the kernel */
    return arg;
}

static void *sleep_unseen(void *arg)
{
    CHECK_EQ(pthread_setname_np(pthread_self(), "unseen"), 0);
    __atomic_store_n(&unseen, 1, __ATOMIC_SEQ_CST);
    struct timespec ts = {3600, 0};
    for (;;) /* again after a signal (a request of the tests' tools may land here) */
        raw_nanosleep(&ts);
    return arg;
}

static void start(void *(*fn)(void *))
{
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, fn, NULL), 0);
    CHECK_EQ(pthread_detach(t), 0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: inspect_states FIFO");
    fifo_path = argv[1];
    unlink(fifo_path);
    CHECK_EQ(mkfifo(fifo_path, 0600), 0);
    for (int i = 0; i < WAITERS; i++)
        start(park_on_cond);
    for (int i = 0; i < SPINNERS; i++)
        start(spin_forever);
    start(block_in_kernel);
    start(sleep_unseen);
    for (;;) {
        pthread_mutex_lock(&mutex);
        int n = waiting;
        pthread_mutex_unlock(&mutex);
        if (n == WAITERS && __atomic_load_n(&spinning, __ATOMIC_SEQ_CST) == SPINNERS &&
            __atomic_load_n(&opening, __ATOMIC_SEQ_CST) &&
            __atomic_load_n(&unseen, __ATOMIC_SEQ_CST))
            break;
        usleep(1000);
    }
    printf("ready\n");
    fflush(stdout);
    char buf[256];
    while (read(0, buf, sizeof buf) > 0)
        ;
    unlink(fifo_path);
    return 0;
}
