/* System calls that leave errno alone. The runtime's own system calls (the
 * futexes of its locks and sleeps, the poller's wake-ups, its messages) are
 * often made while a G's TCB is in FS, so glibc's syscall() would write
 * their failures (EAGAIN from a futex whose word moved, say) into that G's
 * errno, behind the program's back. These return the kernel's answer
 * as is: a result >= 0, or -errno. */
#ifndef MN_COMPAT_RAW_SYSCALL_H
#define MN_COMPAT_RAW_SYSCALL_H

static inline long mn_raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    long r;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

#define MN_RAW_SYSCALL_ARGS(n, a1, a2, a3, a4, a5, a6, ...)                                       \
    mn_raw_syscall6((long)(n), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5),       \
                    (long)(a6))
/* mn_raw_syscall(SYS_x, args...): up to six arguments, the rest are 0. */
#define mn_raw_syscall(...) MN_RAW_SYSCALL_ARGS(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

#endif
