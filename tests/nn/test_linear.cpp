// nn::Linear and F::linear: values and gradients by hand, no bias, 3-D input, gradcheck, the input it refuses; and
// weight tying with an embedding: one Parameter listed once, its gradient the sum of the two uses' gradients.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using namespace helpers;

TEST_CASE("linear: values and gradients by hand") {
  mt::nn::Linear lin(mt::nn::LinearOptions(3, 2));
  {
    mt::NoGradGuard no_grad;
    lin.weight.copy_(mt::tensor(std::vector<float>{1, 2, 3, -1, 0, 2}, {2, 3}));
    lin.bias.copy_(mt::tensor(std::vector<float>{10, -10}, {2}));
  }
  auto x = mt::tensor(std::vector<float>{1, 1, 1, 2, 0, -1}, {2, 3}).requires_grad_(true);
  auto y = lin(x);
  // row 0: (1+2+3+10, -1+0+2-10); row 1: (2+0-3+10, -2+0-2-10)
  CHECK(y.to_vector<float>() == std::vector<float>{16, -9, 9, -14});
  y.backward(mt::tensor(std::vector<float>{1, 0, 2, 1}, {2, 2}));
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

TEST_CASE("linear errors: input whose last dim is not in_features, and weight untouched") {
  mt::nn::Linear lin(mt::nn::LinearOptions(4, 3));
  const Snapshot wb(lin.weight), bb(lin.bias);
  CHECK(rejects<std::invalid_argument>([&] { lin(mt::randn({2, 5})); }, {"[2, 5]", "4"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { lin(mt::randn({4, 3})); }, {"[4, 3]", "4"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::nn::Linear bad(mt::nn::LinearOptions(0, 3)); }, {"0"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::nn::Linear bad(mt::nn::LinearOptions(2, -1)); }, {"-1"}) == "");
  CHECK(lin(mt::randn({7, 4})).shape() == mt::Shape{7, 3});
  CHECK(Snapshot(lin.weight) == wb);
  CHECK(Snapshot(lin.bias) == bb);
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
