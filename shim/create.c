/* pthread_create and pthread_exit: program threads become Gs, once the
 * program's first thread has passed the checks that need a thread glibc
 * made (mn_threads_begin, below; until then nothing of mnrt's makes a
 * thread, and glibc counts the process single-threaded).
 * Attributes are glibc's own pure-data objects, read through glibc's
 * getters (compat/real.h), so their layout never matters here.
 *
 * A new thread's stack size: the size set on its attribute (glibc keeps 0
 * until one is set; pthread_attr_getstack reports that raw value, while
 * pthread_attr_getstacksize substitutes the default); else the size of the
 * last pthread_setattr_default_np that set one (interposed here only to
 * notice that); else MNRT_STACK; else glibc's default (RLIMIT_STACK).
 * default_np_sized only ever goes from false to true. */
#include "shim/pthread_impl.h"

#include "compat/tcb.h"
#include "core/codemap.h"
#include "core/config.h"
#include "shim/sys.h"
#include "shim/unsupported_runtime.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static _Atomic bool default_np_sized;

MN_EXPORT int pthread_setattr_default_np(const pthread_attr_t *attr)
{
    int err = mn_real.pthread_setattr_default_np(attr);
    void *addr;
    size_t size;
    if (err == 0 && pthread_attr_getstack(attr, &addr, &size) == 0 && size != 0)
        atomic_store(&default_np_sized, true);
    return err;
}

/* The stack of a thread whose attribute sets no size: see above. */
void mn_default_stack(size_t *size, size_t *guard)
{
    pthread_attr_t def;
    *size = 8 << 20;
    *guard = mn_page_size();
    if (pthread_getattr_default_np(&def) == 0) {
        pthread_attr_getstacksize(&def, size);
        pthread_attr_getguardsize(&def, guard);
        pthread_attr_destroy(&def);
    }
    if (mn_config.default_stack && !atomic_load(&default_np_sized))
        *size = mn_config.default_stack;
}

static int spec_from_attr(const pthread_attr_t *attr, struct mn_g_spec *spec, sigset_t *mask)
{
    size_t def_size, def_guard;
    mn_default_stack(&def_size, &def_guard);
    spec->stack_size = def_size;
    spec->guard_size = def_guard;
    if (!attr)
        return 0;
    size_t size;
    void *addr;
    int detach;
    if (pthread_attr_getguardsize(attr, &spec->guard_size) != 0 ||
        pthread_attr_getdetachstate(attr, &detach) != 0 ||
        pthread_attr_getstack(attr, &addr, &size) != 0)
        return EINVAL;
    /* getstack gives the raw size (0: none set) and, for an unset stack
     * address, 0 - size */
    if ((uintptr_t)addr + size != 0) {
        spec->user_stack = addr;
        spec->user_stack_size = size;
    } else if (size != 0) {
        spec->stack_size = size;
    }
    spec->detached = detach == PTHREAD_CREATE_DETACHED;
    if (mn_real.pthread_attr_getsigmask_np(attr, mask) == 0)
        spec->sigmask = mask;
    return 0;
}

/* Whether new threads are Gs. The checks that need a thread glibc made
 * itself (compat/tcb.h, mn_tcb_threads_begin) run with the program's first
 * thread, not at boot: a program that makes none starts without making a
 * kernel thread, and keeps glibc's single-threaded mode (stdio and malloc
 * without locks) as natively. If they refuse, every thread from then on
 * is glibc's, said once; the main G runs on as one. If glibc cannot make
 * its thread now (a thread limit, no memory), that thread fails as it
 * would natively, and the next one tries again. One thread checks at a
 * time (THREADS_CHECKING); the others wait for its outcome and, if it was
 * such a failure, try themselves. */
enum { THREADS_UNKNOWN, THREADS_CHECKING, THREADS_GS, THREADS_GLIBC };
static _Atomic uint32_t threads_are;

