/* The inbox of signals for sysmon (core/siginbox.h), as one scripted
 * interleaving at the test point of core/testpoint.h, with plain kernel
 * threads: a post counted in the inbox but not yet filled when sysmon
 * takes leaves the inbox due, and the next take routes it. (Caught with
 * the old rule, which remembered how many posts sysmon had seen: the post
 * was skipped, nothing new was seen when it was full, and the signal
 * waited for the next one.) */
#include "script.h"

#include "core/siginbox.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>

static int routed[NSIG];
static int routed_code;

static void record(int sig, const siginfo_t *info, mn_g *target, bool directed)
{
    (void)target, (void)directed;
    routed[sig]++;
    routed_code = info->si_code;
}

static void *post_usr1(void *arg)
{
    (void)arg;
    siginfo_t info = {.si_signo = SIGUSR1, .si_code = SI_USER};
    mn_siginbox_post(SIGUSR1, &info, NULL, false);
    return NULL;
}

Test(siginbox_protocol, post_filled_after_a_take_is_taken_next)
{
    struct script_stop *posting = script_stop_at(MN_TP_SIGINBOX_POST, NULL);
    pthread_t poster;
    cr_assert_eq(pthread_create(&poster, NULL, post_usr1, NULL), 0);
    script_wait(posting);

    mn_siginbox_take(record); /* sysmon looks while the entry is not filled */
    cr_assert_eq(routed[SIGUSR1], 0);

    script_go(posting);
    cr_assert_eq(pthread_join(poster, NULL), 0);
    cr_assert(mn_siginbox_due(), "the post filled after the take is not due");
    mn_siginbox_take(record);
    cr_assert_eq(routed[SIGUSR1], 1, "SIGUSR1 was routed %d times", routed[SIGUSR1]);
    cr_assert_eq(routed_code, SI_USER, "its information was lost");
    cr_assert(!mn_siginbox_due(), "the inbox is still due after everything was taken");
}
