// nn::Linear and F::cross_entropy against hand-derived values and finite differences, ignore_index,
// and weight tying: one Parameter listed once, its gradient the sum of the two uses' gradients.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <limits>

#include "conformance.h"
#include <microtorch/core/ops/tensor_access.h>

namespace mt = microtorch;
namespace F = mt::nn::functional;
using conformance::bits;
using conformance::mismatch;

static mt::Tensor f32(std::vector<float> v, mt::Shape s) { return mt::tensor(v, s); }

TEST_CASE("linear: values and gradients by hand") {
  mt::nn::Linear lin(mt::nn::LinearOptions(3, 2));
  {
    mt::NoGradGuard no_grad;
    lin.weight.copy_(f32({1, 2, 3, -1, 0, 2}, {2, 3}));
    lin.bias.copy_(f32({10, -10}, {2}));
  }
  auto x = f32({1, 1, 1, 2, 0, -1}, {2, 3}).requires_grad_(true);
  auto y = lin(x);
  // row 0: (1+2+3+10, -1+0+2-10); row 1: (2+0-3+10, -2+0-2-10)
  CHECK(y.to_vector<float>() == std::vector<float>{16, -9, 9, -14});
  y.backward(f32({1, 0, 2, 1}, {2, 2}));
  // dx = dy W; dW = dy^T x; db = column sums of dy
  CHECK(x.grad().to_vector<float>() == std::vector<float>{1, 2, 3, 1, 4, 8});
  CHECK(lin.weight.grad().to_vector<float>() == std::vector<float>{5, 1, -1, 2, 0, -1});
  CHECK(lin.bias.grad().to_vector<float>() == std::vector<float>{3, 1});
}

TEST_CASE("linear: no bias, 3-D input, default init bounds") {
  mt::nn::Linear lin(mt::nn::LinearOptions(4, 5).bias(false));
  CHECK(!lin.bias.defined());
  CHECK(lin.parameters().size() == 1);
  CHECK(lin.named_parameters()[0].first == "weight");
  CHECK(lin.weight.shape() == mt::Shape{5, 4});
  auto x = mt::randn({2, 3, 4});
  auto y = lin(x);
  CHECK(y.shape() == mt::Shape{2, 3, 5});
  // y[1, 2, 4] = x[1, 2, :] . W[4, :]
  double want = 0;
  for (int j = 0; j < 4; ++j) want += double(x.to_vector<float>()[(1 * 3 + 2) * 4 + j]) * lin.weight.to_vector<float>()[4 * 4 + j];
  CHECK(y.to_vector<float>()[(1 * 3 + 2) * 5 + 4] == Approx(want).margin(1e-6));
}

TEST_CASE("linear: gradcheck with and without bias") {
  mt::manual_seed(2);
  auto x = mt::randn({3, 2, 4}).requires_grad_(true), w = mt::randn({3, 4}).requires_grad_(true),
       b = mt::randn({3}).requires_grad_(true);
  auto with = mt::autograd::gradcheck([](const std::vector<mt::Tensor>& in) { return F::linear(in[0], in[1], in[2]); },
                                      {x, w, b}, "linear");
  INFO(with.message());
  CHECK(with.ok);
  auto without = mt::autograd::gradcheck([](const std::vector<mt::Tensor>& in) { return F::linear(in[0], in[1]); },
                                         {x, w}, "linear (no bias)");
  INFO(without.message());
  CHECK(without.ok);
}

TEST_CASE("cross_entropy: values and gradient by hand") {
  // row 0: logits (0, 0), target 0: loss ln 2, grad (-1/2, 1/2)
  // row 1: logits (0, ln 3), target 1: p = (1/4, 3/4), loss -ln(3/4), grad (1/4, -1/4)
  auto logits = f32({0, 0, 0, static_cast<float>(std::log(3.0))}, {2, 2}).requires_grad_(true);
  auto loss = F::cross_entropy(logits, mt::tensor(std::vector<int64_t>{0, 1}, {2}));
  CHECK(loss.dim() == 0);
  CHECK(loss.item<float>() == Approx((std::log(2.0) - std::log(0.75)) / 2).epsilon(1e-6));
  loss.backward();
  CHECK(mismatch(logits.grad(), f32({-0.25f, 0.25f, 0.125f, -0.125f}, {2, 2}), 1e-7, 1e-6, "dlogits") == "");
  // large logits stay finite (log-sum-exp with the max subtracted)
  auto big = F::cross_entropy(f32({1000, 0, -1000}, {1, 3}), mt::tensor(std::vector<int64_t>{1}, {1}));
  CHECK(big.item<float>() == Approx(1000.0f));
}

