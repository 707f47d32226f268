// GPT-2 124M on one thread against PyTorch eager on the same checkpoint (../shared/tools/gpt2_reference.py:
// `make DIR` writes it, `time DIR` times PyTorch): a forward of 1024 tokens, KV-cached greedy decode after a
// 16-token prompt, a fine-tune step (B 4, T 64, AdamW lr 1e-4), and the load's time and peak RSS. Each is
// set against its floor measured here: the forward's and the step's matmul FLOPs at this machine's SGEMM rate
// (the library's gemm and OpenBLAS on the same shapes, the better taken), decode's weight bytes at the
// single-thread read bandwidth. microtorch and PyTorch runs alternate; medians and maxima are printed.
//   microtorch_bench_gpt2 DIR [--reps N] [--python PATH] [--script gpt2_reference.py] [--no-torch] [--rows FILE]
// --rows FILE appends the figures as bench/results.awk's lines (bench/bench.h has the format), one section.
//   microtorch_bench_gpt2 --load PATH    (one load in this fresh process: prints "ms peak_rss_bytes")
//   microtorch_bench_gpt2 --llmc-tokens DIR   (tinyshakespeare's GPT-2 ids as llm.c's data files, for its train_gpt2)
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <microtorch/core/kernels/gemm.h>
#include <microtorch/microtorch.h>

namespace mt = microtorch;
namespace F = mt::nn::functional;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

int64_t status_bytes(const char* field) {  // a /proc/self/status field in kB, as bytes
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string f(field);
  while (std::getline(in, line))
    if (line.compare(0, f.size(), f) == 0) return std::atoll(line.c_str() + f.size()) * 1024;
  return -1;
}

struct Stat {
  double median, max;
};
Stat stat(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.back()};
}

// --- the floors ---
// The matmuls of a forward of N rows through GPT-2 (L layers, width C, vocabulary V, T positions per sequence,
// heads of D): each Linear's x W^T, and per sequence and head the (T, T) scores and their product with V.
struct Shape3 {
  int64_t M, N, K, times;
  bool tb;
};
std::vector<Shape3> forward_gemms(int64_t rows, int64_t T, int64_t L, int64_t C, int64_t H, int64_t V) {
  const int64_t D = C / H, seqs = rows / T;
  std::vector<Shape3> g;
  for (int64_t l = 0; l < L; ++l)
    for (const Shape3& s : {Shape3{rows, 3 * C, C, 1, true}, Shape3{T, T, D, seqs * H, true}, Shape3{T, D, T, seqs * H, false},
                            Shape3{rows, C, C, 1, true}, Shape3{rows, 4 * C, C, 1, true}, Shape3{rows, C, 4 * C, 1, true}})
      g.push_back(s);
  g.push_back({rows, V, C, 1, true});
  return g;
}
double flops(const std::vector<Shape3>& g) {
  double f = 0;
  for (const auto& s : g) f += 2.0 * s.M * s.N * s.K * s.times;
  return f;
}
// Seconds for the shapes run back to back through the library's gemm and OpenBLAS; the faster of the two.
double gemm_floor_seconds(const std::vector<Shape3>& g) {
  size_t most = 0;
  for (const auto& s : g) most = std::max<size_t>(most, static_cast<size_t>(std::max({s.M * s.K, s.N * s.K, s.M * s.N})));
  std::vector<float> a(most, 0.01f), b(most, 0.02f), c(most);
  double best = 1e30;
  for (bool blas : {false, true})
    for (int rep = 0; rep < 3; ++rep) {
      mt::kernels::Sgemm* const run = blas ? &mt::kernels::gemm_openblas : static_cast<mt::kernels::Sgemm*>(&mt::kernels::gemm);
      const double t0 = now();
      for (const auto& s : g)
        for (int64_t i = 0; i < s.times; ++i)
          mt::kernels::gemm_packed(run, false, s.tb, s.M, s.N, s.K, 1.0f, a.data(), b.data(), 0.0f, c.data());
      best = std::min(best, now() - t0);
    }
  return best;
}
// Single-thread read bandwidth: sums of a 1 GB buffer (bytes / second, the best of 3).
double read_bandwidth() {
  std::vector<float> buf(static_cast<size_t>(256) << 20, 1.0f);
  double best = 1e30, sink = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const double t0 = now();
    float acc[16] = {};
    for (size_t i = 0; i < buf.size(); i += 16)
      for (int l = 0; l < 16; ++l) acc[l] += buf[i + l];
    best = std::min(best, now() - t0);
    for (float x : acc) sink += x;
  }
  if (sink < 0) std::printf(" ");
  return static_cast<double>(buf.size() * sizeof(float)) / best;
}

