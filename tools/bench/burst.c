/* burst.c - memory after a burst of threads (issue 13 item 3: "RSS after a
 * burst returns to within 10% of its level before it"): RSS before the
 * burst, at its peak and once the program has been idle a while after it.
 *
 * The main thread first makes and joins WARMUP (8) threads, so that what a
 * program's first threads load is loaded (under mnrt: sysmon, the Ms, the
 * unwinder for thread dumps), and reads VmRSS: before. Then it creates
 * THREADS threads (default 30,000) one after the other; each waits on a
 * condition variable until all are alive, as a burst of connections or
 * requests would park. With all of them alive it reads VmRSS and the
 * kernel threads ("Threads:" of /proc/self/status): the peak. It lets them
 * go, joins them all, stays idle IDLE_MS (default 2,000) in one sleep, and
 * reads VmRSS again: after. Every thread must run and be joined.
 * Result: before_rss_kb, peak_rss_kb, peak_threads, after_rss_kb,
 * after_ratio (after / before: the target is <= 1.10), threads.
 * run-bench adds peak_mem_kb (peak RSS + 16 KiB of kernel stack per
 * kernel thread).
 * Usage: bench_burst [THREADS [IDLE_MS]] */
#include "bench.h"

#define WARMUP 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_alive = PTHREAD_COND_INITIALIZER, released = PTHREAD_COND_INITIALIZER;
static long alive, wanted;
static int go;

static long must_read(const char *field)
{
	long v = bench_status_field(field);
	if (v < 0)
		bench_fail("burst: cannot read %s: from /proc/self/status", field);
	return v;
}

static void *parked(void *arg)
{
	bench_check(pthread_mutex_lock(&mu), "pthread_mutex_lock");
	if (++alive == wanted)
		bench_check(pthread_cond_signal(&all_alive), "pthread_cond_signal");
	while (!go)
		bench_check(pthread_cond_wait(&released, &mu), "pthread_cond_wait");
	bench_check(pthread_mutex_unlock(&mu), "pthread_mutex_unlock");
	return arg;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	long threads = bench_arg(argc, argv, 1, 30000);
	long idle_ms = bench_arg(argc, argv, 2, 2000);
	pthread_t *t = calloc((size_t)threads, sizeof *t);
	if (!t)
		bench_fail("out of memory");
	memset(t, 1, (size_t)threads * sizeof *t); /* its pages count before */
	for (int i = 0; i < WARMUP; i++)
		bench_spawn(&t[i], nothing, NULL);
	for (int i = 0; i < WARMUP; i++)
		bench_join(t[i]);
	long before = must_read("VmRSS");

	wanted = threads;
	for (long i = 0; i < threads; i++)
		bench_spawn(&t[i], parked, (void *)(intptr_t)i);
	bench_check(pthread_mutex_lock(&mu), "pthread_mutex_lock");
	while (alive < wanted)
		bench_check(pthread_cond_wait(&all_alive, &mu), "pthread_cond_wait");
	long peak = must_read("VmRSS"), peak_threads = must_read("Threads");
	go = 1;
	bench_check(pthread_cond_broadcast(&released), "pthread_cond_broadcast");
	bench_check(pthread_mutex_unlock(&mu), "pthread_mutex_unlock");
	for (long i = 0; i < threads; i++) {
		void *r;
		bench_check(pthread_join(t[i], &r), "pthread_join");
		if (r != (void *)(intptr_t)i)
			bench_fail("burst: thread %ld returned %p", i, r);
	}

	struct timespec idle = {idle_ms / 1000, (idle_ms % 1000) * 1000000};
	while (nanosleep(&idle, &idle) != 0)
		if (errno != EINTR)
			bench_fail("nanosleep: %s", strerror(errno));
	long after = must_read("VmRSS");
	free(t);
	bench_result("burst", "before_rss_kb=%ld peak_rss_kb=%ld peak_threads=%ld after_rss_kb=%ld "
		     "after_ratio=%.3f threads=%ld idle_ms=%ld", before, peak, peak_threads, after,
		     (double)after / (double)before, threads, idle_ms);
	return 0;
}
