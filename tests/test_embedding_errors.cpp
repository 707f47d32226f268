// Rejected input: the exception type, a message naming the offending value (and for ids its flat position
// and V), and no state change: after every rejected call the weight is bit-identical and has no gradient.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <functional>
#include <string>

#include "conformance.h"
#include <microtorch/core/ops/tensor_access.h>

namespace mt = microtorch;
namespace F = mt::nn::functional;

// "" when f throws E whose message holds every string of `must`, else what went wrong.
template <class E> static std::string rejects(const std::function<void()>& f, const std::vector<std::string>& must) {
  try {
    f();
  } catch (const E& e) {
    const std::string m = e.what();
    for (const auto& s : must)
      if (m.find(s) == std::string::npos) return "message lacks '" + s + "': " + m;
    return "";
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

// The table's bits, version and gradient state, to compare before and after a rejected call.
struct Snapshot {
  explicit Snapshot(const mt::Tensor& w)
      : bits(conformance::bits(w)), version(mt::detail::impl_ptr(w)->storage->version), had_grad(w.grad().defined()) {}
  bool operator==(const Snapshot& o) const { return bits == o.bits && version == o.version && had_grad == o.had_grad; }
  std::vector<uint32_t> bits;
  uint64_t version;
  bool had_grad;
};

TEST_CASE("embedding errors: an id >= V or negative is std::out_of_range naming id, position and V") {
  for (bool sparse : {false, true}) {
    INFO((sparse ? "sparse" : "dense"));
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(13, 3).sparse(sparse));
    const Snapshot before(emb.weight);
    auto big = mt::tensor(std::vector<int64_t>{0, 1, 2, 3, 4, 12, 29, 5}, {2, 4});
    CHECK(rejects<std::out_of_range>([&] { emb(big); }, {"29", "position 6", "13"}) == "");
    auto negative = mt::tensor(std::vector<int64_t>{0, 0, 0, -3}, {4});
    CHECK(rejects<std::out_of_range>([&] { emb(negative); }, {"-3", "position 3", "13"}) == "");
    auto exactly_v = mt::tensor(std::vector<int32_t>{13}, {});
    CHECK(rejects<std::out_of_range>([&] { emb(exactly_v); }, {"13", "position 0"}) == "");
    CHECK(rejects<std::out_of_range>([&] { F::embedding(negative, emb.weight); }, {"-3", "position 3", "13"}) == "");
    CHECK(Snapshot(emb.weight) == before);
  }
}

TEST_CASE("embedding errors: float ids are std::invalid_argument mentioning int64 and int32") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(5, 2));
  const Snapshot before(emb.weight);
  CHECK(rejects<std::invalid_argument>([&] { emb(mt::tensor(std::vector<float>{1.f, 2.f}, {2})); }, {"int64", "int32"}) == "");
  CHECK(Snapshot(emb.weight) == before);
}

TEST_CASE("embedding errors: options out of their domain are std::invalid_argument naming the value") {
  using mt::nn::EmbeddingOptions;
  CHECK(rejects<std::invalid_argument>([] { mt::nn::Embedding e(EmbeddingOptions(10, 3).padding_idx(10)); }, {"10"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::nn::Embedding e(EmbeddingOptions(10, 3).padding_idx(-11)); }, {"-11"}) == "");
  CHECK_NOTHROW(mt::nn::Embedding(EmbeddingOptions(10, 3).padding_idx(-10)));
  CHECK_NOTHROW(mt::nn::Embedding(EmbeddingOptions(10, 3).padding_idx(9)));
  CHECK(rejects<std::invalid_argument>([] { mt::nn::Embedding e(EmbeddingOptions(10, 3).max_norm(0.0)); }, {"0"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::nn::Embedding e(EmbeddingOptions(10, 3).max_norm(-1.5)); }, {"-1.5"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::nn::Embedding e(EmbeddingOptions(0, 3)); }, {"0"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::nn::Embedding e(EmbeddingOptions(4, -2)); }, {"-2"}) == "");
  // The functional form checks the same options against the table it is given, before touching it.
  auto w = mt::randn({6, 2}).requires_grad_(true);
  const Snapshot before(w);
  auto ids = mt::tensor(std::vector<int64_t>{0, 1}, {2});
  CHECK(rejects<std::invalid_argument>([&] { F::embedding(ids, w, F::EmbeddingFuncOptions().padding_idx(6)); }, {"6"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::embedding(ids, w, F::EmbeddingFuncOptions().padding_idx(-7)); }, {"-7"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::embedding(ids, w, F::EmbeddingFuncOptions().max_norm(-2.5)); }, {"-2.5"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::embedding(ids, mt::randn({6})); }, {"[6]"}) == "");
  CHECK(Snapshot(w) == before);
}

