/* FS-base (x86-64 thread pointer) access. Every G has its own glibc TCB;
 * switching to a G loads its TCB into FS. wrfsbase is used when the kernel
 * enabled FSGSBASE for user space (AT_HWCAP2 bit 1), arch_prctl otherwise.
 * mn_have_fsgsbase is written once at boot, before any second thread. */
#ifndef MN_COMPAT_FSBASE_H
#define MN_COMPAT_FSBASE_H

#include <stdbool.h>

extern bool mn_have_fsgsbase;

void mn_fsbase_init(void);
void mn_fsbase_set(void *tp);

static inline void *mn_thread_pointer(void)
{
    void *tp;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
    return tp;
}

#endif
