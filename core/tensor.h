// Tensor: a shared handle to values in a Storage plus the autograd state of those values. Copying a Tensor
// shares its storage and gradient, as torch::Tensor does. Ops live in ops.h; the tape in autograd.h.
//
// What a view is (docs/views.md tells it as a lesson): a tensor is a Storage (a flat run of elements) seen
// through a geometry: sizes, strides and an offset. Element (i0, ..., in-1) sits at storage element
//   offset + i0 * strides[0] + ... + in-1 * strides[n-1].
// A fresh tensor is contiguous: row-major strides (the last dim's stride 1, each earlier one the product of
// the sizes after it) and offset 0. view, reshape (when it can), narrow, select, slice, transpose, t, permute,
// expand (stride 0), unsqueeze, squeeze, split, chunk, unbind, diagonal, index with basic indices and detach
// return views: another geometry over the same storage, no copy. A write through a view reaches its base
// and every other view, as in PyTorch. Kernels that want row-major memory call contiguous() (a no-op when it
// already is); data_ptr<T>() points at the first element, as PyTorch's.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "arg.h"
#include "dtype.h"
#include "scalar.h"

namespace microtorch {

using Shape = std::vector<int64_t>;

// Raw bytes, 64-byte aligned. The version counts in-place writes, so autograd can refuse a backward
// that would read a value changed after it was recorded.
struct Storage {
  explicit Storage(size_t n) : nbytes(n) {}
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data = nullptr;  // set by make_storage
  size_t nbytes = 0;
  uint64_t version = 0;
  bool owns_data = false;  // the bytes are their own allocation, else they sit behind this header
  size_t block_bytes = 0;  // that allocation's size (nbytes rounded up to a size class of the cache)
};
// A small storage is one allocation for the count, header and bytes; a large one keeps its bytes apart,
// in a block from the storage cache (storage.h, storage.cpp).
std::shared_ptr<Storage> make_storage(size_t nbytes);

struct Node;  // a recorded op (autograd.h)
namespace indexing {
class TensorIndex;  // indexing.h
}
namespace detail {
struct TensorAccess;  // internal: core/tensor_access.h
class GradState;  // a gradient being accumulated (internal: core/grad/state.h)
}

struct TensorImpl {
  TensorImpl(std::shared_ptr<Storage> storage, Shape shape, Dtype dtype);  // contiguous, offset 0
  TensorImpl(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, Dtype dtype);
  ~TensorImpl();
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;            // storage elements between neighbours along each dim (0: broadcast by expand)
  int64_t offset = 0;       // storage element of index (0, ..., 0)
  int64_t numel = 0;
  bool contiguous = true;   // strides are row-major for shape (size-1 dims' strides do not matter)
  Dtype dtype = kFloat32;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;  // the op that produced this value; null for a leaf
  std::unique_ptr<detail::GradState> grad;     // a leaf's .grad(); for an interior value only during backward
  // A view's base: the tensor whose storage it shares (never itself a view), and the storage version its
  // grad_fn was made at; a write through another view of that base makes it stale (ops/views.cpp).
  std::shared_ptr<TensorImpl> base;
  uint64_t base_version = 0;
  bool differentiable = false;  // made with grad mode on: gradients may flow between it and its base
  bool wrapped_number = false;  // a Scalar made a zero-dim tensor (type promotion ranks it last)
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }  // the same tensor, not equal values
  TensorImpl* unsafeGetTensorImpl() const { return impl_.get(); }            // identity, as libtorch's (hashing)
  const Shape& shape() const { return impl().shape; }
  const Shape& sizes() const { return impl().shape; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return impl().numel; }
  Dtype dtype() const { return impl().dtype; }
  bool is_floating_point() const { return microtorch::is_floating_point(dtype()); }
  size_t element_size() const { return microtorch::element_size(dtype()); }

  // --- geometry (ops/views.cpp) ---
  const Shape& strides() const { return impl().strides; }
  int64_t stride(int64_t d) const;          // negative d counts from the end
  int64_t storage_offset() const { return impl().offset; }
  bool is_contiguous() const { return impl().contiguous; }
  Tensor contiguous() const;                // this tensor when contiguous, else a row-major copy (recorded)
  bool is_view() const { return impl().base != nullptr; }
  Tensor _base() const;                     // the tensor a view shares storage with; undefined otherwise

