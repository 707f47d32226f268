// nn::Embedding / F::embedding properties: gradients only on looked-up rows, accumulation, padding,
// the one-hot oracle, gradcheck over every option combination, shapes (0-d, empty, B=1, GPT-2), int32 ids,
// from_pretrained and the in-place max_norm renorm. Oracles: hand-derived values and finite differences.
#include <catch2/catch.hpp>
#include <microtorch/core/grad/door.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <string>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using namespace helpers;

static mt::Tensor ids64(std::vector<int64_t> v, mt::Shape s) { return mt::tensor(v, s); }
static std::vector<float> row(const mt::Tensor& t, int64_t r) {
  const int64_t C = t.shape().back();
  const float* p = t.data_ptr<float>() + r * C;
  return std::vector<float>(p, p + C);
}

TEST_CASE("embedding: rows not looked up get a gradient of exactly zero, dense and sparse") {
  for (bool sparse : {false, true}) {
    INFO((sparse ? "sparse" : "dense"));
    mt::manual_seed(1);
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(11, 4).sparse(sparse));
    auto out = emb(ids64({7, 2, 7, 9}, {2, 2}));
    (out * out).sum().backward();
    auto g = emb.weight.grad();
    for (int64_t r = 0; r < 11; ++r) {
      INFO("row " << r);
      const bool looked_up = r == 7 || r == 2 || r == 9;
      for (float x : row(g, r)) CHECK((x != 0.0f) == looked_up);  // d(x^2) = 2x, nonzero for N(0,1) draws
    }
  }
}

TEST_CASE("embedding: repeated ids accumulate, in index order") {
  for (bool sparse : {false, true}) {
    INFO((sparse ? "sparse" : "dense"));
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(4, 2).sparse(sparse));
    auto out = emb(ids64({1, 3, 1, 1}, {4}));
    out.backward(mt::tensor(std::vector<float>{1, 2, 10, 20, 100, 200, 0.5f, 0.25f}, {4, 2}));
    auto g = emb.weight.grad().to_vector<float>();
    CHECK(g == std::vector<float>{0, 0, 101.5f, 202.25f, 0, 0, 10, 20});
  }
}

TEST_CASE("embedding: scale_grad_by_freq divides by the id's count in the call, padding positions counted") {
  for (bool sparse : {false, true}) {
    INFO((sparse ? "sparse" : "dense"));
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(5, 1).scale_grad_by_freq(true).padding_idx(0).sparse(sparse));
    auto out = emb(ids64({2, 2, 4, 2, 0, 0}, {6}));
    out.backward(mt::tensor(std::vector<float>{3, 6, 7, 9, 5, 5}, {6, 1}));
    // row 2: (3 + 6 + 9) / 3 = 6; row 4: 7 / 1; row 0 is padding
    CHECK(mismatch(emb.weight.grad(), mt::tensor(std::vector<float>{0, 0, 6, 0, 7}, {5, 1}), 1e-6, 0, "grad") == "");
  }
}

TEST_CASE("embedding: padding row gets no gradient, negative padding_idx counts from V") {
  for (int64_t p : {3, -2}) {
    for (bool sparse : {false, true}) {
      INFO("padding_idx " << p << (sparse ? " sparse" : " dense"));
      mt::nn::Embedding emb(mt::nn::EmbeddingOptions(5, 3).padding_idx(p).sparse(sparse));
      CHECK(emb.options().padding_idx() == std::optional<int64_t>(3));
      CHECK(row(emb.weight, 3) == std::vector<float>{0, 0, 0});  // a fresh module zeroes the padding row
      CHECK(row(emb.weight, 4) != std::vector<float>{0, 0, 0});
      auto out = emb(ids64({3, 1, 3, 4}, {4}));
      out.backward(mt::ones({4, 3}));
      auto g = emb.weight.grad();
      CHECK(row(g, 3) == std::vector<float>{0, 0, 0});
      CHECK(row(g, 1) == std::vector<float>{1, 1, 1});
      CHECK(row(g, 4) == std::vector<float>{1, 1, 1});
    }
  }
}

TEST_CASE("embedding: one_hot(ids) @ W equals the lookup in values and gradients") {
  mt::manual_seed(7);
  auto w1 = mt::randn({6, 5}).requires_grad_(true);
  auto w2 = w1.detach().clone().requires_grad_(true);
  auto ids = ids64({5, 0, 5, 2, 2, 5}, {2, 3});
  auto dout = mt::randn({2, 3, 5});
  auto lookup = F::embedding(ids, w1);
  auto product = mt::matmul(mt::one_hot(ids, 6).to(mt::kFloat32), w2);
  CHECK(bits(lookup) == bits(product));
  lookup.backward(dout);
  product.backward(dout);
  CHECK(mismatch(w1.grad(), w2.grad(), 1e-6, 1e-6, "grad") == "");
}

