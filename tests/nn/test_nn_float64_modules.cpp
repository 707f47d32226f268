// Modules in float64 (Module::to), a small GPT block's forward and backward in float64 against central finite
// differences of its parameters, SGD stepping float64 parameters, the refusals (mixed dtypes as PyTorch, Adam's
// float32-only kernel), and float16/bfloat16 inputs computed in float32 inside.
#include "../helpers.h"

namespace {

namespace mt = microtorch;
namespace F = mt::nn::functional;

// Embedding -> LayerNorm -> causal self-attention (one head) -> residual -> LayerNorm -> MLP (GELU) -> residual
// -> LayerNorm -> head tied to the embedding -> cross_entropy.
struct Block : mt::nn::Module {
  mt::nn::Embedding wte{mt::nn::EmbeddingOptions(7, 4)};
  mt::nn::LayerNorm ln1{mt::nn::LayerNormOptions({4})}, ln2{mt::nn::LayerNormOptions({4})}, lnf{mt::nn::LayerNormOptions({4})};
  mt::nn::Linear qkv{mt::nn::LinearOptions(4, 12)}, proj{mt::nn::LinearOptions(4, 4)};
  mt::nn::Linear fc{mt::nn::LinearOptions(4, 8)}, out{mt::nn::LinearOptions(8, 4)}, head{mt::nn::LinearOptions(4, 7).bias(false)};
  Block() {
    register_module("wte", wte);
    register_module("ln1", ln1);
    register_module("qkv", qkv);
    register_module("proj", proj);
    register_module("ln2", ln2);
    register_module("fc", fc);
    register_module("out", out);
    register_module("lnf", lnf);
    register_module("head", head);
    head.weight = wte.weight;  // tied
  }
  mt::Tensor loss(const mt::Tensor& idx, const mt::Tensor& targets) {
    mt::Tensor x = wte.forward(idx);  // (1, T, 4)
    const std::vector<mt::Tensor> q_k_v = qkv.forward(ln1.forward(x)).split(4, -1);
    x = x + proj.forward(F::scaled_dot_product_attention(q_k_v[0], q_k_v[1], q_k_v[2], {}, 0.0, true));
    x = x + out.forward(F::gelu(fc.forward(ln2.forward(x))));
    const mt::Tensor logits = head.forward(lnf.forward(x));  // (1, T, 7)
    return F::cross_entropy(logits.view({-1, 7}), targets);
  }
};

// Every element of every parameter: backward's gradient against (L(p + h) - L(p - h)) / 2h, h = 1e-6.
void require_parameter_gradients(mt::nn::Module& m, const std::function<mt::Tensor()>& loss) {
  m.zero_grad();
  loss().backward();
  for (const auto& [name, p] : m.named_parameters()) {
    REQUIRE(p.dtype() == mt::kFloat64);
    const std::vector<double> g = p.grad().to_vector<double>();
    for (int64_t k = 0; k < p.numel(); ++k) {
      double* v = p.data_ptr<double>() + k;
      const double keep = *v, h = 1e-6;
      double up, down;
      {
        mt::NoGradGuard off;
        *v = keep + h;
        up = loss().item<double>();
        *v = keep - h;
        down = loss().item<double>();
        *v = keep;
      }
      const double numeric = (up - down) / (2 * h);
      INFO(name << "[" << k << "]: backward " << g[k] << ", finite differences " << numeric);
      REQUIRE(std::fabs(g[k] - numeric) <= 1e-6 + 1e-5 * std::fabs(numeric));
    }
  }
}

}  // namespace

TEST_CASE("Module::to(kFloat64) converts parameters and buffers in place, keeping handles and tying", "[nn][float64]") {
  mt::manual_seed(3);
  Block m;
  mt::nn::BatchNorm1d bn(mt::nn::BatchNorm1dOptions(4));
  m.register_module("bn", bn);
  const mt::Tensor handle = m.wte.weight;  // a copy of the handle, as a user's struct or an optimizer keeps
  const std::vector<float> before = handle.to_vector<float>();
  m.to(mt::kFloat64);
  REQUIRE(handle.dtype() == mt::kFloat64);
  REQUIRE(handle.is_same(m.head.weight));
  REQUIRE(m.head.weight.is_same(m.wte.weight));
  const std::vector<double> after = handle.to_vector<double>();
  for (size_t i = 0; i < before.size(); ++i) REQUIRE(after[i] == static_cast<double>(before[i]));
  for (const auto& [name, t] : m.named_buffers()) {
    INFO(name);
    REQUIRE(t.dtype() == (name == "bn.num_batches_tracked" ? mt::kInt64 : mt::kFloat64));
  }
  REQUIRE(m.wte.weight.requires_grad());
  REQUIRE_THROWS_AS(m.to(mt::kInt64), std::invalid_argument);
  m.to(mt::kFloat32);
  REQUIRE(handle.to_vector<float>() == before);
}

TEST_CASE("A float64 GPT block: forward and backward through nn modules equal finite differences", "[nn][float64]") {
  mt::manual_seed(11);
  Block m;
  m.to(mt::kFloat64);
  const mt::Tensor idx = mt::tensor(std::vector<int64_t>{3, 1, 6, 1, 0}, {1, 5});
  const mt::Tensor targets = mt::tensor(std::vector<int64_t>{1, 6, 1, 0, 2}, {5});
  REQUIRE(m.loss(idx, targets).dtype() == mt::kFloat64);
  require_parameter_gradients(m, [&] { return m.loss(idx, targets); });
}

