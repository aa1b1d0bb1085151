/* Runtimes whose threads mnrt's M:N threads do not serve yet, recognized
 * by a library the process has loaded when it makes its first thread:
 * their threads are glibc's (shim/create.c check_threads), said once, so
 * that such a program runs as natively instead of crashing.
 * - The Java VM (OpenJDK: libjli.so, the `java` launcher's, or
 *   libjvm.so): under M:N threads OpenJDK 17 died of SIGSEGV in every run
 *   of a program whose threads caught NullPointerExceptions, after
 *   "Attempt to allocate stack guard pages failed" for every thread (it
 *   places guard zones at the stack's reported bottom, which a G's stack
 *   does not have page aligned); with glibc's threads it runs
 *   (`tests/programs/unsupported_runtime` fakes one). A program that
 *   loads the VM only after its first thread is not recognized. */
#ifndef MN_SHIM_UNSUPPORTED_RUNTIME_H
#define MN_SHIM_UNSUPPORTED_RUNTIME_H

/* The reason new threads must be glibc's, or NULL. */
const char *mn_unsupported_runtime(void);

#endif
