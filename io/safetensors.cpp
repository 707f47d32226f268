// safetensors encoding and the validating decoder. JSON goes through nlohmann-json here only, so it
// never reaches a public header. Validation runs over the whole header before any tensor is built.
#include "safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "files/untrusted.h"
#include "../core/ops/tensor_access.h"

namespace microtorch::io {

using nlohmann::json;

static bool host_is_little_endian() {
  const uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

// Reverses each element's bytes in place: the conversion between host order and the file's
// little-endian order on a big-endian host.
static void swap_elements(char* p, size_t nbytes, size_t width) {
  for (size_t i = 0; i + width <= nbytes; i += width) std::reverse(p + i, p + i + width);
}

static const char* dtype_code(Dtype d) {
  switch (d) {
    case kFloat32: return "F32";
    case kFloat64: return "F64";
    case kFloat16: return "F16";
    case kBFloat16: return "BF16";
    case kInt64: return "I64";
    case kInt32: return "I32";
    case kBool: return "BOOL";
  }
  return "?";
}

static size_t nbytes_of(const Tensor& t) { return static_cast<size_t>(t.numel()) * element_size(t.dtype()); }

// JSON strings must be UTF-8 (nlohmann's dump() throws its own type_error otherwise).
static void check_utf8(const char* what, const std::string& s) {
  const size_t at = invalid_utf8_at(s);
  if (at != std::string::npos)
    throw std::invalid_argument(std::string("save: ") + what + " \"" + printable(s) + "\" is not valid UTF-8 (byte " +
                                printable(s.substr(at, 1)) + " at offset " + std::to_string(at) + ")");
}

std::string encode_safetensors_header(const std::vector<TensorSpec>& tensors, const Metadata& metadata) {
  for (const auto& [key, value] : metadata) {
    check_utf8("metadata key", key);
    check_utf8("metadata value", value);
  }
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorSpec& t : tensors) {
    const std::string& name = t.name;
    if (name.empty() || name == "__metadata__")
      throw std::invalid_argument("save: invalid tensor name '" + name + "' (empty or reserved)");
    check_utf8("tensor name", name);
    if (header.contains(name)) throw std::invalid_argument("save: tensor name '" + printable(name) + "' appears twice");
    const uint64_t end = offset + static_cast<uint64_t>(storage_nbytes(t.shape, t.dtype));
    header[name] = {{"dtype", dtype_code(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned in the file
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((uint64_t{text.size()} >> (8 * i)) & 0xff);
  return out + text;
}

std::string encode_safetensors_header(const NamedTensors& tensors, const Metadata& metadata) {
  std::vector<TensorSpec> specs;
  for (const auto& [name, t] : tensors) {
    if (!t.defined()) throw std::invalid_argument("save: tensor '" + printable(name) + "' is undefined");
    specs.push_back({name, t.dtype(), t.shape()});
  }
  return encode_safetensors_header(specs, metadata);
}

void write_little_endian(const Tensor& t_in, const std::function<void(const void*, size_t)>& sink) {
  const Tensor t = t_in.detach().contiguous();  // row-major bytes, whatever the view
  const size_t n = nbytes_of(t);
  if (host_is_little_endian()) {
    sink(detail::raw_data(t), n);
    return;
  }
  std::string copy(static_cast<const char*>(detail::raw_data(t)), n);
  swap_elements(copy.data(), n, element_size(t.dtype()));
  sink(copy.data(), n);
}

using Entry = SafetensorsEntry;

size_t safetensors_element_size(const std::string& dtype) {
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "I64" || dtype == "F64") return 8;
  if (dtype == "BOOL") return 1;
  if (dtype == "F16" || dtype == "BF16") return 2;
  return 0;
}

[[noreturn]] static void corrupt(const std::string& source, const std::string& what) {
  throw std::runtime_error("load '" + source + "': " + what);
}
[[noreturn]] static void corrupt_tensor(const std::string& source, const std::string& name, const std::string& what) {
  corrupt(source, "tensor '" + printable(name) + "': " + what);
}

// The dtype code, one of every dtype's.
static std::string parse_dtype(const json& v, const std::string& source, const std::string& name) {
  if (!v.is_string()) corrupt_tensor(source, name, "\"dtype\" must be a string");
  const std::string& s = v.get_ref<const std::string&>();
  if (s == "F32" || s == "F64" || s == "F16" || s == "BF16" || s == "I64" || s == "I32" || s == "BOOL") return s;
  corrupt_tensor(source, name,
                 "unknown dtype \"" + printable(s, 32) + "\" (expected F32, F64, F16, BF16, I64, I32 or BOOL)");
}

static Dtype tensor_dtype(const std::string& code) {
  return code == "F32" ? kFloat32 : code == "F64" ? kFloat64 : code == "F16" ? kFloat16 : code == "BF16" ? kBFloat16
       : code == "I64" ? kInt64 : code == "BOOL" ? kBool : kInt32;
}

// A JSON array of non-negative integers, each at most `limit`.
static std::vector<uint64_t> parse_uints(const json& v, const std::string& source, const std::string& name,
                                         const char* field, uint64_t limit) {
  if (!v.is_array()) corrupt_tensor(source, name, std::string("\"") + field + "\" must be an array");
  std::vector<uint64_t> out;
  for (const json& x : v) {
    if (!x.is_number_unsigned())
      corrupt_tensor(source, name, std::string("\"") + field + "\" must hold non-negative integers, got " +
                                       // a number prints short; anything else is named by its type
                                       (x.is_number() ? x.dump() : std::string("a JSON ") + x.type_name()));
    const uint64_t u = x.get<uint64_t>();
    if (u > limit) corrupt_tensor(source, name, std::string("\"") + field + "\" value " + std::to_string(u) + " is too large");
    out.push_back(u);
  }
  return out;
}

static Entry parse_entry(const std::string& name, const json& info, uint64_t data_bytes, const std::string& source) {
  if (name.empty()) corrupt(source, "a tensor has an empty name");
  if (!info.is_object()) corrupt_tensor(source, name, "its header entry must be an object");
  for (const auto& [key, value] : info.items()) {
    (void)value;
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      corrupt_tensor(source, name, "unexpected field \"" + printable(key, 32) + "\"");
  }
  if (!info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
    corrupt_tensor(source, name, "needs \"dtype\", \"shape\" and \"data_offsets\"");
  Entry e{name, parse_dtype(info["dtype"], source, name), {}, 0, 0};
  const uint64_t width = safetensors_element_size(e.dtype);
  const auto dims = parse_uints(info["shape"], source, name, "shape", uint64_t(std::numeric_limits<int64_t>::max()));
  const auto offsets = parse_uints(info["data_offsets"], source, name, "data_offsets", std::numeric_limits<uint64_t>::max());
  if (offsets.size() != 2) corrupt_tensor(source, name, "\"data_offsets\" must be [begin, end]");
  e.begin = offsets[0];
  e.end = offsets[1];
  const std::string range = "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
  if (e.begin > e.end) corrupt_tensor(source, name, range + " end before they begin");
  if (e.end > data_bytes)
    corrupt_tensor(source, name, range + " run past the end of the data (" + std::to_string(data_bytes) +
                                     " bytes): the file is truncated or corrupted");
  // dtype * shape must be exactly the byte range. The product of the non-zero dimensions is bounded as
  // Tensor's own shape_numel bounds it, so a zero dimension cannot hide an overflow.
  const uint64_t max_numel = uint64_t(std::numeric_limits<int64_t>::max()) / width;
  uint64_t numel = 1, nonzero = 1;
  for (uint64_t d : dims) {
    e.shape.push_back(static_cast<int64_t>(d));
    if (d != 0 && nonzero > max_numel / d)
      corrupt_tensor(source, name, "shape " + shape_str(e.shape) + "... is too large");
    if (d != 0) nonzero *= d;
    numel *= d;
  }
  const uint64_t expected = numel * width;
  if (expected != e.end - e.begin)
    corrupt_tensor(source, name, range + " hold " + std::to_string(e.end - e.begin) + " bytes but dtype " +
                                     e.dtype + " and shape " + shape_str(e.shape) + " need " +
                                     std::to_string(expected));
  return e;
}

static Metadata parse_metadata(const json& v, const std::string& source) {
  if (!v.is_object()) corrupt(source, "\"__metadata__\" must be an object of strings");
  Metadata out;
  for (const auto& [key, value] : v.items()) {
    if (!value.is_string()) corrupt(source, "\"__metadata__\" entry \"" + printable(key, 32) + "\" must be a string");
    out[key] = value.get<std::string>();
  }
  return out;
}

// The data section must be covered exactly once: sorted by offset, each tensor starts where the
// previous ends, the last ends at the end of the file. Overlaps, holes and trailing bytes are corruption.
static void check_tiling(std::vector<Entry>& entries, uint64_t data_bytes, const std::string& source) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t covered = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < covered)
      corrupt_tensor(source, e.name, "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                         "] overlap tensor '" + prev->name + "' [" + std::to_string(prev->begin) + ", " +
                                         std::to_string(prev->end) + "]");
    if (e.begin > covered)
      corrupt_tensor(source, e.name, "data bytes [" + std::to_string(covered) + ", " + std::to_string(e.begin) +
                                         ") before it belong to no tensor");
    covered = e.end;
    prev = &e;
  }
  if (covered != data_bytes)
    corrupt(source, "the data section has " + std::to_string(data_bytes) + " bytes but the tensors cover " +
                        std::to_string(covered) + " (trailing bytes: corrupted or not a safetensors file)");
}

// nlohmann keeps the last of two equal keys, which would leave the first tensor's bytes unowned: the
// parse callback refuses a key seen before in the same object. Messages quote at most a few bytes of
// the header around a syntax error, escaped, never the parser's own excerpt.
static json parse_header(const char* text, size_t n, const std::string& source) {
  std::vector<std::unordered_set<std::string>> keys_at_depth;  // the keys of the open object at each depth
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    const size_t d = static_cast<size_t>(depth);
    if (event == json::parse_event_t::object_start) {
      if (keys_at_depth.size() < d + 2) keys_at_depth.resize(d + 2);
      keys_at_depth[d + 1].clear();
    } else if (event == json::parse_event_t::key) {
      if (keys_at_depth.size() < d + 1) keys_at_depth.resize(d + 1);
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!keys_at_depth[d].insert(key).second)
        corrupt(source, "the header has the key \"" + printable(key) + "\" twice in one object" +
                            (depth == 1 ? " (two tensors of one name)" : ""));
    }
    return true;
  };
  try {
    return json::parse(text, text + n, callback);
  } catch (const json::parse_error& e) {
    const size_t at = e.byte > 0 ? std::min<size_t>(e.byte - 1, n) : 0;
    corrupt(source, "the header is not valid JSON (at header byte " + std::to_string(at) + ", near \"" +
                        printable(std::string(text + at, std::min<size_t>(16, n - at)), 16) + "\")");
  } catch (const json::exception& e) {
    corrupt(source, "the header is not valid JSON (" + std::to_string(e.id) + ")");
  }
}

