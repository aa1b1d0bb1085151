/* Resolution of the real glibc entry points: see real.h. */
#include "compat/real.h"
#include "compat/log.h"

struct mn_real mn_real;

void mn_real_init(void)
{
#define MN_REAL_RESOLVE(ret, name, args)                                        \
    mn_real.name = (ret(*) args)dlsym(RTLD_NEXT, #name);                        \
    if (!mn_real.name)                                                          \
        mn_fatal("cannot find glibc's %s: %s", #name, dlerror());
    MN_REAL_FUNCTIONS(MN_REAL_RESOLVE)
#undef MN_REAL_RESOLVE
}

void mn_real_internal_sigaction(int sig, const struct sigaction *sa)
{
    int (*libc_sigaction)(int, const struct sigaction *, struct sigaction *) =
        (int (*)(int, const struct sigaction *, struct sigaction *))dlvsym(
            RTLD_DEFAULT, "__libc_sigaction", "GLIBC_PRIVATE");
    if (!libc_sigaction || libc_sigaction(sig, sa, NULL) != 0)
        mn_fatal("cannot install a handler for signal %d", sig);
}
