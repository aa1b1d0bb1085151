/* The library burst_release.c loads with dlopen: thread-local variables in
 * the general-dynamic model, so that each thread that uses them gets a
 * block of dynamic TLS from malloc (__tls_get_addr), which must be given
 * back when the thread ends. */
#include "burst_release_lib.h"

#include <string.h>

static __thread int dyn_value = 7;
static __thread char dyn_block[4096];

/* 1 if this thread sees the initial values, else 0. */
int dyn_tls_initial(void)
{
    if (dyn_value != 7)
        return 0;
    for (size_t i = 0; i < sizeof dyn_block; i++)
        if (dyn_block[i])
            return 0;
    return 1;
}

void dyn_tls_set(int v)
{
    dyn_value = v;
    memset(dyn_block, v | 1, sizeof dyn_block);
}

int dyn_tls_get(void)
{
    return dyn_value;
}
