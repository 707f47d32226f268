// The safetensors format (https://github.com/huggingface/safetensors), as bytes in memory:
//   8 bytes  little-endian u64 N, the header length (capped at kMaxHeaderBytes when read)
//   N bytes  JSON {"<name>": {"dtype": "F32"|"F64"|"F16"|"BF16"|"I64"|"I32"|"BOOL", "shape": [..],
//                  "data_offsets": [begin, end]},
//                  "__metadata__": {"<key>": "<string>", ..}}, padded with spaces to a multiple of 8
//   the rest raw little-endian tensor data; offsets count from its start and tile it exactly
// Decoding trusts nothing: every malformed input is a std::runtime_error naming the source, the tensor
// and what is wrong, and no tensor is returned unless the whole file is valid.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../core/tensor.h"

namespace microtorch {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using Metadata = std::map<std::string, std::string>;

namespace io {

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // as the reference implementation's limit

// The 8-byte length and the JSON header for `tensors` laid out back to back in the given order.
// std::invalid_argument for an undefined tensor, an empty, repeated or reserved name.
std::string encode_safetensors_header(const NamedTensors& tensors, const Metadata& metadata);
// The same from each tensor's name, dtype and shape only: for a writer that makes each tensor's bytes as it
// writes them (GPT2::save_pretrained transposes one weight at a time).
struct TensorSpec {
  std::string name;
  Dtype dtype;
  Shape shape;
};
std::string encode_safetensors_header(const std::vector<TensorSpec>& tensors, const Metadata& metadata);

// Hands the tensor's bytes to `sink` as the file holds them (little-endian), in one or more pieces.
void write_little_endian(const Tensor& t, const std::function<void(const void*, size_t)>& sink);

struct Safetensors {
  NamedTensors tensors;  // in file order (by data offset), each a fresh tensor of the file's dtype
  Metadata metadata;
};

// Parses and validates a whole file's bytes; `source` (a path) is named in every error.
Safetensors decode_safetensors(const std::string& bytes, const std::string& source);

// One tensor as a file's header describes it, after validation: where its bytes are, what they hold.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;       // the file's code: "F32", "F64", "F16", "BF16", "I64", "I32" or "BOOL"
  Shape shape;
  uint64_t begin = 0, end = 0;  // its bytes [begin, end) in the data section
};
struct SafetensorsLayout {
  std::vector<SafetensorsEntry> tensors;  // in file order (by data offset)
  Metadata metadata;
  uint64_t data_start = 0;  // where the data section starts in the file (8 + header length)
};
// The checks decode_safetensors makes, without building tensors: `bytes` is the whole file (`size` bytes;
// typically a MappedFile), and only its header is read. F16 and BF16 entries are accepted here (a reader
// converts them itself); std::runtime_error naming `source` and the tensor for anything malformed.
SafetensorsLayout parse_safetensors_layout(const unsigned char* bytes, size_t size, const std::string& source);
// Bytes of one element of a dtype code accepted by parse_safetensors_layout (0 for any other code).
size_t safetensors_element_size(const std::string& dtype);

}  // namespace io
}  // namespace microtorch
