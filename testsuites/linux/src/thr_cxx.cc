// C++ threads: std::thread, std::mutex, std::condition_variable, std::atomic, and exceptions
// thrown and caught inside threads (unwinding on each thread's own stack) and carried to
// the main thread with std::exception_ptr.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static std::atomic<long> counter{0};
static std::mutex m;
static std::condition_variable cv;
static int ready = 0;

static int deep(int n, int id) {
    if (n == 0)
        throw std::runtime_error("thread " + std::to_string(id));
    return deep(n - 1, id) + 1;
}

int main() {
    const int n = 6;
    std::vector<std::thread> ts;
    std::vector<std::exception_ptr> errs(n);
    std::vector<int> caught(n, 0);
    for (int i = 0; i < n; i++) {
        ts.emplace_back([i, &errs, &caught] {
            {
                std::unique_lock<std::mutex> l(m);
                ready++;
                cv.notify_all();
                cv.wait(l, [] { return ready == n; });
            }
            for (int k = 0; k < 200; k++) {
                try {
                    deep(10 + k % 7, i);
                } catch (const std::runtime_error &e) {
                    if (std::string(e.what()) == "thread " + std::to_string(i))
                        caught[i]++;
                }
                counter.fetch_add(1);
            }
            try {
                throw std::logic_error("carried from " + std::to_string(i));
            } catch (...) {
                errs[i] = std::current_exception();
            }
        });
    }
    for (auto &t : ts)
        t.join();
    for (int i = 0; i < n; i++) {
        try {
            std::rethrow_exception(errs[i]);
        } catch (const std::logic_error &e) {
            std::printf("%s, caught %d\n", e.what(), caught[i]);
        }
    }
    std::printf("counter %ld\n", counter.load());
    return 0;
}
