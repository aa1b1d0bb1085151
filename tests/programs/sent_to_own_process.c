/* A signal a thread sends to its own process, left at a default action
 * that kills, ends the process by that signal, whatever the other threads
 * do next. usage:
 *   sent_to_own_process segv|quit kill|killpg|pthread_kill|sigqueue|syscall
 * Each of CHILDREN forked children makes a thread that sends SIGSEGV or
 * SIGQUIT to the child's process (kill of its pid, killpg of its own
 * process group, sigqueue, syscall(SYS_kill)), or with pthread_kill to
 * the main thread, and returns; the main thread joins it and exits with
 * status 0. Natively the kernel hands the signal to the main thread,
 * blocked in the join, which dies of it before it can exit. Under mnrt,
 * whose own handlers stand in for these defaults (the stack overflow
 * report, the thread dump), the main thread is a G on any kernel thread:
 * the handler, run on whichever thread the kernel chose, lost the race to
 * the main G's exit in 5 of 100 children for SIGSEGV, and in nearly every
 * child for SIGQUIT (whose dump is written by sysmon).
 * The children's stderr (SIGQUIT's dumps) goes to /dev/null. */
#include "check.h"

#include <signal.h>

#define CHILDREN 100

static const char *how;
static int sig;
static pthread_t main_thread;

static void *send_it(void *arg)
{
    (void)arg;
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
    child_dies_quietly();
    if (setpgid(0, 0) != 0)
        _exit(2);
    main_thread = pthread_self();
    pthread_t t;
    if (pthread_create(&t, NULL, send_it, NULL) != 0)
        _exit(2);
    pthread_join(t, NULL);
    exit(0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 3, "usage: sent_to_own_process segv|quit HOW");
    sig = strcmp(argv[1], "quit") == 0 ? SIGQUIT : SIGSEGV;
    how = argv[2];
    int died = 0;
    for (int i = 0; i < CHILDREN; i++) {
        int status = status_of_child(child);
        if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
            died++;
        else if (WIFEXITED(status))
            fprintf(stderr, "child %d exited with status %d\n", i, WEXITSTATUS(status));
        else
            fprintf(stderr, "child %d died of signal %d\n", i, WTERMSIG(status));
    }
    printf("%d of %d children died of %s\n", died, CHILDREN, strsignal(sig));
    return died == CHILDREN ? 0 : 1;
}
