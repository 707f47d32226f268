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
  const char* ge = targets ? ">=" : nullptr;
  header("embedding, " + std::to_string(threads) + " thread" + (threads > 1 ? "s" : ""));
  char buf[256];
  {
    auto gather = mt_gather();
    Pair p = median_pair(gather, mt_memcpy(), 5, 30);
    std::snprintf(buf, sizeof buf, "(%s, max %s, vs memcpy of %.1f MB %s, max %s; 30 runs)", ms(p.a).c_str(),
                  ms(p.a_max).c_str(), B * T * C * 4 / 1e6, ms(p.b).c_str(), ms(p.b_max).c_str());
    row("gather (Embedding forward) / memcpy, median", p.a / p.b, buf, le, 1.1);
    row("gather: slowest of 30 runs / its median", p.a_max / p.a, "(outliers)", le, 2.0);
#ifdef MICROTORCH_BENCH_LIBTORCH
    Pair q = median_pair(here(gather), libtorch("gather"), 5, 30);
    std::snprintf(buf, sizeof buf, "(%s vs libtorch %s)", ms(q.a).c_str(), ms(q.b).c_str());
    row("gather / libtorch embedding forward", q.a / q.b, buf);
#endif
  }
#ifdef MICROTORCH_BENCH_LIBTORCH
  {
    Pair p = median_pair(here(mt_embedding_step(true)), libtorch("sparse"), 3, 15);
    std::snprintf(buf, sizeof buf, "(%s vs libtorch sparse %s)", ms(p.a).c_str(), ms(p.b).c_str());
    row("sparse step / libtorch sparse step", p.a / p.b, buf, le, 0.5);
  }
  {
    Pair p = median_pair(here(mt_embedding_step(false)), libtorch("dense"), 2, 9);
    std::snprintf(buf, sizeof buf, "(%s vs libtorch dense %s)", ms(p.a).c_str(), ms(p.b).c_str());
    row("default-mode step / libtorch dense step", p.a / p.b, buf, le, 0.1);
  }
  {
    Pair p = median_pair(here(mt_mlp_step()), libtorch("mlp"), 3, 21, 200);
    std::snprintf(buf, sizeof buf, "(%s vs libtorch %s)", us(p.a).c_str(), us(p.b).c_str());
    row("makemore MLP step / libtorch", p.a / p.b, buf, le, 0.33);
  }
  {
    Pair p = median_pair(here(mt_bigram_step()), libtorch("bigram"), 3, 21, 500);
    std::snprintf(buf, sizeof buf, "(%s vs libtorch %s)", us(p.a).c_str(), us(p.b).c_str());
    row("bigram step / libtorch", p.a / p.b, buf, le, 0.33);
  }
  {
    const double flop = 2.0 * kRows * C * V;
    Pair p = median_pair(here(mt_tied_gemm()), libtorch("tied"), 1, 5);
    std::snprintf(buf, sizeof buf, "(%.1f vs libtorch %.1f GFLOP/s, (%lld x %lld) x (%lld x %lld)^T)", flop / p.a / 1e9,
                  flop / p.b / 1e9, (long long)kRows, (long long)C, (long long)V, (long long)C);
    row("tied-head GEMM GFLOP/s / libtorch", p.b / p.a, buf, ge, 0.9);
  }
#else
  (void)ge;
  {
    const double t = median_seconds(mt_tied_gemm(), 1, 5);
    row("tied-head GEMM", 2.0 * kRows * C * V / t / 1e9, "GFLOP/s (no libtorch to compare with)");
  }
#endif
  row("makemore MLP step", static_cast<double>(allocations_per_call(mt_mlp_step())), "(heap allocations per call)");
  row("bigram step", static_cast<double>(allocations_per_call(mt_bigram_step())), "(heap allocations per call)");
}

// Page faults per GPT-2-scale step, with the storage cache off (each step's 25 MB buffers are fresh pages)
// and on; libtorch beside them.
static void page_faults() {
  header("minor page faults per GPT-2-scale embedding step (getrusage, 10 steps after 3)");
  char buf[128];
  for (bool sparse : {true, false}) {
    const char* mode = sparse ? "sparse step" : "default-mode step";
    mt::set_storage_cache_enabled(false);
    const double off = page_faults_per_call(mt_embedding_step(sparse), 3, 10);
    mt::set_storage_cache_enabled(true);
    const double on = page_faults_per_call(mt_embedding_step(sparse), 3, 10);
    std::snprintf(buf, sizeof buf, "(faults/step: cache off %.0f, on %.0f)", off, on);
    row(std::string("microtorch ") + mode + ", cache on / off", off > 0 ? on / off : 0.0, buf);
#ifdef MICROTORCH_BENCH_LIBTORCH
    std::snprintf(buf, sizeof buf, "(faults/step)");
    row(std::string("libtorch ") + mode, libtorch_page_faults(sparse ? "sparse" : "dense", 3, 10), buf);
#endif
  }
}

// Peak RSS first: its children fork before this process has run libtorch, whose OpenMP threads a forked
// child would wait for forever.
void memory_section() {
  header("peak resident memory of one GPT-2-scale embedding step (V=" + std::to_string(V) + ", C=" + std::to_string(C) +
         ", B=" + std::to_string(B) + ", T=" + std::to_string(T) + "; VmHWM in a forked child, minus its RSS at the start)");
  const double table = V * C * 4 / 1e6;
  // The child starts with the parent's cached blocks already resident: it drops them first, so the step
  // pays for its own memory.
  const Workload drop_cache = [] { mt::empty_storage_cache(); };
  auto report = [&](const char* what, int64_t bytes) {
    std::printf("  %-46s %7.1f MB   (%.2f x the %.0f MB table)\n", what, bytes / 1e6, bytes / 1e6 / table, table);
  };
  auto three_steps = [](std::function<Workload()> make) {
    return [make] {
      auto step = make();
      for (int i = 0; i < 3; ++i) step();
    };
  };
  report("microtorch sparse step", peak_rss_in_child(three_steps([] { return mt_embedding_step(true); }), drop_cache));
  report("microtorch default-mode step", peak_rss_in_child(three_steps([] { return mt_embedding_step(false); }), drop_cache));
  mt::set_storage_cache_enabled(false);
  report("  the same, storage cache off: sparse", peak_rss_in_child(three_steps([] { return mt_embedding_step(true); }), drop_cache));
  report("  the same, storage cache off: default-mode", peak_rss_in_child(three_steps([] { return mt_embedding_step(false); }), drop_cache));
  mt::set_storage_cache_enabled(true);
#ifdef MICROTORCH_BENCH_LIBTORCH
  report("libtorch sparse step", peak_rss_in_child(three_steps([] { return torch_embedding_step(true); })));
  report("libtorch dense step", peak_rss_in_child(three_steps([] { return torch_embedding_step(false); })));
#endif
  page_faults();
}

}  // namespace bench
