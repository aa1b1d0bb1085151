/* Harness of the pshared_* tests: one process-shared object used by two
 * processes, this one ("the parent") and another ("the other side"), for
 * each of three other sides:
 *
 * - native: this program exec'd again without LD_PRELOAD,
 * - preloaded: exec'd again with LD_PRELOAD=libmnrt.so (argv[1]),
 * - forked: a fork of the parent that runs the other side's code without
 *   exec (under mnrt whatever a forked child runs under there).
 *
 * run_program.py runs the parent natively and preloaded, so every
 * combination of (parent native or preloaded) x (other side native or
 * preloaded) is covered, and the layout and flag meanings of glibc's
 * objects (an ABI shared with processes mnrt does not run) are checked
 * both ways: each object is initialised by the parent before each run.
 *
 * The memory is a file in /dev/shm named after the parent's pid (shm_open,
 * unlinked at once; the other side gets its fd across exec), mapped
 * MAP_SHARED by both. A test defines
 *
 *   struct shm { _Atomic int step; ... its objects ... };
 *   static const struct scenario scenarios[] = {{"name", setup, parent, other}, ...};
 *
 * and includes this file last; `parent` gets the other side's pid. The two
 * sides pace each other with shm->step (await_step / set_step), never by
 * sleeping for an amount of time. Every wait of a test is bounded: timed
 * waits of 60 s, and an alarm (SIGALRM kills) in both processes, so a lost
 * wake-up fails the test instead of hanging it. Output: one line per
 * scenario and other side, identical natively and under mnrt. */
#ifndef MNRT_TEST_PSHARED_H
#define MNRT_TEST_PSHARED_H

#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define WAIT_MS 60000 /* every timed wait of the tests */
#define WATCHDOG_S 180 /* the whole of one process */

struct shm;

struct scenario {
    const char *name;
    void (*setup)(struct shm *s);              /* in the parent, before each run */
    /* the parent's side; true when it reaped the other side itself (it
     * killed it: the robust mutex tests) */
    bool (*parent)(struct shm *s, pid_t other);
    void (*other)(struct shm *s);              /* the other side's, then it exits 0 */
};

enum side_kind { SIDE_NATIVE, SIDE_PRELOADED, SIDE_FORKED, SIDE_KINDS };
static const char *side_names[SIDE_KINDS] = {"native", "preloaded", "forked"};

extern char **environ;

/* 60 s from now on CLOCK_REALTIME (the clock of the timed waits that take
 * no clock) */
static inline struct timespec limit_rt(void)
{
    return deadline_in(CLOCK_REALTIME, WAIT_MS);
}

static inline void set_step(_Atomic int *step, int n)
{
    atomic_store(step, n);
}

/* Waits until the other side has reached step n (or gone past it). */
static inline void await_step(_Atomic int *step, int n)
{
    WAIT_UNTIL(atomic_load(step) >= n);
}

static struct shm *map_fd(int fd)
{
    void *p = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    return p;
}

/* The shared file, already unlinked (a failed run leaves nothing behind);
 * its fd stays open across exec for the other side. */
static int shm_create(void)
{
    char name[64];
    snprintf(name, sizeof name, "/mnrt-pshared-%d", (int)getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0, "shm_open %s: %s", name, strerror(errno));
    CHECK_EQ(shm_unlink(name), 0);
    CHECK_EQ(ftruncate(fd, sizeof(struct shm)), 0);
    CHECK_EQ(fcntl(fd, F_SETFD, 0), 0);
    return fd;
}

/* environ with LD_PRELOAD replaced (by nothing when lib is NULL) */
static char **child_env(const char *lib)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    CHECK(env != NULL, "calloc");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
            env[k++] = environ[i];
    if (lib) {
        size_t len = strlen(lib) + 12;
        env[k] = malloc(len);
        CHECK(env[k] != NULL, "malloc");
        snprintf(env[k++], len, "LD_PRELOAD=%s", lib);
    }
    return env;
}

