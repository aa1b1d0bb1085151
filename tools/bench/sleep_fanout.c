/* sleep_fanout.c - many threads that only sleep: wall time, peak kernel
 * threads and peak RSS, as in docs/design.md §17's anchors "10,000 threads each
 * sleeping 10 ms" and "same, all 10,000 alive at once (1 s sleeps)".
 *
 * The main thread creates THREADS threads (default 10,000) one after the
 * other, then joins them all. Each thread sleeps SLEEP_MS (default 10) with
 * nanosleep. With 10 ms sleeps only a few hundred overlap natively; with
 * 1,000 ms sleeps all of them are alive at once. Every thread must run, and
 * every sleep must last at least SLEEP_MS.
 * A sampler thread (under mnrt just another user thread, which is fine) reads
 * the "Threads:" line of /proc/self/status every millisecond: the number of
 * kernel threads of the process, the same count as the entries of
 * /proc/self/task, read in O(1). It counts itself and the main thread. Peak
 * RSS is VmHWM from /proc/self/status after the joins.
 * Result: wall_ms (first create to last join), create_ms (first create to
 * the return of the last), peak_threads, peak_rss_kb, and peak_live (most
 * threads inside their sleep at once, counted by the threads).
 * Usage: bench_sleep_fanout [SLEEP_MS [THREADS]] */
#include "bench.h"

#include <stdatomic.h>

static long sleep_ms;
static atomic_long live, peak_live, finished, short_sleeps;
static atomic_int sampling = 1;
static atomic_long peak_threads;

static void note_max(atomic_long *max, long v)
{
	long m = atomic_load(max);
	while (v > m && !atomic_compare_exchange_weak(max, &m, v))
		;
}

static void *sampler(void *arg)
{
	(void)arg;
	const struct timespec period = { 0, 1000000 };
	while (atomic_load(&sampling)) {
		long n = bench_status_field("Threads");
		if (n < 0)
			bench_fail("sleep_fanout: cannot read Threads: from /proc/self/status");
		note_max(&peak_threads, n);
		nanosleep(&period, NULL);
	}
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	note_max(&peak_live, atomic_fetch_add(&live, 1) + 1);
	uint64_t want = (uint64_t)sleep_ms * 1000000u;
	uint64_t t0 = bench_now_ns();
	struct timespec left = { (time_t)(sleep_ms / 1000), (long)(sleep_ms % 1000) * 1000000 };
	while (nanosleep(&left, &left) != 0) {
		if (errno != EINTR)
			bench_fail("nanosleep: %s", strerror(errno));
	}
	if (bench_now_ns() - t0 < want)
		atomic_fetch_add(&short_sleeps, 1);
	atomic_fetch_sub(&live, 1);
	atomic_fetch_add(&finished, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	sleep_ms = bench_arg(argc, argv, 1, 10);
	long threads = bench_arg(argc, argv, 2, 10000);
	pthread_t *t = calloc((size_t)threads, sizeof *t);
	if (!t)
		bench_fail("out of memory");
	pthread_t samp;
	bench_spawn(&samp, sampler, NULL);

	uint64_t t0 = bench_now_ns();
	for (long i = 0; i < threads; i++)
		bench_spawn(&t[i], sleeper, NULL);
	uint64_t created_ns = bench_now_ns() - t0;
	for (long i = 0; i < threads; i++)
		bench_join(t[i]);
	uint64_t ns = bench_now_ns() - t0;

	atomic_store(&sampling, 0);
	bench_join(samp);
	long rss = bench_status_field("VmHWM");
	if (atomic_load(&finished) != threads)
		bench_fail("sleep_fanout: %ld of %ld threads finished", atomic_load(&finished), threads);
	if (atomic_load(&short_sleeps) != 0)
		bench_fail("sleep_fanout: %ld sleeps of %ld ms returned early",
			   atomic_load(&short_sleeps), sleep_ms);
	if (rss < 0)
		bench_fail("sleep_fanout: cannot read VmHWM: from /proc/self/status");
	free(t);
	char name[48];
	snprintf(name, sizeof name, "sleep_fanout_%ldms", sleep_ms);
	bench_result(name,
		     "wall_ms=%.1f create_ms=%.1f peak_threads=%ld peak_rss_kb=%ld peak_live=%ld "
		     "threads=%ld",
		     (double)ns / 1e6, (double)created_ns / 1e6, atomic_load(&peak_threads), rss,
		     atomic_load(&peak_live), threads);
	return 0;
}
