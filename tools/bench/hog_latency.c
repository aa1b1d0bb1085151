/* hog_latency.c - the delay a thread that computes without a scheduling
 * point imposes on a thread that sleeps, when both share one CPU (run-bench
 * runs every mode under `taskset -c 0`: one CPU natively, one P under mnrt,
 * GOMAXPROCS 1 in Go). Under mnrt the sleeper's wake-up waits for the hog to
 * be preempted (docs/design.md §13); with MNRT_DEBUG=asyncpreempt=0 the hog is
 * never preempted and the sleeper waits until it is done.
 *
 * HOGS hog threads (default 1) each run ITERS steps (default
 * 1,000,000,000) of a 64-bit xorshift generator without calls, or, with
 * LOCK_EVERY, take a lock of the program's own every LOCK_EVERY steps (a
 * mutex, a condition variable and an owner field, as perl's and Python's
 * are) and count under it, and, with SYSCALL_EVERY, write a byte to
 * /dev/null every SYSCALL_EVERY steps; meanwhile a sleeper sleeps 1 ms with nanosleep
 * again and again until the hogs are done (they start once the sleeper
 * runs), and records how much later than 1 ms each sleep ended. No hog's
 * result may be 0 (xorshift never reaches 0 from another seed), the count
 * must be every take, and every sleep must last 1 ms.
 * Result: lateness p50_us, p99_us, max_us, mean_us over `samples` sleeps.
 * Usage: bench_hog_latency [ITERS [HOGS [LOCK_EVERY [SYSCALL_EVERY]]]]
 * (a LOCK_EVERY above ITERS takes the lock once, at the start) */
#include "bench.h"

#include <fcntl.h>
#include <semaphore.h>
#include <stdatomic.h>

#define MAX_SAMPLES 100000
#define MAX_HOGS 64

static long iters, lock_every, syscall_every;
static int devnull;
static atomic_int hogs_left;
static uint64_t hog_result[MAX_HOGS];
static uint64_t late_ns[MAX_SAMPLES];
static int samples;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static const void *owner;
static long takes;

static void take_and_count(const void *me)
{
	pthread_mutex_lock(&mu);
	while (owner)
		pthread_cond_wait(&freed, &mu);
	owner = me;
	pthread_mutex_unlock(&mu);
	takes++;
	pthread_mutex_lock(&mu);
	owner = NULL;
	pthread_cond_signal(&freed);
	pthread_mutex_unlock(&mu);
}

static void *hog(void *arg)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	for (long i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (lock_every && i % lock_every == 0)
			take_and_count(arg);
		if (syscall_every && i % syscall_every == 0 && write(devnull, "x", 1) != 1)
			bench_fail("write /dev/null: %s", strerror(errno));
	}
	*(uint64_t *)arg = x;
	atomic_fetch_sub(&hogs_left, 1);
	return NULL;
}

static void *sleeper(void *arg)
{
	bench_check(sem_post(arg) ? errno : 0, "sem_post");
	const struct timespec ms = {0, 1000000};
	while (atomic_load(&hogs_left) && samples < MAX_SAMPLES) {
		uint64_t t0 = bench_now_ns();
		if (nanosleep(&ms, NULL) != 0)
			bench_fail("nanosleep: %s", strerror(errno));
		uint64_t slept = bench_now_ns() - t0;
		if (slept < 1000000)
			bench_fail("a 1 ms sleep lasted %llu ns", (unsigned long long)slept);
		late_ns[samples++] = slept - 1000000;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	iters = bench_arg(argc, argv, 1, 1000000000);
	int nhogs = (int)bench_arg(argc, argv, 2, 1);
	lock_every = bench_arg(argc, argv, 3, 0);
	syscall_every = bench_arg(argc, argv, 4, 0);
	if (nhogs < 1 || nhogs > MAX_HOGS || lock_every < 0 || syscall_every < 0)
		bench_fail("usage: bench_hog_latency [ITERS [HOGS (1-%d) [LOCK_EVERY [SYSCALL_EVERY]]]]",
			   MAX_HOGS);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		bench_fail("open /dev/null: %s", strerror(errno));
	atomic_store(&hogs_left, nhogs);
	pthread_t s, h[MAX_HOGS];
	sem_t started; /* the hog starts once the sleeper sleeps */
	bench_check(sem_init(&started, 0, 0) ? errno : 0, "sem_init");
	bench_spawn(&s, sleeper, &started);
	while (sem_wait(&started) != 0)
		if (errno != EINTR)
			bench_fail("sem_wait: %s", strerror(errno));
	for (int i = 0; i < nhogs; i++)
		bench_spawn(&h[i], hog, &hog_result[i]);
	for (int i = 0; i < nhogs; i++)
		bench_join(h[i]);
	bench_join(s);
	for (int i = 0; i < nhogs; i++)
		if (hog_result[i] == 0)
			bench_fail("hog %d computed 0", i);
	long want = lock_every ? nhogs * ((iters + lock_every - 1) / lock_every) : 0;
	if (takes != want)
		bench_fail("the lock was taken %ld times, not %ld", takes, want);
	if (samples == 0)
		bench_fail("no sleep ended while the hog ran");
	qsort(late_ns, (size_t)samples, sizeof late_ns[0], cmp);
	double sum = 0;
	for (int i = 0; i < samples; i++)
		sum += (double)late_ns[i];
	bench_result("hog_latency", "p50_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f samples=%d",
		     late_ns[samples / 2] / 1e3, late_ns[samples * 99 / 100] / 1e3,
		     late_ns[samples - 1] / 1e3, sum / samples / 1e3, samples);
	return 0;
}
