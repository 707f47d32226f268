// F::embedding: validate, renorm (max_norm), gather; backward scatters the output's gradient rows
// into the looked-up rows of the weight's gradient. The backward's whole path is two files: this one hands
// the rows to core/grad_rows.cpp, which keeps them (as rows when sparse) and gives them to the optimizer.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "../core/autograd.h"
#include "../core/grad/door.h"
#include "../core/kernels/gather.h"
#include "functional.h"

namespace microtorch::nn::functional {

// The ids as int64, flattened, each checked against [0, V). Nothing is written before this returns.
static std::vector<int64_t> checked_ids(const Tensor& ids_in, int64_t V) {
  const Tensor ids = ids_in.contiguous();
  if (ids_in.dtype() != kInt64 && ids_in.dtype() != kInt32)
    throw std::invalid_argument("embedding: ids must be int64 or int32, got " + dtype_name(ids.dtype()) +
                                " (cast token ids to an integer type)");
  std::vector<int64_t> flat(static_cast<size_t>(ids.numel()));
  if (ids.dtype() == kInt64) std::copy_n(ids.data_ptr<int64_t>(), flat.size(), flat.begin());
  else std::copy_n(ids.data_ptr<int32_t>(), flat.size(), flat.begin());  // widened to int64
  for (size_t i = 0; i < flat.size(); ++i) {
    const int64_t id = flat[i];
    if (id < 0 || id >= V)
      throw std::out_of_range("embedding: id " + std::to_string(id) + " at flat position " + std::to_string(i) +
                              " is outside [0, " + std::to_string(V) + ") (the vocabulary has " + std::to_string(V) +
                              " rows; negative ids do not wrap)");
  }
  return flat;
}

// padding_idx in [-V, V) -> [0, V); -1 means none.
static int64_t checked_padding(const std::optional<int64_t>& padding_idx, int64_t V) {
  if (!padding_idx) return -1;
  const int64_t p = *padding_idx;
  if (p < -V || p >= V)
    throw std::invalid_argument("embedding: padding_idx " + std::to_string(p) + " must be within [-" + std::to_string(V) +
                                ", " + std::to_string(V) + ") for " + std::to_string(V) + " rows");
  return p < 0 ? p + V : p;
}

// The p-norm of a row, summed in double; p = inf is the largest magnitude.
static double row_norm(const float* row, int64_t C, double p) {
  double acc = 0.0;
  for (int64_t j = 0; j < C; ++j) {
    const double x = std::fabs(static_cast<double>(row[j]));
    if (std::isinf(p)) acc = std::max(acc, x);
    else acc += p == 2.0 ? x * x : p == 1.0 ? x : std::pow(x, p);
  }
  if (std::isinf(p) || p == 1.0) return acc;
  return p == 2.0 ? std::sqrt(acc) : std::pow(acc, 1.0 / p);
}

// As torch.embedding_renorm_: each distinct looked-up row whose p-norm exceeds max_norm is scaled by
// max_norm / (norm + 1e-7), in place, outside the tape.
static void renorm_rows(const Tensor& weight, std::vector<int64_t> ids, double max_norm, double p) {
  if (!weight.is_contiguous())
    throw std::invalid_argument("embedding: max_norm renormalises the weight's rows in place, which needs a row-major "
                                "weight; got strides " + shape_str(weight.strides()) + " (pass weight.contiguous())");
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const int64_t C = weight.shape()[1];
  float* w = weight.data_ptr<float>();
  for (int64_t id : ids) {
    float* row = w + id * C;  // seek to row id
    const float norm = static_cast<float>(row_norm(row, C, p));  // a float norm, as ATen's
    if (norm > max_norm) {
      const float scale = static_cast<float>(max_norm / (static_cast<double>(norm) + 1e-7));
      for (int64_t j = 0; j < C; ++j) row[j] *= scale;
    }
  }
  if (!ids.empty()) grad::bump_version(weight);
}

Tensor embedding(const Tensor& ids, const Tensor& weight, const EmbeddingFuncOptions& o) {
  if (!weight.defined())
    throw std::invalid_argument("embedding: weight is an undefined tensor; expected a 2-D float32 (V, C) table");
  if (!ids.defined())
    throw std::invalid_argument("embedding: ids is an undefined tensor; expected int64 or int32 token ids");
  if (weight.dim() != 2 || weight.dtype() != kFloat32)
    throw std::invalid_argument("embedding: weight must be a 2-D float32 (V, C) table, got " + dtype_name(weight.dtype()) +
                                " of shape " + shape_str(weight.shape()));
  const int64_t V = weight.shape()[0], C = weight.shape()[1];
  const int64_t padding = checked_padding(o.padding_idx(), V);
  if (o.max_norm() && !(*o.max_norm() > 0.0))
    throw std::invalid_argument("embedding: max_norm must be > 0, got " + std::to_string(*o.max_norm()));
  if (o.max_norm() && !(o.norm_type() > 0.0))
    throw std::invalid_argument("embedding: norm_type must be > 0, got " + std::to_string(o.norm_type()));
  std::vector<int64_t> flat = checked_ids(ids, V);

  if (o.max_norm()) renorm_rows(weight, flat, *o.max_norm(), o.norm_type());

  // out (n, C) <- rows of weight (V, C) picked by ids (n)
  Shape out_shape = ids.shape();
  out_shape.push_back(C);
  Tensor out = empty(out_shape);
  Tensor table;  // the weight in row-major order (itself, unless it is a view of another layout)
  {
    NoGradGuard off;
    table = weight.contiguous();
  }
  const float* w = table.data_ptr<float>();
  float* y = out.data_ptr<float>();
  kernels::gather_rows(y, w, flat.data(), static_cast<int64_t>(flat.size()), C);  // kernels/gather.cpp

  if (!needs_grad({weight})) return out;
  std::vector<float> scale;  // 1/count per position, counts over the whole call (padding included)
  if (o.scale_grad_by_freq()) {
    std::unordered_map<int64_t, int64_t> count;
    for (int64_t id : flat) ++count[id];
    for (int64_t id : flat) scale.push_back(static_cast<float>(1.0 / static_cast<double>(count[id])));
  }
  if (padding >= 0) std::replace(flat.begin(), flat.end(), padding, int64_t{-1});  // -1: no gradient
  const bool sparse = o.sparse();
  const int64_t n = static_cast<int64_t>(flat.size());
  // The backward: dW[ids[k]] += scale[k] * dout[k] for every position k not padding
  // (embedding_backward_reference in core/grad/rows.cpp), kept as rows and summed there.
  record(out, "embedding", {weight}, [weight, flat = std::move(flat), scale = std::move(scale), sparse, n, C](const Tensor& dout) {
    grad::add_rows(weight, grad::RowChunk{flat, dout.view({n, C}), scale}, sparse);
  });
  return out;
}

}  // namespace microtorch::nn::functional
