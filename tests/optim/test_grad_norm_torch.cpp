// The 2-norm clip_grad_norm_ takes, float for float as PyTorch 1.13 (core/grad/norm_kernels.h): torch.norm(x, 2)
// of single tensors, clip_grad_norm_'s total and clipped gradients over a list, and the norm of a row-tracked and
// a sparse embedding gradient. Every number is PyTorch's own (python3-torch 1.13, AVX2), committed as a hex float;
// the inputs are made the same way in both languages (lcg_floats: exact floats with full 24-bit mantissas).
// Recipe: x = [((s := s * 1664525 + 1013904223 mod 2^32) >> 8) - 2^23] * 2^(e - 23), s0 = seed * 0x9E3779B9;
// then torch.norm(x, 2), torch.nn.utils.clip_grad_norm_(params, max_norm), F.embedding(ids, w, sparse=...).
#include <catch2/catch.hpp>
#include <microtorch/core/grad/door.h>
#include <microtorch/core/grad/norm_kernels.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;

namespace {

std::vector<float> lcg_floats(uint32_t seed, int64_t n, int e) {
  uint32_t s = seed * 0x9E3779B9u;
  std::vector<float> out(static_cast<size_t>(n));
  for (float& x : out) {
    s = s * 1664525u + 1013904223u;
    x = std::ldexp(static_cast<float>(static_cast<int32_t>(s >> 8) - (1 << 23)), e - 23);
  }
  return out;
}

// A leaf of zeros whose gradient is exactly g: d/dp sum(p * g) = 1 * g.
mt::Tensor leaf_with_grad(const std::vector<float>& g, const mt::Shape& shape) {
  auto p = mt::zeros(shape).requires_grad_(true);
  (p * mt::tensor(g, shape)).sum().backward();
  return p;
}

// torch.norm(lcg_floats(seed, n, 0), 2) for n = 1..9 (rows), seed = 1..16 (columns).
const float kSmall[9][16] = {
    {0x1.e97948p-2f, 0x1.b66a2p-2f, 0x1.835bp-2f, 0x1.504bep-2f, 0x1.1d3cb8p-2f, 0x1.d45b3p-3f, 0x1.6e3cep-3f, 0x1.081eap-3f,
     0x1.4400cp-4f, 0x1.df108p-6f, 0x1.51e18p-6f, 0x1.20b5p-4f, 0x1.ecf18p-4f, 0x1.5c97p-3f, 0x1.c2b55p-3f, 0x1.1469c8p-2f},
    {0x1.e69dbap-1f, 0x1.bf2234p-2f, 0x1.80fd1p-1f, 0x1.64bb7cp-1f, 0x1.370eb4p-2f, 0x1.c60e88p-1f, 0x1.c7b1bep-2f, 0x1.690d9p-2f,
     0x1.e10824p-1f, 0x1.9f00dap-3f, 0x1.123274p-1f, 0x1.77167p-1f, 0x1.eda794p-4f, 0x1.85d5ecp-1f, 0x1.2224dep-1f, 0x1.606406p-2f},
    {0x1.134c7ap+0f, 0x1.200428p-1f, 0x1.16c0a4p+0f, 0x1.668a3ap-1f, 0x1.f3f3e2p-1f, 0x1.d31ccep-1f, 0x1.909fcap-1f, 0x1.38ab48p-1f,
     0x1.017e3ep+0f, 0x1.9e1e46p-1f, 0x1.14db1ep-1f, 0x1.2f96cp+0f, 0x1.ef44ep-3f, 0x1.fff2fap-1f, 0x1.80efcep-1f, 0x1.005d6cp-1f},
    {0x1.1a56a4p+0f, 0x1.ff57d6p-1f, 0x1.3d917ep+0f, 0x1.669c18p-1f, 0x1.2104d8p+0f, 0x1.3fb70cp+0f, 0x1.a83434p-1f, 0x1.5e352p-1f,
     0x1.579496p+0f, 0x1.ef5f58p-1f, 0x1.1603d6p-1f, 0x1.57c542p+0f, 0x1.a6c4ap-1f, 0x1.05822p+0f, 0x1.ad5a9p-1f, 0x1.13593p+0f},
    {0x1.4a300ap+0f, 0x1.166e0cp+0f, 0x1.53972cp+0f, 0x1.e228b4p-1f, 0x1.293c1ap+0f, 0x1.7fa49ap+0f, 0x1.a9d0a4p-1f, 0x1.3072eep+0f,
     0x1.591ab2p+0f, 0x1.3d327ap+0f, 0x1.441abep-1f, 0x1.75fb7ep+0f, 0x1.f4c32ep-1f, 0x1.16b23ap+0f, 0x1.1b738ep+0f, 0x1.17137p+0f},
    {0x1.885d58p+0f, 0x1.179d7ep+0f, 0x1.a4dcf8p+0f, 0x1.e2a77p-1f, 0x1.75d994p+0f, 0x1.8294d8p+0f, 0x1.1d6d5ep+0f, 0x1.3be21cp+0f,
     0x1.79af5p+0f, 0x1.5371e4p+0f, 0x1.8f86fap-1f, 0x1.95ccaep+0f, 0x1.06e6aap+0f, 0x1.53a932p+0f, 0x1.1ec5bcp+0f, 0x1.6a272ep+0f},
    {0x1.8ade9cp+0f, 0x1.46a13cp+0f, 0x1.da51d6p+0f, 0x1.031c0ep+0f, 0x1.770ef8p+0f, 0x1.a0503p+0f, 0x1.708062p+0f, 0x1.4e0c7ep+0f,
     0x1.7a037cp+0f, 0x1.6f406ap+0f, 0x1.3dfb0ep+0f, 0x1.a80666p+0f, 0x1.06e7acp+0f, 0x1.6a3ab8p+0f, 0x1.7ca0d4p+0f, 0x1.834e92p+0f},
    {0x1.9afe78p+0f, 0x1.85925cp+0f, 0x1.db1108p+0f, 0x1.300964p+0f, 0x1.9aa8cp+0f, 0x1.a0b8b4p+0f, 0x1.a54372p+0f, 0x1.63b0f8p+0f,
     0x1.7f4fd2p+0f, 0x1.bbd188p+0f, 0x1.47324cp+0f, 0x1.b5b4dep+0f, 0x1.555b9p+0f, 0x1.6ba4cp+0f, 0x1.9a788ap+0f, 0x1.a80cacp+0f},
    {0x1.c630ep+0f, 0x1.9a7b24p+0f, 0x1.ded72ep+0f, 0x1.8934p+0f, 0x1.a1274p+0f, 0x1.b09204p+0f, 0x1.d53754p+0f, 0x1.641ca2p+0f,
     0x1.a425fap+0f, 0x1.d4ae78p+0f, 0x1.497aa2p+0f, 0x1.ed8df6p+0f, 0x1.623994p+0f, 0x1.77c7dap+0f, 0x1.d581d4p+0f, 0x1.a9cd32p+0f},
};

// The norm of a dense parameter's gradient and clip_grad_norm_'s total over it alone (the norm of a 1-vector
// of it: fma(n, n, 0) then sqrtf, not always n itself).
float grad_norm(const mt::Tensor& p) { return static_cast<float>(mt::grad::norm(p, 2.0)); }

}  // namespace

