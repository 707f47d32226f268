// libFuzzer target: nn::Embedding forward + backward (+ an SGD step) with ids, shapes and options taken
// from the input. Invariants: a rejected call throws std::out_of_range or std::invalid_argument and
// leaves the weight bit-identical; an accepted one returns weight rows for its ids, and its gradient
// matches a naive scatter-add (padding row zero, 1/count scaling) whether sparse or dense.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>
#include <microtorch/microtorch.h>

#include "common.h"

namespace mt = microtorch;
using fuzz::require;

const char* const fuzz::target = "fuzz_embedding";

static mt::nn::EmbeddingOptions options_from(FuzzedDataProvider& in) {
  // Sizes mostly valid, sometimes zero or negative to reach the constructor's checks.
  const int64_t V = in.ConsumeIntegralInRange<int64_t>(-1, 24);
  const int64_t C = in.ConsumeIntegralInRange<int64_t>(-1, 8);
  mt::nn::EmbeddingOptions o(V, C);
  if (in.ConsumeBool()) o.padding_idx(in.ConsumeIntegralInRange<int64_t>(-30, 30));
  if (in.ConsumeBool()) o.max_norm(in.ConsumeBool() ? in.ConsumeFloatingPointInRange<double>(-1.0, 4.0)
                                                    : in.ConsumeFloatingPoint<double>());
  if (in.ConsumeBool()) o.norm_type(in.ConsumeBool() ? in.ConsumeFloatingPointInRange<double>(-1.0, 4.0)
                                                     : in.ConsumeFloatingPoint<double>());
  o.scale_grad_by_freq(in.ConsumeBool());
  o.sparse(in.ConsumeBool());
  return o;
}

// ids of 0-3 dims, int64, int32 or (rarely) float; mostly in [-2, V + 2), sometimes anything.
static mt::Tensor ids_from(FuzzedDataProvider& in, int64_t V) {
  mt::Shape shape(in.ConsumeIntegralInRange<size_t>(0, 3));
  for (auto& d : shape) d = in.ConsumeIntegralInRange<int64_t>(0, 6);
  const int64_t n = mt::shape_numel(shape);
  const int kind = in.ConsumeIntegralInRange<int>(0, 9);
  std::vector<int64_t> values(static_cast<size_t>(n));
  for (auto& v : values)
    v = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(-2, V + 1) : in.ConsumeIntegral<int64_t>();
  if (kind == 0) return mt::tensor(std::vector<float>(values.begin(), values.end()), shape);
  if (kind <= 3) {
    std::vector<int32_t> narrow;
    for (int64_t v : values) narrow.push_back(static_cast<int32_t>(v));
    return mt::tensor(narrow, shape);
  }
  return mt::tensor(values, shape);
}

static std::vector<int64_t> flat_ids(const mt::Tensor& ids) {
  if (ids.dtype() == mt::kInt64) return ids.to_vector<int64_t>();
  const auto narrow = ids.to_vector<int32_t>();
  return std::vector<int64_t>(narrow.begin(), narrow.end());
}

// The expected dense gradient: each output row's gradient added to its id's row, in order.
static std::vector<float> naive_grad(const std::vector<int64_t>& ids, const std::vector<float>& dout, int64_t V,
                                     int64_t C, int64_t padding, bool scale_by_freq) {
  std::vector<int64_t> count(static_cast<size_t>(V), 0);
  for (int64_t id : ids) ++count[static_cast<size_t>(id)];
  std::vector<float> g(static_cast<size_t>(V * C), 0.0f);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == padding) continue;
    const float s = scale_by_freq ? 1.0f / static_cast<float>(count[static_cast<size_t>(ids[i])]) : 1.0f;
    for (int64_t j = 0; j < C; ++j) g[static_cast<size_t>(ids[i] * C + j)] += dout[i * C + j] * s;
  }
  return g;
}

static void run(FuzzedDataProvider& in) {
  mt::manual_seed(in.ConsumeIntegral<uint32_t>());
  const mt::nn::EmbeddingOptions options = options_from(in);
  std::unique_ptr<mt::nn::Embedding> made;
  try {
    made = std::make_unique<mt::nn::Embedding>(options);
  } catch (const std::invalid_argument&) {
    return;  // sizes or options out of their domain: rejected up front, nothing to check
  }
  mt::nn::Embedding& emb = *made;
  const int64_t V = emb.options().num_embeddings(), C = emb.options().embedding_dim();
  const mt::Tensor ids = ids_from(in, V);
  const std::vector<float> before = emb.weight.to_vector<float>();

  mt::Tensor out;
  try {
    out = emb(ids);
  } catch (const std::exception& e) {
    const bool expected = dynamic_cast<const std::out_of_range*>(&e) || dynamic_cast<const std::invalid_argument*>(&e);
    require(expected, "forward threw something other than out_of_range / invalid_argument");
    require(emb.weight.to_vector<float>() == before, "a rejected forward changed the weight");
    return;
  }
  const std::vector<int64_t> flat = flat_ids(ids);
  mt::Shape want = ids.shape();
  want.push_back(C);
  require(out.shape() == want, "output shape is not ids.shape + [C]");
  const std::vector<float> w = emb.weight.to_vector<float>();  // after any max_norm renorm
  const std::vector<float> y = out.to_vector<float>();
  for (size_t i = 0; i < flat.size(); ++i)
    require(std::memcmp(&y[i * C], &w[flat[i] * C], sizeof(float) * C) == 0, "an output row is not its weight row");
  if (!emb.options().max_norm()) require(w == before, "forward changed the weight without max_norm");

  if (out.numel() == 0) return;
  const mt::Tensor dout = mt::randn(out.shape());
  out.backward(dout);
  const int64_t padding = emb.options().padding_idx().value_or(-1);
  const std::vector<float> g = emb.weight.grad().to_vector<float>();
  const std::vector<float> ref = naive_grad(flat, dout.to_vector<float>(), V, C, padding, emb.options().scale_grad_by_freq());
  for (size_t k = 0; k < g.size(); ++k)
    require(std::fabs(g[k] - ref[k]) <= 1e-4f * (1.0f + std::fabs(ref[k])), "gradient differs from the naive scatter-add");

  mt::optim::SGD opt(emb.parameters(), mt::optim::SGDOptions(0.1).momentum(in.ConsumeBool() ? 0.9 : 0.0));
  opt.step();
  const std::vector<float> stepped = emb.weight.to_vector<float>();
  for (size_t k = 0; k < stepped.size(); ++k)
    require(std::fabs(stepped[k] - (w[k] - 0.1f * g[k])) <= 1e-5f * (1.0f + std::fabs(w[k])), "SGD step is not w - lr g");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::run_single_threaded(data, size, run);
}
