/* glibc's cancelhandling bits (nptl/descr.h, the same from 2.31 to 2.41),
 * for C and assembly alike: compat/tcb.h reads the word, shim/cancel_syscall
 * tests it. mn_tcb_boot checks DISABLED and ASYNC on a thread glibc makes
 * (what pthread_setcancelstate and pthread_setcanceltype change). */
#ifndef MN_COMPAT_CANCEL_BITS_H
#define MN_COMPAT_CANCEL_BITS_H

#define MN_CANCEL_DISABLED 0x01 /* CANCELSTATE_BITMASK */
#define MN_CANCEL_ASYNC 0x02    /* CANCELTYPE_BITMASK */
#define MN_CANCEL_CANCELED 0x08 /* CANCELED_BITMASK */

#endif
