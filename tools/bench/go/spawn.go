//go:build ignore

// spawn.go - Go's figure for ../spawn.c: os/exec starts /bin/true and
// waits for it (Go's runtime forks with CLONE_VFORK|CLONE_VM) SPAWNS times
// (default 200) while IDLE goroutines (default 0) wait on a channel.
// Result: us_per_op = wall time / SPAWNS.
// Usage: spawn [SPAWNS [IDLE]]

package main

import (
	"os/exec"
	"sync"
	"time"
)

func main() {
	spawns := argInt(1, 200)
	idle := argInt(2, 0)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < idle; i++ {
		wg.Add(1)
		go func() {
			<-stop
			wg.Done()
		}()
	}

	t0 := time.Now()
	for i := 0; i < spawns; i++ {
		if err := exec.Command("/bin/true").Run(); err != nil {
			fail("spawn: /bin/true: %v", err)
		}
	}
	ns := time.Since(t0).Nanoseconds()

	close(stop)
	wg.Wait()
	result("spawn", "us_per_op=%.1f ops=%d idle=%d wall_ns=%d",
		float64(ns)/1000/float64(spawns), spawns, idle, ns)
}
