// .npy files, version 1.0 as NumPy writes them: "\x93NUMPY", 1, 0, a little-endian uint16 header length, a
// Python dict literal padded with spaces to a multiple of 64 bytes and a newline, then the raw C-order data.
// Written and read here, byte by byte (xtensor's reader misread a header whose length has its low byte
// >= 0x80, which NumPy writes for 22 or more dims): decode_npy checks the whole file, the header's text, a
// supported dtype, C order and a data size equal to dtype * shape, before a tensor is built.
#include "npy.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "../core/ops/tensor_access.h"
#include "files/atomic_file.h"
#include "files/read_file.h"

namespace microtorch {

static const char* npy_descr(Dtype d) {
  switch (d) {
    case kFloat32: return "<f4";
    case kFloat64: return "<f8";
    case kFloat16: return "<f2";
    case kInt64: return "<i8";
    case kInt32: return "<i4";
    case kBool: return "|b1";
    case kBFloat16: break;
  }
  return "?";
}

void save_npy(const Tensor& t_in, const std::string& path) {
  if (!t_in.defined()) throw std::invalid_argument("save_npy '" + path + "': the tensor is undefined");
  const Tensor t = t_in.detach().contiguous();  // row-major bytes, whatever the view
  if (t.dtype() == kBFloat16)
    throw std::invalid_argument("save_npy '" + path + "': NumPy's .npy has no bfloat16 (expected float32, float64, "
                                "float16, int64, int32 or bool; convert with to() first)");
  std::string dict = std::string("{'descr': '") + npy_descr(t.dtype()) + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape().size(); ++i) dict += (i ? ", " : "") + std::to_string(t.shape()[i]);
  dict += t.dim() == 1 ? ",), }" : "), }";  // a 1-tuple is (n,) in Python
  // NumPy's layout, byte for byte (numpy/lib/format.py): room for the first dim to grow to 21 digits, then
  // spaces (1 to 64 of them) so the magic, version and length (10 bytes) and the header end on a 64-byte
  // boundary, then a newline.
  if (t.dim() > 0) dict.append(21 - std::min<size_t>(21, std::to_string(t.shape()[0]).size()), ' ');
  dict.append(64 - (10 + dict.size() + 1) % 64, ' ');
  dict += '\n';
  if (dict.size() > 65535)
    throw std::invalid_argument("save_npy '" + path + "': a header of " + std::to_string(dict.size()) +
                                " bytes for shape " + shape_str(t.shape()) + " does not fit .npy version 1.0");
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(dict.size() & 0xff);
  bytes += static_cast<char>(dict.size() >> 8);
  bytes += dict;
  io::AtomicFile file(path);
  file.write(bytes.data(), bytes.size());
  file.write(detail::raw_data(t), static_cast<size_t>(t.numel()) * element_size(t.dtype()));
  file.commit();
}

Tensor load_npy(const std::string& path) { return io::decode_npy(io::read_file(path, "load_npy"), path); }

