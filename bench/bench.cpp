// microtorch benchmarks: each figure is a ratio against a baseline timed in this same process (memcpy,
// or libtorch doing exactly the same work), with warm-up and the median of repeated runs.
//   bench/run                      (configures build-bench/, builds, runs with 1 then 2 threads)
//   build-bench/bench/microtorch_bench [threads...]   or   --loop WORKLOAD N   (one workload, for a profiler)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <random>
#include <string>

#include <microtorch/microtorch.h>

#include "bench.h"

// --- heap allocations, counted by replacing the global operator new (this program only) ---
static std::atomic<int64_t> g_allocations{0};
void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, std::align_val_t al) {
  ++g_allocations;
  const size_t a = static_cast<size_t>(al);
  if (void* p = std::aligned_alloc(a, (std::max<size_t>(n, 1) + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new[](size_t n, std::align_val_t al) { return operator new(n, al); }
// Out of line, so the compiler does not pair free() with the operator new it sees inlined.
[[gnu::noinline]] static void release(void* p) noexcept { std::free(p); }
void operator delete(void* p) noexcept { release(p); }
void operator delete(void* p, size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete[](void* p, size_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { release(p); }

namespace mt = microtorch;
namespace F = microtorch::nn::functional;

namespace bench {

const Inputs& inputs() {
  static const Inputs in = [] {
    Inputs in;
    std::mt19937_64 rng(1234);
    auto ints = [&](size_t n, int64_t hi) {
      std::vector<int64_t> v(n);
      std::uniform_int_distribution<int64_t> d(0, hi - 1);
      for (auto& x : v) x = d(rng);
      return v;
    };
    in.ids = ints(B * T, V);
    in.grad_out.resize(B * T * C);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (auto& g : in.grad_out) g = nd(rng);
    in.mlp_x = ints(kBatch * kContext, kChars);
    in.mlp_y = ints(kBatch, kChars);
    in.bigram_x = ints(kBatch, kChars);
    in.bigram_y = ints(kBatch, kChars);
    return in;
  }();
  return in;
}

static double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double median_seconds(const std::function<void()>& fn, int warmup, int reps, int inner) {
  for (int i = 0; i < warmup * inner; ++i) fn();
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const double t0 = now();
    for (int i = 0; i < inner; ++i) fn();
    t.push_back((now() - t0) / inner);
  }
  return median(t);
}

Pair median_pair(const std::function<void()>& fa, const std::function<void()>& fb, int warmup, int reps, int inner) {
  for (int i = 0; i < warmup * inner; ++i) {
    fa();
    fb();
  }
  std::vector<double> ta, tb;
  for (int r = 0; r < reps; ++r) {
    double t0 = now();
    for (int i = 0; i < inner; ++i) fa();
    ta.push_back((now() - t0) / inner);
    t0 = now();
    for (int i = 0; i < inner; ++i) fb();
    tb.push_back((now() - t0) / inner);
  }
  return {median(ta), median(tb)};
}

// A /proc/self/status field in kB, as bytes.
static int64_t status_bytes(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::atoll(line.c_str() + std::strlen(field)) * 1024;
  return -1;
}

int64_t peak_rss_in_child(const std::function<void()>& fn) {
  int fd[2];
  if (pipe(fd) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    // The high-water mark can only be reset by writing 5 to clear_refs; fall back to plain VmHWM.
    { std::ofstream("/proc/self/clear_refs") << "5"; }
    const int64_t before = status_bytes("VmRSS:");
    fn();
    const int64_t peak = status_bytes("VmHWM:") - before;
    ssize_t ok = write(fd[1], &peak, sizeof peak);
    _exit(ok == sizeof peak ? 0 : 1);
  }
  close(fd[1]);
  int64_t peak = -1;
  if (read(fd[0], &peak, sizeof peak) != sizeof peak) peak = -1;
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return peak;
}

// --- the microtorch workloads ---
static mt::Tensor ids_tensor(const std::vector<int64_t>& v, const mt::Shape& shape) { return mt::tensor(v, shape); }

static std::function<void()> mt_gather() {
  auto emb = std::make_shared<mt::nn::Embedding>(mt::nn::EmbeddingOptions(V, C));
  auto ids = ids_tensor(inputs().ids, {B, T});
  return [emb, ids] {
    mt::NoGradGuard no_grad;
    mt::Tensor out = (*emb)(ids);  // (B, T, C)
  };
}

static std::function<void()> mt_memcpy() {
  auto src = std::make_shared<std::vector<float>>(B * T * C, 1.0f);
  auto dst = std::make_shared<std::vector<float>>(B * T * C, 0.0f);
  return [src, dst] { std::memcpy(dst->data(), src->data(), src->size() * sizeof(float)); };
}

static std::function<void()> mt_embedding_step(bool sparse) {
  auto emb = std::make_shared<mt::nn::Embedding>(mt::nn::EmbeddingOptions(V, C).sparse(sparse));
  auto opt = std::make_shared<mt::optim::SGD>(emb->parameters(), mt::optim::SGDOptions(0.1));
  auto ids = ids_tensor(inputs().ids, {B, T});
  auto gout = mt::tensor(inputs().grad_out, {B, T, C});
  return [emb, opt, ids, gout] {
    opt->zero_grad();
    mt::Tensor out = (*emb)(ids);
    out.backward(gout);
    opt->step();
  };
}

static std::function<void()> mt_mlp_step() {
  struct Model {
    mt::nn::Embedding emb{mt::nn::EmbeddingOptions(kChars, kEmbDim)};
    mt::nn::Linear l1{mt::nn::LinearOptions(kContext * kEmbDim, kHidden)};
    mt::nn::Linear l2{mt::nn::LinearOptions(kHidden, kChars)};
  };
  auto m = std::make_shared<Model>();
  std::vector<mt::Tensor> params;
  for (const mt::nn::Module* mod : {static_cast<const mt::nn::Module*>(&m->emb), static_cast<const mt::nn::Module*>(&m->l1),
                                    static_cast<const mt::nn::Module*>(&m->l2)})
    for (const mt::Tensor& p : mod->parameters()) params.push_back(p);
  auto opt = std::make_shared<mt::optim::SGD>(params, mt::optim::SGDOptions(0.1));
  auto x = ids_tensor(inputs().mlp_x, {kBatch, kContext});
  auto y = ids_tensor(inputs().mlp_y, {kBatch});
  return [m, opt, x, y] {
    mt::Tensor h = mt::tanh(m->l1(m->emb(x).view({kBatch, kContext * kEmbDim})));
    mt::Tensor loss = F::cross_entropy(m->l2(h), y);
    opt->zero_grad();
    loss.backward();
    opt->step();
  };
}

static std::function<void()> mt_bigram_step() {
  auto emb = std::make_shared<mt::nn::Embedding>(mt::nn::EmbeddingOptions(kChars, kChars));
  auto opt = std::make_shared<mt::optim::SGD>(emb->parameters(), mt::optim::SGDOptions(0.1));
  auto x = ids_tensor(inputs().bigram_x, {kBatch});
  auto y = ids_tensor(inputs().bigram_y, {kBatch});
  return [emb, opt, x, y] {
    mt::Tensor loss = F::cross_entropy((*emb)(x), y);
    opt->zero_grad();
    loss.backward();
    opt->step();
  };
}

static std::function<void()> mt_tied_gemm() {
  auto x = mt::randn({kRows, C});
  auto w = mt::randn({V, C});
  return [x, w] {
    mt::NoGradGuard no_grad;
    mt::Tensor logits = F::linear(x, w);  // (kRows, V)
  };
}

static int64_t allocations_per_call(const std::function<void()>& fn) {
  fn();
  const int64_t before = g_allocations.load();
  for (int i = 0; i < 10; ++i) fn();
  return (g_allocations.load() - before) / 10;
}

// --- printing ---
static int g_missed = 0;
static void line(const char* what, double ratio, const char* detail, const char* cmp = nullptr, double target = 0) {
  std::printf("  %-46s %7.3f   %s", what, ratio, detail);
  if (cmp) {
    const bool ok = cmp[0] == '<' ? ratio <= target : ratio >= target;
    if (!ok) ++g_missed;
    std::printf("   [target %s %.2f: %s]", cmp, target, ok ? "met" : "MISSED");
  }
  std::printf("\n");
}
static std::string ms(double s) { return std::to_string(s * 1e3).substr(0, 6) + " ms"; }
#ifdef MICROTORCH_BENCH_LIBTORCH
static std::string us(double s) { return std::to_string(s * 1e6).substr(0, 6) + " us"; }
#endif

static void run(int threads, bool targets) {
  mt::set_num_threads(threads);
#ifdef MICROTORCH_BENCH_LIBTORCH
  torch_set_threads(threads);
#endif
  const char* le = targets ? "<=" : nullptr;
  const char* ge = targets ? ">=" : nullptr;
  std::printf("\n== %d thread%s ==\n", threads, threads > 1 ? "s" : "");
  char buf[256];

  {
    auto gather = mt_gather();
    auto copy = mt_memcpy();
    Pair p = median_pair(gather, copy, 5, 41);
    std::snprintf(buf, sizeof buf, "(%s vs memcpy of %.1f MB %s)", ms(p.a).c_str(), B * T * C * 4 / 1e6, ms(p.b).c_str());
    line("gather (Embedding forward) / memcpy", p.a / p.b, buf, le, 1.1);
#ifdef MICROTORCH_BENCH_LIBTORCH
    Pair q = median_pair(gather, torch_gather(), 5, 41);
    std::snprintf(buf, sizeof buf, "(%s vs libtorch %s)", ms(q.a).c_str(), ms(q.b).c_str());
    line("gather / libtorch embedding forward", q.a / q.b, buf);
#endif
  }
#ifdef MICROTORCH_BENCH_LIBTORCH
  {
    Pair p = median_pair(mt_embedding_step(true), torch_embedding_step(true), 3, 15);
    std::snprintf(buf, sizeof buf, "(%s vs libtorch sparse %s)", ms(p.a).c_str(), ms(p.b).c_str());
    line("sparse step / libtorch sparse step", p.a / p.b, buf, le, 0.5);
  }
  {
    Pair p = median_pair(mt_embedding_step(false), torch_embedding_step(false), 2, 9);
    std::snprintf(buf, sizeof buf, "(%s vs libtorch dense %s)", ms(p.a).c_str(), ms(p.b).c_str());
    line("default-mode step / libtorch dense step", p.a / p.b, buf, le, 0.1);
  }
  {
    Pair p = median_pair(mt_mlp_step(), torch_mlp_step(), 3, 21, 200);
    std::snprintf(buf, sizeof buf, "(%s vs libtorch %s)", us(p.a).c_str(), us(p.b).c_str());
    line("makemore MLP step / libtorch", p.a / p.b, buf, le, 0.33);
  }
  {
    Pair p = median_pair(mt_bigram_step(), torch_bigram_step(), 3, 21, 500);
    std::snprintf(buf, sizeof buf, "(%s vs libtorch %s)", us(p.a).c_str(), us(p.b).c_str());
    line("bigram step / libtorch", p.a / p.b, buf, le, 0.33);
  }
  {
    const double flop = 2.0 * kRows * C * V;
    Pair p = median_pair(mt_tied_gemm(), torch_tied_gemm(), 1, 5);
    std::snprintf(buf, sizeof buf, "(%.1f vs libtorch %.1f GFLOP/s, (%lld x %lld) x (%lld x %lld)^T)", flop / p.a / 1e9,
                  flop / p.b / 1e9, (long long)kRows, (long long)C, (long long)V, (long long)C);
    line("tied-head GEMM GFLOP/s / libtorch", p.b / p.a, buf, ge, 0.9);
  }
#else
  (void)ge;
  {
    const double t = median_seconds(mt_tied_gemm(), 1, 5);
    std::snprintf(buf, sizeof buf, "GFLOP/s (no libtorch to compare with)");
    line("tied-head GEMM", 2.0 * kRows * C * V / t / 1e9, buf);
  }
#endif
  {
    std::snprintf(buf, sizeof buf, "(heap allocations per call)");
    line("makemore MLP step", static_cast<double>(allocations_per_call(mt_mlp_step())), buf);
    line("bigram step", static_cast<double>(allocations_per_call(mt_bigram_step())), buf);
  }
}

static void memory() {
  std::printf("\n== peak resident memory of one GPT-2-scale embedding step (V=%lld, C=%lld, B=%lld, T=%lld; "
              "VmHWM in a forked child, minus its RSS at the start) ==\n",
              (long long)V, (long long)C, (long long)B, (long long)T);
  const double table = V * C * 4 / 1e6;
  auto report = [&](const char* what, int64_t bytes) {
    std::printf("  %-46s %7.1f MB   (%.2f x the %.0f MB table)\n", what, bytes / 1e6, bytes / 1e6 / table, table);
  };
  auto three_steps = [](std::function<std::function<void()>()> make) {
    return [make] {
      auto step = make();
      for (int i = 0; i < 3; ++i) step();
    };
  };
  report("microtorch sparse step", peak_rss_in_child(three_steps([] { return mt_embedding_step(true); })));
  report("microtorch default-mode step", peak_rss_in_child(three_steps([] { return mt_embedding_step(false); })));
#ifdef MICROTORCH_BENCH_LIBTORCH
  report("libtorch sparse step", peak_rss_in_child(three_steps([] { return torch_embedding_step(true); })));
  report("libtorch dense step", peak_rss_in_child(three_steps([] { return torch_embedding_step(false); })));
#endif
}

}  // namespace bench

// --loop NAME N: runs one microtorch workload N times and nothing else, for a profiler.
static int loop(const std::string& name, int n) {
  std::function<void()> fn = name == "gather" ? bench::mt_gather()
                             : name == "sparse" ? bench::mt_embedding_step(true)
                             : name == "default" ? bench::mt_embedding_step(false)
                             : name == "mlp" ? bench::mt_mlp_step()
                             : name == "bigram" ? bench::mt_bigram_step()
                             : std::function<void()>();
  if (!fn) {
    std::fprintf(stderr, "--loop: unknown workload %s (gather, sparse, default, mlp, bigram)\n", name.c_str());
    return 2;
  }
  for (int i = 0; i < n; ++i) fn();
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--loop") return loop(argv[2], std::atoi(argv[3]));
  std::vector<int> threads;
  for (int i = 1; i < argc; ++i) threads.push_back(std::atoi(argv[i]));
  if (threads.empty()) threads = {1, 2};
  std::printf("microtorch bench: ratios are microtorch / baseline, medians of repeated runs in one process\n");
#ifndef MICROTORCH_BENCH_LIBTORCH
  std::printf("(built without libtorch: only the memcpy comparisons)\n");
#endif
  bench::inputs();
  bench::memory();
  for (size_t i = 0; i < threads.size(); ++i) bench::run(threads[i], threads[i] == 1);
  return bench::g_missed == 0 ? 0 : 1;
}