TEST_CASE("A float64 MLP trains with SGD (momentum, weight decay) and refuses Adam by name", "[nn][float64][optim]") {
  mt::manual_seed(5);
  mt::nn::Sequential mlp(mt::nn::Linear(mt::nn::LinearOptions(3, 6)), mt::nn::GELU(), mt::nn::Linear(mt::nn::LinearOptions(6, 2)));
  mlp.to(mt::kFloat64);
  const mt::Tensor x = mt::randn({8, 3}, mt::kFloat64);
  const mt::Tensor t = mt::tensor(std::vector<int64_t>{0, 1, 1, 0, 1, 0, 0, 1}, {8});
  auto loss = [&] { return F::cross_entropy(mlp.forward(x), t); };
  require_parameter_gradients(mlp, loss);

  // one SGD step by hand in double: buf = g + wd p (first step), p -= lr buf
  const mt::Tensor w = mlp.parameters()[0];
  const std::vector<double> p0 = w.to_vector<double>();
  mt::optim::SGD opt(mlp.parameters(), mt::optim::SGDOptions(0.1).momentum(0.9).weight_decay(0.01));
  opt.zero_grad();
  loss().backward();
  const std::vector<double> g = w.grad().to_vector<double>();
  opt.step();
  const std::vector<double> p1 = w.to_vector<double>();
  for (size_t k = 0; k < p0.size(); ++k) REQUIRE(p1[k] == std::fma(std::fma(p0[k], 0.01, g[k]), -0.1, p0[k]));
  const double first = loss().item<double>();
  for (int s = 0; s < 30; ++s) {
    opt.zero_grad();
    loss().backward();
    opt.step();
  }
  REQUIRE(loss().item<double>() < first);
  REQUIRE(w.dtype() == mt::kFloat64);

  REQUIRE_THROWS_WITH(mt::optim::Adam(mlp.parameters(), mt::optim::AdamOptions(1e-3)),
                      Catch::Contains("Adam: parameters must be float32") && Catch::Contains("float64"));
  REQUIRE_THROWS_WITH(mt::optim::AdamW(mlp.parameters(), mt::optim::AdamWOptions(1e-3)),
                      Catch::Contains("AdamW: parameters must be float32"));
}

TEST_CASE("nn ops refuse mixed float32/float64 operands as PyTorch, naming both dtypes", "[nn][float64]") {
  const mt::Tensor x32 = mt::randn({2, 4}), x64 = x32.to(mt::kFloat64);
  const mt::Tensor w32 = mt::randn({3, 4}), w4 = mt::ones({4});
  auto refused = [](const std::function<void()>& f, const char* op) {
    INFO(op);
    REQUIRE_THROWS_WITH(f(), Catch::Contains(op) && Catch::Contains("float64") && Catch::Contains("float32"));
  };
  refused([&] { F::linear(x64, w32); }, "linear");
  refused([&] { F::layer_norm(x64, F::LayerNormFuncOptions({4}).weight(w4)); }, "layer_norm");
  refused([&] { F::cross_entropy(x64, mt::tensor(std::vector<int64_t>{0, 1}, {2}), F::CrossEntropyFuncOptions().weight(w4)); },
          "cross_entropy");
  refused([&] { F::binary_cross_entropy(mt::sigmoid(x64), mt::sigmoid(x32)); }, "binary_cross_entropy");
  refused([&] { F::scaled_dot_product_attention(x64.view({1, 2, 4}), x32.view({1, 2, 4}), x32.view({1, 2, 4})); },
          "scaled_dot_product_attention");
  refused([&] { F::batch_norm(x64, mt::zeros({4}), mt::ones({4}), F::BatchNormFuncOptions().training(true)); }, "batch_norm");
  // the composed losses promote, as PyTorch's mse_loss(float32, float64) is float64
  REQUIRE(F::mse_loss(x32, x64).dtype() == mt::kFloat64);
  REQUIRE(F::binary_cross_entropy_with_logits(x32, mt::sigmoid(x64)).dtype() == mt::kFloat64);
}

TEST_CASE("float16 and bfloat16 inputs run in float32 inside and come back in their dtype", "[nn][float16]") {
  mt::manual_seed(2);
  const mt::Tensor x = mt::randn({3, 4}), w = mt::randn({2, 4}), b = mt::randn({2});
  const mt::Tensor t = mt::tensor(std::vector<int64_t>{0, 3, 1}, {3});
  for (const mt::Dtype d : {mt::kFloat16, mt::kBFloat16}) {
    INFO(mt::dtype_name(d));
    const mt::Tensor xd = x.to(d), wd = w.to(d), bd = b.to(d), x32 = xd.to(mt::kFloat32);
    // the float32 op on the rounded inputs, rounded once to d: the same values
    auto same = [d](const mt::Tensor& got, const mt::Tensor& want32) {
      REQUIRE(got.dtype() == d);
      REQUIRE(got.to(mt::kFloat32).to_vector<float>() == want32.to(d).to(mt::kFloat32).to_vector<float>());
    };
    same(F::gelu(xd), F::gelu(x32));
    same(F::logsigmoid(xd), F::logsigmoid(x32));
    same(F::layer_norm(xd, F::LayerNormFuncOptions({4})), F::layer_norm(x32, F::LayerNormFuncOptions({4})));
    same(F::linear(xd, wd, bd), F::linear(x32, wd.to(mt::kFloat32), bd.to(mt::kFloat32)));
    same(F::cross_entropy(xd, t), F::cross_entropy(x32, t));
    same(F::embedding(t, xd.t().contiguous()), F::embedding(t, x32.t().contiguous()));
    mt::Tensor xl = xd.detach().requires_grad_(true);
    F::gelu(xl).sum().backward();
    REQUIRE(xl.grad().dtype() == d);
    REQUIRE_THROWS_WITH(F::batch_norm(xd, {}, {}, F::BatchNormFuncOptions().training(true)),
                        Catch::Contains("float16/bfloat16 are not supported"));
  }
}
