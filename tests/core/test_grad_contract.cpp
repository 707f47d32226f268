// The one gradient contract (core/grad/) in each of the three ways a gradient is held: dense (the table
// used through a dense op), the embedding's default row-tracked dense, and sparse rows. Expected numbers are
// PyTorch 1.13's for the same program (w = zeros(3, 2), lookup of id 1, seed ones, SGD lr 1), worked by hand.
#include <catch2/catch.hpp>
#include <microtorch/core/grad/state.h>
#include <microtorch/core/grad/door.h>
#include <microtorch/microtorch.h>
#include <microtorch/core/grad/rows.h>

#include <algorithm>
#include <string>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using namespace helpers;

namespace {

enum class Mode { kDense, kDefault, kSparse };
const char* name(Mode m) { return m == Mode::kDense ? "dense" : m == Mode::kDefault ? "default (row-tracked)" : "sparse"; }

// (n, C) rows of w (V, C) at ids: the embedding, or for kDense the same values through one_hot x w.
mt::Tensor lookup(const mt::Tensor& w, Mode m, const std::vector<int64_t>& ids) {
  const mt::Tensor idt = mt::tensor(ids, {static_cast<int64_t>(ids.size())});
  if (m == Mode::kDense) return mt::matmul(mt::one_hot(idt, w.shape()[0]).to(mt::kFloat32), w);
  return F::embedding(idt, w, F::EmbeddingFuncOptions().sparse(m == Mode::kSparse));
}

void backward_id1(const mt::Tensor& w, Mode m) { lookup(w, m, {1}).backward(mt::ones({1, 2})); }

const Mode kModes[] = {Mode::kDense, Mode::kDefault, Mode::kSparse};
const Mode kRowModes[] = {Mode::kDefault, Mode::kSparse};

// Runs body(w, opt, m) for each mode of `modes` (named in a failure's report) on its own w = zeros(3, 2)
// requiring grad, with an SGD of lr 1 on it.
template <size_t N, class Body> void for_each_mode(const Mode (&modes)[N], Body body) {
  for (Mode m : modes) {
    INFO(name(m));
    auto w = mt::zeros({3, 2}).requires_grad_(true);
    mt::optim::SGD opt({w}, mt::optim::SGDOptions(1.0));
    body(w, opt, m);
  }
}

}  // namespace

TEST_CASE("grad contract: a write into grad() outside the looked-up rows reaches the step, zero_grad clears it") {
  for_each_mode(kModes, [](mt::Tensor& w, mt::optim::SGD& opt, Mode m) {
    backward_id1(w, m);
    add_in_place(w.grad(), 0.5f);
    opt.step();
    CHECK(w.to_vector<float>() == Floats{-.5f, -.5f, -1.5f, -1.5f, -.5f, -.5f});  // PyTorch
    opt.zero_grad();
    backward_id1(w, m);
    CHECK(w.grad().to_vector<float>() == Floats{0, 0, 1, 1, 0, 0});  // PyTorch: nothing stale
  });
}

TEST_CASE("grad contract: zeroing or scaling grad() in place changes the step") {
  for_each_mode(kModes, [](mt::Tensor& w, mt::optim::SGD& opt, Mode m) {
    backward_id1(w, m);
    mt::Tensor g = w.grad();
    std::fill_n(g.data_ptr<float>(), g.numel(), 0.0f);  // zeroed in place
    opt.step();
    CHECK(w.to_vector<float>() == Floats{0, 0, 0, 0, 0, 0});
    opt.zero_grad();
    backward_id1(w, m);
    g = w.grad();
    for (int64_t k = 0; k < g.numel(); ++k) g.data_ptr<float>()[k] *= 0.25f;  // a hand-written clip
    opt.step();
    CHECK(w.to_vector<float>() == Floats{0, 0, -.25f, -.25f, 0, 0});
  });
}

