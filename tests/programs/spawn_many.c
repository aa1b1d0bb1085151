/* Processes made from 50 threads at once, 20 each: vfork + exec,
 * posix_spawnp with a pipe for the child's stdout, system, popen. Every
 * child must run its command and give its result back to the thread that
 * made it. (vfork is fork under mnrt: shim/fork.c.) */
#include "check.h"

#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/wait.h>

#define THREADS 50
#define EACH 20

extern char **environ;

enum { VFORK, SPAWN, SYSTEM, POPEN, KINDS };
static const char *names[KINDS] = {"vfork + exec", "posix_spawnp", "system", "popen"};
static atomic_int good[KINDS], bad[KINDS];

static bool by_vfork(void)
{
    pid_t c = vfork();
    if (c == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    int st;
    return c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool by_spawn(long who, int i)
{
    char word[32], got[32] = "";
    snprintf(word, sizeof word, "%ld-%d", who, i);
    char *argv[] = {"echo", word, NULL};
    int fd[2];
    CHECK_EQ(pipe(fd), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    pid_t c;
    int err = posix_spawnp(&c, "echo", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    ssize_t n = err ? 0 : read(fd[0], got, sizeof got - 1);
    close(fd[0]);
    int st;
    return !err && waitpid(c, &st, 0) == c && n > 0 && !strncmp(got, word, strlen(word));
}

static bool by_system(int i)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "exit %d", i % 3);
    int st = system(cmd);
    return WIFEXITED(st) && WEXITSTATUS(st) == i % 3;
}

static bool by_popen(long who, int i)
{
    char cmd[48], want[32], got[32] = "";
    snprintf(cmd, sizeof cmd, "echo %ld-%d", who, i);
    snprintf(want, sizeof want, "%ld-%d\n", who, i);
    FILE *f = popen(cmd, "r");
    if (!f)
        return false;
    bool read_it = fgets(got, sizeof got, f) != NULL;
    return pclose(f) == 0 && read_it && !strcmp(got, want);
}

static void *maker(void *arg)
{
    long who = (long)arg;
    int kind = (int)(who % KINDS);
    for (int i = 0; i < EACH; i++) {
        bool ok = kind == VFORK    ? by_vfork()
                  : kind == SPAWN  ? by_spawn(who, i)
                  : kind == SYSTEM ? by_system(i)
                                   : by_popen(who, i);
        atomic_fetch_add(ok ? &good[kind] : &bad[kind], 1);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, maker, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    for (int k = 0; k < KINDS; k++)
        printf("%-13s right %d, wrong %d\n", names[k], atomic_load(&good[k]),
               atomic_load(&bad[k]));
    return 0;
}
