// models::GPT2 against PyTorch (../shared/tools/gpt2_reference.py make): the prompt's logits, the KV-cached
// decode's logits, 16 greedy tokens, a batch's loss, its gradient norm and the loss after one AdamW step. The
// checkpoints are the small ones committed in tests/models/data (F32 with llm.c's .bin beside it; F16 with the
// "transformer." prefix and the attn.bias buffers; BF16 of another shape) and ../shared/conformance/gpt2.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "conformance.h"

namespace {

namespace mt = microtorch;
namespace F = mt::nn::functional;

const std::string kData = std::string(MICROTORCH_SOURCE_DIR) + "/tests/models/data";

std::map<std::string, mt::Tensor> load_reference(const std::string& path) {
  std::map<std::string, mt::Tensor> ref;
  for (auto& [k, v] : mt::load(path)) ref[k] = v;
  return ref;
}

// max |got - want| over max(1, max |want|): the tolerance the contract (gpt2_check) applies.
double rel_error(const mt::Tensor& got, const mt::Tensor& want) {
  const auto g = got.to_vector<float>(), w = want.to_vector<float>();
  REQUIRE(g.size() == w.size());
  double scale = 1.0, worst = 0.0;
  for (float v : w) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  for (size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(g[i]) - w[i]));
  return worst / scale;
}

void check_against_pytorch(const std::string& model_path, const std::string& reference) {
  INFO("checkpoint " << model_path);
  auto ref = load_reference(reference);
  auto model = mt::models::GPT2::from_pretrained(model_path);
  model.eval();
  const int64_t V = ref["logits"].shape()[1];
  REQUIRE(model.config().vocab_size() == V);
  const auto prompt = ref["prompt"].to_vector<int64_t>();
  const auto P = static_cast<int64_t>(prompt.size());
  const mt::Tensor idx = mt::tensor(prompt, {1, P});
  const auto greedy = ref["greedy"].to_vector<int64_t>();
  {
    mt::NoGradGuard no_grad;
    CHECK(rel_error(model.forward(idx).view({P, V}), ref["logits"]) <= 2e-5);
    mt::models::KVCache cache;
    model.forward(idx, cache);
    std::vector<mt::Tensor> steps;
    for (size_t t = 0; t + 1 < greedy.size(); ++t)
      steps.push_back(model.forward(mt::tensor(std::vector<int64_t>{greedy[t]}, {1, 1}), cache).view({V}));
    CHECK(cache.size() == P + static_cast<int64_t>(greedy.size()) - 1);
    CHECK(rel_error(mt::stack(steps, 0), ref["decode_logits"]) <= 2e-5);
    std::vector<int64_t> streamed;
    auto out = model.generate(prompt, static_cast<int64_t>(greedy.size()), mt::models::GenerateOptions().temperature(0.0),
                              [&](int64_t id) { streamed.push_back(id); });
    CHECK(std::vector<int64_t>(out.begin(), out.begin() + P) == prompt);
    CHECK(std::vector<int64_t>(out.begin() + P, out.end()) == greedy);
    CHECK(streamed == greedy);
  }
  const mt::Tensor xy = ref["batch"];
  const int64_t B = xy.shape()[0], T = xy.shape()[1] - 1;
  const mt::Tensor x = xy.narrow(1, 0, T).contiguous(), y = xy.narrow(1, 1, T).contiguous();
  model.train();
  const mt::Tensor loss = F::cross_entropy(model.forward(x).view({B * T, V}), y.view({B * T}));
  CHECK(loss.item<float>() == Approx(ref["loss"].item<float>()).epsilon(1e-5));
  model.zero_grad();
  loss.backward();
  const double norm = mt::nn::utils::clip_grad_norm_(model.parameters(), 1e30);
  // clip_grad_norm_ takes each 2-norm in torch.norm's own float32 order (core/grad/norm_kernels.h), so the total is
  // PyTorch's float where the gradients are its floats; it is within an ulp or two where they differ in their last
  // bits. A sum in double misses by 1.1e-4 on tiny_bf16_prefixed (1.153377 against 1.153245).
  CHECK(norm == Approx(ref["grad_norm"].item<float>()).epsilon(1e-6));
  mt::optim::AdamW opt(model.parameters(), mt::optim::AdamWOptions(1e-4).betas({0.9, 0.999}).eps(1e-8).weight_decay(0.0));
  opt.step();
  mt::NoGradGuard no_grad;
  const float after = F::cross_entropy(model.forward(x).view({B * T, V}), y.view({B * T})).item<float>();
  CHECK(after == Approx(ref["loss_after_adamw"].item<float>()).epsilon(1e-4));
}

}  // namespace

TEST_CASE("GPT2 F32 checkpoint (Hugging Face folder) as PyTorch computes it", "[gpt2]") {
  check_against_pytorch(kData + "/f32", kData + "/f32/reference.safetensors");
}

TEST_CASE("GPT2 llm.c checkpoint (gpt2_llmc.bin, padded vocabulary) as PyTorch computes it", "[gpt2]") {
  check_against_pytorch(kData + "/f32/gpt2_llmc.bin", kData + "/f32/reference.safetensors");
}

TEST_CASE("GPT2 F16 checkpoint with the transformer. prefix and attn.bias buffers as PyTorch computes it", "[gpt2]") {
  check_against_pytorch(kData + "/f16_prefixed", kData + "/f16_prefixed/reference.safetensors");
}

TEST_CASE("GPT2 BF16 checkpoint of another shape (3 layers, 4 heads of 6) as PyTorch computes it", "[gpt2]") {
  check_against_pytorch(kData + "/bf16", kData + "/bf16/reference.safetensors");
}

TEST_CASE("GPT2 from the shared conformance checkpoints (Hugging Face folders and llm.c files)", "[gpt2][conformance]") {
  const std::string dir = conformance::shared_dir("conformance/gpt2");
  if (dir.empty()) return;
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_directory()) continue;
    const std::string d = entry.path().string();
    check_against_pytorch(d, d + "/reference.safetensors");
    if (std::filesystem::exists(d + "/gpt2_llmc.bin")) check_against_pytorch(d + "/gpt2_llmc.bin", d + "/reference.safetensors");
    ++seen;
  }
  CHECK(seen >= 2);
}
