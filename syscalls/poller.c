/* Choosing and setting up the netpoller, once, on first need: io_uring
 * unless MNRT_POLLER=epoll or it cannot be set up, then epoll. The choice
 * is said once under MNRT_DEBUG. Once set up, the scheduler uses it
 * through mn_hooks (core/runtime.h). */
#include "syscalls/poller.h"

#include "syscalls/ownfd.h"

#include "compat/log.h"
#include "core/config.h"
#include "core/lowfd.h"
#include "core/runtime.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

static const struct mn_poller *_Atomic chosen;
static mn_lock init_lock = MN_LOCK_INIT(POLLER_INIT);
static bool tried;                  /* under init_lock */
static _Atomic bool none;           /* tried, and neither backend could be set up */

/* A caller that comes while another thread sets the poller up waits for
 * it under init_lock: it got NULL before (2026-12-06), and its G then
 * waited as if there were no poller, looking again every 10 ms. */
const struct mn_poller *mn_poller_get(void)
{
    const struct mn_poller *p = atomic_load_explicit(&chosen, memory_order_acquire);
    if (p || atomic_load_explicit(&none, memory_order_relaxed))
        return p;
    mn_lock_acquire(&init_lock);
    if (!tried) {
        tried = true;
        const struct mn_poller *order[2] = {&mn_poller_uring, &mn_poller_epoll};
        int first = mn_config.poller == MN_POLLER_EPOLL ? 1 : 0;
        for (int i = first; i < 2 && !p; i++) {
            mn_lowfd_begin(); /* its fds are made low, then moved high: core/lowfd.h */
            int err = order[i]->init();
            mn_lowfd_end();
            if (err == 0)
                p = order[i];
            else if (mn_config.debug)
                mn_warn("netpoller %s unavailable: %s", order[i]->name, strerror(err));
        }
        if (p && mn_config.debug)
            mn_warn("netpoller: %s", p->name);
        if (!p) {
            mn_warn("no netpoller (io_uring and epoll both failed): blocked threads poll");
            atomic_store(&none, true);
        }
        atomic_store_explicit(&chosen, p, memory_order_release);
        if (p) {
            atomic_store(&mn_hooks.poll_wait, p->wait);
            atomic_store(&mn_hooks.poll_now, p->poll_now);
            atomic_store(&mn_hooks.poll_ready, p->poll_ready);
            atomic_store(&mn_hooks.poll_wake, p->wake);
            /* an idle M sleeping for timers: into the poller. sysmon is not
             * started here: while the main G is the only one, the M out
             * of work waits in the poller itself, with nobody else's I/O
             * to collect; whatever else needs sysmon starts it (sysmon.h).
             * A program that waits for input without making a thread thus
             * keeps glibc's single-threaded mode (shim/create.c). */
            mn_poll_break();
        }
    }
    mn_lock_release(&init_lock);
    return atomic_load(&chosen);
}

void mn_netpoll_fork_child(void)
{
    mn_own_fd_fork_child();
    const struct mn_poller *p = atomic_load(&chosen);
    if (p)
        p->forget();
    atomic_store(&mn_hooks.poll_wait, NULL);
    atomic_store(&mn_hooks.poll_now, NULL);
    atomic_store(&mn_hooks.poll_ready, NULL);
    atomic_store(&mn_hooks.poll_wake, NULL);
    atomic_store(&chosen, NULL);
    tried = false;
    atomic_store(&none, false);
    init_lock = (mn_lock)MN_LOCK_INIT(POLLER_INIT);
    mn_pollfd_fork_child();
}
