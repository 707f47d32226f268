// Deep structures: a graph of 100k recorded ops and a tree of 200k nested modules are built, walked and
// released without one C++ stack frame per level (issue 30, item 2). Each case overflowed the 8 MB stack
// before its walk was made iterative: freeing a graph dropped without backward(), register_module's cycle
// check, named_parameters(), train()/eval() and the release of the module tree.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <optional>
#include <string>

namespace mt = microtorch;

TEST_CASE("deep graphs: a 100k-op chain dropped without backward() is released") {
  mt::Tensor x = mt::ones({4}).requires_grad_(true);
  {
    mt::Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = mt::tanh(y);
    REQUIRE_FALSE(y.is_leaf());
  }  // the whole chain is freed here
  REQUIRE(x.grad().defined() == false);
}

TEST_CASE("deep graphs: a 50k-step h = tanh(linear(h)) loop without NoGradGuard is released") {
  mt::manual_seed(0);
  mt::nn::Linear lin(mt::nn::LinearOptions(8, 8));
  {
    mt::Tensor h = mt::randn({2, 8});
    for (int i = 0; i < 50000; ++i) h = mt::tanh(lin(h));
    REQUIRE(h.requires_grad());
  }
  REQUIRE_FALSE(lin.weight.grad().defined());
}

TEST_CASE("deep graphs: backward through a 100k-op chain gives the chain's gradient and frees it") {
  // y = x + x + ... (100001 terms): dy/dx = 100001, exact in float32
  mt::Tensor x = mt::tensor({0.5f, -2.0f}).requires_grad_(true);
  mt::Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y + x;
  y.sum().backward();
  REQUIRE(x.grad().to_vector<float>() == std::vector<float>{100001.0f, 100001.0f});
  REQUIRE_THROWS_WITH(y.sum().backward() /* a new sum, but the chain below it is freed */,
                      Catch::Contains("already freed"));
}

TEST_CASE("deep graphs: 200,000 nested modules register, list, switch mode, refuse a cycle and are released") {
  constexpr int kDepth = 200000;
  {
    mt::nn::Module root;
    // A handle re-seated by emplace: assigning a Module copies the other's tensors into this one (module.h).
    std::optional<mt::nn::Module> at(root);
    for (int i = 0; i < kDepth; ++i) {
      mt::nn::Module next;
      at->register_module("c", next);
      at.emplace(next);
    }
    mt::nn::Module& cur = *at;
    cur.register_parameter("w", mt::ones({1}));
    // the cycle check walks the whole chain below root
    REQUIRE_THROWS_WITH(cur.register_module("loop", root), Catch::Contains("cycle"));
    const auto named = root.named_parameters();
    REQUIRE(named.size() == 1);
    REQUIRE(named[0].first.size() == 2 * kDepth + 1);  // "c." * depth + "w"
    root.eval();
    REQUIRE_FALSE(cur.is_training());
    root.train();
    REQUIRE(cur.is_training());
  }  // root, cur and the 200k States between them are freed here
  {  // grown from the bottom: each new parent registers the chain so far (the cycle check must stay linear)
    std::optional<mt::nn::Module> top(std::in_place);
    top->register_parameter("w", mt::ones({1}));
    for (int i = 0; i < kDepth; ++i) {
      mt::nn::Module parent;
      parent.register_module("c", *top);
      top.emplace(parent);
    }
    REQUIRE(top->named_parameters().size() == 1);
    REQUIRE(top->named_parameters()[0].first.size() == 2 * kDepth + 1);
  }
}
