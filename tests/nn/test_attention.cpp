// F::scaled_dot_product_attention: values against a plain loop in double (causal and not, L != S, an additive
// float mask and a boolean one), gradcheck of q, k and v, and the inputs it refuses.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using namespace helpers;

namespace {

// softmax(q k^T * scale + mask) v in doubles, one (L, S) block at a time; q (BH, L, D), k (BH, S, D), v (BH, S, Dv).
std::vector<double> attention_plain(const mt::Tensor& q, const mt::Tensor& k, const mt::Tensor& v, bool causal,
                                    const std::vector<float>& mask = {}) {
  const int64_t L = q.size(-2), D = q.size(-1), S = k.size(-2), Dv = v.size(-1), BH = q.numel() / (L * D);
  const auto qv = q.to_vector<float>(), kv = k.to_vector<float>(), vv = v.to_vector<float>();
  std::vector<double> out(static_cast<size_t>(BH * L * Dv), 0.0);
  for (int64_t b = 0; b < BH; ++b)
    for (int64_t i = 0; i < L; ++i) {
      std::vector<double> s(static_cast<size_t>(S), -INFINITY);
      double mx = -INFINITY, sum = 0.0;
      for (int64_t j = 0; j < S; ++j) {
        if (causal && j > i) continue;
        double dot = 0.0;
        for (int64_t d = 0; d < D; ++d) dot += double(qv[(b * L + i) * D + d]) * kv[(b * S + j) * D + d];
        s[j] = dot / std::sqrt(double(D)) + (mask.empty() ? 0.0 : mask[i * S + j]);
        mx = std::max(mx, s[j]);
      }
      for (auto& x : s) sum += x = std::exp(x - mx);
      for (int64_t j = 0; j < S; ++j)
        for (int64_t d = 0; d < Dv; ++d) out[(b * L + i) * Dv + d] += s[j] / sum * vv[(b * S + j) * Dv + d];
    }
  return out;
}

}  // namespace

TEST_CASE("scaled_dot_product_attention: values against plain loops, causal and not, with a float mask") {
  mt::manual_seed(4);
  const mt::Tensor q = mt::randn({2, 3, 5, 4}), k = mt::randn({2, 3, 5, 4}), v = mt::randn({2, 3, 5, 6});
  for (bool causal : {false, true}) {
    const auto got = F::scaled_dot_product_attention(q, k, v, {}, 0.0, causal).to_vector<float>();
    const auto want = attention_plain(q, k, v, causal);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-5));
  }
  // L = 2 queries over S = 5 keys, an additive (L, S) mask broadcast over the batch
  const mt::Tensor q2 = mt::randn({3, 2, 4}), k2 = mt::randn({3, 5, 4}), v2 = mt::randn({3, 5, 6});
  const std::vector<float> m{0, -INFINITY, 0.5f, 0, -1, -INFINITY, 0, 0, 2, 0};
  const auto got = F::scaled_dot_product_attention(q2, k2, v2, mt::tensor(m, {2, 5})).to_vector<float>();
  const auto want = attention_plain(q2, k2, v2, false, m);
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-5));
  const mt::Tensor additive = mt::tensor(std::vector<float>{0, -INFINITY, 0, 0, -INFINITY, 0, 0, 0, 0, -INFINITY}, {2, 5});
  const auto with_bool = F::scaled_dot_product_attention(q2, k2, v2, additive == 0.0f).to_vector<float>();  // true: take part
  CHECK(with_bool == F::scaled_dot_product_attention(q2, k2, v2, additive).to_vector<float>());
  CHECK_THROWS_AS(F::scaled_dot_product_attention(q, k, v, {}, 0.1), std::invalid_argument);
  CHECK_THROWS_AS(F::scaled_dot_product_attention(q2, k2, v2, mt::zeros({3, 5})), std::invalid_argument);
  CHECK_THROWS_AS(F::scaled_dot_product_attention(q2, k2, v2, mt::zeros({2, 5}), 0.0, true), std::invalid_argument);
  CHECK_THROWS_AS(F::scaled_dot_product_attention(q, k2, v2), std::invalid_argument);
}

TEST_CASE("scaled_dot_product_attention: gradcheck of q, k and v, causal and not, L != S, with a mask") {
  mt::manual_seed(5);
  const mt::Tensor q = randn_leaf({2, 2, 4, 3}), k = randn_leaf({2, 2, 4, 3}), v = randn_leaf({2, 2, 4, 5});
  for (bool causal : {false, true})
    require_gradcheck(causal ? "sdpa causal" : "sdpa", [causal](const Inputs& in) {
      return F::scaled_dot_product_attention(in[0], in[1], in[2], {}, 0.0, causal);
    }, {q, k, v});
  const mt::Tensor q2 = randn_leaf({3, 2, 3}), k2 = randn_leaf({3, 5, 3}), v2 = randn_leaf({3, 5, 2});
  const mt::Tensor mask = mt::tensor(std::vector<float>{0, -INFINITY, 0.5f, 0, -1}, {1, 5});
  require_gradcheck("sdpa mask", [mask](const Inputs& in) {
    return F::scaled_dot_product_attention(in[0], in[1], in[2], mask);
  }, {q2, k2, v2});
}
