#!/bin/sh
# Runs the integration programs (the `programs` suite) under randomized
# scheduling, MNRT_DEBUG=randomize=SEED (core/randomize.h), once per seed
# (default: the fixed seeds CI uses), with the default netpoller
# (io_uring), in ./build. Every seed runs even when one fails; the seeds
# that failed are named at the end, to run again with
#   MNRT_DEBUG=randomize=SEED meson test -C build NAME
# Extra `meson test` arguments: MESON_TEST_ARGS.
#
# Left out, to keep a seed under two minutes on 2 CPUs (about 4.5 minutes
# for the three, measured on the project's loaded 2-CPU VM):
# - create_join_rss (~20-50 s, mostly glibc's own creates and joins in the
#   native run), live_100k (1 GB of RSS), create_detached_loop and
#   bound_exits (10-15 s each, not parallel): heavy, and their scheduling
#   paths run in the other programs too;
# - the foreign allocators but one (foreign_malloc_linked_jemalloc): the
#   same program eight more times with tcmalloc and mimalloc, linked and
#   preloaded (foreign_malloc_none, foreign_malloc_locking and
#   malloc_lock_yield stay: mnrt's own interplay with an allocator);
# - the tests of the tools rather than of schedules: export_list,
#   launcher, boot_refusals (native runs and refused boots), debugger,
#   gdb_extension, top;
# - fork_user_lock, which counts how often a preempted thread is left
#   holding a lock: random yields at releases are what randomize adds;
# - sigpending_after_kill_beside_hogs (~7 s, not parallel: 8 spinning
#   processes beside it; what it checks is sysmon's wait for a CPU, not a
#   schedule);
# - rust_waits, whose bound on kernel threads (procs + 8) random yields
#   and a loaded machine can pass with no fault: its 10,000 threads end
#   in munmap and mmap, which wait for the kernel's mmap lock, and sysmon
#   hands the P of an M asleep there on (a blocking it cannot see,
#   docs/design.md §8 kind 3): 13 kernel threads with seed 4 on a machine
#   at a load of about 100, 4-8 in other runs.
set -eu
cd "$(dirname "$0")/.."
seeds=${*:-1 2 3}
left_out='create_join_rss|live_100k|create_detached_loop|bound_exits'
left_out="$left_out|foreign_malloc_(linked|preloaded_before|preloaded_after)_(tcmalloc_minimal|mimalloc)"
left_out="$left_out|foreign_malloc_preloaded_(before|after)_jemalloc"
left_out="$left_out|export_list|launcher|boot_refusals|debugger|gdb_extension|top|rust_waits"
left_out="$left_out|fork_user_lock|sigpending_after_kill_beside_hogs"
tests=$(meson test -C build --list --suite programs 2>/dev/null |
        sed -n 's|^mnrt:programs / ||p' | grep -vxE "$left_out")
failed=
for seed in $seeds; do
    echo "== the programs with MNRT_DEBUG=randomize=$seed"
    # shellcheck disable=SC2086 # one test name per word
    if ! MNRT_DEBUG=randomize=$seed meson test -C build --no-rebuild --print-errorlogs \
            ${MESON_TEST_ARGS:-} $tests; then
        echo "== FAILED with MNRT_DEBUG=randomize=$seed"
        failed="$failed $seed"
    fi
done
if [ -n "$failed" ]; then
    echo "== randomized schedules failed with the seeds:$failed"
    exit 1
fi
