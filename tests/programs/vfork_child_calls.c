/* vfork children that call what Python's subprocess child calls, from 4
 * threads at once, while 4 other threads serve pipes: the child resets a
 * handler, sets its mask, closes every fd from 3 up, dup2s onto an fd,
 * reports through a pipe and execs (or fails to). None of it may reach
 * the parent: the servers' pipes keep working, the handler and the
 * vforking thread's mask stay. The child must start with its thread's
 * mask, and share its parent's memory until it execs (a vfork, not a
 * fork: shim/vfork.c). */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/wait.h>

#define SERVERS 4
#define SPAWNERS 4
#define ROUNDS 30

static int to_server[SERVERS][2], from_server[SERVERS][2];
static atomic_int handled;

static void on_usr1(int sig)
{
    (void)sig;
    atomic_fetch_add(&handled, 1);
}

/* Echoes each byte back until its pipe is closed. */
static void *server(void *arg)
{
    long i = (long)arg;
    char c;
    while (read(to_server[i][0], &c, 1) == 1)
        CHECK_EQ(write(from_server[i][1], &c, 1), 1);
    return NULL;
}

static pthread_mutex_t ping_lock = PTHREAD_MUTEX_INITIALIZER;

static void ping_servers(char c)
{
    pthread_mutex_lock(&ping_lock); /* one echo at a time on each pipe */
    for (int i = 0; i < SERVERS; i++) {
        char back = 0;
        CHECK_EQ(write(to_server[i][1], &c, 1), 1);
        CHECK(read(from_server[i][0], &back, 1) == 1 && back == c, "server %d: %s", i,
              strerror(errno));
    }
    pthread_mutex_unlock(&ping_lock);
}

struct report {
    int usr2_blocked, usr1_blocked; /* in the child's kernel mask at start */
    int exec_errno;
};

/* The child's side: no return from here. */
static _Noreturn void child(int report_fd, bool exec_fails, volatile pid_t *seen)
{
    *seen = getpid(); /* the parent reads it: a vfork child shares its memory */
    struct report r = {0};
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    r.usr2_blocked = sigismember(&cur, SIGUSR2);
    r.usr1_blocked = sigismember(&cur, SIGUSR1);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(SIGUSR1, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    int fd = dup2(report_fd, 100);
    if (fd != 100)
        _exit(3);
    close_range(3, 99, 0); /* the parent's pipes among them */
    close_range(101, ~0u, 0);
    const char *path = exec_fails ? "/nonexistent/program" : "/bin/true";
    execl(path, path, (char *)NULL);
    r.exec_errno = errno;
    if (write(100, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(4);
    _exit(42);
}

static void *spawner(void *arg)
{
    long who = (long)arg;
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr2, NULL), 0);
    for (int i = 0; i < ROUNDS; i++) {
        int rp[2];
        CHECK_EQ(pipe2(rp, O_CLOEXEC), 0);
        bool exec_fails = (i + who) % 2;
        volatile pid_t seen = 0;
        pid_t c = vfork();
        if (c == 0)
            child(rp[1], exec_fails, &seen);
        CHECK(c > 0, "vfork: %s", strerror(errno));
        CHECK(seen == c, "the child's write to memory: %d, not its pid %d", (int)seen, (int)c);
        close(rp[1]);
        struct report r;
        ssize_t n = read(rp[0], &r, sizeof r);
        close(rp[0]);
        int st;
        CHECK_EQ(waitpid(c, &st, 0), c);
        CHECK(WIFEXITED(st), "status %#x", st);
        if (exec_fails) {
            CHECK_EQ(n, (ssize_t)sizeof r);
            CHECK_EQ(WEXITSTATUS(st), 42);
            CHECK(r.usr2_blocked == 1 && r.usr1_blocked == 0,
                  "the child's starting mask: SIGUSR2 %d, SIGUSR1 %d", r.usr2_blocked,
                  r.usr1_blocked);
            CHECK(r.exec_errno == ENOENT, "exec: %s", errname(r.exec_errno));
        } else {
            CHECK_EQ(n, 0); /* exec closed the report pipe */
            CHECK_EQ(WEXITSTATUS(st), 0);
        }
        ping_servers((char)('a' + i % 26));
        sigset_t now;
        CHECK_EQ(pthread_sigmask(SIG_BLOCK, NULL, &now), 0);
        CHECK(sigismember(&now, SIGUSR2) && !sigismember(&now, SIGUSR1),
              "the vforking thread's mask changed");
    }
    return NULL;
}

int main(void)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    pthread_t s[SERVERS], v[SPAWNERS];
    for (long i = 0; i < SERVERS; i++) {
        CHECK_EQ(pipe(to_server[i]), 0);
        CHECK_EQ(pipe(from_server[i]), 0);
        CHECK_EQ(pthread_create(&s[i], NULL, server, (void *)i), 0);
    }
    for (long i = 0; i < SPAWNERS; i++)
        CHECK_EQ(pthread_create(&v[i], NULL, spawner, (void *)i), 0);
    for (int i = 0; i < SPAWNERS; i++)
        CHECK_EQ(pthread_join(v[i], NULL), 0);
    printf("%d vfork children each reported and ended as expected\n", SPAWNERS * ROUNDS);
    ping_servers('z');
    printf("the servers' pipes still work\n");
    raise(SIGUSR1);
    printf("the SIGUSR1 handler still runs: %d\n", atomic_load(&handled));
    for (int i = 0; i < SERVERS; i++) {
        close(to_server[i][1]);
        CHECK_EQ(pthread_join(s[i], NULL), 0);
    }
    return 0;
}
