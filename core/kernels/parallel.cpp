// A small pool of worker threads for parallel_for. Plain path it speeds up: fn(begin, end) on the caller.
// The caller runs chunk 0; the other chunks go to whichever thread claims them first (a worker, or the
// caller once its own chunk is done), and the caller waits until every chunk is done. Which thread runs a
// chunk never changes the floats: the chunks themselves are fixed by parallel_for. One job at a time (a
// mutex serialises callers), so the pool has no queue.
//
// Why it polls: a 1M-float op takes tens to hundreds of microseconds, and a condition variable's sleep and
// wake (a futex, an inter-processor interrupt) cost tens of microseconds on a VM, about what two threads save. So a job
// is published with one atomic store, workers and the waiting caller poll atomics for a while (kSpin,
// yielding between bursts), and only then sleep on a condition variable; the sleeping side is told with
// an atomic flag, so a job that finds nobody asleep makes no system call. Why the caller claims chunks
// too: on a loaded machine a worker may not get a core for milliseconds; its chunk then runs on the
// caller instead of being waited for.
#include "parallel.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "thread_binding.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() {}
#endif

namespace microtorch::kernels {

namespace {

thread_local bool t_inside = false;  // inside a parallel_for: nested calls run inline

// How long an idle thread polls before it sleeps: long enough to cover the gap between two ops of a
// forward or backward pass, short enough that an idle pool gives its cores back almost at once.
constexpr auto kSpin = std::chrono::microseconds(100);

// Polls until ready() or kSpin has passed; true if ready. Between bursts of 64 polls it yields: on a
// loaded machine our caller and worker may share one core, and a pure spin there steals the time the
// other needs to finish.
template <class Ready>
bool spin_until(const Ready& ready) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= until) return ready();
    std::this_thread::yield();
  }
}

// The job word: the job's sequence number, its chunk count and the next unclaimed chunk, in one atomic, so
// a thread claims a chunk of the job it saw or learns that job is over, in one compare-and-swap.
constexpr uint64_t seq_of(uint64_t w) { return w >> 16; }
constexpr int chunks_of(uint64_t w) { return static_cast<int>((w >> 8) & 255); }
constexpr int next_of(uint64_t w) { return static_cast<int>(w & 255); }
constexpr uint64_t job_word(uint64_t seq, int chunks, int next) {
  return seq << 16 | static_cast<uint64_t>(chunks) << 8 | static_cast<uint64_t>(next);
}

class Pool {
 public:
  ~Pool() { resize(0); }

  // Keeps n - 1 workers (the caller is the n-th thread). When a thread cannot be started (a process limit)
  // the workers started so far are stopped and std::system_error is thrown: the pool is then empty, a
  // consistent state that the next resize builds on.
  void resize(int n) {
    std::lock_guard<std::mutex> job(job_mutex_);
    const size_t want = n > 1 ? static_cast<size_t>(n - 1) : 0;
    if (want == workers_.size()) return;
    stop_workers();
    try {
      start_workers(want);
    } catch (...) {
      stop_workers();
      throw;
    }
  }

 private:
  void stop_workers() {
    stop_ = true;
    publish(0);
    for (auto& w : workers_) w.join();
    workers_.clear();
    stop_ = false;
  }

  void start_workers(size_t want) {
    const uint64_t seen = seq_of(word_.load());  // new workers wait for the next job, not the stop just sent
    const bool bind = want > 0 && thread_binding_requested();
    const int first = bind ? current_cpu() : 0;
    if (bind) (void)bind_this_thread(first, 0);  // the caller, then worker i on the (i + 1)-th CPU after it
    workers_.reserve(want);  // so only a thread's start can throw, never the vector's growth
    for (size_t i = 0; i < want; ++i)
      workers_.emplace_back([this, seen, bind, first, i] {
        if (bind) (void)bind_this_thread(first, static_cast<int>(i) + 1);  // refused: unpinned
        work(seen);
      });
  }

 public:
  // Runs fn on chunks [begin + c * step, ...) for c in [0, chunks) (chunks <= 255); chunk 0 on this thread.
  void run(int64_t begin, int64_t end, int64_t step, int chunks, const RangeFn& fn) {
    std::lock_guard<std::mutex> job(job_mutex_);
    fn_ = &fn;  // read only by a thread holding a claim on this job, which the caller waits for
    begin_ = begin;
    end_ = end;
    step_ = step;
    done_.store(0);
    const uint64_t seq = publish(chunks);
    t_inside = true;
    run_chunk(0, chunks);
    done_.fetch_add(1);
    for (int c; (c = claim(seq)) >= 0;) {
      run_chunk(c, chunks);
      done_.fetch_add(1);
    }
    t_inside = false;
    if (!spin_until([&] { return done_.load(std::memory_order_acquire) == chunks; })) {
      std::unique_lock<std::mutex> lock(sleep_mutex_);
      caller_asleep_.store(true);
      all_done_.wait(lock, [&] { return done_.load() == chunks; });
      caller_asleep_.store(false);
    }
  }

