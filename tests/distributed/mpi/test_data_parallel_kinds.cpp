// DataParallel when the ranks hold a gradient in different Kinds: some rank none, some rows, some dense.
// Values are worked out by hand: rank r looks up ids (r, r + 1, r + 1) and its loss is the sum of the rows
// times (r + 1), so its gradient has row r = r + 1 and row r + 1 = 2 (r + 1), every column alike.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include "same_values.h"

#include <microtorch/core/grad/door.h>

namespace mt = microtorch;
namespace dist = mt::distributed;

namespace {

constexpr int64_t V = 10, C = 4;

// Rank r's backward, on the ranks `users` says.
void backward_on(mt::nn::Embedding& emb, bool use) {
  if (!use) return;
  const int64_t r = dist::rank();
  const mt::Tensor ids = mt::tensor(std::vector<int64_t>{r, r + 1, r + 1}, {3});
  (emb(ids) * static_cast<float>(r + 1)).sum().backward();
}

// Row k of the average over the ranks in `users` (a predicate on the rank) of their gradients.
float expected_row(int64_t k, bool (*user)(int)) {
  const int world = dist::world_size();
  double sum = 0.0;
  for (int r = 0; r < world; ++r) {
    if (!user(r)) continue;
    if (k == r) sum += r + 1;
    if (k == r + 1) sum += 2.0 * (r + 1);
  }
  return static_cast<float>(sum / world);
}

void check_rows(const mt::Tensor& dense, bool (*user)(int)) {
  REQUIRE(dense.defined());
  const std::vector<float> g = dense.to_vector<float>();
  for (int64_t k = 0; k < V; ++k)
    for (int64_t j = 0; j < C; ++j) CHECK(g[k * C + j] == Approx(expected_row(k, user)).margin(1e-7));
}

bool everyone(int) { return true; }
bool rank0_only(int r) { return r == 0; }

}  // namespace

TEST_CASE("DataParallel: a rank without the rows' gradient gets every rank's rows, tracked or sparse",
          "[distributed][ddp]") {
  for (const bool sparse : {false, true}) {
    INFO("sparse " << sparse);
    mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C).sparse(sparse));
    dist::DataParallel ddp(emb);
    backward_on(emb, dist::rank() == 0);
    ddp.sync_gradients();
    CHECK(mt::grad::kind(emb.weight) == (sparse ? mt::grad::Kind::kSparse : mt::grad::Kind::kTracked));
    check_rows(mt::grad::dense(emb.weight), rank0_only);
    CHECK(ddp.last_sync().rows == (dist::rank() == 0 ? 2 : 0));
    CHECK(ddp.last_sync().dense_bytes == 0);
  }
}

TEST_CASE("DataParallel: rows on some ranks and dense on another: dense everywhere", "[distributed][ddp]") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C).sparse(true));
  dist::DataParallel ddp(emb);
  backward_on(emb, true);
  if (dist::rank() == 0) (void)emb.weight.grad();  // reading grad() makes rank 0's gradient dense
  ddp.sync_gradients();
  CHECK(mt::grad::kind(emb.weight) == mt::grad::Kind::kDense);
  check_rows(emb.weight.grad(), everyone);
  CHECK(ddp.last_sync().dense_bytes == V * C * 4);
  CHECK(ddp.last_sync().rows == 0);
}

TEST_CASE("DataParallel: a parameter no backward reached on any rank keeps no gradient", "[distributed][ddp]") {
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, C));
  mt::nn::Linear lin(mt::nn::LinearOptions(C, 2));
  dist::DataParallel a(emb), b(lin);
  backward_on(emb, true);
  a.sync_gradients();
  b.sync_gradients();
  CHECK(mt::grad::kind(lin.weight) == mt::grad::Kind::kNone);
  CHECK_FALSE(lin.weight.grad().defined());
  CHECK(b.last_sync().dense_bytes == 0);
  check_rows(mt::grad::dense(emb.weight), everyone);
}

TEST_CASE("DataParallel: models that differ between ranks throw on every rank before anything moves",
          "[distributed][ddp]") {
  const int rank = dist::rank();
  mt::nn::Linear lin(mt::nn::LinearOptions(3, dist::world_size() > 1 && rank == 1 ? 4 : 3));
  const mt::Tensor before = lin.weight.clone();
  if (dist::world_size() > 1) {
    try {
      dist::DataParallel ddp(lin);
      FAIL("no error for a weight [4, 3] against [3, 3]");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find("rank 1's model differs from rank 0's at line 0: 'weight float32 [4, 3]'") !=
            std::string::npos);
    }
    CHECK(same_values(lin.weight, before));
  }
  mt::nn::Linear same(mt::nn::LinearOptions(3, 3));
  CHECK_THROWS_AS(dist::DataParallel(same, dist::DataParallelOptions().bucket_cap_mb(0.0)), std::invalid_argument);
  if (dist::world_size() > 1)  // options that differ between ranks
    CHECK_THROWS_AS(dist::DataParallel(same, dist::DataParallelOptions().bucket_cap_mb(1.0 + rank)), std::invalid_argument);
}

TEST_CASE("grad::set_rows: the gradient becomes the rows given, as zero_grad then add_rows", "[distributed][door]") {
  for (const bool sparse : {false, true}) {
    mt::Tensor w = mt::zeros({V, C}).requires_grad_(true), oracle = mt::zeros({V, C}).requires_grad_(true);
    mt::grad::add_rows(w, {{1, 2}, mt::ones({2, C}), {}}, sparse);  // replaced below
    const mt::Tensor values = mt::tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f, 8.f, 9.f, 10.f, 11.f, 12.f}, {3, C});
    mt::grad::set_rows(w, {{3, -1, 3}, values, {}}, sparse);
    mt::grad::add_rows(oracle, {{3, -1, 3}, values, {}}, sparse);
    CHECK(mt::grad::kind(w) == mt::grad::kind(oracle));
    CHECK(same_values(mt::grad::dense(w), mt::grad::dense(oracle)));
    // Bad input changes nothing.
    CHECK_THROWS_AS(mt::grad::set_rows(w, {{V}, mt::ones({1, C}), {}}, sparse), std::out_of_range);
    CHECK_THROWS_AS(mt::grad::set_rows(w, {{0, 1}, mt::ones({1, C}), {}}, sparse), std::invalid_argument);
    CHECK(same_values(mt::grad::dense(w), mt::grad::dense(oracle)));
  }
}
