// The names dataset of the makemore lessons (4 and 9): words shuffled with the seed, split 80/10/10 into
// train/dev/test, each word cut into (context, next character) examples, and a model's mean NLL over a split.
#pragma once
#include <microtorch/microtorch.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "vocab.h"

namespace tutorials {

// Examples of one split: X (n, ctx) the previous ctx characters ('.' before the start), Y (n) the next.
struct Examples {
  std::vector<int64_t> X, Y;
  int64_t size() const { return static_cast<int64_t>(Y.size()); }
};

inline Examples build_examples(const std::vector<std::string>& words, const CharVocab& vocab, int64_t ctx) {
  Examples e;
  for (const auto& w : words) {
    std::vector<int64_t> context(static_cast<size_t>(ctx), 0);  // starts as "..."
    for (int64_t id : vocab.encode(w + ".")) {
      e.X.insert(e.X.end(), context.begin(), context.end());
      e.Y.push_back(id);
      context.erase(context.begin());  // slide the window by one character
      context.push_back(id);
    }
  }
  return e;
}

// The three splits of makemore: the words shuffled by rng, then 80% train, 10% dev, 10% test.
struct NameSplits {
  Examples train, dev, test;
};

inline NameSplits split_names(std::vector<std::string> words, const CharVocab& vocab, int64_t ctx,
                              std::mt19937& rng) {
  std::shuffle(words.begin(), words.end(), rng);
  const auto n1 = static_cast<std::ptrdiff_t>(0.8 * static_cast<double>(words.size()));
  const auto n2 = static_cast<std::ptrdiff_t>(0.9 * static_cast<double>(words.size()));
  return {build_examples({words.begin(), words.begin() + n1}, vocab, ctx),
          build_examples({words.begin() + n1, words.begin() + n2}, vocab, ctx),
          build_examples({words.begin() + n2, words.end()}, vocab, ctx)};
}

// Fills X (B, ctx) and Y (B) with the examples picks (B) names.
inline void gather_batch(const Examples& e, int64_t ctx, const microtorch::Tensor& picks, std::vector<int64_t>& X,
                         std::vector<int64_t>& Y) {
  const int64_t B = picks.numel();
  X.resize(static_cast<size_t>(B * ctx));
  Y.resize(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t i = picks.data_ptr<int64_t>()[b];
    std::copy_n(e.X.begin() + i * ctx, ctx, X.begin() + b * ctx);  // seek to example i's context
    Y[static_cast<size_t>(b)] = e.Y[static_cast<size_t>(i)];
  }
}

// Mean NLL of forward (X (b, ctx) int64 -> logits (b, V)) on examples [0, limit) of a split, in chunks of
// 4096 (no tape, bounded memory). limit < 0: the whole split.
inline double mean_nll(const std::function<microtorch::Tensor(const microtorch::Tensor&)>& forward,
                       const Examples& e, int64_t ctx, int64_t limit = -1) {
  microtorch::NoGradGuard no_grad;
  const int64_t n = limit < 0 ? e.size() : std::min(limit, e.size()), chunk = 4096;
  double total = 0.0;
  for (int64_t at = 0; at < n; at += chunk) {
    const int64_t b = std::min(chunk, n - at);
    const auto X0 = e.X.begin() + at * ctx, Y0 = e.Y.begin() + at;
    const microtorch::Tensor X = microtorch::tensor(std::vector<int64_t>(X0, X0 + b * ctx), {b, ctx});
    const microtorch::Tensor Y = microtorch::tensor(std::vector<int64_t>(Y0, Y0 + b), {b});
    const double loss = microtorch::nn::functional::cross_entropy(forward(X), Y).item<float>();
    total += loss * static_cast<double>(b);
  }
  return total / static_cast<double>(n);
}

}  // namespace tutorials
