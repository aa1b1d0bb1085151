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
