// The GPT step row: nanoGPT's CPU recipe (bench.h's Gpt sizes, tied head, no biases, N(0, 0.02) init with
// the residual projections at 0.02/sqrt(2L), clip 1.0, AdamW lr 1e-3 betas (0.9, 0.99) weight decay 0.1 on
// the 2-D parameters) as one step: forward, cross-entropy, zero_grad (to none), backward, clip, step.
// microtorch runs lesson 6's own model (tutorials/common/gpt_model.h); libtorch the same in torch::nn
// (torch_gpt.cpp). Printed: median and max step time of each (alternated, after warm-up), the ratio, the
// compute floor (the step's matmul FLOPs / SGEMM rate on its shapes, measured here), page faults per
// step, and peak RSS of each library alone (a fresh copy of this program running --peak).
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

// Peak RSS of `name` alone: a fresh copy of this program runs `--peak name 5` and prints the bytes.
std::string peak_of(const char* name) {
  char cmd[512];
  std::snprintf(cmd, sizeof cmd, "/proc/%d/exe --peak %s 5", static_cast<int>(getpid()), name);
  FILE* p = popen(cmd, "r");
  long long peak = -1, base = -1;
  if (p) {
    if (std::fscanf(p, "%lld %lld", &peak, &base) != 2) peak = -1;
    pclose(p);
  }
  if (peak < 0) return "n/a";
  char buf[80];
  std::snprintf(buf, sizeof buf, "%.1f MB (%.1f MB above the program's start)", peak / 1048576.0, (peak - base) / 1048576.0);
  return buf;
}

}  // namespace

void gpt_section(int threads, bool targets) {
  header("GPT step, nanoGPT's CPU recipe (L 4, H 4, C 128, T 64, B 12, tied head, clip 1.0, AdamW), " +
         std::to_string(threads) + " thread" + (threads > 1 ? "s" : ""));
  const char* tun = std::getenv("GLIBC_TUNABLES");
  std::printf("  glibc malloc: %s\n", tun && *tun ? (std::string("GLIBC_TUNABLES=") + tun + " (keeps freed memory)").c_str()
                                                  : "default (BENCH_GLIBC_KEEP unset: freed memory is trimmed)");
  Workload mine = mt_gpt_step();
  char buf[256];
#ifdef MICROTORCH_BENCH_LIBTORCH
  const Pair p = median_pair(here(mine), libtorch("gpt"), 5, 30);
  std::snprintf(buf, sizeof buf, "(%s vs libtorch %s; max %s vs %s)", ms(p.a).c_str(), ms(p.b).c_str(),
                ms(p.a_max).c_str(), ms(p.b_max).c_str());
  row("GPT step: fwd, bwd, clip, AdamW", p.a / p.b, buf, targets ? "<=" : nullptr, 0.8);
  const double mine_s = p.a, theirs_s = p.b;
#else
  const double mine_s = median_seconds(mine, 5, 30), theirs_s = 0;
  std::snprintf(buf, sizeof buf, "ms per step (no libtorch to compare with)");
  row("GPT step: fwd, bwd, clip, AdamW", mine_s * 1e3, buf);
#endif
  const double flops = gpt_step_flops(), gemm = gpt_sgemm_seconds();
  std::printf("  compute floor: %.2f GFLOP of matmuls per step / %.1f GFLOP/s SGEMM on the step's shapes = %s "
              "(microtorch at %.2fx the floor", flops / 1e9, flops / gemm / 1e9, ms(gemm).c_str(), mine_s / gemm);
  if (theirs_s > 0) std::printf(", libtorch at %.2fx", theirs_s / gemm);
  std::printf(")\n");
  std::printf("  page faults per step: microtorch %.0f", page_faults_per_call(mine, 1, 10));
#ifdef MICROTORCH_BENCH_LIBTORCH
  std::printf(", libtorch %.0f", libtorch_page_faults("gpt", 1, 10));
#endif
  std::printf("\n  peak RSS over 5 steps, each library alone: microtorch %s", peak_of("gpt").c_str());
#ifdef MICROTORCH_BENCH_LIBTORCH
  std::printf("; libtorch %s", peak_of("torch_gpt").c_str());
#endif
  std::printf("\n");
}

}  // namespace bench
