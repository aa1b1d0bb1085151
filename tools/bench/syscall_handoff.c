/* syscall_handoff.c - what mnrt adds to a system call that it wraps but
 * cannot park on (docs/design.md §8 kind 2), when the call does not block.
 *
 * Reads 1 byte from /dev/zero ITERATIONS times (default 2,000,000) in one
 * thread: natively a plain read(2); under mnrt the read goes through the
 * fd table lookup and mn_entersyscall/mn_exitsyscall around the system
 * call. Every read must return 1 and a zero byte.
 * Result: ns_per_op = wall time / ITERATIONS; the difference between the
 * native and the mnrt figure is mnrt's cost per call (target: tens of ns).
 * Usage: bench_syscall_handoff [ITERATIONS] */
#include "bench.h"

#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = bench_arg(argc, argv, 1, 2000000);
	int fd = open("/dev/zero", O_RDONLY);
	if (fd < 0)
		bench_fail("open /dev/zero: %s", strerror(errno));
	long ok = 0;
	char c = 1;
	uint64_t t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		c = 1;
		ok += read(fd, &c, 1) == 1 && c == 0;
	}
	uint64_t ns = bench_now_ns() - t0;
	if (ok != n)
		bench_fail("read: %ld of %ld calls returned a zero byte", ok, n);
	close(fd);
	bench_result("syscall_handoff", "ns_per_op=%.1f ops=%ld wall_ns=%llu", (double)ns / (double)n,
		     n, (unsigned long long)ns);
	return 0;
}
