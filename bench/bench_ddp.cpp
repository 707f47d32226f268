// Data parallel figures, run by bench/run_ddp (each section one run of this program, alone or under mpirun):
//   gpt1       nanoGPT's CPU recipe step (lesson 6's model: B 12, T 64, C 128, L 4) in one process, blocks at
//              1 and at 2 threads alternated; saves its medians to --state FILE for gpt2
//   gpt2       the same step on every rank of this run, each on B / ranks windows, gradients averaged by
//              DataParallel: the slowest rank's step against gpt1's, and the share spent in sync_gradients()
//              after the ranks meet (all that overlapping the sync with the backward could hide)
//   embedding  the embedding's gradient at GPT-2 scale (B 8, T 1024, V 50257, C 768) split over the ranks:
//              bytes a rank sends per step as rows against the dense (V, C) table, and the sync's time against
//              a dense all-reduce of the table, for uniform ids and for tinyshakespeare's GPT-2 tokens
//   allreduce  one all-reduce of GPT-2 124M's gradient (124,439,808 floats) against a memcpy of its bytes,
//              and DataParallel's sync of the same floats as GPT-2's 148 tensors
// Usage: [mpirun -np N] microtorch_bench_ddp SECTION [--state FILE] [--rows FILE]   (rows as bench/bench.h)
#include <microtorch/microtorch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench.h"
#include "gpt_model.h"

