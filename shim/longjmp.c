/* longjmp and its kin, for the signal masks of Gs (core/signals.h). A
 * handler that leaves by siglongjmp never returns to mnrt's: so the G is
 * no longer in a handler, and its mask becomes the one sigsetjmp saved
 * (glibc's jump sets the kernel's from the buffer, and the kernel's was
 * the G's when the buffer was filled: an M's mask is its G's). A jump
 * from a buffer that saved no mask keeps the mask as it is, as natively
 * (a handler's, if it leaves one). */
#include "shim/pthread_impl.h"

#include "core/signals.h"

#include <setjmp.h>

static void before_jump(struct __jmp_buf_tag *env)
{
    mn_g *g = mn_getg();
    if (!g)
        return;
    g->sig_handler_depth = 0;
    if (env->__mask_was_saved) {
        sigset_t mask = g->sigmask;
        *(uint64_t *)&mask = mn_sig_bits(&env->__saved_mask) & mn_sig_blockable();
        g->sigmask = mask;
        g->m->sigmask = mask;
        mn_sig_mask_changed(g, &mask);
    }
}

MN_EXPORT _Noreturn void siglongjmp(sigjmp_buf env, int val)
{
    before_jump(env);
    mn_real.siglongjmp(env, val);
    __builtin_unreachable();
}

MN_EXPORT _Noreturn void longjmp(jmp_buf env, int val)
{
    before_jump(env);
    mn_real.longjmp(env, val);
    __builtin_unreachable();
}

MN_EXPORT _Noreturn void _longjmp(jmp_buf env, int val)
{
    before_jump(env);
    mn_real._longjmp(env, val);
    __builtin_unreachable();
}

MN_EXPORT _Noreturn void __longjmp_chk(jmp_buf env, int val)
{
    before_jump(env);
    mn_real.__longjmp_chk(env, val);
    __builtin_unreachable();
}
