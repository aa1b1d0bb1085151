/* Stands in for <criterion/criterion.h> in a ThreadSanitizer build only
 * (meson -Dsanitize=thread; tests/unit/meson.build): criterion's runner
 * cannot start under TSan, which reserves nearly all of the address space
 * while criterion looks for free space at random for its inheritable arena
 * ("Could not initialize inheritable arena": Snaipe/Criterion issue 274).
 * It has what tests/unit uses: Test(suite, name) and the cr_assert family,
 * each test run in a child process of its own as criterion does, and
 * criterion's synthesis line. A failed assertion prints where and why and
 * fails its test; a TSan report makes its child exit with TSan's status. */
#ifndef MN_TSAN_RUNNER_CRITERION_H
#define MN_TSAN_RUNNER_CRITERION_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct cr_test {
    const char *suite, *name;
    void (*fn)(void);
};

static struct cr_test cr_tests[64];
static int cr_ntests;

#define Test(suite, name)                                                            \
    static void suite##_##name(void);                                                \
    __attribute__((constructor)) static void cr_register_##suite##_##name(void)      \
    {                                                                                \
        cr_tests[cr_ntests++] = (struct cr_test){#suite, #name, suite##_##name};     \
    }                                                                                \
    static void suite##_##name(void)

__attribute__((format(printf, 4, 5), noreturn)) static void
cr_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    fprintf(stderr, "%s:%d: assertion failed: %s;", file, line, expr);
    va_list ap; /* fmt: " " and the test's own message, if it gave one */
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    _exit(1);
}

/* cr_assert(cond[, format, args...]) */
#define cr_assert(cond, ...) ((cond) ? (void)0 : cr_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__))
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b), __VA_ARGS__)
#define cr_assert_lt(a, b, ...) cr_assert((a) < (b), __VA_ARGS__)
#define cr_assert_leq(a, b, ...) cr_assert((a) <= (b), __VA_ARGS__)
#define cr_assert_geq(a, b, ...) cr_assert((a) >= (b), __VA_ARGS__)
#define cr_assert_null(p, ...) cr_assert((p) == NULL, __VA_ARGS__)
#define cr_assert_not_null(p, ...) cr_assert((p) != NULL, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) cr_assert(strcmp((a), (b)) == 0, __VA_ARGS__)

int main(void)
{
    int failing = 0, crashing = 0;
    for (int i = 0; i < cr_ntests; i++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            cr_tests[i].fn();
            exit(0);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
            status = -1;
        if (status != 0) {
            bool crashed = status == -1 || WIFSIGNALED(status);
            failing += !crashed;
            crashing += crashed;
            printf("[FAIL] %s::%s: %s %d\n", cr_tests[i].suite, cr_tests[i].name,
                   crashed ? "crashed, status" : "exit", WIFEXITED(status) ? WEXITSTATUS(status) : status);
        }
    }
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d\n", cr_ntests,
           cr_ntests - failing - crashing, failing, crashing);
    return failing || crashing;
}

#endif
