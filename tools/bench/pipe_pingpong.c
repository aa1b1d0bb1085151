/* pipe_pingpong.c - round trip of one byte bounced between two threads over
 * two pipes with blocking read and write.
 *
 * The server thread reads a byte from pipe A and writes it back on pipe B;
 * the client thread writes byte i (mod 256) on pipe A and reads it back from
 * B, ROUNDS times (default 30,000). Every byte must come back unchanged.
 * The clock runs from before the threads are created to both joins (two
 * thread creations are noise next to ROUNDS round trips).
 * Result: ns_per_op = wall time / ROUNDS (one round trip).
 * Usage: bench_pipe_pingpong [ROUNDS] */
#include "bench.h"

#include <unistd.h>

static int pipe_a[2], pipe_b[2];
static long rounds;

static unsigned char get_byte(int fd)
{
	unsigned char c;
	ssize_t n;
	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		bench_fail("read: %s", n == 0 ? "unexpected end of file" : strerror(errno));
	return c;
}

static void put_byte(int fd, unsigned char c)
{
	ssize_t n;
	while ((n = write(fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		bench_fail("write: %s", strerror(errno));
}

static void *server(void *arg)
{
	(void)arg;
	for (long i = 0; i < rounds; i++)
		put_byte(pipe_b[1], get_byte(pipe_a[0]));
	return NULL;
}

static void *client(void *arg)
{
	(void)arg;
	for (long i = 0; i < rounds; i++) {
		unsigned char c = (unsigned char)i;
		put_byte(pipe_a[1], c);
		unsigned char back = get_byte(pipe_b[0]);
		if (back != c)
			bench_fail("pipe_pingpong: round %ld sent %u, got %u back", i, c, back);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = bench_arg(argc, argv, 1, 30000);
	if (pipe(pipe_a) != 0 || pipe(pipe_b) != 0)
		bench_fail("pipe: %s", strerror(errno));
	pthread_t s, c;
	uint64_t t0 = bench_now_ns();
	bench_spawn(&s, server, NULL);
	bench_spawn(&c, client, NULL);
	bench_join(c);
	bench_join(s);
	uint64_t ns = bench_now_ns() - t0;
	bench_result("pipe_pingpong", "ns_per_op=%.1f ops=%ld wall_ns=%llu",
		     (double)ns / (double)rounds, rounds, (unsigned long long)ns);
	return 0;
}
