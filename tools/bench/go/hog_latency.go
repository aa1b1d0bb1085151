//go:build ignore

// hog_latency.go - Go's figure for ../hog_latency.c: HOGS goroutines
// (default 1) each run ITERS (default 1,000,000,000) xorshift steps
// without calls, or, with LOCK_EVERY, take a lock made of a sync.Mutex, a
// sync.Cond and an owner field every LOCK_EVERY steps and count under it,
// and, with SYSCALL_EVERY, write a byte to /dev/null every SYSCALL_EVERY
// steps, while another sleeps 1 ms with time.Sleep again and again until they are
// done, recording how much later than 1 ms each sleep ended. run-bench
// runs hog_latency under `taskset -c 0` (GOMAXPROCS 1): the sleeper waits
// for Go to preempt the hog.
// Result: lateness p50_us, p99_us, max_us, mean_us over `samples` sleeps.
// Usage: hog_latency [ITERS [HOGS [LOCK_EVERY [SYSCALL_EVERY]]]]

package main

import (
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// ownedLock is a lock of the program's own: a mutex, a condition variable
// and an owner field.
type ownedLock struct {
	mu    sync.Mutex
	freed *sync.Cond
	owner *uint64
	takes int
}

func (l *ownedLock) takeAndCount(me *uint64) {
	l.mu.Lock()
	for l.owner != nil {
		l.freed.Wait()
	}
	l.owner = me
	l.mu.Unlock()
	l.takes++
	l.mu.Lock()
	l.owner = nil
	l.freed.Signal()
	l.mu.Unlock()
}

func main() {
	iters := argInt(1, 1000000000)
	hogs := argInt(2, 1)
	lockEvery := argInt(3, 0)
	syscallEvery := argInt(4, 0)
	if hogs < 1 || lockEvery < 0 || syscallEvery < 0 {
		fail("usage: hog_latency [ITERS [HOGS [LOCK_EVERY [SYSCALL_EVERY]]]]")
	}
	devnull, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	if err != nil {
		fail("open /dev/null: %v", err)
	}
	var lock ownedLock
	lock.freed = sync.NewCond(&lock.mu)
	left := int32(hogs)
	hogOut := make([]uint64, hogs)
	var late []time.Duration
	var wg sync.WaitGroup
	wg.Add(1 + hogs)
	started := make(chan struct{})
	go func() {
		defer wg.Done()
		close(started)
		for atomic.LoadInt32(&left) != 0 {
			t0 := time.Now()
			time.Sleep(time.Millisecond)
			slept := time.Since(t0)
			if slept < time.Millisecond {
				fail("a 1 ms sleep lasted %v", slept)
			}
			late = append(late, slept-time.Millisecond)
		}
	}()
	<-started // the hogs start once the sleeper runs
	for h := 0; h < hogs; h++ {
		go func(out *uint64) {
			defer wg.Done()
			x := uint64(0x9e3779b97f4a7c15)
			for i := 0; i < iters; i++ {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				if lockEvery != 0 && i%lockEvery == 0 {
					lock.takeAndCount(out)
				}
				if syscallEvery != 0 && i%syscallEvery == 0 {
					if n, err := devnull.Write([]byte{'x'}); n != 1 {
						fail("write /dev/null: %v", err)
					}
				}
			}
			*out = x
			atomic.AddInt32(&left, -1)
		}(&hogOut[h])
	}
	wg.Wait()
	for h, out := range hogOut {
		if out == 0 {
			fail("hog %d computed 0", h)
		}
	}
	want := 0
	if lockEvery != 0 {
		want = hogs * ((iters + lockEvery - 1) / lockEvery)
	}
	if lock.takes != want {
		fail("the lock was taken %d times, not %d", lock.takes, want)
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
