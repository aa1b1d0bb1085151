/* EINTR as the kernel gives it: a thread blocks in CALL while another
 * sends it SIGUSR1 every 20 ms (with or without SA_RESTART); after 200 ms
 * the call is also made able to finish (data written, a connection made,
 * a semaphore posted, ...). Each line says how the call ended and whether
 * the handler ran on the blocked thread: calls that restart under
 * SA_RESTART finish, the others fail with EINTR, locks and joins never do.
 * Under mnrt a parked thread was never interrupted: the EINTR cases hung.
 * usage: eintr_calls [restart] */
#include "check.h"
#include "../io/loopback.h"

#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

static __thread int hits;
static void on_usr1(int sig)
{
    (void)sig;
    hits++;
}

struct ctx {
    int p[2];            /* a pipe */
    int sv[2];           /* a socket pair */
    int ls;              /* a listener */
    struct sockaddr_in addr;
    sem_t sem;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool flag;
    pid_t kid;
    pthread_t other;
    atomic_int done;
    int hits;
};

typedef int (*call_fn)(struct ctx *);
typedef void (*finish_fn)(struct ctx *);

static int r_or_errno(long r)
{
    return r < 0 ? errno : 0;
}

static int c_read(struct ctx *c) { char b; return r_or_errno(read(c->p[0], &b, 1)); }
static void f_read(struct ctx *c) { CHECK_EQ(write(c->p[1], "x", 1), 1); }
static int c_recv(struct ctx *c) { char b; return r_or_errno(recv(c->sv[0], &b, 1, 0)); }
static void f_recv(struct ctx *c) { CHECK_EQ(write(c->sv[1], "x", 1), 1); }
static int c_accept(struct ctx *c)
{
    int r = accept(c->ls, NULL, NULL);
    if (r >= 0)
        close(r);
    return r_or_errno(r);
}
static void f_accept(struct ctx *c)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(connect(s, (struct sockaddr *)&c->addr, sizeof c->addr), 0);
    close(s);
}
static int c_write(struct ctx *c) { return r_or_errno(write(c->p[1], "y", 1)); }
static void f_write(struct ctx *c)
{
    char buf[4096];
    while (read(c->p[0], buf, sizeof buf) == sizeof buf)
        ;
}
static int c_sem_wait(struct ctx *c) { return r_or_errno(sem_wait(&c->sem)); }
static int c_sem_timedwait(struct ctx *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1000;
    return r_or_errno(sem_timedwait(&c->sem, &ts));
}
static void f_sem(struct ctx *c) { sem_post(&c->sem); }
static int c_nanosleep(struct ctx *c)
{
    (void)c;
    struct timespec ts = {1000, 0};
    return r_or_errno(nanosleep(&ts, &ts));
}
static int c_sleep(struct ctx *c)
{
    (void)c;
    return sleep(1000) > 0 ? EINTR : 0;
}
static int c_poll(struct ctx *c)
{
    struct pollfd pf = {.fd = c->p[0], .events = POLLIN};
    return r_or_errno(poll(&pf, 1, -1));
}
static int c_select(struct ctx *c)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(c->p[0], &r);
    int err = r_or_errno(select(c->p[0] + 1, &r, NULL, NULL, NULL));
    /* Linux leaves the sets alone when it fails (gdb selects again with
     * them): EFAULT says they were not */
    return err && !FD_ISSET(c->p[0], &r) ? EFAULT : err;
}
static int c_epoll_wait(struct ctx *c)
{
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->p[0], &ev);
    int r = r_or_errno(epoll_wait(ep, &ev, 1, -1));
    close(ep);
    return r;
}
static int c_recv_timeout(struct ctx *c)
{
    struct timeval tv = {1000, 0};
    setsockopt(c->sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char b;
    return r_or_errno(recv(c->sv[0], &b, 1, 0));
}
static int c_cond_wait(struct ctx *c)
{
    pthread_mutex_lock(&c->mu);
    int r = 0;
    while (!c->flag && r == 0)
        r = pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
    return r;
}
static void f_cond(struct ctx *c)
{
    pthread_mutex_lock(&c->mu);
    c->flag = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}
static int c_mutex_lock(struct ctx *c)
{
    int r = pthread_mutex_lock(&c->mu);
    if (r == 0)
        pthread_mutex_unlock(&c->mu);
    return r;
}
static void f_mutex(struct ctx *c) { pthread_mutex_unlock(&c->mu); }
static void *sleeps_until_posted(void *arg)
{
    struct ctx *c = arg;
    while (sem_wait(&c->sem) != 0)
        ;
    return NULL;
}
static int c_join(struct ctx *c) { return pthread_join(c->other, NULL); }
static int c_waitpid(struct ctx *c)
{
    int st;
    return r_or_errno(waitpid(c->kid, &st, 0));
}
static void f_waitpid(struct ctx *c) { kill(c->kid, SIGKILL); }

struct job {
    struct ctx *c;
    call_fn fn;
    int err;
};

static void *run_call(void *arg)
{
    struct job *j = arg;
    j->err = j->fn(j->c);
    j->c->hits = hits;
    atomic_store(&j->c->done, 1);
    return NULL;
}

static void one(const char *name, call_fn fn, finish_fn finish, bool restart)
{
    struct ctx c;
    memset(&c, 0, sizeof c);
    CHECK_EQ(pipe(c.p), 0);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, c.sv), 0);
    c.ls = listener(&c.addr);
    sem_init(&c.sem, 0, 0);
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    if (fn == c_write) { /* fill the pipe */
        fcntl(c.p[1], F_SETFL, O_NONBLOCK);
        char buf[4096] = {0};
        while (write(c.p[1], buf, sizeof buf) > 0)
            ;
        fcntl(c.p[1], F_SETFL, 0);
    }
    if (fn == c_mutex_lock)
        pthread_mutex_lock(&c.mu);
    if (fn == c_join)
        pthread_create(&c.other, NULL, sleeps_until_posted, &c);
    if (fn == c_waitpid && (c.kid = fork()) == 0) {
        pause();
        _exit(0);
    }
    struct job j = {&c, fn, -1};
    pthread_t t;
    pthread_create(&t, NULL, run_call, &j);
    for (int i = 0; !atomic_load(&c.done); i++) {
        usleep(20 * 1000);
        if (!atomic_load(&c.done))
            pthread_kill(t, SIGUSR1);
        if (i == 10 && finish)
            finish(&c);
        CHECK(i < 1000, "%s: still blocked after 20 s", name);
    }
    pthread_join(t, NULL);
    if (fn == c_waitpid && j.err) {
        kill(c.kid, SIGKILL);
        waitpid(c.kid, NULL, 0);
    }
    printf("%-14s %s: %s, handler ran on it: %s\n", name, restart ? "SA_RESTART" : "no restart",
           j.err ? errname(j.err) : "finished", c.hits > 0 ? "yes" : "no");
    close(c.p[0]);
    close(c.p[1]);
    close(c.sv[0]);
    close(c.sv[1]);
    close(c.ls);
}

int main(int argc, char **argv)
{
    bool restart = argc > 1 && !strcmp(argv[1], "restart");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    one("read", c_read, f_read, restart);
    one("recv", c_recv, f_recv, restart);
    one("accept", c_accept, f_accept, restart);
    one("write", c_write, f_write, restart);
    one("sem_wait", c_sem_wait, f_sem, restart);
    one("sem_timedwait", c_sem_timedwait, f_sem, restart);
    one("nanosleep", c_nanosleep, NULL, restart);
    one("sleep", c_sleep, NULL, restart);
    one("poll", c_poll, NULL, restart);
    one("select", c_select, NULL, restart);
    one("epoll_wait", c_epoll_wait, NULL, restart);
    one("recv_timeout", c_recv_timeout, NULL, restart);
    one("cond_wait", c_cond_wait, f_cond, restart);
    one("mutex_lock", c_mutex_lock, f_mutex, restart);
    one("join", c_join, f_sem, restart);
    one("waitpid", c_waitpid, f_waitpid, restart);
    return 0;
}
