//go:build ignore

// mutex_contended.go - Go's figure for ../mutex_contended.c: THREADS
// goroutines (default 64) each lock one sync.Mutex, increment a shared
// counter and unlock, OPS times (default 1,000,000), after a start gate (a
// closed channel). The counter must equal THREADS * OPS.
// Result: ns_per_op = wall time / (THREADS * OPS).
// Usage: mutex_contended [THREADS [OPS]]

package main

import (
	"sync"
	"time"
)

func main() {
	threads := argInt(1, 64)
	ops := argInt(2, 1000000)
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	gate := make(chan struct{})
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			<-gate
			for j := 0; j < ops; j++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	t0 := time.Now()
	close(gate)
	wg.Wait()
	ns := time.Since(t0).Nanoseconds()

	want := threads * ops
	if counter != want {
		fail("mutex_contended: counter %d, expected %d", counter, want)
	}
	result("mutex_contended", "ns_per_op=%.2f ops=%d threads=%d wall_ns=%d",
		float64(ns)/float64(want), want, threads, ns)
}
