// Threads: backward() from several threads into one shared leaf. Each thread's graph is its own; the leaf's
// gradient is shared, and every contribution must land (PyTorch locks AccumulateGrad the same way). Run
// under ThreadSanitizer in CI.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <thread>
#include <vector>

namespace mt = microtorch;

namespace {

// Each of `threads` threads runs `rounds` backward passes of loss(w, t) into the shared leaf w.
template <class Loss>
void backward_from_threads(int threads, int rounds, const Loss& loss) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int r = 0; r < rounds; ++r) loss(t).backward();
    });
  for (std::thread& th : pool) th.join();
}

}  // namespace

TEST_CASE("threads: backward from two threads into one shared dense leaf adds every contribution") {
  mt::Tensor w = mt::ones({64, 32}).requires_grad_(true);
  const int rounds = 200;
  // d/dw sum(w * (t + 1)) = t + 1: thread 0 adds 1, thread 1 adds 2, each `rounds` times.
  backward_from_threads(2, rounds, [&](int t) { return (w * static_cast<float>(t + 1)).sum(); });
  const std::vector<float> g = w.grad().to_vector<float>();
  for (float v : g) REQUIRE(v == static_cast<float>(3 * rounds));
}

TEST_CASE("threads: backward from two threads into one shared embedding adds every row, in each mode") {
  for (bool sparse : {false, true}) {
    INFO((sparse ? "sparse" : "row-tracked"));
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(10, 4).sparse(sparse));
    const int rounds = 100;
    // Thread t looks up rows t and 5 (shared by both): row t gets `rounds`, row 5 gets 2 * rounds.
    backward_from_threads(2, rounds, [&](int t) {
      return emb(mt::tensor(std::vector<int64_t>{t, 5}, {2})).sum();
    });
    const std::vector<float> g = emb.weight.grad().to_vector<float>();
    for (int64_t row = 0; row < 10; ++row) {
      const float want = row == 5 ? 2.0f * rounds : row < 2 ? static_cast<float>(rounds) : 0.0f;
      for (int64_t j = 0; j < 4; ++j) REQUIRE(g[row * 4 + j] == want);
    }
  }
}

TEST_CASE("threads: backward from two threads into a tied head and embedding sums both uses") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(6, 3));
  mt::nn::Linear head(mt::nn::LinearOptions(3, 6).bias(false));
  head.weight = emb.weight;
  const mt::Tensor ids = mt::tensor(std::vector<int64_t>{1, 4}, {2});
  mt::Tensor once;
  {  // one thread, twice: the reference
    mt::Tensor w = emb.weight.detach().clone().requires_grad_(true);
    for (int r = 0; r < 2; ++r) mt::nn::functional::linear(mt::nn::functional::embedding(ids, w), w).sum().backward();
    once = w.grad();
  }
  backward_from_threads(2, 1, [&](int) { return head(emb(ids)).sum(); });
  const std::vector<float> got = emb.weight.grad().to_vector<float>(), want = once.to_vector<float>();
  for (size_t k = 0; k < want.size(); ++k) CHECK(got[k] == Approx(want[k]).epsilon(1e-6).margin(1e-6));
}
