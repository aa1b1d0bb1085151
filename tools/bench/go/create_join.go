//go:build ignore

// create_join.go - Go's figure for ../create_join.c: `go` statement +
// sync.WaitGroup per goroutine. TOTAL goroutines (default 100,000) with LIVE
// (default 1,000) alive at once: LIVE slots form a ring, each with its own
// WaitGroup, and each new goroutine first waits for the one that held its
// slot. Each goroutine adds one to a counter that must equal TOTAL.
// Result: ns_per_op = wall time / TOTAL.
// Usage: create_join [TOTAL [LIVE]]

package main

import (
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	total := argInt(1, 100000)
	live := argInt(2, 1000)
	if live > total {
		live = total
	}
	var ran int64
	slots := make([]sync.WaitGroup, live)

	t0 := time.Now()
	for i := 0; i < total; i++ {
		wg := &slots[i%live]
		if i >= live {
			wg.Wait()
		}
		wg.Add(1)
		go func() {
			atomic.AddInt64(&ran, 1)
			wg.Done()
		}()
	}
	for i := range slots {
		slots[i].Wait()
	}
	ns := time.Since(t0).Nanoseconds()

	if n := atomic.LoadInt64(&ran); n != int64(total) {
		fail("create_join: %d of %d goroutines ran", n, total)
	}
	result("create_join", "ns_per_op=%.1f ops=%d live=%d wall_ns=%d",
		float64(ns)/float64(total), total, live, ns)
}
