//go:build ignore

// hog_latency.go - Go's figure for ../hog_latency.c: a goroutine runs ITERS
// (default 1,000,000,000) xorshift steps without calls while another sleeps
// 1 ms with time.Sleep again and again until it is done, recording how much
// later than 1 ms each sleep ended. run-bench runs it under `taskset -c 0`
// (GOMAXPROCS 1): the sleeper waits for Go to preempt the hog.
// Result: lateness p50_us, p99_us, max_us, mean_us over `samples` sleeps.
// Usage: hog_latency [ITERS]

package main

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	iters := argInt(1, 1000000000)
	var done int32
	var hogOut uint64
	var late []time.Duration
	var wg sync.WaitGroup
	wg.Add(2)
	started := make(chan struct{})
	go func() {
		defer wg.Done()
		close(started)
		for atomic.LoadInt32(&done) == 0 {
			t0 := time.Now()
			time.Sleep(time.Millisecond)
			slept := time.Since(t0)
			if slept < time.Millisecond {
				fail("a 1 ms sleep lasted %v", slept)
			}
			late = append(late, slept-time.Millisecond)
		}
	}()
	<-started // the hog starts once the sleeper runs
	go func() {
		defer wg.Done()
		x := uint64(0x9e3779b97f4a7c15)
		for i := 0; i < iters; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		hogOut = x
		atomic.StoreInt32(&done, 1)
	}()
	wg.Wait()
	if hogOut == 0 {
		fail("the hog computed 0")
	}
	if len(late) == 0 {
		fail("no sleep ended while the hog ran")
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	var sum time.Duration
	for _, l := range late {
		sum += l
	}
	n := len(late)
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	result("hog_latency", "p50_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f samples=%d",
		us(late[n/2]), us(late[n*99/100]), us(late[n-1]), us(sum)/float64(n), n)
}
