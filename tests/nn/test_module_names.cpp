// Issue 30, item 12: every dotted name in a module tree is unique, and what a parent lists for a child does not
// depend on which copy of the child was used last or on whether a weight was tied before or after registering.
// A test per case; each fails with the old per-copy weight fields synced when listed.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <memory>
#include <string>
#include <vector>

#include "helpers.h"

namespace mt = microtorch;
using helpers::names;
namespace F = mt::nn::functional;
using Catch::Matchers::Contains;

TEST_CASE("module names: a parameter or buffer name has no dot, as PyTorch") {
  mt::nn::Module m;
  REQUIRE_THROWS_AS(m.register_parameter("a.b", mt::ones({1})), std::invalid_argument);
  REQUIRE_THROWS_WITH(m.register_parameter("a.b", mt::ones({1})), Contains("'a.b'") && Contains("\".\""));
  REQUIRE_THROWS_AS(m.register_buffer("a.b", mt::ones({1})), std::invalid_argument);
  CHECK(m.state_dict().empty());
}

TEST_CASE("module names: a child name that begins another (or is begun by one) is refused") {
  // Before: register_module("a", child with "b") and a parameter "a.b", or children "h" (holding "0") and
  // "h.0", listed one dotted name twice.
  mt::nn::Linear lin(mt::nn::LinearOptions(2, 2));
  mt::nn::Module holder;
  holder.register_module("0", lin);
  mt::nn::Module m;
  m.register_module("h", holder);
  REQUIRE_THROWS_WITH(m.register_module("h.0", lin), Contains("'h.0'") && Contains("'h'"));
  mt::nn::Module n;
  n.register_module("h.0", lin);
  REQUIRE_THROWS_AS(n.register_module("h", holder), std::invalid_argument);
  REQUIRE_THROWS_AS(n.register_parameter("h", mt::ones({1})), std::invalid_argument);
  REQUIRE_THROWS_AS(n.register_module("h.0.weight", lin), std::invalid_argument);
  REQUIRE_THROWS_AS(n.register_module("h..1", lin), std::invalid_argument);
  REQUIRE_THROWS_AS(n.register_module(".h", lin), std::invalid_argument);
  n.register_module("h.1", lin);  // siblings under one prefix are fine (what a ModuleList yields)
  n.register_module("hh", lin);   // so is a name that merely starts with the same letters
  CHECK(names(n.state_dict()) == std::vector<std::string>{"h.0.weight", "h.0.bias", "h.1.weight", "h.1.bias",
                                                          "hh.weight", "hh.bias"});
  const auto sd = m.state_dict();
  CHECK(names(sd) == std::vector<std::string>{"h.0.weight", "h.0.bias"});
}

TEST_CASE("module names: what a parent lists does not depend on which copy of a child was listed last") {
  mt::nn::Linear a(mt::nn::LinearOptions(3, 2));
  mt::nn::Linear b = a;  // the same module
  mt::nn::Module parent;
  parent.register_module("fc", a);
  const mt::Tensor x = mt::zeros({2, 3}).requires_grad_(true);
  b.weight = x;  // assigned through the other copy
  // every order of listing gives the same answer (before: whichever copy synced last won)
  for (int order = 0; order < 2; ++order) {
    if (order == 0) { a.named_parameters(); b.named_parameters(); }
    else { b.named_parameters(); a.named_parameters(); }
    CHECK(parent.named_parameters()[0].second.is_same(x));
    CHECK(a.weight.is_same(x));
    CHECK(a.named_parameters()[0].second.is_same(x));
  }
  CHECK(a(mt::ones({1, 3})).sum().item<float>() == Approx(b.bias.sum().item<float>()));  // a uses x = 0
  // a copy that dies after its assignment still leaves its assignment behind
  {
    mt::nn::Linear c = a;
    c.bias = mt::ones({2}).requires_grad_(true);
  }
  CHECK(a.bias.sum().item<float>() == 2.0f);
  CHECK(parent.state_dict()[1].second.sum().item<float>() == 2.0f);
}

TEST_CASE("module names: tying after registering is what the parent lists, once, and gradients add up") {
  struct Tied : mt::nn::Module {
    mt::nn::Embedding wte{mt::nn::EmbeddingOptions(6, 3)};
    mt::nn::Linear head{mt::nn::LinearOptions(3, 6).bias(false)};
    Tied() {
      register_module("wte", wte);
      register_module("head", head);
      head.weight = wte.weight;  // after registering (nanoGPT's order)
    }
  } m;
  const auto named = m.named_parameters();
  REQUIRE(names(named) == std::vector<std::string>{"wte.weight"});
  CHECK(named[0].second.is_same(m.wte.weight));
  CHECK(m.parameters().size() == 1);
  CHECK(names(m.state_dict()) == std::vector<std::string>{"wte.weight", "head.weight"});  // as PyTorch's
  // a copy of the model made before the tie sees it too
  Tied copy = m;
  CHECK(copy.head.weight.is_same(m.wte.weight));
  // the gradient is the sum of both uses
  const mt::Tensor ids = mt::tensor(std::vector<int64_t>{1, 4}, {2});
  F::cross_entropy(m.head(m.wte(ids)), ids).backward();
  const mt::Tensor g = m.wte.weight.grad();
  m.zero_grad();
  mt::Tensor w2 = m.wte.weight.detach().clone().requires_grad_(true);
  F::cross_entropy(F::linear(F::embedding(ids, w2), w2), ids).backward();
  CHECK(g.to_vector<float>() == w2.grad().to_vector<float>());
}

TEST_CASE("module names: assigning a module puts the other's tensors where a parent registered it") {
  mt::nn::Linear fc(mt::nn::LinearOptions(2, 2));
  mt::nn::Module parent;
  parent.register_module("fc", fc);
  mt::nn::Linear other(mt::nn::LinearOptions(2, 2));
  other.eval();
  fc = other;  // as PyTorch's parent.fc = other
  CHECK(parent.named_parameters()[0].second.is_same(other.weight));
  CHECK(fc.weight.is_same(other.weight));
  CHECK_FALSE(fc.is_training());
  fc.train();
  CHECK_FALSE(other.is_training());  // assignment shares the tensors, not the module
}

TEST_CASE("module names: a chain of 200,000 modules registers, lists and is released without recursion") {
  const int n = 200000;
  auto leaf = std::make_unique<mt::nn::Module>();
  leaf->register_parameter("w", mt::ones({1}));
  auto at = std::make_unique<mt::nn::Module>(*leaf);
  for (int i = 1; i < n; ++i) {  // each new module holds the chain so far
    auto up = std::make_unique<mt::nn::Module>();
    up->register_module("c", *at);
    at = std::move(up);
  }
  const auto named = at->named_parameters();
  REQUIRE(named.size() == 1);
  CHECK(named[0].first.size() == 2 * (n - 1) + 1);  // "c.c. ... .c.w"
  CHECK(at->modules().size() == static_cast<size_t>(n));
  at->eval();
  CHECK_FALSE(leaf->is_training());
  CHECK_THROWS_AS(leaf->register_module("top", *at), std::invalid_argument);  // a cycle, found going up
  at.reset();  // releases 199,999 States: a loop, not nested destructors
  CHECK(leaf->named_parameters().size() == 1);
}