TEST_CASE("embedding: gradcheck over every option combination") {
  // The output is masked at padding positions: there the analytic gradient is zero by definition (PyTorch
  // #93950). With scale_grad_by_freq the ids are distinct, so the true derivative is unscaled; the repeated-id
  // scaling is checked by hand above. max_norm is above every row norm, so it never rescales mid-difference.
  mt::manual_seed(3);
  const mt::Tensor w0 = mt::nn::init::uniform_(mt::empty({6, 3}), -1.0, 1.0);
  for (int padding : {-100, 2, -1})
    for (bool max_norm : {false, true})
      for (bool by_freq : {false, true})
        for (bool sparse : {false, true}) {
          auto o = F::EmbeddingFuncOptions().scale_grad_by_freq(by_freq).sparse(sparse);
          if (padding != -100) o.padding_idx(padding);
          if (max_norm) o.max_norm(5.0).norm_type(padding == 2 ? 1.0 : 2.0);
          const int64_t pad_row = padding == -100 ? -1 : (padding + 6) % 6;
          std::vector<int64_t> id = by_freq ? std::vector<int64_t>{4, 2, 0, 5, 1} : std::vector<int64_t>{4, 2, 4, 5, 2};
          std::vector<float> mask;
          for (int64_t i : id) mask.insert(mask.end(), 3, i == pad_row ? 0.0f : 1.0f);
          const auto ids = ids64(id, {5}), m = mt::tensor(mask, {5, 3});
          auto r = mt::autograd::gradcheck([&](const std::vector<mt::Tensor>& in) { return F::embedding(ids, in[0], o) * m; },
                                           {w0.detach().clone().requires_grad_(true)}, "embedding");
          INFO("padding " << padding << " max_norm " << max_norm << " scale_grad_by_freq " << by_freq << " sparse " << sparse);
          INFO(r.message());
          CHECK(r.ok);
        }
}

TEST_CASE("embedding: identity table eye(5) with ids [[3, 0, 1]]") {
  auto out = F::embedding(ids64({3, 0, 1}, {1, 3}), mt::eye(5));
  CHECK(out.shape() == mt::Shape{1, 3, 5});
  CHECK(out.to_vector<float>() == std::vector<float>{0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0});
}

TEST_CASE("embedding: id 2 at positions 0, 2, 4 gives bit-identical vectors, equal to row 2") {
  mt::manual_seed(11);
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(8, 16));
  auto out = emb(ids64({2, 5, 2, 7, 2}, {1, 5})).view({5, 16});
  CHECK(row(out, 0) == row(emb.weight, 2));
  CHECK(bits(out).size() == 80);
  for (int64_t p : {2, 4}) CHECK(row(out, p) == row(out, 0));
  CHECK(row(out, 1) == row(emb.weight, 5));
}

TEST_CASE("embedding: shapes B=1, 0-d, (2,3,4) and empty (2,0)") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(10, 3));
  CHECK(emb(ids64({1, 2, 3}, {1, 3})).shape() == mt::Shape{1, 3, 3});
  CHECK(emb(mt::randint(0, 10, {2, 3, 4})).shape() == mt::Shape{2, 3, 4, 3});
  auto scalar = emb(ids64({6}, {}));
  CHECK(scalar.shape() == mt::Shape{3});
  CHECK(scalar.to_vector<float>() == row(emb.weight, 6));
  scalar.backward(mt::tensor(std::vector<float>{1, 2, 3}, {3}));
  CHECK(row(emb.weight.grad(), 6) == std::vector<float>{1, 2, 3});
  for (bool sparse : {false, true}) {
    INFO((sparse ? "sparse" : "dense"));
    mt::nn::Embedding e(mt::nn::EmbeddingOptions(10, 3).sparse(sparse));
    auto out = e(ids64({}, {2, 0}));
    CHECK(out.shape() == mt::Shape{2, 0, 3});
    out.backward(mt::zeros({2, 0, 3}));
    REQUIRE(e.weight.grad().defined());
    CHECK(e.weight.grad().to_vector<float>() == std::vector<float>(30, 0.0f));
  }
}

TEST_CASE("embedding: int32 ids give the int64 result and gradient") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(9, 4));
  auto a = emb(mt::tensor(std::vector<int32_t>{8, 0, 3, 3}, {2, 2}));
  auto b = emb(ids64({8, 0, 3, 3}, {2, 2}));
  CHECK(bits(a) == bits(b));
  a.backward(mt::ones({2, 2, 4}));
  CHECK(row(emb.weight.grad(), 3) == std::vector<float>{2, 2, 2, 2});
  CHECK(row(emb.weight.grad(), 8) == std::vector<float>{1, 1, 1, 1});
}

