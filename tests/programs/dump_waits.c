/* Threads parked in every kind of wait mnrt knows, for the thread dump
 * tests (dump.py, core/dump.h). Each thread has its own function (which
 * the dump must find in its stack) and name; the program prints, one per
 * line, "NAME WHAT" with what the dump must say the thread waits for
 * (object addresses as %p prints them), then "ready", and waits until
 * stdin closes. Modes:
 *   waits FIFO    one thread in each kind of wait (FIFO: a path for a
 *                 FIFO that nobody opens for writing: a system call that
 *                 blocks in the kernel)
 *   many N        N threads waiting on one condition variable
 *   self          mnrt_dump(1) from a thread, then exit
 *   churn         threads on stacks of the program's own that it unmaps
 *                 once they are joined, made and joined without end: a
 *                 dump reads stacks that vanish under it (until stdin
 *                 closes; then it prints how many it made)
 * Run natively too: the dump tool must refuse a native process. */
#include "check.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t barrier;
static sem_t sem, once_gate;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic uint32_t futex_word;
static int pipe_rd[2], pipe_wr[2], poll_a[2], poll_b[2], listener, epfd;
static const char *fifo_path;
static pthread_t sleeper_thread;
static volatile int spin = 1;

static void name_self(const char *name)
{
    CHECK_EQ(pthread_setname_np(pthread_self(), name), 0);
}

static void *wait_on_mutex(void *arg)
{
    name_self("w-mutex");
    pthread_mutex_lock(&mutex);
    return arg;
}

static void *wait_on_cond(void *arg)
{
    name_self("w-cond");
    pthread_mutex_lock(&cond_mutex);
    for (;;)
        pthread_cond_wait(&cond, &cond_mutex);
    return arg;
}

static void *wait_to_read_rwlock(void *arg)
{
    name_self("w-rdlock");
    pthread_rwlock_rdlock(&rwlock);
    return arg;
}

static void *wait_to_write_rwlock(void *arg)
{
    name_self("w-wrlock");
    pthread_rwlock_wrlock(&rwlock);
    return arg;
}

static void *wait_at_barrier(void *arg)
{
    name_self("w-barrier");
    pthread_barrier_wait(&barrier);
    return arg;
}

static void *wait_on_semaphore(void *arg)
{
    name_self("w-sem");
    sem_wait(&sem);
    return arg;
}

static void *wait_on_futex(void *arg)
{
    name_self("w-futex");
    syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return arg;
}

static _Atomic int in_init;

static void init_once_slowly(void)
{
    in_init = 1;
    sem_wait(&once_gate); /* the first caller stays in the init routine */
    in_init = 2;          /* (no tail call: its frame stays on the stack) */
}

static void *run_once_first(void *arg)
{
    name_self("w-once-init");
    pthread_once(&once, init_once_slowly);
    return arg;
}

static void *wait_on_once(void *arg)
{
    name_self("w-once");
    pthread_once(&once, init_once_slowly);
    return arg;
}

static void *wait_to_read_fd(void *arg)
{
    name_self("w-read");
    char c;
    CHECK(read(pipe_rd[0], &c, 1) >= 0, "read");
    return arg;
}

static void *wait_to_write_fd(void *arg)
{
    name_self("w-write");
    char c = 0;
    CHECK(write(pipe_wr[1], &c, 1) >= 0, "write");
    return arg;
}

static void *wait_to_accept(void *arg)
{
    name_self("w-accept");
    accept(listener, NULL, NULL);
    return arg;
}

static void *wait_in_poll(void *arg)
{
    name_self("w-poll");
    struct pollfd p[2] = {{poll_a[0], POLLIN, 0}, {poll_b[0], POLLIN, 0}};
    poll(p, 2, -1);
    return arg;
}

static void *wait_in_epoll(void *arg)
{
    name_self("w-epoll");
    struct epoll_event ev;
    epoll_wait(epfd, &ev, 1, -1);
    return arg;
}

static void *sleep_long(void *arg)
{
    name_self("w-sleep");
    sleep(3600);
    return arg;
}

static void *wait_to_join(void *arg)
{
    name_self("w-join");
    pthread_join(sleeper_thread, NULL);
    return arg;
}