// The header of a file of `size` bytes, validated against that size (the data is not read).
static SafetensorsLayout parse_layout(const unsigned char* bytes, size_t size, const std::string& source) {
  if (size < 8)
    corrupt(source, "the file has " + std::to_string(size) + " bytes, fewer than the 8-byte header length: truncated");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t{bytes[i]} << (8 * i);
  if (n > kMaxHeaderBytes)
    corrupt(source, "the header length " + std::to_string(n) + " exceeds the limit of " + std::to_string(kMaxHeaderBytes) +
                        " bytes (corrupted or not a safetensors file)");
  if (n > size - 8)
    corrupt(source, "the header length " + std::to_string(n) + " runs past the end of the file (" +
                        std::to_string(size) + " bytes): truncated");
  const char* text = reinterpret_cast<const char*>(bytes) + 8;
  const std::string fault = check_json_text(text, static_cast<size_t>(n));  // before nlohmann recurses into it
  if (!fault.empty()) corrupt(source, "the header is rejected: " + fault);
  json header = parse_header(text, static_cast<size_t>(n), source);
  if (!header.is_object()) corrupt(source, "the header must be a JSON object");
  const uint64_t data_bytes = size - 8 - n;
  SafetensorsLayout out;
  out.data_start = 8 + n;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") out.metadata = parse_metadata(info, source);
    else out.tensors.push_back(parse_entry(name, info, data_bytes, source));
  }
  check_tiling(out.tensors, data_bytes, source);
  return out;
}

