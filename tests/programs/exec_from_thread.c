/* execve from a thread while 20 others run (sleeping in a loop): the
 * kernel ends the other threads, mnrt's kernel threads among them, and the
 * new program starts clean (under mnrt again when LD_PRELOAD still names
 * it; /bin/echo here). */
#include "check.h"

static void *busy(void *arg)
{
    (void)arg;
    for (;;)
        usleep(1000);
    return NULL;
}

static void *execer(void *arg)
{
    (void)arg;
    usleep(20 * 1000);
    fflush(stdout);
    execl("/bin/echo", "echo", "exec'd from a thread while 20 others ran", (char *)NULL);
    CHECK(0, "execl: %s", strerror(errno));
    return NULL;
}

int main(void)
{
    pthread_t t[20], e;
    for (int i = 0; i < 20; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, busy, NULL), 0);
    CHECK_EQ(pthread_create(&e, NULL, execer, NULL), 0);
    pthread_join(e, NULL);
    CHECK(0, "the exec'ing thread returned");
    return 1;
}
