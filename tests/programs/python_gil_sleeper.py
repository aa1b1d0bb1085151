"""Debian's CPython at one P (the runner sets MNRT_PROCS=1): two threads
take a threading.Lock and notify a threading.Condition in a loop,
computing between takes, while the main thread sleeps 1 ms 50 times.
Each of main's wake-ups must take the GIL back from a worker: it waits
for it with a 5 ms timeout and then asks the holder to let go, and the
holder lets go at its next bytecode boundary. While a preempted thread
yielded at its next unlock or signal (core/runtime.h,
mn_check_preempt_at_release), the workers handed the GIL to each other
and main never got it: 5 of 6 runs were still asleep after 20 s (natively
about 1 s). Prints only what must be the same natively and under mnrt."""
import threading
import time

SLEEPS = 50
lock = threading.Lock()
cond = threading.Condition(threading.Lock())
stop = False
taken = [0, 0]


def worker(k):
    while not stop:
        with lock:
            taken[k] += 1
        with cond:
            cond.notify()
        s = 0
        for i in range(2000):
            s += i * i


threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
for t in threads:
    t.start()
for _ in range(SLEEPS):
    time.sleep(0.001)
stop = True
for t in threads:
    t.join()
print(f"{SLEEPS} sleeps of the main thread ended; "
      f"both workers took the lock: {taken[0] > 0 and taken[1] > 0}")