// --- microtorch's workloads ---
double time_forward(mt::models::GPT2& m, const mt::Tensor& x) {
  mt::NoGradGuard g;
  const double t0 = now();
  m.forward(x);
  return now() - t0;
}
double time_decode(mt::models::GPT2& m, const mt::Tensor& x, int n) {  // seconds per token
  mt::NoGradGuard g;
  mt::models::KVCache cache;
  mt::Tensor out = m.forward(x.narrow(1, 0, 16).contiguous(), cache);
  int64_t next = mt::argmax(out.select(1, 15).view({-1}), 0).item<int64_t>();
  const double t0 = now();
  for (int i = 0; i < n; ++i) {
    out = m.forward(mt::tensor(std::vector<int64_t>{next}, {1, 1}), cache);
    next = mt::argmax(out.view({-1}), 0).item<int64_t>();
  }
  return (now() - t0) / n;
}
std::vector<int64_t> random_ids(int64_t n, int64_t V, uint64_t seed) {
  mt::manual_seed(seed);
  return mt::randint(0, V, {n}).to_vector<int64_t>();
}

// PyTorch's three figures from one `gpt2_reference.py time DIR` run (ms), or empty when it fails.
std::vector<double> torch_run(const std::string& python, const std::string& script, const std::string& dir) {
  const std::string cmd = python + " " + script + " time " + dir + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {};
  char line[512];
  double fwd = -1, dec = -1, step = -1;
  while (std::fgets(line, sizeof line, p)) {
    std::string s(line);
    if (s.rfind("forward of 1024", 0) == 0) fwd = std::atof(s.c_str() + s.find(':') + 1);
    else if (s.rfind("KV-cached", 0) == 0) dec = std::atof(s.c_str() + s.find('(') + 1);
    else if (s.rfind("fine-tune", 0) == 0) step = std::atof(s.c_str() + s.find("median") + 6);
  }
  if (pclose(p) != 0 || fwd < 0 || dec < 0 || step < 0) return {};
  return {fwd / 1e3, dec / 1e3, step / 1e3};
}

// --rows FILE: tab-separated lines for bench/results.awk (bench/bench.h: section, row, note).
FILE* g_rows = nullptr;
std::string ms_value(double seconds) {  // as bench/common.cpp's ms(): 3 significant digits at least
  char buf[32];
  const double v = seconds * 1e3;
  std::snprintf(buf, sizeof buf, v < 10 ? "%.3f ms" : v < 100 ? "%.2f ms" : "%.1f ms", v);
  return buf;
}
std::string ms_text(Stat s) { return ms_value(s.median) + " (max " + ms_value(s.max) + ")"; }
void rows_line(const std::string& what, const std::string& mine, const std::string& baseline, double ratio) {
  if (!g_rows) return;
  char r[32] = "";
  if (ratio > 0) std::snprintf(r, sizeof r, "%.3f", ratio);
  std::fprintf(g_rows, "row\t%s\t%s\t%s\t%s\tlower\t\t\n", what.c_str(), mine.c_str(), baseline.c_str(), r);
}

// A timed figure: printed, and as rows beside PyTorch (when timed) and beside its floor.
void print_row(const char* what, Stat mt_s, const std::vector<double>& torch, const std::string& extra,
               const std::string& floor_name, double floor_seconds) {
  rows_line(std::string(what) + ", against " + floor_name, ms_text(mt_s), "floor " + ms_value(floor_seconds),
            mt_s.median / floor_seconds);
  if (torch.empty()) {
    std::printf("%-44s %9.1f ms (max %.1f)  %s\n", what, mt_s.median * 1e3, mt_s.max * 1e3, extra.c_str());
    return;
  }
  const Stat t = stat(torch);
  rows_line(what, ms_text(mt_s), "PyTorch " + ms_text(t), mt_s.median / t.median);
  std::printf("%-44s %9.1f ms (max %.1f)  PyTorch %.1f ms (max %.1f)  ratio %.2f  %s\n", what, mt_s.median * 1e3,
              mt_s.max * 1e3, t.median * 1e3, t.max * 1e3, mt_s.median / t.median, extra.c_str());
}

