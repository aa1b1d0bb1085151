/* Calls mnrt does not serve yet for Gs (README, Not yet). Each says so once
 * on stderr and does the safest thing it can. */
#include "shim/pthread_impl.h"

MN_EXPORT int pthread_cancel(pthread_t t)
{
    mn_g *g = mn_native() ? NULL : mn_g_from_tcb((void *)t);
    if (!g)
        return mn_real.pthread_cancel(t);
    uint32_t s = atomic_load(&g->status);
    if (s == MN_G_IDLE || s == MN_G_DEAD)
        return ESRCH;
    mn_warn_once("pthread_cancel is not supported yet: the thread goes on running");
    return 0;
}
