/* The child of a fork ends its first thread as glibc does: pthread_exit
 * in the child's only thread exits the process with status 0 (atexit
 * handlers run); with another thread alive the process lives on until
 * that one ends; a start routine that returns in the child ends it the
 * same way. The child runs natively under mnrt, and its first thread is
 * the parent's G: its end was the exit of a G with no G (SIGSEGV). */
#include "check.h"

#include <sys/wait.h>

static int report_fd; /* the child's atexit handler writes here */

static void at_exit(void)
{
    write(report_fd, "a", 1);
}

static void *late(void *arg)
{
    (void)arg;
    usleep(20 * 1000);
    write(report_fd, "t", 1);
    return NULL;
}

/* Forks; the child runs child_ends (which must not return), the parent
 * prints how the child ended and what it reported. */
static void *fork_and_report(const char *what, void (*child_ends)(void))
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        report_fd = p[1];
        child_ends();
        return (void *)1; /* the start routine returns in the child */
    }
    close(p[1]);
    int st;
    CHECK_EQ(waitpid(c, &st, 0), c);
    char got[8] = "";
    ssize_t n = read(p[0], got, sizeof got - 1);
    got[n > 0 ? n : 0] = 0;
    close(p[0]);
    printf("%-36s exited: %s, status %d, reported: %s\n", what, WIFEXITED(st) ? "yes" : "no",
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, got);
    return NULL;
}

static void exit_alone(void)
{
    pthread_exit(NULL);
}

static void exit_with_another(void)
{
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, late, NULL), 0);
    pthread_detach(t);
    pthread_exit(NULL);
}

static void return_from_start(void)
{
}

static void *in_a_thread(void *arg)
{
    (void)arg;
    if (fork_and_report("thread forks, child pthread_exit", exit_alone))
        return NULL; /* the child's start routine returns */
    if (fork_and_report("thread forks, child exits, one more", exit_with_another))
        return NULL;
    if (fork_and_report("thread forks, child's start returns", return_from_start))
        return NULL;
    return NULL;
}

int main(void)
{
    atexit(at_exit);
    fork_and_report("main forks, child pthread_exit", exit_alone);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, in_a_thread, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    return 0;
}
