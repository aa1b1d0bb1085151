/* pthread_cancel (deferred) at each cancellation point mnrt parks in: a
 * thread blocks in the call inside pthread_cleanup_push; another cancels
 * it. Each line says whether the thread ended canceled (pthread_join gives
 * PTHREAD_CANCELED) and its cleanup handler ran; for pthread_cond_wait,
 * whether the mutex was held again when the handler ran. Also: a thread
 * that disables cancellation is canceled only when it enables it and
 * reaches pthread_testcancel, and threads in loops of calls that never
 * wait are canceled at the next call. Under mnrt pthread_cancel did
 * nothing: the join hung (and the loops went on, canceled only where a
 * call waited); later, calls the kernel blocks in with the P handed off
 * (waitpid, a tty's read, open of a FIFO, fcntl F_SETLKW) went on
 * blocking and the join hung, as it did for an asynchronously cancelable
 * thread that spins. */
#include "check.h"
#include "../io/loopback.h"

#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct ctx {
    int p[2], full[2], sv[2], ls, tty;
    pid_t child;
    char fifo[64], lockfile[64];
    sem_t sem;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t other;
    bool cleaned, mutex_held, closed;
};

static struct ctx c;

static void cleanup(void *arg)
{
    (void)arg;
    c.cleaned = true;
}

static void cleanup_cond(void *arg)
{
    (void)arg;
    c.cleaned = true;
    c.mutex_held = pthread_mutex_trylock(&c.mu) == EBUSY;
    pthread_mutex_unlock(&c.mu);
}

static void *forever(void *arg)
{
    (void)arg;
    while (sem_wait(&c.sem) != 0)
        ;
    return NULL;
}

static void point(const char *name)
{
    char b[4096] = {0};
    if (!strcmp(name, "read"))
        read(c.p[0], b, 1);
    else if (!strcmp(name, "write"))
        write(c.full[1], b, sizeof b);
    else if (!strcmp(name, "recv"))
        recv(c.sv[0], b, 1, 0);
    else if (!strcmp(name, "accept"))
        accept(c.ls, NULL, NULL);
    else if (!strcmp(name, "poll")) {
        struct pollfd pf = {.fd = c.p[0], .events = POLLIN};
        poll(&pf, 1, -1);
    } else if (!strcmp(name, "select")) {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(c.p[0], &r);
        select(c.p[0] + 1, &r, NULL, NULL, NULL);
    } else if (!strcmp(name, "epoll_wait")) {
        int ep = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN};
        epoll_ctl(ep, EPOLL_CTL_ADD, c.p[0], &ev);
        epoll_wait(ep, &ev, 1, -1);
    } else if (!strcmp(name, "sleep"))
        sleep(1000);
    else if (!strcmp(name, "nanosleep")) {
        struct timespec ts = {1000, 0};
        nanosleep(&ts, NULL);
    } else if (!strcmp(name, "sem_wait"))
        sem_wait(&c.sem);
    else if (!strcmp(name, "pthread_join"))
        pthread_join(c.other, NULL);
    else if (!strcmp(name, "sigsuspend")) {
        sigset_t none;
        sigemptyset(&none);
        sigsuspend(&none);
    } else if (!strcmp(name, "pause")) {
        pause();
    } else if (!strcmp(name, "waitpid")) { /* the kernel blocks: handed off */
        waitpid(c.child, NULL, 0);
    } else if (!strcmp(name, "read a tty")) {
        read(c.tty, b, 1);
    } else if (!strcmp(name, "open a FIFO")) {
        open(c.fifo, O_RDONLY);
    } else if (!strcmp(name, "fcntl F_SETLKW")) {
        int fd = open(c.lockfile, O_RDWR);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        fcntl(fd, F_SETLKW, &fl);
    } else if (!strcmp(name, "read /dev/zero")) { /* never waits */
        int z = open("/dev/zero", O_RDONLY);
        for (;;)
            read(z, b, sizeof b);
    } else if (!strcmp(name, "write to a socket")) { /* never waits */
        for (;;) {
            write(c.sv[0], b, 1);
            recv(c.sv[1], b, 1, 0);
        }
    } else
        CHECK(0, "unknown point %s", name);
}

static void *blocked_in(void *arg)
{
    const char *name = arg;
    if (!strcmp(name, "pthread_cond_wait")) {
        pthread_mutex_lock(&c.mu);
        pthread_cleanup_push(cleanup_cond, NULL);
        for (;;)
            pthread_cond_wait(&c.cv, &c.mu);
        pthread_cleanup_pop(0);
    }
    pthread_cleanup_push(cleanup, NULL);
    point(name);
    pthread_cleanup_pop(0);
    return NULL;
}

/* Canceled while cancellation is disabled: goes on until it enables it
 * and reaches pthread_testcancel, or close (which acts before it closes:
 * the fd stays open). */
static void *disabled_for_a_while(void *arg)
{
    const char *name = arg;
    int old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    pthread_cleanup_push(cleanup, NULL);
    usleep(100 * 1000); /* canceled meanwhile: goes on */
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    if (strstr(name, "close"))
        c.closed = close(c.p[0]) == 0;
    else
        pthread_testcancel();
    pthread_cleanup_pop(0);
    return NULL;
}

