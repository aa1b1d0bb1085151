/* spin_rounds.c - threads that spin waiting for each other, more of them
 * than CPUs, as redis 7's I/O threads do (`--io-threads 4
 * --io-threads-do-reads yes`): a coordinator hands each of WORKERS workers
 * a task (a counter set to 1), does one of its own and spins until every
 * worker has done its task and cleared its counter. A worker spins
 * waiting for a task; after SPINS empty spins it locks and unlocks a
 * mutex, as redis's do (where its main thread may stop them), and spins
 * again. A task is a dozen 1-byte writes to /dev/null, each after a
 * little arithmetic: a dozen clients' requests in redis. No thread ever sleeps: a round ends only
 * when every worker got a CPU since it began, so the rounds per second
 * follow how soon a scheduler gives each spinning thread its turn and
 * lets none keep a CPU to itself (docs/design.md §13).
 * Result: us_per_round, the mean time of a round, over ROUNDS rounds (default 2,000; 3 workers; a
 * million spins).
 * Usage: bench_spin_rounds [ROUNDS [WORKERS [SPINS]]] */
#include "bench.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>

#define MAX_WORKERS 64

static long spins;
static int devnull;
static atomic_bool done;
static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static struct worker {
	_Alignas(64) atomic_long task;
	long served;
} workers[MAX_WORKERS];

/* A task: REQUESTS writes of 1 byte to /dev/null, each after a little
 * arithmetic (a dozen clients' requests of a redis I/O thread). */
#define REQUESTS 12

static void serve(long *served)
{
	volatile uint64_t x = 0x9e3779b97f4a7c15u;
	for (int r = 0; r < REQUESTS; r++) {
		for (int i = 0; i < 200; i++)
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (write(devnull, "x", 1) != 1)
			bench_fail("write /dev/null: %s", strerror(errno));
	}
	(*served)++;
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	while (!atomic_load_explicit(&done, memory_order_relaxed)) {
		long j = 0;
		while (j < spins && atomic_load_explicit(&w->task, memory_order_acquire) == 0)
			j++;
		if (atomic_load_explicit(&w->task, memory_order_acquire) == 0) {
			pthread_mutex_lock(&stop_mu);
			pthread_mutex_unlock(&stop_mu);
			continue;
		}
		serve(&w->served);
		atomic_store_explicit(&w->task, 0, memory_order_release);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long rounds = bench_arg(argc, argv, 1, 2000);
	int nworkers = (int)bench_arg(argc, argv, 2, 3);
	spins = bench_arg(argc, argv, 3, 1000000);
	if (nworkers < 1 || nworkers > MAX_WORKERS)
		bench_fail("usage: bench_spin_rounds [ROUNDS [WORKERS (1-%d) [SPINS]]]", MAX_WORKERS);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		bench_fail("open /dev/null: %s", strerror(errno));
	pthread_t t[MAX_WORKERS];
	for (int i = 0; i < nworkers; i++)
		bench_spawn(&t[i], worker, &workers[i]);
	long own = 0;
	uint64_t t0 = bench_now_ns();
	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < nworkers; i++)
			atomic_store_explicit(&workers[i].task, 1, memory_order_release);
		serve(&own);
		for (int i = 0; i < nworkers; i++)
			while (atomic_load_explicit(&workers[i].task, memory_order_acquire))
				;
	}
	uint64_t ns = bench_now_ns() - t0;
	atomic_store(&done, true);
	for (int i = 0; i < nworkers; i++)
		bench_join(t[i]);
	for (int i = 0; i < nworkers; i++)
		if (workers[i].served != rounds)
			bench_fail("worker %d served %ld tasks, not %ld", i, workers[i].served, rounds);
	bench_result("spin_rounds", "us_per_round=%.1f rounds=%ld workers=%d", ns / 1e3 / rounds,
		     rounds, nworkers);
	return 0;
}
