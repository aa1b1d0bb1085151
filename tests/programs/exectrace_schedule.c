/* Schedules for the execution trace test (exectrace.py, core/exectrace.h);
 * the same output natively and under mnrt, with or without MNRT_TRACE.
 *
 *   condvar       a thread named "waiter" parks on a condition variable
 *                 until main (named "signaller") signals it; before, a
 *                 thread names itself with bytes JSON must escape
 *   pingpong N    two threads hand a token back and forth N times (enough
 *                 events to wrap the rings)
 *   fork          a thread runs while main forks; the child makes threads
 *                 of its own and exits; main waits for it (the child's pid
 *                 on stderr: "child N")
 *   exec          the same, but the child runs this program again
 *                 (condvar) with exec
 *   _Fork         the same with _Fork, whose child runs natively under
 *                 mnrt, and exits
 *   wait          makes a thread, says "waiting" and sleeps until killed */
#include "check.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int waiting, signalled;

static void *wait_for_signal(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "waiter");
    pthread_mutex_lock(&mu);
    waiting = 1;
    pthread_cond_broadcast(&cv);
    while (!signalled)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* A quote, a backslash, a control character, UTF-8 (e acute) and a byte
 * that is no UTF-8. */
static void *odd_name(void *arg)
{
    pthread_setname_np(pthread_self(), "odd\"\\\x01\xc3\xa9\xff");
    usleep(1000); /* a park: its run ends with its new name */
    return arg;
}

static void condvar(void)
{
    pthread_setname_np(pthread_self(), "signaller");
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, odd_name, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(pthread_create(&t, NULL, wait_for_signal, NULL), 0);
    pthread_mutex_lock(&mu);
    while (!waiting)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    usleep(20000); /* the waiter is in its wait by now (or about to be: either order holds) */
    pthread_mutex_lock(&mu);
    signalled = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    CHECK_EQ(pthread_join(t, NULL), 0);
    puts("condvar: signalled and joined");
}

static int token, rounds;

static void *pong(void *arg)
{
    int me = (int)(intptr_t)arg;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < rounds; i++) {
        while (token != me)
            pthread_cond_wait(&cv, &mu);
        token = !me;
        pthread_cond_broadcast(&cv);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void pingpong(int n)
{
    rounds = n;
    pthread_t a, b;
    CHECK_EQ(pthread_create(&a, NULL, pong, (void *)0), 0);
    CHECK_EQ(pthread_create(&b, NULL, pong, (void *)1), 0);
    CHECK_EQ(pthread_join(a, NULL), 0);
    CHECK_EQ(pthread_join(b, NULL), 0);
    printf("pingpong: %d rounds\n", n);
}

static void *nothing(void *arg)
{
    usleep(1000);
    return arg;
}

static void *busy(void *arg)
{
    for (int i = 0; i < 50; i++) {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, nothing, NULL), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
    }
    return arg;
}

static void forking(char **argv, const char *how)
{
    bool exec = strcmp(how, "exec") == 0;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, busy, NULL), 0);
    fflush(stdout);
    pid_t child = strcmp(how, "_Fork") == 0 ? _Fork() : fork();
    CHECK(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
        if (exec) {
            execl("/proc/self/exe", argv[0], "condvar", (char *)NULL);
            _exit(127);
        }
        if (strcmp(how, "fork") == 0)
            busy(NULL);
        exit(0); /* its trace (a fork's child's) is written at exit */
    }
    fprintf(stderr, "child %d\n", (int)child);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    CHECK_EQ(pthread_join(t, NULL), 0);
    printf("%s: the child ended well\n", how);
}

static void wait_until_killed(void)
{
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, busy, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    puts("waiting");
    fflush(stdout);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "condvar";
    if (strcmp(mode, "condvar") == 0)
        condvar();
    else if (strcmp(mode, "pingpong") == 0)
        pingpong(argc > 2 ? atoi(argv[2]) : 1000);
    else if (strcmp(mode, "fork") == 0 || strcmp(mode, "exec") == 0 || strcmp(mode, "_Fork") == 0)
        forking(argv, mode);
    else if (strcmp(mode, "wait") == 0)
        wait_until_killed();
    else
        CHECK(0, "unknown mode %s", mode);
    return 0;
}
