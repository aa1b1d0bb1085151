/* A thread that waits on a process-shared object sleeps in the kernel
 * (another process wakes it), and under mnrt its P must go on meanwhile:
 * handed off as around a blocking system call, never kept by a kernel
 * thread asleep, for sysmon to find and take as a block it cannot see
 * (issue 10, item 3). Run with one P: while the thread waits, the main
 * thread needs that P to tell the other process (forked) to release the
 * object. Under mnrt the wait must not count in mnrt_get_stats'
 * unseen_blocks (each did, one per wait: a plain futex system call with
 * the P held), and Ps must have been handed off. */
#include "check.h"

#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>

struct shm {
    _Atomic int held, blocking, progress;
    sem_t sem;
    pthread_mutex_t m;
    pthread_cond_t c;
    int flag; /* under m */
    pthread_rwlock_t rw;
    pthread_barrier_t b;
};

static struct shm *s;

static struct timespec limit(void)
{
    return deadline_in(CLOCK_REALTIME, 60000);
}

/* --- each kind: set up (parent), take (other), wait (a parent thread),
 * let the waiter go (other) --- */

static void sem_setup(void)
{
    CHECK_EQ(sem_init(&s->sem, 1, 0), 0);
}
static void sem_wait_(void)
{
    struct timespec t = limit();
    CHECK(sem_timedwait(&s->sem, &t) == 0, "sem_timedwait: %s", strerror(errno));
}
static void sem_release(void)
{
    CHECK_EQ(sem_post(&s->sem), 0);
}

static void init_mutex(int robust, int protocol)
{
    pthread_mutexattr_t a;
    CHECK_EQ(pthread_mutexattr_init(&a), 0);
    CHECK_EQ(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_mutexattr_setrobust(&a, robust), 0);
    CHECK_EQ(pthread_mutexattr_setprotocol(&a, protocol), 0);
    CHECK_EQ(pthread_mutex_init(&s->m, &a), 0);
}
static void mutex_setup(void)
{
    init_mutex(PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE);
}
static void mutex_take(void)
{
    CHECK_ERR(pthread_mutex_lock(&s->m), 0);
}
static void mutex_wait(void)
{
    struct timespec t = limit();
    CHECK_ERR(pthread_mutex_timedlock(&s->m, &t), 0);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
}
static void mutex_release(void)
{
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
}
static void robust_setup(void)
{
    init_mutex(PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE);
}
static void pi_setup(void)
{
    init_mutex(PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_INHERIT);
}

static void cond_setup(void)
{
    mutex_setup();
    pthread_condattr_t a;
    CHECK_EQ(pthread_condattr_init(&a), 0);
    CHECK_EQ(pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_cond_init(&s->c, &a), 0);
}
static void cond_wait_(void)
{
    struct timespec t = limit();
    CHECK_ERR(pthread_mutex_lock(&s->m), 0);
    while (!s->flag)
        CHECK_ERR(pthread_cond_timedwait(&s->c, &s->m, &t), 0);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
}
static void cond_release(void)
{
    CHECK_ERR(pthread_mutex_lock(&s->m), 0);
    s->flag = 1;
    CHECK_ERR(pthread_cond_signal(&s->c), 0);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
}

static void rwlock_setup(void)
{
    pthread_rwlockattr_t a;
    CHECK_EQ(pthread_rwlockattr_init(&a), 0);
    CHECK_EQ(pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_rwlock_init(&s->rw, &a), 0);
}
static void rwlock_take(void)
{
    CHECK_ERR(pthread_rwlock_wrlock(&s->rw), 0);
}
static void rwlock_wait(void)
{
    struct timespec t = limit();
    CHECK_ERR(pthread_rwlock_timedrdlock(&s->rw, &t), 0);
    CHECK_ERR(pthread_rwlock_unlock(&s->rw), 0);
}
static void rwlock_release(void)
{
    CHECK_ERR(pthread_rwlock_unlock(&s->rw), 0);
}

static void barrier_setup(void)
{
    pthread_barrierattr_t a;
    CHECK_EQ(pthread_barrierattr_init(&a), 0);
    CHECK_EQ(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_barrier_init(&s->b, &a, 2), 0);
}
static void barrier_wait(void) /* the alarm bounds it */
{
    int r = pthread_barrier_wait(&s->b);
    CHECK(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD, "pthread_barrier_wait: %d", r);
}

static void nothing(void)
{
}

static const struct kind {
    const char *name;
    void (*setup)(void), (*take)(void), (*wait)(void), (*release)(void);
} kinds[] = {
    {"semaphore", sem_setup, nothing, sem_wait_, sem_release},
    {"mutex", mutex_setup, mutex_take, mutex_wait, mutex_release},
    {"robust mutex", robust_setup, mutex_take, mutex_wait, mutex_release},
    {"PI mutex", pi_setup, mutex_take, mutex_wait, mutex_release},
    {"condvar", cond_setup, nothing, cond_wait_, cond_release},
    {"rwlock", rwlock_setup, rwlock_take, rwlock_wait, rwlock_release},
    {"barrier", barrier_setup, nothing, barrier_wait, barrier_wait},
};

static const struct kind *kind;

/* The other process: takes the object, and lets the waiter go once the
 * main thread could run while it waited. */
static void other(void)
{
    alarm(120);
    kind->take();
    atomic_store(&s->held, 1);
    WAIT_UNTIL(atomic_load(&s->progress));
    kind->release();
}

static void *waiter(void *arg)
{
    (void)arg;
    atomic_store(&s->blocking, 1);
    kind->wait();
    return NULL;
}

static void stats(struct mnrt_stats *st)
{
    memset(st, 0, sizeof *st);
    st->size = sizeof *st;
    int (*get)(struct mnrt_stats *) =
        (int (*)(struct mnrt_stats *))dlsym(RTLD_DEFAULT, "mnrt_get_stats");
    if (get)
        CHECK_EQ(get(st), 0);
}

int main(void)
{
    alarm(120);
    s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(s != MAP_FAILED, "mmap: %s", strerror(errno));
    int64_t handoffs = 0;
    for (kind = kinds; kind < kinds + sizeof kinds / sizeof *kinds; kind++) {
        memset(s, 0, sizeof *s);
        kind->setup();
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            other();
            _exit(0);
        }
        WAIT_UNTIL(atomic_load(&s->held));
        struct mnrt_stats before, after;
        stats(&before);
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, waiter, NULL), 0);
        WAIT_UNTIL(atomic_load(&s->blocking));
        atomic_store(&s->progress, 1); /* this thread ran while the other waited */
        CHECK_EQ(pthread_join(t, NULL), 0);
        stats(&after);
        int status;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the other process failed");
        CHECK(after.unseen_blocks == before.unseen_blocks,
              "%s: %lld blocks mnrt did not see, its P held by a sleeping kernel thread",
              kind->name, (long long)(after.unseen_blocks - before.unseen_blocks));
        handoffs += after.handoffs - before.handoffs;
        printf("%s: waited for another process, its P not held\n", kind->name);
    }
    if (under_mnrt())
        CHECK(handoffs > 0, "no P was handed off");
    return 0;
}
