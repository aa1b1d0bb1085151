//go:build ignore

// burst.go - Go's figure for ../burst.c: RSS before a burst of THREADS
// goroutines (default 30,000), at its peak (all alive, each blocked on a
// channel until all are) and after the program stayed idle IDLE_MS
// (default 2,000) in one sleep, the Go way (go statements, a WaitGroup,
// channels). Go frees dead goroutines' stacks at a garbage collection and
// returns memory to the kernel in the background (its scavenger): what it
// holds after the idle time is what this reports; nothing here forces a
// collection.
// Result: before_rss_kb, peak_rss_kb, peak_threads, after_rss_kb,
// after_ratio, threads, idle_ms.
// Usage: burst [THREADS [IDLE_MS]]

package main

import (
	"sync"
	"time"
)

func mustRead(field string) int64 {
	v := statusField(field)
	if v < 0 {
		fail("burst: cannot read %s: from /proc/self/status", field)
	}
	return v
}

func main() {
	threads := argInt(1, 30000)
	idleMs := argInt(2, 2000)
	var warm sync.WaitGroup
	for i := 0; i < 8; i++ {
		warm.Add(1)
		go func() { warm.Done() }()
	}
	warm.Wait()
	before := mustRead("VmRSS")

	var alive, done sync.WaitGroup
	release := make(chan struct{})
	results := make([]int, threads)
	for i := 0; i < threads; i++ {
		alive.Add(1)
		done.Add(1)
		go func(i int) {
			alive.Done()
			<-release
			results[i] = i
			done.Done()
		}(i)
	}
	alive.Wait()
	peak := mustRead("VmRSS")
	peakThreads := mustRead("Threads")
	close(release)
	done.Wait()
	for i, r := range results {
		if r != i {
			fail("burst: goroutine %d did not run", i)
		}
	}

	time.Sleep(time.Duration(idleMs) * time.Millisecond)
	after := mustRead("VmRSS")
	result("burst", "before_rss_kb=%d peak_rss_kb=%d peak_threads=%d after_rss_kb=%d "+
		"after_ratio=%.3f threads=%d idle_ms=%d", before, peak, peakThreads, after,
		float64(after)/float64(before), threads, idleMs)
}
