/* locking_malloc_lib.c: an allocator whose lock is a pthread mutex. */
#ifndef MNRT_TEST_LOCKING_MALLOC_LIB_H
#define MNRT_TEST_LOCKING_MALLOC_LIB_H

/* Holds the allocator's lock (as a thread inside its malloc does) and
 * lets it go. */
void locking_malloc_hold(void);
void locking_malloc_release(void);

#endif