static pid_t start_other(enum side_kind kind, const struct scenario *sc, struct shm *s,
                         int fd, const char *lib)
{
    char **env = kind == SIDE_FORKED ? NULL : child_env(kind == SIDE_PRELOADED ? lib : NULL);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (kind == SIDE_FORKED) {
            alarm(WATCHDOG_S);
            sc->other(s);
            fflush(stdout);
            _exit(0);
        }
        char fdstr[16];
        snprintf(fdstr, sizeof fdstr, "%d", fd);
        char *argv[] = {"pshared-other", "--other", (char *)sc->name, fdstr, NULL};
        execve("/proc/self/exe", argv, env);
        _exit(127);
    }
    if (env) {
        for (char **e = env; *e; e++)
            if (strncmp(*e, "LD_PRELOAD=", 11) == 0)
                free(*e);
        free(env);
    }
    return pid;
}

/* A thread of the parent that ends it as soon as the other side fails
 * (its stderr says why), instead of waiting for it in vain until the
 * alarm; it leaves the other side unreaped. */
static pid_t watched;
static atomic_bool killing; /* the parent kills the other side itself */

static void *watch(void *arg)
{
    (void)arg;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, (id_t)watched, &info, WEXITED | WNOWAIT) != 0)
        return NULL; /* reaped already: the parent killed it */
    if ((info.si_code != CLD_EXITED || info.si_status != 0) && !atomic_load(&killing)) {
        fprintf(stderr, "the other side ended with %s %d\n",
                info.si_code == CLD_EXITED ? "exit" : "signal", info.si_status);
        _exit(1);
    }
    return NULL;
}

/* The parent's exit (a failed check): the other side goes too. */
static void kill_watched(void)
{
    if (watched > 0 && getpid() != watched)
        kill(watched, SIGKILL);
}

/* Before the parent kills the other side. */
static inline void killing_other(void)
{
    atomic_store(&killing, true);
}

/* The other side's exit: 0, or a failure (its stderr says why). */
static void await_other(pid_t pid, const char *what)
{
    int status = 0;
    for (long polls = 0;; polls++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        CHECK(r >= 0, "waitpid: %s", strerror(errno));
        if (r == pid)
            break;
        if (polls >= WAIT_MS) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            CHECK(0, "%s: the other side did not end within a minute", what);
        }
        usleep(1000);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: the other side ended with %s %d",
          what, WIFEXITED(status) ? "exit" : "signal",
          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* Runs every scenario with each kind of other side. */
static int pshared_main(int argc, char **argv, const struct scenario *sc, size_t n)
{
    alarm(WATCHDOG_S);
    if (argc == 4 && strcmp(argv[1], "--other") == 0) {
        struct shm *s = map_fd(atoi(argv[3]));
        for (size_t i = 0; i < n; i++)
            if (strcmp(sc[i].name, argv[2]) == 0) {
                sc[i].other(s);
                return 0;
            }
        CHECK(0, "no scenario %s", argv[2]);
    }
    CHECK(argc == 2, "usage: %s LIBMNRT", argv[0]);
    const char *lib = argv[1];
    int fd = shm_create();
    struct shm *s = map_fd(fd);
    atexit(kill_watched);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < SIDE_KINDS; k++) {
            char what[128];
            snprintf(what, sizeof what, "%s, other side %s", sc[i].name, side_names[k]);
            memset(s, 0, sizeof *s);
            sc[i].setup(s);
            pid_t pid = start_other((enum side_kind)k, &sc[i], s, fd, lib);
            pthread_t watcher;
            watched = pid;
            atomic_store(&killing, false);
            CHECK_EQ(pthread_create(&watcher, NULL, watch, NULL), 0);
            if (!sc[i].parent(s, pid))
                await_other(pid, what);
            CHECK_EQ(pthread_join(watcher, NULL), 0);
            watched = 0;
            printf("%s: ok\n", what);
        }
    return 0;
}

#endif
