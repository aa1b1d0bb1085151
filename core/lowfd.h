/* mnrt's own fds, against the program's stale closes.
 *
 * The kernel gives a new fd the lowest free number. mnrt opens files of
 * its own while the program runs: sysmon reads /proc (kthread.h, the
 * deadlock check) and the cgroup's CPU limit (cgroup.h), the poller
 * makes its ring or epoll instance and then moves it high. Each lands at
 * a number the program believes free. A program that closes a number it
 * no longer owns (a second close of its own fd: bash makes one after each
 * pipeline; EBADF natively, where no other thread opens anything) closed
 * mnrt's file instead; the program's next pipe got the number, and
 * sysmon then read up to 511 bytes of the program's data from it and
 * closed it: bash pipelines lost 511 bytes, and a `$(...)` reader got
 * EBADF, its writer SIGPIPE.
 *
 * So the program's calls that end fds by number (close, dup2, dup3,
 * close_range: shim/fd.c, shim/stdio_close.c) and mnrt's opens exclude
 * each other:
 * - an "ender" waits while an open of mnrt's is under way, and while a
 *   file opened with mn_lowfd_open has a number in its range (they are
 *   open for microseconds);
 * - mn_lowfd_open, and code between mn_lowfd_begin and mn_lowfd_end, wait
 *   while an ender is under way.
 * A stale close then fails with EBADF, as natively. Calls made with the
 * raw system call are not seen, as for mnrt's other fds (shim/fdcall.h).
 * An ender waits on its P, so nothing inside an opener's bracket waits
 * for the program (its malloc, its locks). Inside either side's bracket
 * the thread's signal handlers are held off, as inside an mnrt lock
 * (lock.h): a handler that left by a jump skipped the bracket's end, and
 * the other side waited for ever; so a close blocked in the kernel
 * (SO_LINGER) is not interrupted by a handler, which runs after it.
 * Fds of mnrt's kept longer are moved high (mn_fd_dup_high), where the
 * program's numbers do not reach.
 *
 * Covered too: the cgroup's mountinfo where no conventional mount is
 * found (mn_lowfd_each_line: core/cgroup.c mount_of, which read it with
 * stdio, at a low number and with the program's malloc, from sysmon
 * every second), the ELF files a thread dump's symbolizer maps, the
 * socket a dump is written to and MNRT_TRACE's file (mn_lowfd_make_high).
 * Not covered: fds made before the program's first thread (boot), when
 * no other thread can close anything. */
#ifndef MN_CORE_LOWFD_H
#define MN_CORE_LOWFD_H

#include <stdbool.h>
#include <stddef.h>

/* openat(AT_FDCWD, path, flags | O_CLOEXEC), raw; -1 on failure. Close it
 * with mn_lowfd_close. */
int mn_lowfd_open(const char *path, int flags);
void mn_lowfd_close(int fd);

/* Reads the small file path into buf, NUL-terminated (what does not fit
 * is left out); false if it cannot be read. */
bool mn_lowfd_read(const char *path, char *buf, size_t len);

/* Calls fn(line, arg) on each line of the file path, its newline
 * removed, until fn returns true; lines of MN_LOWFD_LINE bytes or more
 * are skipped. Returns what fn returned last; false if path cannot be
 * read. Allocates nothing. */
#define MN_LOWFD_LINE 4096
bool mn_lowfd_each_line(const char *path, bool (*fn)(char *line, void *arg), void *arg);

/* The fd that the raw system call nr(a1..a4) makes (openat, socket),
 * made low inside a bracket and moved high at once (close-on-exec); a
 * negative errno, and no fd, if the call failed or no number was free.
 * For fds of mnrt's kept open while the program runs. */
int mn_lowfd_make_high(long nr, long a1, long a2, long a3, long a4);

/* Around other fds mnrt makes at the lowest free number and then moves
 * high or closes (the poller's). Nothing inside may wait for the program
 * (its malloc, its locks): a program's close waits for the end, on its
 * P. */
void mn_lowfd_begin(void);
void mn_lowfd_end(void);

/* A close-on-exec duplicate of fd high up, where mnrt's own fds go; or -1. */
int mn_fd_dup_high(int fd);

/* A pipe of mnrt's own, close-on-exec, at high numbers; false if none. */
bool mn_lowfd_pipe_high(int fds[2]);

/* Around a program's call that ends the fds lo..hi. */
void mn_fd_end_begin(unsigned lo, unsigned hi);
void mn_fd_end_end(void);

/* In a fork's child: the parent's open files are closed (the threads
 * that opened them did not come along) and nothing is under way. */
void mn_lowfd_fork_child(void);

#endif