TEST_CASE("embedding: GPT-2 shapes, V=50257 C=64 B=2 T=8, and a 50257x768 table") {
  const int64_t V = 50257;
  const std::vector<int64_t> id{50256, 0, 17, 50256, 9, 17, 1, 2, 3, 4, 5, 6, 7, 8, 50256, 0};
  for (int64_t C : {64, 768}) {
    INFO("C = " << C);
    auto w = mt::empty({V, C});
    float* p = w.data_ptr<float>();
    for (int64_t i = 0; i < V * C; ++i) p[i] = static_cast<float>((i * 2654435761u) % 1000003) * 1e-6f;
    w.requires_grad_(true);
    auto out = F::embedding(ids64(id, {2, 8}), w, F::EmbeddingFuncOptions().sparse(C == 768));
    REQUIRE(out.shape() == mt::Shape{2, 8, C});
    const float* o = out.data_ptr<float>();
    for (size_t n = 0; n < id.size(); ++n)
      for (int64_t j = 0; j < C; ++j) REQUIRE(o[n * C + j] == p[id[n] * C + j]);
    out.sum().backward();
    if (C == 768) {  // sparse: the gradient is the 16 rows, no (V, C) buffer
      CHECK(mt::grad::kind(w) == mt::grad::Kind::kSparse);
      CHECK(mt::sparse_grad(w).values.shape() == mt::Shape{16, 768});
    } else {
      auto g = w.grad();
      CHECK(row(g, 50256) == std::vector<float>(64, 3.0f));
      CHECK(row(g, 10) == std::vector<float>(64, 0.0f));
    }
  }
}

TEST_CASE("embedding: from_pretrained freezes by default, shares storage, keeps the padding row") {
  auto w = mt::tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2});
  auto frozen = mt::nn::Embedding::from_pretrained(w, mt::nn::EmbeddingFromPretrainedOptions().padding_idx(1));
  CHECK(!frozen.weight.requires_grad());
  CHECK(frozen.weight.data_ptr<float>() == w.data_ptr<float>());
  CHECK(frozen(ids64({1}, {1})).to_vector<float>() == std::vector<float>{3, 4});  // padding row not zeroed
  w.data_ptr<float>()[0] = 42.0f;
  CHECK(frozen(ids64({0}, {})).to_vector<float>() == std::vector<float>{42, 2});
  auto trained = mt::nn::Embedding::from_pretrained(w, mt::nn::EmbeddingFromPretrainedOptions().freeze(false));
  CHECK(trained.weight.requires_grad());
  CHECK(trained.parameters().size() == 1);
  CHECK_THROWS_AS(mt::nn::Embedding::from_pretrained(mt::zeros({6})), std::invalid_argument);
}

TEST_CASE("embedding: max_norm renorms looked-up rows in place, before the gather") {
  // rows: (3, 4) norm 5 -> scaled by 1 / (5 + 1e-7); (0.3, 0.4) norm 0.5 stays; (6, 8) not looked up stays
  auto w = mt::tensor(std::vector<float>{3, 4, 0.3f, 0.4f, 6, 8}, {3, 2}).requires_grad_(true);
  auto out = F::embedding(ids64({0, 1, 0}, {3}), w, F::EmbeddingFuncOptions().max_norm(1.0));
  const float s = static_cast<float>(1.0 / (5.0 + 1e-7));
  CHECK(row(w, 0) == std::vector<float>{3 * s, 4 * s});
  CHECK(row(w, 1) == std::vector<float>{0.3f, 0.4f});
  CHECK(row(w, 2) == std::vector<float>{6, 8});
  CHECK(std::hypot(row(w, 0)[0], row(w, 0)[1]) <= 1.0);
  CHECK(row(out, 0) == row(w, 0));
  CHECK(row(out, 2) == row(w, 0));
  mt::manual_seed(5);
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(50, 8).max_norm(0.5).norm_type(3.0));
  auto ids = mt::randint(0, 50, {40});
  emb(ids);
  for (int64_t r : ids.to_vector<int64_t>()) {
    double acc = 0;
    for (float x : row(emb.weight, r)) acc += std::pow(std::fabs(x), 3.0);
    CHECK(std::cbrt(acc) <= 0.5 * (1 + 1e-6));
  }
  // An earlier use of the weight in the graph sees it changed: backward refuses, as PyTorch.
  auto w2 = mt::tensor(std::vector<float>{3, 4, 0.3f, 0.4f}, {2, 2}).requires_grad_(true);
  auto early = (w2 * w2).sum();
  F::embedding(ids64({0}, {1}), w2, F::EmbeddingFuncOptions().max_norm(1.0));
  CHECK_THROWS_AS(early.backward(), std::runtime_error);
}
