// GPT2::generate: the prompt through the model once (filling a KVCache), then one token at a time, each
// picked from the last position's logits (greedy, or sampled with temperature, top-k and top-p) and fed back.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

#include "../core/autograd.h"
#include "../core/random.h"
#include "../nn/functional.h"
#include "gpt2.h"

namespace microtorch::models {

namespace F = nn::functional;

namespace {

void check_options(const GenerateOptions& o, int64_t max_new_tokens, size_t prompt_size) {
  if (max_new_tokens < 0)
    throw std::invalid_argument("generate: max_new_tokens must be >= 0, got " + std::to_string(max_new_tokens));
  if (prompt_size == 0) throw std::invalid_argument("generate: the prompt is empty (give at least one token)");
  if (!(o.temperature() >= 0.0) || !std::isfinite(o.temperature()))
    throw std::invalid_argument("generate: temperature must be finite and >= 0, got " + std::to_string(o.temperature()));
  if (o.top_k() < 0) throw std::invalid_argument("generate: top_k must be >= 0 (0: all), got " + std::to_string(o.top_k()));
  if (!(o.top_p() > 0.0 && o.top_p() <= 1.0))
    throw std::invalid_argument("generate: top_p must be in (0, 1], got " + std::to_string(o.top_p()));
}

// The first index of the largest logit (NaNs never win), as torch.argmax on finite logits.
int64_t argmax(const float* logits, int64_t V) {
  int64_t best = 0;
  for (int64_t v = 1; v < V; ++v)
    if (logits[v] > logits[best] || std::isnan(logits[best])) best = v;
  return best;
}

// A draw from softmax(logits / temperature) restricted to the top_k most likely tokens, then to the most likely
// ones whose probabilities first reach top_p (the token that crosses it kept). u in [0, 1).
int64_t sample(const float* logits, int64_t V, const GenerateOptions& o, double u) {
  std::vector<int64_t> ids(static_cast<size_t>(V));
  std::iota(ids.begin(), ids.end(), 0);
  auto more_likely = [&](int64_t a, int64_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  size_t n = ids.size();
  if (o.top_k() > 0 && static_cast<size_t>(o.top_k()) < n) {
    n = static_cast<size_t>(o.top_k());
    std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(), more_likely);
  } else if (o.top_p() < 1.0) {
    std::sort(ids.begin(), ids.end(), more_likely);
  }
  ids.resize(n);
  const double top = *std::max_element(logits, logits + V);
  std::vector<double> p(n);
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) total += p[i] = std::exp((logits[ids[i]] - top) / o.temperature());
  if (o.top_p() < 1.0) {  // ids are sorted most likely first here
    double cum = 0.0;
    size_t keep = 0;
    while (keep < n && cum < o.top_p() * total) cum += p[keep++];
    n = std::max<size_t>(keep, 1);
    total = std::accumulate(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n), 0.0);
  }
  double target = u * total;
  for (size_t i = 0; i < n; ++i) {
    if (target < p[i]) return ids[i];
    target -= p[i];
  }
  return ids[n - 1];  // u * total rounded up to the total
}

}  // namespace

std::vector<int64_t> GPT2::generate(const std::vector<int64_t>& prompt, int64_t max_new_tokens,
                                    const GenerateOptions& options, const std::function<void(int64_t)>& callback) {
  check_options(options, max_new_tokens, prompt.size());
  NoGradGuard no_grad;
  const int64_t V = config_.vocab_size(), N = config_.n_positions();
  std::mt19937_64 own(options.seed().value_or(0));
  auto uniform = [&] {  // [0, 1) with 53 random bits
    return options.seed() ? static_cast<double>(own() >> 11) * 0x1.0p-53 : random_uniform();
  };
  std::vector<int64_t> out = prompt;
  KVCache cache;
  // The last min(N, size) tokens of out through the model with an emptied cache: the next token's logits.
  auto restart = [&](int64_t keep) {
    cache.clear();
    const int64_t n = std::min<int64_t>(keep, static_cast<int64_t>(out.size()));
    std::vector<int64_t> window(out.end() - n, out.end());
    return F::linear(hidden(tensor(window, {1, n}), cache, true), wte.weight);  // (1, 1, V)
  };
  Tensor logits = restart(N);
  for (int64_t i = 0; i < max_new_tokens; ++i) {
    const float* l = logits.data_ptr<float>();
    const int64_t next = options.temperature() == 0.0 ? argmax(l, V) : sample(l, V, options, uniform());
    out.push_back(next);
    if (callback) callback(next);
    if ((options.eos_token_id() && next == *options.eos_token_id()) || i + 1 == max_new_tokens) break;
    if (cache.size() == N) logits = restart(std::max<int64_t>(N / 2, 1));  // full: keep the last half as context
    else logits = F::linear(hidden(tensor(std::vector<int64_t>{next}, {1, 1}), cache, true), wte.weight);
  }
  return out;
}

}  // namespace microtorch::models
