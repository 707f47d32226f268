// Storage, the Tensor handle's accessors, factories and printing. Ops and autograd live elsewhere.
#include "tensor.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "autograd.h"
#include "grad_state.h"

namespace microtorch {

// Hands allocate_shared blocks `extra` bytes longer than it asks for, so the storage's bytes fit behind
// the control block and the Storage in it: one heap allocation per storage, not two. A plain allocation
// (aligned ones cost glibc a memalign split each time); make_storage aligns the bytes inside the slack.
template <class T> struct TailAllocator {
  using value_type = T;
  size_t extra;
  explicit TailAllocator(size_t e) : extra(e) {}
  template <class U> TailAllocator(const TailAllocator<U>& o) : extra(o.extra) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T) + extra)); }
  void deallocate(T* p, size_t) { ::operator delete(p); }
  template <class U> bool operator==(const TailAllocator<U>& o) const { return extra == o.extra; }
  template <class U> bool operator!=(const TailAllocator<U>& o) const { return extra != o.extra; }
};

// Up to this size the bytes share the header's allocation. Large ones get their own: glibc then trims
// and regrows its heap around them differently, which made a GPT-2-scale embedding step ~2x slower.
static constexpr size_t kInlineBytes = 64 << 10;

std::shared_ptr<Storage> make_storage(size_t n) {
  if (n > kInlineBytes) {
    auto s = std::make_shared<Storage>(n);
    s->data = ::operator new(n, std::align_val_t(64));
    s->owns_data = true;
    return s;
  }
  // room for the bytes (at least 64, so even an empty tensor has a valid pointer) and for aligning them
  const size_t extra = std::max<size_t>(n, 64) + 63;
  auto s = std::allocate_shared<Storage>(TailAllocator<Storage>(extra), n);
  // the bytes start at the first 64-byte boundary past the Storage, which lies inside the block
  const auto end = reinterpret_cast<uintptr_t>(s.get() + 1);
  s->data = reinterpret_cast<void*>((end + 63) & ~uintptr_t{63});
  return s;
}

Storage::~Storage() {
  if (owns_data) ::operator delete(data, std::align_val_t(64));
}

TensorImpl::TensorImpl(std::shared_ptr<Storage> s, Shape sh, Dtype dt)
    : storage(std::move(s)), shape(std::move(sh)), numel(shape_numel(shape)), dtype(dt) {}
TensorImpl::~TensorImpl() = default;

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("shape " + shape_str(shape) + " has a negative dimension");
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

TensorImpl& Tensor::impl() const {
  if (!impl_) throw std::runtime_error("this Tensor is undefined (default-constructed or an absent gradient)");
  return *impl_;
}
void* Tensor::raw_data() const { return impl().storage->data; }

int64_t Tensor::size(int64_t d) const {
  int64_t n = dim();
  if (d < -n || d >= n)
    throw std::invalid_argument("size: dim " + std::to_string(d) + " is out of range for shape " + shape_str(shape()));
  return shape()[d < 0 ? d + n : d];
}

void Tensor::check_dtype(Dtype want, const char* what) const {
  if (dtype() != want)
    throw std::invalid_argument(std::string(what) + ": the tensor holds " + dtype_name(dtype()) + ", asked for " +
                                dtype_name(want));
}
void Tensor::check_single_element(const char* what) const {
  if (numel() != 1)
    throw std::invalid_argument(std::string(what) + ": expected a one-element tensor, got shape " + shape_str(shape()) +
                                " with " + std::to_string(numel()) + " elements");
}

Tensor empty(const Shape& shape, Dtype dtype) {
  int64_t n = shape_numel(shape);
  auto storage = make_storage(static_cast<size_t>(n) * element_size(dtype));
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), shape, dtype));
}

template <class T> static Tensor from_values(const std::vector<T>& values, const Shape& shape) {
  if (shape_numel(shape) != static_cast<int64_t>(values.size()))
    throw std::invalid_argument("tensor: " + std::to_string(values.size()) + " values do not fill shape " +
                                shape_str(shape) + " (" + std::to_string(shape_numel(shape)) + " elements)");
  Tensor t = empty(shape, dtype_of<T>::value);
  std::copy(values.begin(), values.end(), t.data_ptr<T>());
  return t;
}
Tensor tensor(const std::vector<float>& v, const Shape& s) { return from_values(v, s); }
Tensor tensor(const std::vector<int64_t>& v, const Shape& s) { return from_values(v, s); }
Tensor tensor(const std::vector<int32_t>& v, const Shape& s) { return from_values(v, s); }

Tensor zeros(const Shape& shape, Dtype dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.raw_data(), 0, static_cast<size_t>(t.numel()) * element_size(dtype));
  return t;
}
Tensor full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  std::fill_n(t.data_ptr<float>(), t.numel(), value);
  return t;
}
Tensor ones(const Shape& shape) { return full(shape, 1.0f); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }

Tensor arange(int64_t n, Dtype dtype) {
  Tensor t = empty({n}, dtype);
  for (int64_t i = 0; i < n; ++i) {
    if (dtype == kFloat32) t.data_ptr<float>()[i] = static_cast<float>(i);
    else if (dtype == kInt64) t.data_ptr<int64_t>()[i] = i;
    else t.data_ptr<int32_t>()[i] = static_cast<int32_t>(i);
  }
  return t;
}
Tensor eye(int64_t n) {
  Tensor t = zeros({n, n});
  for (int64_t i = 0; i < n; ++i) t.data_ptr<float>()[i * n + i] = 1.0f;
  return t;
}

Tensor Tensor::detach() const {
  auto out = std::make_shared<TensorImpl>(impl().storage, shape(), dtype());
  return Tensor(std::move(out));
}

Tensor& Tensor::copy_(const Tensor& src) {
  if (src.shape() != shape())
    throw std::invalid_argument("copy_: source shape " + shape_str(src.shape()) + " does not match destination shape " +
                                shape_str(shape()));
  if (src.dtype() != dtype())
    throw std::invalid_argument("copy_: source dtype " + dtype_name(src.dtype()) + " does not match destination dtype " +
                                dtype_name(dtype()));
  if (GradMode::is_enabled() && requires_grad() && is_leaf())
    throw std::runtime_error("copy_: a leaf tensor that requires grad is being written in place; "
                             "wrap the write in NoGradGuard (as torch.no_grad())");
  if (GradMode::is_enabled() && src.requires_grad())
    throw std::runtime_error("copy_: the source requires grad and copy_ is not recorded on the tape; "
                             "use detach() or NoGradGuard");
  std::memmove(raw_data(), src.raw_data(), static_cast<size_t>(numel()) * element_size(dtype()));
  bump_version();
  return *this;
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "Tensor(undefined)";
  os << "Tensor(" << dtype_name(t.dtype()) << ", shape " << shape_str(t.shape()) << ") [";
  int64_t shown = std::min<int64_t>(t.numel(), 12);
  for (int64_t i = 0; i < shown; ++i) {
    os << (i ? ", " : "");
    if (t.dtype() == kFloat32) os << t.data_ptr<float>()[i];
    else if (t.dtype() == kInt64) os << t.data_ptr<int64_t>()[i];
    else if (t.dtype() == kBool) os << (t.data_ptr<bool>()[i] ? "true" : "false");
    else os << t.data_ptr<int32_t>()[i];
  }
  return os << (t.numel() > shown ? ", ...]" : "]");
}

}  // namespace microtorch
