/* The runtime across fork() (docs/design.md §15). Only the forking thread
 * lives on in the child, as in glibc; if it is a G it stays one there, on
 * a scheduler rebuilt around it: the kernel thread is M0 again with a new
 * g0 (the old one's stack is the parent's M's, which glibc counts free in
 * the child), Ps as many as in the parent, all empty, sysmon anew, and the
 * netpoller the child's own (shim and syscalls/ do their part). The other
 * Gs vanish without running any of their code: their stacks are unmapped
 * and their Gs (with their TCBs) wait in the free list for reuse.
 *
 * Locks (docs/lock-order.md): the forking M takes, after the program's
 * prepare handlers and before glibc's own fork work, the locks that guard
 * what the child keeps or walks: the program's signal actions, its
 * SIGSEGV action, and the scheduler's three (mcreate_lock, allg_lock,
 * sched.lock), in that order. The child releases them as the parent does;
 * every other runtime lock guards state the child throws away, and is
 * reset with it, never waited for.
 *
 * Invariants: mn_fork_prepare and mn_fork_parent/mn_fork_child run on the
 * forking G, with nothing parked in between (the locks are held); no
 * other thread exists in the child when mn_fork_child runs. */
#ifndef MN_CORE_FORK_H
#define MN_CORE_FORK_H

#include "core/runtime.h"

/* Just before the fork system call (glibc's fork), on a G. */
void mn_fork_prepare(void);
/* After it, in the parent. */
void mn_fork_parent(void);
/* After it, in the child: rebuilds the core's runtime around the forking
 * G, its M's g0 on g0 (made in the parent before the program's prepare
 * handlers: mn_g0_parts_make). Allocates nothing: the program's handlers
 * may hold its allocator's lock until its child handlers run (jemalloc,
 * tcmalloc). */
void mn_fork_child(const struct mn_g0_parts *g0);
/* In the child, after the program's child handlers: what allocates
 * (sysmon's thread). */
void mn_fork_child_done(void);

#endif
