/* The program's handlers of the signals of faults (core/faults.h), which
 * mnrt runs in its own handler, and what a thread made under mnrt asks of
 * the kernel that glibc does not (core/stack.c):
 *   reinstall - a SIGTRAP handler reinstalls itself with signal(), SysV
 *               style, while the main thread sets the action again and
 *               again and another process sends SIGTRAP all along: a
 *               handler that ran while its thread held mnrt's lock of the
 *               actions waited for that lock for good (a review);
 *   clone_vm  - a child made by clone(CLONE_VM) sets SIGFPE's action to
 *               SIG_DFL: that is its own, and the parent's handler still
 *               runs when it raises SIGFPE (the parent died of it);
 *   clone_vm_resethand - such a child runs the parent's SA_RESETHAND
 *               SIGTRAP handler (int3): that resets the child's action,
 *               not the parent's, whose own int3 then runs its handler
 *               again (the parent's was reset and its trap lost, a
 *               review);
 *   jump_delivers - a SIGSEGV handler and a SIGUSR1 handler, SIGALRM in
 *               their sa_mask, raise SIGALRM and jump out (siglongjmp):
 *               the SIGALRM handler has run when the jump lands, as
 *               natively, where glibc's jump unblocks it in the kernel
 *               (under mnrt it waited in the thread for a later call, and
 *               stress-ng --sigsegv, whose alarm never came, ran for good
 *               in 1 of 7-10 runs);
 *   mask      - a thread divides by zero; its SIGFPE handler, with SIGUSR1
 *               in sa_mask, sees both blocked, as natively (neither was);
 *   seccomp   - with a seccomp filter that kills the process on
 *               process_madvise (which glibc never calls; mnrt made a
 *               batch of stacks' guards with it), 40 threads are made and
 *               run (the process died of SIGSYS, a review).
 * usage: fault_handlers MODE */
#include "check.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>

static volatile sig_atomic_t traps, fpes, mask_right;

static void on_trap(int sig)
{
    traps++;
    signal(sig, on_trap);
}

static void reinstall(void)
{
    CHECK(signal(SIGTRAP, on_trap) != SIG_ERR, "signal");
    pid_t parent = getpid(), flood = fork();
    CHECK(flood >= 0, "fork: %s", strerror(errno));
    if (flood == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        while (kill(parent, SIGTRAP) == 0)
            ;
        _exit(0);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_trap;
    for (int i = 0; i < 20000 || !traps; i++) /* (until the flood has begun) */
        CHECK_EQ(sigaction(SIGTRAP, &sa, NULL), 0);
    kill(flood, SIGKILL);
    waitpid(flood, NULL, 0);
    printf("20000 actions or more set while SIGTRAP came in\n");
}

static void on_fpe_counted(int sig)
{
    (void)sig;
    fpes++;
}

static int child_sets_default(void *arg)
{
    (void)arg;
    signal(SIGFPE, SIG_DFL);
    return 0;
}

/* Runs fn in a child made by clone(CLONE_VM), which shares this memory
 * (and mnrt's state) but is a process of its own; it must exit 0. */
static void run_clone_vm_child(int (*fn)(void *))
{
    size_t size = 64 * 1024;
    char *stack = malloc(size);
    CHECK(stack != NULL, "malloc");
    pid_t child = clone(fn, stack + size, CLONE_VM | SIGCHLD, NULL);
    CHECK(child > 0, "clone: %s", strerror(errno));
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
    free(stack);
}

static void clone_vm(void)
{
    CHECK(signal(SIGFPE, on_fpe_counted) != SIG_ERR, "signal");
    run_clone_vm_child(child_sets_default);
    CHECK_EQ(raise(SIGFPE), 0);
    printf("after a CLONE_VM child set SIGFPE's action: the parent's handler ran %d time(s)\n",
           (int)fpes);
}

static volatile sig_atomic_t trap_hits;

static void on_trap_once(int sig)
{
    (void)sig;
    trap_hits++;
}

static int child_traps(void *arg)
{
    (void)arg;
    __asm__ volatile("int3");
    return 0;
}

static void clone_vm_resethand(void)
{
    struct sigaction sa, now;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_trap_once;
    sa.sa_flags = SA_RESETHAND;
    CHECK_EQ(sigaction(SIGTRAP, &sa, NULL), 0);
    run_clone_vm_child(child_traps);
    CHECK_EQ(sigaction(SIGTRAP, NULL, &now), 0);
    CHECK(now.sa_handler == on_trap_once, "the child's trap reset the parent's action");
    __asm__ volatile("int3");
    CHECK_EQ(trap_hits, 2);
    printf("a CLONE_VM child's SA_RESETHAND trap left the parent's action alone\n");
}

static sigjmp_buf out_of_handler;
static volatile sig_atomic_t alarms;
static int *volatile nowhere;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void raise_alarm_and_jump(int sig)
{
    (void)sig;
    raise(SIGALRM); /* held by this handler's mask */
    siglongjmp(out_of_handler, 1);
}

static void jump_delivers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    sa.sa_handler = raise_alarm_and_jump;
    sigaddset(&sa.sa_mask, SIGALRM);
    CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    for (int i = 0; i < 100; i++) {
        int before = alarms;
        if (sigsetjmp(out_of_handler, 1) == 0) {
            if (i % 2)
                *nowhere = 1;
            else
                raise(SIGUSR1);
        }
        CHECK(alarms == before + 1, "round %d: the SIGALRM held by the %s handler had not run "
              "when its jump landed", i, i % 2 ? "SIGSEGV" : "SIGUSR1");
    }
    printf("100 handlers jumped out: the signal their mask held ran as each jump landed\n");
}

