// Data parallel figures, one section per run under mpirun (bench/run_ddp runs them all):
//   gpt        nanoGPT's CPU recipe step (lesson 6's model, bench.h's Gpt sizes: B 12) on however many ranks
//              this runs as, each on B / ranks windows, gradients averaged by DataParallel: median and max
//              step (the slowest rank's), and the share of it spent in sync_gradients(), which is all that
//              overlapping the sync with the backward could win
//   embedding  the embedding's gradient at GPT-2 scale (B 8, T 1024, V 50257, C 768) split over the ranks:
//              bytes each rank sends per step as rows against the dense (V, C) table, and the time of each
//              sync, for uniform ids and for tinyshakespeare's GPT-2 tokens
//   allreduce  one all-reduce of GPT-2 124M's gradient (124,439,808 floats) between the ranks, against a
//              memcpy of the same bytes; and DataParallel's bucketed sync of the same floats as GPT-2's tensors
// Usage: mpirun -np N microtorch_bench_ddp gpt|embedding|allreduce [threads]
#include <microtorch/microtorch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gpt_model.h"

namespace mt = microtorch;
namespace dist = microtorch::distributed;
namespace F = microtorch::nn::functional;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// The slowest rank's value (a step is as slow as its slowest rank).
double slowest(double seconds) {
  mt::Tensor t = mt::tensor({static_cast<float>(seconds)}, {1});
  dist::all_reduce(t, dist::ReduceOp::Max);
  return t.item<double>();
}

struct Stats {
  double median, max;
};
Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.back()};
}

void row(const std::string& what, double value, const std::string& detail) {
  if (dist::rank() == 0) std::printf("  %-46s %9.3f   %s\n", what.c_str(), value, detail.c_str());
}

std::string fmt(const char* f, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c, d);
  return buf;
}

// --- gpt: the recipe's step, B / ranks windows per rank ---
void gpt_section(int threads) {
  constexpr int64_t V = 65, L = 4, H = 4, C = 128, T = 64, B = 12;
  const int world = dist::world_size(), rank = dist::rank();
  if (B % world != 0) throw std::invalid_argument("bench_ddp gpt: the ranks must divide B = 12");
  const int64_t share = B / world;
  mt::manual_seed(1337);
  tutorials::Gpt model(V, T, C, H, L);
  dist::DataParallel ddp(model);
  std::vector<mt::Tensor> decay, no_decay;
  for (const auto& p : model.parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  const auto adamw = mt::optim::AdamWOptions(1e-3).betas({0.9, 0.99}).eps(1e-8);
  std::vector<mt::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<mt::optim::AdamWOptions>(mt::optim::AdamWOptions(adamw).weight_decay(0.1)));
  groups.emplace_back(no_decay, std::make_unique<mt::optim::AdamWOptions>(mt::optim::AdamWOptions(adamw).weight_decay(0.0)));
  mt::optim::AdamW opt(std::move(groups), adamw);
  const std::vector<mt::Tensor> params = model.parameters();
  std::vector<mt::Tensor> xs, ys;  // four fixed batches, this rank's share of each
  for (int i = 0; i < 4; ++i) {
    const mt::Tensor all = mt::randint(0, V, {B, T + 1});
    const mt::Tensor mine = all.narrow(0, rank * share, share);
    xs.push_back(mine.narrow(1, 0, T).contiguous());
    ys.push_back(mine.narrow(1, 1, T).contiguous().view({share * T}));
  }
  std::vector<double> steps, syncs, waits;
  const int warmup = 5, reps = 40;
  for (int it = 0; it < warmup + reps; ++it) {
    dist::barrier();  // every rank starts the step together
    const double t0 = now();
    const mt::Tensor loss = F::cross_entropy(model.forward(xs[it % 4]).view({share * T, V}), ys[it % 4]);
    opt.zero_grad();
    loss.backward();
    const double t1 = now();
    if (world > 1) dist::barrier();  // the ranks' backward ends apart: waiting is not communication
    const double t2 = now();
    ddp.sync_gradients();
    const double t3 = now();
    mt::nn::utils::clip_grad_norm_(params, 1.0);
    opt.step();
    const double t4 = now();
    const double step = slowest(t4 - t0), wait = slowest(t2 - t1), sync = slowest(t3 - t2);
    if (it >= warmup) {
      steps.push_back(step);
      waits.push_back(wait);
      syncs.push_back(sync);
    }
  }
  const Stats s = stats(steps), y = stats(syncs), w = stats(waits);
  char what[96];
  std::snprintf(what, sizeof what, "gpt step, %d rank%s x %d thread%s (ms)", world, world == 1 ? "" : "s", threads,
                threads == 1 ? "" : "s");
  row(what, 1e3 * s.median,
      fmt("max %.1f ms; sync_gradients %.2f ms median (%.1f%% of the step: what overlap could hide), max %.2f ms",
          1e3 * s.max, 1e3 * y.median, 100.0 * y.median / s.median, 1e3 * y.max) +
          fmt("; waiting for the slower rank %.2f ms median", 1e3 * w.median));
}

