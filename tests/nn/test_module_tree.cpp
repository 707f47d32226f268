// nn::Module as a tree: one test per rule of API.md version 2 (dotted names, registration order, tied weights
// once, eval() reaching the members a forward uses, copies that share parameters and mode without pointing into
// their source, children in a std::vector), plus the version-1 spellings that must keep working.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <memory>
#include <type_traits>
#include <microtorch/core/ops/tensor_access.h>

namespace mt = microtorch;
namespace F = mt::nn::functional;

namespace {

std::vector<std::string> names_of(const mt::nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& p : m.named_parameters()) out.push_back(p.first);
  return out;
}

struct Block : mt::nn::Module {
  mt::nn::LayerNorm ln{mt::nn::LayerNormOptions({4})};
  mt::nn::Linear fc{mt::nn::LinearOptions(4, 4)};
  mt::nn::Dropout drop{mt::nn::DropoutOptions(0.5)};
  mt::Tensor scale;
  Block() {
    register_module("ln", ln);
    register_module("fc", fc);
    register_module("drop", drop);
    scale = register_parameter("scale", mt::ones({4}));
  }
  mt::Tensor forward(const mt::Tensor& x) { return x * scale + drop(fc(ln(x))); }
};

struct Net : mt::nn::Module {
  mt::nn::Embedding wte{mt::nn::EmbeddingOptions(10, 4)};
  std::vector<Block> h;
  mt::nn::Linear head{mt::nn::LinearOptions(4, 10).bias(false)};
  explicit Net(int layers) {
    register_module("wte", wte);
    for (int i = 0; i < layers; ++i) h.emplace_back();  // reallocates: Blocks are copied/moved
    for (size_t i = 0; i < h.size(); ++i) register_module("h." + std::to_string(i), h[i]);
    head.weight = wte.weight;  // tie, then register the head
    register_module("head", head);
  }
  mt::Tensor forward(const mt::Tensor& ids) {
    mt::Tensor x = wte(ids);
    for (auto& b : h) x = b.forward(x);
    return head(x);
  }
};

}  // namespace

TEST_CASE("module tree: own parameters first, then children under dotted names, in registration order") {
  Net net(2);
  const std::vector<std::string> want{"wte.weight",      "h.0.scale",      "h.0.ln.weight", "h.0.ln.bias",
                                      "h.0.fc.weight",   "h.0.fc.bias",    "h.1.scale",     "h.1.ln.weight",
                                      "h.1.ln.bias",     "h.1.fc.weight",  "h.1.fc.bias"};
  CHECK(names_of(net) == want);
  CHECK(net.parameters().size() == want.size());
  const auto named = net.named_parameters();
  CHECK(mt::detail::impl_ptr(named[2].second) == mt::detail::impl_ptr(net.h[0].ln.weight));  // the live handles
  CHECK(mt::detail::impl_ptr(named[10].second) == mt::detail::impl_ptr(net.h[1].fc.bias));
}

TEST_CASE("module tree: register_parameter returns the registered handle with requires_grad on") {
  struct M : mt::nn::Module {
    mt::Tensor p;
    M() { p = register_parameter("p", mt::zeros({3})); }
  } m;
  CHECK(m.p.requires_grad());
  REQUIRE(m.named_parameters().size() == 1);
  CHECK(mt::detail::impl_ptr(m.named_parameters()[0].second) == mt::detail::impl_ptr(m.p));
  CHECK_THROWS_AS(m.register_parameter("p", mt::zeros({1})), std::invalid_argument);     // the name is taken
  CHECK_THROWS_AS(m.register_parameter("q", m.p * 2.0f), std::invalid_argument);         // not a leaf
  CHECK_THROWS_AS(m.register_module("", mt::nn::Linear(mt::nn::LinearOptions(1, 1))), std::invalid_argument);
  CHECK_THROWS_AS(m.register_module("self", m), std::invalid_argument);                    // a cycle
  CHECK(m.named_parameters().size() == 1);                                                  // nothing changed
}

TEST_CASE("module tree: a tied weight is reported once, under its first name") {
  Net net(1);
  const auto named = net.named_parameters();
  int tied = 0;
  for (const auto& [name, t] : named) tied += mt::detail::impl_ptr(t) == mt::detail::impl_ptr(net.wte.weight);
  CHECK(tied == 1);
  CHECK(named[0].first == "wte.weight");
  for (const auto& [name, t] : named) CHECK(name != "head.weight");
  // the same child registered twice is also listed once
  struct Twice : mt::nn::Module {
    mt::nn::Linear a{mt::nn::LinearOptions(2, 2)};
    Twice() { register_module("a", a); register_module("b", a); }
  } twice;
  CHECK(names_of(twice) == std::vector<std::string>{"a.weight", "a.bias"});
}

TEST_CASE("module tree: train()/eval() reach the very members a forward uses, in every descendant") {
  Net net(2);
  CHECK(net.is_training());
  CHECK(net.h[1].drop.is_training());
  net.eval();
  for (auto& b : net.h) {
    CHECK_FALSE(b.is_training());
    CHECK_FALSE(b.drop.is_training());
  }
  const mt::Tensor x = mt::randn({3, 4});
  CHECK(net.h[0].forward(x).to_vector<float>() == net.h[0].forward(x).to_vector<float>());  // dropout is off
  net.train();
  CHECK(net.h[0].drop.is_training());
  CHECK(net.h[0].forward(x).to_vector<float>() != net.h[0].forward(x).to_vector<float>());  // dropout is on
  net.h[1].eval();  // a subtree only
  CHECK(net.is_training());
  CHECK_FALSE(net.h[1].drop.is_training());
}

