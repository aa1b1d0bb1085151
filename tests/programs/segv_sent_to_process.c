/* A SIGSEGV a thread sends to its own process, left at the default
 * action, ends the process by SIGSEGV, whatever the other threads do
 * next. usage: segv_sent_to_process kill|killpg|sigqueue|syscall
 * Each of CHILDREN forked children makes a thread that sends SIGSEGV to
 * the child's process (kill of its pid, killpg of its own process group,
 * sigqueue, syscall(SYS_kill)) and returns; the main thread joins it and
 * exits with status 0. Natively the kernel hands the signal to the main
 * thread, blocked in the join, which dies of it before it can exit. Under
 * mnrt the main thread is a G on any kernel thread: mnrt's SIGSEGV
 * handler, run on whichever thread the kernel chose, once lost that race
 * to the main G's exit in a few children of a hundred. */
#include "check.h"

#include <signal.h>
#include <sys/resource.h>

#define CHILDREN 100

static const char *how;

static void *send_segv(void *arg)
{
    (void)arg;
    if (strcmp(how, "kill") == 0)
        kill(getpid(), SIGSEGV);
    else if (strcmp(how, "killpg") == 0)
        killpg(0, SIGSEGV); /* the child leads a group of its own */
    else if (strcmp(how, "sigqueue") == 0)
        sigqueue(getpid(), SIGSEGV, (union sigval){.sival_int = 7});
    else
        syscall(SYS_kill, getpid(), SIGSEGV);
    return NULL;
}

static void child(void)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (setpgid(0, 0) != 0)
        _exit(2);
    pthread_t t;
    if (pthread_create(&t, NULL, send_segv, NULL) != 0)
        _exit(2);
    pthread_join(t, NULL);
    _exit(0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: segv_sent_to_process kill|killpg|sigqueue|syscall");
    how = argv[1];
    int died = 0;
    for (int i = 0; i < CHILDREN; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0)
            child();
        int status;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFSIGNALED(status) || WIFEXITED(status), "status %#x", status);
        if (WIFEXITED(status))
            fprintf(stderr, "child %d exited with status %d\n", i, WEXITSTATUS(status));
        else if (WTERMSIG(status) != SIGSEGV)
            fprintf(stderr, "child %d died of signal %d\n", i, WTERMSIG(status));
        else
            died++;
    }
    printf("%d of %d children died of SIGSEGV\n", died, CHILDREN);
    return died == CHILDREN ? 0 : 1;
}
