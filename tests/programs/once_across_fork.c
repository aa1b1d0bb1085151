/* A fork while another thread runs a pthread_once routine: in the child,
 * where that thread is not, pthread_once of the same control runs the
 * routine again and returns, as glibc's does (its control remembers the
 * fork generation the routine began in). Before, mnrt's child waited for
 * the absent runner for ever. */
#include "check.h"

#include <semaphore.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sem_t inside, release;
static pid_t parent;
static int runs_here;

static void init(void)
{
    runs_here++;
    if (getpid() != parent)
        return; /* the child's run */
    sem_post(&inside);
    while (sem_wait(&release) != 0)
        ;
}

static void *run_once(void *arg)
{
    (void)arg;
    CHECK_EQ(pthread_once(&once, init), 0);
    return NULL;
}

int main(void)
{
    parent = getpid();
    CHECK_EQ(sem_init(&inside, 0, 0), 0);
    CHECK_EQ(sem_init(&release, 0, 0), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, run_once, NULL), 0);
    while (sem_wait(&inside) != 0)
        ;
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        CHECK_EQ(pthread_once(&once, init), 0);
        CHECK_EQ(pthread_once(&once, init), 0); /* done now */
        printf("child: the routine ran %d time(s) here\n", runs_here);
        fflush(stdout);
        _exit(runs_here == 2 ? 0 : 1); /* the parent's run was copied in */
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    sem_post(&release);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(pthread_once(&once, init), 0);
    printf("parent: the routine ran %d time(s)\n", runs_here);
    return 0;
}
