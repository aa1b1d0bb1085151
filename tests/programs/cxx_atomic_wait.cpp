// 10,000 C++20 threads wait at once in std::atomic::wait, then in
// std::counting_semaphore::acquire, then in std::latch::wait. libstdc++
// waits with syscall(SYS_futex) directly, so under mnrt each waiter kept
// a kernel thread (sysmon handed the P of every blocked one to a new M);
// now they park: at most procs + 8 kernel threads while all wait. Last,
// two threads play ping-pong with wait and notify_one.
#include "check.h"

#include <atomic>
#include <latch>
#include <semaphore>
#include <thread>
#include <vector>

static constexpr int THREADS = 10000;

static std::atomic<int> arrived{0};

// Starts THREADS threads running body, waits until each has arrived at
// its wait, counts the kernel threads, lets them go with release, joins.
template <class Body, class Release>
static int all_waiting(Body body, Release release)
{
    arrived = 0;
    std::vector<std::thread> ts;
    ts.reserve(THREADS);
    for (int i = 0; i < THREADS; i++)
        ts.emplace_back(body);
    while (arrived.load() < THREADS)
        usleep(1000);
    int kthreads = kernel_threads();
    release();
    for (auto &t : ts)
        t.join();
    return kthreads;
}

static void check_count(const char *what, int kthreads)
{
    if (under_mnrt()) {
        int limit = mnrt_procs() + 8;
        fprintf(stderr, "%s: %d kernel threads (limit %d)\n", what, kthreads, limit);
        CHECK(kthreads <= limit, "%d kernel threads with %d threads in %s", kthreads, THREADS,
              what);
    }
    printf("%d threads waited in %s and all went on\n", THREADS, what);
}

// Under mnrt: its counters say the waits parked, none in the kernel, and
// so no wake went to the kernel either (libstdc++ notifies whenever a
// thread waits, also while it spins: each notify of a ping-pong was a
// system call).
static void check_accounting()
{
    auto get = reinterpret_cast<int (*)(mnrt_stats *)>(dlsym(RTLD_DEFAULT, "mnrt_get_stats"));
    if (!get)
        return;
    mnrt_stats st{};
    st.size = sizeof st;
    CHECK_EQ(get(&st), 0);
    fprintf(stderr, "futex waits parked %lld, in the kernel %lld; parks %lld\n",
            (long long)st.futex_parks, (long long)st.futex_kernel, (long long)st.parks);
    CHECK(st.futex_parks > 0 && st.parks > 0, "futex waits were not counted");
    CHECK_EQ(st.futex_kernel, 0);
    fprintf(stderr, "futex wakes made in the kernel %lld\n", (long long)st.futex_kernel_wakes);
    CHECK_EQ(st.futex_kernel_wakes, 0);
}

// Two threads hand a turn back and forth MOVES times with wait/notify_one.
static void ping_pong()
{
    constexpr long MOVES = 20000;
    std::atomic<int> turn{0};
    auto player = [&](int me) {
        for (long i = 0; i < MOVES; i++) {
            int t;
            while ((t = turn.load()) != me)
                turn.wait(t);
            turn.store(!me);
            turn.notify_one();
        }
    };
    std::thread a(player, 0), b(player, 1);
    a.join();
    b.join();
    printf("two threads handed a turn back and forth %ld times each\n", MOVES);
}

int main()
{
    std::atomic<int> flag{0};
    std::atomic<int> woke{0};
    int k = all_waiting(
        [&] {
            arrived++;
            flag.wait(0);
            woke++;
        },
        [&] {
            flag = 1;
            flag.notify_all();
        });
    CHECK_EQ(woke.load(), THREADS);
    check_count("std::atomic::wait", k);

    std::counting_semaphore<THREADS> sem{0};
    k = all_waiting(
        [&] {
            arrived++;
            sem.acquire();
        },
        [&] { sem.release(THREADS); });
    check_count("std::counting_semaphore::acquire", k);

    std::latch gate{1};
    k = all_waiting(
        [&] {
            arrived++;
            gate.wait();
        },
        [&] { gate.count_down(); });
    check_count("std::latch::wait", k);
    ping_pong();
    check_accounting();
    return 0;
}
