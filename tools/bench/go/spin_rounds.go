//go:build ignore

// spin_rounds.go - Go's figure for ../spin_rounds.c: a coordinator hands
// each of WORKERS goroutines a task (a counter set to 1), does one of its
// own and spins until every worker cleared its counter; a worker spins
// waiting for a task, and after SPINS empty spins locks and unlocks a
// mutex and spins again. A task is a dozen 1-byte writes to /dev/null,
// each after a little arithmetic. No goroutine ever blocks: a round ends
// only when every worker got a CPU since it began.
// Result: us_per_round, the mean time of a round, over ROUNDS rounds (default 2,000; 3 workers; a
// million spins).
// Usage: spin_rounds [ROUNDS [WORKERS [SPINS]]]

package main

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const requests = 12

var sink uint64

func serve(f *os.File, served *int) {
	x := uint64(0x9e3779b97f4a7c15)
	for r := 0; r < requests; r++ {
		for i := 0; i < 200; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		if n, err := f.Write([]byte{'x'}); n != 1 {
			fail("write /dev/null: %v", err)
		}
	}
	atomic.AddUint64(&sink, x)
	*served++
}

type worker struct {
	task   int64
	served int
	_      [48]byte
}

func main() {
	rounds := argInt(1, 2000)
	nworkers := argInt(2, 3)
	spins := argInt(3, 1000000)
	f, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	if err != nil {
		fail("open /dev/null: %v", err)
	}
	var stopMu sync.Mutex
	var done int32
	workers := make([]worker, nworkers)
	var wg sync.WaitGroup
	wg.Add(nworkers)
	for i := range workers {
		go func(w *worker) {
			defer wg.Done()
			for atomic.LoadInt32(&done) == 0 {
				j := 0
				for j < spins && atomic.LoadInt64(&w.task) == 0 {
					j++
				}
				if atomic.LoadInt64(&w.task) == 0 {
					stopMu.Lock()
					stopMu.Unlock()
					continue
				}
				serve(f, &w.served)
				atomic.StoreInt64(&w.task, 0)
			}
		}(&workers[i])
	}
	own := 0
	t0 := time.Now()
	for r := 0; r < rounds; r++ {
		for i := range workers {
			atomic.StoreInt64(&workers[i].task, 1)
		}
		serve(f, &own)
		for i := range workers {
			for atomic.LoadInt64(&workers[i].task) != 0 {
			}
		}
	}
	elapsed := time.Since(t0)
	atomic.StoreInt32(&done, 1)
	wg.Wait()
	for i := range workers {
		if workers[i].served != rounds {
			fail("worker %d served %d tasks, not %d", i, workers[i].served, rounds)
		}
	}
	result("spin_rounds", "us_per_round=%.1f rounds=%d workers=%d",
		float64(elapsed.Microseconds())/float64(rounds), rounds, nworkers)
}
