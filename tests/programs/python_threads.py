"""Debian's CPython (/usr/bin/python3) on mnrt: an unmodified interpreter
whose GIL, locks, semaphores and condition variables are built on pthread
mutexes, condvars with CLOCK_MONOTONIC and sem_clockwait. The script uses
threading.Thread, Lock, RLock, Condition, Semaphore, BoundedSemaphore,
Event, Barrier, local, Timer, queue.Queue and
concurrent.futures.ThreadPoolExecutor, including their timeouts, and
prints only results that must be the same natively and under mnrt.
Python's threading servers are among the programs docs/design.md §17 measures."""
import concurrent.futures
import queue
import sys
import threading
import time

SHORT = 0.03
N = 16


def check(cond, what):
    if not cond:
        sys.stderr.write("check failed: %s\n" % what)
        sys.exit(1)


def threads_and_locks():
    lock = threading.Lock()
    total = [0]

    def add(n):
        for _ in range(n):
            with lock:
                v = total[0]
                if v % 97 == 0:
                    time.sleep(0)  # let another thread in while held
                total[0] = v + 1

    ts = [threading.Thread(target=add, args=(2000,)) for _ in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(total[0] == N * 2000, "lock counter %d" % total[0])

    # a held lock times out for another thread
    lock.acquire()
    got = []
    t = threading.Thread(target=lambda: got.append(lock.acquire(timeout=SHORT)))
    t.start()
    t.join()
    lock.release()
    check(got == [False], "Lock.acquire(timeout) on a held lock: %r" % got)
    check(lock.acquire(blocking=False), "free lock")
    lock.release()

    rlock = threading.RLock()
    with rlock:
        with rlock:
            other = []
            t = threading.Thread(target=lambda: other.append(rlock.acquire(timeout=SHORT)))
            t.start()
            t.join()
    check(other == [False], "RLock held by another thread: %r" % other)
    print("Thread, Lock, RLock: %d threads counted to %d; timeouts on held locks" % (N, total[0]))


def condition_and_event():
    cond = threading.Condition()
    items = []
    consumed = []

    def consumer():
        for _ in range(100):
            with cond:
                while not items:
                    cond.wait()
                consumed.append(items.pop(0))

    c = threading.Thread(target=consumer)
    c.start()
    for i in range(100):
        with cond:
            items.append(i)
            cond.notify()
        if i % 10 == 0:
            time.sleep(0.001)
    c.join()
    check(consumed == list(range(100)), "condition consumer got %r" % consumed[:10])
    with cond:
        check(cond.wait(SHORT) is False, "Condition.wait timeout")
        check(cond.wait_for(lambda: False, SHORT) is False, "Condition.wait_for timeout")

    ev = threading.Event()
    check(ev.wait(SHORT) is False, "Event.wait timeout")
    woke = []
    ws = [threading.Thread(target=lambda: woke.append(ev.wait(60))) for _ in range(N)]
    for w in ws:
        w.start()
    ev.set()
    for w in ws:
        w.join()
    check(woke == [True] * N, "Event woke %r" % woke)
    print("Condition: 100 items in order; Event: woke %d waiters; timeouts return False" % N)


def semaphores_barrier_local():
    sem = threading.Semaphore(3)
    inside = [0]
    peak = [0]
    mu = threading.Lock()

    def limited():
        for _ in range(50):
            with sem:
                with mu:
                    inside[0] += 1
                    peak[0] = max(peak[0], inside[0])
                time.sleep(0.0001)
                with mu:
                    inside[0] -= 1

    ts = [threading.Thread(target=limited) for _ in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(1 <= peak[0] <= 3, "semaphore admitted %d at once" % peak[0])
    for _ in range(3):
        sem.acquire()
    check(sem.acquire(timeout=SHORT) is False, "Semaphore.acquire timeout")
    bs = threading.BoundedSemaphore(1)
    bs.acquire()
    bs.release()
    try:
        bs.release()
        check(False, "BoundedSemaphore over-release")
    except ValueError:
        pass

    barrier = threading.Barrier(N)
    serial = []
    local = threading.local()

    def phase(i):
        local.value = i
        for r in range(20):
            if barrier.wait() == 0:
                serial.append(r)
            check(local.value == i, "threading.local changed")

    ts = [threading.Thread(target=phase, args=(i,)) for i in range(N)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(sorted(serial) == list(range(20)), "one barrier index 0 per round: %r" % serial)
    print("Semaphore at most 3 inside; BoundedSemaphore ValueError; Barrier 20 rounds; local")


def queues_pools_timers():
    q = queue.Queue(maxsize=8)
    out = queue.Queue()

    def producer(p):
        for i in range(500):
            q.put(p * 500 + i)

    def consumer():
        while True:
            v = q.get()
            if v is None:
                q.task_done()
                return
            out.put(v)
            q.task_done()

    ps = [threading.Thread(target=producer, args=(p,)) for p in range(4)]
    cs = [threading.Thread(target=consumer) for _ in range(4)]
    for t in ps + cs:
        t.start()
    for t in ps:
        t.join()
    q.join()
    for _ in cs:
        q.put(None)
    for t in cs:
        t.join()
    got = sorted(out.get() for _ in range(out.qsize()))
    check(got == list(range(2000)), "queue lost items")
    try:
        q.get(timeout=SHORT)
        check(False, "get from an empty queue")
    except queue.Empty:
        pass

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        squares = list(ex.map(lambda x: x * x, range(1000)))
        fut = ex.submit(lambda: 1 / 0)
        try:
            fut.result()
            check(False, "exception through a future")
        except ZeroDivisionError:
            pass
    check(squares == [x * x for x in range(1000)], "pool map")

    fired = threading.Event()
    order = []
    t1 = threading.Timer(0.02, lambda: (order.append("timer"), fired.set()))
    t2 = threading.Timer(60, lambda: order.append("cancelled timer"))
    t1.start()
    t2.start()
    t2.cancel()
    check(fired.wait(60), "Timer fired")
    t1.join()
    t2.join()
    check(order == ["timer"], "timers %r" % order)
    print("Queue: 2000 items through 8 slots; ThreadPoolExecutor: sum of squares %d and an "
          "exception; Timer fired, cancelled Timer did not" % sum(squares))


def main():
    threads_and_locks()
    condition_and_event()
    semaphores_barrier_local()
    queues_pools_timers()
    check(threading.active_count() == 1, "threads left: %d" % threading.active_count())
    print("all threads finished")


main()
