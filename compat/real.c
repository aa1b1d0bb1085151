/* Resolution of the real glibc entry points: see real.h. */
#include "compat/real.h"
#include "compat/real_fallback.h"
#include "compat/real_lookup.h"

struct mn_real_fns mn_real_table;
_Atomic bool mn_real_resolved;
static const char *missing;

void mn_real_resolve(void)
{
    const char *first_missing = NULL;
#define MN_REAL_RESOLVE(ret, name, args)                                        \
    mn_real_table.name = (ret(*) args)mn_real_lookup_next(#name);                  \
    if (!mn_real_table.name && !first_missing)                                  \
        first_missing = #name;
    MN_REAL_FUNCTIONS(MN_REAL_RESOLVE)
#undef MN_REAL_RESOLVE
#define MN_REAL_RESOLVE_OPTIONAL(ret, name, args)                               \
    mn_real_table.name = (ret(*) args)mn_real_lookup_next(#name);                  \
    if (!mn_real_table.name)                                                    \
        mn_real_table.name = mn_fallback_##name;
    MN_REAL_OPTIONAL(MN_REAL_RESOLVE_OPTIONAL)
#undef MN_REAL_RESOLVE_OPTIONAL
    missing = first_missing;
    atomic_store_explicit(&mn_real_resolved, true, memory_order_release);
}

const char *mn_real_missing(void)
{
    mn_real_get();
    return missing;
}