TEST_CASE("embedding errors: one bad id among rows max_norm would renorm changes nothing") {
  for (bool sparse : {false, true}) {
    INFO((sparse ? "sparse" : "dense"));
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(6, 4).max_norm(0.1).sparse(sparse));  // N(0,1) rows: norms >> 0.1
    const Snapshot before(emb.weight);
    auto ids = mt::tensor(std::vector<int64_t>{0, 1, 2, 3, 6, 4}, {2, 3});
    CHECK(rejects<std::out_of_range>([&] { emb(ids); }, {"6", "position 4"}) == "");
    CHECK(Snapshot(emb.weight) == before);
    emb(mt::tensor(std::vector<int64_t>{0, 1}, {2}));  // a good call does renorm: the snapshot can tell
    CHECK(!(Snapshot(emb.weight) == before));
  }
}

TEST_CASE("linear errors: input whose last dim is not in_features, and weight untouched") {
  mt::nn::Linear lin(mt::nn::LinearOptions(4, 3));
  const Snapshot wb(lin.weight), bb(lin.bias);
  CHECK(rejects<std::invalid_argument>([&] { lin(mt::randn({2, 5})); }, {"[2, 5]", "4"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { lin(mt::randn({4, 3})); }, {"[4, 3]", "4"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::nn::Linear bad(mt::nn::LinearOptions(0, 3)); }, {"0"}) == "");
  CHECK(rejects<std::invalid_argument>([] { mt::nn::Linear bad(mt::nn::LinearOptions(2, -1)); }, {"-1"}) == "");
  CHECK(lin(mt::randn({7, 4})).shape() == mt::Shape{7, 3});
  CHECK(Snapshot(lin.weight) == wb);
  CHECK(Snapshot(lin.bias) == bb);
}

TEST_CASE("cross_entropy errors: targets out of range or of the wrong shape or dtype") {
  auto logits = mt::randn({3, 5}).requires_grad_(true);
  const Snapshot before(logits);
  auto t = [](std::vector<int64_t> v, mt::Shape s) { return mt::tensor(v, s); };
  CHECK(rejects<std::invalid_argument>([&] { F::cross_entropy(logits, t({0, 5, 1}, {3})); }, {"5", "position 1"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::cross_entropy(logits, t({0, 1, -2}, {3})); }, {"-2", "position 2"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::cross_entropy(logits, t({0, 1, 2, 3}, {4})); }, {"[4]", "3"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::cross_entropy(logits, t({0, 1, 2}, {3, 1})); }, {"[3, 1]"}) == "");
  CHECK(rejects<std::invalid_argument>(
            [&] { F::cross_entropy(logits, mt::tensor(std::vector<float>{0, 1, 2}, {3})); }, {"float32"}) == "");
  CHECK(rejects<std::invalid_argument>([&] { F::cross_entropy(mt::randn({15}), t({0, 1, 2}, {3})); }, {"[15]"}) == "");
  // ignore_index is the one value outside [0, V) that is allowed
  CHECK_NOTHROW(F::cross_entropy(logits, t({0, -100, 4}, {3})));
  CHECK(Snapshot(logits) == before);
}
