/* mutex_contended.c - throughput of one pthread_mutex under heavy contention.
 *
 * THREADS threads (default 64) each lock a single default mutex, increment a
 * shared counter and unlock, OPS times (default 1,000,000). The counter must
 * equal THREADS * OPS. All threads wait at a start gate; the clock runs from
 * the gate opening to the last join.
 * Result: ns_per_op = wall time / (THREADS * OPS), per lock+unlock pair.
 * Usage: bench_mutex_contended [THREADS [OPS]] */
#include "bench.h"

static struct bench_gate gate = BENCH_GATE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long ops;

static void *worker(void *arg)
{
	(void)arg;
	bench_gate_wait(&gate);
	for (long i = 0; i < ops; i++) {
		bench_check(pthread_mutex_lock(&mu), "pthread_mutex_lock");
		counter++;
		bench_check(pthread_mutex_unlock(&mu), "pthread_mutex_unlock");
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = bench_arg(argc, argv, 1, 64);
	ops = bench_arg(argc, argv, 2, 1000000);
	pthread_t *t = calloc((size_t)threads, sizeof *t);
	if (!t)
		bench_fail("out of memory");
	for (long i = 0; i < threads; i++)
		bench_spawn(&t[i], worker, NULL);
	uint64_t t0 = bench_gate_open(&gate);
	for (long i = 0; i < threads; i++)
		bench_join(t[i]);
	uint64_t ns = bench_now_ns() - t0;

	long want = threads * ops;
	if (counter != want)
		bench_fail("mutex_contended: counter %ld, expected %ld", counter, want);
	free(t);
	bench_result("mutex_contended", "ns_per_op=%.2f ops=%ld threads=%ld wall_ns=%llu",
		     (double)ns / (double)want, want, threads, (unsigned long long)ns);
	return 0;
}