TEST_CASE("module tree: a copy shares parameters and mode, and outlives its source") {
  auto source = std::make_unique<Block>();
  Block copy = *source;
  CHECK(mt::detail::impl_ptr(copy.fc.weight) == mt::detail::impl_ptr(source->fc.weight));
  source->eval();
  CHECK_FALSE(copy.is_training());
  CHECK_FALSE(copy.drop.is_training());
  mt::nn::init::constant_(source->fc.weight, 0.5);
  const mt::Tensor w = source->fc.weight;
  source.reset();  // destroy the source: the copy must not point into it
  CHECK(copy.fc.weight.sum().item<float>() == 8.0f);
  CHECK(names_of(copy) == std::vector<std::string>{"scale", "ln.weight", "ln.bias", "fc.weight", "fc.bias"});
  copy.train();
  CHECK(copy.drop.is_training());
  const mt::Tensor y = copy.forward(mt::ones({2, 4}));  // uses ln, fc, drop and scale of the copy
  CHECK(y.shape() == mt::Shape{2, 4});
  Block assigned;
  assigned = copy;  // copy assignment shares too
  CHECK(mt::detail::impl_ptr(assigned.named_parameters()[0].second) == mt::detail::impl_ptr(copy.scale));
  CHECK(mt::detail::impl_ptr(w) == mt::detail::impl_ptr(copy.fc.weight));
}

TEST_CASE("module tree: children in a std::vector survive its reallocation") {
  struct Stack : mt::nn::Module {
    std::vector<Block> h;
    Stack() {
      h.emplace_back();
      register_module("h.0", h[0]);
      for (int i = 0; i < 8; ++i) h.emplace_back();  // h[0] is moved: the registration must still reach it
      register_module("h.last", h.back());
    }
  } s;
  s.eval();
  CHECK_FALSE(s.h[0].drop.is_training());
  CHECK_FALSE(s.h.back().drop.is_training());
  CHECK(s.h[1].drop.is_training());  // never registered
  const auto named = s.named_parameters();
  REQUIRE(named.size() == 10);
  CHECK(named[0].first == "h.0.scale");
  CHECK(mt::detail::impl_ptr(named[0].second) == mt::detail::impl_ptr(s.h[0].scale));
  CHECK(mt::detail::impl_ptr(named[5].second) == mt::detail::impl_ptr(s.h.back().scale));
}

TEST_CASE("module tree: zero_grad clears every parameter's gradient, children's included") {
  Net net(1);
  net.eval();
  const mt::Tensor ids = mt::tensor(std::vector<int64_t>{3, 4}, {2});
  F::cross_entropy(net.forward(ids), ids).backward();
  for (const auto& p : net.parameters()) CHECK(p.grad().defined());
  net.zero_grad();
  for (const auto& p : net.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("module tree: version-1 spellings still work (parameters, named_parameters, tying after construction)") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(6, 3));
  mt::nn::Linear head(mt::nn::LinearOptions(3, 6));
  CHECK(emb.parameters().size() == 1);
  CHECK(emb.named_parameters()[0].first == "weight");
  head.weight = emb.weight;  // tied after construction, never registered anywhere
  const auto named = head.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(mt::detail::impl_ptr(named[0].second) == mt::detail::impl_ptr(emb.weight));
  CHECK(named[1].first == "bias");
  mt::nn::Linear no_bias(mt::nn::LinearOptions(3, 6).bias(false));
  CHECK(no_bias.parameters().size() == 1);
  auto frozen = mt::nn::Embedding::from_pretrained(mt::ones({4, 2}));
  CHECK_FALSE(frozen.weight.requires_grad());
  CHECK(frozen.parameters().size() == 1);
}

TEST_CASE("module options are read-only: the old mutation cannot compile, and a changed copy changes nothing") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(5, 3).padding_idx(-1));
  static_assert(std::is_same_v<decltype(emb.options()), const mt::nn::EmbeddingOptions&>);
  static_assert(std::is_same_v<decltype(std::declval<mt::nn::Linear&>().options()), const mt::nn::LinearOptions&>);
  static_assert(std::is_same_v<decltype(std::declval<mt::nn::LayerNorm&>().options()), const mt::nn::LayerNormOptions&>);
  auto o = emb.options();  // what `emb.options.padding_idx(-1); emb.reset()` used to do, now on a copy
  o.padding_idx(-1);
  emb.reset();
  CHECK(emb.options().padding_idx() == std::optional<int64_t>(4));  // still normalised, row 4 is zero
  for (float v : emb.weight.to_vector<float>()) CHECK(std::isfinite(v));
  CHECK(emb.weight.to_vector<float>()[12] == 0.0f);
  emb.weight = mt::zeros({2, 3}).requires_grad_(true);  // a reassigned weight that does not fit the options
  CHECK_THROWS_AS(emb.reset(), std::invalid_argument);
}
