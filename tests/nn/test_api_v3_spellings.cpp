// Every spelling of API.md version 3, "Modules, losses, schedulers", written as a user would, compiled and run:
// if a spelling changes this stops compiling. The values themselves are checked against PyTorch elsewhere
// (tests/nn/test_containers, test_batchnorm, test_module_state, test_losses, tests/optim/test_lr_scheduler).
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cstdio>
#include <string>
#include <vector>

namespace mt = microtorch;
namespace F = mt::nn::functional;

TEST_CASE("API v3 spellings: modules, losses, schedulers") {
  const mt::Tensor x = mt::randn({4, 3});
  mt::nn::Sequential seq(mt::nn::Linear(mt::nn::LinearOptions(3, 8)), mt::nn::Tanh(), mt::nn::Linear(mt::nn::LinearOptions(8, 1)));
  CHECK(seq.forward(x).shape() == mt::Shape{4, 1});
  CHECK(seq(x).shape() == mt::Shape{4, 1});
  mt::nn::Linear block(mt::nn::LinearOptions(3, 3));
  mt::nn::ModuleList list; list.push_back(block); CHECK(list.size() == 1); CHECK(list[0](x).shape() == mt::Shape{4, 3});
  mt::nn::ModuleDict dict; dict.insert("fc", mt::nn::Linear(mt::nn::LinearOptions(3, 3))); CHECK(dict.contains("fc"));
  CHECK(dict["fc"](x).shape() == mt::Shape{4, 3});
  mt::nn::BatchNorm1d bn(mt::nn::BatchNorm1dOptions(3).eps(1e-5).momentum(0.1));
  bn(x);
  CHECK(bn.running_mean.shape() == mt::Shape{3});
  CHECK(bn.running_var.shape() == mt::Shape{3});
  CHECK(bn.num_batches_tracked.dim() == 0);
  CHECK(bn.num_batches_tracked.dtype() == mt::kInt64);
  mt::nn::ReLU(); mt::nn::Tanh(); mt::nn::GELU(); mt::nn::Sigmoid(); mt::nn::Identity();

  mt::nn::Module module;
  module.register_module("seq", seq);
  module.register_module("bn", bn);
  mt::Tensor b = module.register_buffer("name", mt::zeros({2}));
  CHECK(b.defined());
  CHECK(module.named_buffers().size() == 4);
  CHECK(module.buffers().size() == 4);
  CHECK(module.named_modules().size() == 6);  // "", seq, seq.0, seq.1, seq.2, bn
  CHECK(module.children().size() == 2);
  CHECK(module.named_children().size() == 2);
  auto sd = module.state_dict();
  module.load_state_dict(sd);
  const mt::nn::IncompatibleKeys keys = module.load_state_dict(sd, /*strict=*/false);
  CHECK(keys.missing_keys.empty());
  const std::string path = "test_api_v3_spellings.safetensors";
  mt::save(module, path);
  mt::load_into(module, path, mt::LoadOptions().strict(false));
  std::remove(path.c_str());

  const mt::Tensor logits = mt::randn({5, 4}), targets = mt::tensor({0, 3, 1, 1, 2});
  const mt::Tensor w = mt::tensor({1.f, 2.f, 0.5f, 1.f});
  F::nll_loss(mt::log_softmax(logits, 1), targets);
  F::mse_loss(x, x); F::l1_loss(x, x);
  F::binary_cross_entropy(mt::sigmoid(x), mt::ones({4, 3})); F::binary_cross_entropy_with_logits(x, mt::ones({4, 3}));
  CHECK(F::cross_entropy(logits, targets, F::CrossEntropyFuncOptions().reduction(mt::kSum).label_smoothing(0.1).weight(w))
            .dim() == 0);
  mt::nn::CrossEntropyLoss ce; mt::nn::MSELoss mse;
  CHECK(ce(logits, targets).dim() == 0);
  CHECK(mse(x, x).item<float>() == 0.0f);

  mt::Tensor p = mt::zeros({2}).requires_grad_(true);
  mt::optim::SGD opt({p}, mt::optim::SGDOptions(1.0));
  mt::optim::StepLR sched(opt, /*step_size=*/10, /*gamma=*/0.1); sched.step(); std::vector<double> lrs = sched.get_last_lr();
  mt::optim::ExponentialLR e(opt, /*gamma=*/0.9);  mt::optim::CosineAnnealingLR c(opt, /*T_max=*/100, /*eta_min=*/1e-5);
  mt::optim::LambdaLR l(opt, [](int64_t epoch) { return 1.0 / (epoch + 1); });
  mt::optim::LinearLR warmup(opt, /*start_factor=*/0.1, /*end_factor=*/1.0, /*total_iters=*/5);
  mt::optim::CosineAnnealingLR cosine(opt, 95);
  mt::optim::SequentialLR seq_lr(opt, {&warmup, &cosine}, /*milestones=*/{5});
  CHECK(lrs.size() == 1);
  CHECK(seq_lr.get_last_lr()[0] == Approx(0.1));

  mt::Tensor weight = mt::empty({4, 3});
  mt::nn::init::kaiming_normal_(weight); mt::nn::init::kaiming_uniform_(weight); mt::nn::init::xavier_normal_(weight); mt::nn::init::xavier_uniform_(weight);
  CHECK(F::pad(x, F::PadFuncOptions({1, 1})).shape() == mt::Shape{4, 5});
  CHECK(F::one_hot(targets, 4).dtype() == mt::kInt64);
  mt::Tensor params = mt::ones({2}).requires_grad_(true);
  (params * 5.0f).sum().backward();
  mt::nn::utils::clip_grad_value_({params}, 1.0);
  CHECK(params.grad().to_vector<float>() == std::vector<float>{1.0f, 1.0f});
}
