/* Booting the runtime inside an unmodified program (DESIGN.md §1, §3):
 * the constructor of libmnrt.so runs on the main thread before the
 * program's own constructors; the main thread becomes the first G and the
 * kernel thread under it M0. __libc_start_main is interposed only to give
 * the main G a frame of ours below main(), so that pthread_exit from main
 * unwinds to mnrt (as start_thread does for glibc's threads) and the
 * process lives on while other threads run.
 *
 * Invariants: boot runs once, on the main thread, while no G exists; after
 * fork() the child runs natively (mn_sched.forked_child). */
#include "shim/pthread_impl.h"

#include "compat/fsbase.h"
#include "compat/tcb.h"
#include "compat/tls_modules.h"
#include "core/config.h"
#include "core/overflow.h"
#include "core/sched_internal.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

bool mn_booted;
extern char __libc_single_threaded;

static int (*program_main)(int, char **, char **);
static bool main_frame_ready;

static void g_main(mn_g *g);

static void fork_child(void)
{
    /* Only the forking thread lives on in the child, as a plain thread. */
    mn_sched.forked_child = true;
    mn_tls_g = NULL;
    mn_waitq_reset();
}

void mn_boot(void)
{
    if (mn_booted)
        return;
    if (syscall(SYS_gettid) != getpid()) {
        mn_warn("libmnrt.so must be loaded at start-up with LD_PRELOAD (or `mnrt run`); "
                "running natively");
        return;
    }
    mn_fsbase_init();
    mn_real_init();
    mn_config_load();
    if (mn_config.debug)
        mn_warn("thread switches load FS with %s",
                mn_have_fsgsbase ? "wrfsbase"
                                 : "arch_prctl: no FSGSBASE here, each switch is a system call");
    mn_tcb_boot(mn_real.pthread_create, mn_real.pthread_join);
    mn_tls_modules_boot();
    __libc_single_threaded = 0;
    mn_hooks.g_main = g_main;
    mn_g *main_g = mn_g_boot_main();
    mn_sched_boot(mn_config.procs, main_g);
    mn_overflow_install();
    pthread_atfork(NULL, NULL, fork_child);
    mn_booted = true;
    if (mn_config.schedtrace_ms)
        mn_monitor_ensure();
}

__attribute__((constructor(101))) static void mn_boot_constructor(void)
{
    mn_boot();
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
    if (!mn_real.__libc_start_main)
        mn_real_init();
    program_main = main;
    return mn_real.__libc_start_main(main_wrapper, argc, argv, init, fini, rtld_fini,
                                     stack_end);
}
