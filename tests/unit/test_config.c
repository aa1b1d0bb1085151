/* Parsers of the MNRT_* settings (core/config.c): what is accepted, and
 * that malformed values are refused (the caller then warns and uses the
 * default). */
#include "core/config.h"

#include <criterion/criterion.h>

Test(config, procs)
{
    int p;
    cr_assert_eq(mn_parse_procs("4", &p), 0);
    cr_assert_eq(p, 4);
    cr_assert_eq(mn_parse_procs("1024", &p), 0);
    const char *bad[] = {"", "0", "-1", "abc", "4x", " 4", "1025", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(mn_parse_procs(bad[i], &p), -1, "accepted '%s'", bad[i]);
}

Test(config, size)
{
    size_t s;
    cr_assert_eq(mn_parse_size("65536", &s), 0);
    cr_assert_eq(s, 65536);
    cr_assert_eq(mn_parse_size("256K", &s), 0);
    cr_assert_eq(s, 256 * 1024);
    cr_assert_eq(mn_parse_size("8m", &s), 0);
    cr_assert_eq(s, 8 << 20);
    cr_assert_eq(mn_parse_size("1G", &s), 0);
    const char *bad[] = {"", "K", "12", "1T", "-5M", "5MB", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(mn_parse_size(bad[i], &s), -1, "accepted '%s'", bad[i]);
}

Test(config, debug)
{
    int64_t ms, seed;
    bool detail, async, cpu;
    cr_assert_eq(mn_parse_debug("schedtrace=1000", &ms, &detail, &async, &cpu, &seed), 0);
    cr_assert_eq(ms, 1000);
    cr_assert(!detail);
    cr_assert(async);
    cr_assert_eq(mn_parse_debug("1", &ms, &detail, &async, &cpu, &seed), 0);
    cr_assert_eq(ms, 0);
    cr_assert(async);
    cr_assert_eq(mn_parse_debug("schedtrace=50,scheddetail=1", &ms, &detail, &async, &cpu, &seed), 0);
    cr_assert_eq(ms, 50);
    cr_assert(detail);
    cr_assert_eq(mn_parse_debug("asyncpreempt=0", &ms, &detail, &async, &cpu, &seed), 0);
    cr_assert(!async);
    cr_assert_eq(ms, 0);
    cr_assert_eq(mn_parse_debug("schedtrace=10,asyncpreempt=1", &ms, &detail, &async, &cpu, &seed), 0);
    cr_assert(async);
    cr_assert_eq(ms, 10);
    cr_assert(!cpu);
    cr_assert_eq(mn_parse_debug("cputime=1,schedtrace=5", &ms, &detail, &async, &cpu, &seed), 0);
    cr_assert(cpu);
    cr_assert_eq(ms, 5);
    cr_assert_eq(seed, -1, "randomized without being asked");
    cr_assert_eq(mn_parse_debug("randomize=0", &ms, &detail, &async, &cpu, &seed), 0);
    cr_assert_eq(seed, 0);
    cr_assert_eq(mn_parse_debug("schedtrace=5,randomize=9223372036854775807", &ms, &detail,
                                &async, &cpu, &seed), 0);
    cr_assert_eq(seed, INT64_MAX);
    cr_assert_eq(ms, 5);
    const char *bad[] = {"schedtrace", "schedtrace=x", "foo=1", "scheddetail=2", "2",
                         "schedtrace=10,", ",", "schedtrace=-1", "asyncpreempt=2",
                         "asyncpreempt", "cputime=2", "cputime", "randomize", "randomize=",
                         "randomize=-1", "randomize=x", "randomize=9223372036854775808"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(mn_parse_debug(bad[i], &ms, &detail, &async, &cpu, &seed), -1, "accepted '%s'", bad[i]);
}

Test(config, procs_auto_is_sane)
{
    int p = mn_procs_auto();
    cr_assert_geq(p, 1);
    cr_assert_leq(p, 1024);
}