/* What the calls the kernel blocks in wait for: a child that never exits,
 * a pseudo-terminal nobody types into, a FIFO without a writer, a file
 * whose lock a child holds. */
static void kernel_blocked_setup(const char *name)
{
    int ready[2];
    c.child = -1;
    c.tty = -1;
    if (!strcmp(name, "waitpid") || !strcmp(name, "fcntl F_SETLKW")) {
        snprintf(c.lockfile, sizeof c.lockfile, "/tmp/mnrt-cancel-lock.%d", (int)getpid());
        int fd = open(c.lockfile, O_RDWR | O_CREAT | O_TRUNC, 0600);
        CHECK(fd >= 0, "open %s", c.lockfile);
        CHECK_EQ(pipe(ready), 0);
        c.child = fork();
        if (c.child == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* not left behind by a failed run */
            struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
            if (fcntl(fd, F_SETLK, &fl) == 0)
                write(ready[1], "x", 1);
            for (;;)
                pause();
        }
        char x;
        CHECK_EQ(read(ready[0], &x, 1), 1); /* the lock is the child's */
        close(ready[0]);
        close(ready[1]);
        close(fd);
    } else if (!strcmp(name, "read a tty")) {
        int m = posix_openpt(O_RDWR | O_NOCTTY);
        CHECK(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0, "a pseudo-terminal");
        c.tty = open(ptsname(m), O_RDWR | O_NOCTTY);
        CHECK(c.tty >= 0, "open %s", ptsname(m));
        c.child = m; /* closed at teardown */
    } else if (!strcmp(name, "open a FIFO")) {
        snprintf(c.fifo, sizeof c.fifo, "/tmp/mnrt-cancel-fifo.%d", (int)getpid());
        unlink(c.fifo);
        CHECK_EQ(mkfifo(c.fifo, 0600), 0);
    }
}

static void kernel_blocked_teardown(void)
{
    if (c.tty >= 0) {
        close(c.tty);
        close(c.child);
    } else if (c.child > 0) {
        kill(c.child, SIGKILL);
        waitpid(c.child, NULL, 0);
    }
    if (c.fifo[0])
        unlink(c.fifo);
    if (c.lockfile[0])
        unlink(c.lockfile);
}

/* Asynchronous cancellation of a thread that only computes: natively
 * glibc's signal unwinds it wherever it is. */
static void *async_spinner(void *arg)
{
    (void)arg;
    static volatile unsigned long spins;
    int old;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    pthread_cleanup_push(cleanup, NULL);
    for (;;)
        spins++;
    pthread_cleanup_pop(0);
    return NULL;
}

static void one(const char *name, void *(*fn)(void *))
{
    memset(&c, 0, sizeof c);
    CHECK_EQ(pipe(c.p), 0);
    CHECK_EQ(pipe(c.full), 0);
    fcntl(c.full[1], F_SETFL, O_NONBLOCK);
    char b[4096] = {0};
    while (write(c.full[1], b, sizeof b) > 0)
        ;
    fcntl(c.full[1], F_SETFL, 0);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, c.sv), 0);
    struct sockaddr_in a;
    c.ls = listener(&a);
    sem_init(&c.sem, 0, 0);
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    if (!strcmp(name, "pthread_join"))
        pthread_create(&c.other, NULL, forever, NULL);
    kernel_blocked_setup(name);
    pthread_t t;
    pthread_create(&t, NULL, fn, (void *)name);
    usleep(30 * 1000);
    CHECK_EQ(pthread_cancel(t), 0);
    void *r;
    CHECK_EQ(pthread_join(t, &r), 0);
    printf("%-18s canceled: %s, cleanup ran: %s", name, r == PTHREAD_CANCELED ? "yes" : "no",
           c.cleaned ? "yes" : "no");
    if (!strcmp(name, "pthread_cond_wait"))
        printf(", mutex held in it: %s", c.mutex_held ? "yes" : "no");
    if (strstr(name, "close"))
        printf(", fd still open: %s", !c.closed && fcntl(c.p[0], F_GETFD) >= 0 ? "yes" : "no");
    printf("\n");
    if (!strcmp(name, "pthread_join")) {
        sem_post(&c.sem);
        pthread_join(c.other, NULL);
    }
    kernel_blocked_teardown();
    int fds[] = {c.p[0], c.p[1], c.full[0], c.full[1], c.sv[0], c.sv[1], c.ls};
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        close(fds[i]);
}

int main(void)
{
    const char *points[] = {"read",      "write",      "recv",     "accept",       "poll",
                            "select",    "epoll_wait", "sleep",    "nanosleep",    "sem_wait",
                            "pthread_join", "sigsuspend", "pause", "pthread_cond_wait",
                            "waitpid", "read a tty", "open a FIFO", "fcntl F_SETLKW",
                            "read /dev/zero", "write to a socket"};
    for (size_t i = 0; i < sizeof points / sizeof *points; i++)
        one(points[i], blocked_in);
    one("disabled, then testcancel", disabled_for_a_while);
    one("disabled, then close", disabled_for_a_while);
    one("asynchronous, spinning", async_spinner);
    return 0;
}
