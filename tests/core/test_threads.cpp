// Threads: the kernels' pool (parallel_for covers every index once, from many callers at once, across
// resizes, nested calls inline) and the threaded row steps (RowWalk::walk_parallel hands out the rows and
// floats of the plain walk; plain SGD and SparseAdam give the same weights at 1 and 2 threads),
// OMP_PROC_BIND's pinning and its UnpinnedScope, and a forked child's fresh pool.
#include <catch2/catch.hpp>
#include <microtorch/core/grad/rows.h>
#include <microtorch/core/grad/state.h>
#include <microtorch/core/kernels/parallel.h>
#include <microtorch/core/kernels/thread_binding.h>
#include <microtorch/core/grad/door.h>
#include <microtorch/microtorch.h>

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "helpers.h"

namespace mt = microtorch;
namespace K = microtorch::kernels;
using namespace helpers;

namespace {

// parallel_for over [0, n) with grain g, counting each index's visits.
std::vector<int> visits(int64_t n, int64_t g) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  K::parallel_for(0, n, g, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
  });
  std::vector<int> out;
  for (auto& h : hits) out.push_back(h.load());
  return out;
}

}  // namespace

TEST_CASE("threads: parallel_for runs every index once, for any thread count, caller or grain") {
  ThreadsGuard guard;
  for (int threads : {1, 2, 3, 7}) {
    mt::set_num_threads(threads);
    for (int64_t n : {1, 5, 64, 1000, 4097})
      for (int64_t g : {1, 3, 64, 5000}) {
        INFO("threads " << threads << ", n " << n << ", grain " << g);
        for (int rep = 0; rep < 20; ++rep) REQUIRE(visits(n, g) == std::vector<int>(static_cast<size_t>(n), 1));
      }
  }
  // Four callers at once share the pool (one job at a time), each still covering its own range once.
  mt::set_num_threads(3);
  std::atomic<int> bad{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&bad] {
      for (int rep = 0; rep < 300; ++rep)
        if (visits(999, 7) != std::vector<int>(999, 1)) ++bad;
    });
  for (auto& c : callers) c.join();
  CHECK(bad == 0);
}

TEST_CASE("threads: a parallel_for inside a parallel_for runs inline on its thread") {
  ThreadsGuard guard;
  mt::set_num_threads(2);
  std::atomic<int> inner_chunks{0}, outer_chunks{0}, elsewhere{0}, split{0};
  K::parallel_for(0, 4, 1, [&](int64_t lo, int64_t hi) {
    outer_chunks.fetch_add(1);
    const std::thread::id me = std::this_thread::get_id();
    for (int64_t i = lo; i < hi; ++i)
      K::parallel_for(0, 100, 1, [&](int64_t a, int64_t b) {
        // counted, not CHECKed here: Catch2's assertions are not thread-safe (ThreadSanitizer reports them)
        if (std::this_thread::get_id() != me) elsewhere.fetch_add(1);
        if (!(a == 0 && b == 100)) split.fetch_add(1);  // one call over the whole range
        inner_chunks.fetch_add(1);
      });
  });
  CHECK(outer_chunks == 2);
  CHECK(inner_chunks == 4);
  CHECK(elsewhere == 0);
  CHECK(split == 0);
}

TEST_CASE("threads: RowWalk::walk_parallel hands out walk's rows and floats") {
  ThreadsGuard guard;
  mt::set_num_threads(2);
  // C = 512: about 64 rows a chunk, so both the summed ids and the lone ones split across threads.
  const int64_t V = 3000, C = 512;
  for (bool sparse : {true, false}) {
    INFO((sparse ? "sparse" : "row-tracked"));
    mt::manual_seed(5);
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C).sparse(sparse).scale_grad_by_freq(true).padding_idx(3));
    for (int lookup = 0; lookup < 2; ++lookup) {  // two chunks: ids repeat within and across them
      auto ids = mt::randint(0, V, {3, 400});
      (emb(ids) * mt::randn({3, 400, C})).sum().backward();
    }
    REQUIRE(mt::grad::kind(emb.weight) == (sparse ? mt::grad::Kind::kSparse : mt::grad::Kind::kTracked));
    std::map<int64_t, std::vector<float>> plain, threaded;
    mt::grad::RowWalk walk;
    walk.walk(emb.weight, [&](int64_t id, const mt::grad::Row& row) {
      REQUIRE(plain.count(id) == 0);
      plain[id].resize(C);
      row.copy_to(plain[id].data(), C);
    });
    std::mutex m;
    walk.walk_parallel(emb.weight, [&](int64_t id, const mt::grad::Row& row) {
      std::vector<float> copy(C);
      row.copy_to(copy.data(), C);
      std::lock_guard<std::mutex> lock(m);
      REQUIRE(threaded.count(id) == 0);
      threaded[id] = std::move(copy);
    });
    REQUIRE(plain.size() > 1000);  // enough rows for several chunks
    CHECK(plain.size() == threaded.size());
    // Same bits per id, and they are the dense gradient's rows (grad(), read last: it makes the state dense).
    const std::vector<float> dense = emb.weight.grad().to_vector<float>();
    int differ = 0;
    for (const auto& [id, row] : plain) {
      auto it = threaded.find(id);
      if (it == threaded.end() || std::memcmp(row.data(), it->second.data(), C * sizeof(float)) != 0 ||
          std::memcmp(row.data(), dense.data() + id * C, C * sizeof(float)) != 0)
        ++differ;
    }
    CHECK(differ == 0);
  }
}