// llm.c's token files (dev/data/tinyshakespeare/*.bin): 256 int32 (magic 20240520, version 1, count), uint16 ids;
// the first 32768 ids are val, the rest train, as llm.c's tinyshakespeare.py writes them.
int write_llmc_tokens(const std::string& dir) {
  const std::string data = std::string(MICROTORCH_SOURCE_DIR) + "/data/";
  const auto tok = mt::text::GPT2Tokenizer::from_files(data + "gpt2/encoder.json", data + "gpt2/vocab.bpe");
  std::ifstream in(data + "tinyshakespeare.txt", std::ios::binary);
  const std::vector<int64_t> ids = tok.encode(std::string(std::istreambuf_iterator<char>(in), {}));
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, size_t begin, size_t end) {
    int32_t header[256] = {20240520, 1, static_cast<int32_t>(end - begin)};
    std::vector<uint16_t> out(ids.begin() + static_cast<std::ptrdiff_t>(begin), ids.begin() + static_cast<std::ptrdiff_t>(end));
    std::ofstream f(dir + "/" + name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(header), sizeof header);
    f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size() * 2));
  };
  write("tiny_shakespeare_val.bin", 0, 32768);
  write("tiny_shakespeare_train.bin", 32768, ids.size());
  return 0;
}

int load_only(const std::string& path) {  // in a fresh process: the load's time and this process's peak RSS
  const int64_t before = status_bytes("VmRSS:");
  const double t0 = now();
  auto m = mt::models::GPT2::from_pretrained(path);
  const double t = now() - t0;
  std::printf("%.1f %lld %lld\n", t * 1e3, static_cast<long long>(status_bytes("VmHWM:")), static_cast<long long>(before));
  return m.config().n_layer() > 0 ? 0 : 1;
}

