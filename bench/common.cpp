// The benchmark's shared machinery: counted heap allocations, the inputs, timers (medians and maxima of
// alternated runs), peak RSS in a forked child, page faults per call, and the printing of rows.
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
#include <thread>

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

std::vector<int64_t> class_ids(int64_t n, int64_t classes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> d(0, classes - 1);
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

static double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double median_seconds(const Workload& fn, int warmup, int reps, int inner) {
  for (int i = 0; i < warmup * inner; ++i) fn();
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const double t0 = now();
    for (int i = 0; i < inner; ++i) fn();
    t.push_back((now() - t0) / inner);
  }
  return median(t);
}

// Each block first settles (a pause, so the other side's idle workers stop spinning on the second core:
// libtorch's OpenMP workers poll for a while after each op, less with bench/run's GOMP_SPINCOUNT) and runs
// fn once untimed (which pays the other workload's leftovers: the dirty cache lines it leaves to write back,
// and its workers' wake-up), then times `inner` calls. Each workload is so timed in its own steady state, as
// in a loop of its own. BENCH_SETTLE_US sets the pause (default 3000).
double timed_block(const Workload& fn, int inner) {
  const char* e = std::getenv("BENCH_SETTLE_US");
  std::this_thread::sleep_for(std::chrono::microseconds(e ? std::atoi(e) : 3000));
  fn();
  const double t0 = now();
  for (int i = 0; i < inner; ++i) fn();
  return (now() - t0) / inner;
}

Side here(const Workload& fn) {
  return {[fn](int n) {
            for (int i = 0; i < n; ++i) fn();
          },
          [fn](int inner) { return timed_block(fn, inner); }};
}

Pair median_pair(const Side& a, const Side& b, int warmup, int reps, int inner) {
  for (int i = 0; i < warmup; ++i) {  // a block's worth of calls each, alternating
    a.calls(inner);
    b.calls(inner);
  }
  std::vector<double> ta, tb;
  for (int r = 0; r < reps; ++r) {
    ta.push_back(a.block(inner));
    tb.push_back(b.block(inner));
  }
  return {median(ta), median(tb), *std::max_element(ta.begin(), ta.end()), *std::max_element(tb.begin(), tb.end())};
}

Pair median_pair(const Workload& fa, const Workload& fb, int warmup, int reps, int inner) {
  return median_pair(here(fa), here(fb), warmup, reps, inner);
}

// A /proc/self/status field in kB, as bytes.
int64_t status_bytes(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::atoll(line.c_str() + std::strlen(field)) * 1024;
  return -1;
}

int64_t peak_rss_in_child(const Workload& fn, const Workload& prepare) {
  int fd[2];
  if (pipe(fd) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    if (prepare) prepare();
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

double page_faults_per_call(const Workload& fn, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) fn();
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  for (int i = 0; i < reps; ++i) fn();
  getrusage(RUSAGE_SELF, &after);
  return static_cast<double>(after.ru_minflt - before.ru_minflt) / reps;
}

int64_t allocations_per_call(const Workload& fn) {
  fn();
  const int64_t before = g_allocations.load();
  for (int i = 0; i < 10; ++i) fn();
  return (g_allocations.load() - before) / 10;
}

// --- printing ---
static int g_missed = 0;
static FILE* g_rows = nullptr;  // --rows FILE
int missed_targets() { return g_missed; }

void open_rows(const std::string& path) {
  g_rows = std::fopen(path.c_str(), "a");
  if (!g_rows) std::fprintf(stderr, "bench: cannot append to %s\n", path.c_str());
}

std::string threads_label(int threads) { return std::to_string(threads) + (threads == 1 ? " thread" : " threads"); }

void header(const std::string& title, const std::string& about) {
  std::printf("\n== %s ==\n", title.c_str());
  if (!about.empty()) std::printf("  %s\n", about.c_str());
  if (g_rows) std::fprintf(g_rows, "section\t%s\t%s\n", title.c_str(), about.c_str());
}

void note(const std::string& text) {
  std::printf("%s\n", text.c_str());
  if (g_rows) std::fprintf(g_rows, "note\t%s\n", text.c_str());
}

void row(const Figure& f) {
  char ratio[32] = "", target[32] = "";
  if (!std::isnan(f.ratio)) std::snprintf(ratio, sizeof ratio, "%.3f", f.ratio);
  const char* status = "";
  if (f.cmp) {
    const bool ok = f.cmp[0] == '<' ? f.ratio <= f.target : f.ratio >= f.target;
    if (!ok) ++g_missed;
    std::snprintf(target, sizeof target, "%s %.2f", f.cmp, f.target);
    status = ok ? "met" : "MISSED";
  }
  std::printf("  %-46s %7s   (%s%s%s)", f.what.c_str(), ratio, f.mine.c_str(), f.baseline.empty() ? "" : " vs ",
              f.baseline.c_str());
  if (f.cmp) std::printf("   [target %s: %s]", target, status);
  std::printf("\n");
  if (g_rows)
    std::fprintf(g_rows, "row\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.what.c_str(), f.mine.c_str(), f.baseline.c_str(), ratio,
                 f.higher_is_better ? "higher" : "lower", target, status);
}

static std::string fixed(double v, const char* unit) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.3f %s" : v < 100 ? "%.2f %s" : "%.1f %s", v, unit);
  return buf;
}
std::string ms(double s) { return fixed(s * 1e3, "ms"); }
std::string us(double s) { return fixed(s * 1e6, "us"); }
std::string mb(double bytes) { return fixed(bytes / 1e6, "MB"); }

Figure figure(const std::string& what, const std::string& mine) {
  Figure f;
  f.what = what;
  f.mine = mine;
  return f;
}

Figure pair_figure(const std::string& what, const Pair& p, const std::string& baseline, std::string (*unit)(double)) {
  Figure f;
  f.what = what;
  f.mine = unit(p.a) + " (max " + unit(p.a_max) + ")";
  f.baseline = baseline + " " + unit(p.b) + " (max " + unit(p.b_max) + ")";
  f.ratio = p.a / p.b;
  return f;
}

}  // namespace bench