namespace io {

[[noreturn]] static void bad_npy(const std::string& source, const std::string& what) {
  throw std::runtime_error("load_npy '" + source + "': " + what);
}

// Consumes `word` at `pos` of `s` or returns false.
static bool eat(const std::string& s, size_t& pos, const std::string& word) {
  if (s.compare(pos, word.size(), word) != 0) return false;
  pos += word.size();
  return true;
}

struct NpyHeader {
  Dtype dtype;
  Shape shape;
};

// The header dict with spaces removed: {'descr':'<f4','fortran_order':False,'shape':(3,4),}
static NpyHeader parse_npy_dict(const std::string& dict, const std::string& source) {
  size_t pos = 0;
  if (!eat(dict, pos, "{'descr':'")) bad_npy(source, "the header does not start with {'descr': ...");
  NpyHeader h{kFloat32, {}};
  if (eat(dict, pos, "<f4'")) h.dtype = kFloat32;
  else if (eat(dict, pos, "<f8'")) h.dtype = kFloat64;
  else if (eat(dict, pos, "<f2'")) h.dtype = kFloat16;
  else if (eat(dict, pos, "<i8'")) h.dtype = kInt64;
  else if (eat(dict, pos, "<i4'")) h.dtype = kInt32;
  else if (eat(dict, pos, "|b1'")) h.dtype = kBool;
  else bad_npy(source, "unsupported descr (expected '<f4', '<f8', '<f2', '<i8', '<i4' or '|b1') in header " +
                           dict.substr(0, 80));
  if (eat(dict, pos, ",'fortran_order':True")) bad_npy(source, "Fortran-ordered arrays are not supported");
  if (!eat(dict, pos, ",'fortran_order':False,'shape':(")) bad_npy(source, "malformed header " + dict.substr(0, 80));
  const uint64_t max_numel = uint64_t(std::numeric_limits<int64_t>::max()) / element_size(h.dtype);
  uint64_t numel = 1;
  while (pos < dict.size() && dict[pos] != ')') {
    uint64_t d = 0;
    size_t digits = 0;
    for (; pos < dict.size() && dict[pos] >= '0' && dict[pos] <= '9'; ++pos, ++digits) {
      if (d > (std::numeric_limits<int64_t>::max() - 9) / 10) bad_npy(source, "a dimension is too large");
      d = d * 10 + uint64_t(dict[pos] - '0');
    }
    if (digits == 0) bad_npy(source, "malformed shape in header " + dict.substr(0, 80));
    if (d != 0 && numel > max_numel / d) bad_npy(source, "the shape is too large");
    if (d != 0) numel *= d;  // the non-zero dimensions' product, bounded as Tensor's shape_numel bounds it
    h.shape.push_back(static_cast<int64_t>(d));
    if (!eat(dict, pos, ",") && (pos >= dict.size() || dict[pos] != ')'))
      bad_npy(source, "malformed shape in header " + dict.substr(0, 80));
  }
  if (!eat(dict, pos, ")")) bad_npy(source, "unterminated shape in header");
  eat(dict, pos, ",");
  if (!eat(dict, pos, "}") || pos != dict.size()) bad_npy(source, "unexpected text after the shape in header");
  return h;
}

Tensor decode_npy(const std::string& bytes, const std::string& source) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) bad_npy(source, "not an .npy file (bad magic)");
  if (bytes[6] != 1 || bytes[7] != 0)
    bad_npy(source, "unsupported .npy version " + std::to_string(int(bytes[6])) + "." + std::to_string(int(bytes[7])) +
                        " (only 1.0)");
  const size_t header_len = size_t(static_cast<unsigned char>(bytes[8])) | size_t(static_cast<unsigned char>(bytes[9])) << 8;
  if (10 + header_len > bytes.size()) bad_npy(source, "the header runs past the end of the file: truncated");
  std::string header = bytes.substr(10, header_len);
  if (header.empty() || header.back() != '\n') bad_npy(source, "the header does not end in a newline");
  header.pop_back();
  std::string dict;
  for (char c : header)
    if (c != ' ') dict += c;
  const NpyHeader h = parse_npy_dict(dict, source);
  const uint64_t expected = uint64_t(shape_numel(h.shape)) * element_size(h.dtype);
  const uint64_t data = bytes.size() - 10 - header_len;
  if (data != expected)
    bad_npy(source, "the data has " + std::to_string(data) + " bytes but " + dtype_name(h.dtype) + " of shape " +
                        shape_str(h.shape) + " needs " + std::to_string(expected) + (data < expected ? ": truncated" : ""));
  const char* data_start = bytes.data() + 10 + header_len;
  if (h.dtype == kBool)  // a C++ bool must hold 0 or 1: any other byte would be undefined behaviour to read
    for (uint64_t i = 0; i < data; ++i)
      if (static_cast<unsigned char>(data_start[i]) > 1)
        bad_npy(source, "bool element " + std::to_string(i) + " is byte " +
                            std::to_string(static_cast<unsigned char>(data_start[i])) + ", expected 0 or 1");
  Tensor t = empty(h.shape, h.dtype);
  std::memcpy(detail::raw_data(t), data_start, static_cast<size_t>(data));
  return t;
}

}  // namespace io
}  // namespace microtorch
