/* C++ on mnrt: thread_local objects are constructed on first use and
 * destroyed at thread exit, in the exiting thread, in reverse order of
 * construction and before the pthread key destructors (glibc's order);
 * exceptions are thrown and caught across yields, sleeps and lock waits in
 * many threads at once, each thread keeping its own in-flight exceptions
 * (std::uncaught_exceptions, std::current_exception) while others throw on
 * the same kernel thread; pthread_exit from deep inside nested frames
 * unwinds them like glibc does (RAII destructors run, catch (...) and
 * abi::__forced_unwind handlers see it and rethrow); and the standard
 * library's std::thread, std::mutex, std::timed_mutex,
 * std::recursive_mutex, std::shared_mutex, std::condition_variable (waits
 * on both clocks), std::call_once and std::async work on top. All of this
 * lives in per-thread state (TLS, the exception globals, the unwinder's
 * view of the stack) that mnrt gives every G (docs/design.md §10). */
#include "check.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cxxabi.h>
#include <future>
#include <mutex>
#include <pthread.h>
#include <sched.h>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

static const int THREADS = 64;
static const int ROUNDS = 200;
static const int DEPTH = 30;

/* --- thread_local objects with destructors --- */

struct Record {
    std::atomic<int> constructed{0}, destroyed{0};
    std::atomic<int> order_ok{0};       /* second destroyed before first */
    std::atomic<int> before_key_dtor{0};
};

static Record records[THREADS];
static std::atomic<int> wrong_thread{0};
static thread_local int my_index = -1;

struct First {
    pthread_t owner = pthread_self();
    std::string text = "a thread_local string long enough to live on the heap";
    bool destroyed = false;
    First() { records[my_index].constructed++; }
    ~First()
    {
        if (!pthread_equal(owner, pthread_self()))
            wrong_thread++;
        destroyed = true;
        records[my_index].destroyed++;
    }
};

static thread_local First first;

struct Second {
    std::vector<int> data;
    Second() { records[my_index].constructed++; }
    ~Second()
    {
        /* constructed after `first`, so destroyed before it */
        if (!first.destroyed)
            records[my_index].order_ok++;
        records[my_index].destroyed++;
    }
};

static thread_local Second second;
static pthread_key_t key;

static void key_dtor(void *v)
{
    auto *rec = static_cast<Record *>(v);
    if (rec->destroyed.load() == rec->constructed.load())
        rec->before_key_dtor++;
}

static void *tl_worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    my_index = i;
    pthread_setspecific(key, &records[i]);
    if (i % 4 == 3)
        return nullptr; /* never touches them: nothing to construct or destroy */
    first.text += std::to_string(i);
    for (int r = 0; r < 20; r++) {
        second.data.push_back(r);
        if (r % 3 == 0)
            sched_yield();
        else if (r % 3 == 1)
            std::this_thread::sleep_for(100us);
    }
    CHECK(first.text.size() > 50 && second.data.size() == 20, "thread_local state lost");
    if (i % 4 == 2)
        pthread_exit(nullptr); /* destructors run on pthread_exit too */
    return nullptr;
}

static void thread_locals()
{
    CHECK_ERR(pthread_key_create(&key, key_dtor), 0);
    pthread_t t[THREADS];
    spawn(t, THREADS, tl_worker);
    join_all(t, THREADS);
    int objects = 0;
    for (int i = 0; i < THREADS; i++) {
        int want = i % 4 == 3 ? 0 : 2;
        CHECK(records[i].constructed == want && records[i].destroyed == want,
              "thread %d: %d constructed, %d destroyed", i, records[i].constructed.load(),
              records[i].destroyed.load());
        CHECK_EQ(records[i].order_ok.load(), want / 2);
        CHECK_EQ(records[i].before_key_dtor.load(), 1);
        objects += want;
    }
    CHECK_EQ(wrong_thread.load(), 0);
    CHECK_ERR(pthread_key_delete(key), 0);
    printf("thread_local: %d objects constructed on first use and destroyed at exit, in "
           "their thread, in reverse order, before key destructors\n", objects);
}

/* --- exceptions across yields --- */

struct Failure : std::runtime_error {
    int id, round;
    Failure(int i, int r) : std::runtime_error("failure " + std::to_string(i)), id(i), round(r) {}
};

static std::mutex ex_mu;
static std::atomic<long> guards_destroyed{0}, bad_uncaught{0};

