/* create_join.c - cost of pthread_create + pthread_join, as in docs/design.md
 * §17's anchor "create + join (100k, 1000 live)".
 *
 * TOTAL threads (default 100,000) are created and joined with LIVE (default
 * 1,000) alive at once: LIVE slots form a ring, and each new thread first
 * joins the thread that held its slot. Each thread adds one to a shared
 * counter; the counter must equal TOTAL at the end. Default attributes
 * (default stack size), as an unmodified program would use.
 * Result: ns_per_op = wall time / TOTAL.
 * Usage: bench_create_join [TOTAL [LIVE]] */
#include "bench.h"

#include <stdatomic.h>

static atomic_long ran;

static void *worker(void *arg)
{
	(void)arg;
	atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed);
	return NULL;
}

int main(int argc, char **argv)
{
	long total = bench_arg(argc, argv, 1, 100000);
	long live = bench_arg(argc, argv, 2, 1000);
	if (live > total)
		live = total;
	pthread_t *slot = calloc((size_t)live, sizeof *slot);
	if (!slot)
		bench_fail("out of memory");

	uint64_t t0 = bench_now_ns();
	for (long i = 0; i < total; i++) {
		if (i >= live)
			bench_join(slot[i % live]);
		bench_spawn(&slot[i % live], worker, NULL);
	}
	for (long i = 0; i < live; i++)
		bench_join(slot[i]);
	uint64_t ns = bench_now_ns() - t0;

	long n = atomic_load(&ran);
	if (n != total)
		bench_fail("create_join: %ld of %ld threads ran", n, total);
	free(slot);
	bench_result("create_join", "ns_per_op=%.1f ops=%ld live=%ld wall_ns=%llu",
		     (double)ns / (double)total, total, live, (unsigned long long)ns);
	return 0;
}
