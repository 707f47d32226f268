// The module tree's state: buffers, named_modules/children, state_dict in PyTorch's order, load_state_dict
// strict and not, mt::load_into with LoadOptions, mt::save storing buffers. The expected names are PyTorch
// 1.13's for the same tree (nn.Module with register_buffer, persistent=False, a tied head).
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cstdio>
#include <string>
#include <vector>

#include "helpers.h"

namespace mt = microtorch;
using helpers::names;
using Catch::Matchers::Contains;

namespace {

struct Block : mt::nn::Module {
  mt::Tensor count, scale, tmp;
  mt::nn::Linear fc{mt::nn::LinearOptions(4, 4)};
  Block() {
    count = register_buffer("count", mt::zeros({}));
    scale = register_parameter("scale", mt::ones({4}));
    register_module("fc", fc);
    tmp = register_buffer("tmp", mt::zeros({1}), /*persistent=*/false);
  }
};

struct Net : mt::nn::Module {
  mt::nn::Embedding wte{mt::nn::EmbeddingOptions(10, 4)};
  std::vector<Block> h = std::vector<Block>(2);
  mt::nn::Linear head{mt::nn::LinearOptions(4, 10).bias(false)};
  Net() {
    register_module("wte", wte);
    for (size_t i = 0; i < h.size(); ++i) register_module("h." + std::to_string(i), h[i]);
    register_module("head", head);
    register_buffer("mask", mt::ones({3}));
    head.weight = wte.weight;  // tied after registering, as nanoGPT does
  }
};

std::string scratch(const std::string& name) { return "test_module_state_" + name; }

}  // namespace

TEST_CASE("module state: state_dict, named_parameters and named_buffers in PyTorch's order") {
  Net net;
  // torch: [k for k in net.state_dict()] for the same tree
  CHECK(names(net.state_dict()) ==
        std::vector<std::string>{"mask", "wte.weight", "h.0.scale", "h.0.count", "h.0.fc.weight", "h.0.fc.bias",
                                 "h.1.scale", "h.1.count", "h.1.fc.weight", "h.1.fc.bias", "head.weight"});
  CHECK(names(net.named_parameters()) == std::vector<std::string>{"wte.weight", "h.0.scale", "h.0.fc.weight",
                                                                  "h.0.fc.bias", "h.1.scale", "h.1.fc.weight",
                                                                  "h.1.fc.bias"});
  CHECK(names(net.named_buffers()) == std::vector<std::string>{"mask", "h.0.count", "h.0.tmp", "h.1.count", "h.1.tmp"});
  CHECK(names(net.named_buffers(/*recurse=*/false)) == std::vector<std::string>{"mask"});
  CHECK(net.buffers().size() == 5);
  CHECK(net.parameters().size() == 7);  // buffers are not parameters; the tied head counts once
  CHECK(names(net.h[0].named_parameters(false)) == std::vector<std::string>{"scale"});
}

TEST_CASE("module state: state_dict entries are detached and share storage with the module's tensors") {
  Net net;
  const auto sd = net.state_dict();
  const mt::Tensor& w = sd[1].second;  // wte.weight
  CHECK_FALSE(w.requires_grad());
  CHECK(w.data_ptr<float>() == net.wte.weight.data_ptr<float>());
  CHECK(sd.back().second.data_ptr<float>() == net.wte.weight.data_ptr<float>());  // head.weight: the same table
  CHECK(sd[0].second.data_ptr<float>() == net.named_buffers()[0].second.data_ptr<float>());
}

TEST_CASE("module state: named_modules, modules, named_children and children") {
  Net net;
  CHECK(names(net.named_modules()) ==
        std::vector<std::string>{"", "wte", "h.0", "h.0.fc", "h.1", "h.1.fc", "head"});
  CHECK(net.modules().size() == 7);
  CHECK(names(net.named_children()) == std::vector<std::string>{"wte", "h.0", "h.1", "head"});
  const std::vector<mt::nn::Module> kids = net.children();
  REQUIRE(kids.size() == 4);
  // a handle from the walk is the module itself: its mode and tensors are the child's
  CHECK(names(kids[1].named_parameters()) == std::vector<std::string>{"scale", "fc.weight", "fc.bias"});
  mt::nn::Module fc = net.named_modules()[3].second;
  fc.eval();
  CHECK_FALSE(net.h[0].fc.is_training());
  CHECK(net.h[0].is_training());
  // a module registered twice is one module: listed once, under its first name
  struct Twice : mt::nn::Module {
    mt::nn::Linear a{mt::nn::LinearOptions(2, 2)};
    Twice() { register_module("a", a); register_module("b", a); }
  } twice;
  CHECK(names(twice.named_modules()) == std::vector<std::string>{"", "a"});
  CHECK(names(twice.named_children()) == std::vector<std::string>{"a"});
  CHECK(names(twice.state_dict()) == std::vector<std::string>{"a.weight", "a.bias", "b.weight", "b.bias"});
}

