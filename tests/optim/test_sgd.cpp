// optim::SGD: option checks, duplicates, zero_grad/step skipping, the update's floats (hand-derived fma),
// and sparse-row training: sparse and dense runs give the same bits, a sparse step holds only rows, a
// plain step leaves rows not looked up bit-identical and the default mode touches only the written rows.
#include <catch2/catch.hpp>
#include <microtorch/core/grad/state.h>
#include <microtorch/core/grad/door.h>
#include <microtorch/microtorch.h>

#include <cmath>
#include <limits>
#include <string>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using namespace helpers;
using mt::optim::SGDOptions;

static std::string rejection(const SGDOptions& o) {
  auto w = mt::zeros({2}).requires_grad_(true);
  try {
    mt::optim::SGD opt({w}, o);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no std::invalid_argument";
}

TEST_CASE("sgd: options out of their domain are std::invalid_argument naming the value") {
  CHECK_THAT(rejection(SGDOptions(-0.5)), Catch::Contains("-0.5"));
  CHECK_THAT(rejection(SGDOptions(0.1).momentum(-0.25)), Catch::Contains("-0.25"));
  CHECK_THAT(rejection(SGDOptions(0.1).weight_decay(-0.125)), Catch::Contains("-0.125"));
  CHECK_THAT(rejection(SGDOptions(0.1).nesterov(true)), Catch::Contains("esterov") && Catch::Contains("0"));
  CHECK_THAT(rejection(SGDOptions(0.1).momentum(0.9).dampening(0.75).nesterov(true)), Catch::Contains("0.75"));
  CHECK(rejection(SGDOptions(0.0)) == "no std::invalid_argument");
  CHECK(rejection(SGDOptions(0.1).momentum(0.9).nesterov(true)) == "no std::invalid_argument");
}

TEST_CASE("sgd: the update is PyTorch's fma sequence, dampening skipped on the first step") {
  auto w = mt::tensor(std::vector<float>{1.0f, -2.0f}, {2}).requires_grad_(true);
  mt::optim::SGD opt({w}, SGDOptions(0.1).momentum(0.9).dampening(0.5).weight_decay(0.01));
  const float g[2] = {3.0f, 0.7f};  // loss = 3 w0 + 0.7 w1
  float p[2] = {1.0f, -2.0f}, buf[2] = {0, 0};
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    (w * mt::tensor(std::vector<float>{g[0], g[1]}, {2})).sum().backward();
    opt.step();
    for (int k = 0; k < 2; ++k) {
      const float d = std::fma(p[k], 0.01f, g[k]);
      buf[k] = step == 0 ? d : std::fma(d, 0.5f, buf[k] * 0.9f);
      p[k] = std::fma(buf[k], -0.1f, p[k]);
    }
    INFO("step " << step);
    CHECK(w.to_vector<float>() == std::vector<float>{p[0], p[1]});
  }
}

TEST_CASE("sgd: a parameter listed twice is updated once") {
  auto w = mt::tensor(std::vector<float>{1.0f}, {1}).requires_grad_(true);
  mt::optim::SGD opt({w, w, w}, SGDOptions(0.5));
  CHECK(opt.params().size() == 1);
  (w * 2.0f).sum().backward();
  opt.step();
  CHECK(w.item<float>() == 0.0f);  // 1 - 0.5 * 2, once
}

TEST_CASE("sgd: zero_grad makes grad() undefined and step() skips the parameter") {
  auto a = mt::ones({3}).requires_grad_(true), b = mt::ones({3}).requires_grad_(true);
  mt::optim::SGD opt({a, b}, SGDOptions(0.1).momentum(0.9).weight_decay(0.5));
  (a * b).sum().backward();
  opt.step();
  const auto a1 = bits(a), b1 = bits(b);
  opt.zero_grad();
  CHECK(!a.grad().defined());
  CHECK(!b.grad().defined());
  (a * 3.0f).sum().backward();  // only a gets a gradient
  opt.step();
  CHECK(bits(b) == b1);  // weight decay and momentum would have moved it
  CHECK(bits(a) != a1);
}