TEST_CASE("grad contract: grad() is live across accumulations (the caller's handle sees the next backward)") {
  for_each_mode(kModes, [](mt::Tensor& w, mt::optim::SGD&, Mode m) {
    backward_id1(w, m);
    mt::Tensor h = w.grad();
    add_in_place(h, 0.5f);
    backward_id1(w, m);  // accumulates into the same gradient, as PyTorch's in-place +=
    CHECK(w.grad().to_vector<float>() == Floats{.5f, .5f, 2.5f, 2.5f, .5f, .5f});
    CHECK(h.to_vector<float>() == Floats{.5f, .5f, 2.5f, 2.5f, .5f, .5f});
  });
}

TEST_CASE("grad contract: zero_grad never writes into or reuses a buffer a caller still holds") {
  for_each_mode(kModes, [](mt::Tensor& w, mt::optim::SGD& opt, Mode m) {
    backward_id1(w, m);
    const mt::Tensor kept = w.grad();
    opt.zero_grad();
    CHECK(!w.grad().defined());
    CHECK(kept.to_vector<float>() == Floats{0, 0, 1, 1, 0, 0});  // set_to_none: the old tensor is left as it was
    backward_id1(w, m);
    std::fill_n(kept.data_ptr<float>(), kept.numel(), 100.0f);  // the caller writes into its old handle
    CHECK(w.grad().to_vector<float>() == Floats{0, 0, 1, 1, 0, 0});
    opt.step();
    CHECK(w.to_vector<float>() == Floats{0, 0, -1, -1, 0, 0});
  });
}

TEST_CASE("grad contract: a seed gradient of the wrong dtype or shape is refused at backward, storing nothing") {
  for_each_mode(kModes, [](mt::Tensor& w, mt::optim::SGD& opt, Mode m) {
    const std::string op = m == Mode::kDense ? "matmul" : "embedding";
    try {
      lookup(w, m, {1}).backward(mt::tensor(std::vector<int64_t>{1, 1}, {1, 2}));
      FAIL("an int64 seed was accepted");
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      CHECK(msg.find(op) != std::string::npos);
      CHECK(msg.find("int64") != std::string::npos);
      CHECK(msg.find("float32") != std::string::npos);
    }
    try {
      lookup(w, m, {1}).backward(mt::ones({2, 1}));
      FAIL("a seed of the wrong shape was accepted");
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      CHECK(msg.find("[2, 1]") != std::string::npos);
      CHECK(msg.find("[1, 2]") != std::string::npos);
    }
    CHECK(!w.grad().defined());
    opt.step();  // nothing stored: the step skips w
    CHECK(w.to_vector<float>() == Floats{0, 0, 0, 0, 0, 0});
    backward_id1(w, m);
    opt.step();
    CHECK(w.to_vector<float>() == Floats{0, 0, -1, -1, 0, 0});
  });
}

TEST_CASE("grad contract: the fast modes stay fast while nobody looks, and looking makes the cycle dense") {
  using mt::grad::Kind;
  for_each_mode(kRowModes, [](mt::Tensor& w, mt::optim::SGD& opt, Mode m) {
    backward_id1(w, m);
    const Kind fast = m == Mode::kSparse ? Kind::kSparse : Kind::kTracked;
    CHECK(mt::grad::kind(w) == fast);
    CHECK(mt::sparse_grad(w).indices.numel() == (m == Mode::kSparse ? 1 : 0));  // the cheap view changes nothing
    opt.step();
    CHECK(mt::grad::kind(w) == fast);
    (void)w.grad();
    CHECK(mt::grad::kind(w) == Kind::kDense);
    opt.zero_grad();
    backward_id1(w, m);  // the next cycle is fast again
    CHECK(mt::grad::kind(w) == fast);
  });
}

