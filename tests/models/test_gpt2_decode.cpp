// GPT2's KV-cached forward against the full forward (the causal mask of a query block that follows cached keys
// is aligned bottom-right), the cache's limits, and generate()'s options: greedy, top-k, top-p, seeds, the
// stop token, and running past n_positions.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <vector>

namespace {

namespace mt = microtorch;
namespace F = mt::nn::functional;
using mt::models::GPT2;
using mt::models::GPT2Config;
using mt::models::GenerateOptions;
using mt::models::KVCache;

GPT2Config small_config() { return GPT2Config().vocab_size(50).n_positions(24).n_embd(16).n_layer(2).n_head(4); }

// A fresh model whose logits are not flat: wpe and the projections scaled up so greedy tokens vary.
GPT2 small_model(uint64_t seed) {
  mt::manual_seed(seed);
  GPT2 model(small_config());
  mt::NoGradGuard no_grad;
  for (auto& [name, p] : model.named_parameters())
    if (p.dim() == 2) p.mul_(20.0f);
  model.eval();
  return model;
}

double max_abs_diff(const mt::Tensor& a, const mt::Tensor& b) {
  const auto x = a.to_vector<float>(), y = b.to_vector<float>();
  REQUIRE(x.size() == y.size());
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(x[i]) - y[i]));
  return worst;
}

// argmax of the last row of the full forward of ids, the reference for greedy decoding
int64_t greedy_next(GPT2& model, const std::vector<int64_t>& ids) {
  mt::NoGradGuard no_grad;
  const auto T = static_cast<int64_t>(ids.size());
  const mt::Tensor last = model.forward(mt::tensor(ids, {1, T})).select(1, T - 1).view({-1});
  return mt::argmax(last, 0).item<int64_t>();
}

}  // namespace

TEST_CASE("GPT2 KV-cached forward in blocks of 7, 1, 1, 4, 1, 6 tokens equals the full forward (B 2)", "[gpt2]") {
  GPT2 model = small_model(1);
  mt::manual_seed(2);
  const mt::Tensor idx = mt::randint(0, 50, {2, 20});
  mt::NoGradGuard no_grad;
  const mt::Tensor full = model.forward(idx);  // (2, 20, 50)
  KVCache cache;
  std::vector<mt::Tensor> parts;
  int64_t at = 0;
  for (int64_t n : {7, 1, 1, 4, 1, 6}) {
    parts.push_back(model.forward(idx.narrow(1, at, n).contiguous(), cache));
    at += n;
    CHECK(cache.size() == at);
  }
  const mt::Tensor cached = mt::cat(parts, 1);
  CHECK(max_abs_diff(cached, full) <= 2e-5 * 20);
  CHECK_FALSE(cached.requires_grad());  // inference only: nothing recorded
}

TEST_CASE("GPT2 KV cache: bounds and mismatches throw, leaving the cache as it was", "[gpt2]") {
  GPT2 model = small_model(3);
  KVCache cache;
  model.forward(mt::zeros({1, 20}, mt::kInt64), cache);
  CHECK_THROWS_AS(model.forward(mt::zeros({1, 5}, mt::kInt64), cache), std::out_of_range);  // 25 > n_positions 24
  CHECK(cache.size() == 20);
  CHECK_THROWS_AS(model.forward(mt::zeros({2, 1}, mt::kInt64), cache), std::invalid_argument);  // another batch
  CHECK_THROWS_AS(model.forward(mt::full({1, 1}, 50.0f).to(mt::kInt64), cache), std::out_of_range);  // id 50 >= V
  CHECK(cache.size() == 20);
  model.forward(mt::zeros({1, 4}, mt::kInt64), cache);  // still usable: 24 positions
  CHECK(cache.size() == 24);
  cache.clear();
  CHECK(cache.size() == 0);
  model.forward(mt::zeros({1, 3}, mt::kInt64), cache);
  CHECK(cache.size() == 3);
}

