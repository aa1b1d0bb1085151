/* A signal whose default action kills, sent by a thread to its own
 * process while the main thread waits for it in sigwait, is the main
 * thread's: natively the kernel prefers the main thread, which takes it
 * in its wait, though the sender does not block it. usage:
 *   awaited_by_main kill|sigqueue|syscall
 * Each of CHILDREN forked children makes a thread, then blocks SIGQUIT
 * and waits for it in sigwait; the thread, which does not block it,
 * sends it to the process once the main thread is in the kernel's wait
 * (rt_sigtimedwait in /proc/self/task/TID/syscall) and returns; the main
 * thread's sigwait must return SIGQUIT, and the child exits with status
 * 0. Under mnrt, whose thread dump stands in for SIGQUIT's default, the
 * kernel could hand the signal to any kernel thread that accepts it (the
 * main G's need not be the kernel's main thread), the sender's among
 * them, where the dump's handler killed the process: 1-54 of 100
 * children. (Sent to the process group, it still can: shim/kill.c.)
 * The children's stderr (a dump) goes to /dev/null. */
#include "check.h"

#include <dirent.h>
#include <signal.h>
#include <stdbool.h>

#define CHILDREN 100
#define NR_RT_SIGTIMEDWAIT "128 " /* x86_64, first word of .../syscall */

static const char *how;

/* Whether some thread of the process waits in rt_sigtimedwait. */
static bool one_waits(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        _exit(3);
    bool waits = false;
    struct dirent *e;
    while (!waits && (e = readdir(d))) {
        char path[300], line[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, line, sizeof line - 1);
        close(fd);
        waits = n > 0 && strncmp(line, NR_RT_SIGTIMEDWAIT, strlen(NR_RT_SIGTIMEDWAIT)) == 0;
    }
    closedir(d);
    return waits;
}

static void *send_it(void *arg)
{
    (void)arg;
    while (!one_waits())
        usleep(1000);
    if (strcmp(how, "kill") == 0)
        kill(getpid(), SIGQUIT);
    else if (strcmp(how, "sigqueue") == 0)
        sigqueue(getpid(), SIGQUIT, (union sigval){.sival_int = 7});
    else
        syscall(SYS_kill, getpid(), SIGQUIT);
    return NULL;
}

static void child(void)
{
    child_dies_quietly();
    pthread_t t;
    if (pthread_create(&t, NULL, send_it, NULL) != 0)
        _exit(2);
    sigset_t quit;
    sigemptyset(&quit);
    sigaddset(&quit, SIGQUIT);
    int sig = 0;
    if (pthread_sigmask(SIG_BLOCK, &quit, NULL) != 0 || sigwait(&quit, &sig) != 0)
        _exit(2);
    pthread_join(t, NULL);
    exit(sig == SIGQUIT ? 0 : 4);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: awaited_by_main kill|sigqueue|syscall");
    how = argv[1];
    int taken = 0;
    for (int i = 0; i < CHILDREN; i++) {
        int status = status_of_child(child);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            taken++;
        else if (WIFEXITED(status))
            fprintf(stderr, "child %d exited with status %d\n", i, WEXITSTATUS(status));
        else
            fprintf(stderr, "child %d died of signal %d\n", i, WTERMSIG(status));
    }
    printf("%d of %d children's main thread took SIGQUIT in sigwait\n", taken, CHILDREN);
    return taken == CHILDREN ? 0 : 1;
}