// A little model: embedding -> linear -> cross_entropy, trained for 20 steps on fixed random ids.
struct Run {
  std::vector<uint32_t> emb, head;
};
static Run train(bool sparse, const mt::nn::EmbeddingOptions& eo, const SGDOptions& so, bool tied = false) {
  const int64_t V = eo.num_embeddings(), C = eo.embedding_dim();
  mt::manual_seed(21);
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(eo).sparse(sparse));
  mt::nn::Linear head(mt::nn::LinearOptions(C, V));
  if (tied) head.weight = emb.weight;
  std::vector<mt::Tensor> params = emb.parameters();
  for (const auto& p : head.parameters()) params.push_back(p);
  mt::optim::SGD opt(params, so);
  for (int step = 0; step < 20; ++step) {
    auto ids = mt::randint(0, V, {4, 5}), targets = mt::randint(0, V, {20});
    opt.zero_grad();
    F::cross_entropy(head(mt::tanh(emb(ids))).view({20, V}), targets).backward();
    opt.step();
  }
  return {bits(emb.weight), bits(head.weight)};
}

TEST_CASE("sgd: sparse and dense runs of 20 steps give bit-identical weights") {
  const auto base = mt::nn::EmbeddingOptions(30, 8);
  struct Setting { const char* name; mt::nn::EmbeddingOptions eo; SGDOptions so; };
  const std::vector<Setting> settings{
      {"plain", base, SGDOptions(0.5)},
      {"scale_grad_by_freq + padding_idx", mt::nn::EmbeddingOptions(base).scale_grad_by_freq(true).padding_idx(-3), SGDOptions(0.5)},
      {"momentum", mt::nn::EmbeddingOptions(base).padding_idx(0), SGDOptions(0.3).momentum(0.9).dampening(0.1)},
      {"weight decay", base, SGDOptions(0.3).weight_decay(0.05)},
      {"nesterov + weight decay + scale_grad_by_freq", mt::nn::EmbeddingOptions(base).scale_grad_by_freq(true),
       SGDOptions(0.2).momentum(0.8).weight_decay(0.01).nesterov(true)}};
  for (const auto& s : settings) {
    INFO(s.name);
    const Run dense = train(false, s.eo, s.so), sparse = train(true, s.eo, s.so);
    CHECK(sparse.emb == dense.emb);
    CHECK(sparse.head == dense.head);
    CHECK(dense.emb != train(false, s.eo, SGDOptions(0.0)).emb);  // the runs do train
  }
}

TEST_CASE("sgd: a tied sparse embedding with a dense head trains as the dense tied run") {
  const auto eo = mt::nn::EmbeddingOptions(30, 8);
  for (const SGDOptions& so : {SGDOptions(0.5), SGDOptions(0.2).momentum(0.9).weight_decay(0.01)}) {
    INFO("momentum " << so.momentum());
    const Run dense = train(false, eo, so, true), sparse = train(true, eo, so, true);
    CHECK(sparse.emb == dense.emb);
    CHECK(sparse.head == dense.emb);  // one table
  }
}

