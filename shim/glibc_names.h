/* The glibc names libmnrt.so exports (shim/exports.map) that no public
 * glibc header declares for a program built as mnrt is: glibc-internal
 * entry points, the fortified __*_chk names (declared only under
 * _FORTIFY_SOURCE), old __pthread_* and _IO_* spellings, bsd_signal and
 * capset. Declared here, with glibc 2.36's signatures, so that every
 * function with external linkage has a prototype before its definition
 * (-Wmissing-prototypes, meson.build); everything else the shim defines
 * is static or declared in the shim's own headers. */
#ifndef MN_SHIM_GLIBC_NAMES_H
#define MN_SHIM_GLIBC_NAMES_H

#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

/* glibc-internal */
int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                      void (*init)(void), void (*fini)(void), void (*rtld_fini)(void),
                      void *stack_end);
int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                      void *dso);
void __cxa_finalize(void *dso);

/* fortified */
int __open_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                       struct sockaddr *addr, socklen_t *addrlen);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout_ms, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask,
                size_t fdslen);
_Noreturn void __longjmp_chk(struct __jmp_buf_tag env[1], int val);

/* old spellings */
int __pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __pthread_mutex_destroy(pthread_mutex_t *m);
int __pthread_mutex_lock(pthread_mutex_t *m);
int __pthread_mutex_trylock(pthread_mutex_t *m);
int __pthread_mutex_unlock(pthread_mutex_t *m);
int __pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a);
int __pthread_rwlock_destroy(pthread_rwlock_t *l);
int __pthread_rwlock_rdlock(pthread_rwlock_t *l);
int __pthread_rwlock_tryrdlock(pthread_rwlock_t *l);
int __pthread_rwlock_wrlock(pthread_rwlock_t *l);
int __pthread_rwlock_trywrlock(pthread_rwlock_t *l);
int __pthread_rwlock_unlock(pthread_rwlock_t *l);
int __pthread_once(pthread_once_t *o, void (*fn)(void));
int __pthread_key_create(pthread_key_t *k, void (*dtor)(void *));
void *__pthread_getspecific(pthread_key_t k);
int __pthread_setspecific(pthread_key_t k, const void *v);
void _IO_flockfile(FILE *fp);
int _IO_ftrylockfile(FILE *fp);
void _IO_funlockfile(FILE *fp);
sighandler_t bsd_signal(int sig, sighandler_t handler);

/* no header */
int capset(void *hdr, const void *data);

#endif
