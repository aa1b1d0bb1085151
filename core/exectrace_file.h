/* Which file the execution trace (exectrace.h) goes to, and when it is
 * written.
 *
 * Which file: MNRT_TRACE=FILE names it, taken relative to the working
 * directory at boot (a later chdir does not move it). One process writes
 * FILE; every other that inherits MNRT_TRACE writes FILE.PID, so that
 * none writes over another's trace:
 * - the child of a fork (its trace begins at the fork: exectrace.h); a
 *   child that runs natively (of _Fork, of a fork mnrt did not see, or
 *   one whose runtime could not be rebuilt) records nothing and writes
 *   no file;
 * - a program that a traced process executes (its environment still
 *   holds MNRT_TRACE). At boot a process claims FILE by writing a
 *   placeholder into it: a valid, empty trace that names the process and
 *   says it is still recording ({"otherData":{"mnrt_trace":"recording",
 *   "pid":N},...}). A process that finds FILE holding the placeholder of
 *   another process that is alive takes FILE.PID instead (made only when
 *   it is written: a process that ends with _exit leaves none); a
 *   finished trace, or the placeholder of a process that is gone, is
 *   written over.
 *   (Two unrelated processes started at the same moment may both claim
 *   FILE: the one that ends last writes it.)
 * A FILE that exists and is no regular file (/dev/stderr, /dev/null, a
 * named pipe) is written as it is, by every process (children too),
 * without a placeholder or a rename. A FILE that cannot be made (no such
 * directory, no permission, a directory) is reported at boot with one
 * `mnrt: ...` line, and nothing is traced.
 *
 * When: once, as the process ends - at exit() (returning from main, the
 * last thread finishing), at the deadlock report's exit, and before the
 * process dies of SIGQUIT (after the thread dump) or SIGSEGV left at their
 * default action, and of SIGINT, SIGTERM or SIGHUP left at theirs: while
 * tracing, those three get mnrt's action (signals.c), which writes the
 * file and then lets the signal kill the process as it would have. A
 * process that ends otherwise (_exit, SIGKILL, another fatal signal)
 * leaves the placeholder. The trace is written to FILE.part, then renamed
 * to FILE: a reader never sees half a file. One line on stderr says where
 * it went and how many events it holds and dropped. A second caller
 * (exit on one thread while a signal kills on another) waits for the
 * first one's file (up to 30 s) before it goes on; a fatal signal that
 * lands on the writing thread itself is carried out once the file is
 * written (a fault in the writer is not waited for).
 *
 * mn_xtrace_write takes no lock, allocates only with mmap and writes with
 * raw system calls: it may run in a signal handler, whatever the thread
 * it interrupted held. */
#ifndef MN_CORE_EXECTRACE_FILE_H
#define MN_CORE_EXECTRACE_FILE_H

#include <signal.h>
#include <stdbool.h>

/* At boot: claims FILE (or FILE.PID) as above. NULL, or why not. */
const char *mn_xt_file_claim(const char *file);
/* In the child of fork: its trace goes to FILE.PID. */
void mn_xt_file_fork_child(void);

/* Writes the trace now and stops recording, if this process records. */
void mn_xtrace_write(void);

/* Whether sig left at SIG_DFL gets mnrt's action (signals.c): tracing,
 * and SIGINT, SIGTERM or SIGHUP. */
bool mn_xtrace_catches(int sig);
/* That action: the trace written, then death by sig. */
void mn_xtrace_on_signal(int sig, siginfo_t *info, void *uc);

#endif
