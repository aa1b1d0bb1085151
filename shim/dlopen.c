/* dlopen/dlmopen: after glibc loaded the library, copy the initial images
 * of new static-TLS modules into every G (compat/tls_modules.h). The main
 * G's TCB is on glibc's own lists, so glibc initialised it already. The
 * highest module id is noted for the dtvs of Gs (compat/dtv.h).
 *
 * While a G is in glibc's loader (dlopen, dlmopen, dlclose), no M is made
 * (mn_sched_hold_ms): the loader holds its locks while it calls the
 * program's malloc, which may park the G, and making an M takes one. */
#include "shim/pthread_impl.h"

#include "compat/dtv.h"
#include "compat/tls_modules.h"

#define MAX_NEW_MODULES 64

mn_lock mn_dlopen_lock = MN_LOCK_INIT(DLOPEN);

struct apply {
    const struct mn_tls_image *mods;
    int n;
};

static void apply_to_g(mn_g *g, void *arg)
{
    struct apply *a = arg;
    if (!g->is_main)
        mn_tls_modules_apply(g->tcb, a->mods, a->n);
}

static void init_new_static_tls(void)
{
    struct mn_tls_image mods[MAX_NEW_MODULES];
    mn_lock_acquire(&mn_dlopen_lock);
    mn_dtv_note_modules();
    int n = mn_tls_modules_new(mods, MAX_NEW_MODULES);
    if (n > 0) {
        struct apply a = {mods, n};
        mn_g_foreach(apply_to_g, &a);
    }
    mn_lock_release(&mn_dlopen_lock);
}

/* Holds Ms off for a G about to enter glibc's loader: whether it did. */
static bool enter_loader(void)
{
    return !mn_native() && mn_getg() && mn_sched_hold_ms();
}

static void leave_loader(bool held)
{
    if (held)
        mn_sched_release_ms();
}

MN_EXPORT void *dlopen(const char *file, int mode)
{
    bool held = enter_loader();
    void *h = mn_real.dlopen(file, mode);
    leave_loader(held);
    if (h && !mn_native())
        init_new_static_tls();
    return h;
}

MN_EXPORT void *dlmopen(Lmid_t ns, const char *file, int mode)
{
    bool held = enter_loader();
    void *h = mn_real.dlmopen(ns, file, mode);
    leave_loader(held);
    if (h && !mn_native())
        init_new_static_tls();
    return h;
}

MN_EXPORT int dlclose(void *handle)
{
    bool held = enter_loader();
    int r = mn_real.dlclose(handle);
    leave_loader(held);
    return r;
}
