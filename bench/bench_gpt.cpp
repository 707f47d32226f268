// The GPT step row: nanoGPT's CPU recipe (bench.h's Gpt sizes, tied head, no biases, N(0, 0.02) init with
// the residual projections at 0.02/sqrt(2L), clip 1.0, AdamW lr 1e-3 betas (0.9, 0.99) weight decay 0.1 on
// the 2-D parameters) as one step: forward, cross-entropy, zero_grad (to none), backward, clip, step.
// microtorch runs lesson 6's own model (tutorials/common/gpt_model.h); libtorch the same in torch::nn
// (torch_gpt.cpp). Figures: median and max step time of each (alternated, after warm-up), the ratio, the
// compute floor (the step's matmul FLOPs / the SGEMM rate on its shapes, timed in the same run), page faults
// per step, and peak RSS of each library alone (a fresh copy of this program running --peak).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <microtorch/microtorch.h>

#include "bench.h"
#include "gpt_model.h"

namespace mt = microtorch;
namespace F = microtorch::nn::functional;

namespace bench {

std::vector<int64_t> gpt_ids(int batch, bool targets) {
  return class_ids(Gpt::B * Gpt::T, Gpt::V, 1000 + 2 * static_cast<uint64_t>(batch) + (targets ? 1 : 0));
}

Workload mt_gpt_step() {
  struct State {
    tutorials::Gpt model{Gpt::V, Gpt::T, Gpt::C, Gpt::H, Gpt::L};
    std::unique_ptr<mt::optim::AdamW> opt;
    std::vector<mt::Tensor> params, x, y;
    int next = 0;
  };
  mt::manual_seed(1337);
  auto s = std::make_shared<State>();
  std::vector<mt::Tensor> decay, no_decay;  // weight decay on the matrices only
  for (const auto& p : s->model.parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  const auto adamw = mt::optim::AdamWOptions(1e-3).betas({0.9, 0.99}).eps(1e-8);
  std::vector<mt::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<mt::optim::AdamWOptions>(mt::optim::AdamWOptions(adamw).weight_decay(0.1)));
  groups.emplace_back(no_decay, std::make_unique<mt::optim::AdamWOptions>(mt::optim::AdamWOptions(adamw).weight_decay(0.0)));
  s->opt = std::make_unique<mt::optim::AdamW>(std::move(groups), adamw);
  s->params = s->model.parameters();
  for (int i = 0; i < Gpt::kBatches; ++i) {
    s->x.push_back(mt::tensor(gpt_ids(i, false), {Gpt::B, Gpt::T}));
    s->y.push_back(mt::tensor(gpt_ids(i, true), {Gpt::B * Gpt::T}));
  }
  return [s] {
    const int i = s->next++ % Gpt::kBatches;
    const mt::Tensor loss = F::cross_entropy(s->model.forward(s->x[i]).view({Gpt::B * Gpt::T, Gpt::V}), s->y[i]);
    s->opt->zero_grad();
    loss.backward();
    mt::nn::utils::clip_grad_norm_(s->params, 1.0);
    s->opt->step();
  };
}

namespace {

// Peak RSS of `name` alone: a fresh copy of this program runs `--peak name 5` and prints its peak resident bytes
// and its resident bytes at the start.
struct Peak {
  double bytes, above_start;  // -1 when the copy failed
  std::string str() const { return bytes < 0 ? "n/a" : mb(bytes) + " (" + mb(above_start) + " above its start)"; }
};
Peak peak_of(const char* name) {
  char cmd[512];
  std::snprintf(cmd, sizeof cmd, "/proc/%d/exe --peak %s 5", static_cast<int>(getpid()), name);
  FILE* p = popen(cmd, "r");
  long long peak = -1, base = -1;
  if (p) {
    if (std::fscanf(p, "%lld %lld", &peak, &base) != 2) peak = -1;
    pclose(p);
  }
  return {static_cast<double>(peak), static_cast<double>(peak - base)};
}

}  // namespace

void gpt_section(int threads, bool targets) {
  header("GPT step, " + threads_label(threads),
         "nanoGPT's CPU recipe: L 4, H 4, C 128, T 64, B 12, V 65, tied head, clip 1.0, AdamW; medians of 30 alternated steps");
  Workload mine = mt_gpt_step();
#ifdef MICROTORCH_BENCH_LIBTORCH
  const Pair p = median_pair(here(mine), libtorch("gpt"), 5, 30);
  Figure step = pair_figure("GPT step: fwd, bwd, clip, AdamW", p, "libtorch", ms);
  step.cmp = targets ? "<=" : nullptr, step.target = 0.8;
  row(step);
  const double mine_s = p.a;
#else
  (void)targets;
  const double mine_s = median_seconds(mine, 5, 30);
  row(figure("GPT step: fwd, bwd, clip, AdamW", ms(mine_s)));
#endif
  const double flops = gpt_step_flops(), gemm = gpt_sgemm_seconds();
  char buf[128];
  std::snprintf(buf, sizeof buf, "OpenBLAS SGEMM on the step's matmuls %s (%.2f GFLOP at %.1f GFLOP/s)", ms(gemm).c_str(),
                flops / 1e9, flops / gemm / 1e9);
  Figure floor = figure("GPT step / its compute floor", ms(mine_s));
  floor.baseline = buf, floor.ratio = mine_s / gemm;
  row(floor);
  std::snprintf(buf, sizeof buf, "%.0f", page_faults_per_call(mine, 1, 10));
  Figure faults = figure("page faults per step", buf);
  const Peak ours = peak_of("gpt");
  Figure rss = figure("peak RSS over 5 steps, each library alone", ours.str());
#ifdef MICROTORCH_BENCH_LIBTORCH
  std::snprintf(buf, sizeof buf, "libtorch %.0f", libtorch_page_faults("gpt", 1, 10));
  faults.baseline = buf;
  const Peak theirs = peak_of("torch_gpt");
  rss.baseline = "libtorch " + theirs.str();
  if (ours.bytes > 0 && theirs.bytes > 0) rss.ratio = ours.bytes / theirs.bytes;
#endif
  row(faults);
  row(rss);
}

}  // namespace bench
