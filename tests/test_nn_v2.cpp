// The nn ops of API version 2: layer_norm, gelu (exact and tanh), logsigmoid, dropout, scaled_dot_product_attention
// and cross_entropy over (N, V, d1) logits. Values against hand-derived or plain-loop oracles, gradients by gradcheck.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <microtorch/core/ops/tensor_access.h>

namespace mt = microtorch;
namespace F = mt::nn::functional;
using mt::autograd::gradcheck;

namespace {

mt::Tensor leaf(const mt::Shape& s) { return mt::randn(s).requires_grad_(true); }

void require_ok(const mt::autograd::GradcheckResult& r) {
  INFO(r.message());
  CHECK(r.ok);
}

// softmax(q k^T * scale + mask) v in doubles, one (L, S) block at a time; q (BH, L, D), k (BH, S, D), v (BH, S, Dv).
std::vector<double> naive_attention(const mt::Tensor& q, const mt::Tensor& k, const mt::Tensor& v, bool causal,
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

TEST_CASE("layer_norm: a hand-computed row, and gradcheck with and without affine, over one and two dims") {
  const mt::Tensor x = mt::tensor(std::vector<float>{1, 2, 3, 4}, {1, 4});
  const auto y = F::layer_norm(x, F::LayerNormFuncOptions({4})).to_vector<float>();
  const double rstd = 1.0 / std::sqrt(1.25 + 1e-5);  // mean 2.5, biased var 1.25
  for (int j = 0; j < 4; ++j) CHECK(y[j] == Approx((j + 1 - 2.5) * rstd).margin(1e-6));
  mt::manual_seed(1);
  const mt::Tensor xs = leaf({3, 2, 5}), w1 = leaf({5}), b1 = leaf({5}), w2 = leaf({2, 5}), b2 = leaf({2, 5});
  require_ok(gradcheck([](const std::vector<mt::Tensor>& in) {
    return F::layer_norm(in[0], F::LayerNormFuncOptions({5}).weight(in[1]).bias(in[2]));
  }, {xs, w1, b1}, "layer_norm affine"));
  require_ok(gradcheck([](const std::vector<mt::Tensor>& in) {
    return F::layer_norm(in[0], F::LayerNormFuncOptions({2, 5}).weight(in[1]).bias(in[2]).eps(1e-3));
  }, {xs, w2, b2}, "layer_norm over (2, 5)"));
  require_ok(gradcheck([](const std::vector<mt::Tensor>& in) { return F::layer_norm(in[0], F::LayerNormFuncOptions({5})); },
                       {xs}, "layer_norm plain"));
  mt::nn::LayerNorm ln(mt::nn::LayerNormOptions({5}).bias(false));
  CHECK(ln.parameters().size() == 1);
  CHECK(ln(xs).shape() == xs.shape());
  CHECK_THROWS_AS(F::layer_norm(xs, F::LayerNormFuncOptions({3})), std::invalid_argument);
}

TEST_CASE("layer_norm: a row with a large mean keeps its precision (sums in double)") {
  std::vector<float> v(64);
  for (size_t j = 0; j < v.size(); ++j) v[j] = 1e4f + static_cast<float>(j % 2);  // mean 1e4 + 0.5, var 0.25
  const auto y = F::layer_norm(mt::tensor(v, {1, 64}), F::LayerNormFuncOptions({64}).eps(0.0)).to_vector<float>();
  for (size_t j = 0; j < v.size(); ++j) CHECK(y[j] == Approx(j % 2 ? 1.0 : -1.0).margin(1e-5));
}

// The rows are split among threads and the weight and bias gradients summed in fixed chunks of rows: the
// floats must not depend on the thread count, and the chunked sums must match one plain sum over all rows.
TEST_CASE("layer_norm: 1 and 2 threads give the same floats, and dw and db match plain sums over the rows") {
  const int saved = mt::get_num_threads();
  const int64_t N = 1000, M = 100;  // 1000 rows: 16 chunks, enough elements for both threads
  const mt::Tensor x = mt::randn({N, M}) * 3.0f + 1.0f, w0 = mt::randn({M}), b0 = mt::randn({M}), g = mt::randn({N, M});
  auto run = [&](int threads) {
    mt::set_num_threads(threads);
    const mt::Tensor xl = x.detach().requires_grad_(true), w = w0.detach().requires_grad_(true),
                     b = b0.detach().requires_grad_(true);
    const mt::Tensor y = F::layer_norm(xl, F::LayerNormFuncOptions({M}).weight(w).bias(b));
    y.backward(g);
    return std::vector<std::vector<float>>{y.to_vector<float>(), xl.grad().to_vector<float>(),
                                           w.grad().to_vector<float>(), b.grad().to_vector<float>()};
  };
  const auto one = run(1), two = run(2);
  mt::set_num_threads(saved);
  for (size_t k = 0; k < one.size(); ++k) REQUIRE(one[k] == two[k]);
  // dw[j] = sum_n g[n, j] * x_hat[n, j], db[j] = sum_n g[n, j], in double with x_hat from a double mean and var
  const auto xv = x.to_vector<float>(), gv = g.to_vector<float>();
  std::vector<double> dw(M, 0.0), db(M, 0.0);
  for (int64_t n = 0; n < N; ++n) {
    double mean = 0.0, var = 0.0;
    for (int64_t j = 0; j < M; ++j) mean += xv[n * M + j];
    mean /= M;
    for (int64_t j = 0; j < M; ++j) var += (xv[n * M + j] - mean) * (xv[n * M + j] - mean);
    const double rstd = 1.0 / std::sqrt(var / M + 1e-5);
    for (int64_t j = 0; j < M; ++j) {
      dw[j] += gv[n * M + j] * (xv[n * M + j] - mean) * rstd;
      db[j] += gv[n * M + j];
    }
  }
  for (int64_t j = 0; j < M; ++j) {
    INFO("column " << j);
    REQUIRE(std::fabs(one[2][j] - dw[j]) <= 1e-4 * (1.0 + std::fabs(dw[j])));
    REQUIRE(std::fabs(one[3][j] - db[j]) <= 1e-5 * (1.0 + std::fabs(db[j])));
  }
}

TEST_CASE("gelu (exact and tanh) and logsigmoid: values and gradcheck") {
  const mt::Tensor x = mt::tensor(std::vector<float>{-100, -1, 0, 1, 100}, {5});
  const auto exact = F::gelu(x).to_vector<float>();
  const auto approx = F::gelu(x, F::GELUFuncOptions().approximate("tanh")).to_vector<float>();
  const auto ls = F::logsigmoid(x).to_vector<float>();
  CHECK(exact[2] == 0.0f);
  CHECK(exact[3] == Approx(0.8413447).margin(1e-6));   // 1 * Phi(1)
  CHECK(exact[1] == Approx(-0.1586553).margin(1e-6));
  CHECK(approx[3] == Approx(0.8411920).margin(1e-6));  // 0.5 (1 + tanh(sqrt(2/pi) 1.044715))
  CHECK(exact[4] == 100.0f);
  CHECK(exact[0] == 0.0f);
  CHECK(ls[0] == -100.0f);                            // no overflow of exp(100)
  CHECK(ls[2] == Approx(-std::log(2.0)).margin(1e-7));
  CHECK(ls[4] == Approx(0.0).margin(1e-30));
  mt::manual_seed(2);
  const mt::Tensor xs = (mt::randn({4, 6}) * 3.0f).requires_grad_(true);
  require_ok(gradcheck([](const std::vector<mt::Tensor>& in) { return F::gelu(in[0]); }, {xs}, "gelu"));
  require_ok(gradcheck([](const std::vector<mt::Tensor>& in) {
    return F::gelu(in[0], F::GELUFuncOptions().approximate("tanh"));
  }, {xs}, "gelu tanh"));
  require_ok(gradcheck([](const std::vector<mt::Tensor>& in) { return F::logsigmoid(in[0]); }, {xs}, "logsigmoid"));
  CHECK_THROWS_AS(F::gelu(xs, F::GELUFuncOptions().approximate("erf")), std::invalid_argument);
}

TEST_CASE("dropout: inverted scaling, identity when not training, p validated, gradcheck through a fixed mask") {
  const mt::Tensor x = mt::ones({10000});
  const mt::Tensor same = F::dropout(x, F::DropoutFuncOptions().p(0.4).training(false));
  CHECK(mt::detail::impl_ptr(same) == mt::detail::impl_ptr(x));
  const auto y = F::dropout(x, F::DropoutFuncOptions().p(0.4)).to_vector<float>();
  int zeros = 0;
  for (float v : y) {
    if (v == 0.0f) ++zeros;
    else CHECK(v == Approx(1.0 / 0.6).epsilon(1e-6));
  }
  CHECK(zeros > 3700);
  CHECK(zeros < 4300);
  for (float v : F::dropout(x, F::DropoutFuncOptions().p(1.0)).to_vector<float>()) CHECK(v == 0.0f);
  CHECK_THROWS_AS(F::dropout(x, F::DropoutFuncOptions().p(1.5)), std::invalid_argument);
  CHECK_THROWS_AS(F::dropout(x, F::DropoutFuncOptions().p(-0.1)), std::invalid_argument);
  CHECK_THROWS_AS(mt::nn::Dropout(mt::nn::DropoutOptions(2.0)), std::invalid_argument);
  mt::manual_seed(3);
  const mt::Tensor xs = leaf({5, 4});
  require_ok(gradcheck([](const std::vector<mt::Tensor>& in) {
    mt::manual_seed(11);  // the same mask at every evaluation
    return F::dropout(in[0], F::DropoutFuncOptions().p(0.3));
  }, {xs}, "dropout"));
}

TEST_CASE("scaled_dot_product_attention: values against plain loops, causal and not, with a float mask") {
  mt::manual_seed(4);
  const mt::Tensor q = mt::randn({2, 3, 5, 4}), k = mt::randn({2, 3, 5, 4}), v = mt::randn({2, 3, 5, 6});
  for (bool causal : {false, true}) {
    const auto got = F::scaled_dot_product_attention(q, k, v, {}, 0.0, causal).to_vector<float>();
    const auto want = naive_attention(q, k, v, causal);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-5));
  }
  // L = 2 queries over S = 5 keys, an additive (L, S) mask broadcast over the batch
  const mt::Tensor q2 = mt::randn({3, 2, 4}), k2 = mt::randn({3, 5, 4}), v2 = mt::randn({3, 5, 6});
  const std::vector<float> m{0, -INFINITY, 0.5f, 0, -1, -INFINITY, 0, 0, 2, 0};
  const auto got = F::scaled_dot_product_attention(q2, k2, v2, mt::tensor(m, {2, 5})).to_vector<float>();
  const auto want = naive_attention(q2, k2, v2, false, m);
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
  const mt::Tensor q = leaf({2, 2, 4, 3}), k = leaf({2, 2, 4, 3}), v = leaf({2, 2, 4, 5});
  for (bool causal : {false, true})
    require_ok(gradcheck([causal](const std::vector<mt::Tensor>& in) {
      return F::scaled_dot_product_attention(in[0], in[1], in[2], {}, 0.0, causal);
    }, {q, k, v}, causal ? "sdpa causal" : "sdpa"));
  const mt::Tensor q2 = leaf({3, 2, 3}), k2 = leaf({3, 5, 3}), v2 = leaf({3, 5, 2});
  const mt::Tensor mask = mt::tensor(std::vector<float>{0, -INFINITY, 0.5f, 0, -1}, {1, 5});
  require_ok(gradcheck([mask](const std::vector<mt::Tensor>& in) {
    return F::scaled_dot_product_attention(in[0], in[1], in[2], mask);
  }, {q2, k2, v2}, "sdpa mask"));
}

