/* cpu_bound.c - a program that computes and never blocks: what mnrt costs
 * where it has nothing to win (docs/design.md §17: within 2% of native).
 *
 * THREADS threads (default 4, twice the CPUs of the test VM) each run
 * ITERS steps (default 400,000,000) of a 64-bit xorshift generator after a
 * start gate, with no system calls and no locks. All threads start from the
 * same seed, so their results must be equal: a lost register or a
 * corrupted stack in a switch would show. The clock runs from the gate
 * opening to the last join.
 * Result: wall_ms, and ns_per_op = wall time / (THREADS * ITERS).
 * Usage: bench_cpu_bound [THREADS [ITERS]] */
#include "bench.h"

static struct bench_gate gate = BENCH_GATE_INIT;
static long iters;

static void *worker(void *arg)
{
	uint64_t *out = arg;
	bench_gate_wait(&gate);
	uint64_t x = 0x9e3779b97f4a7c15u;
	for (long i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	*out = x;
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = bench_arg(argc, argv, 1, 4);
	iters = bench_arg(argc, argv, 2, 400000000);
	pthread_t *t = calloc((size_t)threads, sizeof *t);
	uint64_t *results = calloc((size_t)threads, sizeof *results);
	if (!t || !results)
		bench_fail("out of memory");
	for (long i = 0; i < threads; i++)
		bench_spawn(&t[i], worker, &results[i]);
	uint64_t t0 = bench_gate_open(&gate);
	for (long i = 0; i < threads; i++)
		bench_join(t[i]);
	uint64_t ns = bench_now_ns() - t0;
	for (long i = 1; i < threads; i++)
		if (results[i] != results[0])
			bench_fail("cpu_bound: thread %ld computed %llx, thread 0 %llx", i,
				   (unsigned long long)results[i], (unsigned long long)results[0]);
	free(t);
	free(results);
	bench_result("cpu_bound", "wall_ms=%.1f ns_per_op=%.3f threads=%ld iters=%ld",
		     (double)ns / 1e6, (double)ns / ((double)threads * (double)iters), threads, iters);
	return 0;
}