TEST_CASE("torch.norm(x, 2) float for float: 1-9 elements, 8 lanes and the tail") {
  for (int64_t n = 1; n <= 9; ++n)
    for (uint32_t seed = 1; seed <= 16; ++seed) {
      INFO("n " << n << " seed " << seed);
      const std::vector<float> x = lcg_floats(seed, n, 0);
      CHECK(mt::detail::norm2_plain(x.data(), n) == kSmall[n - 1][seed - 1]);
      auto p = leaf_with_grad(x, {n});
      CHECK(grad_norm(p) == kSmall[n - 1][seed - 1]);
    }
}

TEST_CASE("torch.norm(x, 2) float for float: 1000, 1003, 100003 and 1048581 elements") {
  struct Case {
    int64_t n;
    uint32_t seed;
    int e;
    float torch_norm;
  };
  // The last two differ from the float64 sum rounded to float (0x1.6dc5c8p-5, 0x1.27952cp-11).
  for (const Case& c : {Case{1000, 3, 0, 0x1.28dfcep+4f}, Case{1003, 4, -7, 0x1.2c4f96p-3f},
                        Case{100003, 5, -12, 0x1.6dc5cp-5f}, Case{1048581, 6, -20, 0x1.27945cp-11f}}) {
    INFO("n " << c.n);
    const std::vector<float> x = lcg_floats(c.seed, c.n, c.e);
    CHECK(mt::detail::norm2_plain(x.data(), c.n) == c.torch_norm);
    auto p = leaf_with_grad(x, {c.n});
    CHECK(grad_norm(p) == c.torch_norm);
    CHECK(mt::nn::utils::clip_grad_norm_(p, 1e30) == Approx(c.torch_norm).epsilon(2e-7));
  }
}

