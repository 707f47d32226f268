// F::embedding: validate, renorm (max_norm), gather; backward scatters the output's gradient rows
// into the looked-up rows of the weight's gradient. The backward's whole path is two files: this one hands
// the rows to core/grad_rows.cpp, which keeps them (as rows when sparse) and gives them to the optimizer.
// That row machinery is float32's; a float64, float16 or bfloat16 table runs the plain loops below, templated
// on its type: the gather, and a dense (V, C) gradient (sparse(true) is float32 only).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "../core/autograd.h"
#include "../core/grad.h"
#include "../core/grad/door.h"
#include "../core/kernels/gather.h"
#include "functional.h"
#include "internal/dtypes.h"

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
template <class T> static double row_norm(const T* row, int64_t C, double p) {
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
// T is the table's type, A its arithmetic type (float for float32 and the 16-bit kinds, double for float64).
template <class T, class A>
static void renorm_rows(const Tensor& weight, std::vector<int64_t> ids, double max_norm, double p) {
  if (!weight.is_contiguous())
    throw std::invalid_argument("embedding: max_norm renormalises the weight's rows in place, which needs a row-major "
                                "weight; got strides " + shape_str(weight.strides()) + " (pass weight.contiguous())");
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const int64_t C = weight.shape()[1];
  T* w = weight.data_ptr<T>();
  for (int64_t id : ids) {
    T* row = w + id * C;  // seek to row id
    const A norm = static_cast<A>(row_norm(row, C, p));  // a norm in the arithmetic type, as ATen's
    if (norm > max_norm) {
      const A scale = static_cast<A>(max_norm / (static_cast<double>(norm) + 1e-7));
      for (int64_t j = 0; j < C; ++j) row[j] = static_cast<T>(static_cast<A>(row[j]) * scale);
    }
  }
  if (!ids.empty()) grad::bump_version(weight);
}

// The table of another float type: out (n, C) <- rows of weight (V, C) in T; backward
// dW[ids[k]] += scale[k] * dout[k] for every position k whose id is not padding (-1: none), summed in A, dense.
template <class T, class A>
static Tensor embedding_plain(const Tensor& weight, const Shape& out_shape, std::vector<int64_t> flat, int64_t padding,
                              std::vector<float> scale) {
  const int64_t C = weight.shape()[1], n = static_cast<int64_t>(flat.size());
  Tensor table;
  {
    NoGradGuard off;
    table = weight.contiguous();
  }
  Tensor out = empty(out_shape, weight.dtype());
  const T* w = table.data_ptr<T>();
  T* y = out.data_ptr<T>();
  for (int64_t k = 0; k < n; ++k) std::copy_n(w + flat[k] * C, C, y + k * C);  // seek to row ids[k]
  if (!needs_grad({weight})) return out;
  record(out, "embedding", {weight}, [weight, flat = std::move(flat), scale = std::move(scale), padding, n,
                                       C](const Tensor& dout) {
    const Tensor g = dout.contiguous();
    const T* gp = g.data_ptr<T>();
    std::vector<A> dw(static_cast<size_t>(weight.shape()[0] * C), A(0));  // (V, C)
    for (int64_t k = 0; k < n; ++k) {  // in position order, on one thread: repeated ids add up in order
      if (flat[k] == padding) continue;
      const A s = scale.empty() ? A(1) : static_cast<A>(scale[k]);
      A* row = dw.data() + flat[k] * C;  // seek to dW[ids[k]]
      for (int64_t j = 0; j < C; ++j) row[j] += s * static_cast<A>(gp[k * C + j]);
    }
    Tensor dweight = empty(weight.shape(), weight.dtype());
    std::transform(dw.begin(), dw.end(), dweight.data_ptr<T>(), [](A v) { return static_cast<T>(v); });
    accumulate_grad(weight, dweight);
  });
  return out;
}

Tensor embedding(const Tensor& ids, const Tensor& weight, const EmbeddingFuncOptions& o) {
  if (!weight.defined())
    throw std::invalid_argument("embedding: weight is an undefined tensor; expected a 2-D float32 (V, C) table");
  if (!ids.defined())
    throw std::invalid_argument("embedding: ids is an undefined tensor; expected int64 or int32 token ids");
  if (weight.dim() != 2 || !weight.is_floating_point())
    throw std::invalid_argument("embedding: weight must be a 2-D float32, float64, float16 or bfloat16 (V, C) "
                                "table, got " + dtype_name(weight.dtype()) + " of shape " + shape_str(weight.shape()));
  const Dtype dt = weight.dtype();
  if (o.sparse() && dt != kFloat32)
    throw std::invalid_argument("embedding: sparse gradients are float32 only, got a " + dtype_name(dt) +
                                " weight (use sparse(false), or a float32 table)");
  const int64_t V = weight.shape()[0], C = weight.shape()[1];
  const int64_t padding = checked_padding(o.padding_idx(), V);
  if (o.max_norm() && !(*o.max_norm() > 0.0))
    throw std::invalid_argument("embedding: max_norm must be > 0, got " + std::to_string(*o.max_norm()));
  if (o.max_norm() && !(o.norm_type() > 0.0))
    throw std::invalid_argument("embedding: norm_type must be > 0, got " + std::to_string(o.norm_type()));
  std::vector<int64_t> flat = checked_ids(ids, V);

  if (o.max_norm()) {
    if (dt == kFloat64) renorm_rows<double, double>(weight, flat, *o.max_norm(), o.norm_type());
    else if (dt == kFloat16) renorm_rows<Half, float>(weight, flat, *o.max_norm(), o.norm_type());
    else if (dt == kBFloat16) renorm_rows<BFloat16, float>(weight, flat, *o.max_norm(), o.norm_type());
    else renorm_rows<float, float>(weight, flat, *o.max_norm(), o.norm_type());
  }
  if (dt != kFloat32) {
    std::vector<float> scale;  // 1/count per position, counts over the whole call (padding included)
    if (o.scale_grad_by_freq()) {
      std::unordered_map<int64_t, int64_t> count;
      for (int64_t id : flat) ++count[id];
      for (int64_t id : flat) scale.push_back(static_cast<float>(1.0 / static_cast<double>(count[id])));
    }
    Shape out_shape = ids.shape();
    out_shape.push_back(C);
    if (dt == kFloat64) return embedding_plain<double, double>(weight, out_shape, std::move(flat), padding, std::move(scale));
    if (dt == kFloat16) return embedding_plain<Half, float>(weight, out_shape, std::move(flat), padding, std::move(scale));
    return embedding_plain<BFloat16, float>(weight, out_shape, std::move(flat), padding, std::move(scale));
  }

  // out (n, C) <- rows of weight (V, C) picked by ids (n)
  Shape out_shape(ids.shape().size() + 1, C);  // ids' shape, then C
  std::copy(ids.shape().begin(), ids.shape().end(), out_shape.begin());
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
