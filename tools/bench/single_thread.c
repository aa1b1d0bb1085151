/* single_thread.c - a program that makes no thread, as most commands are
 * (shells, compilers, text tools, interpreters): COUNT malloc + free pairs
 * of 32-88 bytes (16 blocks live at a time), then COUNT putc calls to a
 * stream on /dev/null. glibc takes no lock in either while the process
 * is single-threaded (__libc_single_threaded), under mnrt as natively
 * once nothing of mnrt's makes a thread before the program's first
 * (docs/design.md §15).
 * Result: malloc_free_ns (one pair), putc_ns (one call), and whether glibc
 * counted the process single-threaded in main (single_threaded=1; -1
 * before glibc 2.32, which does not say).
 * Usage: bench_single_thread [COUNT] */
#include "bench.h"

#if __has_include(<sys/single_threaded.h>) /* glibc 2.32+ */
#include <sys/single_threaded.h>
#define SINGLE_THREADED() ((int)__libc_single_threaded)
#else
#define SINGLE_THREADED() (-1)
#endif

enum { LIVE = 16 };

int main(int argc, char **argv)
{
	long count = bench_arg(argc, argv, 1, 20000000);
	int single = SINGLE_THREADED();

	void *live[LIVE] = {0};
	uint64_t t0 = bench_now_ns();
	for (long i = 0; i < count; i++) {
		size_t size = 32 + (size_t)(i & 7) * 8;
		free(live[i % LIVE]);
		if (!(live[i % LIVE] = malloc(size)))
			bench_fail("out of memory");
		*(volatile char *)live[i % LIVE] = 1;
	}
	uint64_t t1 = bench_now_ns();
	for (int i = 0; i < LIVE; i++)
		free(live[i]);

	FILE *f = fopen("/dev/null", "w");
	if (!f)
		bench_fail("fopen /dev/null: %s", strerror(errno));
	uint64_t t2 = bench_now_ns();
	for (long i = 0; i < count; i++)
		if (putc('a' + (int)(i % 26), f) == EOF)
			bench_fail("putc: %s", strerror(errno));
	uint64_t t3 = bench_now_ns();
	if (fclose(f) != 0)
		bench_fail("fclose: %s", strerror(errno));

	bench_result("single_thread", "malloc_free_ns=%.2f putc_ns=%.2f single_threaded=%d count=%ld",
		     (double)(t1 - t0) / (double)count, (double)(t3 - t2) / (double)count, single,
		     count);
	return 0;
}