  template <class T> T* data_ptr() const {
    check_dtype(dtype_of<T>::value, "data_ptr");
    return static_cast<T*>(raw_data());
  }
  template <class T> std::vector<T> to_vector() const {  // the values in row-major order
    const Tensor c = contiguous();
    const T* p = c.data_ptr<T>();
    return std::vector<T>(p, p + numel());
  }
  // The one element converted to T from whatever dtype is stored (as PyTorch's item<T>); a value that an
  // integer T cannot hold (NaN, inf, out of T's range, as int64 2^40 for int32_t) throws std::invalid_argument,
  // as libtorch's checked conversion does.
  template <class T> T item() const {
    check_single_element("item");
    switch (dtype()) {
      case kFloat32: return float_item<T>(*static_cast<const float*>(raw_data()));
      case kFloat64: return float_item<T>(*static_cast<const double*>(raw_data()));
      case kFloat16: return float_item<T>(static_cast<float>(*static_cast<const Half*>(raw_data())));
      case kBFloat16: return float_item<T>(static_cast<float>(*static_cast<const BFloat16*>(raw_data())));
      case kInt64: return checked_item<T>(*static_cast<const int64_t*>(raw_data()));
      case kInt32: return checked_item<T>(*static_cast<const int32_t*>(raw_data()));
      case kBool: return static_cast<T>(*static_cast<const bool*>(raw_data()));
    }
    return T();
  }
  Tensor to(Dtype dtype) const;  // a cast copy (this tensor when dtype is already this); casts between float
                                 // dtypes are differentiable, casts to or from integers and bool are not
  Tensor to(const Tensor& other) const;  // to(other.dtype())
  Tensor half() const;                   // to(kFloat16)
  Tensor bfloat16() const;               // to(kBFloat16)

  // --- autograd (autograd.cpp) ---
  bool requires_grad() const;
  Tensor& requires_grad_(bool on = true);
  bool is_leaf() const;
  Tensor grad() const;  // undefined until a backward reaches this leaf; dense even for sparse rows
  void backward(const Tensor& grad_out = Tensor()) const;