namespace mt = microtorch;
namespace dist = microtorch::distributed;
namespace F = microtorch::nn::functional;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double slowest(double seconds) {  // a collective step is as slow as its slowest rank
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
std::string ms_of(const Stats& s) { return bench::ms(s.median) + " (max " + bench::ms(s.max) + ")"; }

void emit(const std::string& what, const std::string& mine, const std::string& baseline, double ratio) {
  if (dist::rank() != 0) return;
  bench::Figure f = bench::figure(what, mine);
  f.baseline = baseline;
  f.ratio = ratio;
  bench::row(f);
}

// --- the nanoGPT step ---
constexpr int64_t kV = 65, kL = 4, kH = 4, kC = 128, kT = 64, kB = 12;

struct GptStep {
  tutorials::Gpt model{kV, kT, kC, kH, kL};
  std::unique_ptr<mt::optim::AdamW> opt;
  std::vector<mt::Tensor> params, xs, ys;
  int64_t share;
  GptStep(int rank, int world) : share(kB / world) {
    std::vector<mt::Tensor> decay, no_decay;  // weight decay on the matrices only, as the recipe
    for (const auto& p : model.parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
    const auto adamw = mt::optim::AdamWOptions(1e-3).betas({0.9, 0.99}).eps(1e-8);
    std::vector<mt::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<mt::optim::AdamWOptions>(mt::optim::AdamWOptions(adamw).weight_decay(0.1)));
    groups.emplace_back(no_decay, std::make_unique<mt::optim::AdamWOptions>(mt::optim::AdamWOptions(adamw).weight_decay(0.0)));
    opt = std::make_unique<mt::optim::AdamW>(std::move(groups), adamw);
    params = model.parameters();
    for (int i = 0; i < 4; ++i) {  // four fixed batches, this rank's share of each
      const mt::Tensor mine = mt::randint(0, kV, {kB, kT + 1}).narrow(0, rank * share, share);
      xs.push_back(mine.narrow(1, 0, kT).contiguous());
      ys.push_back(mine.narrow(1, 1, kT).contiguous().view({share * kT}));
    }
  }
  void forward_backward(int i) {
    const mt::Tensor loss = F::cross_entropy(model.forward(xs[i % 4]).view({share * kT, kV}), ys[i % 4]);
    opt->zero_grad();
    loss.backward();
  }
  void update() {
    mt::nn::utils::clip_grad_norm_(params, 1.0);
    opt->step();
  }
};

void gpt1_section(const std::string& state) {
  mt::manual_seed(1337);
  GptStep s(0, 1);
  std::vector<double> times[2];
  for (int block = 0; block < 10; ++block) {
    for (int t = 0; t < 2; ++t) {  // 1 thread, then 2: alternated, so a busy spell hits both
      mt::set_num_threads(t + 1);
      for (int i = 0; i < 6; ++i) {
        const double t0 = now();
        s.forward_backward(i);
        s.update();
        if (i > 0) times[t].push_back(now() - t0);  // the first after a switch warms the threads up
      }
    }
  }
  const Stats one = stats(times[0]), two = stats(times[1]);
  emit("step, 1 rank x 2 threads / 1 rank x 1 thread", ms_of(two), "1 rank x 1 thread " + ms_of(one), two.median / one.median);
  std::ofstream(state) << one.median << " " << one.max << " " << two.median << " " << two.max << "\n";
}

void gpt2_section(const std::string& state) {
  const int world = dist::world_size(), rank = dist::rank();
  if (kB % world != 0) throw std::invalid_argument("bench_ddp gpt2: the ranks must divide B = 12");
  mt::manual_seed(1337);
  GptStep s(rank, world);
  dist::DataParallel ddp(s.model);
  std::vector<double> steps, syncs;
  for (int it = 0; it < 50; ++it) {
    dist::barrier();  // every rank starts the step together
    const double t0 = now();
    s.forward_backward(it);
    dist::barrier();  // the ranks' backward ends apart: that wait is not communication
    const double t1 = now();
    ddp.sync_gradients();
    const double t2 = now();
    s.update();
    const double step = slowest(now() - t0), sync = slowest(t2 - t1);
    if (it >= 5) {
      steps.push_back(step);
      syncs.push_back(sync);
    }
  }
  const Stats st = stats(steps), sy = stats(syncs);
  Stats one{0, 0}, two{0, 0};
  std::ifstream in(state);
  if (!(in >> one.median >> one.max >> two.median >> two.max) && rank == 0)
    std::fprintf(stderr, "bench_ddp gpt2: no gpt1 figures in %s\n", state.c_str());
  const std::string label = std::to_string(world) + " ranks x 1 thread";
  emit("step, " + label + " / 1 rank x 2 threads", ms_of(st), "1 rank x 2 threads " + ms_of(two), st.median / two.median);
  emit("step, " + label + " / 1 rank x 1 thread", ms_of(st), "1 rank x 1 thread " + ms_of(one), st.median / one.median);
  emit("sync_gradients in the " + label + " step (what overlap could hide)", ms_of(sy), "the step " + ms_of(st),
       sy.median / st.median);
}

// --- the embedding at GPT-2 scale ---
std::vector<int64_t> shakespeare_tokens(int64_t n) {
  const std::string top = MICROTORCH_SOURCE_DIR;
  std::ifstream in(top + "/data/tinyshakespeare.txt");
  std::stringstream text;
  text << in.rdbuf();
  const auto tok = mt::text::GPT2Tokenizer::from_files(top + "/data/gpt2/encoder.json", top + "/data/gpt2/vocab.bpe");
  std::vector<int64_t> ids = tok.encode(text.str());
  if (static_cast<int64_t>(ids.size()) < n) throw std::runtime_error("bench_ddp: tinyshakespeare is too short");
  ids.resize(static_cast<size_t>(n));  // its first B * T tokens, B windows of T one after another
  return ids;
}

void embedding_section() {
  constexpr int64_t V = 50257, C = 768, B = 8, T = 1024;
  const int world = dist::world_size(), rank = dist::rank();
  const int64_t share = B / world;
  mt::Tensor dense = mt::ones({V, C});  // the table's gradient all-reduced dense, for the time
  std::vector<double> dense_times;
  for (int it = 0; it < 5; ++it) {
    dist::barrier();
    const double t0 = now();
    dist::all_reduce(dense, dist::ReduceOp::Avg);
    dense_times.push_back(slowest(now() - t0));
  }
  const Stats d = stats(dense_times);
  mt::manual_seed(5);
  const std::vector<std::pair<std::string, mt::Tensor>> sources = {
      {"uniform ids", mt::randint(0, V, {B, T})}, {"tinyshakespeare", mt::tensor(shakespeare_tokens(B * T), {B, T})}};
  const mt::Tensor grad_out = mt::randn({share, T, C});
  for (const bool sparse : {false, true}) {
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C).sparse(sparse));
    dist::DataParallel ddp(emb);
    for (const auto& [name, ids] : sources) {
      const mt::Tensor mine = ids.narrow(0, rank * share, share).contiguous();
      std::vector<double> times;
      for (int it = 0; it < 7; ++it) {
        emb.zero_grad();
        emb(mine).backward(grad_out);
        dist::barrier();
        const double t0 = now();
        ddp.sync_gradients();
        times.push_back(slowest(now() - t0));
      }
      mt::Tensor sent = mt::tensor({static_cast<float>(ddp.last_sync().row_bytes)}, {1});
      dist::all_reduce(sent, dist::ReduceOp::Max);  // the busiest rank's bytes
      const std::string mode = sparse ? "sparse" : "row-tracked";
      const double dense_bytes = static_cast<double>(ddp.last_sync().rows_as_dense_bytes);
      if (!sparse)  // the bytes are the same in both modes
        emit("bytes per rank per step, rows / dense (" + name + ")",
             bench::mb(sent.item<double>()) + ", " + std::to_string(ddp.last_sync().rows) + " distinct ids on rank 0",
             "dense (V, C) " + bench::mb(dense_bytes), sent.item<double>() / dense_bytes);
      emit("sync, rows / dense all-reduce (" + mode + ", " + name + ")", ms_of(stats(times)),
           "dense all-reduce of the table " + ms_of(d), stats(times).median / d.median);
    }
  }
}

