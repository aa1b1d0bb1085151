/* glibc's cancelhandling bits (nptl/descr.h, the same since 2.34), for C
 * and assembly alike: compat/tcb.h reads the word, shim/cancel_syscall
 * tests it. */
#ifndef MN_COMPAT_CANCEL_BITS_H
#define MN_COMPAT_CANCEL_BITS_H

#define MN_CANCEL_DISABLED 0x01 /* CANCELSTATE_BITMASK */
#define MN_CANCEL_ASYNC 0x02    /* CANCELTYPE_BITMASK */
#define MN_CANCEL_CANCELED 0x08 /* CANCELED_BITMASK */

#endif
