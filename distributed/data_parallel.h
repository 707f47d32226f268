// Data parallel training: every rank holds the whole model and trains on its own share of each batch.
//   mt::distributed::DataParallel ddp(model);   // rank 0's parameters copied to every rank
//   loss.backward();                            // loss: the mean over this rank's share of the batch
//   ddp.sync_gradients();                       // every gradient averaged over the ranks
//   opt.step();                                 // the same step on every rank
// With equal shares and a mean loss, the averaged gradient is the gradient of the mean over the whole
// batch: N ranks end where one process on the whole batch ends, up to the order of float sums.
//
// How each gradient travels (grad::Kind, core/grad/door.h), decided per parameter on every step:
//   dense (a Linear's weight, a tied head's table)  all-reduced (summed, then divided by the world size),
//       packed into buckets of about bucket_cap_mb; a gradient bigger than a bucket is reduced in place.
//   rows (an embedding's default row-tracked gradient, or sparse(true))  as its rows, never as (V, C):
//       each rank sums its rows per id (the optimizer's float order), divides them by the world size, and
//       every rank gathers every rank's ids and rows; the gradient becomes those rows, in rank order (a
//       tracked gradient stays tracked, a sparse one sparse), so an optimizer that updates rows only sees
//       the union of the looked-up rows, each the sum of its ranks' parts.
// A parameter that some rank holds dense goes dense on every rank; one that no backward reached anywhere
// stays without a gradient. scale_grad_by_freq counts ids in each rank's share, not in the whole batch.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../core/arg.h"
#include "../nn/module.h"

namespace microtorch::distributed {

struct DataParallelOptions {
  /// Dense gradients are all-reduced in buckets of about this many MiB (PyTorch's bucket_cap_mb). > 0.
  MICROTORCH_ARG(double, bucket_cap_mb) = 4.0;
};

// What this rank handed to MPI in the last sync_gradients().
struct SyncStats {
  int64_t dense_bytes = 0;     // dense gradients all-reduced: 4 bytes per float
  int buckets = 0;             // all-reduce calls they took
  int64_t rows = 0;            // rows this rank sent for row gradients
  int64_t row_bytes = 0;       // their ids (8 bytes each) and values (C floats each), plus one count per table
  int64_t rows_as_dense_bytes = 0;  // what the same tables would cost as dense gradients (V * C * 4 each)
};

class DataParallel {
 public:
  // Collective: every rank constructs it at the same point with the same architecture and options (names,
  // dtypes, shapes and options are compared first: std::invalid_argument on every rank naming the first
  // difference, or a bucket_cap_mb <= 0); then every parameter takes rank 0's values, in place. The
  // parameter list is fixed here, as PyTorch's DDP does.
  explicit DataParallel(const nn::Module& module, const DataParallelOptions& options = DataParallelOptions());
  ~DataParallel();
  DataParallel(DataParallel&&) noexcept;
  DataParallel& operator=(DataParallel&&) noexcept;

  // Collective, after backward() on every rank: each gradient becomes its average over the ranks.
  void sync_gradients();

  const SyncStats& last_sync() const { return stats_; }
  const nn::NamedParameters& named_parameters() const { return params_; }
  const DataParallelOptions& options() const { return options_; }

 private:
  void sync_dense(const std::vector<size_t>& which, const std::vector<uint8_t>& kinds);
  void sync_rows(size_t i, bool keep_sparse);

  struct Scratch;  // the row walk and buffers reused from step to step (data_parallel.cpp)
  nn::NamedParameters params_;
  DataParallelOptions options_;
  SyncStats stats_;
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace microtorch::distributed
