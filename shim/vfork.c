/* vfork(): a real one. The child shares the parent's memory (and so
 * mnrt's state) until it execs or exits, while the kernel thread that
 * called vfork waits; it runs on the calling G's stack and TLS.
 *
 * Invariants:
 * - The child acts on nothing of mnrt's: it finds mn_tls_vfork_child set
 *   (so mn_native() is true: every call is served as glibc's, on its own
 *   fd table and signal actions) and mn_tls_g NULL (it is no G: nothing
 *   parks, nothing touches the G's P or M). Python's subprocess child
 *   calls close_range over every fd, sigaction and pthread_sigmask: made
 *   through mnrt they would act on the parent's fd table, handlers and
 *   masks (tests/programs/vfork_child_calls).
 * - The parent restores both when the kernel lets it go on. Both live in
 *   the G's TLS, which the child shares: the child changes nothing else
 *   there, and only the child runs on that TLS meanwhile.
 * - The vforking G holds no P while it waits (the handoff bracket, as a
 *   blocking call: other Gs run) and stays on its kernel thread until it
 *   parks, the child's tracer if it asks (as fork: shim/fork.c).
 * - The parent's kernel thread takes no program signal from before the
 *   system call until mn_tls_g is back: a handler that ran while the
 *   child's NULL is there would find no G. The child starts with the G's
 *   mask, as a native child starts with its thread's.
 * - A child that vforks again (the flag set already) does none of this:
 *   its own child inherits the flag, and its parent side leaves it set.
 *
 * glibc's fork handlers do not run, as natively. The stub that makes the
 * system call is shim/vfork_x86_64.S; the two functions below that it
 * calls after it are the only code on each side until vfork returns. */
#include "shim/pthread_impl.h"

#include "core/signals.h"

__thread bool mn_tls_vfork_child;

/* What the parent side restores: written before the system call, read by
 * both sides after it. */
static __thread struct {
    mn_g *g;
    uint64_t mask; /* the kernel thread's signal mask */
} before;

enum { MANAGED = 1, WAS_CHILD = 2 }; /* the state the stub passes on */

/* pc, sp, fp: the caller's, as vfork returns to it (the stub's frame is
 * overwritten by the child's calls, so a thread dump unwinds from
 * there). */
int mn_vfork_prepare(uintptr_t pc, uintptr_t sp, uintptr_t fp);
int mn_vfork_prepare(uintptr_t pc, uintptr_t sp, uintptr_t fp)
{
    if (mn_tls_vfork_child)
        return WAS_CHILD;
    mn_g *g = mn_getg();
    if (!g || mn_native())
        return 0;
    mn_lock_thread_for_fork();
    before.g = g;
    before.mask = mn_sig_block_for_start();
    mn_entersyscall();
    if (g->syscall_depth == 1) {
        g->syscall_pc = pc;
        g->syscall_sp = sp;
        g->syscall_fp = fp;
    }
    return MANAGED;
}

void mn_vfork_child(int state);
void mn_vfork_child(int state)
{
    mn_tls_vfork_child = true;
    if (state & MANAGED) {
        mn_tls_g = NULL;
        mn_sig_unblock_after_start(before.mask);
    }
}

long mn_vfork_parent(long r, int state);
long mn_vfork_parent(long r, int state)
{
    mn_tls_vfork_child = state & WAS_CHILD;
    if (state & MANAGED) {
        mn_tls_g = before.g;
        mn_sig_unblock_after_start(before.mask);
        mn_exitsyscall();
    }
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}
