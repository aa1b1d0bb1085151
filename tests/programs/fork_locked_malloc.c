/* A program with its own malloc that locks it around fork, as jemalloc
 * and tcmalloc do: its prepare handler takes the allocator's lock, its
 * parent and child handlers release it. Between the two, in the child,
 * nothing may allocate. mnrt's rebuild of the child's runtime made a TCB
 * for the child's g0 and started the child's sysmon thread there (both
 * allocate through the program's malloc, glibc's loader included), so
 * the child waited forever for the lock its own handler would release
 * next: redis 7.0 (jemalloc) with appendonly yes hung in the child of its
 * AOF rewrite, and then in its shutdown, which waits for that child.
 *
 * Nor may what a child handler that runs before the allocator's does,
 * when natively it allocates nothing: a sigaction and a poll that waits
 * started sysmon's thread there (review). Any use of the allocator in a
 * child before its handler ran is reported (and the child exits 3)
 * rather than left to hang. The parent has a
 * second thread (so sysmon runs and the child's runtime is rebuilt with
 * one), forks a few times, and each child allocates, makes and joins a
 * thread, and exits 0.
 *
 * The parent's side: nothing in it may allocate between the prepare
 * handler and the parent handler either, but the forking thread. In a
 * last fork two threads keep their kernel threads in waitid, and the
 * prepare handler, holding the allocator, readies a third and computes
 * 50 ms: under mnrt the third needs a new kernel thread. sysmon made it
 * and waited in calloc for the allocator, holding the lock of making
 * kernel threads, which the fork takes next: the parent hung (a jemalloc
 * program forking beside allocating threads hung so, one P; and mnrt's
 * own dlopen of libunwind, whose loader lock sysmon's pthread_create
 * needs, beside a G parked in this malloc). */
#include "check.h"

#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);
void *__libc_memalign(size_t, size_t);

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic pid_t forking; /* the parent's pid from prepare to its handlers */

static void lock_heap(void)
{
    if (atomic_load(&forking) && getpid() != atomic_load(&forking)) {
        static const char msg[] = "the allocator was used in the child before its fork handler\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(3);
    }
    pthread_mutex_lock(&heap_lock);
}

static void unlock_heap(void)
{
    pthread_mutex_unlock(&heap_lock);
}

void *malloc(size_t n)
{
    lock_heap();
    void *p = __libc_malloc(n);
    unlock_heap();
    return p;
}

void *calloc(size_t k, size_t n)
{
    lock_heap();
    void *p = __libc_calloc(k, n);
    unlock_heap();
    return p;
}

void *realloc(void *old, size_t n)
{
    lock_heap();
    void *p = __libc_realloc(old, n);
    unlock_heap();
    return p;
}

void free(void *p)
{
    lock_heap();
    __libc_free(p);
    unlock_heap();
}

void *memalign(size_t align, size_t n)
{
    lock_heap();
    void *p = __libc_memalign(align, n);
    unlock_heap();
    return p;
}

void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    void *p = memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

static sem_t readied;
static atomic_bool ready_one;

static void prepare(void)
{
    lock_heap();
    atomic_store(&forking, getpid());
    if (!atomic_exchange(&ready_one, false))
        return;
    CHECK_EQ(sem_post(&readied), 0);
    struct timespec end = deadline_in(CLOCK_MONOTONIC, 50);
    while (!deadline_passed(CLOCK_MONOTONIC, &end))
        ;
}

static void after(void)
{
    atomic_store(&forking, 0);
    unlock_heap();
}

static void on_usr2(int sig)
{
    (void)sig;
}

/* A child handler registered before the allocator's, so run before it. */
static void early_child(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    CHECK_EQ(sigaction(SIGUSR2, &sa, NULL), 0);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    CHECK_EQ(poll(&pf, 1, 5), 0); /* nothing comes: it waits */
    close(p[0]);
    close(p[1]);
}

static void *idle(void *arg)
{
    return arg;
}

static void *readied_one(void *arg)
{
    CHECK_EQ(sem_wait(&readied), 0);
    return arg;
}

/* Keeps its kernel thread until the child *arg exits (not reaped). */
static void *wait_in_kernel(void *arg)
{
    siginfo_t info;
    CHECK_EQ(waitid(P_PID, *(pid_t *)arg, &info, WEXITED | WNOWAIT), 0);
    return NULL;
}

static void fork_and_wait(const char *what)
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", errname(errno));
    if (pid == 0) {
        char *s = strdup("child");
        pthread_t c;
        CHECK_EQ(pthread_create(&c, NULL, idle, s), 0);
        void *r;
        CHECK_EQ(pthread_join(c, &r), 0);
        free(r);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    printf("%s: %s %d\n", what, WIFEXITED(status) ? "exited" : "killed",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* The parent's side (above). */
static void fork_with_kernel_threads_busy(void)
{
    int gate;
    pid_t holder = fork_gated_child(&gate);
    CHECK_EQ(sem_init(&readied, 0, 0), 0);
    pthread_t waiters[2], third;
    for (int i = 0; i < 2; i++)
        CHECK_EQ(pthread_create(&waiters[i], NULL, wait_in_kernel, &holder), 0);
    CHECK_EQ(pthread_create(&third, NULL, readied_one, NULL), 0);
    usleep(50 * 1000); /* the waiters in waitid, the third in sem_wait */
    atomic_store(&ready_one, true);
    fork_and_wait("child beside busy kernel threads");
    close(gate); /* the holder exits: the waiters' waitid returns */
    for (int i = 0; i < 2; i++)
        CHECK_EQ(pthread_join(waiters[i], NULL), 0);
    CHECK_EQ(pthread_join(third, NULL), 0);
    reap_exited_0(holder);
}

static void *sleeper(void *arg)
{
    int *fd = arg;
    char c;
    CHECK_EQ(read(*fd, &c, 1), 0); /* until main closes the pipe */
    return NULL;
}

int main(void)
{
    CHECK_EQ(pthread_atfork(NULL, NULL, early_child), 0);
    CHECK_EQ(pthread_atfork(prepare, after, after), 0);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, sleeper, &p[0]), 0);
    for (int i = 0; i < 3; i++) {
        char what[16];
        snprintf(what, sizeof what, "child %d", i);
        fork_and_wait(what);
    }
    close(p[1]);
    CHECK_EQ(pthread_join(t, NULL), 0);
    fork_with_kernel_threads_busy();
    return 0;
}