TEST_CASE("threads: the default mode's scatter into zeros gives the plain scatter's floats at 2 threads") {
  ThreadsGuard guard;
  mt::set_num_threads(2);
  const int64_t V = 500, C = 256, n = 900;  // n * C above two grains: the threaded path
  mt::manual_seed(3);
  std::vector<int64_t> ids = mt::randint(-1, V, {n}).to_vector<int64_t>();  // repeats, and -1 (skipped)
  std::vector<float> scale;
  for (int64_t i = 0; i < n; ++i) scale.push_back(1.0f / static_cast<float>(1 + i % 3));
  const mt::grad::RowChunk chunk{ids, mt::randn({n, C}), scale};
  std::vector<float> plain(V * C, 0.0f), threaded(V * C, 0.0f);
  mt::detail::scatter_rows_into_zeros(plain.data(), C, chunk, 0, V);
  mt::detail::scatter_rows_into_zeros_parallel(threaded.data(), V, C, chunk);
  CHECK(std::memcmp(plain.data(), threaded.data(), plain.size() * sizeof(float)) == 0);
  CHECK(std::count(plain.begin(), plain.end(), 0.0f) < V * C / 2);  // most rows written
}

// Five steps of an embedding under an optimizer, at `threads` threads: the weights' bits.
template <class Make>
static std::vector<uint32_t> steps(int threads, bool sparse, const Make& make) {
  mt::set_num_threads(threads);
  const int64_t V = 2000, C = 256;  // 128 rows a chunk
  mt::manual_seed(13);
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C).sparse(sparse));
  auto opt = make(emb.parameters());
  for (int step = 0; step < 5; ++step) {
    opt.zero_grad();
    auto ids = mt::randint(0, V, {4, 300});
    (emb(ids) * mt::randn({4, 300, C})).sum().backward();
    opt.step();
  }
  return bits(emb.weight);
}

TEST_CASE("threads: plain SGD and SparseAdam row steps give the same weights at 1 and 2 threads") {
  ThreadsGuard guard;
  auto sgd = [](const std::vector<mt::Tensor>& p) { return mt::optim::SGD(p, mt::optim::SGDOptions(0.5)); };
  auto adam = [](const std::vector<mt::Tensor>& p) { return mt::optim::SparseAdam(p, mt::optim::SparseAdamOptions(0.1)); };
  for (bool sparse : {true, false}) {
    INFO((sparse ? "sparse" : "row-tracked"));
    const auto sgd_one = steps(1, sparse, sgd);
    CHECK(steps(2, sparse, sgd) == sgd_one);
    CHECK(steps(1, sparse, adam) == steps(2, sparse, adam));
    CHECK(sgd_one != steps(1, sparse, adam));  // the runs do train
  }
  CHECK(steps(2, true, sgd) == steps(1, false, sgd));  // sparse at 2 threads == the default mode at 1
}

// OMP_PROC_BIND's pinning (thread_binding.cpp): a thread asking for the CPU after CPU 0 ends up allowed on
// exactly that one, wrapping round the online CPUs.
TEST_CASE("kernels: bind_this_thread pins a thread to the k-th CPU after the first") {
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  for (int k : {1, static_cast<int>(online) + 1}) {
    cpu_set_t got;
    CPU_ZERO(&got);
    bool bound = false;
    std::thread t([&] {
      bound = K::bind_this_thread(0, k);
      sched_getaffinity(0, sizeof got, &got);
    });
    t.join();
    INFO("k " << k << ", online CPUs " << online);
    if (!bound) {
      WARN("this system refused the pinning (a cpuset without that CPU?)");
      continue;
    }
    CHECK(CPU_COUNT(&got) == 1);
    CHECK(CPU_ISSET(static_cast<int>(k % online), &got));
  }
}

// set_num_threads starts OpenBLAS's threads inside an UnpinnedScope, so they may use every CPU the process
// could, not only the one the pool pinned the caller to.
TEST_CASE("kernels: an UnpinnedScope widens a pinned thread to the process's CPUs, then pins it back") {
  int before = 0, pinned = 0, inside = 0, after = 0;
  bool bound = false;
  std::thread t([&] {
    cpu_set_t s;
    sched_getaffinity(0, sizeof s, &s);
    before = CPU_COUNT(&s);
    bound = K::bind_this_thread(0, 0);
    sched_getaffinity(0, sizeof s, &s);
    pinned = CPU_COUNT(&s);
    {
      K::UnpinnedScope unpinned;
      sched_getaffinity(0, sizeof s, &s);
      inside = CPU_COUNT(&s);
    }
    sched_getaffinity(0, sizeof s, &s);
    after = CPU_COUNT(&s);
  });
  t.join();
  if (!bound) {
    WARN("this system refused the pinning (a cpuset without that CPU?)");
    return;
  }
  CHECK(pinned == 1);
  CHECK(inside == before);  // this test's threads start with the process's mask, as the first pinned one did
  CHECK(after == 1);
}

TEST_CASE("kernels: a forked child runs parallel kernels with its own pool") {
  ThreadsGuard guard;
  mt::set_num_threads(2);
  const mt::Tensor x = mt::randn({1 << 20});
  const float parent = (x * 2.0f).sum().item<float>();  // the pool's worker is running now
  const pid_t pid = fork();
  if (pid == 0) {
    alarm(30);  // a hang kills the child, and the parent sees it
    const float child = (x * 2.0f).sum().item<float>();
    _exit(child == parent ? 0 : 1);
  }
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}
