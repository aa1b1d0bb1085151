/* The real glibc entry points behind the names libmnrt interposes, found
 * as dlsym(RTLD_NEXT) would find them (real_lookup.h, which allocates
 * nothing) on first use: the first access to `mn_real` resolves the whole
 * table. Other libraries' constructors run before
 * libmnrt's (a preloaded library is initialised after the program's own
 * libraries) and already call interposed names, so the table cannot wait
 * for boot; resolving it all at once keeps lookups out of later calls. The
 * table is written once (racing first users write the same values) and
 * read-only afterwards. Used for: kernel threads that mnrt itself makes
 * (Ms, sysmon), foreign threads' handles, calls that must run as glibc
 * does them (process-shared rwlocks and barriers, an ABI with other
 * processes), and every call while mnrt runs the program natively (before
 * boot, after a refused boot, in a forked child).
 *
 * Only names mnrt defines itself are here. glibc's pure-data attribute
 * objects are read through glibc's own getters (so that mnrt never
 * depends on their layout), which mnrt does not define: they are called
 * by name. */
#ifndef MN_COMPAT_REAL_H
#define MN_COMPAT_REAL_H

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <netdb.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <threads.h>
#include <time.h>

#define MN_REAL_FUNCTIONS(X)                                                            \
    X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *)) \
    X(int, pthread_join, (pthread_t, void **))                                          \
    X(ssize_t, read, (int, void *, size_t))                                             \
    X(int, thrd_create, (thrd_t *, thrd_start_t, void *))                               \
    X(int, pthread_tryjoin_np, (pthread_t, void **))                                    \
    X(int, pthread_timedjoin_np, (pthread_t, void **, const struct timespec *))         \
    X(int, pthread_clockjoin_np, (pthread_t, void **, clockid_t, const struct timespec *)) \
    X(int, pthread_detach, (pthread_t))                                                 \
    X(int, pthread_once, (pthread_once_t *, void (*)(void)))                            \
    X(int, pthread_key_create, (pthread_key_t *, void (*)(void *)))                     \
    X(int, pthread_setspecific, (pthread_key_t, const void *))                          \
    X(void, pthread_exit, (void *))                                                     \
    X(int, pthread_getattr_np, (pthread_t, pthread_attr_t *))                           \
    X(int, pthread_kill, (pthread_t, int))                                              \
    X(int, pthread_sigqueue, (pthread_t, int, const union sigval))                      \
    X(int, pthread_cancel, (pthread_t))                                                 \
    X(void, pthread_testcancel, (void))                                                 \
    X(int, pthread_setname_np, (pthread_t, const char *))                               \
    X(int, pthread_getname_np, (pthread_t, char *, size_t))                             \
    X(int, pthread_getcpuclockid, (pthread_t, clockid_t *))                             \
    X(int, clock_gettime, (clockid_t, struct timespec *))                               \
    X(int, clock_getres, (clockid_t, struct timespec *))                                \
    X(int, getrusage, (__rusage_who_t, struct rusage *))                        \
    X(int, pthread_setschedparam, (pthread_t, int, const struct sched_param *))         \
    X(int, pthread_getschedparam, (pthread_t, int *, struct sched_param *))             \
    X(int, pthread_setschedprio, (pthread_t, int))                                      \
    X(int, pthread_setaffinity_np, (pthread_t, size_t, const cpu_set_t *))              \
    X(int, pthread_getaffinity_np, (pthread_t, size_t, cpu_set_t *))                    \
    X(int, pthread_setattr_default_np, (const pthread_attr_t *))                        \
    X(int, pthread_sigmask, (int, const sigset_t *, sigset_t *))                        \
    X(int, sigprocmask, (int, const sigset_t *, sigset_t *))                            \
    X(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *,                \
                                    const struct timespec *))                           \
    X(int, pthread_rwlock_init, (pthread_rwlock_t *, const pthread_rwlockattr_t *))     \
    X(int, pthread_rwlock_destroy, (pthread_rwlock_t *))                                \
    X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))                                 \
    X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))                              \
    X(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t *, clockid_t,                  \
                                        const struct timespec *))                       \
    X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))                                 \
    X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))                              \
    X(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t *, clockid_t,                  \
                                        const struct timespec *))                       \
    X(int, pthread_rwlock_unlock, (pthread_rwlock_t *))                                 \
    X(int, pthread_barrier_init, (pthread_barrier_t *, const pthread_barrierattr_t *,   \
                                  unsigned))                                            \
    X(int, pthread_barrier_wait, (pthread_barrier_t *))                                 \
    X(int, pthread_barrier_destroy, (pthread_barrier_t *))                              \
    X(int, setuid, (uid_t))                                                             \
    X(int, setgid, (gid_t))                                                             \
    X(int, seteuid, (uid_t))                                                            \
    X(int, setegid, (gid_t))                                                            \
    X(int, setreuid, (uid_t, uid_t))                                                    \
    X(int, setregid, (gid_t, gid_t))                                                    \
    X(int, setresuid, (uid_t, uid_t, uid_t))                                            \
    X(int, setresgid, (gid_t, gid_t, gid_t))                                            \
    X(int, setgroups, (size_t, const gid_t *))                                          \
    X(void *, dlopen, (const char *, int))                                              \
    X(void *, dlmopen, (Lmid_t, const char *, int))                                     \
    X(int, dlclose, (void *))                                                           \
    X(int, sigaction, (int, const struct sigaction *, struct sigaction *))              \
    X(sighandler_t, signal, (int, sighandler_t))                                        \
    X(sighandler_t, sysv_signal, (int, sighandler_t))                                   \
    X(int, sigpending, (sigset_t *))                                                    \
    X(int, sigtimedwait, (const sigset_t *, siginfo_t *, const struct timespec *))      \
    X(int, sigsuspend, (const sigset_t *))                                              \
    X(void, siglongjmp, (sigjmp_buf, int))                                              \
    X(void, longjmp, (jmp_buf, int))                                                    \
    X(void, _longjmp, (jmp_buf, int))                                                   \
    X(void, __longjmp_chk, (jmp_buf, int))                                              \
    X(int, getaddrinfo, (const char *, const char *, const struct addrinfo *,           \
                         struct addrinfo **))                                           \
    X(int, getnameinfo, (const struct sockaddr *, socklen_t, char *, socklen_t, char *, \
                         socklen_t, int))                                               \
    X(struct hostent *, gethostbyname, (const char *))                                  \
    X(struct hostent *, gethostbyname2, (const char *, int))                            \
    X(int, gethostbyname_r, (const char *, struct hostent *, char *, size_t,            \
                             struct hostent **, int *))                                 \
    X(int, gethostbyname2_r, (const char *, int, struct hostent *, char *, size_t,      \
                              struct hostent **, int *))                                \
    X(struct hostent *, gethostbyaddr, (const void *, socklen_t, int))                  \
    X(int, gethostbyaddr_r, (const void *, socklen_t, int, struct hostent *, char *,    \
                             size_t, struct hostent **, int *))                         \
    X(int, system, (const char *))                                                      \
    X(pid_t, fork, (void))                                                              \
    X(void, __cxa_finalize, (void *))                                                   \
    X(void, flockfile, (FILE *))                                                        \
    X(int, ftrylockfile, (FILE *))                                                      \
    X(void, funlockfile, (FILE *))                                                      \
    X(long, ptrace, (enum __ptrace_request, pid_t, void *, void *))                     \
    X(int, lockf, (int, int, off_t))                                                    \
    X(int, fclose, (FILE *))                                                            \
    X(int, pclose, (FILE *))                                                            \
    X(FILE *, freopen, (const char *, const char *, FILE *))                            \
    X(FILE *, freopen64, (const char *, const char *, FILE *))                          \
    X(int, __libc_start_main, (int (*)(int, char **, char **), int, char **,            \
                               void (*)(void), void (*)(void), void (*)(void), void *))

