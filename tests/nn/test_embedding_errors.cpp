// nn::Embedding and F::embedding given bad input: the exception type, a message naming the offending value (and
// for ids its flat position and V), and no state change: after every refused call the table is bit-identical,
// at the same version, and has no gradient.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <string>

#include "helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using namespace helpers;

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

