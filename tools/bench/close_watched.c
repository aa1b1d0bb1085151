/* close_watched.c - what close() of a socket costs once a thread has
 * waited on it (under mnrt the netpoller then holds a registration on the
 * file, which close cancels and waits out, so that the file is released
 * when close returns, as natively).
 *
 * ROUNDS times (default 20,000): a socketpair; the main thread blocks in
 * read on one end until a helper thread, told the round started, writes a
 * byte to the other; then the main thread closes its end (timed) and the
 * other. Every byte must arrive.
 * Result: ns_per_op = mean time of the timed close() calls;
 * round_ns = mean time of a whole round.
 * Usage: bench_close_watched [ROUNDS] */
#include "bench.h"

#include <sys/socket.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int peer_fd = -1; /* the end the helper writes to; -2: stop */

static void *writer(void *arg)
{
	(void)arg;
	for (;;) {
		bench_check(pthread_mutex_lock(&mu), "pthread_mutex_lock");
		while (peer_fd == -1)
			bench_check(pthread_cond_wait(&cv, &mu), "pthread_cond_wait");
		int fd = peer_fd;
		peer_fd = -1;
		bench_check(pthread_mutex_unlock(&mu), "pthread_mutex_unlock");
		if (fd == -2)
			return NULL;
		if (write(fd, "x", 1) != 1)
			bench_fail("write: %s", strerror(errno));
	}
}

static void hand_over(int fd)
{
	bench_check(pthread_mutex_lock(&mu), "pthread_mutex_lock");
	peer_fd = fd;
	bench_check(pthread_cond_signal(&cv), "pthread_cond_signal");
	bench_check(pthread_mutex_unlock(&mu), "pthread_mutex_unlock");
}

int main(int argc, char **argv)
{
	long rounds = bench_arg(argc, argv, 1, 20000);
	pthread_t w;
	bench_spawn(&w, writer, NULL);
	uint64_t close_ns = 0, t0 = bench_now_ns();
	for (long i = 0; i < rounds; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			bench_fail("socketpair: %s", strerror(errno));
		hand_over(sv[1]);
		char c;
		if (read(sv[0], &c, 1) != 1 || c != 'x')
			bench_fail("read: %s", strerror(errno));
		uint64_t c0 = bench_now_ns();
		if (close(sv[0]) != 0)
			bench_fail("close: %s", strerror(errno));
		close_ns += bench_now_ns() - c0;
		if (close(sv[1]) != 0)
			bench_fail("close: %s", strerror(errno));
	}
	uint64_t ns = bench_now_ns() - t0;
	hand_over(-2);
	bench_join(w);
	bench_result("close_watched", "ns_per_op=%.1f round_ns=%.1f ops=%ld",
		     (double)close_ns / (double)rounds, (double)ns / (double)rounds, rounds);
	return 0;
}
