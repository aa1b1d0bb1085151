/* What the sanitizers must be told about mnrt's contexts (docs/sanitizers.md).
 * Compiled only in a build with -fsanitize=thread or =address (meson
 * -Dsanitize=...); everywhere else these are empty inline functions.
 *
 * A context is a G, or an M's g0. Each runs on its own stack *and* its own
 * TCB (docs/design.md §2, §10), and the sanitizers keep their per-thread
 * state in the TCB (TSan: a ThreadState in its static TLS; ASan: its
 * AsanThread in a pthread key), so a switch changes the sanitizer's thread
 * together with the stack:
 *
 * - TSan: a context whose TCB TSan never saw (every G, and M0's g0) would
 *   run with no ThreadState. Every context is therefore a TSan fiber
 *   (__tsan_create_fiber, or the kernel thread's own state for the main G
 *   and an M's g0), and each switch (mn_san_switch, just before
 *   mn_ctx_switch) calls __tsan_switch_to_fiber and points the target
 *   TCB's copy of TSan's `current` slot at the target's fiber. Where that
 *   slot sits is found once at boot (mn_san_boot), on the main thread.
 *   The switch synchronises (TSan's default): the kernel thread's program
 *   order, from the context left to the one entered.
 * - ASan: nothing at a switch. Its fiber calls pair a start in one
 *   thread's state with a finish in the same state, and here the finish
 *   would run on the target's TCB, another AsanThread (or none): ASan would
 *   take the next G's stack for the previous context's. Each TCB keeps its
 *   one stack, so ASan's view is right as it is; what it needs is clean
 *   shadow on a G's stack once the G is gone (mn_san_g_exited: the frames
 *   below the final switch never return), and the stack of a thread it did
 *   not make (pthread_getattr_np, which mnrt answers for a G).
 *
 * Invariants: mn_san_boot runs on the main thread before any switch, and
 * only in a TSan build; a context's fiber is made (mn_san_new) or adopted
 * (mn_san_adopt) before the first switch into it. */
#ifndef MN_CORE_SANITIZER_H
#define MN_CORE_SANITIZER_H

#include <stddef.h>

#if defined(__SANITIZE_THREAD__)
#define MN_SAN_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MN_SAN_ASAN 1
#endif

struct mn_san_ctx {
    void *fiber; /* TSan: this context's ThreadState */
};

#ifdef MN_SAN_TSAN
/* Finds TSan's `current` slot in the static TLS (mn_fatal if it cannot). */
void mn_san_boot(void);
/* The context runs now on the calling TCB, whose TSan state is its own. */
void mn_san_adopt(struct mn_san_ctx *c);
/* A context that has not run yet (its previous fiber, if any, is freed). */
void mn_san_new(struct mn_san_ctx *c);
/* The calling context switches to `to`, which runs on to_tcb. */
void mn_san_switch(const struct mn_san_ctx *to, void *to_tcb);
#else
static inline void mn_san_boot(void) {}
static inline void mn_san_adopt(struct mn_san_ctx *c) { (void)c; }
static inline void mn_san_new(struct mn_san_ctx *c) { (void)c; }
static inline void mn_san_switch(const struct mn_san_ctx *to, void *to_tcb)
{
    (void)to, (void)to_tcb;
}
#endif

#ifdef MN_SAN_ASAN
/* A G finished: the shadow of its stack [lo, lo + size) from the context
 * it left for good (sp) to the top is cleared, for the stack's next user. */
void mn_san_g_exited(const void *sp, const char *lo, size_t size);
/* On mn_g_exit: ASan is not asked to clean the stack before the final
 * switch (__asan_handle_no_return), since it cannot find the stack of a G
 * whose TCB it did not make without the preload (pthread_getattr_np);
 * mn_san_g_exited cleans it after the switch instead. */
#define MN_SAN_NO_STACK_CLEANUP __attribute__((no_sanitize_address))
#else
static inline void mn_san_g_exited(const void *sp, const char *lo, size_t size)
{
    (void)sp, (void)lo, (void)size;
}
#define MN_SAN_NO_STACK_CLEANUP
#endif

#endif
