// libFuzzer target: arbitrary bytes into the checkpoint decoders (safetensors, and .npy when the bytes
// start with NumPy's magic). Rejection must be a std::runtime_error; any other exception, a crash or a
// sanitizer report is a finding. An accepted file must describe itself consistently and round-trip.
// Inputs run up to 400 KB (fuzz/run), and an input starting with "\xfeREP" is a generator (expand()):
// a header with two repeated patterns (up to 150,000 times each, 400 KB in all) and its length
// computed, so a short input reaches the deep or long headers that random bytes rarely grow into.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fuzzer/FuzzedDataProvider.h>
#include <microtorch/io/npy.h>
#include <microtorch/io/safetensors.h>
#include <microtorch/core/ops/tensor_access.h>

#include "common.h"

namespace mt = microtorch;

using fuzz::require;

const char* const fuzz::target = "fuzz_checkpoint";

static size_t nbytes(const mt::Tensor& t) { return static_cast<size_t>(t.numel()) * mt::element_size(t.dtype()); }

static bool same(const mt::Tensor& a, const mt::Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(mt::detail::raw_data(a), mt::detail::raw_data(b), nbytes(a)) == 0;
}

// An accepted safetensors file: its tensors fill the data section exactly, and encoding them again
// decodes to the same names, dtypes, shapes and bytes.
static void check_safetensors(const std::string& bytes) {
  const mt::io::Safetensors st = mt::io::decode_safetensors(bytes, "fuzz-input");
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  size_t data = 0;
  for (const auto& entry : st.tensors) data += nbytes(entry.second);
  require(data == bytes.size() - 8 - header_len, "tensors do not cover the data section");

  std::string again = mt::io::encode_safetensors_header(st.tensors, st.metadata);
  for (const auto& entry : st.tensors)
    mt::io::write_little_endian(entry.second, [&again](const void* p, size_t n) {
      again.append(static_cast<const char*>(p), n);
    });
  const mt::io::Safetensors back = mt::io::decode_safetensors(again, "fuzz-reencoded");
  require(back.metadata == st.metadata, "metadata changed in a round trip");
  require(back.tensors.size() == st.tensors.size(), "tensor count changed in a round trip");
  for (size_t i = 0; i < st.tensors.size(); ++i) {
    require(back.tensors[i].first == st.tensors[i].first, "tensor order changed in a round trip");
    require(same(back.tensors[i].second, st.tensors[i].second), "tensor changed in a round trip");
  }
}

static void check_npy(const std::string& bytes) {
  const mt::Tensor t = mt::io::decode_npy(bytes, "fuzz-input");
  require(nbytes(t) <= bytes.size(), "an .npy tensor larger than its file");
}

// "\xfeREP" + open, close, A, B, C, data, count (FuzzedDataProvider's order) ->
// le64(len) + header + data with header = A + open * count + B + close * count + C: "[" and "]" nest.
static std::string expand(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data + 4, size - 4);
  const size_t count = in.ConsumeIntegralInRange<size_t>(0, 150000);
  const std::string open = in.ConsumeRandomLengthString(8), close = in.ConsumeRandomLengthString(8);
  const std::string a = in.ConsumeRandomLengthString(64), b = in.ConsumeRandomLengthString(64),
                    c = in.ConsumeRandomLengthString(256);
  const size_t repeat = std::min(count, 400000 / std::max<size_t>(1, open.size() + close.size()));  // <= 400 KB
  std::string header = a;
  for (size_t i = 0; i < repeat; ++i) header += open;
  header += b;
  for (size_t i = 0; i < repeat; ++i) header += close;
  header += c;
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((uint64_t{header.size()} >> (8 * i)) & 0xff);
  return out + header + in.ConsumeRemainingBytesAsString();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool generated = size >= 4 && std::memcmp(data, "\xfeREP", 4) == 0;
  const std::string bytes = generated ? expand(data, size) : std::string(reinterpret_cast<const char*>(data), size);
  try {
    if (bytes.compare(0, 6, "\x93NUMPY") == 0) check_npy(bytes);
    else check_safetensors(bytes);
  } catch (const std::runtime_error&) {
    // the documented rejection of a bad file
  }
  return 0;
}