TEST_CASE("grad contract: the embedding backward equals its plain loop in both row modes") {
  // dW[ids[n]] += scale[n] * dout[n], in position order: the oracle (core/grad/rows.h).
  const int64_t V = 7, C = 5;
  mt::manual_seed(5);
  const mt::Tensor ids = mt::randint(0, V, {4, 6});
  const mt::Tensor dout = mt::randn({4, 6, C});
  for (bool freq : {false, true})
    for (Mode m : {Mode::kDefault, Mode::kSparse}) {
      INFO(name(m) << (freq ? ", scale_grad_by_freq" : "") << ", padding_idx 2");
      auto w = mt::randn({V, C}).requires_grad_(true);
      F::embedding(ids, w, F::EmbeddingFuncOptions().sparse(m == Mode::kSparse).scale_grad_by_freq(freq).padding_idx(2))
          .backward(dout);
      std::vector<int64_t> flat = ids.to_vector<int64_t>();
      std::vector<float> scale;
      if (freq)
        for (int64_t id : flat) scale.push_back(static_cast<float>(1.0 / static_cast<double>(std::count(flat.begin(), flat.end(), id))));
      for (int64_t& id : flat)
        if (id == 2) id = -1;
      std::vector<float> want(V * C, 0.0f);
      mt::detail::embedding_backward_reference(want.data(), flat, dout.data_ptr<float>(), scale, C);
      CHECK(w.grad().to_vector<float>() == want);
    }
}

// core/extend.h's example op, as a user outside the library writes it.
static mt::Tensor square(const mt::Tensor& a) {
  mt::Tensor y;
  {
    mt::NoGradGuard off;
    y = a * a;
  }
  mt::record(y, "square", {a}, [a](const mt::Tensor& dy) { mt::accumulate_grad(a, dy * a * 2.0f); });
  return y;
}

TEST_CASE("extend.h: an op written with record / accumulate_grad passes gradcheck, and a bad gradient is refused") {
  auto a = mt::tensor(Floats{0.5f, -1.5f, 2.0f}, {3}).requires_grad_(true);
  const auto r = mt::autograd::gradcheck([](const std::vector<mt::Tensor>& x) { return square(x[0]).sum(); }, {a});
  CHECK(r.ok);
  auto b = mt::ones({2}).requires_grad_(true);
  mt::Tensor y = b * 1.0f;
  mt::record(y, "bad_op", {b}, [b](const mt::Tensor&) { mt::accumulate_grad(b, mt::ones({3})); });
  CHECK_THROWS_AS(y.sum().backward(), std::invalid_argument);
}

// A leaf may keep a closure's dy whole rather than copy it (no other handle then). An op of three inputs
// (extend.h) hands one dy to the leaf w and to interior k and q; q's subtree (3w) runs before k's node and
// adds into w's gradient. k must still read dy as it was: loss = sum(w + 2x + 3w), hand-derived w.grad = 4,
// x.grad = 2 (the engine replays out, q, 3w, then k, as a depth-first order visits k before q).
TEST_CASE("grad contract: a leaf that kept a closure's dy never changes what an interior value reads") {
  mt::Tensor w = mt::zeros({4}), x = mt::zeros({4});
  w.requires_grad_();
  x.requires_grad_();
  const mt::Tensor k = x * 2.0f, q = (w * 3.0f) * 1.0f;
  mt::Tensor out;
  {
    mt::NoGradGuard no_grad;  // the values only: record() below gives out its graph
    out = (w + k) + q;
  }
  mt::record(out, "sum3", {w, k, q}, [w, k, q](const mt::Tensor& dy) {
    mt::accumulate_grad(w, dy);  // w may keep dy itself
    mt::accumulate_grad(k, dy);
    mt::accumulate_grad(q, dy);
  });
  (out * 1.0f).sum().backward();  // out's dy is then this pass's own (a fresh product), not a shared seed
  REQUIRE(w.grad().to_vector<float>() == Floats(4, 4.0f));
  REQUIRE(x.grad().to_vector<float>() == Floats(4, 2.0f));
}

// The same with the leaf's later growth through grad() handed out before: the caller's handle sees it.
TEST_CASE("grad contract: a grad() handle taken before a backward sees that backward's accumulation") {
  mt::Tensor w = mt::zeros({3});
  w.requires_grad_();
  (w * 2.0f).sum().backward();
  const mt::Tensor held = w.grad();
  ((w + w * 0.0f) + w).sum().backward();  // dy kept whole by w, then added to in place
  REQUIRE(held.to_vector<float>() == Floats(3, 4.0f));
  REQUIRE(w.grad().to_vector<float>() == Floats(3, 4.0f));
}