TEST_CASE("sgd: after a plain step every row not looked up is bit-identical, sparse and dense") {
  for (bool sparse : {false, true}) {
    INFO((sparse ? "sparse" : "dense"));
    mt::manual_seed(13);
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(40, 6).sparse(sparse));
    mt::optim::SGD opt(emb.parameters(), SGDOptions(0.1));
    const auto before = emb.weight.to_vector<float>();
    const std::vector<int64_t> looked_up{5, 17, 5, 33};
    auto out = emb(mt::tensor(looked_up, {2, 2}));
    (out * out).sum().backward();
    opt.step();
    const auto after = emb.weight.to_vector<float>();
    for (int64_t r = 0; r < 40; ++r) {
      const bool hit = r == 5 || r == 17 || r == 33;
      INFO("row " << r);
      for (int64_t j = 0; j < 6; ++j) {
        // hand-derived: g = 2 w per lookup, so row 5 gets 4 w; new w = fma(g, -0.1, w)
        const float w = before[r * 6 + j], g = (r == 5 ? 4.0f : 2.0f) * w;
        CHECK(bits(mt::tensor(std::vector<float>{after[r * 6 + j]}, {1})) ==
              bits(mt::tensor(std::vector<float>{hit ? std::fma(g, -0.1f, w) : w}, {1})));
      }
    }
  }
}

TEST_CASE("sgd: a sparse step holds only rows, never a (V, C) buffer") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(1000, 4).sparse(true).padding_idx(7));
  mt::optim::SGD opt(emb.parameters(), SGDOptions(0.1));
  for (int step = 0; step < 2; ++step) {
    opt.zero_grad();
    CHECK(!emb.weight.grad().defined());
    auto out = emb(mt::tensor(std::vector<int64_t>{9, 7, 9, 300}, {4}));
    out.backward(mt::tensor(std::vector<float>(16, 1.0f), {4, 4}));
    CHECK(mt::grad::kind(emb.weight) == mt::grad::Kind::kSparse);
    const auto sg = mt::sparse_grad(emb.weight);  // uncoalesced, in order, padding removed
    CHECK(sg.indices.to_vector<int64_t>() == std::vector<int64_t>{9, 9, 300});
    CHECK(sg.values.shape() == mt::Shape{3, 4});
    opt.step();
    CHECK(mt::grad::kind(emb.weight) == mt::grad::Kind::kSparse);  // the step read rows
  }
}

TEST_CASE("sgd: a sparse gradient's rows as read by a step keep the dense gradient's signed zeros") {
  // Lone rows are read straight from the chunk (grad::Row): the dense gradient's 0 + fma(v, s, 0) makes -0
  // and a product that underflows to -0 into +0, and a step must see those floats, not the chunk's.
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(6, 4).sparse(true).scale_grad_by_freq(true));
  const float tiny = -std::numeric_limits<float>::denorm_min();
  auto out = emb(mt::tensor(std::vector<int64_t>{0, 1, 1, 3}, {4}));
  out.backward(mt::tensor(std::vector<float>{-0.0f, 0.0f, tiny, 1.0f,  tiny, -0.0f, 2.0f, -0.0f,
                                             tiny, -0.0f, -2.0f, 3.0f,  -0.0f, -0.0f, -0.0f, -0.0f}, {4, 4}));
  REQUIRE(mt::grad::kind(emb.weight) == mt::grad::Kind::kSparse);
  std::vector<float> rows(24, 7.0f);  // 7: the rows not handed out
  mt::grad::RowWalk walk;
  walk.walk(emb.weight, [&](int64_t id, const mt::grad::Row& row) { row.copy_to(rows.data() + id * 4, 4); });
  CHECK(!std::signbit(rows[0]));   // row 0, lone: -0 -> +0
  CHECK(rows[2] == tiny);          // a lone denormal stays
  CHECK(!std::signbit(rows[12]));  // row 3, lone: every -0 -> +0
  CHECK(!std::signbit(rows[4]));   // row 1, twice (scale 1/2): tiny / 2 underflows to -0, then 0 + -0
  const std::vector<float> dense = emb.weight.grad().to_vector<float>();
  for (int64_t id : {0, 1, 3})
    for (int64_t j = 0; j < 4; ++j) {
      INFO("row " << id << ", column " << j);
      CHECK(bits(mt::tensor(std::vector<float>{rows[id * 4 + j]}, {1})) ==
            bits(mt::tensor(std::vector<float>{dense[id * 4 + j]}, {1})));
    }
}

