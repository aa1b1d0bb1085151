/* pthread_atfork handlers under fork, forkpty and daemon-style forks:
 * registered from several threads (one after another), they run in
 * glibc's order (prepare in reverse order of registration, parent and
 * child in order). A prepare handler waits for a mutex that another
 * thread holds for a while (it must be able to wait: under mnrt it parks)
 * and the parent and child handlers unlock it, glibc's idiom; a child
 * handler makes a thread and joins it. A library that registered handlers
 * and was unloaded does not have them called (their code is gone). */
#include "check.h"

#include <pty.h>
#include <sys/wait.h>

#define HANDLERS 5

static char order[256];
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int stop_holder;

static void note(char what, int i)
{
    size_t n = strlen(order);
    snprintf(order + n, sizeof order - n, "%c%d ", what, i);
}

#define HANDLER_SET(i)                                                           \
    static void prepare##i(void) { note('p', i); }                               \
    static void parent##i(void) { note('P', i); }                                \
    static void child##i(void) { note('C', i); }
HANDLER_SET(0)
HANDLER_SET(1)
HANDLER_SET(2)
HANDLER_SET(3)
HANDLER_SET(4)
static void (*const prepares[HANDLERS])(void) = {prepare0, prepare1, prepare2, prepare3,
                                                 prepare4};
static void (*const parents[HANDLERS])(void) = {parent0, parent1, parent2, parent3, parent4};
static void (*const childs[HANDLERS])(void) = {child0, child1, child2, child3, child4};

static void *register_one(void *arg)
{
    int i = (int)(intptr_t)arg;
    CHECK_EQ(pthread_atfork(prepares[i], parents[i], childs[i]), 0);
    return NULL;
}

static void lock_held(void)
{
    CHECK_EQ(pthread_mutex_lock(&held), 0);
}

static void unlock_held(void)
{
    CHECK_EQ(pthread_mutex_unlock(&held), 0);
}

static void *nothing(void *arg)
{
    return arg;
}

static void child_makes_a_thread(void)
{
    pthread_t t;
    void *r;
    CHECK_EQ(pthread_create(&t, NULL, nothing, (void *)7), 0);
    CHECK_EQ(pthread_join(t, &r), 0);
    CHECK_EQ((intptr_t)r, 7);
}

/* Holds `held` for 2 ms at a time until told to stop. */
static void *holder(void *arg)
{
    while (!__atomic_load_n(&stop_holder, __ATOMIC_SEQ_CST)) {
        pthread_mutex_lock(&held);
        usleep(2000);
        pthread_mutex_unlock(&held);
        usleep(500);
    }
    return arg;
}

/* The child reports its order through a pipe; the parent prints both. */
static void report(const char *how, pid_t pid, int fd)
{
    char child_order[256] = "";
    ssize_t n = read(fd, child_order, sizeof child_order - 1);
    CHECK(n >= 0, "read: %s", strerror(errno));
    child_order[n > 0 ? n : 0] = 0;
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child status %#x", how, st);
    printf("%s: parent %s\n%s: child  %s\n", how, order, how, child_order);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: fork_handlers LIBRARY");
    void *lib = dlopen(argv[1], RTLD_NOW);
    CHECK(lib, "dlopen: %s", dlerror());
    CHECK_EQ(dlclose(lib), 0);

    for (int i = 0; i < HANDLERS; i++) {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, register_one, (void *)(intptr_t)i), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
    }
    CHECK_EQ(pthread_atfork(lock_held, unlock_held, unlock_held), 0);
    CHECK_EQ(pthread_atfork(NULL, NULL, child_makes_a_thread), 0);
    pthread_t h;
    CHECK_EQ(pthread_create(&h, NULL, holder, NULL), 0);

    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    order[0] = 0;
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        CHECK_EQ(write(fds[1], order, strlen(order)), (ssize_t)strlen(order));
        _exit(0);
    }
    close(fds[1]);
    report("fork", pid, fds[0]);
    close(fds[0]);

    int master;
    order[0] = 0;
    fflush(stdout);
    pid = forkpty(&master, NULL, NULL, NULL);
    CHECK(pid >= 0, "forkpty: %s", strerror(errno));
    if (pid == 0) { /* its stdout is the terminal */
        CHECK_EQ(write(1, order, strlen(order)), (ssize_t)strlen(order));
        _exit(0);
    }
    char child_order[256];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof child_order - 1 &&
           (n = read(master, child_order + got, sizeof child_order - 1 - got)) > 0)
        got += (size_t)n; /* EIO once the child has gone */
    child_order[got] = 0;
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "forkpty: child status %#x", st);
    printf("forkpty: parent %s\nforkpty: child  %s\n", order, child_order);

    __atomic_store_n(&stop_holder, 1, __ATOMIC_SEQ_CST);
    CHECK_EQ(pthread_join(h, NULL), 0);
    return 0;
}
