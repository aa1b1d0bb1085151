//go:build ignore

// cpu_bound.go - Go's figure for ../cpu_bound.c: THREADS goroutines
// (default 4) each run ITERS steps (default 400,000,000) of a 64-bit
// xorshift generator from the same seed after a start gate; the results
// must be equal.
// Result: wall_ms, and ns_per_op = wall time / (THREADS * ITERS).
// Usage: cpu_bound [THREADS [ITERS]]

package main

import (
	"sync"
	"time"
)

func main() {
	threads := argInt(1, 4)
	iters := argInt(2, 400000000)
	results := make([]uint64, threads)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func(out *uint64) {
			<-gate
			x := uint64(0x9e3779b97f4a7c15)
			for j := 0; j < iters; j++ {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
			}
			*out = x
			wg.Done()
		}(&results[i])
	}
	t0 := time.Now()
	close(gate)
	wg.Wait()
	ns := time.Since(t0).Nanoseconds()
	for i := 1; i < threads; i++ {
		if results[i] != results[0] {
			fail("cpu_bound: goroutine %d computed %x, goroutine 0 %x", i, results[i], results[0])
		}
	}
	result("cpu_bound", "wall_ms=%.1f ns_per_op=%.3f threads=%d iters=%d",
		float64(ns)/1e6, float64(ns)/(float64(threads)*float64(iters)), threads, iters)
}
