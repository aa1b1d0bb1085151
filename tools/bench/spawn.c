/* spawn.c - cost of starting a program from a threaded process: vfork +
 * execve of /bin/true + waitpid, as Python's subprocess, shells and build
 * tools start their commands, while IDLE other threads (default 0) wait on
 * a condition variable. Under mnrt the child /bin/true runs under mnrt
 * too (it inherits LD_PRELOAD), so its start costs mnrt's boot; the
 * idle threads show what the spawn's cost grows with (the page tables a
 * fork would copy). Every child must exit 0.
 * Result: us_per_op = wall time / SPAWNS.
 * Usage: bench_spawn [SPAWNS [IDLE]] */
#include "bench.h"

#include <sys/wait.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int done;

static void *idler(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!done)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	long spawns = bench_arg(argc, argv, 1, 200);
	long idle = bench_arg(argc, argv, 2, 0);
	pthread_t *t = calloc((size_t)idle + 1, sizeof *t);
	if (!t)
		bench_fail("out of memory");
	for (long i = 0; i < idle; i++)
		bench_spawn(&t[i], idler, NULL);

	uint64_t t0 = bench_now_ns();
	for (long i = 0; i < spawns; i++) {
		pid_t c = vfork();
		if (c == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (c < 0)
			bench_fail("vfork: %s", strerror(errno));
		int st;
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bench_fail("spawn: /bin/true did not exit 0");
	}
	uint64_t ns = bench_now_ns() - t0;

	pthread_mutex_lock(&mu);
	done = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (long i = 0; i < idle; i++)
		bench_join(t[i]);
	free(t);
	bench_result("spawn", "us_per_op=%.1f ops=%ld idle=%ld wall_ns=%llu",
		     (double)ns / 1000.0 / (double)spawns, spawns, idle, (unsigned long long)ns);
	return 0;
}