TEST_CASE("module state: load_state_dict copies in place, strict reports every missing and unexpected name") {
  mt::manual_seed(1);
  Net a, b;
  const mt::Tensor b_weight = b.h[1].fc.weight;  // a live handle: it must keep working
  auto keys = b.load_state_dict(a.state_dict());
  CHECK(keys.missing_keys.empty());
  CHECK(keys.unexpected_keys.empty());
  CHECK(b_weight.is_same(b.h[1].fc.weight));
  CHECK(b.h[1].fc.weight.to_vector<float>() == a.h[1].fc.weight.to_vector<float>());
  CHECK(b.wte.weight.to_vector<float>() == a.wte.weight.to_vector<float>());

  // not strict: the names that did not match come back; the rest is loaded
  mt::nn::NamedParameters sd = a.state_dict();
  sd.erase(sd.begin() + 2);                                   // h.0.scale
  sd.emplace_back("h.9.scale", mt::ones({4}));
  mt::nn::init::constant_(a.h[1].fc.bias, 7.0);
  keys = b.load_state_dict(sd, /*strict=*/false);
  CHECK(keys.missing_keys == std::vector<std::string>{"h.0.scale"});
  CHECK(keys.unexpected_keys == std::vector<std::string>{"h.9.scale"});
  CHECK(b.h[1].fc.bias.to_vector<float>() == std::vector<float>(4, 7.0f));

  // strict: refused, naming both, and nothing is written
  mt::nn::init::constant_(a.h[1].fc.bias, 9.0);
  sd = a.state_dict();
  sd.erase(sd.begin() + 2);
  sd.emplace_back("h.9.scale", mt::ones({4}));
  REQUIRE_THROWS_AS(b.load_state_dict(sd), std::runtime_error);
  REQUIRE_THROWS_WITH(b.load_state_dict(sd), Contains("no tensor 'h.0.scale'") &&
                                                 Contains("unexpected tensor 'h.9.scale'"));
  CHECK(b.h[1].fc.bias.to_vector<float>() == std::vector<float>(4, 7.0f));

  // a tied tensor needs one of its names: a state dict without "head.weight" is complete
  sd = a.state_dict();
  sd.pop_back();
  CHECK(b.load_state_dict(sd).missing_keys.empty());
}

TEST_CASE("module state: a shape or dtype that does not fit is refused even when not strict, before any write") {
  Net a, b;
  auto sd = a.state_dict();
  const std::vector<float> before = b.wte.weight.to_vector<float>();
  sd[5].second = mt::zeros({3});  // h.0.fc.bias is (4)
  REQUIRE_THROWS_AS(b.load_state_dict(sd, false), std::invalid_argument);
  REQUIRE_THROWS_WITH(b.load_state_dict(sd, false), Contains("h.0.fc.bias") && Contains("[3]") && Contains("[4]"));
  CHECK(b.wte.weight.to_vector<float>() == before);  // wte.weight comes earlier and was not written
  sd = a.state_dict();
  sd[3].second = mt::zeros({}, mt::kInt64);  // h.0.count is float32
  REQUIRE_THROWS_WITH(b.load_state_dict(sd, false), Contains("h.0.count") && Contains("int64") && Contains("float32"));
  sd = a.state_dict();
  sd.push_back(sd[0]);
  REQUIRE_THROWS_WITH(b.load_state_dict(sd, false), Contains("'mask' twice"));
}

TEST_CASE("module state: mt::save stores buffers, and load_into strict(false) reports missing and unexpected names") {
  Net a, b;
  mt::nn::init::constant_(a.named_buffers()[0].second, 5.0);  // mask
  {
    mt::NoGradGuard no_grad;
    a.h[1].count.fill_(3.0f);
  }
  mt::save(a, scratch("net.safetensors"));
  const auto file = mt::load(scratch("net.safetensors"));
  CHECK(names(file) == names(a.state_dict()));  // buffers included, the non-persistent tmp left out
  auto keys = mt::load_into(b, scratch("net.safetensors"));
  CHECK(keys.missing_keys.empty());
  CHECK(b.named_buffers()[0].second.to_vector<float>() == std::vector<float>(3, 5.0f));
  CHECK(b.h[1].count.item<float>() == 3.0f);

  mt::save(mt::NamedTensors{{"wte.weight", a.wte.weight.detach()}, {"extra", mt::ones({1})}}, scratch("part.safetensors"));
  REQUIRE_THROWS_WITH(mt::load_into(b, scratch("part.safetensors")),
                      Contains("part.safetensors") && Contains("unexpected tensor 'extra'") && Contains("h.0.scale"));
  keys = mt::load_into(b, scratch("part.safetensors"), mt::LoadOptions().strict(false));
  CHECK(keys.unexpected_keys == std::vector<std::string>{"extra"});
  CHECK(keys.missing_keys.size() == 9);  // everything but wte.weight (and head.weight, tied to it)
  std::remove(scratch("net.safetensors").c_str());
  std::remove(scratch("part.safetensors").c_str());
}

TEST_CASE("module state: register_buffer takes any dtype, a Linear without bias lists none") {
  mt::nn::Module m;
  mt::Tensor& steps = m.register_buffer("steps", mt::zeros({}, mt::kInt64));
  CHECK_THROWS_AS(m.register_buffer("later", mt::Tensor()), std::invalid_argument);
  CHECK(names(m.named_buffers()) == std::vector<std::string>{"steps"});
  CHECK_THROWS_AS(m.register_parameter("steps", mt::ones({1})), std::invalid_argument);
  CHECK_FALSE(steps.requires_grad());
  CHECK(m.parameters().empty());
  CHECK(names(m.state_dict()) == std::vector<std::string>{"steps"});
  mt::nn::Linear no_bias(mt::nn::LinearOptions(2, 2).bias(false));  // its "bias" slot is reserved, empty
  CHECK(names(no_bias.state_dict()) == std::vector<std::string>{"weight"});
  no_bias.bias = mt::zeros({2}).requires_grad_(true);  // as PyTorch's lin.bias = Parameter(...)
  CHECK(names(no_bias.state_dict()) == std::vector<std::string>{"weight", "bias"});
  CHECK_THROWS_AS(no_bias.register_parameter("bias", mt::ones({2})), std::invalid_argument);
}