/* THREADS_GS, THREADS_GLIBC, or THREADS_UNKNOWN with *err set */
static uint32_t check_threads(int *err)
{
    const char *why = mn_unsupported_runtime();
    if (!why)
        why = mn_tcb_threads_begin(mn_real.pthread_create, mn_real.pthread_join,
                                   mn_g_main()->tcb, err);
    if (why) {
        mn_warn("%s; new threads run natively, without M:N threads", why);
        return THREADS_GLIBC;
    }
    if (*err)
        return THREADS_UNKNOWN;
    if (mn_config.debug)
        mn_warn("%s", mn_tcb_describe());
    mn_procs_size();
    return THREADS_GS;
}

int mn_threads_begin(void)
{
    for (;;) {
        uint32_t are = atomic_load_explicit(&threads_are, memory_order_acquire);
        if (are == THREADS_GS)
            return 0;
        if (are == THREADS_GLIBC)
            return -1;
        if (are == THREADS_CHECKING) {
            mn_word_wait(&threads_are, are, -1, false, "first thread");
            continue;
        }
        if (!atomic_compare_exchange_strong(&threads_are, &are, THREADS_CHECKING))
            continue;
        int err = 0;
        are = check_threads(&err);
        atomic_store_explicit(&threads_are, are, memory_order_release);
        mn_word_wake(&threads_are, INT_MAX, false);
        return are == THREADS_GS ? 0 : are == THREADS_GLIBC ? -1 : err;
    }
}

/* In the child of fork: a first thread that another thread of the parent
 * was making when it forked is made again from the start. */
void mn_threads_fork_child(void)
{
    uint32_t checking = THREADS_CHECKING;
    atomic_compare_exchange_strong(&threads_are, &checking, THREADS_UNKNOWN);
}

/* A thread glibc makes for itself (before 2.34: librt's SIGEV_THREAD
 * timer helper, which the kernel signals by its thread id, and its
 * notification threads) stays a kernel thread, as glibc's own pthread_create
 * makes it since (core/codemap.h). */
MN_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                             void *(*start)(void *), void *arg)
{
    uintptr_t caller = (uintptr_t)__builtin_return_address(0);
    int are = mn_native() || mn_codemap_glibc(caller) ? -1 : mn_threads_begin();
    if (are < 0)
        return mn_real.pthread_create(thread, attr, start, arg);
    if (are > 0)
        return are == ENOMEM ? EAGAIN : are; /* glibc's word for no memory */
    struct mn_g_spec spec = {.start = start, .arg = arg, .created_pc = caller};
    sigset_t mask;
    int err = spec_from_attr(attr, &spec, &mask);
    if (err)
        return err;
    mn_g *g;
    err = mn_g_new(&spec, &g);
    if (err)
        return err;
    *thread = (pthread_t)g->tcb;
    mn_g_run(g);
    return 0;
}

/* The child of a fork runs natively: the thread that forked, the child's
 * first, is no G there. When it ends, the process exits with status 0 if
 * no other thread lives, as glibc's start_thread decides (the child's own
 * threads are glibc's, counted in its __nptl_nthreads); it was the G's
 * exit with no G before (SIGSEGV). */
static _Noreturn void fork_child_thread_exit(void)
{
    _Atomic int *nthreads = mn_tcb_glibc_nthreads();
    if (!nthreads || atomic_fetch_sub(nthreads, 1) == 1)
        exit(0);
    for (;;)
        mn_raw_syscall(SYS_exit, 0);
}

_Noreturn void mn_thread_finish(void *result)
{
    mn_tcb_run_tls_dtors(); /* C++ thread_local destructors, as glibc's start_thread */
    mn_keys_run_destructors();
    if (mn_sched.forked_child)
        fork_child_thread_exit();
    mn_g_exit(result);
}

MN_EXPORT void pthread_exit(void *result)
{
    mn_g *g = mn_getg();
    if (!g)
        mn_real.pthread_exit(result);
    g->result = result;
    if (!mn_can_unwind(g))
        mn_thread_finish(result);
    /* glibc unwinds the G's stack (C++ destructors, cleanup handlers) and
     * lands in the frame whose jmp_buf is the TCB's cleanup_jmp_buf. */
    mn_real.pthread_exit(result);
    __builtin_unreachable();
}
