/* Blocking that mnrt cannot see must not stop the program (docs/design.md §8
 * kind 3): threads stuck in a raw syscall(SYS_read) on empty pipes - more
 * of them than there are Ps - and threads sleeping in the kernel on a
 * stdio FILE lock that a parked thread holds. sysmon hands their Ps to
 * other kernel threads, so the others run, unblock them, and all finish.
 * Natively the same program finishes too; it would hang under an M:N
 * scheduler without that rule. Also: a G parked on a socket is woken
 * while the kernel thread that last ran it is blocked in a system call. */
#include "check.h"

#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BLOCKERS 6

static int pipes[BLOCKERS][2];

static void *raw_reader(void *arg)
{
    long i = (long)arg;
    char c;
    long n = syscall(SYS_read, pipes[i][0], &c, 1); /* invisible to mnrt */
    return (void *)n;
}

static void *unblocker(void *arg)
{
    (void)arg;
    long sum = 0;
    for (int i = 0; i < 200; i++) {
        sum += i;
        usleep(100);
    }
    for (int i = 0; i < BLOCKERS; i++)
        CHECK_EQ(write(pipes[i][1], "x", 1), 1);
    return (void *)sum;
}

static void raw_syscalls(void)
{
    pthread_t b[BLOCKERS], u;
    for (long i = 0; i < BLOCKERS; i++) {
        CHECK_EQ(pipe(pipes[i]), 0);
        CHECK_EQ(pthread_create(&b[i], NULL, raw_reader, (void *)i), 0);
    }
    usleep(50 * 1000);
    CHECK_EQ(pthread_create(&u, NULL, unblocker, NULL), 0);
    void *r;
    pthread_join(u, &r);
    long total = 0;
    for (int i = 0; i < BLOCKERS; i++) {
        void *x;
        pthread_join(b[i], &x);
        total += (long)x;
    }
    printf("raw reads: %d threads blocked, all woke (read %ld), unblocker sum %ld\n", BLOCKERS,
           total, (long)r);
}

static FILE *shared;

static void *lock_holder(void *arg)
{
    (void)arg;
    flockfile(shared);
    usleep(100 * 1000); /* parks while holding glibc's FILE lock */
    fputs("holder\n", shared);
    funlockfile(shared);
    return NULL;
}

static void *printer(void *arg)
{
    usleep(10 * 1000);
    fprintf(shared, "printer %ld\n", (long)arg); /* sleeps in the kernel on the lock */
    return NULL;
}

static void file_lock(void)
{
    shared = tmpfile();
    CHECK(shared, "tmpfile");
    pthread_t h, p[BLOCKERS];
    pthread_create(&h, NULL, lock_holder, NULL);
    for (long i = 0; i < BLOCKERS; i++)
        pthread_create(&p[i], NULL, printer, (void *)i);
    pthread_join(h, NULL);
    for (int i = 0; i < BLOCKERS; i++)
        pthread_join(p[i], NULL);
    rewind(shared);
    char line[64];
    int lines = 0;
    while (fgets(line, sizeof line, shared))
        lines++;
    printf("FILE lock held across a park: %d lines written\n", lines);
    fclose(shared);
}

/* A G waiting on a socket, while the other G blocks its kernel thread
 * in a raw read that only the first one's wake-up can end. */
static int sv[2], block_pipe[2];

static void *socket_waiter(void *arg)
{
    (void)arg;
    char c;
    ssize_t n = read(sv[1], &c, 1);
    CHECK_EQ(n, 1);
    CHECK_EQ(write(block_pipe[1], "w", 1), 1); /* frees the raw reader */
    return NULL;
}

static void *raw_blocker(void *arg)
{
    (void)arg;
    char c;
    return (void *)syscall(SYS_read, block_pipe[0], &c, 1);
}

static void wake_while_blocked(void)
{
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ(pipe(block_pipe), 0);
    pthread_t w, b;
    pthread_create(&w, NULL, socket_waiter, NULL);
    usleep(20 * 1000);
    pthread_create(&b, NULL, raw_blocker, NULL);
    usleep(20 * 1000);
    CHECK_EQ(write(sv[0], "s", 1), 1);
    void *r;
    pthread_join(w, NULL);
    pthread_join(b, &r);
    printf("socket wake-up while another thread blocks in the kernel: raw read %ld\n", (long)r);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    raw_syscalls();
    file_lock();
    wake_while_blocked();
    return 0;
}
