// Storage, the Tensor handle's accessors, factories and printing. Ops and autograd live elsewhere.
#include "tensor.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>

#include <sys/sysinfo.h>

#include "autograd.h"
#include "grad/state.h"
#include "ops/tensor_access.h"

namespace microtorch {

// Every dimension is >= 0 and the product of the non-zero ones fits in int64, so any partial product a
// kernel forms (rows, strides, offsets) fits too, even for a tensor with a zero dimension.
int64_t shape_numel(const Shape& shape) {
  int64_t n = 1, nonzero = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("shape " + shape_str(shape) + " has a negative dimension");
    if (d != 0 && __builtin_mul_overflow(nonzero, d, &nonzero))
      throw std::invalid_argument("shape " + shape_str(shape) + " is too large: its element count overflows int64");
    n = d == 0 ? 0 : n * d;
  }
  return n;
}

int64_t storage_nbytes(const Shape& shape, Dtype dtype) {
  int64_t bytes = 0;
  if (__builtin_mul_overflow(shape_numel(shape), static_cast<int64_t>(element_size(dtype)), &bytes))
    throw std::invalid_argument("shape " + shape_str(shape) + " is too large: " + std::to_string(shape_numel(shape)) +
                                " " + dtype_name(dtype) + " elements overflow an int64 byte count");
  return bytes;
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
void* Tensor::raw_data() const {
  const TensorImpl& t = impl();
  return static_cast<char*>(t.storage->data) + t.offset * static_cast<int64_t>(microtorch::element_size(t.dtype));
}

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

// The machine's RAM plus swap: Linux's default overcommit refuses a single allocation larger than that,
// and under AddressSanitizer a failed `new` aborts instead of throwing, so such a size is refused here.
static uint64_t memory_limit_bytes() {
  struct sysinfo info {};
  if (::sysinfo(&info) != 0) return std::numeric_limits<uint64_t>::max();
  return (uint64_t{info.totalram} + uint64_t{info.totalswap}) * info.mem_unit;
}

[[noreturn]] static void out_of_memory(const Shape& shape, Dtype dtype, int64_t bytes, const std::string& why) {
  throw std::runtime_error("empty: cannot allocate " + std::to_string(bytes) + " bytes (" + std::to_string(bytes >> 20) +
                           " MiB) for a " + dtype_name(dtype) + " tensor of shape " + shape_str(shape) + ": " + why);
}

Tensor empty(const Shape& shape, Dtype dtype) {
  const int64_t bytes = storage_nbytes(shape, dtype);  // invalid_argument for an impossible shape
  if (bytes > (int64_t{1} << 30)) {  // only large requests pay for the system call
    const uint64_t limit = memory_limit_bytes();
    if (static_cast<uint64_t>(bytes) > limit)
      out_of_memory(shape, dtype, bytes, "more than this machine's memory (" + std::to_string(limit >> 20) + " MiB)");
  }
  std::shared_ptr<Storage> storage;
  try {
    storage = make_storage(static_cast<size_t>(bytes));
  } catch (const std::bad_alloc&) {
    out_of_memory(shape, dtype, bytes, "out of memory");
  }
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
  std::memset(detail::raw_data(t), 0, static_cast<size_t>(t.numel()) * element_size(dtype));
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

}  // namespace microtorch