  // --- copies and views (ops/views.cpp, ops/view_ops.cpp); negative dims count from the end ---
  Tensor detach() const;               // a tensor over the same storage, cut from the tape (not a view for autograd)
  Tensor clone() const;                // new storage, recorded on the tape
  Tensor& copy_(const Tensor& src);    // writes src (broadcast, cast to this dtype) in place; recorded
  Tensor view(const Shape& shape) const;     // a view; throws when the strides cannot express it (use reshape)
  Tensor reshape(const Shape& shape) const;  // a view when the strides allow it, else a contiguous copy
  Tensor unsqueeze(int64_t dim) const;             // a view with a size-1 dim inserted at dim
  Tensor squeeze(int64_t dim) const;               // a view without dim if its size is 1 (else the same shape)
  Tensor squeeze() const;                          // a view without any size-1 dim
  Tensor permute(const Shape& dims) const;         // a view: output dim i is input dim dims[i]
  Tensor transpose(int64_t dim0, int64_t dim1) const;  // a view with two dims swapped
  Tensor t() const;                                // transpose(0, 1) of a 2-D tensor (a 0-d or 1-d one as it is)
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;  // a view of [start, start + length) of dim
  Tensor select(int64_t dim, int64_t index) const;                  // a view of index of dim, dim removed
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;  // clamped as Python's
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;  // views of split_size (last smaller)
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;      // at most `chunks` views (exactly
                                                                         // `chunks` for a size-0 dim), as PyTorch
  std::vector<Tensor> unbind(int64_t dim = 0) const;                     // every index of dim, each a view
  Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;  // a view, as a last dim
  Tensor expand(const Shape& sizes) const;         // a view: size-1 dims repeated with stride 0; -1 keeps a size
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }

  // --- in place (ops/inplace.cpp): each bumps the version; refused on a leaf that requires grad, or a view
  // of one, unless under NoGradGuard (as PyTorch); on an interior value (or a view of one) recorded ---
  Tensor& add_(const Tensor& other);  // other broadcasts to this shape
  Tensor& sub_(const Tensor& other);
  Tensor& mul_(const Tensor& other);
  Tensor& div_(const Tensor& other);
  Tensor& add_(const Scalar& s);  // a number: computed in this tensor's dtype
  Tensor& sub_(const Scalar& s);
  Tensor& mul_(const Scalar& s);
  Tensor& div_(const Scalar& s);
  Tensor& operator+=(const Tensor& other);
  Tensor& operator-=(const Tensor& other);
  Tensor& operator*=(const Tensor& other);
  Tensor& operator/=(const Tensor& other);
  Tensor& operator+=(const Scalar& s);
  Tensor& operator-=(const Scalar& s);
  Tensor& operator*=(const Scalar& s);
  Tensor& operator/=(const Scalar& s);
  Tensor& zero_();
  Tensor& fill_(const Scalar& value);                            // cast to this dtype
  Tensor& masked_fill_(const Tensor& mask, const Scalar& value);  // mask bool, broadcast to this shape

  // --- indexing (indexing.h, ops/indexing.cpp, ops/index.cpp); negative dims count from the end ---
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;  // x[...]: views for basic indices,
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;     // a copy for index tensors
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& values);  // x[...] = v
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& values);
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Scalar& value);
  Tensor operator[](int64_t i) const;             // select(0, i)
  Tensor operator[](const Tensor& index) const;   // index({index})
  Tensor index_select(int64_t dim, const Tensor& index) const;  // slices at a 1-D int index (copies)
  Tensor gather(int64_t dim, const Tensor& index) const;        // y[i] = x[i with dim -> index[i]]
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;      // x with src written at index
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;  // x with src added at index
  Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor& scatter_add_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor index_add(int64_t dim, const Tensor& index, const Tensor& src) const;    // src's slices added at index
  Tensor& index_add_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor masked_select(const Tensor& mask) const;               // 1-D: the elements where mask (broadcast)

  // --- op shorthands (ops.h) ---
  Tensor sum() const;
  Tensor mean() const;
  Tensor sum(int64_t dim, bool keepdim = false) const;
  Tensor mean(int64_t dim, bool keepdim = false) const;
  Tensor var(int64_t dim, bool unbiased = true, bool keepdim = false) const;
  Tensor masked_fill(const Tensor& mask, const Scalar& value) const;
  Tensor operator-() const;

  // --- every functional op of ops.h also as a member, as libtorch (ops/members.cpp forwards to ops.h) ---
  Tensor add(const Tensor& other) const;
  Tensor sub(const Tensor& other) const;
  Tensor mul(const Tensor& other) const;
  Tensor div(const Tensor& other) const;
  Tensor neg() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor abs() const;
  Tensor pow(double exponent) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;
  Tensor eq(const Tensor& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor le(const Tensor& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor tril(int64_t k = 0) const;
  Tensor triu(int64_t k = 0) const;
  Tensor where(const Tensor& condition, const Tensor& other) const;  // this where condition, else other
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor argmin(int64_t dim, bool keepdim = false) const;
  Tensor max() const;                                                   // over all elements, 0-d
  Tensor min() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;  // (values, indices)
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> topk(int64_t k, int64_t dim = -1) const;
  std::tuple<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false) const;
  Tensor argsort(int64_t dim = -1, bool descending = false) const;
  Tensor cumsum(int64_t dim) const;
  Tensor clamp(const std::optional<Scalar>& min, const std::optional<Scalar>& max = std::nullopt) const;
  Tensor clamp_min(const Scalar& min) const;
  Tensor clamp_max(const Scalar& max) const;
  Tensor norm(double p = 2) const;
  Tensor norm(double p, int64_t dim, bool keepdim = false) const;
  Tensor var() const;  // over all elements, unbiased
  Tensor std() const;
  Tensor std(int64_t dim, bool unbiased = true, bool keepdim = false) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor repeat(const Shape& repeats) const;
  bool allclose(const Tensor& other, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) const;
  bool equal(const Tensor& other) const;

 private:
  // The library's way in (detail::TensorAccess, internal core/tensor_access.h); not public API.
  friend struct detail::TensorAccess;
  TensorImpl* impl_ptr() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& shared_impl() const { return impl_; }
  void* raw_data() const;                                   // this tensor's first element
  void bump_version() const { ++impl().storage->version; }  // after an in-place write
  TensorImpl& impl() const;
  void check_dtype(Dtype want, const char* what) const;
  void check_single_element(const char* what) const;
  // item<T>'s range checks: T's range is [lo, hi]; the thrown message names the value and the range.
  template <class T> static int64_t lowest_of() {
    return std::is_signed_v<T> ? static_cast<int64_t>(std::numeric_limits<T>::min()) : 0;
  }
  template <class T> static uint64_t highest_of() { return static_cast<uint64_t>(std::numeric_limits<T>::max()); }
  static void check_item_fits(double v, int64_t lo, uint64_t hi);
  static void check_item_fits(int64_t v, int64_t lo, uint64_t hi);
  template <class T, class F> static T float_item(F v) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
      check_item_fits(static_cast<double>(v), lowest_of<T>(), highest_of<T>());
    if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return T(static_cast<float>(v));
    else return static_cast<T>(v);
  }
  template <class T> static T checked_item(int64_t v) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) check_item_fits(v, lowest_of<T>(), highest_of<T>());
    return static_cast<T>(v);
  }
  std::shared_ptr<TensorImpl> impl_;
};

