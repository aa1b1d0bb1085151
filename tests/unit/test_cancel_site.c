/* Where glibc's cancellable system calls enter the kernel (core/inline_wait.h):
 * the search finds a `syscall` instruction in glibc's own code, and a
 * converted I/O wait is a cancellation point there, or anywhere when the
 * thread's cancellation is asynchronous (glibc before 2.41), and nowhere
 * else. */
#include "compat/cancel_bits.h"
#include "compat/real.h"
#include "core/inline_wait.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool in_glibc(uintptr_t addr)
{
    Dl_info info;
    if (!dladdr((void *)addr, &info) || !info.dli_fname)
        return false;
    const char *base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    return strcmp(base, "libc.so.6") == 0 || strcmp(base, "libpthread.so.0") == 0;
}

Test(cancel_site, found_in_glibc)
{
    mn_real_resolve();
    uintptr_t site = mn_inline_wait_find_cancel_site();
    cr_assert(site != 0);
    const uint8_t *insn = (const uint8_t *)site;
    cr_assert(insn[0] == 0x0f && insn[1] == 0x05);
    cr_assert(in_glibc(site));
}

Test(cancel_site, a_read_on_a_pipe_is_a_cancellation_point_there_only)
{
    mn_real_resolve();
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    /* sysmon's first look at an I/O wait looks for the site */
    struct mn_kthread_call call = {.nr = SYS_read, .args = {(unsigned long)fds[0]}};
    struct mn_inline_wait w;
    cr_assert(mn_inline_wait_classify(&call, &w));
    uintptr_t site = mn_inline_wait_find_cancel_site();
    cr_assert(mn_inline_wait_cancel_point(site, 0));
    cr_assert(!mn_inline_wait_cancel_point(site + 2, 0));
    cr_assert(mn_inline_wait_cancel_point(site + 2, MN_CANCEL_ASYNC));
    close(fds[0]);
    close(fds[1]);
}