TEST_CASE("cross_entropy over (N, V, d1, d2): the (N * d1 * d2, V) rows' loss, and gradcheck with an ignored target") {
  mt::manual_seed(6);
  const mt::Tensor logits = leaf({2, 5, 3, 2});
  const mt::Tensor targets = mt::tensor(std::vector<int64_t>{0, 4, -100, 2, 1, 1, 3, 3, 0, -100, 4, 2}, {2, 3, 2});
  const auto lv = logits.to_vector<float>();
  std::vector<float> rows(lv.size());  // rows[(n, p), c] = logits[n, c, p], p over (3, 2)
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 5; ++c)
      for (int64_t p = 0; p < 6; ++p) rows[(n * 6 + p) * 5 + c] = lv[(n * 5 + c) * 6 + p];
  const float want = F::cross_entropy(mt::tensor(rows, {12, 5}), targets.view({12})).item<float>();
  CHECK(F::cross_entropy(logits, targets).item<float>() == Approx(want).epsilon(1e-6));
  require_ok(gradcheck([targets](const std::vector<mt::Tensor>& in) { return F::cross_entropy(in[0], targets); },
                       {logits}, "cross_entropy nd"));
  const mt::Tensor one = mt::tensor(std::vector<float>{1, 2, 3}, {3});  // unbatched: (V) logits, () target
  CHECK(F::cross_entropy(one, mt::tensor(std::vector<int64_t>{2}, {})).item<float>() ==
        Approx(std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0).epsilon(1e-6));
  CHECK_THROWS_AS(F::cross_entropy(logits, targets.view({2, 6})), std::invalid_argument);
}
