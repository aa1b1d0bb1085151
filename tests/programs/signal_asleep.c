/* A program whose only thread sleeps dies at once of a signal whose
 * action is the default one (SIGTERM, SIGINT: what `kill` and Ctrl-C
 * send), as natively; one whose only thread waits in pause() is not taken
 * for deadlocked: it waits to be killed (mnrt reported a deadlock and
 * exited with status 2). Under mnrt that thread is parked and its kernel
 * thread idle, which blocked every program signal; with no monitor thread
 * yet (no thread made, no I/O waited for, no handler) no kernel thread was
 * left to take the signal, and the process lived on until the sleep
 * ended: `sleep 3` under mnrt took its 3 s to die of Ctrl-C.
 *
 * The program runs itself again (exec, so that the sleeper is a fresh
 * process that never made a thread) and kills that sleeper once it sleeps:
 * it said so on a pipe, and its kernel thread is asleep. A sleeper that
 * does not die is a hang (it sleeps 10 minutes). */
#include "check.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static char state_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

static void sleeper(int ready_fd, const char *how)
{
    CHECK_EQ(write(ready_fd, "r", 1), 1);
    if (strcmp(how, "pause") == 0)
        pause();
    else
        sleep(600);
    exit(0);
}

static void kill_asleep(const char *self, const char *how, int sig)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a sleeper left behind by a failed run */
        close(p[0]);
        char fd[16];
        snprintf(fd, sizeof fd, "%d", p[1]);
        execl(self, self, how, fd, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    WAIT_UNTIL(state_of(pid) == 'S');
    CHECK_EQ(kill(pid, sig), 0);
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        printf("%s, %s: killed by %s\n", how, strsignal(sig), strsignal(WTERMSIG(status)));
    else
        printf("%s, %s: exit %d\n", how, strsignal(sig), WEXITSTATUS(status));
    close(p[0]);
}

int main(int argc, char **argv)
{
    if (argc == 3)
        sleeper(atoi(argv[2]), argv[1]);
    kill_asleep(argv[0], "sleep", SIGTERM);
    kill_asleep(argv[0], "sleep", SIGINT);
    kill_asleep(argv[0], "pause", SIGTERM);
    return 0;
}
