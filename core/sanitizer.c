/* The sanitizers' view of mnrt's contexts: see sanitizer.h. Empty unless
 * built with -fsanitize=thread or =address. */
#include "core/sanitizer.h"

#ifdef MN_SAN_TSAN
#include "compat/fsbase.h"
#include "compat/log.h"

#include <sanitizer/tsan_interface.h>
#include <stdint.h>

/* Offset from the thread pointer of TSan's `current` slot: the word in
 * its per-thread state (static TLS, so at the same offset in every TCB)
 * that names the fiber the thread runs. */
static intptr_t current_slot;

/* How far into the thread's own state the slot may be looked for. */
#define SLOT_SEARCH 4096

/* Runs on the main thread, which never switched fibers: its `current` is
 * its own state, the address __tsan_get_current_fiber returns. The slot is
 * the one word of that state that becomes a new fiber when the thread
 * switches to it, and its own address again after switching back. */
__attribute__((no_sanitize("thread"))) void mn_san_boot(void)
{
    char *self = __tsan_get_current_fiber();
    void *probe = __tsan_create_fiber(0);
    __tsan_switch_to_fiber(probe, __tsan_switch_to_fiber_no_sync);
    void **slot = NULL;
    int found = 0;
    for (size_t off = 0; off < SLOT_SEARCH; off += sizeof(void *))
        if (*(void **)(self + off) == probe) {
            slot = (void **)(self + off);
            found++;
        }
    __tsan_switch_to_fiber(self, __tsan_switch_to_fiber_no_sync);
    __tsan_destroy_fiber(probe);
    if (found != 1 || *slot != self)
        mn_fatal("cannot find ThreadSanitizer's current-fiber slot (%d candidates)", found);
    current_slot = (char *)slot - (char *)mn_thread_pointer();
}

void mn_san_adopt(struct mn_san_ctx *c)
{
    c->fiber = __tsan_get_current_fiber();
}

void mn_san_new(struct mn_san_ctx *c)
{
    if (c->fiber)
        __tsan_destroy_fiber(c->fiber);
    c->fiber = __tsan_create_fiber(0);
}

__attribute__((no_sanitize("thread"))) void mn_san_switch(const struct mn_san_ctx *to,
                                                          void *to_tcb)
{
    __tsan_switch_to_fiber(to->fiber, 0);
    *(void **)((char *)to_tcb + current_slot) = to->fiber;
}
#endif

#ifdef MN_SAN_ASAN
#include <sanitizer/asan_interface.h>

void mn_san_g_exited(const void *sp, const char *lo, size_t size)
{
    const char *from = sp;
    if (from >= lo && from < lo + size)
        __asan_unpoison_memory_region(from, (size_t)(lo + size - from));
}
#endif
