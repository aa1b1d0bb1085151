/* Helpers of the integration test programs: checks that print what went
 * wrong and exit 1, and what a test may need to know about the process.
 * Every program prints only results that must be identical natively and
 * under mnrt on stdout; diagnostics go to stderr. */
#ifndef MNRT_TEST_CHECK_H
#define MNRT_TEST_CHECK_H

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../shim/mnrt.h"

/* _Fork is glibc 2.34's: with an older glibc the programs that use it
 * build, and their tests are left out (tests/programs/meson.build,
 * exectrace.py). */
#if !__GLIBC_PREREQ(2, 34)
pid_t _Fork(void) __attribute__((weak));
#endif

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,    \
                    #cond);                                                     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fprintf(stderr, "\n");                                              \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

/* a and b are evaluated once (a failed call is not made again for the message) */
#define CHECK_EQ(a, b)                                                          \
    do {                                                                        \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);         \
        CHECK(check_a_ == check_b_, "%lld != %lld", check_a_, check_b_);        \
    } while (0)

/* The name of an error number ("EBUSY"), "0" for success; before glibc
 * 2.32, which cannot name them, "errno 16". */
static inline const char *errname(int err)
{
#if __GLIBC_PREREQ(2, 32)
    const char *n = err ? strerrorname_np(err) : "0";
    return n ? n : "unknown error";
#else
    static __thread char n[24];
    snprintf(n, sizeof n, err ? "errno %d" : "0", err);
    return n;
#endif
}

#if !__GLIBC_PREREQ(2, 34)
#include <sys/resource.h>
#include <sys/syscall.h>
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
/* glibc 2.34's close_range and closefrom, made as programs make them
 * where glibc has none: by system call. */
static inline int close_range(unsigned lo, unsigned hi, int flags)
{
    return (int)syscall(SYS_close_range, lo, hi, flags);
}

static inline void closefrom(int lowfd)
{
    syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0);
}
#endif

static inline void check_err_failed(const char *file, int line, const char *call, int got,
                                    int want)
{
    fprintf(stderr, "%s:%d: %s: got %s, expected %s\n", file, line, call, errname(got),
            errname(want));
    exit(1);
}

/* Checks that a call returning an error number (pthread style) returned want. */
#define CHECK_ERR(call, want)                                                   \
    do {                                                                        \
        int got_ = (call);                                                      \
        if (got_ != (want))                                                     \
            check_err_failed(__FILE__, __LINE__, #call, got_, (want));          \
    } while (0)

/* Checks that a call returning 0 or -1 with errno (sem_*, setuid) failed
 * with want, or for want 0 succeeded. */
#define CHECK_ERRNO(call, want)                                                 \
    do {                                                                        \
        errno = 0;                                                              \
        int got_ = (call) == 0 ? 0 : errno;                                     \
        if (got_ != (want))                                                     \
            check_err_failed(__FILE__, __LINE__, #call, got_, (want));          \
    } while (0)

/* Polls cond every millisecond until it holds; fails after a minute. For
 * "wait until the other thread has got that far": only the outcome is
 * checked, never how long it took. */
#define WAIT_UNTIL(cond)                                                        \
    do {                                                                        \
        for (long polls_ = 0; !(cond); polls_++) {                              \
            CHECK(polls_ < 60000, "still false after a minute");                \
            usleep(1000);                                                       \
        }                                                                       \
    } while (0)

/* A system call made with the syscall instruction itself, no call of
 * libc's, which mnrt serves: the kernel's view of the kernel thread
 * (gettid, sigaltstack), or a block where mnrt does not see. Returns the
 * result or -errno. */
static inline long raw_syscall2(long nr, long a, long b)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

/* nanosleep where mnrt does not see it. Returns 0 or -errno. */
static inline long raw_nanosleep(const struct timespec *ts)
{
    return raw_syscall2(SYS_nanosleep, (long)ts, 0);
}

/* The absolute time ms milliseconds from now on clock. */
static inline struct timespec deadline_in(clockid_t clock, long ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Whether the absolute time on clock has been reached: a wait that timed
 * out must not return before its deadline (POSIX). */
static inline int deadline_passed(clockid_t clock, const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(clock, &now);
    return now.tv_sec > deadline->tv_sec ||
           (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* spawn: creates n threads running fn((void *)i), i = 0..n-1;
 * join_all: joins them. */
static inline void spawn(pthread_t *t, int n, void *(*fn)(void *))
{
    for (int i = 0; i < n; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i), 0);
}

static inline void join_all(pthread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
}

/* Reads *v under mu (a counter or flag other threads change under it). */
static inline int locked_read(pthread_mutex_t *mu, const int *v)
{
    CHECK_EQ(pthread_mutex_lock(mu), 0);
    int n = *v;
    CHECK_EQ(pthread_mutex_unlock(mu), 0);
    return n;
}

/* Runs fn(arg) on a new thread and returns its result: for calls that
 * must come from a thread other than the caller (trylock by a non-owner). */
struct in_thread_call {
    int (*fn)(void *);
    void *arg;
    int result;
};

static inline void *in_thread_main(void *p)
{
    struct in_thread_call *c = (struct in_thread_call *)p;
    c->result = c->fn(c->arg);
    return NULL;
}

static inline int in_thread(int (*fn)(void *), void *arg)
{
    struct in_thread_call c = {fn, arg, -1};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, in_thread_main, &c), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    return c.result;
}

/* Whether libmnrt.so is preloaded. */
static inline int under_mnrt(void)
{
    return dlsym(RTLD_DEFAULT, "mnrt_version") != NULL;
}

/* The number of Ps under mnrt (mnrt.h's mnrt_get_stats), 0 natively. */
static inline int mnrt_procs(void)
{
    struct {
        size_t size;
        int procs;
    } st = {sizeof st, 0};
    int (*get)(void *) = (int (*)(void *))dlsym(RTLD_DEFAULT, "mnrt_get_stats");
    if (!get || get(&st) != 0)
        return 0;
    return st.procs;
}

/* mnrt's counts (mnrt.h's mnrt_get_stats), zeros natively. */
static inline struct mnrt_stats mnrt_stats_now(void)
{
    struct mnrt_stats st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    int (*get)(struct mnrt_stats *) =
        (int (*)(struct mnrt_stats *))dlsym(RTLD_DEFAULT, "mnrt_get_stats");
    if (get)
        CHECK_EQ(get(&st), 0);
    return st;
}

/* Threads mnrt preempted by signal so far (mnrt.h), -1 natively. */
static inline long long mnrt_preemptions(void)
{
    return under_mnrt() ? mnrt_stats_now().preemptions : -1;
}

/* Kernel threads of this process, from /proc/self/task. */
static inline int kernel_threads(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

/* A child process that lives until the parent closes *gate (the pipe's
 * write end it is given), then exits 0 (reap_exited_0). */
static inline pid_t fork_gated_child(int *gate)
{
    int p[2];
    CHECK_EQ(pipe(p), 0);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", errname(errno));
    if (pid == 0) {
        close(p[1]);
        char c;
        _exit(read(p[0], &c, 1) == 0 ? 0 : 1);
    }
    close(p[0]);
    *gate = p[1];
    return pid;
}

/* Reaps the child pid, which must have exited with status 0. */
static inline void reap_exited_0(pid_t pid)
{
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d: status %#x", (int)pid,
          status);
}

/* Forks a child that runs child(), which must not return, and waits for
 * it: its wait status. */
static inline int status_of_child(void (*child)(void))
{
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        child();
        _exit(99); /* child() returned */
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    return status;
}

/* In a child that is to die of a signal: no core file, and stderr (a
 * thread dump, a report) to /dev/null; exits with status 2 on failure. */
static inline void child_dies_quietly(void)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, 2) != 2)
        _exit(2);
}

