// .npy through xtensor's xnpy.hpp. xt::load_npy trusts its input (it allocates whatever the header
// says, reads without checking for a short file, and misreads a header length whose low byte is >= 0x80
// because it widens a signed char), so decode_npy checks the whole file first and only then lets
// xtensor parse it: a version 1.0 header in NumPy's own layout, a supported dtype, C order, and a data
// size equal to dtype * shape.
#include "npy.h"

// xnpy.hpp checks a dtype string with std::regex, whose libstdc++ internals trip GCC 12's
// -Wmaybe-uninitialized under -fsanitize (a known false positive, GCC bug 105562), not our code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xnpy.hpp>

#include "files/atomic_file.h"

namespace microtorch {

template <class T> static std::string npy_bytes(const Tensor& t_in) {
  const Tensor t = t_in.detach().contiguous();  // row-major bytes, whatever the view
  const std::vector<size_t> shape(t.shape().begin(), t.shape().end());
  const auto view = xt::adapt(t.data_ptr<T>(), static_cast<size_t>(t.numel()), xt::no_ownership(), shape);
  return xt::dump_npy(view);
}

// float16 as NumPy's '<f2': the bits written as '<u2' by xtensor (which knows no half type), the descr renamed.
static std::string npy_half_bytes(const Tensor& t_in) {
  const Tensor t = t_in.detach().contiguous();
  std::vector<uint16_t> bits(static_cast<size_t>(t.numel()));
  if (!bits.empty()) std::memcpy(bits.data(), static_cast<const void*>(t.data_ptr<Half>()), bits.size() * sizeof(uint16_t));
  const std::vector<size_t> shape(t.shape().begin(), t.shape().end());
  std::string bytes = xt::dump_npy(xt::adapt(bits.data(), bits.size(), xt::no_ownership(), shape));
  const size_t at = bytes.find("'<u2'");
  if (at == std::string::npos) throw std::logic_error("save_npy: xtensor wrote no '<u2' descr");
  bytes.replace(at, 5, "'<f2'");
  return bytes;
}

void save_npy(const Tensor& t, const std::string& path) {
  if (!t.defined()) throw std::invalid_argument("save_npy '" + path + "': the tensor is undefined");
  if (t.dtype() == kBFloat16 || t.dtype() == kBool)
    throw std::invalid_argument("save_npy '" + path + "': NumPy's .npy has no " + dtype_name(t.dtype()) +
                                " here (expected float32, float64, float16, int64 or int32; convert with to() first)");
  const std::string bytes = t.dtype() == kFloat32   ? npy_bytes<float>(t)
                            : t.dtype() == kFloat64 ? npy_bytes<double>(t)
                            : t.dtype() == kFloat16 ? npy_half_bytes(t)
                            : t.dtype() == kInt64   ? npy_bytes<int64_t>(t)
                                                    : npy_bytes<int32_t>(t);
  io::AtomicFile file(path);
  file.write(bytes.data(), bytes.size());
  file.commit();
}

Tensor load_npy(const std::string& path) { return io::decode_npy(io::read_file(path), path); }

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
  else bad_npy(source, "unsupported descr (expected '<f4', '<f8', '<f2', '<i8' or '<i4') in header " + dict.substr(0, 80));
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

template <class T> static Tensor read_with_xtensor(const std::string& bytes, const Shape& shape) {
  std::istringstream in(bytes);
  const xt::xarray<T> a = xt::load_npy<T>(in);
  Tensor t = empty(shape, dtype_of<T>::value);
  std::copy(a.data(), a.data() + a.size(), t.data_ptr<T>());
  return t;
}

Tensor decode_npy(const std::string& bytes, const std::string& source) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) bad_npy(source, "not an .npy file (bad magic)");
  if (bytes[6] != 1 || bytes[7] != 0)
    bad_npy(source, "unsupported .npy version " + std::to_string(int(bytes[6])) + "." + std::to_string(int(bytes[7])) +
                        " (only 1.0)");
  const size_t header_len = size_t(static_cast<unsigned char>(bytes[8])) | size_t(static_cast<unsigned char>(bytes[9])) << 8;
  if (header_len & 0x80)
    bad_npy(source, "header length " + std::to_string(header_len) + " is not supported by the xtensor reader");
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
  if (h.dtype == kFloat32) return read_with_xtensor<float>(bytes, h.shape);
  if (h.dtype == kFloat64) return read_with_xtensor<double>(bytes, h.shape);
  if (h.dtype == kFloat16) {  // xtensor reads the bits as '<u2'
    std::string as_u2 = bytes;
    as_u2.replace(as_u2.find("'<f2'"), 5, "'<u2'");
    std::istringstream in(as_u2);
    const xt::xarray<uint16_t> a = xt::load_npy<uint16_t>(in);
    Tensor t = empty(h.shape, kFloat16);
    if (a.size()) std::memcpy(static_cast<void*>(t.data_ptr<Half>()), a.data(), a.size() * sizeof(uint16_t));
    return t;
  }
  if (h.dtype == kInt64) return read_with_xtensor<int64_t>(bytes, h.shape);
  return read_with_xtensor<int32_t>(bytes, h.shape);
}

}  // namespace io
}  // namespace microtorch
