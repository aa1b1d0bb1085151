/* The two names of the unwinder that libmnrt's cleanups need: their
 * landing pads call _Unwind_Resume and their frames name the personality
 * routine __gcc_personality_v0 (the cleanup attribute of shim/once.c and
 * pthread_cleanup_push in shim/cond_shared.c, compiled with -fexceptions).
 * Both are called only inside an unwind, which the process's unwinder
 * started: libgcc_s, which glibc loads for pthread_exit and cancellation
 * and C++ and Rust programs link, or whichever unwinder the program
 * brings. So they forward to the one the process has, and libmnrt does
 * not make every program load libgcc_s: that cost each start of a program
 * under mnrt 40-100 us (posix_spawn of /bin/true, with an empty preloaded
 * library that needs libgcc_s against one that does not; machine C,
 * 2026-12-06). Defined here, hidden like all of libmnrt's own names, they
 * are what the landing pads in libmnrt reach; dlsym(RTLD_DEFAULT) never
 * finds them, so it finds the process's. */
#include "compat/log.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <unwind.h>

/* The process's definition of name, found once into *cache: its
 * unwinder's, loaded already (an unwind is under way), or libgcc_s's,
 * loaded now if it is not (a program whose unwinder is linked into it
 * statically, as before, when libmnrt brought libgcc_s along). */
static void *unwinder(void *_Atomic *cache, const char *name)
{
    void *fn = atomic_load_explicit(cache, memory_order_relaxed);
    if (fn)
        return fn;
    fn = dlsym(RTLD_DEFAULT, name);
    if (!fn) {
        void *lib = dlopen("libgcc_s.so.1", RTLD_NOW); /* kept: its functions stay in use */
        fn = lib ? dlsym(lib, name) : NULL;
    }
    if (!fn)
        mn_fatal("an unwind passes through mnrt, and the process has no %s", name);
    atomic_store_explicit(cache, fn, memory_order_relaxed);
    return fn;
}

void _Unwind_Resume(struct _Unwind_Exception *exc)
{
    static void *_Atomic resume;
    ((void (*)(struct _Unwind_Exception *))unwinder(&resume, "_Unwind_Resume"))(exc);
    __builtin_unreachable();
}

typedef _Unwind_Reason_Code personality_fn(int, _Unwind_Action, _Unwind_Exception_Class,
                                           struct _Unwind_Exception *, struct _Unwind_Context *);
personality_fn __gcc_personality_v0; /* the compiler names it; no header declares it */

_Unwind_Reason_Code __gcc_personality_v0(int version, _Unwind_Action actions,
                                         _Unwind_Exception_Class cls,
                                         struct _Unwind_Exception *exc,
                                         struct _Unwind_Context *ctx)
{
    static void *_Atomic personality;
    personality_fn *fn = (personality_fn *)unwinder(&personality, "__gcc_personality_v0");
    return fn(version, actions, cls, exc, ctx);
}
