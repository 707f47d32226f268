// Element types a Tensor can hold, as PyTorch's: float32 (the default), float64, float16 and bfloat16 for
// values; int64 and int32 for token ids; bool for masks (one byte per element, 0 or 1). float16 and bfloat16
// are stored as 16 bits and computed in float32 inside each kernel (as PyTorch's CPU kernels do); a float32
// result is rounded to them to nearest, ties to even. Type promotion (which dtype `a + b` has) is PyTorch's:
// promote_types and result_type below.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace microtorch {

enum class Dtype { Float32, Int64, Int32, Bool, Float64, Float16, BFloat16 };
constexpr Dtype kFloat32 = Dtype::Float32;
constexpr Dtype kFloat = Dtype::Float32;
constexpr Dtype kFloat64 = Dtype::Float64;
constexpr Dtype kDouble = Dtype::Float64;
constexpr Dtype kFloat16 = Dtype::Float16;
constexpr Dtype kHalf = Dtype::Float16;
constexpr Dtype kBFloat16 = Dtype::BFloat16;
constexpr Dtype kInt64 = Dtype::Int64;
constexpr Dtype kLong = Dtype::Int64;
constexpr Dtype kInt32 = Dtype::Int32;
constexpr Dtype kInt = Dtype::Int32;
constexpr Dtype kBool = Dtype::Bool;

// IEEE binary16: 1 sign, 5 exponent, 10 mantissa bits (as at::Half).
struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float f) : bits(from_float(f)) {}  // rounds to nearest, ties to even
  operator float() const { return to_float(bits); }
  static uint16_t from_float(float f);
  static float to_float(uint16_t h);
};

// bfloat16: float32's upper 16 bits (1 sign, 8 exponent, 7 mantissa), as at::BFloat16.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float f) : bits(from_float(f)) {}  // rounds to nearest, ties to even
  operator float() const { return to_float(bits); }
  static uint16_t from_float(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // any NaN: the quiet NaN, as c10's
    u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even on the 16 bits dropped
    return static_cast<uint16_t>(u >> 16);
  }
  static float to_float(uint16_t b) {
    const uint32_t u = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

inline uint16_t Half::from_float(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t sign = (u >> 16) & 0x8000u;
  u &= 0x7fffffffu;
  if (u > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);  // NaN
  if (u >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past 65504: inf
  if (u < 0x38800000u) {  // below 2^-14: a subnormal half (or 0), counted in units of 2^-24
    if (u < 0x33000000u) return static_cast<uint16_t>(sign);  // at most 2^-25: rounds to 0
    const uint32_t mant = (u & 0x7fffffu) | 0x800000u, shift = 126u - (u >> 23);  // value = mant * 2^-(shift+24-14)
    const uint32_t q = mant >> shift, rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    return static_cast<uint16_t>(sign | (q + (rem > half || (rem == half && (q & 1u)))));
  }
  const uint32_t e = (u >> 23) - 112u, q = (e << 10) | ((u >> 13) & 0x3ffu), rem = u & 0x1fffu;
  return static_cast<uint16_t>(sign | (q + (rem > 0x1000u || (rem == 0x1000u && (q & 1u)))));
}

inline float Half::to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  uint32_t u;
  if (exp == 0x1fu) {
    u = sign | 0x7f800000u | (mant << 13);  // inf, NaN
  } else if (exp != 0) {
    u = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    u = sign;
  } else {  // subnormal: mant * 2^-24, made normal for float32
    int e = 0;
    uint32_t m = mant;
    while (!(m & 0x400u)) {
      m <<= 1;
      --e;
    }
    u = sign | (static_cast<uint32_t>(e + 113) << 23) | ((m & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline size_t element_size(Dtype d) {
  switch (d) {
    case kInt64: case kFloat64: return 8;
    case kFloat32: case kInt32: return 4;
    case kFloat16: case kBFloat16: return 2;
    case kBool: return 1;
  }
  return 1;
}

inline std::string dtype_name(Dtype d) {
  switch (d) {
    case kFloat32: return "float32";
    case kFloat64: return "float64";
    case kFloat16: return "float16";
    case kBFloat16: return "bfloat16";
    case kInt64: return "int64";
    case kInt32: return "int32";
    case kBool: return "bool";
  }
  return "unknown";
}

inline bool is_floating_point(Dtype d) { return d == kFloat32 || d == kFloat64 || d == kFloat16 || d == kBFloat16; }
inline bool is_integral(Dtype d, bool include_bool = false) {
  return d == kInt64 || d == kInt32 || (include_bool && d == kBool);
}

// PyTorch's promote_types: the smallest dtype both a and b convert to without losing their kind. bool < int32 <
// int64 < the floats; float16 with bfloat16 is float32; an integer with a float is that float.
inline Dtype promote_types(Dtype a, Dtype b) {
  if (a == b) return a;
  if (a == kBool) return b;
  if (b == kBool) return a;
  const bool fa = is_floating_point(a), fb = is_floating_point(b);
  if (fa && !fb) return a;
  if (fb && !fa) return b;
  if (!fa) return a == kInt64 || b == kInt64 ? kInt64 : kInt32;  // int32 with int64
  if (a == kFloat64 || b == kFloat64) return kFloat64;
  return kFloat32;  // float32 with a 16-bit float, or float16 with bfloat16
}

// The C++ element type of each Dtype, both ways.
template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr Dtype value = kFloat32; };
template <> struct dtype_of<double> { static constexpr Dtype value = kFloat64; };
template <> struct dtype_of<Half> { static constexpr Dtype value = kFloat16; };
template <> struct dtype_of<BFloat16> { static constexpr Dtype value = kBFloat16; };
template <> struct dtype_of<int64_t> { static constexpr Dtype value = kInt64; };
template <> struct dtype_of<int32_t> { static constexpr Dtype value = kInt32; };
template <> struct dtype_of<bool> { static constexpr Dtype value = kBool; };

}  // namespace microtorch
