/* syscall(SYS_futex) wakes reach waiters mnrt does not park: a futex
 * wake that found no parked thread goes on to the kernel only while a
 * wait may be there (shim/futex_syscall.c), and these must count:
 * - a thread in futex_waitv on a word (Wine's and Proton's waits, a
 *   program's own), woken by FUTEX_WAKE on that word, private and shared;
 * - a word the program made shared with syscall(SYS_mmap) after mnrt had
 *   looked it up as private (a wake on it), which a child process then
 *   waits on and wakes in a ping-pong with shared futexes.
 * Both hung once the wakes were skipped (the waitv waiter was not
 * counted; the remapping by number was not noticed). */
#include "check.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/wait.h>

static _Atomic uint32_t word;
static int waitv_flags;

static void *waitv_waiter(void *arg)
{
    (void)arg;
    struct futex_waitv w = {.val = 0, .uaddr = (uintptr_t)&word, .flags = waitv_flags};
    while (atomic_load(&word) == 0) {
        long r = syscall(SYS_futex_waitv, &w, 1, 0, NULL, CLOCK_MONOTONIC);
        CHECK(r == 0 || errno == EAGAIN || errno == EINTR, "futex_waitv: %s", strerror(errno));
    }
    return NULL;
}

/* Whether some thread of the process is in system call nr now. */
static bool some_thread_in(long nr)
{
    DIR *d = opendir("/proc/self/task");
    CHECK(d != NULL, "opendir: %s", strerror(errno));
    bool in = false;
    for (struct dirent *e; !in && (e = readdir(d));) {
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
        FILE *f = fopen(path, "r");
        long n;
        if (f && fscanf(f, "%ld", &n) == 1)
            in = n == nr;
        if (f)
            fclose(f);
    }
    closedir(d);
    return in;
}

static void waitv_woken(bool private)
{
    atomic_store(&word, 0);
    waitv_flags = FUTEX_32 | (private ? FUTEX_PRIVATE_FLAG : 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, waitv_waiter, NULL), 0);
    while (!some_thread_in(SYS_futex_waitv)) /* it waits in the kernel */
        usleep(1000);
    atomic_store(&word, 1);
    syscall(SYS_futex, &word, FUTEX_WAKE | (private ? FUTEX_PRIVATE_FLAG : 0), 1, NULL, NULL, 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    printf("a %s futex_waitv waiter was woken by FUTEX_WAKE\n", private ? "private" : "shared");
}

static void wait_while(_Atomic int *w, int v)
{
    while (atomic_load(w) == v)
        syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void wake(_Atomic int *w)
{
    syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void remapped_shared_ping_pong(void)
{
    enum { ROUNDS = 2000 };
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED, "mmap: %s", strerror(errno));
    wake(page); /* mnrt looks the word up: private */
    _Atomic int *a = (void *)syscall(SYS_mmap, page, 4096, PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(a == page, "mmap by number: %s", strerror(errno));
    pid_t child = fork();
    CHECK(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
        for (int i = 0; i < ROUNDS; i++) {
            wait_while(a, 0);
            atomic_store(a, 0);
            wake(a);
        }
        _exit(0);
    }
    for (int i = 0; i < ROUNDS; i++) {
        atomic_store(a, 1);
        wake(a);
        wait_while(a, 1);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    printf("%d round trips with a child on a page made shared by syscall(SYS_mmap)\n", ROUNDS);
}

int main(void)
{
    waitv_woken(true);
    waitv_woken(false);
    remapped_shared_ping_pong();
    return 0;
}