// Loads `path` in `reps` fresh copies of this program: medians of the time and of the peak RSS above the start.
void load_rows(const char* self, const std::string& path, const char* what, int reps) {
  std::vector<double> ms, rss;
  for (int r = 0; r < reps; ++r) {
    FILE* p = popen((std::string(self) + " --load " + path).c_str(), "r");
    double t = 0;
    long long hwm = 0, before = 0;
    if (!p || std::fscanf(p, "%lf %lld %lld", &t, &hwm, &before) != 3) {
      std::printf("%s: the load failed\n", what);
      if (p) pclose(p);
      return;
    }
    pclose(p);
    ms.push_back(t / 1e3);
    rss.push_back(static_cast<double>(hwm));
  }
  const std::string weights = std::filesystem::is_directory(path) ? path + "/model.safetensors" : path;
  const double file = static_cast<double>(std::filesystem::file_size(weights));
  const Stat t = stat(ms), r = stat(rss);
  std::printf("%-44s %9.1f ms (max %.1f)  peak RSS %.0f MB = %.2fx the %.0f MB file (max %.2fx)\n", what, t.median * 1e3,
              t.max * 1e3, r.median / 1e6, r.median / file, file / 1e6, r.max / file);
  rows_line(what, ms_text(t), "", -1);
  char mine[64], base[64];
  std::snprintf(mine, sizeof mine, "%.0f MB (max %.0f MB)", r.median / 1e6, r.max / 1e6);
  std::snprintf(base, sizeof base, "file %.0f MB", file / 1e6);
  rows_line(std::string(what) + ": peak RSS against the file's size", mine, base, r.median / file);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--load") return load_only(argv[2]);
  if (argc == 3 && std::string(argv[1]) == "--llmc-tokens") return write_llmc_tokens(argv[2]);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--reps N] [--python PATH] [--script gpt2_reference.py] [--no-torch] [--rows FILE]\n",
                 argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  int reps = 3;
  std::string python = "/usr/bin/python3", script = std::string(MICROTORCH_DATA_DIR) + "/tools/gpt2_reference.py";
  bool torch = true;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--python" && i + 1 < argc) python = argv[++i];
    else if (a == "--script" && i + 1 < argc) script = argv[++i];
    else if (a == "--no-torch") torch = false;
    else if (a == "--rows" && i + 1 < argc) g_rows = std::fopen(argv[++i], "a");
  }
  mt::set_num_threads(1);
  auto model = mt::models::GPT2::from_pretrained(dir);
  const auto& c = model.config();
  std::printf("GPT-2 (%lld layers, C %lld, V %lld) on 1 thread, %d alternated runs each; medians (max)\n",
              static_cast<long long>(c.n_layer()), static_cast<long long>(c.n_embd()),
              static_cast<long long>(c.vocab_size()), reps);

  const auto fwd_g = forward_gemms(1024, 1024, c.n_layer(), c.n_embd(), c.n_head(), c.vocab_size());
  const double fwd_floor = gemm_floor_seconds(fwd_g), fwd_flops = flops(fwd_g);
  auto step_g = forward_gemms(256, 64, c.n_layer(), c.n_embd(), c.n_head(), c.vocab_size());
  const double step_flops = 3 * flops(step_g), step_floor = 3 * gemm_floor_seconds(step_g);  // backward: 2 products each
  const double bw = read_bandwidth();
  double weight_bytes = 0;
  for (const auto& p : model.parameters()) weight_bytes += 4.0 * static_cast<double>(p.numel());
  weight_bytes -= 4.0 * static_cast<double>(c.n_positions() - 1) * static_cast<double>(c.n_embd());  // one wpe row read
  if (g_rows)
    std::fprintf(g_rows, "section\tGPT-2 (%lld layers, C %lld), 1 thread\tbench/gpt2: a random checkpoint of this size; PyTorch "
                 "eager on the same checkpoint (gpt2_reference.py time), alternated; floors: the matmul FLOPs at this "
                 "machine's SGEMM rate, decode's weight bytes at the read bandwidth. %d runs each.\n",
                 static_cast<long long>(c.n_layer()), static_cast<long long>(c.n_embd()), reps);
  std::printf("floors: SGEMM rate %.1f GFLOP/s on the forward's shapes; read bandwidth %.1f GB/s\n", fwd_flops / fwd_floor / 1e9,
              bw / 1e9);

  const mt::Tensor x1024 = mt::tensor(random_ids(1024, c.vocab_size(), 7), {1, 1024});
  mt::optim::AdamW opt(model.parameters(), mt::optim::AdamWOptions(1e-4).betas({0.9, 0.999}).eps(1e-8).weight_decay(0.0));
  auto step = [&](int s) {
    const auto ids = random_ids(4 * 65, c.vocab_size(), 100 + s);
    const mt::Tensor xy = mt::tensor(ids, {4, 65});
    const double t0 = now();
    opt.zero_grad();
    const mt::Tensor loss = F::cross_entropy(model.forward(xy.narrow(1, 0, 64).contiguous()).view({256, c.vocab_size()}),
                                             xy.narrow(1, 1, 64).contiguous().view({256}));
    loss.backward();
    opt.step();
    return now() - t0;
  };
  {
    mt::NoGradGuard g;
    model.forward(x1024.narrow(1, 0, 64).contiguous());  // warm-up, as the PyTorch script's
  }
  step(0);
  std::vector<double> fwd, dec, stp, t_fwd, t_dec, t_stp;
  for (int r = 0; r < reps; ++r) {
    fwd.push_back(time_forward(model, x1024));
    dec.push_back(time_decode(model, x1024, 64));
    for (int s = 1; s <= 5; ++s) stp.push_back(step(s + 10 * r));
    if (torch) {
      const auto t = torch_run(python, script, dir);
      if (t.empty()) {
        std::printf("(PyTorch's timing run failed: %s %s time %s; continuing without it)\n", python.c_str(), script.c_str(),
                    dir.c_str());
        torch = false;
      } else {
        t_fwd.push_back(t[0]);
        t_dec.push_back(t[1]);
        t_stp.push_back(t[2]);
      }
    }
  }
  char extra[256];
  const Stat f = stat(fwd), d = stat(dec), s = stat(stp);
  std::snprintf(extra, sizeof extra, "%.0f GFLOP/s = %.0f%% of SGEMM's (floor %.0f ms)", fwd_flops / f.median / 1e9,
                100.0 * fwd_floor / f.median, fwd_floor * 1e3);
  print_row("forward of 1024 tokens", f, t_fwd, extra, "its SGEMM floor", fwd_floor);
  std::snprintf(extra, sizeof extra, "%.2fx its floor (%.0f MB of weights at %.1f GB/s = %.1f ms)",
                d.median / (weight_bytes / bw), weight_bytes / 1e6, bw / 1e9, weight_bytes / bw * 1e3);
  print_row("KV-cached decode, per token", d, t_dec, extra, "its read floor", weight_bytes / bw);
  std::snprintf(extra, sizeof extra, "%.2fx its FLOP floor (%.0f GFLOP at SGEMM's rate = %.0f ms)", s.median / step_floor,
                step_flops / 1e9, step_floor * 1e3);
  print_row("fine-tune step B 4 T 64 (AdamW)", s, t_stp, extra, "its SGEMM floor", step_floor);
  load_rows(argv[0], dir, "load, Hugging Face folder (warm)", reps);
  if (std::filesystem::exists(dir + "/gpt2_llmc.bin")) load_rows(argv[0], dir + "/gpt2_llmc.bin", "load, llm.c .bin (warm)", reps);
  if (!torch && g_rows) std::fprintf(g_rows, "note\tGPT-2: PyTorch not timed (--no-torch, or its run failed)\n");
  if (g_rows) std::fclose(g_rows);
  return 0;
}