/* VmRSS in KiB. */
static inline long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

/* Waits in read() for input on a pipe that a forked child writes a byte
 * to after ms milliseconds: a wait for input (a netpoller park under
 * mnrt), then the child's exit. */
static inline void wait_for_child_input(long ms)
{
    int p[2];
    CHECK_ERRNO(pipe(p), 0);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        struct timespec delay = {ms / 1000, (ms % 1000) * 1000000};
        nanosleep(&delay, NULL);
        _exit(write(p[1], "x", 1) == 1 ? 0 : 1);
    }
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer status 0x%x", status);
    close(p[0]);
    close(p[1]);
}

/* Writes over 16 KiB of the stack below the caller, where the frames of
 * code that ended lay. */
static __attribute__((noinline, unused)) void scribble_stack(void)
{
    volatile char buf[16384];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = 0x41;
}

/* longjmp to buf from a frame below the caller's. */
static __attribute__((noinline, noreturn, unused)) void jump_from_below(jmp_buf buf)
{
    volatile char pad[1024];
    pad[0] = 1;
    longjmp(buf, pad[0]);
}

/* Runs this program again, n times one after the other, each a fresh
 * process (a new address-space layout: a defect that depends on what lies
 * where shows in some layouts only) with argv (argv[0] first), its stdout
 * to /dev/null; exits 1 unless each copy exits 0. */
static inline void run_fresh_copies(int n, char *const argv[])
{
    for (int i = 0; i < n; i++) {
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            if (null < 0 || dup2(null, 1) < 0)
                _exit(126);
            execv("/proc/self/exe", argv);
            _exit(127);
        }
        int status;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "copy %d of %d: status 0x%x (signal %d)", i + 1, n, status,
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
}

/* A thread that computes for good in bursts, a short sleep between them:
 * its P keeps changing hands, and sysmon preempts it. */
static __attribute__((unused)) void *compute_in_bursts(void *arg)
{
    (void)arg;
    for (;;) {
        for (int i = 0; i < 100000; i++)
            __asm__ volatile("" ::: "memory"); /* (not folded away) */
        usleep(10);
    }
    return NULL;
}

/* Gives the calling thread an alternate signal stack of 64 KiB of its own
 * (for SA_ONSTACK handlers), kept until the process ends. */
static inline void give_thread_altstack(void)
{
    stack_t ss = {.ss_sp = malloc(1 << 16), .ss_flags = 0, .ss_size = 1 << 16};
    CHECK(ss.ss_sp != NULL, "malloc");
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
}

#endif