TEST_CASE("sgd: the default dense mode steps and zeroes only the touched rows, reusing the buffer") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(500, 3));
  mt::optim::SGD opt(emb.parameters(), SGDOptions(0.1));
  std::vector<float> before = emb.weight.to_vector<float>();
  for (int step = 0; step < 3; ++step) {
    INFO("step " << step);
    opt.zero_grad();
    auto out = emb(mt::tensor(std::vector<int64_t>{step, 42, 42}, {3}));
    out.backward(mt::ones({3, 3}));
    CHECK(mt::grad::kind(emb.weight) == mt::grad::Kind::kTracked);
    std::vector<int64_t> rows;
    mt::grad::RowWalk walk;
    walk.walk(emb.weight, [&rows](int64_t id, const mt::grad::Row&) { rows.push_back(id); });
    CHECK(rows == (step == 42 ? std::vector<int64_t>{42} : std::vector<int64_t>{step, 42}));
    opt.step();
    opt.zero_grad();
    CHECK(mt::grad::kind(emb.weight) == mt::grad::Kind::kNone);
    CHECK(!emb.weight.grad().defined());
  }
  // Rows 0, 1, 2 stepped once (g = 1), row 42 three times (g = 2), every other row untouched.
  const std::vector<float> after = emb.weight.to_vector<float>();
  for (int64_t k = 0; k < 1500; ++k) {
    float want = before[k];
    if (k / 3 < 3) want = std::fma(1.0f, -0.1f, want);
    if (k / 3 == 42)
      for (int s = 0; s < 3; ++s) want = std::fma(2.0f, -0.1f, want);
    CHECK(after[k] == want);
  }
  // A fourth cycle reuses the zeroed buffer: the gradient is exactly the new rows.
  opt.zero_grad();
  emb(mt::tensor(std::vector<int64_t>{7}, {1})).sum().backward();
  const std::vector<float> g = emb.weight.grad().to_vector<float>();
  for (int64_t k = 0; k < 1500; ++k) CHECK(g[k] == (k / 3 == 7 ? 1.0f : 0.0f));
}

TEST_CASE("sgd: two lookups and two backwards into one sparse table step as the dense table") {
  // Each lookup's rows are summed from zero and then added (PyTorch adds two (V, C) gradients).
  std::vector<std::vector<uint32_t>> runs;
  for (bool sparse : {false, true}) {
    mt::manual_seed(31);
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(12, 5).sparse(sparse));
    mt::optim::SGD opt(emb.parameters(), SGDOptions(0.7));
    for (int step = 0; step < 5; ++step) {
      opt.zero_grad();
      auto a = emb(mt::randint(0, 4, {9})), b = emb(mt::randint(0, 4, {9}));
      (mt::tanh(a * 3.0f) * b).sum().backward();                          // two lookups in one graph
      (mt::tanh(emb(mt::randint(0, 4, {9}))) * mt::randn({9, 5})).sum().backward();  // and a second backward
      opt.step();
    }
    runs.push_back(bits(emb.weight));
  }
  CHECK(runs[0] == runs[1]);
}

TEST_CASE("sgd: a plain step reads the touched rows only while nobody looked (grad state)") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(20, 3));
  mt::optim::SGD opt(emb.parameters(), SGDOptions(0.1));
  emb(mt::tensor(std::vector<int64_t>{4, 9}, {2})).sum().backward();
  REQUIRE(mt::grad::kind(emb.weight) == mt::grad::Kind::kTracked);
  const auto before = emb.weight.to_vector<float>();
  opt.step();  // nobody looked: only rows 4 and 9 are read and written
  const auto after = emb.weight.to_vector<float>();
  for (int64_t k = 0; k < 60; ++k)
    CHECK(after[k] == ((k / 3 == 4 || k / 3 == 9) ? std::fma(1.0f, -0.1f, before[k]) : before[k]));
}
