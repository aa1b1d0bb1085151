// A C++ exception thrown out of a signal handler (SA_NODEFER; -fexceptions
// code: g++'s default), caught outside it, then a plain longjmp that runs
// in no handler, after the stack the handler had used was written over.
// With each handler's record in its frame (core/sigframes.h before a
// review), the handler left its record behind, and the jump read it:
// SIGSEGV in 2 of 3 runs of a review's probe, 1 in 10 of 100 rounds in
// one process; what the stale record held depended on the layout, so the
// test runs 8 fresh processes (once). Both on the thread's stack and on
// its alternate stack (SA_ONSTACK).
// usage: handler_left_by_throw [onstack] [once]
#include "check.h"

#include <csignal>

struct Boom {};

static void on_usr1(int) { throw Boom(); }

static jmp_buf plain;

int (*volatile send_signal)(int); // not noexcept, as raise is declared

int main(int argc, char **argv)
{
    bool onstack = false, once = false;
    for (int i = 1; i < argc; i++) {
        onstack |= strcmp(argv[i], "onstack") == 0;
        once |= strcmp(argv[i], "once") == 0;
    }
    if (!once) {
        char once_arg[] = "once", onstack_arg[] = "onstack";
        char *copy[] = {argv[0], once_arg, onstack ? onstack_arg : nullptr, nullptr};
        run_fresh_copies(8, copy);
        printf("8 processes: an exception out of a handler caught, then a plain jump\n");
        return 0;
    }
    send_signal = raise;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_NODEFER | (onstack ? SA_ONSTACK : 0);
    if (onstack)
        give_thread_altstack();
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    bool caught = false;
    try {
        send_signal(SIGUSR1);
    } catch (Boom &) {
        caught = true;
    }
    CHECK(caught, "the handler's exception was not caught");
    scribble_stack();
    if (setjmp(plain) == 0)
        jump_from_below(plain);
    return 0;
}
