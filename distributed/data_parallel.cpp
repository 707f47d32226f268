// DataParallel (data_parallel.h): the architecture check and rank 0's parameters at construction; each
// step, the gradients' kinds gathered, then the row gradients as rows and the dense ones in buckets.
#include "data_parallel.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "../core/grad.h"
#include "../core/grad/door.h"
#include "distributed.h"
#include "mpi/comm.h"

namespace microtorch::distributed {

struct DataParallel::Scratch {
  grad::RowWalk walk;         // this rank's distinct rows of a row gradient
  std::vector<int64_t> ids;   // (u) their ids
  std::vector<float> rows;    // (u, C) their values over the world size
  std::vector<float> bucket;  // dense gradients packed for one all-reduce
};

namespace {

// One line per parameter, then the options: what every rank must agree on.
std::string describe(const nn::NamedParameters& params, const DataParallelOptions& options) {
  std::string out;
  for (const auto& [name, p] : params) out += name + " " + dtype_name(p.dtype()) + " " + shape_str(p.shape()) + "\n";
  return out + "bucket_cap_mb " + std::to_string(options.bucket_cap_mb()) + "\n";
}

// Line k of a description, quoted, or "(none)" past its end.
std::string line(const std::string& text, size_t k) {
  size_t at = 0;
  for (size_t i = 0; i < k; ++i) {
    at = text.find('\n', at);
    if (at == std::string::npos) return "(none)";
    ++at;
  }
  if (at >= text.size()) return "(none)";
  return "'" + text.substr(at, text.find('\n', at) - at) + "'";
}

// Throws on every rank alike unless every rank's description equals rank 0's.
void check_same_architecture(const nn::NamedParameters& params, const DataParallelOptions& options) {
  const std::vector<std::string> all = comm::all_gather_strings(describe(params, options));
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] == all[0]) continue;
    size_t k = 0;  // the first parameter whose line differs
    while (line(all[r], k) == line(all[0], k)) ++k;
    throw std::invalid_argument("DataParallel: rank " + std::to_string(r) + "'s model differs from rank 0's at line " +
                                std::to_string(k) + ": " + line(all[r], k) + " on rank " + std::to_string(r) + ", " +
                                line(all[0], k) + " on rank 0");
  }
}

// g (n floats) /= world, the Avg of a summed gradient.
void divide(float* g, int64_t n, int world) {
  const float w = static_cast<float>(world);
  for (int64_t i = 0; i < n; ++i) g[i] /= w;
}

}  // namespace

DataParallel::DataParallel(const nn::Module& module, const DataParallelOptions& options)
    : params_(module.named_parameters()), options_(options), scratch_(std::make_unique<Scratch>()) {
  if (!is_initialized())
    throw std::runtime_error("DataParallel: call distributed::init(&argc, &argv) first (and not after finalize())");
  for (const auto& [name, p] : params_)
    if (p.dtype() != kFloat32)
      throw std::invalid_argument("DataParallel: parameter " + name + " is " + dtype_name(p.dtype()) + ", expected float32");
  check_same_architecture(params_, options_);  // first: every rank then throws alike below
  if (!(options_.bucket_cap_mb() > 0.0))
    throw std::invalid_argument("DataParallel: bucket_cap_mb must be > 0, got " + std::to_string(options_.bucket_cap_mb()));
  for (auto& [name, p] : params_) broadcast(p, 0);  // in place: the live handles see rank 0's values
}

DataParallel::~DataParallel() = default;
DataParallel::DataParallel(DataParallel&&) noexcept = default;
DataParallel& DataParallel::operator=(DataParallel&&) noexcept = default;

void DataParallel::sync_gradients() {
  if (!is_initialized()) throw std::runtime_error("DataParallel::sync_gradients: distributed is not initialized");
  stats_ = SyncStats();
  const size_t n = params_.size();
  const int world = comm::size();
  // Every rank's Kind of every gradient, so all ranks take the same path for each parameter.
  std::vector<uint8_t> mine(n), all(n * static_cast<size_t>(world));
  for (size_t i = 0; i < n; ++i) mine[i] = static_cast<uint8_t>(grad::kind(params_[i].second));
  comm::all_gather(mine.data(), static_cast<int64_t>(n), all.data());
  std::vector<size_t> dense;
  for (size_t i = 0; i < n; ++i) {
    bool any_dense = false, any_rows = false, any_sparse = false;
    for (int r = 0; r < world; ++r) {
      const auto k = static_cast<grad::Kind>(all[static_cast<size_t>(r) * n + i]);
      any_dense |= k == grad::Kind::kDense;
      any_rows |= k == grad::Kind::kTracked || k == grad::Kind::kSparse;
      any_sparse |= k == grad::Kind::kSparse;
    }
    if (any_dense) dense.push_back(i);
    else if (any_rows) {
      const auto local = static_cast<grad::Kind>(mine[i]);
      sync_rows(i, local == grad::Kind::kSparse || (local == grad::Kind::kNone && any_sparse));
    }
  }
  std::reverse(dense.begin(), dense.end());  // last layers first, as their gradients are ready first
  sync_dense(dense, mine);
}

