// pthread_cancel unwinds C++ frames as glibc does: destructors run, a
// catch (...) that rethrows sees the forced unwind, and pthread_join gives
// PTHREAD_CANCELED. The thread is canceled while it sleeps and while it
// waits on a condition variable (pthread's: libstdc++'s wait is noexcept,
// so a cancellation there ends the program, natively too). Under mnrt
// pthread_cancel did nothing: the join hung.
#include <pthread.h>
#include <unistd.h>

#include <cstdio>

static int destroyed, rethrown;

struct guard {
    ~guard() { destroyed++; }
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

struct unlock_on_exit {
    ~unlock_on_exit() { pthread_mutex_unlock(&mu); }
};

static void *sleeper(void *arg)
{
    bool use_cv = arg != nullptr;
    guard g;
    try {
        guard inner;
        if (use_cv) {
            pthread_mutex_lock(&mu);
            unlock_on_exit unlock;
            for (;;)
                pthread_cond_wait(&cv, &mu);
        }
        sleep(1000);
    } catch (...) {
        rethrown++;
        throw;
    }
    return nullptr;
}

int main()
{
    for (int use_cv = 0; use_cv < 2; use_cv++) {
        destroyed = rethrown = 0;
        pthread_t t;
        pthread_create(&t, nullptr, sleeper, use_cv ? &t : nullptr);
        usleep(30 * 1000);
        pthread_cancel(t);
        void *r;
        pthread_join(t, &r);
        std::printf("%s: canceled %s, destructors %d, catch (...) rethrew %d\n",
                    use_cv ? "pthread_cond_wait" : "sleep",
                    r == PTHREAD_CANCELED ? "yes" : "no", destroyed, rethrown);
    }
    return 0;
}
