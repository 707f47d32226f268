// Internal (not installed): a checkpoint's tensor copied from its file bytes into a float32 parameter, as the
// GPT-2 loaders (gpt2_hf.cpp, gpt2_llmc.cpp) do. float16 and bfloat16 become float32 exactly (every half value
// is a float); a Conv1D weight stored (in, out) is transposed into nn::Linear's (out, in) on the way.
#pragma once
#include <cstdint>
#include <string>

#include "../../io/mapped_file.h"

namespace microtorch::models::checkpoint {

enum class Stored { kF32, kF16, kBF16 };

// The float an IEEE binary16 or a bfloat16 bit pattern stands for (NaN payloads and signed zeros kept).
float f16_to_f32(uint16_t h);
float bf16_to_f32(uint16_t b);
// And back, for writing and tests: round to nearest even, as PyTorch's .half() and .bfloat16().
uint16_t f32_to_f16(float f);
uint16_t f32_to_bf16(float f);

// dst (rows, cols) float32 from src, which holds the values as stored, little-endian: (rows, cols), or
// (cols, rows) when `transposed`. Threads split the rows.
void copy_converted(const unsigned char* src, Stored dtype, int64_t rows, int64_t cols, bool transposed, float* dst);

// copy_converted from the bytes of a mapped file at `offset`, releasing the file's pages behind the copy: a
// straight copy in runs of rows of about 8 MB, a transposed one (which reads its source all over) when done.
// The loader's resident set is then the model plus a run, never the model plus the file.
void copy_from_file(const io::MappedFile& file, size_t offset, Stored dtype, int64_t rows, int64_t cols, bool transposed,
                    float* dst);

}  // namespace microtorch::models::checkpoint