static sigjmp_buf after_division;

static void on_fpe_masked(int sig)
{
    (void)sig;
    sigset_t cur;
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
    mask_right = sigismember(&cur, SIGFPE) && sigismember(&cur, SIGUSR1);
    siglongjmp(after_division, 1);
}

static void *divide_by_zero(void *arg)
{
    (void)arg;
    if (sigsetjmp(after_division, 1) == 0) /* (1 / x in C need not divide: gcc tests x) */
        __asm__ volatile("xor %%ecx, %%ecx; mov $1, %%eax; cltd; idivl %%ecx" ::: "eax", "ecx",
                         "edx", "cc");
    return NULL;
}

static void mask(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fpe_masked;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR1);
    CHECK_EQ(sigaction(SIGFPE, &sa, NULL), 0);
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, divide_by_zero, NULL), 0);
    CHECK_ERR(pthread_join(t, NULL), 0);
    CHECK(mask_right, "inside the SIGFPE handler, SIGFPE or SIGUSR1 was not blocked");
    printf("a SIGFPE handler runs with SIGFPE and its sa_mask blocked\n");
}

static void *nothing(void *arg)
{
    return arg;
}

static void seccomp_kills_process_madvise(void)
{
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_madvise, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog fprog = {.len = sizeof prog / sizeof *prog, .filter = prog};
    CHECK_EQ(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    CHECK_EQ(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog), 0);
    pthread_t t[40];
    for (int i = 0; i < 40; i++)
        CHECK_ERR(pthread_create(&t[i], NULL, nothing, NULL), 0);
    for (int i = 0; i < 40; i++)
        CHECK_ERR(pthread_join(t[i], NULL), 0);
    printf("40 threads under a seccomp filter that kills on process_madvise\n");
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "reinstall") == 0)
        reinstall();
    else if (strcmp(mode, "clone_vm") == 0)
        clone_vm();
    else if (strcmp(mode, "clone_vm_resethand") == 0)
        clone_vm_resethand();
    else if (strcmp(mode, "jump_delivers") == 0)
        jump_delivers();
    else if (strcmp(mode, "mask") == 0)
        mask();
    else if (strcmp(mode, "seccomp") == 0)
        seccomp_kills_process_madvise();
    else
        CHECK(false, "usage: fault_handlers "
                     "reinstall|clone_vm|clone_vm_resethand|jump_delivers|mask|seccomp");
    return 0;
}
