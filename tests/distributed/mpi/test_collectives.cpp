// Collectives on tensors (distributed.h), checked against values worked out by hand from each rank's input,
// and the typed errors every rank throws alike when the ranks pass different things. Every collective is
// made on every rank, whatever a check found, so a failure cannot leave one rank waiting.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <string>

namespace mt = microtorch;
namespace dist = mt::distributed;

TEST_CASE("rank and world_size: ranks 0..n-1 once each", "[distributed]") {
  const int world = dist::world_size(), rank = dist::rank();
  REQUIRE(world >= 1);
  CHECK(rank >= 0);
  CHECK(rank < world);
  CHECK(dist::is_initialized());
  const std::vector<mt::Tensor> all = dist::all_gather(mt::tensor(std::vector<int64_t>{rank}, {1}));
  REQUIRE(all.size() == static_cast<size_t>(world));
  for (int r = 0; r < world; ++r) CHECK(all[r].item<int64_t>() == r);
  dist::barrier();
}

TEST_CASE("all_reduce: Sum, Avg and Max of (rank + 1) * x, in place", "[distributed]") {
  const int world = dist::world_size(), rank = dist::rank();
  const float k = static_cast<float>(rank + 1);
  const float sum_k = static_cast<float>(world * (world + 1) / 2);  // 1 + 2 + ... + world
  const std::vector<float> x{1.5f, -2.0f, 0.25f, 8.0f, -0.5f, 3.0f};

  mt::Tensor s = mt::tensor({x[0] * k, x[1] * k, x[2] * k, x[3] * k, x[4] * k, x[5] * k}, {2, 3});
  mt::Tensor same = s;  // a second handle sees the in-place result
  dist::all_reduce(s, dist::ReduceOp::Sum);
  CHECK(s.shape() == mt::Shape{2, 3});
  for (size_t i = 0; i < x.size(); ++i) CHECK(same.to_vector<float>()[i] == x[i] * sum_k);

  mt::Tensor a = mt::tensor({x[0] * k, x[1] * k, x[2] * k, x[3] * k, x[4] * k, x[5] * k}, {6});
  dist::all_reduce(a, dist::ReduceOp::Avg);
  for (size_t i = 0; i < x.size(); ++i) CHECK(a.to_vector<float>()[i] == Approx(x[i] * sum_k / world).margin(1e-6));

  mt::Tensor m = mt::tensor({x[0] * k, x[1] * k, x[2] * k}, {3});
  dist::all_reduce(m, dist::ReduceOp::Max);  // x[1] < 0: its max is rank 0's
  CHECK(m.to_vector<float>() == std::vector<float>{x[0] * world, x[1], x[2] * world});

  mt::Tensor i64 = mt::tensor(std::vector<int64_t>{rank, 10 * (rank + 1), int64_t(1) << 40}, {3});
  dist::all_reduce(i64, dist::ReduceOp::Sum);
  CHECK(i64.to_vector<int64_t>() ==
        std::vector<int64_t>{world * (world - 1) / 2, 10 * world * (world + 1) / 2, world * (int64_t(1) << 40)});
  mt::Tensor i32 = mt::tensor(std::vector<int32_t>{-rank, rank}, {2});
  dist::all_reduce(i32, dist::ReduceOp::Max);
  CHECK(i32.to_vector<int32_t>() == std::vector<int32_t>{0, world - 1});
}

TEST_CASE("all_reduce: a version bump, so a backward that saved the old values refuses", "[distributed]") {
  mt::Tensor w = mt::ones({3}).requires_grad_(true);
  mt::Tensor y = (w * w).sum();  // saves w
  dist::all_reduce(w, dist::ReduceOp::Sum);
  CHECK_THROWS(y.backward());
}

TEST_CASE("broadcast: every rank gets root's values, from any root", "[distributed]") {
  const int world = dist::world_size(), rank = dist::rank();
  for (int root = 0; root < world; ++root) {
    mt::Tensor f = mt::full({2, 2}, static_cast<float>(rank * 10 + 1));
    dist::broadcast(f, root);
    CHECK(f.to_vector<float>() == std::vector<float>(4, static_cast<float>(root * 10 + 1)));
    mt::Tensor b = mt::tensor(std::vector<int32_t>{rank, rank + 1}, {2}) > mt::tensor(std::vector<int32_t>{0, 0}, {2});
    dist::broadcast(b, root);  // bool: (root > 0, true)
    CHECK(b.to_vector<bool>() == std::vector<bool>{root > 0, true});
  }
}

TEST_CASE("all_gather: each rank's tensor in rank order, fresh copies", "[distributed]") {
  const int world = dist::world_size(), rank = dist::rank();
  mt::Tensor t = mt::tensor({static_cast<float>(rank), 0.5f}, {1, 2});
  const std::vector<mt::Tensor> all = dist::all_gather(t);
  REQUIRE(all.size() == static_cast<size_t>(world));
  for (int r = 0; r < world; ++r) {
    CHECK(all[r].shape() == mt::Shape{1, 2});
    CHECK(all[r].to_vector<float>() == std::vector<float>{static_cast<float>(r), 0.5f});
  }
  all[rank].data_ptr<float>()[1] = 9.0f;  // a copy: t keeps its value
  CHECK(t.to_vector<float>()[1] == 0.5f);
}

TEST_CASE("collectives: a shape, dtype, op or root that differs between ranks throws on every rank", "[distributed]") {
  const int world = dist::world_size(), rank = dist::rank();
  if (world < 2) {
    SUCCEED("one rank: nothing can differ");
    return;
  }
  mt::Tensor shape_differs = mt::zeros({2 + rank});
  try {
    dist::all_reduce(shape_differs, dist::ReduceOp::Sum);
    FAIL("no error for shapes [2] and [3]");
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    CHECK(m.find("rank 1 passed float32 [3]") != std::string::npos);
    CHECK(m.find("rank 0 passed float32 [2]") != std::string::npos);
  }
  CHECK(shape_differs.to_vector<float>() == std::vector<float>(static_cast<size_t>(2 + rank), 0.0f));  // untouched

  mt::Tensor dtype_differs = rank == 0 ? mt::zeros({4}) : mt::zeros({4}, mt::kInt64);
  CHECK_THROWS_AS(dist::broadcast(dtype_differs, 0), std::invalid_argument);
  CHECK_THROWS_AS(dist::all_gather(dtype_differs), std::invalid_argument);

  mt::Tensor t = mt::ones({3});
  try {
    dist::all_reduce(t, rank == 0 ? dist::ReduceOp::Sum : dist::ReduceOp::Max);
    FAIL("no error for ops Sum and Max");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("op Max but rank 0 passed Sum") != std::string::npos);
  }
  CHECK_THROWS_AS(dist::broadcast(t, rank), std::invalid_argument);  // roots 0 and 1
  CHECK_THROWS_AS(dist::broadcast(t, world), std::invalid_argument);  // the same everywhere, out of range
  mt::Tensor ids = mt::zeros({2}, mt::kInt64);
  CHECK_THROWS_AS(dist::all_reduce(ids, dist::ReduceOp::Avg), std::invalid_argument);

  // After the errors the ranks are still in step.
  dist::all_reduce(t, dist::ReduceOp::Sum);
  CHECK(t.to_vector<float>() == std::vector<float>(3, static_cast<float>(world)));
}
