// Tensor: a shared handle to contiguous, row-major storage plus the autograd state of that value.
// Copying a Tensor shares its storage and gradient, as torch::Tensor does. Ops live in ops.h; the tape in
// autograd.h.
//
// Every Tensor is contiguous (a design decision: kernels are plain loops over row-major memory).
// - view/reshape/unsqueeze/squeeze share storage with their source (only the shape changes);
// - permute/transpose/narrow/select/slice/split/chunk copy into fresh row-major storage, and are recorded on
//   the tape with their backward like any op; contiguous() returns the same tensor.
// A difference from PyTorch follows: an in-place write into a narrow/select/slice/permute result (x.select(0,
// 1).fill_(0)) does not reach the source tensor, whereas in PyTorch those are views. Write into the source
// instead, or use a view (view/reshape/unsqueeze/squeeze), which does share storage.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "dtype.h"

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
namespace detail {
struct TensorAccess;  // internal: core/tensor_access.h
class GradState;  // a gradient being accumulated (internal: core/grad/state.h)
}

struct TensorImpl {
  TensorImpl(std::shared_ptr<Storage> storage, Shape shape, Dtype dtype);
  ~TensorImpl();
  std::shared_ptr<Storage> storage;
  Shape shape;
  int64_t numel = 0;
  Dtype dtype = kFloat32;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;  // the op that produced this value; null for a leaf
  std::unique_ptr<detail::GradState> grad;     // a leaf's .grad(); for an interior value only during backward
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }  // the same tensor, not equal values
  TensorImpl* unsafeGetTensorImpl() const { return impl_.get(); }            // identity, as libtorch's (hashing)
  const Shape& shape() const { return impl().shape; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return impl().numel; }
  Dtype dtype() const { return impl().dtype; }

  template <class T> T* data_ptr() const {
    check_dtype(dtype_of<T>::value, "data_ptr");
    return static_cast<T*>(raw_data());
  }
  template <class T> std::vector<T> to_vector() const {
    const T* p = data_ptr<T>();
    return std::vector<T>(p, p + numel());
  }
  // The one element converted to T from whatever dtype is stored (as PyTorch's item<T>); a float that
  // does not fit an integer T (NaN, out of range) throws std::invalid_argument.
  template <class T> T item() const {
    check_single_element("item");
    switch (dtype()) {
      case kFloat32: {
        const float v = *static_cast<const float*>(raw_data());
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) check_fits_integer(v, sizeof(T));
        return static_cast<T>(v);
      }
      case kInt64: return static_cast<T>(*static_cast<const int64_t*>(raw_data()));
      case kInt32: return static_cast<T>(*static_cast<const int32_t*>(raw_data()));
      case kBool: return static_cast<T>(*static_cast<const bool*>(raw_data()));
    }
    return T();
  }
  Tensor to(Dtype dtype) const;  // a cast copy (same tensor when dtype is already this); float32 -> float32
                                 // is differentiable, casts to or from integers and bool are not

  // --- autograd (autograd.cpp) ---
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& requires_grad_(bool on = true);
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  Tensor grad() const;  // undefined until a backward reaches this leaf; dense even for sparse rows
  void backward(const Tensor& grad_out = Tensor()) const;

  // --- copies and views ---
  Tensor detach() const;               // same storage, cut from the tape
  Tensor clone() const;                // new storage, recorded on the tape
  Tensor& copy_(const Tensor& src);    // writes values in place
  Tensor view(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const { return view(shape); }  // always contiguous, so a view
  Tensor contiguous() const { return *this; }  // every Tensor already is

  // --- shape (ops/shape.cpp, ops/permute.cpp, ops/slice.cpp); negative dims count from the end ---
  Tensor unsqueeze(int64_t dim) const;             // a view with a size-1 dim inserted at dim
  Tensor squeeze(int64_t dim) const;               // a view without dim if its size is 1 (else the same shape)
  Tensor squeeze() const;                          // a view without any size-1 dim
  Tensor permute(const Shape& dims) const;         // copies: output dim i is input dim dims[i]
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;  // copies [start, start + length) of dim
  Tensor select(int64_t dim, int64_t index) const;                  // copies index of dim, dim removed
  Tensor slice(int64_t dim, int64_t start, int64_t end) const;      // copies [start, end), clamped as Python's
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;  // pieces of split_size (last smaller)
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;      // at most `chunks` pieces, as PyTorch

  // --- in place (ops/inplace.cpp): bump the version; refused on a leaf that requires grad unless under
  // NoGradGuard (as PyTorch); on an interior value they are recorded on the tape ---
  Tensor& add_(const Tensor& other);  // other broadcasts to this shape
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(float s);
  Tensor& zero_();
  Tensor& fill_(float value);

  // --- op shorthands (ops.h) ---
  Tensor sum() const;
  Tensor mean() const;
  Tensor sum(int64_t dim, bool keepdim = false) const;
  Tensor mean(int64_t dim, bool keepdim = false) const;
  Tensor var(int64_t dim, bool unbiased = true, bool keepdim = false) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor masked_fill(const Tensor& mask, float value) const;
  Tensor operator-() const;

 private:
  // The library's way in (detail::TensorAccess, internal core/tensor_access.h); not public API.
  friend struct detail::TensorAccess;
  TensorImpl* impl_ptr() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& shared_impl() const { return impl_; }
  void* raw_data() const;                                   // start of this tensor's bytes
  void bump_version() const { ++impl().storage->version; }  // after an in-place write
  TensorImpl& impl() const;
  void check_dtype(Dtype want, const char* what) const;
  void check_single_element(const char* what) const;
  static void check_fits_integer(float v, size_t bytes);
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
Tensor empty(const Shape& shape, Dtype dtype = kFloat32);  // uninitialised
Tensor zeros(const Shape& shape, Dtype dtype = kFloat32);
Tensor ones(const Shape& shape);
Tensor full(const Shape& shape, float value);
Tensor arange(int64_t n, Dtype dtype = kInt64);   // 0, 1, ..., n-1
Tensor arange(int64_t start, int64_t end);        // start, ..., end-1, int64 (empty when end <= start)
Tensor eye(int64_t n);                            // (n, n) identity, float32
Tensor zeros_like(const Tensor& t);               // same shape and dtype
Tensor ones_like(const Tensor& t);

void manual_seed(uint64_t seed);                  // seeds the one global generator
Tensor randn(const Shape& shape);                 // N(0, 1), float32
Tensor rand(const Shape& shape);                  // U[0, 1), float32
Tensor randint(int64_t low, int64_t high, const Shape& shape);  // int64 in [low, high)

// Threads used by kernels and OpenBLAS (as at::set_num_threads).
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
