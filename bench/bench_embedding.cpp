// The embedding rows: the gather against memcpy (median and max of 30 runs) and libtorch, the sparse and
// default-mode GPT-2-scale steps, the makemore MLP and bigram steps, the tied-head GEMM, heap allocations,
// page faults per step with and without the storage cache, and peak resident memory.
#include <cstdio>
#include <cstring>
#include <memory>

#include <microtorch/microtorch.h>

#include "bench.h"

namespace mt = microtorch;
namespace F = microtorch::nn::functional;

namespace bench {

static mt::Tensor ids_tensor(const std::vector<int64_t>& v, const mt::Shape& shape) { return mt::tensor(v, shape); }

static Workload mt_gather() {
  auto emb = std::make_shared<mt::nn::Embedding>(mt::nn::EmbeddingOptions(V, C));
  auto ids = ids_tensor(inputs().ids, {B, T});
  return [emb, ids] {
    mt::NoGradGuard no_grad;
    mt::Tensor out = (*emb)(ids);  // (B, T, C)
  };
}

static Workload mt_memcpy() {
  auto src = std::make_shared<std::vector<float>>(B * T * C, 1.0f);
  auto dst = std::make_shared<std::vector<float>>(B * T * C, 0.0f);
  return [src, dst] { std::memcpy(dst->data(), src->data(), src->size() * sizeof(float)); };
}

static Workload mt_embedding_step(bool sparse) {
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

static Workload mt_mlp_step() {
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

static Workload mt_bigram_step() {
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

static Workload mt_tied_gemm() {
  auto x = mt::randn({kRows, C});
  auto w = mt::randn({V, C});
  return [x, w] {
    mt::NoGradGuard no_grad;
    mt::Tensor logits = F::linear(x, w);  // (kRows, V)
  };
}

Workload mt_workload(const std::string& name) {
  return name == "gather" ? mt_gather()
         : name == "sparse" ? mt_embedding_step(true)
         : name == "default" ? mt_embedding_step(false)
         : name == "mlp" ? mt_mlp_step()
         : name == "bigram" ? mt_bigram_step()
         : name == "gpt" ? mt_gpt_step()
         : Workload();
}

void embedding_section(int threads, bool targets) {
  const char* le = targets ? "<=" : nullptr;
  header("embedding, " + threads_label(threads), "GPT-2 scale (V 50257, C 768, B 8, T 1024) unless said; makemore: batch 32");
  {
    auto gather = mt_gather();
    const Pair p = median_pair(gather, mt_memcpy(), 5, 30);
    char memcpy_name[64];
    std::snprintf(memcpy_name, sizeof memcpy_name, "memcpy of %.1f MB", B * T * C * 4 / 1e6);
    Figure f = pair_figure("gather (Embedding forward) / memcpy", p, memcpy_name, ms);
    f.cmp = le, f.target = 1.1;
    row(f);
    row({"gather: slowest of 30 blocks / its median", "max " + ms(p.a_max) + ", median " + ms(p.a), "", p.a_max / p.a,
         false, le, 2.0});
#ifdef MICROTORCH_BENCH_LIBTORCH
    row(pair_figure("gather / libtorch embedding forward", median_pair(here(gather), libtorch("gather"), 5, 30),
                    "libtorch", ms));
#endif
  }
#ifdef MICROTORCH_BENCH_LIBTORCH
  auto versus = [&](const char* what, const Workload& mine, const char* theirs, int warmup, int reps, int inner,
                    std::string (*unit)(double), double target) {
    Figure f = pair_figure(what, median_pair(here(mine), libtorch(theirs), warmup, reps, inner), "libtorch", unit);
    f.cmp = le, f.target = target;
    row(f);
  };
  versus("sparse step / libtorch sparse step", mt_embedding_step(true), "sparse", 3, 15, 1, ms, 0.5);
  versus("default-mode step / libtorch dense step", mt_embedding_step(false), "dense", 2, 9, 1, ms, 0.1);
  versus("makemore MLP step / libtorch", mt_mlp_step(), "mlp", 3, 21, 200, us, 0.33);
  versus("bigram step / libtorch", mt_bigram_step(), "bigram", 3, 21, 500, us, 0.33);
  {
    const double flop = 2.0 * kRows * C * V;
    const Pair p = median_pair(here(mt_tied_gemm()), libtorch("tied"), 1, 5);
    auto rate = [flop](double median, double max) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f GFLOP/s (slowest %.1f)", flop / median / 1e9, flop / max / 1e9);
      return std::string(buf);
    };
    row({"tied-head GEMM (1024 x 768)(768 x 50257) GFLOP/s / libtorch", rate(p.a, p.a_max), "libtorch " + rate(p.b, p.b_max),
         p.b / p.a, true, targets ? ">=" : nullptr, 0.9});
  }
#else
  {
    const double t = median_seconds(mt_tied_gemm(), 1, 5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GFLOP/s", 2.0 * kRows * C * V / t / 1e9);
    row(figure("tied-head GEMM (1024 x 768)(768 x 50257) GFLOP/s", buf));
  }
#endif
  row(figure("makemore MLP step: heap allocations per call", std::to_string(allocations_per_call(mt_mlp_step()))));
  row(figure("bigram step: heap allocations per call", std::to_string(allocations_per_call(mt_bigram_step()))));
}

// Peak RSS first: its children fork before this process has run libtorch, whose OpenMP threads a forked
// child would wait for forever. Then minor page faults per step, with the storage cache off (each step's
// 25 MB buffers are fresh pages) and on.
void memory_section(int threads) {
  header("memory, " + threads_label(threads),
         "one GPT-2-scale embedding step (V 50257, C 768, B 8, T 1024; the table is " + mb(V * C * 4.0) +
             "): peak RSS over 3 steps in a forked child, minus its RSS at the start; minor page faults per step "
             "(getrusage, 10 steps after 3)");
  // The child starts with the parent's cached blocks already resident: it drops them first, so the step
  // pays for its own memory.
  const Workload drop_cache = [] { mt::empty_storage_cache(); };
  auto three_steps = [](std::function<Workload()> make) {
    return [make] {
      auto step = make();
      for (int i = 0; i < 3; ++i) step();
    };
  };
  double peak[2], peak_no_cache[2], faults[2], faults_no_cache[2];  // [sparse, default mode]
  for (int sparse : {1, 0}) {
    const auto make = [sparse] { return mt_embedding_step(sparse); };
    peak[sparse] = static_cast<double>(peak_rss_in_child(three_steps(make), drop_cache));
    mt::set_storage_cache_enabled(false);
    peak_no_cache[sparse] = static_cast<double>(peak_rss_in_child(three_steps(make), drop_cache));
    faults_no_cache[sparse] = page_faults_per_call(make(), 3, 10);
    mt::set_storage_cache_enabled(true);
    faults[sparse] = page_faults_per_call(make(), 3, 10);
  }
#ifdef MICROTORCH_BENCH_LIBTORCH
  const double torch_peak[2] = {static_cast<double>(peak_rss_in_child(three_steps([] { return torch_embedding_step(false); }))),
                                static_cast<double>(peak_rss_in_child(three_steps([] { return torch_embedding_step(true); })))};
  const double torch_faults[2] = {libtorch_page_faults("dense", 3, 10), libtorch_page_faults("sparse", 3, 10)};
#endif
  char buf[64];
  for (int sparse : {1, 0}) {
    const std::string step = sparse ? "sparse step" : "default-mode step";
    Figure rss = figure("peak RSS, " + step, mb(peak[sparse]) + " (storage cache off: " + mb(peak_no_cache[sparse]) + ")");
    std::snprintf(buf, sizeof buf, "%.0f (storage cache off: %.0f)", faults[sparse], faults_no_cache[sparse]);
    Figure pf = figure("page faults per " + step, buf);
#ifdef MICROTORCH_BENCH_LIBTORCH
    const char* theirs = sparse ? "libtorch sparse " : "libtorch dense ";
    rss.baseline = theirs + mb(torch_peak[sparse]);
    rss.ratio = peak[sparse] / torch_peak[sparse];
    std::snprintf(buf, sizeof buf, "%.0f", torch_faults[sparse]);
    pf.baseline = theirs + std::string(buf);
#endif
    row(rss);
    row(pf);
  }
}

}  // namespace bench
