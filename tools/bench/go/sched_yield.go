//go:build ignore

// sched_yield.go - Go's figure for ../sched_yield.c: THREADS goroutines
// (default 2) each call runtime.Gosched YIELDS times (default 2,000,000)
// after a start gate; the calls are counted and must total THREADS * YIELDS.
// Result: ns_per_op = wall time / (THREADS * YIELDS), counted as in the C
// program; ns_per_thread_yield = wall time / YIELDS.
// Usage: sched_yield [THREADS [YIELDS]]

package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	threads := argInt(1, 2)
	yields := argInt(2, 2000000)
	var wg sync.WaitGroup
	var done int64
	gate := make(chan struct{})
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			<-gate
			n := int64(0)
			for j := 0; j < yields; j++ {
				runtime.Gosched()
				n++
			}
			atomic.AddInt64(&done, n)
			wg.Done()
		}()
	}
	t0 := time.Now()
	close(gate)
	wg.Wait()
	ns := time.Since(t0).Nanoseconds()

	want := int64(threads) * int64(yields)
	if got := atomic.LoadInt64(&done); got != want {
		fail("sched_yield: %d calls, expected %d", got, want)
	}
	result(fmt.Sprintf("sched_yield_%d", threads),
		"ns_per_op=%.1f ns_per_thread_yield=%.1f ops=%d threads=%d wall_ns=%d",
		float64(ns)/float64(want), float64(ns)/float64(yields), want, threads, ns)
}
