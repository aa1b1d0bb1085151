/* The second demo server: prefork and a thread per connection, the way
 * Apache's worker MPM and many older servers are built. The master binds
 * and listens, then forks WORKERS worker processes and only looks after
 * them: it restarts one that dies, and on SIGTERM or SIGINT passes the
 * signal on to the workers, reaps them and exits with status 0. Each
 * worker accepts on the listening socket it inherited and runs one pthread
 * per connection, with blocking reads and writes (serve.c: the same echo
 * and HTTP/1.1 as demo_server, so `mnrt ab`'s load works against both).
 *
 * Natively every connection costs a worker a kernel thread. Under mnrt a
 * worker is a fork of the master, so it gains only where the child of a
 * fork runs on the M:N scheduler.
 *
 * usage: prefork_demo [-w WORKERS] [PORT]   (2 workers; port 8080 by
 * default; 0 picks a free port, printed on stdout as "listening on PORT")
 *
 * A worker whose master is killed with SIGKILL keeps serving (as Apache's
 * do): stop the process group, as `mnrt ab` does. */
#include "serve.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 256

static struct worker {
    pid_t pid;       /* 0: not running */
    time_t started;  /* when it was last forked */
} workers[MAX_WORKERS];
static int nworkers = 2;

static volatile sig_atomic_t stop_signal; /* SIGTERM or SIGINT, once received */

static void on_stop(int sig) { stop_signal = sig; }
static void on_child(int sig) { (void)sig; } /* only to end sigsuspend */

/* Forks worker i; false if fork failed. */
static bool start_worker(int i, int ls, const sigset_t *worker_mask)
{
    if (time(NULL) - workers[i].started < 1)
        sleep(1); /* a worker that dies at once would fork in a loop */
    workers[i].started = time(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "prefork_demo: fork: %s\n", strerror(errno));
        return false;
    }
    if (pid == 0) {
        /* the worker: the master's signal handling is not its own */
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, worker_mask, NULL);
        demo_serve(ls, "prefork_demo");
    }
    workers[i].pid = pid;
    return true;
}

static void describe(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "w:")) != -1) {
        if (opt != 'w' || (nworkers = atoi(optarg)) < 1 || nworkers > MAX_WORKERS) {
            fprintf(stderr, "usage: prefork_demo [-w WORKERS (1-%d)] [PORT]\n", MAX_WORKERS);
            return 2;
        }
    }
    int port = optind < argc ? atoi(argv[optind]) : 8080;
    signal(SIGPIPE, SIG_IGN); /* inherited by the workers: a closed peer is EPIPE */
    demo_raise_fd_limit();
    int ls = demo_listen("prefork_demo", port);

    /* The master sleeps in sigsuspend with these signals blocked
     * everywhere else: none can arrive between looking at the workers
     * and going to sleep. */
    sigset_t block, master_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &master_mask);
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_child;
    sigaction(SIGCHLD, &sa, NULL);

    while (!stop_signal) {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            for (int i = 0; i < nworkers; i++)
                if (workers[i].pid == pid) {
                    char how[128];
                    describe(status, how, sizeof how);
                    workers[i].pid = 0;
                    if (!stop_signal)
                        fprintf(stderr, "prefork_demo: worker %d (pid %d) %s; starting another\n",
                                i, (int)pid, how);
                }
        bool missing = false; /* a fork failed: try again in a second */
        for (int i = 0; i < nworkers && !stop_signal; i++)
            if (!workers[i].pid && !start_worker(i, ls, &master_mask))
                missing = true;
        if (stop_signal)
            break;
        if (missing)
            sleep(1);
        else
            sigsuspend(&master_mask);
    }

    /* Stop: pass the signal on, and reap every worker. A worker may already
     * have died of it (a signal to the process group reaches it too). */
    for (int i = 0; i < nworkers; i++)
        if (workers[i].pid > 0)
            kill(workers[i].pid, stop_signal);
    for (int i = 0; i < nworkers; i++)
        while (workers[i].pid > 0 && waitpid(workers[i].pid, NULL, 0) < 0 && errno == EINTR)
            ;
    return 0;
}