// --- GPT-2 124M's gradient ---
struct Gpt2Shapes : mt::nn::Module {  // GPT-2 small's parameters by shape (the head tied to wte)
  Gpt2Shapes() {
    const int64_t V = 50257, P = 1024, C = 768;
    add("wte", {V, C});
    add("wpe", {P, C});
    for (int l = 0; l < 12; ++l) {
      const std::string h = "h." + std::to_string(l) + ".";
      for (const char* ln : {"ln_1.", "ln_2."}) {
        add(h + ln + "weight", {C});
        add(h + ln + "bias", {C});
      }
      add(h + "attn.c_attn.weight", {C, 3 * C});
      add(h + "attn.c_attn.bias", {3 * C});
      add(h + "attn.c_proj.weight", {C, C});
      add(h + "attn.c_proj.bias", {C});
      add(h + "mlp.c_fc.weight", {C, 4 * C});
      add(h + "mlp.c_fc.bias", {4 * C});
      add(h + "mlp.c_proj.weight", {4 * C, C});
      add(h + "mlp.c_proj.bias", {C});
    }
    add("ln_f.weight", {C});
    add("ln_f.bias", {C});
  }
  void add(std::string name, const mt::Shape& shape) {  // GPT-2's dotted path, '_' for '.' (a name has no '.')
    std::replace(name.begin(), name.end(), '.', '_');
    register_parameter(name, mt::zeros(shape));
  }
};

void allreduce_section() {
  Gpt2Shapes gpt2;
  int64_t n = 0;
  for (const auto& p : gpt2.parameters()) n += p.numel();
  Stats r{0, 0}, c{0, 0};
  {
    mt::Tensor flat = mt::ones({n});
    std::vector<float> src(static_cast<size_t>(n), 1.0f), dst(static_cast<size_t>(n), 0.0f);
    std::vector<double> reduce, copy;
    for (int it = 0; it < 6; ++it) {  // alternated
      dist::barrier();
      const double t0 = now();
      dist::all_reduce(flat, dist::ReduceOp::Sum);
      reduce.push_back(slowest(now() - t0));
      dist::barrier();
      const double t1 = now();
      std::memcpy(dst.data(), src.data(), src.size() * sizeof(float));
      copy.push_back(slowest(now() - t1));
    }
    r = stats(reduce);
    c = stats(copy);
  }
  emit("all-reduce of GPT-2 124M's gradient / memcpy", ms_of(r) + ", " + std::to_string(n) + " floats",
       "memcpy of " + bench::mb(4.0 * static_cast<double>(n)) + " " + ms_of(c), r.median / c.median);
  dist::DataParallel ddp(gpt2);
  for (const auto& p : gpt2.parameters()) mt::accumulate_grad(p, mt::ones(p.shape()));
  std::vector<double> syncs;
  for (int it = 0; it < 5; ++it) {
    dist::barrier();
    const double t0 = now();
    ddp.sync_gradients();
    syncs.push_back(slowest(now() - t0));
  }
  emit("DataParallel sync of GPT-2's 148 gradients / one all-reduce",
       ms_of(stats(syncs)) + ", " + std::to_string(ddp.last_sync().buckets) + " buckets",
       "one all-reduce " + ms_of(r), stats(syncs).median / r.median);
}

}  // namespace

int main(int argc, char** argv) {
  dist::init(&argc, &argv);
  const std::string section = argc > 1 ? argv[1] : "";
  std::string state = "/tmp/microtorch_bench_ddp_gpt1";
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--state") state = argv[++i];
    else if (std::string(argv[i]) == "--rows" && dist::rank() == 0) bench::open_rows(argv[++i]);
  }
  mt::set_num_threads(1);
  int status = 0;
  try {
    const std::string ranks = std::to_string(dist::world_size()) + (dist::world_size() == 1 ? " rank" : " ranks");
    if (dist::rank() == 0 && section != "gpt2")
      bench::header(section == "allreduce" ? "data parallel: GPT-2 124M's gradient, " + ranks
                    : section == "embedding" ? "data parallel: the embedding at GPT-2 scale, " + ranks
                                             : "data parallel: nanoGPT's CPU recipe step",
                    section == "embedding" ? "B 8, T 1024, V 50257, C 768, each rank on B / ranks windows" :
                    section == "allreduce" ? "between local ranks (OpenMPI, shared memory)" :
                    "lesson 6's model and recipe (B 12, T 64); N ranks: each on B / N windows, DataParallel");
    if (section == "gpt1") gpt1_section(state);
    else if (section == "gpt2") gpt2_section(state);
    else if (section == "embedding") embedding_section();
    else if (section == "allreduce") allreduce_section();
    else {
      std::fprintf(stderr, "usage: [mpirun -np N] microtorch_bench_ddp gpt1|gpt2|embedding|allreduce [--state F] [--rows F]\n");
      status = 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_ddp: %s\n", e.what());
    status = 1;
  }
  dist::finalize();
  return status;
}
