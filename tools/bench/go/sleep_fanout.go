//go:build ignore

// sleep_fanout.go - Go's figure for ../sleep_fanout.c: THREADS goroutines
// (default 10,000) started one after the other, each sleeping SLEEP_MS
// (default 10) with time.Sleep, then all waited for. Every goroutine must
// finish and every sleep last at least SLEEP_MS. A sampler goroutine reads
// "Threads:" of /proc/self/status every millisecond (peak kernel threads);
// peak RSS is VmHWM afterwards.
// Result: wall_ms, create_ms (the go statements), peak_threads, peak_rss_kb,
// peak_live.
// Usage: sleep_fanout [SLEEP_MS [THREADS]]

package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

func noteMax(max *int64, v int64) {
	for {
		m := atomic.LoadInt64(max)
		if v <= m || atomic.CompareAndSwapInt64(max, m, v) {
			return
		}
	}
}

func main() {
	sleepMs := argInt(1, 10)
	threads := argInt(2, 10000)
	want := time.Duration(sleepMs) * time.Millisecond
	var live, peakLive, finished, short, peakThreads int64
	var sampling int32 = 1

	sampled := make(chan struct{})
	go func() {
		for atomic.LoadInt32(&sampling) != 0 {
			n := statusField("Threads")
			if n < 0 {
				fail("sleep_fanout: cannot read Threads: from /proc/self/status")
			}
			noteMax(&peakThreads, n)
			time.Sleep(time.Millisecond)
		}
		close(sampled)
	}()

	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			noteMax(&peakLive, atomic.AddInt64(&live, 1))
			s := time.Now()
			time.Sleep(want)
			if time.Since(s) < want {
				atomic.AddInt64(&short, 1)
			}
			atomic.AddInt64(&live, -1)
			atomic.AddInt64(&finished, 1)
			wg.Done()
		}()
	}
	createdNs := time.Since(t0).Nanoseconds()
	wg.Wait()
	ns := time.Since(t0).Nanoseconds()

	atomic.StoreInt32(&sampling, 0)
	<-sampled
	rss := statusField("VmHWM")
	if finished != int64(threads) {
		fail("sleep_fanout: %d of %d goroutines finished", finished, threads)
	}
	if short != 0 {
		fail("sleep_fanout: %d sleeps of %d ms returned early", short, sleepMs)
	}
	if rss < 0 {
		fail("sleep_fanout: cannot read VmHWM: from /proc/self/status")
	}
	result(fmt.Sprintf("sleep_fanout_%dms", sleepMs),
		"wall_ms=%.1f create_ms=%.1f peak_threads=%d peak_rss_kb=%d peak_live=%d threads=%d",
		float64(ns)/1e6, float64(createdNs)/1e6, peakThreads, rss, peakLive, threads)
}
