// Sequential, ModuleList, ModuleDict and the activation modules: PyTorch 1.13's dotted names, values and
// gradients for the same modules and weights (nn.Sequential(Linear(3,4), Tanh(), Linear(4,2),
// GELU(approximate='tanh'), Sigmoid(), Identity()) with the weights set below).
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <string>
#include <vector>

#include "helpers.h"

namespace mt = microtorch;
using helpers::names;
using Catch::Matchers::Contains;

namespace {

void check_close(const mt::Tensor& got, const std::vector<float>& want, float tol = 2e-6f) {
  const std::vector<float> v = got.to_vector<float>();
  REQUIRE(v.size() == want.size());
  for (size_t i = 0; i < v.size(); ++i) {
    INFO("element " << i);
    CHECK(v[i] == Approx(want[i]).margin(tol));
  }
}

struct Block : mt::nn::Module {
  mt::nn::Linear fc{mt::nn::LinearOptions(2, 2)};
  Block() {
    register_module("fc", fc);
    register_buffer("n", mt::zeros({}));
  }
  mt::Tensor forward(const mt::Tensor& x, const mt::Tensor& scale) { return fc(x) * scale; }  // not a Tensor(Tensor)
};

}  // namespace

TEST_CASE("containers: Sequential runs its modules in order, with PyTorch's names, values and gradients") {
  mt::nn::Sequential seq(mt::nn::Linear(mt::nn::LinearOptions(3, 4)), mt::nn::Tanh(),
                         mt::nn::Linear(mt::nn::LinearOptions(4, 2)),
                         mt::nn::GELU(mt::nn::GELUOptions().approximate("tanh")), mt::nn::Sigmoid(),
                         mt::nn::Identity());
  CHECK(names(seq.state_dict()) == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(seq.size() == 6);
  {
    mt::NoGradGuard no_grad;
    auto& l0 = seq[0].get<mt::nn::Linear>();
    auto& l2 = seq[2].get<mt::nn::Linear>();
    l0.weight.copy_(mt::arange(12, mt::kFloat32).view({4, 3}) / 10.0f - 0.5f);
    l0.bias.copy_(mt::tensor({0.1f, -0.2f, 0.3f, -0.4f}));
    l2.weight.copy_(mt::arange(8, mt::kFloat32).view({2, 4}) / 7.0f - 0.6f);
    l2.bias.copy_(mt::tensor({0.05f, -0.05f}));
  }
  const mt::Tensor x = mt::tensor({1.f, -2.f, 0.5f, 0.3f, 0.7f, -1.2f}, {2, 3}).requires_grad_(true);
  const mt::Tensor y = seq(x);
  check_close(y, {0.5065111517906189f, 0.47253331542015076f, 0.5358318090438843f, 0.4722045958042145f});
  (y * mt::tensor({1.f, 2.f, 3.f, 4.f}, {2, 2})).sum().backward();
  check_close(x.grad(), {0.05639728158712387f, 0.04545547813177109f, 0.034513674676418304f, 0.19155485928058624f,
                         0.1342301219701767f, 0.07690533995628357f});
  check_close(seq[0].get<mt::nn::Linear>().weight.grad(),
              {-0.17464987933635712f, -0.0614156499505043f, 0.33918723464012146f, -0.09878571331501007f,
               -0.040028005838394165f, 0.19734501838684082f, -0.03321452811360359f, -0.049926161766052246f,
               0.10422315448522568f, 0.025257781147956848f, -0.03106742911040783f, -0.007567248772829771f});
  check_close(seq[2].get<mt::nn::Linear>().bias.grad(), {0.6488593816757202f, 0.4154433608055115f});
  CHECK_THROWS_AS(seq[6], std::out_of_range);
  CHECK_THROWS_AS(seq[1].get<mt::nn::Linear>(), std::invalid_argument);  // a Tanh
}

TEST_CASE("containers: a module in a Sequential is the module itself, and copies share the list") {
  mt::nn::Linear fc(mt::nn::LinearOptions(2, 2));
  mt::nn::Sequential seq;
  seq.push_back(fc);
  seq.push_back("act", mt::nn::ReLU());
  mt::nn::Sequential copy = seq;
  copy.push_back(mt::nn::Identity());
  CHECK(seq.size() == 3);
  const mt::Tensor w = mt::zeros({2, 2}).requires_grad_(true);
  fc.weight = w;  // assigned through the user's handle: the container's copy sees it
  CHECK(seq.named_parameters()[0].second.is_same(w));
  CHECK(names(seq.named_parameters()) == std::vector<std::string>{"0.weight", "0.bias"});
  seq.eval();
  CHECK_FALSE(fc.is_training());
  CHECK(mt::nn::Sequential()(w).is_same(w));  // empty: the identity
  CHECK(mt::nn::ReLU()(mt::tensor({-1.f, 0.f, 2.f})).to_vector<float>() == std::vector<float>{0.f, 0.f, 2.f});
  CHECK_THROWS_AS(mt::nn::GELU(mt::nn::GELUOptions().approximate("erf")), std::invalid_argument);
}

TEST_CASE("containers: ModuleList and ModuleDict give PyTorch's dotted names") {
  struct Model : mt::nn::Module {
    mt::nn::ModuleList layers;
    mt::nn::ModuleDict heads;
    Model() {
      layers.push_back(Block());
      layers.push_back(Block());
      heads.insert("fc", mt::nn::Linear(mt::nn::LinearOptions(2, 3)));
      heads.insert("out", mt::nn::Linear(mt::nn::LinearOptions(3, 1)));
      register_module("layers", layers);
      register_module("heads", heads);
    }
  } m;
  // torch: m.layers = nn.ModuleList([Block(), Block()]); m.heads = nn.ModuleDict({'fc': ..., 'out': ...})
  CHECK(names(m.state_dict()) == std::vector<std::string>{"layers.0.n", "layers.0.fc.weight", "layers.0.fc.bias",
                                                          "layers.1.n", "layers.1.fc.weight", "layers.1.fc.bias",
                                                          "heads.fc.weight", "heads.fc.bias", "heads.out.weight",
                                                          "heads.out.bias"});
  std::vector<std::string> modules;
  for (const auto& entry : m.named_modules()) modules.push_back(entry.first);
  CHECK(modules == std::vector<std::string>{"", "layers", "layers.0", "layers.0.fc", "layers.1", "layers.1.fc",
                                            "heads", "heads.fc", "heads.out"});
  CHECK(m.layers.size() == 2);
  CHECK(m.heads.contains("fc"));
  CHECK_FALSE(m.heads.contains("fc2"));
  CHECK(m.heads.keys() == std::vector<std::string>{"fc", "out"});
  CHECK(m.heads["out"](mt::ones({1, 3})).shape() == mt::Shape{1, 1});
  REQUIRE_THROWS_WITH(m.heads["nope"], Contains("'nope'") && Contains("'fc', 'out'"));
  // a block's own forward through its type; the type-erased one says it has none
  const mt::Tensor y = m.layers[1].get<Block>().forward(mt::ones({1, 2}), mt::full({}, 2.0f));
  CHECK(y.shape() == mt::Shape{1, 2});
  CHECK_THROWS_AS(m.layers[1](mt::ones({1, 2})), std::logic_error);
  // inserting a name again replaces the module, as PyTorch's
  mt::nn::Linear wide(mt::nn::LinearOptions(2, 5));
  m.heads.insert("fc", wide);
  CHECK(m.heads.size() == 2);
  CHECK(m.state_dict()[6].second.shape() == mt::Shape{5, 2});
  CHECK(m.named_parameters()[4].second.is_same(wide.weight));
}

TEST_CASE("containers: assigning a container makes it hold the other's modules") {
  mt::nn::Sequential a(mt::nn::Linear(mt::nn::LinearOptions(2, 2)));
  mt::nn::Sequential b(mt::nn::Linear(mt::nn::LinearOptions(2, 3)), mt::nn::Tanh());
  mt::nn::Module parent;
  parent.register_module("seq", a);
  a = b;
  CHECK(a.size() == 2);
  CHECK(parent.named_parameters()[0].second.is_same(b[0].get<mt::nn::Linear>().weight));
  CHECK(a(mt::ones({1, 2})).shape() == mt::Shape{1, 3});
  mt::nn::Sequential outer(a);  // a Sequential holding a: copy-constructed (one argument of its own type)
  CHECK(outer.size() == 2);
}
