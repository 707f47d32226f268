// DataParallel against one process on the whole batch, computed on every rank as the oracle: N ranks, each on
// its share with a mean loss and sync_gradients(), end within 1e-5 of it, for the three embedding modes
// (a tied head: dense; the default: row-tracked; sparse(true) with SparseAdam). The rows keep their Kind.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include "same_values.h"

#include <cmath>
#include <memory>
#include <string>

#include <microtorch/core/grad/door.h>

namespace mt = microtorch;
namespace dist = mt::distributed;
namespace F = mt::nn::functional;

namespace {

constexpr int64_t V = 300, C = 12, B = 8, T = 6;

struct Net : mt::nn::Module {
  mt::nn::Embedding emb;
  mt::nn::Linear hid, head;
  Net(bool sparse, bool tied)
      : emb(mt::nn::EmbeddingOptions(V, C).sparse(sparse)), hid(mt::nn::LinearOptions(C, C)),
        head(mt::nn::LinearOptions(C, V).bias(false)) {
    register_module("emb", emb);
    register_module("hid", hid);
    if (tied) head.weight = emb.weight;
    register_module("head", head);
  }
  mt::Tensor forward(const mt::Tensor& ids) { return head(mt::tanh(hid(emb(ids)))); }
};

struct Trainer {
  Net net;
  std::unique_ptr<mt::optim::Optimizer> rows, dense;
  Trainer(const std::string& mode) : net(mode == "sparse", mode == "tied") {
    if (mode == "sparse") {
      rows = std::make_unique<mt::optim::SparseAdam>(std::vector<mt::Tensor>{net.emb.weight}, mt::optim::SparseAdamOptions(1e-2));
      dense = std::make_unique<mt::optim::SGD>(std::vector<mt::Tensor>{net.hid.weight, net.hid.bias, net.head.weight},
                                               mt::optim::SGDOptions(0.5));
    } else {
      dense = std::make_unique<mt::optim::SGD>(net.parameters(), mt::optim::SGDOptions(0.5));
    }
  }
  // One step on `batch` (b, T + 1): the mean loss over its b * T targets; `sync` between backward and step.
  void step(const mt::Tensor& batch, dist::DataParallel* ddp, const std::string& mode) {
    if (rows) rows->zero_grad();
    dense->zero_grad();
    const int64_t b = batch.shape()[0];
    const mt::Tensor x = batch.narrow(1, 0, T).contiguous(), y = batch.narrow(1, 1, T).contiguous();
    F::cross_entropy(net.forward(x).view({b * T, V}), y.view({b * T})).backward();
    if (ddp) {
      ddp->sync_gradients();
      const mt::grad::Kind want = mode == "tied" ? mt::grad::Kind::kDense
                                  : mode == "rows" ? mt::grad::Kind::kTracked : mt::grad::Kind::kSparse;
      CHECK(mt::grad::kind(net.emb.weight) == want);  // rows stay rows, a tied table stays dense
    }
    if (rows) rows->step();
    dense->step();
  }
};

double worst_difference(const mt::nn::Module& a, const mt::nn::Module& b) {
  double worst = 0.0;
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    const auto va = pa[i].second.to_vector<float>(), vb = pb[i].second.to_vector<float>();
    for (size_t k = 0; k < va.size(); ++k) worst = std::max(worst, std::fabs(double(va[k]) - double(vb[k])));
  }
  return worst;
}

}  // namespace

TEST_CASE("DataParallel: N ranks on their shares == one process on the whole batch, each embedding mode",
          "[distributed][ddp]") {
  const int world = dist::world_size(), rank = dist::rank();
  REQUIRE(B % world == 0);
  const int64_t share = B / world;
  for (const std::string mode : {"tied", "rows", "sparse"}) {
    INFO("mode " << mode);
    mt::manual_seed(7);
    const mt::Tensor all = mt::randint(0, V, {B, T + 1});
    mt::manual_seed(1000);  // the oracle starts from the weights rank 0 draws below
    Trainer one(mode);
    for (int s = 0; s < 4; ++s) one.step(all, nullptr, mode);

    mt::manual_seed(1000 + rank);  // every rank draws other weights: DataParallel must copy rank 0's
    Trainer mine(mode);
    dist::DataParallel ddp(mine.net);
    const mt::Tensor shard = all.narrow(0, rank * share, share).contiguous();
    for (int s = 0; s < 4; ++s) mine.step(shard, &ddp, mode);

    const double worst = worst_difference(one.net, mine.net);
    INFO("worst difference " << worst);
    CHECK(worst <= 1e-5);
    if (world > 1) {  // the comparison can fail: the same ranks without sync_gradients end elsewhere
      mt::manual_seed(1000 + rank);
      Trainer alone(mode);
      dist::DataParallel copied(alone.net);
      for (int s = 0; s < 4; ++s) alone.step(shard, nullptr, mode);
      CHECK(worst_difference(one.net, alone.net) > 1e-3);
    }

    // Every rank holds the very same floats.
    for (const auto& [name, p] : mine.net.named_parameters()) {
      const std::vector<mt::Tensor> copies = dist::all_gather(p.detach());
      for (int r = 1; r < world; ++r) CHECK(same_values(copies[0], copies[r]));
    }
  }
}

TEST_CASE("DataParallel: rank 0's parameters at construction, the live handles written in place", "[distributed][ddp]") {
  const int rank = dist::rank();
  mt::manual_seed(50 + rank);
  Net net(false, true);
  const mt::Tensor handle = net.emb.weight;  // kept by the caller before DataParallel
  mt::manual_seed(50);
  const Net rank0(false, true);
  dist::DataParallel ddp(net);
  CHECK(same_values(handle, rank0.emb.weight));
  CHECK(same_values(net.hid.bias, rank0.hid.bias));
  CHECK(ddp.named_parameters().size() == 3);  // emb.weight (tied: once), hid.weight, hid.bias
}

TEST_CASE("DataParallel: bytes sent, rows against the dense table; buckets", "[distributed][ddp]") {
  const int world = dist::world_size(), rank = dist::rank();
  mt::manual_seed(3);
  Net net(false, false);
  dist::DataParallel ddp(net, dist::DataParallelOptions().bucket_cap_mb(1e-3));  // 262 floats a bucket
  // Rank r looks up ids r, r + 1 (twice), r + 2: three distinct rows.
  const mt::Tensor ids = mt::tensor(std::vector<int64_t>{rank, rank + 1, rank + 1, rank + 2}, {1, 4});
  net.forward(ids).sum().backward();
  ddp.sync_gradients();
  const dist::SyncStats& s = ddp.last_sync();
  CHECK(s.rows == 3);
  CHECK(s.row_bytes == 8 + 3 * 8 + 3 * C * 4);
  CHECK(s.rows_as_dense_bytes == V * C * 4);
  // Dense: head (3600 floats, alone, in place), then hid.bias (12) and hid.weight (144) in one bucket.
  CHECK(s.dense_bytes == (V * C + C + C * C) * 4);
  CHECK(s.buckets == 2);
  // The tracked gradient now holds the union of every rank's rows: ids 0 .. world + 1.
  std::vector<int64_t> seen;
  mt::grad::RowWalk walk;
  walk.walk(net.emb.weight, [&](int64_t id, const mt::grad::Row&) { seen.push_back(id); });
  std::vector<int64_t> want;
  for (int64_t id = 0; id < world + 2; ++id) want.push_back(id);
  CHECK(seen == want);
}
