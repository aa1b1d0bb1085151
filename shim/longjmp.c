/* longjmp and its kin, for the signal masks of Gs (core/signals.h). A
 * handler that a jump leaves never returns to mnrt's: so the G is no
 * longer in it, nor in the calls it interrupted (their system call
 * brackets end: the G counted as in a system call for good, and sysmon
 * handed its P on while it computed). Which handlers a jump leaves is
 * told by where it lands (the buffer's stack pointer, compat/jmpbuf.h):
 * one that lands inside a handler leaves only those nested in it, and a
 * handler on its M's alternate stack keeps its G on that M until it
 * returns (core/sigframes.h). Its mask becomes the
 * one sigsetjmp saved (glibc's jump sets the kernel's from the buffer,
 * and the kernel's was the G's when the buffer was filled: an M's mask is
 * its G's). A jump from a buffer that saved no mask keeps the mask as it
 * is, as natively (a handler's, if it leaves one). */
#include "shim/pthread_impl.h"

#include "compat/jmpbuf.h"
#include "core/sigframes.h"
#include "core/signals.h"

#include <setjmp.h>

static void before_jump(struct __jmp_buf_tag *env)
{
    mn_g *g = mn_getg();
    if (!g)
        return;
    uintptr_t to = 0, from = (uintptr_t)__builtin_frame_address(0);
    int left = 0;
    if (mn_sig_in_handler(g)) {
        to = mn_jmpbuf_sp(env);
        left = mn_sig_handlers_left_by_jump(g, to, from);
    }
    /* Until the handlers are counted left, their pins hold: it may park,
     * and it still runs on the M's alternate stack. */
    if (left > 0)
        mn_syscall_left_by_jump();
    if (env->__mask_was_saved) {
        sigset_t mask = g->sigmask;
        *(uint64_t *)&mask = mn_sig_bits(&env->__saved_mask) & mn_sig_maskable();
        g->sigmask = mask;
        g->m->sigmask = mask;
        mn_sig_mask_changed(g, &mask);
        /* Signals that came while the handler's mask held them run once
         * the jump sets this mask, as natively when glibc's sets the
         * kernel's: they wait in the G, not in the kernel (a SIGSEGV
         * handler that jumped out with SIGALRM held kept stress-ng
         * --sigsegv from ever seeing its alarm). */
        if (mn_sig_deliverable(atomic_load(&g->sigpend), &mask))
            mn_sig_deliver_pending();
    }
    if (left > 0)
        mn_sig_leave_handlers(g, left, to, from);
}

/* Each of glibc's jumps (they restore a saved mask alike), after
 * before_jump. */
#define JUMP_AFTER_SYNC(name)                                                  \
    MN_EXPORT _Noreturn void name(struct __jmp_buf_tag env[1], int val)        \
    {                                                                          \
        before_jump(env);                                                      \
        mn_real.name(env, val);                                                \
        __builtin_unreachable();                                               \
    }

JUMP_AFTER_SYNC(siglongjmp)
JUMP_AFTER_SYNC(longjmp)
JUMP_AFTER_SYNC(_longjmp)
JUMP_AFTER_SYNC(__longjmp_chk)
