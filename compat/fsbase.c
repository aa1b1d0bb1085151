/* FS-base switching: see fsbase.h. */
#include "compat/fsbase.h"

#include "compat/raw_syscall.h"

#include <asm/prctl.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

__attribute__((visibility("hidden"))) bool mn_have_fsgsbase;

void mn_fsbase_init(void)
{
    mn_have_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
}

void mn_fsbase_set(void *tp)
{
    if (mn_have_fsgsbase)
        __asm__ volatile("wrfsbase %0" : : "r"(tp) : "memory");
    else
        mn_raw_syscall(SYS_arch_prctl, ARCH_SET_FS, tp);
}
