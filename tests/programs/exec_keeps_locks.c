/* A program started under mnrt keeps the fcntl record locks its process
 * held before execve: the process takes a write lock on a file it has
 * as its stdin, executes itself (under the preload, mnrt boots again),
 * and a child then finds the file locked. A close of any fd for a file
 * drops the process's locks on it: mnrt's boot once grew the fd table by
 * duplicating fd 0 and closing the copy, and the lock was gone. */
#include "check.h"

#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int try_lock(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    return fcntl(fd, F_SETLK, &fl);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "after-exec") == 0) {
        pid_t c = fork();
        CHECK(c >= 0, "fork");
        if (c == 0)
            _exit(try_lock(0) == 0 ? 1 : 0); /* locked by the parent: 0 */
        int st;
        CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st), "waitpid");
        printf("the lock taken before execve still held after it: %s\n",
               WEXITSTATUS(st) == 0 ? "yes" : "no");
        return 0;
    }
    char path[] = "/tmp/mnrt-exec-locks-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    unlink(path);
    CHECK(dup2(fd, 0) == 0, "dup2");
    close(fd);
    CHECK(try_lock(0) == 0, "F_SETLK");
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "after-exec", (char *)NULL);
    CHECK(0, "execl");
    return 1;
}
