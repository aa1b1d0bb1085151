/* The daemon pattern: handlers set flags (SIGHUP: reload, SIGTERM: stop);
 * the main thread waits in MODE (poll, accept, sleep, select, sigsuspend,
 * pause, epoll_wait, read) and looks at the flags whenever the wait ends;
 * 100 worker threads are busy with socket I/O meanwhile. Another process
 * sends SIGHUP, then SIGTERM (below). Under
 * mnrt the main thread was never interrupted (the daemon could not be
 * stopped): the failure is a hang. usage: signal_daemon MODE [restart] */
#include "check.h"
#include "../io/loopback.h"

#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

#define WORKERS 100

static volatile sig_atomic_t stop, reloads;
static atomic_int busy = 1;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reloads++;
}

/* A worker bounces a byte with its partner until told to stop. */
static void *worker(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c = 'x';
    while (atomic_load(&busy)) { /* a byte a millisecond: busy, not hogging */
        if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
            break;
        usleep(1000);
    }
    return NULL;
}

static void *echo(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c;
    while (read(fd, &c, 1) == 1 && write(fd, &c, 1) == 1)
        ;
    return NULL;
}

static int wait_once(const char *mode, int ls, int ep, int rd)
{
    if (!strcmp(mode, "poll"))
        return poll(NULL, 0, -1);
    if (!strcmp(mode, "accept"))
        return accept(ls, NULL, NULL);
    if (!strcmp(mode, "sleep")) {
        errno = EINTR;
        return sleep(1000) ? -1 : 0;
    }
    if (!strcmp(mode, "select"))
        return select(0, NULL, NULL, NULL, NULL);
    if (!strcmp(mode, "sigsuspend")) {
        sigset_t none;
        sigemptyset(&none);
        return sigsuspend(&none);
    }
    if (!strcmp(mode, "pause"))
        return pause();
    if (!strcmp(mode, "epoll_wait")) {
        struct epoll_event ev;
        return epoll_wait(ep, &ev, 1, -1);
    }
    if (!strcmp(mode, "read")) {
        char c;
        return (int)read(rd, &c, 1);
    }
    CHECK(0, "unknown mode %s", mode);
    return 0;
}

int main(int argc, char **argv)
{
    CHECK(argc >= 2, "usage: signal_daemon MODE [restart]");
    const char *mode = argv[1];
    bool restart = argc > 2 && !strcmp(argv[2], "restart");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = restart ? SA_RESTART : 0;
    sa.sa_handler = on_term;
    CHECK_EQ(sigaction(SIGTERM, &sa, NULL), 0);
    sa.sa_handler = on_hup;
    CHECK_EQ(sigaction(SIGHUP, &sa, NULL), 0);
    signal(SIGPIPE, SIG_IGN); /* as daemons do: the workers end on EPIPE */

    pthread_t t[2 * WORKERS];
    int pairs[WORKERS][2];
    for (int i = 0; i < WORKERS; i++) {
        CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]), 0);
        pthread_create(&t[2 * i], NULL, worker, (void *)(intptr_t)pairs[i][0]);
        pthread_create(&t[2 * i + 1], NULL, echo, (void *)(intptr_t)pairs[i][1]);
    }
    struct sockaddr_in a;
    int ls = listener(&a);
    int ep = epoll_create1(0);
    int p[2];
    CHECK_EQ(pipe(p), 0);

    /* The administrator sends SIGHUP until the daemon says it reloaded,
     * then SIGTERM until it exits (closing its end of `acks`): a signal
     * that comes just before the main thread starts waiting (the race
     * every such daemon has) is followed by another. */
    int acks[2];
    CHECK_EQ(pipe(acks), 0);
    pid_t parent = getpid();
    pid_t kid = fork();
    if (kid == 0) {
        close(acks[1]);
        fcntl(acks[0], F_SETFL, O_NONBLOCK);
        char c;
        int sig = SIGHUP;
        for (;;) {
            usleep(50 * 1000);
            ssize_t n = read(acks[0], &c, 1);
            if (n == 0)
                _exit(0); /* it exited */
            if (n == 1)
                sig = SIGTERM;
            kill(parent, sig);
        }
    }
    close(acks[0]);
    int ended_by_signal = 0;
    bool acked = false;
    while (!stop) {
        if (reloads && !acked) {
            CHECK_EQ(write(acks[1], "r", 1), 1);
            acked = true;
        }
        int r = wait_once(mode, ls, ep, p[0]);
        if (r < 0 && errno == EINTR)
            ended_by_signal++;
        else
            CHECK(r < 0 || restart, "%s returned %d", mode, r);
    }
    close(acks[1]);
    /* the kid may have read nothing just before the close and still
     * signal once: a wait without SA_RESTART then ends with EINTR, as
     * natively (seen under MNRT_DEBUG=randomize=3, where the kid can
     * yield between its read and its kill) */
    int status;
    pid_t waited;
    while ((waited = waitpid(kid, &status, 0)) < 0 && errno == EINTR)
        continue;
    CHECK_EQ(waited, kid);
    atomic_store(&busy, 0);
    for (int i = 0; i < WORKERS; i++)
        shutdown(pairs[i][0], SHUT_RDWR);
    for (int i = 0; i < 2 * WORKERS; i++)
        pthread_join(t[i], NULL);
    printf("%s%s: stopped after a reload: %s\n", mode, restart ? " (SA_RESTART)" : "",
           reloads > 0 ? "yes" : "no");
    fprintf(stderr, "waits ended by a signal: %d\n", ended_by_signal);
    return 0;
}
