// Half-precision bit patterns to float and back, and the copy of a stored tensor into float32.
#include "convert.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../../core/kernels/parallel.h"

namespace microtorch::models::checkpoint {

static float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static uint32_t to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu;
  if (exp == 0) {  // zero or subnormal: mant * 2^-24, exact in float
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return from_bits(sign | to_bits(v));
  }
  if (exp == 31) return from_bits(sign | 0x7f800000u | (mant << 13));  // inf, or NaN with its payload
  return from_bits(sign | ((exp + 112) << 23) | (mant << 13));         // rebias 15 -> 127
}

float bf16_to_f32(uint16_t b) { return from_bits(uint32_t{b} << 16); }

uint16_t f32_to_f16(float f) {
  uint32_t x = to_bits(f);
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u)  // inf, or NaN (kept quiet, the payload's top bits kept)
    return static_cast<uint16_t>(sign | 0x7c00u | (x > 0x7f800000u ? 0x200u | ((x >> 13) & 0x3ffu) : 0u));
  if (x >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // 65520 and up round to inf
  if (x < 0x38800000u) {  // below 2^-14: a subnormal half, mant = round(|f| 2^24) (1024 is the smallest normal)
    const auto m = static_cast<uint32_t>(std::nearbyint(from_bits(x) * 16777216.0f));
    return static_cast<uint16_t>(sign | m);
  }
  uint32_t h = (x >> 13) - (112u << 10);  // exponent and top 10 mantissa bits, rebiased 127 -> 15
  const uint32_t rest = x & 0x1fffu;      // the 13 bits cut off: round to nearest, ties to even
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

uint16_t f32_to_bf16(float f) {
  const uint32_t x = to_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN stays NaN
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);                  // nearest, ties to even
}

// Element i of src as float.
static inline float load(const unsigned char* src, Stored dtype, int64_t i) {
  if (dtype == Stored::kF32) {
    float f;
    std::memcpy(&f, src + 4 * i, 4);
    return f;
  }
  uint16_t u;
  std::memcpy(&u, src + 2 * i, 2);
  return dtype == Stored::kF16 ? f16_to_f32(u) : bf16_to_f32(u);
}

void copy_converted(const unsigned char* src, Stored dtype, int64_t rows, int64_t cols, bool transposed, float* dst) {
  constexpr int64_t kBlock = 16;  // dst rows per block: one 64-byte line of each src row when transposed
  kernels::parallel_for(0, (rows + kBlock - 1) / kBlock, std::max<int64_t>(1, kernels::kGrain / (kBlock * cols)),
                        [&](int64_t b0, int64_t b1) {
    const int64_t r0 = b0 * kBlock, r1 = std::min(rows, b1 * kBlock);
    if (!transposed) {  // rows [r0, r1) of a (rows, cols) source are contiguous
      if (dtype == Stored::kF32) std::memcpy(dst + r0 * cols, src + 4 * r0 * cols, static_cast<size_t>(4 * (r1 - r0) * cols));
      else for (int64_t i = r0 * cols; i < r1 * cols; ++i) dst[i] = load(src, dtype, i);
      return;
    }
    for (int64_t r = r0; r < r1; r += kBlock)  // dst[r', c] = src[c, r'] for r' in one block
      for (int64_t c = 0; c < cols; ++c)
        for (int64_t rr = r; rr < std::min(r + kBlock, r1); ++rr) dst[rr * cols + c] = load(src, dtype, c * rows + rr);
  });
}

void copy_from_file(const io::MappedFile& file, size_t offset, Stored dtype, int64_t rows, int64_t cols, bool transposed,
                    float* dst) {
  const size_t width = dtype == Stored::kF32 ? 4 : 2, row_bytes = width * static_cast<size_t>(cols);
  const int64_t run = transposed ? rows : std::max<int64_t>(1, static_cast<int64_t>((size_t{8} << 20) / row_bytes));
  for (int64_t r = 0; r < rows; r += run) {
    const int64_t n = std::min(run, rows - r);
    const size_t at = offset + static_cast<size_t>(r) * row_bytes;  // seek to row r of the source (straight copies)
    copy_converted(file.data() + at, dtype, n, cols, transposed, dst + r * cols);
    file.release(at, static_cast<size_t>(n) * row_bytes);
  }
}

}  // namespace microtorch::models::checkpoint