 private:
  // Hands out job seq + 1 (chunk 0 taken by the caller) and wakes the workers that sleep; returns its seq.
  // seq_cst on both sides: either a worker's `asleep_` increment is seen here, or that worker's re-check
  // under the mutex sees the new job.
  uint64_t publish(int chunks) {
    const uint64_t seq = seq_of(word_.load()) + 1;
    word_.store(job_word(seq, chunks, 1));
    if (asleep_.load() > 0) {
      { std::lock_guard<std::mutex> lock(sleep_mutex_); }  // a worker between its check and its wait is in wait now
      wake_.notify_all();
    }
    return seq;
  }

  // The next chunk of job seq, or -1 when all are claimed or the job is over.
  int claim(uint64_t seq) {
    uint64_t w = word_.load(std::memory_order_acquire);
    while (seq_of(w) == seq && next_of(w) < chunks_of(w))
      if (word_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel)) return next_of(w);
    return -1;
  }

  void run_chunk(int c, int chunks) {
    const int64_t b = begin_ + c * step_;
    const int64_t e = c + 1 == chunks ? end_ : std::min(end_, b + step_);
    (*fn_)(b, e);
  }

  void work(uint64_t seen) {
    t_inside = true;
    for (;;) {
      auto moved = [&] { return seq_of(word_.load(std::memory_order_acquire)) != seen; };
      if (!spin_until(moved)) {
        std::unique_lock<std::mutex> lock(sleep_mutex_);
        asleep_.fetch_add(1);
        wake_.wait(lock, moved);
        asleep_.fetch_sub(1);
      }
      const uint64_t w = word_.load(std::memory_order_acquire);
      seen = seq_of(w);
      if (stop_) return;
      for (int c; (c = claim(seen)) >= 0;) {
        run_chunk(c, chunks_of(w));
        if (done_.fetch_add(1) + 1 == chunks_of(w) && caller_asleep_.load()) {
          { std::lock_guard<std::mutex> lock(sleep_mutex_); }
          all_done_.notify_one();
        }
      }
    }
  }

  std::mutex job_mutex_;  // one job (or resize) at a time
  std::vector<std::thread> workers_;
  // The job: written by the caller before it is published, read by the threads holding a claim on it.
  const RangeFn* fn_ = nullptr;
  int64_t begin_ = 0, end_ = 0, step_ = 0;
  // Set (under job_mutex_) before the job that ends the workers. Atomic: a worker that finds no chunk left to
  // claim reads it with nothing ordering that read before the next write (ThreadSanitizer's report).
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> word_{0};  // job_word(seq, chunks, next chunk to claim)
  std::atomic<int> done_{0};       // chunks of the current job done
  // Sleeping: workers wait on wake_ for a new job, the caller on all_done_ for done_ == chunks.
  std::mutex sleep_mutex_;
  std::condition_variable wake_, all_done_;
  std::atomic<int> asleep_{0};
  std::atomic<bool> caller_asleep_{false};
};

// The pool and its size: the thread count named in the style guide's globals. Never destroyed, so a kernel
// running during static destruction still finds it. A forked child has none of the parent's worker threads
// (and maybe a locked mutex): it starts a fresh pool, leaving the copy. The pool (no thread yet) and the
// handler are made when the library is loaded, before main() starts a thread: made on first use, a fork()
// during that first use copied a half-made std::call_once into the child, which then waited forever.
Pool* g_pool = nullptr;
void fresh_pool_in_child() { g_pool = new Pool; }
Pool& pool() {
  if (!g_pool) g_pool = new Pool;  // only before main(): below, or an earlier static's kernel
  return *g_pool;
}
[[maybe_unused]] const bool g_pool_ready = [] {
  pool();
  pthread_atfork(nullptr, nullptr, fresh_pool_in_child);
  return true;
}();
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
  pool().resize(std::min(n, kMaxThreads));  // first: a count whose threads cannot start is not kept
  g_threads = n;
}

void parallel_for(int64_t begin, int64_t end, int64_t grain, const RangeFn& fn) {
  if (end <= begin) return;
  const int64_t n = end - begin;
  grain = std::max<int64_t>(grain, 1);
  const int64_t grains = (n + grain - 1) / grain;
  const int threads = std::min(num_threads(), kMaxThreads);
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
  try {
    pool().resize(threads);
  } catch (const std::system_error&) {  // no thread can be started now (a process limit): this one does it all
    fn(begin, end);
    return;
  }
  pool().run(begin, end, step, used, fn);
}

}  // namespace microtorch::kernels