// --- embedding: GPT-2 scale rows against the dense table ---
std::vector<int64_t> shakespeare_tokens(int64_t n) {
  const std::string top = MICROTORCH_SOURCE_DIR;
  std::ifstream in(top + "/data/tinyshakespeare.txt");
  std::stringstream text;
  text << in.rdbuf();
  const auto tok = mt::text::GPT2Tokenizer::from_files(top + "/data/gpt2/encoder.json", top + "/data/gpt2/vocab.bpe");
  std::vector<int64_t> ids = tok.encode(text.str());
  if (static_cast<int64_t>(ids.size()) < n) throw std::runtime_error("bench_ddp: tinyshakespeare is too short");
  ids.resize(static_cast<size_t>(n));  // its first B * T tokens: B windows of T, one after another
  return ids;
}

void embedding_section() {
  constexpr int64_t V = 50257, C = 768, B = 8, T = 1024;
  const int world = dist::world_size(), rank = dist::rank();
  const int64_t share = B / world;
  mt::manual_seed(5);
  const std::vector<std::pair<std::string, mt::Tensor>> sources = {
      {"uniform ids", mt::randint(0, V, {B, T})},
      {"tinyshakespeare GPT-2 tokens", mt::tensor(shakespeare_tokens(B * T), {B, T})}};
  const mt::Tensor grad_out = mt::randn({share, T, C});
  for (const bool sparse : {false, true}) {
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C).sparse(sparse));
    dist::DataParallel ddp(emb);
    for (const auto& [name, ids] : sources) {
      const mt::Tensor mine = ids.narrow(0, rank * share, share).contiguous();
      std::vector<double> times;
      dist::SyncStats last;
      for (int it = 0; it < 7; ++it) {
        emb.zero_grad();
        emb(mine).backward(grad_out);
        dist::barrier();
        const double t0 = now();
        ddp.sync_gradients();
        times.push_back(slowest(now() - t0));
        last = ddp.last_sync();
      }
      mt::Tensor sent = mt::tensor({static_cast<float>(last.row_bytes)}, {1});
      dist::all_reduce(sent, dist::ReduceOp::Max);
      const Stats s = stats(times);
      row(std::string("embedding rows / dense bytes, ") + (sparse ? "sparse" : "tracked"),
          sent.item<double>() / static_cast<double>(last.rows_as_dense_bytes),
          fmt("%.2f MB rows (rank 0: %.0f distinct ids) vs %.1f MB dense per rank per step; sync %.2f ms median",
              sent.item<double>() / 1e6, static_cast<double>(last.rows), last.rows_as_dense_bytes / 1e6, 1e3 * s.median) +
              " (" + name + ")");
    }
  }
  // The same table's gradient all-reduced dense, for the time.
  mt::Tensor dense = mt::ones({V, C});
  std::vector<double> times;
  for (int it = 0; it < 5; ++it) {
    dist::barrier();
    const double t0 = now();
    dist::all_reduce(dense, dist::ReduceOp::Avg);
    times.push_back(slowest(now() - t0));
  }
  row("embedding (V, C) gradient as dense all-reduce (ms)", 1e3 * stats(times).median,
      fmt("%.1f MB per rank", V * C * 4 / 1e6));
}

