/* Threads that change their kernel thread and exit take it with them under
 * mnrt (the kernel thread cannot be trusted by other threads), and
 * nothing of it may stay behind: 25,000 threads each set a per-thread
 * prctl (PR_SET_TIMERSLACK) and exit, in turn. Once, each retired kernel
 * thread kept its 8 MiB stack and its alternate signal stack mapped, and
 * after about 21,000 of them the process ran out of memory mappings and
 * hung. personality(0xffffffff) only asks, and must not cost a kernel
 * thread either. */
#include "check.h"

#include <sys/personality.h>
#include <sys/prctl.h>

#define THREADS 25000

static void *slack(void *arg)
{
    CHECK_EQ(prctl(PR_SET_TIMERSLACK, 1000 + (unsigned long)(uintptr_t)arg % 1000, 0, 0, 0), 0);
    CHECK(personality(0xffffffff) != -1, "personality query: %s", strerror(errno));
    return NULL;
}

int main(void)
{
    for (int i = 0; i < THREADS; i++) {
        pthread_t t;
        CHECK_ERR(pthread_create(&t, NULL, slack, (void *)(uintptr_t)i), 0);
        CHECK_ERR(pthread_join(t, NULL), 0);
    }
    printf("%d threads set their timer slack and exited\n", THREADS);
    return 0;
}
