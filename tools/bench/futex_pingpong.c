/* futex_pingpong.c - round trip of a token handed between two threads
 * through one 32-bit word and syscall(SYS_futex), as Rust's standard library
 * and libstdc++'s C++20 waits do it (FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE).
 *
 * Player 0 and player 1 share `turn`. A player waits on the word until it
 * is its own, counts a move, stores the other's number and wakes it. A round
 * trip is 0 -> 1 -> 0. Each player must have made ROUNDS (default 40,000)
 * moves. The clock runs from the start gate opening to both joins.
 * Result: ns_per_op = wall time / ROUNDS (one round trip).
 * Usage: bench_futex_pingpong [ROUNDS] */
#include "bench.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct bench_gate gate = BENCH_GATE_INIT;
static _Atomic uint32_t turn;
static long rounds;
static long moves[2];

static void *player(void *arg)
{
	uint32_t me = (uint32_t)(intptr_t)arg;
	bench_gate_wait(&gate);
	for (long i = 0; i < rounds; i++) {
		uint32_t t;
		while ((t = atomic_load(&turn)) != me)
			syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, t, NULL, NULL, 0);
		moves[me]++;
		atomic_store(&turn, !me);
		syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = bench_arg(argc, argv, 1, 40000);
	uint64_t ns = bench_two_players(&gate, player);

	if (moves[0] != rounds || moves[1] != rounds || atomic_load(&turn) != 0)
		bench_fail("futex_pingpong: moves %ld/%ld, turn %u; expected %ld each, turn 0",
			   moves[0], moves[1], atomic_load(&turn), rounds);
	bench_result("futex_pingpong", "ns_per_op=%.1f ops=%ld wall_ns=%llu",
		     (double)ns / (double)rounds, rounds, (unsigned long long)ns);
	return 0;
}