SafetensorsLayout parse_safetensors_layout(const unsigned char* bytes, size_t size, const std::string& source) {
  return parse_layout(bytes, size, source);
}

Safetensors decode_safetensors(const std::string& bytes, const std::string& source) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  SafetensorsLayout layout = parse_layout(p, bytes.size(), source);
  Safetensors out;
  out.metadata = std::move(layout.metadata);
  const char* data = bytes.data() + layout.data_start;
  for (const Entry& e : layout.tensors) {
    const Dtype dtype = tensor_dtype(e.dtype);
    Tensor t = empty(e.shape, dtype);
    const size_t len = static_cast<size_t>(e.end - e.begin);
    if (dtype == kBool)  // a C++ bool must hold 0 or 1: any other byte would be undefined behaviour to read
      for (size_t i = 0; i < len; ++i)
        if (static_cast<unsigned char>(data[e.begin + i]) > 1)
          corrupt_tensor(source, e.name, "BOOL element " + std::to_string(i) + " is byte " +
                                             std::to_string(static_cast<unsigned char>(data[e.begin + i])) +
                                             ", expected 0 or 1");
    std::memcpy(detail::raw_data(t), data + e.begin, len);
    if (!host_is_little_endian()) swap_elements(static_cast<char*>(detail::raw_data(t)), len, element_size(dtype));
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace microtorch::io
