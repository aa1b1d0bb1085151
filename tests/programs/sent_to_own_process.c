/* A signal a thread sends to its own process, left at a default action
 * that kills, ends the process by that signal, whatever the other threads
 * do next. usage:
 *   sent_to_own_process segv|quit kill|killpg|pthread_kill|sigqueue|syscall [sigwait]
 * Each of CHILDREN forked children makes a thread that sends SIGSEGV or
 * SIGQUIT to the child's process (kill of its pid, killpg of its own
 * process group, sigqueue, syscall(SYS_kill)), or with pthread_kill to
 * the main thread, and returns; the main thread joins it and exits with
 * status 0. Natively the kernel hands the signal
 * to the main thread, blocked in the join, which dies of it before it can
 * exit. Under mnrt, whose own handlers stand in for these defaults (the
 * stack overflow report, the thread dump), the main thread is a G on any
 * kernel thread: the handler, run on whichever thread the kernel chose,
 * lost the race to the main G's exit in 5 of 100 children for SIGSEGV,
 * and in every child for SIGQUIT (whose dump is written by sysmon).
 * With a third argument, sigwait, the main thread blocks the signal and
 * waits for it in sigwait, and the thread sends it once a kernel thread
 * of the process is in that wait (rt_sigtimedwait in
 * /proc/self/task/TID/syscall): natively the kernel gives it to the wait
 * and the child exits 0. A first version of mnrt's redirection sent it
 * to the sender's kernel thread all the same (every child died of it);
 * before that, the kernel could give it to one of mnrt's kernel threads
 * that did not block it, whose dump killed 2-5 children of 100 (sysmon
 * now gives it to the wait: core/signals.h mn_sig_to_waiter).
 * The children's stderr (SIGQUIT's dumps) goes to /dev/null. */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>

#define CHILDREN 100

static const char *how;
static int sig;
static bool waits;
static pthread_t main_thread;

/* Whether a kernel thread of this process is in rt_sigtimedwait. */
static bool one_in_sigwait(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        char path[300], buf[32] = "";
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        found = n > 0 && atoi(buf) == SYS_rt_sigtimedwait && buf[0] != 'r';
    }
    closedir(d);
    return found;
}

static void *send_it(void *arg)
{
    (void)arg;
    if (waits) { /* only the main thread blocks it, in its sigwait */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        while (!one_in_sigwait())
            usleep(100);
    }
    if (strcmp(how, "kill") == 0)
        kill(getpid(), sig);
    else if (strcmp(how, "killpg") == 0)
        killpg(0, sig); /* the child leads a group of its own */
    else if (strcmp(how, "pthread_kill") == 0)
        pthread_kill(main_thread, sig); /* to the main thread, not the process */
    else if (strcmp(how, "sigqueue") == 0)
        sigqueue(getpid(), sig, (union sigval){.sival_int = 7});
    else
        syscall(SYS_kill, getpid(), sig);
    return NULL;
}

static void child(void)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, 2) != 2 || setpgid(0, 0) != 0)
        _exit(2);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    if (waits && pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        _exit(2);
    main_thread = pthread_self();
    pthread_t t;
    if (pthread_create(&t, NULL, send_it, NULL) != 0)
        _exit(2);
    int got = 0;
    if (waits && (sigwait(&set, &got) != 0 || got != sig))
        _exit(3);
    pthread_join(t, NULL);
    exit(0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 3 || (argc == 4 && strcmp(argv[3], "sigwait") == 0),
          "usage: sent_to_own_process segv|quit HOW [sigwait]");
    sig = strcmp(argv[1], "quit") == 0 ? SIGQUIT : SIGSEGV;
    how = argv[2];
    waits = argc == 4;
    int as_expected = 0;
    for (int i = 0; i < CHILDREN; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0)
            child();
        int status;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        bool ok = waits ? WIFEXITED(status) && WEXITSTATUS(status) == 0
                        : WIFSIGNALED(status) && WTERMSIG(status) == sig;
        if (ok)
            as_expected++;
        else if (WIFEXITED(status))
            fprintf(stderr, "child %d exited with status %d\n", i, WEXITSTATUS(status));
        else
            fprintf(stderr, "child %d died of signal %d\n", i, WTERMSIG(status));
    }
    if (waits)
        printf("%d of %d children took %s by sigwait\n", as_expected, CHILDREN, strsignal(sig));
    else
        printf("%d of %d children died of %s\n", as_expected, CHILDREN, strsignal(sig));
    return as_expected == CHILDREN ? 0 : 1;
}