// The row gradient of params_[i] (V, C): this rank's distinct rows (summed per id by grad::RowWalk, in the
// order the optimizer's own walk sums them) over the world size, then every rank's ids and rows gathered in
// rank order; the gradient becomes those rows.
void DataParallel::sync_rows(size_t i, bool keep_sparse) {
  const Tensor& p = params_[i].second;
  const int64_t V = p.shape()[0], C = p.shape()[1];
  const int world = comm::size();
  Scratch& s = *scratch_;
  s.ids.clear();
  s.rows.clear();
  s.walk.walk(p, [&](int64_t id, const grad::Row& g) {
    s.ids.push_back(id);
    const size_t at = s.rows.size();
    s.rows.resize(at + static_cast<size_t>(C));
    g.copy_to(s.rows.data() + at, C);
    divide(s.rows.data() + at, C, world);
  });
  const int64_t u = static_cast<int64_t>(s.ids.size());
  std::vector<int64_t> counts(static_cast<size_t>(world));
  comm::all_gather(&u, sizeof u, counts.data());
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  std::vector<int64_t> ids(static_cast<size_t>(total));
  comm::all_gather_v(s.ids.data(), sizeof(int64_t), counts, ids.data());
  Tensor values = empty({total, C});
  comm::all_gather_v(s.rows.data(), C * int64_t(sizeof(float)), counts, values.data_ptr<float>());
  grad::set_rows(p, grad::RowChunk{std::move(ids), values, {}}, keep_sparse);
  stats_.rows += u;
  stats_.row_bytes += int64_t(sizeof u) + u * int64_t(sizeof(int64_t)) + u * C * int64_t(sizeof(float));
  stats_.rows_as_dense_bytes += V * C * int64_t(sizeof(float));
}

// The dense gradients of params_[which], in order: packed into buckets of about bucket_cap_mb and summed
// over the ranks, or, when one fills a bucket alone, summed in place in its own buffer; then divided by
// the world size. A rank that holds a parameter's gradient as rows (or none) adds its dense form (or
// zeros) and ends with the dense average, as the others.
void DataParallel::sync_dense(const std::vector<size_t>& which, const std::vector<uint8_t>& kinds) {
  const int world = comm::size();
  const int64_t cap = std::max<int64_t>(1, static_cast<int64_t>(options_.bucket_cap_mb() * 1024.0 * 1024.0 / sizeof(float)));
  auto local_dense = [&](size_t i) { return static_cast<grad::Kind>(kinds[i]) == grad::Kind::kDense; };
  // The average lands in the gradient: in its own buffer when it is dense here, else as a new dense one.
  auto land = [](const Tensor& p, const Tensor& avg) {
    zero_grad(p);
    accumulate_grad(p, avg);
  };
  for (size_t k = 0; k < which.size();) {
    const Tensor& p = params_[which[k]].second;
    if (p.numel() >= cap) {  // alone: no copies when it is dense here
      Tensor g = local_dense(which[k]) ? p.grad() : (grad::kind(p) == grad::Kind::kNone ? zeros(p.shape()) : grad::dense(p).clone());
      comm::all_reduce(g.data_ptr<float>(), g.numel(), comm::Elem::F32, comm::Op::Sum);
      divide(g.data_ptr<float>(), g.numel(), world);
      if (!local_dense(which[k])) land(p, g);
      stats_.dense_bytes += g.numel() * int64_t(sizeof(float));
      stats_.buckets += 1;
      ++k;
      continue;
    }
    size_t end = k;  // the bucket: which[k, end)
    int64_t total = 0;
    while (end < which.size() && params_[which[end]].second.numel() < cap &&
           total + params_[which[end]].second.numel() <= cap)
      total += params_[which[end++]].second.numel();
    std::vector<float>& bucket = scratch_->bucket;
    bucket.resize(static_cast<size_t>(total));
    int64_t at = 0;
    for (size_t b = k; b < end; at += params_[which[b]].second.numel(), ++b) {  // seek to each gradient's slot
      const Tensor& q = params_[which[b]].second;
      if (grad::kind(q) == grad::Kind::kNone) std::fill_n(bucket.data() + at, q.numel(), 0.0f);
      else std::memcpy(bucket.data() + at, grad::dense(q).data_ptr<float>(), static_cast<size_t>(q.numel()) * sizeof(float));
    }
    comm::all_reduce(bucket.data(), total, comm::Elem::F32, comm::Op::Sum);
    divide(bucket.data(), total, world);
    at = 0;
    for (size_t b = k; b < end; at += params_[which[b]].second.numel(), ++b) {
      const Tensor& q = params_[which[b]].second;
      Tensor g = local_dense(which[b]) ? q.grad() : empty(q.shape());
      std::memcpy(g.data_ptr<float>(), bucket.data() + at, static_cast<size_t>(q.numel()) * sizeof(float));
      if (!local_dense(which[b])) land(q, g);
    }
    stats_.dense_bytes += total * int64_t(sizeof(float));
    stats_.buckets += 1;
    k = end;
  }
}

}  // namespace microtorch::distributed
