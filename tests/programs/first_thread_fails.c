/* The program's first thread cannot be made (its address space is
 * limited to what it uses), then can: the first pthread_create fails with
 * EAGAIN, as natively, and the threads made once the limit is lifted are
 * mnrt's threads (Gs), as they would have been without that failure.
 * Under mnrt the check that needs a thread glibc makes itself waits for
 * the first thread (shim/create.c); its failure had turned M:N off for
 * good ("mnrt: cannot create a kernel thread ...; new threads run
 * natively"): every later thread a kernel thread of glibc's. */
#include "check.h"

#include <sys/resource.h>

enum { THREADS = 8 };

static void *nothing(void *arg)
{
    return arg;
}

/* KB of address space the process uses now (VmSize). */
static long vm_size_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL, "/proc/self/status: %s", strerror(errno));
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld", &kb) == 1)
            break;
    fclose(f);
    CHECK(kb > 0, "no VmSize in /proc/self/status");
    return kb;
}

int main(void)
{
    struct rlimit was, tight;
    CHECK_ERRNO(getrlimit(RLIMIT_AS, &was), 0);
    tight = was;
    tight.rlim_cur = (rlim_t)(vm_size_kb() + 1024) * 1024; /* no room for a stack */
    CHECK_ERRNO(setrlimit(RLIMIT_AS, &tight), 0);
    pthread_t t;
    int err = pthread_create(&t, NULL, nothing, NULL);
    CHECK_ERRNO(setrlimit(RLIMIT_AS, &was), 0);
    printf("the first thread, with no room for it: %s\n", errname(err));
    if (err == 0)
        CHECK_ERR(pthread_join(t, NULL), 0);

    long long created = mnrt_stats_now().threads_created;
    pthread_t ts[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK_ERR(pthread_create(&ts[i], NULL, nothing, (void *)i), 0);
    for (long i = 0; i < THREADS; i++) {
        void *r;
        CHECK_ERR(pthread_join(ts[i], &r), 0);
        CHECK(r == (void *)i, "thread %ld returned %p", i, r);
    }
    if (under_mnrt())
        CHECK_EQ(mnrt_stats_now().threads_created - created, THREADS);
    printf("%d threads once there is room: each ran\n", THREADS);
    return 0;
}