// --- allreduce: GPT-2 124M's gradient ---
struct Gpt2Shapes : mt::nn::Module {  // GPT-2 small's parameters by shape (values irrelevant), tied head
  Gpt2Shapes() {
    const int64_t V = 50257, P = 1024, C = 768;
    add("wte", {V, C});
    add("wpe", {P, C});
    for (int l = 0; l < 12; ++l) {
      const std::string h = "h" + std::to_string(l) + "_";
      add(h + "ln_1_w", {C}); add(h + "ln_1_b", {C});
      add(h + "attn_w", {C, 3 * C}); add(h + "attn_b", {3 * C});
      add(h + "proj_w", {C, C}); add(h + "proj_b", {C});
      add(h + "ln_2_w", {C}); add(h + "ln_2_b", {C});
      add(h + "fc_w", {C, 4 * C}); add(h + "fc_b", {4 * C});
      add(h + "mlp_proj_w", {4 * C, C}); add(h + "mlp_proj_b", {C});
    }
    add("ln_f_w", {C});
    add("ln_f_b", {C});
  }
  void add(const std::string& name, const mt::Shape& shape) { register_parameter(name, mt::zeros(shape)); }
};

void allreduce_section() {
  Gpt2Shapes gpt2;
  int64_t n = 0;
  for (const auto& p : gpt2.parameters()) n += p.numel();
  const double mb = static_cast<double>(n) * 4 / 1e6;
  mt::Tensor flat = mt::ones({n});
  std::vector<double> reduce, copy;
  std::vector<float> src(static_cast<size_t>(n), 1.0f), dst(static_cast<size_t>(n));
  for (int it = 0; it < 5; ++it) {
    dist::barrier();
    const double t0 = now();
    dist::all_reduce(flat, dist::ReduceOp::Sum);
    reduce.push_back(slowest(now() - t0));
    dist::barrier();
    const double t1 = now();
    std::memcpy(dst.data(), src.data(), src.size() * sizeof(float));
    copy.push_back(slowest(now() - t1));
  }
  const Stats r = stats(reduce), c = stats(copy);
  row(fmt("all-reduce of %.0f floats / memcpy", static_cast<double>(n)), r.median / c.median,
      fmt("all-reduce %.1f ms (max %.1f), memcpy of %.0f MB %.1f ms", 1e3 * r.median, 1e3 * r.max, mb, 1e3 * c.median) +
          fmt(" (max %.1f), %.0f ranks", 1e3 * c.max, static_cast<double>(dist::world_size())));
  src.clear();
  src.shrink_to_fit();
  dst.clear();
  dst.shrink_to_fit();
  flat = mt::Tensor();
  dist::DataParallel ddp(gpt2);
  for (const auto& p : gpt2.parameters()) mt::accumulate_grad(p, mt::ones(p.shape()));
  std::vector<double> syncs;
  for (int it = 0; it < 5; ++it) {
    dist::barrier();
    const double t0 = now();
    ddp.sync_gradients();
    syncs.push_back(slowest(now() - t0));
  }
  const Stats s = stats(syncs);
  row("DataParallel sync of GPT-2's 148 gradients / all-reduce", s.median / r.median,
      fmt("%.1f ms (max %.1f), %.0f all-reduce calls (4 MiB buckets; a bigger gradient alone, in place)", 1e3 * s.median, 1e3 * s.max,
          static_cast<double>(ddp.last_sync().buckets)));
}

}  // namespace

int main(int argc, char** argv) {
  dist::init(&argc, &argv);
  const std::string section = argc > 1 ? argv[1] : "";
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  mt::set_num_threads(threads);
  int status = 0;
  try {
    if (section == "gpt") gpt_section(threads);
    else if (section == "embedding") embedding_section();
    else if (section == "allreduce") allreduce_section();
    else {
      if (dist::rank() == 0) std::fprintf(stderr, "usage: mpirun -np N microtorch_bench_ddp gpt|embedding|allreduce [threads]\n");
      status = 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_ddp: %s\n", e.what());
    status = 1;
  }
  dist::finalize();
  return status;
}