TEST_CASE("GPT2 generate: greedy tokens are the full forward's argmax, streamed once each", "[gpt2]") {
  GPT2 model = small_model(4);
  const std::vector<int64_t> prompt{3, 14, 15, 9, 2};
  std::vector<int64_t> streamed;
  const auto out = model.generate(prompt, 10, GenerateOptions().temperature(0.0), [&](int64_t id) { streamed.push_back(id); });
  REQUIRE(out.size() == 15);
  std::vector<int64_t> ids = prompt;
  for (int i = 0; i < 10; ++i) ids.push_back(greedy_next(model, ids));
  CHECK(out == ids);
  CHECK(streamed == std::vector<int64_t>(ids.begin() + 5, ids.end()));
  // top_k 1 and a tiny top_p keep only the most likely token: greedy whatever the temperature
  CHECK(model.generate(prompt, 10, GenerateOptions().temperature(1.5).top_k(1).seed(7)) == ids);
  CHECK(model.generate(prompt, 10, GenerateOptions().temperature(1.5).top_p(1e-9).seed(7)) == ids);
}

TEST_CASE("GPT2 generate: a seed gives the same sample each run, and the stop token ends it", "[gpt2]") {
  GPT2 model = small_model(5);
  const std::vector<int64_t> prompt{1, 2, 3};
  const auto opts = GenerateOptions().temperature(2.0).top_k(20).top_p(0.9).seed(1234);
  const auto a = model.generate(prompt, 15, opts), b = model.generate(prompt, 15, opts);
  CHECK(a == b);
  CHECK(a.size() == 18);
  CHECK(model.generate(prompt, 15, GenerateOptions(opts).seed(99)) != a);
  const auto stop = model.generate(prompt, 15, GenerateOptions(opts).eos_token_id(a[5]));  // a[5]: the 3rd new token
  CHECK(stop.size() <= 6);
  CHECK(stop.back() == a[5]);
  // sampled tokens all lie in the top 20 of the full forward's logits at their step
  std::vector<int64_t> ids = prompt;
  for (size_t i = 3; i < a.size(); ++i) {
    mt::NoGradGuard no_grad;
    const auto T = static_cast<int64_t>(ids.size());
    const mt::Tensor last = model.forward(mt::tensor(ids, {1, T})).select(1, T - 1).view({-1});
    const auto top = std::get<1>(mt::topk(last, 20)).to_vector<int64_t>();
    CHECK(std::find(top.begin(), top.end(), a[i]) != top.end());
    ids.push_back(a[i]);
  }
}

TEST_CASE("GPT2 generate past n_positions restarts from the last half of the window", "[gpt2]") {
  GPT2 model = small_model(6);
  const int64_t N = small_config().n_positions();
  const std::vector<int64_t> prompt{7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const auto out = model.generate(prompt, 40, GenerateOptions().temperature(0.0));
  REQUIRE(out.size() == 50);
  // the reference: the full forward of what the cache holds, start s moving as generate's rule moves it
  std::vector<int64_t> ids = prompt;
  size_t s = 0, cached = ids.size();
  for (int i = 0; i < 40; ++i) {
    ids.push_back(greedy_next(model, std::vector<int64_t>(ids.begin() + static_cast<std::ptrdiff_t>(s), ids.end())));
    if (cached == static_cast<size_t>(N)) {
      s = ids.size() - static_cast<size_t>(N / 2);
      cached = static_cast<size_t>(N / 2);
    } else {
      ++cached;
    }
  }
  CHECK(out == ids);
}

TEST_CASE("GPT2 generate: bad options throw std::invalid_argument", "[gpt2]") {
  GPT2 model = small_model(7);
  CHECK_THROWS_AS(model.generate({}, 3), std::invalid_argument);
  CHECK_THROWS_AS(model.generate({1}, -1), std::invalid_argument);
  CHECK_THROWS_AS(model.generate({1}, 3, GenerateOptions().temperature(-1.0)), std::invalid_argument);
  CHECK_THROWS_AS(model.generate({1}, 3, GenerateOptions().top_k(-2)), std::invalid_argument);
  CHECK_THROWS_AS(model.generate({1}, 3, GenerateOptions().top_p(0.0)), std::invalid_argument);
  CHECK_THROWS_AS(model.generate({1, 99}, 3), std::out_of_range);  // an id outside the vocabulary
  CHECK(model.generate({1}, 0).size() == 1);
}
