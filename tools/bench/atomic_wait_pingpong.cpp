// atomic_wait_pingpong.cpp - round trip of a token handed between two
// threads with C++20 std::atomic::wait / notify_one (libstdc++ waits with
// syscall(SYS_futex), spinning a little first).
//
// As futex_pingpong.c: player 0 and player 1 share `turn`; a player waits
// until it is its own, counts a move, gives it to the other and notifies.
// A round trip is 0 -> 1 -> 0; each must have made ROUNDS (default 40,000)
// moves. The clock runs from the start gate opening to both joins.
// Result: ns_per_op = wall time / ROUNDS (one round trip).
// Usage: bench_atomic_wait_pingpong [ROUNDS]
#include "bench.h"

#include <atomic>

static struct bench_gate gate = BENCH_GATE_INIT;
static std::atomic<int> turn{0};
static long rounds;
static long moves[2];

static void *player(void *arg)
{
	int me = (int)(intptr_t)arg;
	bench_gate_wait(&gate);
	for (long i = 0; i < rounds; i++) {
		int t;
		while ((t = turn.load()) != me)
			turn.wait(t);
		moves[me]++;
		turn.store(!me);
		turn.notify_one();
	}
	return nullptr;
}

int main(int argc, char **argv)
{
	rounds = bench_arg(argc, argv, 1, 40000);
	uint64_t ns = bench_two_players(&gate, player);

	if (moves[0] != rounds || moves[1] != rounds || turn.load() != 0)
		bench_fail("atomic_wait_pingpong: moves %ld/%ld, turn %d; expected %ld each, turn 0",
			   moves[0], moves[1], turn.load(), rounds);
	bench_result("atomic_wait_pingpong", "ns_per_op=%.1f ops=%ld wall_ns=%llu",
		     (double)ns / (double)rounds, rounds, (unsigned long long)ns);
	return 0;
}
