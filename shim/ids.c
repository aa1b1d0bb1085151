/* Owner ids for mutexes and rwlocks: see pthread_impl.h. */
#include "shim/pthread_impl.h"
#include "shim/sys.h"

#include <sys/syscall.h>
#include <unistd.h>

static __thread pid_t foreign_tid;

pid_t mn_self_id(void)
{
    mn_g *g = mn_getg();
    if (g)
        return g->tid;
    if (!foreign_tid)
        foreign_tid = (pid_t)MN_SYS(SYS_gettid);
    return foreign_tid;
}