// --- factories (tensor.cpp, random.cpp) ---
Tensor tensor(const std::vector<float>& values, const Shape& shape);
Tensor tensor(const std::vector<int64_t>& values, const Shape& shape);
Tensor tensor(const std::vector<int32_t>& values, const Shape& shape);
// Braced lists, as torch::tensor: float or double values give float32, int or int64_t values int64. Without
// a shape the list is 1-D. mt::tensor({1.f, 2.f}, {2}) picks the float overload unambiguously.
Tensor tensor(std::initializer_list<float> values, const Shape& shape);
Tensor tensor(std::initializer_list<double> values, const Shape& shape);
Tensor tensor(std::initializer_list<int> values, const Shape& shape);
Tensor tensor(std::initializer_list<int64_t> values, const Shape& shape);
Tensor tensor(std::initializer_list<float> values);
Tensor tensor(std::initializer_list<double> values);
Tensor tensor(std::initializer_list<int> values);
Tensor tensor(std::initializer_list<int64_t> values);
// Factory options, as libtorch's TensorOptions: mt::zeros({2, 3}, mt::TensorOptions().dtype(mt::kFloat64)
// .requires_grad(true)); a Dtype converts to one.
struct TensorOptions {
  TensorOptions() = default;
  TensorOptions(Dtype d) : dtype_(d) {}  // NOLINT: implicit, as libtorch's
  /// The element type.
  MICROTORCH_ARG(Dtype, dtype) = kFloat32;
  /// The result is a leaf that requires grad (a floating dtype only).
  MICROTORCH_ARG(bool, requires_grad) = false;
};

Tensor empty(const Shape& shape, Dtype dtype = kFloat32);  // uninitialised, row-major
// Uninitialised, with the given strides (in elements; storage for the largest offset they reach).
Tensor empty_strided(const Shape& shape, const Shape& strides, Dtype dtype = kFloat32);
Tensor empty_like(const Tensor& t);  // t's shape and dtype; t's layout when t is dense, as PyTorch
Tensor zeros(const Shape& shape, Dtype dtype = kFloat32);
Tensor ones(const Shape& shape);
Tensor full(const Shape& shape, float value);     // float32
Tensor full(const Shape& shape, const Scalar& value, Dtype dtype);
Tensor empty(const Shape& shape, const TensorOptions& options);
Tensor zeros(const Shape& shape, const TensorOptions& options);
Tensor ones(const Shape& shape, const TensorOptions& options);
Tensor full(const Shape& shape, const Scalar& value, const TensorOptions& options);
Tensor tensor(const std::vector<double>& values, const Shape& shape);   // float64
Tensor arange(int64_t n, Dtype dtype = kInt64);   // 0, 1, ..., n-1
// start, start + step, ... below end (above it for a negative step): ceil((end - start) / step) values, as
// PyTorch; int64 when every bound is an integer, else float32 (or the options' dtype). std::invalid_argument for
// a zero step, a step of the wrong sign, or a non-finite bound.
Tensor arange(const Scalar& start, const Scalar& end);  // step 1 (empty when end <= start)
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step);
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& options);
// steps evenly spaced values from start to end, both included (float32 unless the options say); steps >= 0.
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, const TensorOptions& options = {});
Tensor eye(int64_t n);                            // (n, n) identity, float32
Tensor zeros_like(const Tensor& t);               // same shape and dtype
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, const Scalar& value);  // value cast to t's dtype
Tensor rand_like(const Tensor& t);                // t's shape and floating dtype, from the seeded generator
Tensor randn_like(const Tensor& t);
Tensor randperm(int64_t n, const TensorOptions& options = TensorOptions(kInt64));  // 0..n-1 shuffled (seeded)

void manual_seed(uint64_t seed);                  // seeds the one global generator
Tensor randn(const Shape& shape);                 // N(0, 1), float32
Tensor rand(const Shape& shape);                  // U[0, 1), float32
Tensor randn(const Shape& shape, const TensorOptions& options);  // drawn in double, then cast to the dtype
Tensor rand(const Shape& shape, const TensorOptions& options);
Tensor randint(int64_t low, int64_t high, const Shape& shape);  // int64 in [low, high)

// Threads used by kernels and OpenBLAS (as at::set_num_threads). std::runtime_error when the threads cannot
// be started (a process limit); the count is then unchanged.
void set_num_threads(int n);
int get_num_threads();

std::string shape_str(const Shape& shape);        // "[2, 3]"
// Element count; std::invalid_argument naming the shape for a negative dimension or a count (of the
// non-zero dimensions) that overflows int64.
int64_t shape_numel(const Shape& shape);
// numel * element size, checked the same way: the byte count every allocation is made from.
int64_t storage_nbytes(const Shape& shape, Dtype dtype);
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace microtorch