TEST_CASE("clip_grad_norm_ over a list: PyTorch's per-gradient norms, total, coefficient and clipped gradients") {
  const std::vector<mt::Shape> shapes = {{3}, {8}, {9}, {4, 5}, {7}, {1}, {16}, {2, 3, 4}, {13}, {5}, {100}};
  const float torch_norms[11] = {0x1.9e1e46p-1f, 0x1.47324cp-1f, 0x1.ed8df6p-2f, 0x1.1e7a62p-2f,
                                 0x1.6a3ab8p-4f, 0x1.c2b55p-3f,  0x1.2b0a74p+0f, 0x1.6ad196p-1f,
                                 0x1.f6d13ap-3f, 0x1.938bd8p-4f, 0x1.9cc27ap+2f};
  const float torch_total = 0x1.ad22eap+2f;  // the float64 sum gives 0x1.ad22ecp+2
  const float torch_coef = 0x1.316e98p-4f;   // clamp(0.5 / (total + 1e-6), max=1)
  std::vector<mt::Tensor> params;
  std::vector<std::vector<float>> grads;
  for (size_t i = 0; i < shapes.size(); ++i) {
    int64_t n = 1;
    for (int64_t d : shapes[i]) n *= d;
    grads.push_back(lcg_floats(static_cast<uint32_t>(10 + i), n, -static_cast<int>(i % 5)));
    params.push_back(leaf_with_grad(grads.back(), shapes[i]));
    CHECK(grad_norm(params.back()) == torch_norms[i]);
  }
  CHECK(static_cast<float>(mt::nn::utils::clip_grad_norm_(params, 0.5)) == torch_total);
  for (size_t i = 0; i < params.size(); ++i) {
    INFO("parameter " << i);
    std::vector<float> want = grads[i];
    for (float& g : want) g *= torch_coef;  // PyTorch's g.mul_(clip_coef_clamped)
    CHECK(helpers::same_bits(params[i].grad().contiguous().to_vector<float>(), want));
  }
}

namespace {

// w (V, C) looked up once per entry of `lookups`, each lookup's rows plus a bias b (C) times lcg_floats(seed + k)
// (len(ids), C), summed: PyTorch's gradient norms of w and clip_grad_norm_'s total over {w, b}.
void check_embedding_norms(int64_t V, int64_t C, const std::vector<std::vector<int64_t>>& lookups, bool sparse,
                           float torch_w_norm, float torch_total) {
  auto w = mt::zeros({V, C}).requires_grad_(true);
  auto b = mt::zeros({C}).requires_grad_(true);
  mt::Tensor loss;
  for (size_t k = 0; k < lookups.size(); ++k) {
    const int64_t n = static_cast<int64_t>(lookups[k].size());
    const auto dout = mt::tensor(lcg_floats(static_cast<uint32_t>(21 + k), n * C, -3), {n, C});
    const auto rows = F::embedding(mt::tensor(lookups[k], {n}), w, F::EmbeddingFuncOptions().sparse(sparse));
    const auto term = ((rows + b) * dout).sum();
    loss = k == 0 ? term : loss + term;
  }
  loss.backward();
  REQUIRE(mt::grad::kind(w) == (sparse ? mt::grad::Kind::kSparse : mt::grad::Kind::kTracked));
  CHECK(grad_norm(w) == torch_w_norm);
  CHECK(static_cast<float>(mt::nn::utils::clip_grad_norm_({w, b}, 1e30)) == torch_total);
  CHECK(mt::grad::kind(w) == (sparse ? mt::grad::Kind::kSparse : mt::grad::Kind::kTracked));  // not densified
}

const std::vector<int64_t> kIds1 = {36, 3, 7, 3, 0, 36, 20, 3}, kIds2 = {7, 7, 3, 12, 36, 1};

}  // namespace

TEST_CASE("gradient norm of a row-tracked embedding: PyTorch's dense (V, C) gradient, lanes by flat index") {
  check_embedding_norms(37, 5, {kIds1}, false, 0x1.838f54p-2f, 0x1.123456p-1f);
  check_embedding_norms(37, 5, {kIds1, kIds2}, false, 0x1.e9a7bap-2f, 0x1.64c65ap-1f);
  check_embedding_norms(50, 13, {kIds1}, false, 0x1.7cc8dp-1f, 0x1.1fcd0cp+0f);
  check_embedding_norms(50, 13, {kIds1, kIds2}, false, 0x1.0409b8p+0f, 0x1.4d1958p+0f);
}

TEST_CASE("gradient norm of a sparse embedding: PyTorch's coalesced values (u, C), rows in id order") {
  // Two lookups: the dense gradient's norm would be 0x1.e9a7bap-2 and 0x1.0409b8p+0 (the lanes fall elsewhere).
  check_embedding_norms(37, 5, {kIds1}, true, 0x1.838f54p-2f, 0x1.123456p-1f);
  check_embedding_norms(37, 5, {kIds1, kIds2}, true, 0x1.e9a7b8p-2f, 0x1.64c65ap-1f);
  check_embedding_norms(50, 13, {kIds1}, true, 0x1.7cc8dp-1f, 0x1.1fcd0cp+0f);
  check_embedding_norms(50, 13, {kIds1, kIds2}, true, 0x1.0409b6p+0f, 0x1.4d1956p+0f);
}
