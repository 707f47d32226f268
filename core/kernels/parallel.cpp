// A small pool of worker threads for parallel_for: the caller runs chunk 0, worker i runs chunk i, and the
// caller waits for all of them. One job at a time (a mutex serialises callers), so the pool has no queue.
#include "parallel.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace microtorch::kernels {

namespace {

thread_local bool t_inside = false;  // inside a parallel_for: nested calls run inline

class Pool {
 public:
  ~Pool() { resize(0); }

  // Keeps n - 1 workers (the caller is the n-th thread).
  void resize(int n) {
    std::lock_guard<std::mutex> job(job_mutex_);
    const size_t want = n > 1 ? static_cast<size_t>(n - 1) : 0;
    if (want == workers_.size()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    stop_ = false;
    const uint64_t now = generation_;  // new workers wait for the next job, not the stop just sent
    for (size_t i = 0; i < want; ++i) workers_.emplace_back([this, i, now] { work(i + 1, now); });
  }

  // Runs fn on chunks [begin + c * step, ...) for c in [0, chunks); chunk 0 on this thread.
  void run(int64_t begin, int64_t end, int64_t step, int chunks, const std::function<void(int64_t, int64_t)>& fn) {
    std::lock_guard<std::mutex> job(job_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      begin_ = begin;
      end_ = end;
      step_ = step;
      chunks_ = chunks;
      pending_ = chunks - 1;
      ++generation_;
    }
    wake_.notify_all();
    t_inside = true;
    fn(begin, std::min(end, begin + step));
    t_inside = false;
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  void work(size_t chunk, uint64_t seen) {
    t_inside = true;
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (stop_) return;
      if (static_cast<int>(chunk) >= chunks_) continue;  // this job has fewer chunks than workers
      const auto* fn = fn_;
      const int64_t b = begin_ + static_cast<int64_t>(chunk) * step_;
      const int64_t e = static_cast<int>(chunk) + 1 == chunks_ ? end_ : std::min(end_, b + step_);
      lock.unlock();
      (*fn)(b, e);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex job_mutex_;  // one job (or resize) at a time
  std::mutex mutex_;      // guards the job's fields below
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t begin_ = 0, end_ = 0, step_ = 0;
  int chunks_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

// The pool and its size: the thread count named in the style guide's globals. Created on first use and
// never destroyed, so a kernel running during static destruction still finds it. A forked child has none
// of the parent's worker threads (and maybe a locked mutex): it starts a fresh pool, leaving the copy.
Pool* g_pool = nullptr;
std::once_flag g_pool_once;
void fresh_pool_in_child() { g_pool = new Pool; }
Pool& pool() {
  std::call_once(g_pool_once, [] {
    g_pool = new Pool;
    pthread_atfork(nullptr, nullptr, fresh_pool_in_child);
  });
  return *g_pool;
}
std::atomic<int> g_threads{0};  // 0: not set yet (then default_threads(), as at::get_num_threads)

}  // namespace

// OMP_NUM_THREADS when set (as libtorch's default), else the hardware's thread count.
static int default_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return n;
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int num_threads() {
  if (g_threads.load() == 0) g_threads = default_threads();
  return g_threads.load();
}

void set_num_threads(int n) {
  g_threads = n;
  pool().resize(n);
}

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  const int64_t n = end - begin;
  grain = std::max<int64_t>(grain, 1);
  const int64_t grains = (n + grain - 1) / grain;
  const int threads = num_threads();
  if (threads == 1 || grains == 1 || t_inside) {
    fn(begin, end);
    return;
  }
  const int64_t chunks = std::min<int64_t>(threads, grains);
  const int64_t step = (grains + chunks - 1) / chunks * grain;  // whole grains per chunk
  const int used = static_cast<int>((n + step - 1) / step);      // rounding may leave the last chunk empty
  if (used == 1) {
    fn(begin, end);
    return;
  }
  pool().resize(threads);
  pool().run(begin, end, step, used, fn);
}

}  // namespace microtorch::kernels
