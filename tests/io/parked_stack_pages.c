/* A thread parked in a read keeps one page of stack under mnrt: 300
 * threads each echo bursts of bytes on a socket (long enough that they
 * take turns at input and yield, docs/design.md §13), then all wait in
 * read; under mnrt at most a tenth of them may have more than one page of
 * their stack's top 16 resident (mincore). Once, a G resumed by a direct
 * switch from a yielding one carried out that yield on its own stack,
 * below the frames of its own read, and kept a second page for good: with
 * that, every thread had two (the echo server at 1,000 connections took
 * 3.8 KB more per connection). Randomized scheduling yields directly at
 * random, as the program's own sched_yield does: the count is not checked
 * then. Natively only the echoing is compared. */
#include "check.h"

#include <sys/mman.h>
#include <sys/socket.h>

#define THREADS 300
#define ROUNDS 20
#define BURST 200
#define TOP_PAGES 16

static int sv[THREADS][2];

static void *echo(void *arg)
{
    int fd = sv[(intptr_t)arg][1];
    char c;
    while (read(fd, &c, 1) == 1 && c != 'q')
        CHECK_EQ(write(fd, &c, 1), 1);
    return NULL;
}

/* Resident pages among the top TOP_PAGES of t's stack. */
static int resident_top_pages(pthread_t t)
{
    pthread_attr_t a;
    void *lo;
    size_t size;
    CHECK_EQ(pthread_getattr_np(t, &a), 0);
    CHECK_EQ(pthread_attr_getstack(&a, &lo, &size), 0);
    pthread_attr_destroy(&a);
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t top = (uintptr_t)lo + size, from = (top - TOP_PAGES * page) & ~(page - 1);
    unsigned char vec[TOP_PAGES + 1];
    CHECK_EQ(mincore((void *)from, top - from, vec), 0);
    int n = 0;
    for (uintptr_t p = 0; p < (top - from + page - 1) / page; p++)
        n += vec[p] & 1;
    return n;
}

int main(void)
{
    pthread_t t[THREADS];
    for (intptr_t i = 0; i < THREADS; i++) {
        CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
        CHECK_EQ(pthread_create(&t[i], NULL, echo, (void *)i), 0);
    }
    char burst[BURST];
    for (int r = 0; r < ROUNDS; r++) {
        memset(burst, 'x', BURST);
        for (int i = 0; i < THREADS; i++)
            CHECK_EQ(write(sv[i][0], burst, BURST), BURST);
        for (int i = 0; i < THREADS; i++)
            for (int got = 0, n; got < BURST; got += n)
                CHECK((n = (int)read(sv[i][0], burst, BURST - got)) > 0, "read: %d", n);
    }
    printf("%d threads echoed %d bursts of %d bytes each and wait in read\n", THREADS, ROUNDS,
           BURST);
    usleep(100 * 1000); /* the last replies were written: now they all read */

    const char *debug = getenv("MNRT_DEBUG");
    if (under_mnrt() && !(debug && strstr(debug, "randomize"))) {
        int more = 0;
        for (int i = 0; i < THREADS; i++)
            more += resident_top_pages(t[i]) > 1;
        fprintf(stderr, "%d of %d parked threads have more than one stack page resident\n",
                more, THREADS);
        CHECK(more <= THREADS / 10, "%d of %d parked readers keep more than one stack page",
              more, THREADS);
    }
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(write(sv[i][0], "q", 1), 1);
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    return 0;
}
