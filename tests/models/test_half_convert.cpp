// The loaders' half-precision conversions (models/checkpoint/convert.cpp): every float16 and bfloat16 bit
// pattern against its value worked out by ldexp, the way back rounding to nearest even, and the transposing
// copy against a plain double loop.
#include <catch2/catch.hpp>
#include <microtorch/models/checkpoint/convert.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace {

namespace ck = microtorch::models::checkpoint;

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// The value of a binary16 pattern from its definition: (-1)^s 2^(e-15) (1 + m/1024), subnormals 2^-14 m/1024.
double f16_value(uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  const double mag = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(1024 + m, e - 25);
  return s ? -mag : mag;
}

}  // namespace

TEST_CASE("float16 to float32: every bit pattern exactly, and back to the same pattern", "[gpt2][half]") {
  for (uint32_t u = 0; u < 65536; ++u) {
    const auto h = static_cast<uint16_t>(u);
    const float f = ck::f16_to_f32(h);
    const double want = f16_value(h);
    INFO("pattern " << u);
    if (std::isnan(want)) {
      REQUIRE(std::isnan(f));
      REQUIRE(std::isnan(ck::f16_to_f32(ck::f32_to_f16(f))));
      continue;
    }
    REQUIRE(static_cast<double>(f) == want);
    REQUIRE(std::signbit(f) == ((h >> 15) != 0));  // -0 stays -0
    REQUIRE(ck::f32_to_f16(f) == h);
  }
}

TEST_CASE("bfloat16 to float32: every bit pattern is the float's top half, and back", "[gpt2][half]") {
  for (uint32_t u = 0; u < 65536; ++u) {
    const auto b = static_cast<uint16_t>(u);
    const float f = ck::bf16_to_f32(b);
    REQUIRE(bits(f) == u << 16);
    if (!std::isnan(f)) REQUIRE(ck::f32_to_bf16(f) == b);
    else REQUIRE(std::isnan(ck::bf16_to_f32(ck::f32_to_bf16(f))));
  }
}

TEST_CASE("float32 to float16 rounds to nearest, ties to even, as PyTorch's .half()", "[gpt2][half]") {
  CHECK(ck::f32_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);      // a tie: down to the even 1.0
  CHECK(ck::f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);  // a tie: up to the even 1 + 2^-9
  CHECK(ck::f32_to_f16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)) == 0x3c01);  // past the tie
  CHECK(ck::f32_to_f16(65504.0f) == 0x7bff);
  CHECK(ck::f32_to_f16(65519.0f) == 0x7bff);
  CHECK(ck::f32_to_f16(65520.0f) == 0x7c00);  // rounds up to inf
  CHECK(ck::f32_to_f16(-1e10f) == 0xfc00);
  CHECK(ck::f32_to_f16(std::ldexp(1.0f, -24)) == 0x0001);      // the smallest subnormal
  CHECK(ck::f32_to_f16(std::ldexp(1.0f, -25)) == 0x0000);      // half of it: a tie, to even (0)
  CHECK(ck::f32_to_f16(3 * std::ldexp(1.0f, -26)) == 0x0001);  // 0.75 of it
  CHECK(ck::f32_to_f16(std::ldexp(1023.5f, -24)) == 0x0400);   // rounds up into the smallest normal
  CHECK(ck::f32_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);       // a tie: to even
  CHECK(ck::f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3f82);
}

TEST_CASE("copy_converted: straight and transposed, from F32, F16 and BF16", "[gpt2][half]") {
  const int64_t rows = 37, cols = 21;  // dst (rows, cols); partial blocks of 16 rows
  std::vector<float> values(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i))) * 8.0f;
  for (bool transposed : {false, true})
    for (ck::Stored dtype : {ck::Stored::kF32, ck::Stored::kF16, ck::Stored::kBF16}) {
      INFO("transposed " << transposed << " dtype " << static_cast<int>(dtype));
      // the stored bytes: values laid out (rows, cols), or (cols, rows) when transposed, in the dtype
      const size_t width = dtype == ck::Stored::kF32 ? 4 : 2;
      std::vector<unsigned char> src(values.size() * width);
      std::vector<float> want(values.size());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          const float v = values[static_cast<size_t>(r * cols + c)];
          const size_t at = static_cast<size_t>(transposed ? c * rows + r : r * cols + c);
          float stored = v;
          if (dtype == ck::Stored::kF32) std::memcpy(&src[at * 4], &v, 4);
          else {
            const uint16_t h = dtype == ck::Stored::kF16 ? ck::f32_to_f16(v) : ck::f32_to_bf16(v);
            std::memcpy(&src[at * 2], &h, 2);
            stored = dtype == ck::Stored::kF16 ? ck::f16_to_f32(h) : ck::bf16_to_f32(h);
          }
          want[static_cast<size_t>(r * cols + c)] = stored;
        }
      std::vector<float> got(values.size(), -1.0f);
      ck::copy_converted(src.data(), dtype, rows, cols, transposed, got.data());
      CHECK(got == want);
    }
}