static void *block_in_kernel(void *arg)
{
    name_self("w-syscall");
    open(fifo_path, O_RDONLY); /* no writer: blocks in the kernel */
    return arg;
}

/* Blocks its kernel thread where mnrt does not see (a nanosleep made with
 * the syscall instruction itself, again after a signal: the dump's own
 * request may land on its kernel thread): sysmon takes its P, and the
 * dump says so (it named the P the kernel thread had held before). */
static void *sleep_unseen(void *arg)
{
    name_self("w-unseen");
    struct timespec ts = {3600, 0};
    for (;;)
        raw_nanosleep(&ts);
    return arg;
}

static void *keep_running(void *arg)
{
    name_self("w-running");
    while (spin)
        __asm__ volatile("" ::: "memory");
    return arg;
}

/* A thread interrupted by a signal whose handler waits for good: its
 * stack goes through the signal frame to the function it interrupted.
 * (Its handler waits on a semaphore rather than spin: a thread in a
 * handler cannot be preempted, and one that kept its P for good would
 * starve a thread queued on that P.) */
static volatile int in_loop;
static sem_t handler_sem;

static void wait_in_handler(int sig)
{
    (void)sig;
    while (spin)
        sem_wait(&handler_sem);
}

/* The interrupted loop is its function's first instruction, so that the
 * frame after the signal frame is named right only from its exact pc (a
 * return address's pc - 1 would fall before the function). */
__asm__(".text\n"
        ".p2align 4\n"
        ".type loop_at_entry, @function\n"
        "loop_at_entry:\n"
        ".cfi_startproc\n"
        "1: jmp 1b\n"
        ".cfi_endproc\n"
        ".size loop_at_entry, .-loop_at_entry\n");
void loop_at_entry(void);

static void *spin_until_signalled(void *arg)
{
    name_self("w-handler");
    in_loop = 1;
    loop_at_entry();
    return arg;
}

static pthread_t start(void *(*fn)(void *))
{
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, fn, NULL), 0);
    return t;
}

static void wait_for_stdin_eof(void)
{
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof buf) > 0)
        ;
}

