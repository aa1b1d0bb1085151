/* Messages to stderr that do not depend on any runtime state, usable from
 * any thread, any stack and early at boot: `mnrt: ...` warnings and
 * `mnrt: fatal: ...` for broken invariants (then abort, like Go's throw).
 * Written with one write(2) per message so lines do not interleave. */
#ifndef MN_COMPAT_LOG_H
#define MN_COMPAT_LOG_H

#include <stdatomic.h>

void mn_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void mn_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a warning the first time a given site is reached. */
#define mn_warn_once(...)                                                      \
    do {                                                                       \
        static atomic_bool mn_warned_;                                         \
        if (!atomic_exchange_explicit(&mn_warned_, 1, memory_order_relaxed))   \
            mn_warn(__VA_ARGS__);                                              \
    } while (0)

#define mn_assert(cond)                                                        \
    do {                                                                       \
        if (__builtin_expect(!(cond), 0))                                      \
            mn_fatal("%s:%d: %s", __FILE__, __LINE__, #cond);                  \
    } while (0)

#endif
