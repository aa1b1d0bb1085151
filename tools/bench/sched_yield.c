/* sched_yield.c - cost of sched_yield with THREADS threads yielding at once.
 *
 * THREADS threads (default 2; run-bench also runs 8) each call sched_yield
 * YIELDS times (default 2,000,000) after a start gate; every call must return
 * 0 and the total number of calls must be THREADS * YIELDS. The clock runs
 * from the gate opening to the last join.
 * Result: ns_per_op = wall time / (THREADS * YIELDS), the machine's
 * throughput of yields, as docs/design.md §17's anchors (202 ns for 2 threads, 582 ns
 * for 8) and Go's Gosched figures are counted. Also printed:
 * ns_per_thread_yield = wall time / YIELDS, how long each thread waits per
 * yield while all THREADS yield (on 2 CPUs, 8 threads queue behind each other).
 * Usage: bench_sched_yield [THREADS [YIELDS]]; run-bench passes 2 2000000 and
 * 8 200000 (about 1 s each natively). */
#include "bench.h"

#include <sched.h>
#include <stdatomic.h>

static struct bench_gate gate = BENCH_GATE_INIT;
static long yields;
static atomic_long done;

static void *worker(void *arg)
{
	(void)arg;
	bench_gate_wait(&gate);
	long ok = 0;
	for (long i = 0; i < yields; i++)
		ok += sched_yield() == 0;
	atomic_fetch_add(&done, ok);
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = bench_arg(argc, argv, 1, 2);
	yields = bench_arg(argc, argv, 2, 2000000);
	pthread_t *t = calloc((size_t)threads, sizeof *t);
	if (!t)
		bench_fail("out of memory");
	for (long i = 0; i < threads; i++)
		bench_spawn(&t[i], worker, NULL);
	uint64_t t0 = bench_gate_open(&gate);
	for (long i = 0; i < threads; i++)
		bench_join(t[i]);
	uint64_t ns = bench_now_ns() - t0;

	long want = threads * yields, got = atomic_load(&done);
	if (got != want)
		bench_fail("sched_yield: %ld successful calls, expected %ld", got, want);
	free(t);
	char name[48];
	snprintf(name, sizeof name, "sched_yield_%ld", threads);
	bench_result(name, "ns_per_op=%.1f ns_per_thread_yield=%.1f ops=%ld threads=%ld wall_ns=%llu",
		     (double)ns / (double)want, (double)ns / (double)yields, want, threads,
		     (unsigned long long)ns);
	return 0;
}
