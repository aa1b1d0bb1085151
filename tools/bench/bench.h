/* bench.h - what every benchmark program in tools/bench shares: the clock
 * (CLOCK_MONOTONIC, in ns), failure exits, numeric arguments, checked
 * thread creation and joining, a start gate, figures of /proc/self/status,
 * and the result line.
 *
 * The result line is the contract with tools/bench/run-bench: exactly one line
 * on stdout, "name=NAME key=value key=value ...", printed only after the
 * program has verified its own result. Any failure prints "bench: ..." on
 * stderr and exits with status 1, so the runner can tell a wrong or crashed
 * run from a slow one. Everything here is plain pthreads and libc: under
 * LD_PRELOAD=libmnrt.so the same calls go to mnrt. Header-only (static inline)
 * so that each benchmark stays one file. */
#ifndef MNRT_BENCH_H
#define MNRT_BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((format(printf, 1, 2), noreturn))
static inline void bench_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* pthread functions return an error number instead of setting errno. */
static inline void bench_check(int err, const char *what)
{
	if (err != 0)
		bench_fail("%s: %s", what, strerror(err));
}

/* The number after "FIELD:" in /proc/self/status, or -1. */
static inline long bench_status_field(const char *field)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	size_t len = strlen(field);
	for (char *line = buf; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			return strtol(line + len + 1, NULL, 10);
	}
	return -1;
}

/* Positional argument i (1-based) as a positive integer, or dflt if absent. */
static inline long bench_arg(int argc, char **argv, int i, long dflt)
{
	if (i >= argc)
		return dflt;
	char *end;
	errno = 0;
	long v = strtol(argv[i], &end, 10);
	if (errno != 0 || end == argv[i] || *end != '\0' || v <= 0)
		bench_fail("argument %d: '%s' is not a positive integer", i, argv[i]);
	return v;
}

static inline void bench_spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	bench_check(pthread_create(t, NULL, fn, arg), "pthread_create");
}

static inline void bench_join(pthread_t t)
{
	bench_check(pthread_join(t, NULL), "pthread_join");
}

/* Start gate: workers wait until the timer starts, so that the measured
 * interval holds the work and not the staggered thread creation. */
struct bench_gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int open;
};
#define BENCH_GATE_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }

static inline void bench_gate_wait(struct bench_gate *g)
{
	bench_check(pthread_mutex_lock(&g->mu), "pthread_mutex_lock");
	while (!g->open)
		bench_check(pthread_cond_wait(&g->cv, &g->mu), "pthread_cond_wait");
	bench_check(pthread_mutex_unlock(&g->mu), "pthread_mutex_unlock");
}

/* Opens the gate and returns the start time. */
static inline uint64_t bench_gate_open(struct bench_gate *g)
{
	bench_check(pthread_mutex_lock(&g->mu), "pthread_mutex_lock");
	g->open = 1;
	uint64_t t0 = bench_now_ns();
	bench_check(pthread_cond_broadcast(&g->cv), "pthread_cond_broadcast");
	bench_check(pthread_mutex_unlock(&g->mu), "pthread_mutex_unlock");
	return t0;
}

/* Runs two players, player((void *)0) and player((void *)1), which each
 * wait at gate first: returns the wall time from the gate's opening to
 * both joins (the ping-pong benchmarks). */
static inline uint64_t bench_two_players(struct bench_gate *gate, void *(*player)(void *))
{
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		bench_spawn(&t[i], player, (void *)(intptr_t)i);
	uint64_t t0 = bench_gate_open(gate);
	for (int i = 0; i < 2; i++)
		bench_join(t[i]);
	return bench_now_ns() - t0;
}

/* Prints the one result line: "name=NAME " followed by the caller's fields. */
__attribute__((format(printf, 2, 3)))
static inline void bench_result(const char *name, const char *fmt, ...)
{
	va_list ap;
	printf("name=%s ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (fflush(stdout) != 0)
		bench_fail("writing the result: %s", strerror(errno));
}

#endif
