/* Resolution of the real glibc entry points: see real.h. */
#include "compat/real.h"
#include "compat/log.h"

struct mn_real_fns mn_real_table;
_Atomic bool mn_real_resolved;
static const char *missing;

void mn_real_resolve(void)
{
    const char *first_missing = NULL;
#define MN_REAL_RESOLVE(ret, name, args)                                        \
    mn_real_table.name = (ret(*) args)dlsym(RTLD_NEXT, #name);                  \
    if (!mn_real_table.name && !first_missing)                                  \
        first_missing = #name;
    MN_REAL_FUNCTIONS(MN_REAL_RESOLVE)
#undef MN_REAL_RESOLVE
    missing = first_missing;
    atomic_store_explicit(&mn_real_resolved, true, memory_order_release);
}

const char *mn_real_missing(void)
{
    mn_real_get();
    return missing;
}

void mn_real_internal_sigaction(int sig, const struct sigaction *sa)
{
    int (*libc_sigaction)(int, const struct sigaction *, struct sigaction *) =
        (int (*)(int, const struct sigaction *, struct sigaction *))dlvsym(
            RTLD_DEFAULT, "__libc_sigaction", "GLIBC_PRIVATE");
    if (!libc_sigaction || libc_sigaction(sig, sa, NULL) != 0)
        mn_fatal("cannot install a handler for signal %d", sig);
}
