/* Booting the runtime inside an unmodified program (docs/design.md §15): the
 * main thread becomes the first G and the kernel thread under it M0.
 *
 * When: libmnrt's constructor boots it. A preloaded library is initialised
 * after the program's own libraries, whose constructors (and those of
 * preloaded libraries listed before libmnrt) already call names mnrt
 * interposes. Until boot every exported name serves its caller as it
 * serves a thread mnrt did not make, with glibc's real functions resolved
 * on first use (compat/real.h), so those calls behave as glibc's; a thread
 * made before boot is a native one, and a foreign thread afterwards
 * (docs/design.md §2). Boot does not come early on the first pthread_create:
 * a constructor may run inside dlopen, holding glibc's recursive loader
 * lock under the main thread's tid, which boot changes (docs/glibc-facts.md §5: Gs
 * carry tids of their own) - the lock could never be released again. The
 * executable's own constructors run after libmnrt's: their threads are Gs.
 *
 * Boot never kills the program: first everything that can fail is checked
 * and made (libmnrt in front of glibc, no valgrind, glibc's entry points
 * and layout, memory for the Ps and M0). If anything fails, one `mnrt: ...`
 * line says what and the program runs natively for good: every call is
 * glibc's, or mnrt's as for a foreign thread. Only then is the main thread
 * made a G, which cannot fail. What needs a thread glibc made itself waits
 * for the program's first thread (mn_threads_begin in shim/create.c), so
 * that a program that makes none starts as fast as natively and keeps
 * glibc's single-threaded mode.
 *
 * __libc_start_main is interposed only to give the main G a frame of ours
 * below main(), so that pthread_exit from main unwinds to mnrt (as
 * start_thread does for glibc's threads) and the process lives on while
 * other threads run.
 *
 * Invariants: mn_boot_state leaves NOT_YET once, on the main thread, while
 * no G exists; the child of a fork runs under M:N again (shim/fork.c). */
#include "shim/pthread_impl.h"
#include "shim/sys.h"

#include "core/cputime.h"
#include "core/dump.h"
#include "core/exectrace_file.h"
#include "core/exectrace.h"

#include "compat/fsbase.h"
#include "compat/glibc_syms.h"
#include "compat/tcb.h"
#include "compat/tls_modules.h"
#include "core/codemap.h"
#include "core/config.h"
#include "core/faults.h"
#include "core/preempt.h"
#include "core/signals.h"
#include "core/sched_internal.h"
#include "syscalls/netio.h"
#include "syscalls/ownfd.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

_Atomic int mn_boot_state;

static int (*program_main)(int, char **, char **);
static bool main_frame_ready;

static void g_main(mn_g *g);

static bool on_main_thread(void)
{
    return MN_SYS(SYS_gettid) == getpid();
}

/* Whether the program's pthread_create is libmnrt's: libmnrt is in front
 * of glibc. (Not `== pthread_create`: in a shared object that address
 * comes from the same lookup.) */
static bool interposing(void)
{
    Dl_info found, self;
    void *create = dlsym(RTLD_DEFAULT, "pthread_create");
    return create && dladdr(create, &found) && dladdr((void *)mn_boot, &self) &&
           found.dli_fbase == self.dli_fbase;
}

/* Why mnrt cannot run this program, or NULL: what is checked before
 * anything is changed. */
static const char *check_environment(void)
{
    if (!on_main_thread())
        return "libmnrt.so was loaded after the program started (dlopen from a thread); "
               "load it with LD_PRELOAD or `mnrt run`";
    if (!interposing())
        return "libmnrt.so is not in front of glibc (it was loaded after start-up, or "
               "after libc); load it with LD_PRELOAD or `mnrt run`";
    const char *preload = getenv("LD_PRELOAD");
    if (preload && strstr(preload, "/vgpreload_"))
        return "valgrind detected (it cannot follow mnrt's thread switches)";
    static char missing[96];
    const char *name = mn_real_missing();
    if (name) {
        snprintf(missing, sizeof missing, "glibc has no %s", name);
        return missing;
    }
    return NULL;
}

static void refuse(const char *why)
{
    mn_warn("%s; running the program natively, without M:N threads", why);
    atomic_store(&mn_boot_state, MN_BOOT_NATIVE);
}

