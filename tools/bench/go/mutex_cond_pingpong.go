//go:build ignore

// mutex_cond_pingpong.go - Go's figure for ../mutex_cond_pingpong.c: the same
// hand-off of a token between two goroutines, done the Go way, with two
// unbuffered channels (docs/design.md §17's anchor). A round trip is 0 -> 1 -> 0;
// each side counts ROUNDS (default 40,000) moves and the token value must
// come back as sent.
// Result: ns_per_op = wall time / ROUNDS (one round trip).
// Usage: mutex_cond_pingpong [ROUNDS]

package main

import "time"

func main() {
	rounds := argInt(1, 40000)
	ping, pong := make(chan int), make(chan int)
	done := make(chan int)
	go func() {
		moves := 0
		for v := range ping {
			moves++
			pong <- v
		}
		done <- moves
	}()

	t0 := time.Now()
	for i := 0; i < rounds; i++ {
		ping <- i
		if v := <-pong; v != i {
			fail("mutex_cond_pingpong: round %d sent %d, got %d back", i, i, v)
		}
	}
	close(ping)
	moves := <-done
	ns := time.Since(t0).Nanoseconds()

	if moves != rounds {
		fail("mutex_cond_pingpong: %d moves, expected %d", moves, rounds)
	}
	result("mutex_cond_pingpong", "ns_per_op=%.1f ops=%d wall_ns=%d",
		float64(ns)/float64(rounds), rounds, ns)
}