struct Guard {
    int pause;
    ~Guard()
    {
        /* runs during unwinding: this thread has one exception in flight,
         * also after other threads threw on this kernel thread meanwhile */
        if (std::uncaught_exceptions() != 1)
            bad_uncaught++;
        if (pause % 2)
            sched_yield();
        if (std::uncaught_exceptions() != 1)
            bad_uncaught++;
        guards_destroyed++;
    }
};

static void throw_after_pause(int id, int r)
{
    Guard g1{r};
    switch (r % 3) {
    case 0: sched_yield(); break;
    case 1: std::this_thread::sleep_for(50us); break;
    case 2: {
        std::lock_guard<std::mutex> lock(ex_mu);
        sched_yield();
        break;
    }
    }
    Guard g2{r + 1};
    throw Failure(id, r);
}

static void *ex_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    long caught = 0;
    for (int r = 0; r < ROUNDS; r++) {
        try {
            throw_after_pause(id, r);
        } catch (const Failure &e) {
            CHECK(e.id == id && e.round == r, "caught %d/%d in %d/%d", e.id, e.round, id, r);
            std::exception_ptr held = std::current_exception();
            sched_yield(); /* others throw and catch meanwhile */
            try {
                throw; /* rethrow the exception being handled: still ours */
            } catch (const Failure &again) {
                CHECK(again.id == id && again.round == r, "rethrown %d/%d", again.id,
                      again.round);
                CHECK(std::current_exception() == held, "current_exception changed");
            }
            caught++;
        }
        CHECK_EQ(std::uncaught_exceptions(), 0);
    }
    return (void *)caught;
}

static void exceptions()
{
    pthread_t t[THREADS];
    spawn(t, THREADS, ex_worker);
    long caught = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        CHECK_ERR(pthread_join(t[i], &r), 0);
        caught += (long)r;
    }
    CHECK_EQ(caught, (long)THREADS * ROUNDS);
    CHECK_EQ(guards_destroyed.load(), 2L * THREADS * ROUNDS);
    CHECK_EQ(bad_uncaught.load(), 0);
    printf("exceptions: %ld thrown and caught across yields and sleeps in %d threads, "
           "%ld guards destroyed while unwinding\n", caught, THREADS, guards_destroyed.load());
}

/* --- pthread_exit from deep frames --- */

static std::atomic<int> frames_destroyed{0}, forced_seen{0}, catch_all_seen{0};
static int exit_at_bottom = 1; /* a variable, so that the compiler sees a way back up */

struct Frame {
    ~Frame() { frames_destroyed++; }
};

static int dive(int level)
{
    Frame f;
    if (level == DEPTH / 2) {
        try {
            return dive(level + 1) + 1;
        } catch (abi::__forced_unwind &) {
            forced_seen++;
            throw; /* must be rethrown */
        }
    }
    if (level == DEPTH / 3) {
        try {
            return dive(level + 1) + 1;
        } catch (...) {
            catch_all_seen++;
            throw;
        }
    }
    if (level == DEPTH - 1) {
        if (exit_at_bottom)
            pthread_exit((void *)(intptr_t)(500 + level));
        return 0;
    }
    return dive(level + 1) + 1;
}

static void *exit_worker(void *)
{
    my_index = 0;
    first.text = "touched"; /* constructs both thread_locals: destructors must run */
    dive(0);
    return nullptr;
}

static void exit_from_deep_frames()
{
    records[0].constructed = records[0].destroyed = 0;
    pthread_t t;
    void *r;
    CHECK_ERR(pthread_create(&t, nullptr, exit_worker, nullptr), 0);
    CHECK_ERR(pthread_join(t, &r), 0);
    CHECK_EQ((intptr_t)r, 500 + DEPTH - 1);
    CHECK_EQ(frames_destroyed.load(), DEPTH);
    CHECK_EQ(forced_seen.load(), 1);
    CHECK_EQ(catch_all_seen.load(), 1);
    CHECK(records[0].constructed == 2 && records[0].destroyed == 2,
          "thread_locals: %d constructed, %d destroyed", records[0].constructed.load(),
          records[0].destroyed.load());
    printf("pthread_exit %d frames deep: value %ld, %d frames destroyed, seen by "
           "catch(...) and catch(abi::__forced_unwind&)\n", DEPTH, (long)(intptr_t)r,
           frames_destroyed.load());
}

/* --- the standard library's threads --- */