TEST_CASE("cross_entropy: ignore_index rows give no loss and no gradient and leave the mean") {
  mt::manual_seed(4);
  auto logits = mt::randn({4, 6}).requires_grad_(true);
  auto all = F::cross_entropy(logits, mt::tensor(std::vector<int64_t>{2, 3, 5, 0}, {4}), F::CrossEntropyFuncOptions().ignore_index(3));
  all.backward();
  // by hand: mean over rows 0, 2, 3 of lse - logit[target]
  const auto v = logits.to_vector<float>();
  double want = 0;
  const int64_t target[4] = {2, 3, 5, 0};
  for (int n : {0, 2, 3}) {
    double s = 0;
    for (int j = 0; j < 6; ++j) s += std::exp(double(v[n * 6 + j]));
    want += std::log(s) - v[n * 6 + target[n]];
  }
  CHECK(all.item<float>() == Approx(want / 3).epsilon(1e-6));
  const auto g = logits.grad().to_vector<float>();
  for (int j = 0; j < 6; ++j) CHECK(g[6 + j] == 0.0f);
  double row0 = 0;
  for (int j = 0; j < 6; ++j) row0 += g[j];
  CHECK(row0 == Approx(0).margin(1e-7));  // softmax - one_hot sums to zero
  // default ignore_index -100; every target ignored gives NaN, as PyTorch's 0/0
  auto none = F::cross_entropy(mt::randn({2, 3}), mt::tensor(std::vector<int64_t>{-100, -100}, {2}));
  CHECK(std::isnan(none.item<float>()));
}

TEST_CASE("cross_entropy: gradcheck, with and without ignored targets") {
  mt::manual_seed(6);
  auto logits = mt::randn({5, 7}).requires_grad_(true);
  for (int64_t ignore : {-100, 4}) {
    auto targets = mt::tensor(std::vector<int64_t>{4, 0, 6, 4, 1}, {5});
    auto r = mt::autograd::gradcheck(
        [&](const std::vector<mt::Tensor>& in) {
          return F::cross_entropy(in[0], targets, F::CrossEntropyFuncOptions().ignore_index(ignore));
        },
        {logits}, "cross_entropy");
    INFO("ignore_index " << ignore << ": " << r.message());
    CHECK(r.ok);
  }
}

// A tiny model made of modules: its named parameters are its children's, prefixed.
struct TiedModel : mt::nn::Module {
  TiedModel(int64_t V, int64_t C, bool sparse)
      : emb(mt::nn::EmbeddingOptions(V, C).sparse(sparse)), head(mt::nn::LinearOptions(C, V).bias(false)) {
    head.weight = emb.weight;
  }
  mt::nn::NamedParameters named_parameters() const override {
    return {{"emb.weight", emb.weight}, {"head.weight", head.weight}};
  }
  mt::nn::Embedding emb;
  mt::nn::Linear head;
};

TEST_CASE("tying: head.weight = emb.weight is one Parameter, listed once") {
  TiedModel m(10, 4, false);
  CHECK(m.named_parameters().size() == 2);
  REQUIRE(m.parameters().size() == 1);
  CHECK(mt::detail::impl_ptr(m.parameters()[0]) == mt::detail::impl_ptr(m.emb.weight));
  CHECK(m.head.weight.data_ptr<float>() == m.emb.weight.data_ptr<float>());
  CHECK(mt::nn::unique_tensors({m.emb.weight, m.head.weight, m.emb.weight}).size() == 1);
}

TEST_CASE("tying: the tied gradient is the sum of the two untied gradients, bit for bit") {
  const int64_t V = 9, C = 5;
  auto ids = mt::tensor(std::vector<int64_t>{3, 3, 1, 3, 8, 1}, {2, 3});  // repeated ids: order of adds matters
  auto targets = mt::tensor(std::vector<int64_t>{0, 4, 8, 3, 3, 2}, {6});
  mt::manual_seed(8);
  const mt::Tensor w0 = mt::randn({V, C});
  auto loss_of = [&](mt::nn::Embedding& emb, mt::nn::Linear& head) {
    return F::cross_entropy(head(mt::tanh(emb(ids))).view({-1, V}), targets);
  };
  // untied: two tables holding the same values, each with its own gradient
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C));
  mt::nn::Linear head(mt::nn::LinearOptions(C, V).bias(false));
  {
    mt::NoGradGuard no_grad;
    emb.weight.copy_(w0);
    head.weight.copy_(w0);
  }
  auto untied = loss_of(emb, head);
  untied.backward();
  const auto ge = emb.weight.grad().to_vector<float>(), gh = head.weight.grad().to_vector<float>();
  std::vector<float> sum(ge.size());
  for (size_t i = 0; i < sum.size(); ++i) sum[i] = gh[i] + ge[i];  // PyTorch: head + (embedding, built from zeros)
  for (bool sparse : {false, true}) {
    INFO((sparse ? "sparse embedding" : "dense embedding"));
    TiedModel m(V, C, sparse);
    { mt::NoGradGuard no_grad; m.emb.weight.copy_(w0); }
    auto tied = loss_of(m.emb, m.head);
    CHECK(tied.item<float>() == untied.item<float>());
    tied.backward();
    CHECK(bits(m.emb.weight.grad()) == bits(mt::tensor(sum, {V, C})));
    CHECK(bits(m.head.weight.grad()) == bits(m.emb.weight.grad()));
  }
}
