/* mutex_cond_pingpong.c - round trip of a token handed between two threads
 * with one pthread_mutex and two pthread_conds (a wake-up each way).
 *
 * Player 0 and player 1 share `turn`. A player waits on its own condvar until
 * turn is its own, counts a move, gives the turn to the other and signals the
 * other's condvar. A round trip is 0 -> 1 -> 0. Each player must have made
 * ROUNDS (default 40,000) moves. Both wait at a start gate; the clock runs
 * from the gate opening to both joins.
 * Result: ns_per_op = wall time / ROUNDS (one round trip).
 * Usage: bench_mutex_cond_pingpong [ROUNDS] */
#include "bench.h"

static struct bench_gate gate = BENCH_GATE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv[2] = { PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER };
static int turn;
static long rounds;
static long moves[2];

static void *player(void *arg)
{
	int me = (int)(intptr_t)arg;
	bench_gate_wait(&gate);
	bench_check(pthread_mutex_lock(&mu), "pthread_mutex_lock");
	for (long i = 0; i < rounds; i++) {
		while (turn != me)
			bench_check(pthread_cond_wait(&cv[me], &mu), "pthread_cond_wait");
		moves[me]++;
		turn = !me;
		bench_check(pthread_cond_signal(&cv[!me]), "pthread_cond_signal");
	}
	bench_check(pthread_mutex_unlock(&mu), "pthread_mutex_unlock");
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = bench_arg(argc, argv, 1, 40000);
	uint64_t ns = bench_two_players(&gate, player);

	if (moves[0] != rounds || moves[1] != rounds || turn != 0)
		bench_fail("mutex_cond_pingpong: moves %ld/%ld, turn %d; expected %ld each, turn 0",
			   moves[0], moves[1], turn, rounds);
	bench_result("mutex_cond_pingpong", "ns_per_op=%.1f ops=%ld wall_ns=%llu",
		     (double)ns / (double)rounds, rounds, (unsigned long long)ns);
	return 0;
}
