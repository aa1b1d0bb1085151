/* Semaphores shared between processes: a named one (sem_open) and an
 * unnamed one with pshared in shared memory; a forked child waits on each,
 * the parent posts. glibc marks both shared in the semaphore's own word
 * (mnrt once read that word the other way round and waited in its own
 * process: the child never woke, and Python's multiprocessing hung). */
#include "check.h"

#include <fcntl.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>

static void child_waits(sem_t *s, const char *what)
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        struct timespec limit;
        clock_gettime(CLOCK_REALTIME, &limit);
        limit.tv_sec += 60;
        _exit(sem_timedwait(s, &limit) == 0 ? 0 : 1);
    }
    usleep(50 * 1000); /* let it wait */
    CHECK_EQ(sem_post(s), 0);
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    printf("%s: the child %s\n", what,
           WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "woke" : "did not wake");
}

int main(void)
{
    char name[64];
    snprintf(name, sizeof name, "/mnrt-sem-shared-%d", (int)getpid());
    sem_t *named = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    CHECK(named != SEM_FAILED, "sem_open: %s", strerror(errno));
    sem_unlink(name);
    child_waits(named, "sem_open");
    sem_close(named);

    sem_t *anon = mmap(NULL, sizeof *anon, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
    CHECK(anon != MAP_FAILED, "mmap: %s", strerror(errno));
    CHECK_EQ(sem_init(anon, 1, 0), 0);
    child_waits(anon, "sem_init(pshared) in shared memory");
    return 0;
}