static void waits(const char *fifo)
{
    fifo_path = fifo;
    unlink(fifo);
    CHECK_EQ(mkfifo(fifo, 0600), 0);
    CHECK_EQ(pthread_barrier_init(&barrier, NULL, 2), 0);
    CHECK_EQ(sem_init(&sem, 0, 0), 0);
    CHECK_EQ(sem_init(&once_gate, 0, 0), 0);
    CHECK_EQ(pipe(pipe_rd), 0);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pipe_wr), 0);
    /* fill the socket so that the next write waits */
    CHECK_EQ(fcntl(pipe_wr[1], F_SETFL, O_NONBLOCK), 0);
    char junk[4096] = {0};
    while (write(pipe_wr[1], junk, sizeof junk) > 0)
        ;
    CHECK_EQ(fcntl(pipe_wr[1], F_SETFL, 0), 0);
    CHECK_EQ(pipe(poll_a), 0);
    CHECK_EQ(pipe(poll_b), 0);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ(bind(listener, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(listen(listener, 1), 0);
    epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    CHECK_EQ(epoll_ctl(epfd, EPOLL_CTL_ADD, poll_a[0], &ev), 0);

    pthread_mutex_lock(&mutex);
    pthread_rwlock_wrlock(&rwlock);
    start(wait_on_mutex);
    start(wait_on_cond);
    start(wait_to_read_rwlock);
    start(wait_to_write_rwlock);
    start(wait_at_barrier);
    start(wait_on_semaphore);
    start(wait_on_futex);
    start(run_once_first);
    WAIT_UNTIL(in_init == 1); /* then the other one waits for it */
    start(wait_on_once);
    start(wait_to_read_fd);
    start(wait_to_write_fd);
    start(wait_to_accept);
    start(wait_in_poll);
    start(wait_in_epoll);
    sleeper_thread = start(sleep_long);
    start(wait_to_join);
    start(block_in_kernel);
    start(keep_running);
    start(sleep_unseen);
    CHECK_EQ(sem_init(&handler_sem, 0, 0), 0);
    signal(SIGUSR1, wait_in_handler);
    pthread_t handled = start(spin_until_signalled);
    WAIT_UNTIL(in_loop);
    CHECK_EQ(pthread_kill(handled, SIGUSR1), 0);

    printf("w-mutex mutex %p\n", (void *)&mutex);
    printf("w-cond cond %p\n", (void *)&cond);
    printf("w-rdlock rwlock %p (read)\n", (void *)&rwlock);
    printf("w-wrlock rwlock %p (write)\n", (void *)&rwlock);
    printf("w-barrier barrier %p\n", (void *)&barrier);
    printf("w-sem semaphore %p\n", (void *)&sem);
    printf("w-futex futex %p\n", (void *)&futex_word);
    printf("w-once-init semaphore %p\n", (void *)&once_gate);
    printf("w-once pthread_once %p\n", (void *)&once);
    printf("w-read fd %d read\n", pipe_rd[0]);
    printf("w-write fd %d write\n", pipe_wr[1]);
    printf("w-accept accept on fd %d\n", listener);
    printf("w-poll poll on 2 fds\n");
    printf("w-epoll epoll_wait on fd %d\n", epfd);
    printf("w-sleep sleep\n");
    printf("w-join join of thread\n");
    printf("w-syscall system call on M\n");
    printf("w-running running on M\n");
    printf("w-unseen running on M, which lost its P: blocked where mnrt does not see\n");
    printf("w-handler semaphore %p\n", (void *)&handler_sem);
    wait_for_stdin_eof();
    unlink(fifo);
    _exit(0); /* the waiters wait for good */
}

static void *wait_many(void *arg)
{
    pthread_mutex_lock(&cond_mutex);
    for (;;)
        pthread_cond_wait(&cond, &cond_mutex);
    return arg;
}

static void many(int n)
{
    for (int i = 0; i < n; i++) {
        pthread_t t = start(wait_many);
        CHECK_EQ(pthread_detach(t), 0);
    }
    printf("many cond %p\n", (void *)&cond);
    wait_for_stdin_eof();
    _exit(0);
}

static void *churner(void *arg)
{
    for (int i = 0; i < 3; i++)
        sched_yield();
    return arg;
}

static _Atomic int stdin_closed;

static void *watch_stdin(void *arg)
{
    char buf[64];
    while (read(0, buf, sizeof buf) > 0)
        ;
    stdin_closed = 1;
    return arg;
}

static void churn(void)
{
    enum { N = 8, STACK = 64 * 1024 };
    pthread_t watcher = start(watch_stdin);
    printf("ready\n");
    fflush(stdout);
    long made = 0;
    while (!stdin_closed) {
        pthread_t t[N];
        void *stacks[N];
        for (int i = 0; i < N; i++) {
            stacks[i] = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                             -1, 0);
            CHECK(stacks[i] != MAP_FAILED, "mmap");
            pthread_attr_t a;
            pthread_attr_init(&a);
            CHECK_EQ(pthread_attr_setstack(&a, stacks[i], STACK), 0);
            CHECK_EQ(pthread_create(&t[i], &a, churner, NULL), 0);
            pthread_attr_destroy(&a);
        }
        for (int i = 0; i < N; i++) {
            CHECK_EQ(pthread_join(t[i], NULL), 0);
            CHECK_EQ(munmap(stacks[i], STACK), 0);
        }
        made += N;
    }
    pthread_join(watcher, NULL);
    printf("made %s\n", made > 0 ? "some" : "none");
}

static void *dump_myself(void *arg)
{
    name_self("dumper");
    int (*dump)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "mnrt_dump");
    if (!dump) {
        printf("mnrt_dump: none (native)\n");
        return arg;
    }
    fflush(stdout);
    CHECK_EQ(dump(1), 0);
    return arg;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "waits") == 0)
        waits(argv[2]);
    if (argc == 3 && strcmp(argv[1], "many") == 0)
        many(atoi(argv[2]));
    if (argc == 2 && strcmp(argv[1], "churn") == 0) {
        churn();
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "self") == 0) {
        pthread_t t = start(dump_myself);
        CHECK_EQ(pthread_join(t, NULL), 0);
        return 0;
    }
    fprintf(stderr, "usage: %s waits FIFO | many N | self | churn\n", argv[0]);
    return 2;
}