void mn_boot(void)
{
    if (atomic_load(&mn_boot_state) != MN_BOOT_NOT_YET)
        return;
    const char *why = check_environment();
    if (why) {
        refuse(why);
        return;
    }
    mn_fsbase_init();
    mn_fd_table_grow(); /* before the first thread (glibc's TCB probe's, or mnrt's) */
    mn_config_load();
    if (mn_config.debug)
        mn_warn("thread switches load FS with %s",
                mn_have_fsgsbase ? "wrfsbase"
                                 : "arch_prctl: no FSGSBASE here, each switch is a system call");
    if (mn_config.randomize >= 0) { /* before any M is made: each seeds from it */
        mn_randomize_start(mn_config.randomize);
        mn_warn("randomized scheduling, seed %lld", (long long)mn_config.randomize);
    }
    if (!(why = mn_tcb_boot()) && !(why = mn_tls_modules_boot()))
        why = mn_cond_shared_boot();
    mn_glibc_syms_release();
    int procs = mn_config.procs_fixed ? mn_config.procs : 1; /* mn_procs_size: more */
    if (why || (why = mn_sched_prepare(procs))) {
        refuse(why);
        return;
    }

    if (mn_config.debug)
        mn_warn("%s", mn_tcb_describe());

    /* From here on nothing fails: the main thread becomes the main G. */
    if (mn_config.trace_file) /* first: it records from the main G's start on */
        mn_xtrace_boot(mn_config.trace_file);
    mn_codemap_init(); /* before any G: pthread_create asks it */
    mn_hooks.g_main = g_main;
    mn_hooks.io_wait = mn_netio_inline_wait;
    mn_cancel_boot();
    mn_g *main_g = mn_g_boot_main();
    mn_sched_boot(procs, main_g);
    mn_faults_install();
    mn_fork_boot();
    mn_stdio_lock_boot();
    atomic_store(&mn_boot_state, MN_BOOT_UP);
    mn_sig_boot(); /* first: the handlers it finds are the program's */
    if (mn_config.asyncpreempt)
        mn_preempt_init();
    mn_dump_shim_boot();
    if (mn_config.cputime) { /* every G's CPU time from its start (core/cputime.h) */
        mn_cputime_all = true;
        mn_cputime_start(main_g);
    }
    if (mn_config.schedtrace_ms)
        mn_monitor_ensure();
}

__attribute__((constructor(101))) static void mn_boot_constructor(void)
{
    mn_boot();
}

/* At exit (exit(), return from main, the last thread's end): the
 * execution trace, if one is recorded (core/exectrace_file.h), and the
 * death by SIGQUIT of a dump under way (core/dump.h); not by a vfork
 * child that calls exit(), whose memory is its parent's. */
__attribute__((destructor)) static void mn_exit_destructor(void)
{
    if (mn_tls_vfork_child)
        return;
    mn_dump_await_death();
    mn_xtrace_write();
}

/* Program code of a G; what it returns or passes to pthread_exit (which
 * unwinds to the setjmp below, like glibc's start_thread) ends it. */
/* glibc's start_thread does the same cast: _setjmp writes only the
 * registers and __mask_was_saved, never the saved mask gcc worries about. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

static void g_main(mn_g *g)
{
    __pthread_unwind_buf_t ub;
    memset(ub.__pad, 0, sizeof ub.__pad);
    if (_setjmp((struct __jmp_buf_tag *)ub.__cancel_jmp_buf) == 0) {
        mn_tcb_set_cleanup_jmp_buf(g->tcb, &ub);
        void *result;
        if (g->c11)
            result = (void *)(intptr_t)((int (*)(void *))(void *)g->start)(g->arg);
        else
            result = g->start(g->arg);
        mn_thread_finish(result);
    }
    mn_thread_finish(g->result);
}

static int main_wrapper(int argc, char **argv, char **envp)
{
    mn_g *g = mn_getg();
    if (!g)
        return program_main(argc, argv, envp);
    __pthread_unwind_buf_t ub;
    memset(ub.__pad, 0, sizeof ub.__pad);
    if (_setjmp((struct __jmp_buf_tag *)ub.__cancel_jmp_buf) == 0) {
        mn_tcb_set_cleanup_jmp_buf(g->tcb, &ub);
        main_frame_ready = true;
        return program_main(argc, argv, envp);
    }
    mn_thread_finish(g->result); /* main called pthread_exit */
}

/* Whether pthread_exit may unwind the calling G (see pthread_exit). */
bool mn_can_unwind(mn_g *g)
{
    return !g->is_main || main_frame_ready;
}

MN_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                                void (*init)(void), void (*fini)(void),
                                void (*rtld_fini)(void), void *stack_end)
{
    program_main = main;
    return mn_real.__libc_start_main(main_wrapper, argc, argv, init, fini, rtld_fini,
                                     stack_end);
}
