// Tensor: a shared handle to contiguous, row-major storage plus the autograd state of that value.
// Copying a Tensor shares its storage and gradient, as torch::Tensor does. Every Tensor is contiguous:
// view/reshape share storage, transpose copies. Ops live in ops.h; the tape in autograd.h.
#pragma once
#include <cstdint>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
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
};
// A small storage is one allocation for the count, header and bytes; a large one keeps its bytes apart.
std::shared_ptr<Storage> make_storage(size_t nbytes);

struct Node;  // a recorded op (autograd.h)
struct Grad;  // a gradient being accumulated (grad.h)

struct TensorImpl {
  TensorImpl(std::shared_ptr<Storage> storage, Shape shape, Dtype dtype);
  ~TensorImpl();
  std::shared_ptr<Storage> storage;
  Shape shape;
  int64_t numel = 0;
  Dtype dtype = kFloat32;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;  // the op that produced this value; null for a leaf
  std::unique_ptr<Grad> grad;     // a leaf's .grad(); for an interior value only during backward
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
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
  template <class T> T item() const {
    check_single_element("item");
    return *data_ptr<T>();
  }

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

  // --- op shorthands (ops.h) ---
  Tensor sum() const;
  Tensor mean() const;
  Tensor sum(int64_t dim, bool keepdim = false) const;
  Tensor mean(int64_t dim, bool keepdim = false) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor operator-() const;

  TensorImpl* impl_ptr() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& shared_impl() const { return impl_; }
  void* raw_data() const;                            // start of this tensor's bytes
  void bump_version() const { ++impl().storage->version; }  // after an in-place write

 private:
  TensorImpl& impl() const;
  void check_dtype(Dtype want, const char* what) const;
  void check_single_element(const char* what) const;
  std::shared_ptr<TensorImpl> impl_;
};

// --- factories (tensor.cpp, random.cpp) ---
Tensor tensor(const std::vector<float>& values, const Shape& shape);
Tensor tensor(const std::vector<int64_t>& values, const Shape& shape);
Tensor tensor(const std::vector<int32_t>& values, const Shape& shape);
Tensor empty(const Shape& shape, Dtype dtype = kFloat32);  // uninitialised
Tensor zeros(const Shape& shape, Dtype dtype = kFloat32);
Tensor ones(const Shape& shape);
Tensor full(const Shape& shape, float value);
Tensor arange(int64_t n, Dtype dtype = kInt64);   // 0, 1, ..., n-1
Tensor eye(int64_t n);                            // (n, n) identity, float32
Tensor zeros_like(const Tensor& t);

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
