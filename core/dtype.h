// Element types a Tensor can hold: float32 for values, int64 and int32 for token ids, bool for masks
// (comparisons return it; one byte per element, 0 or 1).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace microtorch {

enum class Dtype { Float32, Int64, Int32, Bool };
constexpr Dtype kFloat32 = Dtype::Float32;
constexpr Dtype kInt64 = Dtype::Int64;
constexpr Dtype kInt32 = Dtype::Int32;
constexpr Dtype kBool = Dtype::Bool;

inline size_t element_size(Dtype d) { return d == kInt64 ? 8 : d == kBool ? 1 : 4; }

inline std::string dtype_name(Dtype d) {
  switch (d) {
    case kFloat32: return "float32";
    case kInt64: return "int64";
    case kInt32: return "int32";
    case kBool: return "bool";
  }
  return "unknown";
}

// The Dtype of a C++ element type; only float, int64_t, int32_t and bool have one.
template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr Dtype value = kFloat32; };
template <> struct dtype_of<int64_t> { static constexpr Dtype value = kInt64; };
template <> struct dtype_of<int32_t> { static constexpr Dtype value = kInt32; };
template <> struct dtype_of<bool> { static constexpr Dtype value = kBool; };

}  // namespace microtorch