static void std_library()
{
    /* bounded queue: std::mutex + two condition variables */
    std::mutex mu;
    std::condition_variable not_empty, not_full;
    std::vector<int> queue;
    const int producers = 4, items = 5000, cap = 8;
    long sum = 0, count = 0;
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; p++)
        threads.emplace_back([&, p] {
            for (int i = 0; i < items; i++) {
                std::unique_lock<std::mutex> lock(mu);
                not_full.wait(lock, [&] { return (int)queue.size() < cap; });
                queue.push_back(p * items + i);
                not_empty.notify_one();
            }
        });
    std::thread consumer([&] {
        for (int i = 0; i < producers * items; i++) {
            std::unique_lock<std::mutex> lock(mu);
            while (queue.empty())
                not_empty.wait_for(lock, 10s);
            sum += queue.back();
            queue.pop_back();
            count++;
            not_full.notify_all();
        }
    });
    for (auto &t : threads)
        t.join();
    consumer.join();
    long n = (long)producers * items;
    CHECK_EQ(count, n);
    CHECK_EQ(sum, n * (n - 1) / 2);

    /* timeouts on both clocks */
    {
        std::unique_lock<std::mutex> lock(mu);
        auto steady_dl = std::chrono::steady_clock::now() + 30ms;
        CHECK(not_empty.wait_until(lock, steady_dl) == std::cv_status::timeout, "steady");
        CHECK(std::chrono::steady_clock::now() >= steady_dl, "steady wait returned early");
        auto system_dl = std::chrono::system_clock::now() + 30ms;
        CHECK(not_empty.wait_until(lock, system_dl) == std::cv_status::timeout, "system");
        CHECK(std::chrono::system_clock::now() >= system_dl, "system wait returned early");
        CHECK(!not_empty.wait_for(lock, 20ms, [] { return false; }), "wait_for predicate");
    }

    /* timed and recursive mutexes */
    std::timed_mutex tm;
    std::recursive_mutex rm;
    tm.lock();
    rm.lock();
    rm.lock();
    bool timed_out = false, rm_busy = false;
    std::thread([&] {
        timed_out = !tm.try_lock_for(30ms);
        rm_busy = !rm.try_lock();
    }).join();
    CHECK(timed_out && rm_busy, "try_lock_for %d, recursive try_lock %d", timed_out, rm_busy);
    rm.unlock();
    rm.unlock();
    tm.unlock();

    /* shared_mutex: readers together, writers alone */
    std::shared_mutex sm;
    long a = 0, b = 0;
    std::atomic<long> reads{0};
    std::vector<std::thread> rw;
    for (int i = 0; i < 8; i++)
        rw.emplace_back([&, i] {
            for (int r = 0; r < 2000; r++) {
                if (i < 2) {
                    std::unique_lock<std::shared_mutex> w(sm);
                    a++;
                    if (r % 32 == 0)
                        std::this_thread::yield();
                    b++;
                } else {
                    std::shared_lock<std::shared_mutex> rd(sm);
                    CHECK(a == b, "torn read %ld %ld", a, b);
                    reads++;
                }
            }
        });
    for (auto &t : rw)
        t.join();
    CHECK(a == 4000 && b == 4000 && reads == 12000, "shared_mutex %ld %ld %ld", a, b,
          reads.load());

    /* call_once, and std::async carrying a value and an exception across */
    std::once_flag once;
    std::atomic<int> once_runs{0};
    std::vector<std::thread> callers;
    for (int i = 0; i < 16; i++)
        callers.emplace_back([&] {
            std::call_once(once, [&] {
                std::this_thread::sleep_for(5ms);
                once_runs++;
            });
            CHECK_EQ(once_runs.load(), 1);
        });
    for (auto &t : callers)
        t.join();
    auto value = std::async(std::launch::async, [] { return 6 * 7; });
    auto failure = std::async(std::launch::async, []() -> int { throw Failure(1, 2); });
    CHECK_EQ(value.get(), 42);
    int failure_round = -1;
    try {
        failure.get();
    } catch (const Failure &e) {
        failure_round = e.round;
    }
    CHECK_EQ(failure_round, 2);
    printf("std::thread: queue of %ld items summing to %ld; cv timeouts on both clocks; "
           "timed/recursive/shared mutexes; call_once; async value 42 and exception\n",
           count, sum);
}

int main()
{
    thread_locals();
    exceptions();
    exit_from_deep_frames();
    std_library();
    return 0;
}
