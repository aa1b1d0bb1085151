/* The cgroup CPU-limit parser (core/cgroup.c) on fixture trees
 * (tests/unit/fixtures/cgroup): v1 and v2, nested limits where the
 * parent or the child is lower, "max"/-1, a container's mount root and
 * an escaped mount point, a malformed file, no cpu controller; the
 * conventional mount points found without mountinfo (the fixtures
 * v1conventional and v2conventional have none), and a sub-tree mounted
 * at a conventional point, which only mountinfo tells. */
#include "core/cgroup.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

static long limit_of(const char *fixture)
{
    char cg[512], mi[512], fs[512];
    snprintf(cg, sizeof cg, "%s/cgroup/%s/proc_cgroup", MNRT_FIXTURES, fixture);
    snprintf(mi, sizeof mi, "%s/cgroup/%s/mountinfo", MNRT_FIXTURES, fixture);
    snprintf(fs, sizeof fs, "%s/cgroup/%s/fs", MNRT_FIXTURES, fixture);
    struct mn_cgroup_roots r = {cg, mi, fs};
    return mn_cgroup_cpu_limit_millis(&r);
}

Test(cgroup, v1_nested_takes_the_lowest)
{
    cr_assert_eq(limit_of("v1"), 1500);
    cr_assert_eq(mn_cgroup_procs_from_millis(1500), 2);
}

Test(cgroup, v1_unlimited)
{
    cr_assert_eq(limit_of("v1nolimit"), 0);
}

Test(cgroup, v1_container_root_and_escaped_mount_point)
{
    cr_assert_eq(limit_of("v1container"), 500);
    cr_assert_eq(mn_cgroup_procs_from_millis(500), 1);
}

Test(cgroup, v2_leaf_limit_under_max_parent)
{
    cr_assert_eq(limit_of("v2"), 2500);
    cr_assert_eq(mn_cgroup_procs_from_millis(2500), 3);
}

Test(cgroup, v2_parent_lower_than_child)
{
    cr_assert_eq(limit_of("v2parent"), 1200);
}

Test(cgroup, v2_max)
{
    cr_assert_eq(limit_of("v2max"), 0);
}

Test(cgroup, v2_malformed)
{
    errno = 0;
    cr_assert_eq(limit_of("v2bad"), -1);
    cr_assert_eq(errno, EINVAL);
}

Test(cgroup, no_cpu_controller_and_missing_files)
{
    cr_assert_eq(limit_of("none"), 0);
    cr_assert_eq(limit_of("does-not-exist"), 0);
}

Test(cgroup, conventional_mounts_need_no_mountinfo)
{
    cr_assert_eq(limit_of("v2conventional"), 1500);
    cr_assert_eq(limit_of("v1conventional"), 2500);
}

Test(cgroup, subtree_at_a_conventional_mount_point)
{
    cr_assert_eq(limit_of("v1subtree"), 500);
}

Test(cgroup, rounding)
{
    cr_assert_eq(mn_cgroup_procs_from_millis(100), 1);
    cr_assert_eq(mn_cgroup_procs_from_millis(1000), 1);
    cr_assert_eq(mn_cgroup_procs_from_millis(1001), 2);
    cr_assert_eq(mn_cgroup_procs_from_millis(0), 1);
}

Test(cgroup, this_machine)
{
    struct mn_cgroup_roots r = {"", "", ""};
    cr_assert_geq(mn_cgroup_cpu_limit_millis(&r), 0, "the machine's own cgroup files parse");
}
