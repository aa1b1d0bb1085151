/* A program's stale close (of an fd it closed already: EBADF natively)
 * must not reach a file of mnrt's own (core/lowfd.h). A thread reads a
 * pipe fed a byte at a time through stdio (glibc's own read, which mnrt
 * does not see), so sysmon looks at its kernel thread in /proc each time
 * it sleeps there; the main thread makes a pipe, passes 10 bytes through
 * it, closes it, and closes its read end's number once more. Natively the second close fails with EBADF
 * (no thread of the program opens anything) and every pass gets its 10
 * bytes. Under mnrt before the fix: sysmon's /proc file took that number
 * (the lowest free), the stale close closed it, the next pipe got the
 * number, and sysmon then read the pipe (stealing its bytes) or closed it. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static atomic_bool done;

static void *spin(void *arg)
{
    (void)arg;
    volatile unsigned long n = 0;
    while (!atomic_load_explicit(&done, memory_order_relaxed))
        n++;
    return NULL;
}

/* A reader in stdio (glibc's own read, which mnrt does not see) that
 * blocks on a pipe fed a byte at a time: sysmon looks in /proc at the
 * kernel thread asleep there, each time. */
static int feed[2];

static void *reader(void *arg)
{
    (void)arg;
    FILE *f = fdopen(feed[0], "r");
    while (fgetc(f) != EOF)
        ;
    fclose(f);
    return NULL;
}

static void *feeder(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&done, memory_order_relaxed)) {
        usleep(300);
        if (write(feed[1], "x", 1) != 1)
            break;
    }
    close(feed[1]);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 3;
    int nspin = argc > 2 ? atoi(argv[2]) : 0;
    pthread_t rd, fd_;
    if (pipe(feed) != 0)
        return 1;
    pthread_create(&rd, NULL, reader, NULL);
    pthread_create(&fd_, NULL, feeder, NULL);
    pthread_t t[16];
    for (int i = 0; i < nspin; i++)
        pthread_create(&t[i], NULL, spin, NULL);
    long passes = 0, bad = 0, stale_ok = 0;
    double end = now() + secs;
    while (now() < end) {
        int p[2];
        if (pipe(p) != 0) {
            perror("pipe");
            return 1;
        }
        ssize_t w = write(p[1], "0123456789", 10);
        int werr = errno;
        close(p[1]);
        char buf[64];
        size_t got = 0;
        ssize_t r;
        while ((r = read(p[0], buf + got, sizeof buf - got)) > 0)
            got += (size_t)r;
        int rerr = errno;
        if (w != 10 || got != 10 || r != 0 || memcmp(buf, "0123456789", 10) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "pass %ld: wrote %zd (%s), read %zu bytes, last read %zd (%s)\n",
                        passes, w, w < 0 ? strerror(werr) : "-", got, r,
                        r < 0 ? strerror(rerr) : "-");
        }
        close(p[0]);
        for (volatile unsigned i = 0, n = (unsigned)(passes * 2654435761u) % 4000; i < n; i++)
            ; /* a pause of 0 to a few microseconds */
        if (close(p[0]) == 0) /* the stale close: EBADF natively */
            stale_ok++;
        passes++;
    }
    atomic_store(&done, true);
    for (int i = 0; i < nspin; i++)
        pthread_join(t[i], NULL);
    pthread_join(fd_, NULL);
    pthread_join(rd, NULL);
    fprintf(stderr, "%ld passes, %ld bad, %ld stale closes closed something\n", passes, bad,
            stale_ok);
    printf("bad passes: %d, stale closes that closed something: %d\n", bad != 0, stale_ok != 0);
    return bad != 0 || stale_ok != 0;
}