/* Names newer than the oldest glibc mnrt runs on (2.31): where the
 * running glibc lacks one, its entry is mnrt's own version of what glibc's
 * does (real_fallback.c): the system call, or, for the signal mask of a
 * thread attribute, none (attributes had none before 2.32). */
#define MN_REAL_OPTIONAL(X)                                                             \
    X(int, pthread_attr_getsigmask_np, (const pthread_attr_t *, sigset_t *))            \
    X(int, close_range, (unsigned, unsigned, int))                                      \
    X(void, closefrom, (int))

struct mn_real_fns {
#define MN_REAL_FIELD(ret, name, args) ret(*name) args;
    MN_REAL_FUNCTIONS(MN_REAL_FIELD)
    MN_REAL_OPTIONAL(MN_REAL_FIELD)
#undef MN_REAL_FIELD
};

extern struct mn_real_fns mn_real_table;
extern _Atomic bool mn_real_resolved;

/* Resolves every entry (once; safe from any thread). */
void mn_real_resolve(void);

static inline struct mn_real_fns *mn_real_get(void)
{
    if (__builtin_expect(!atomic_load_explicit(&mn_real_resolved, memory_order_acquire), 0))
        mn_real_resolve();
    return &mn_real_table;
}

/* mn_real.name(...): glibc's name, resolved on first use. */
#define mn_real (*mn_real_get())

/* The first entry glibc does not have, or NULL: then mnrt cannot run the
 * program (boot refuses) and the program runs natively. */
const char *mn_real_missing(void);


#endif
