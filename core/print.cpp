// std::cout << x as PyTorch's repr (torch/_tensor_str.py): tensor([[...], [...]]) in rows and columns, each
// value in one format chosen for the whole tensor, more than 1000 elements summarised by their first and last
// 3 along each dim with "...", then the dtype (when not float32, int64 or bool), requires_grad or grad_fn.
// Float formats, as PyTorch's _Formatter over the finite non-zero values: all integers -> "3." (sci "%.4e"
// when max/min > 1000 or max > 1e8); else "%.4f", or "%.4e" when max/min > 1000, max > 1e8 or min < 1e-4.
// Values are right-aligned to the widest; a row wraps at 80 columns.
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "autograd.h"
#include "ops.h"
#include "tensor.h"

namespace microtorch {

namespace {

constexpr int64_t kThreshold = 1000, kEdge = 3, kLineWidth = 80;

std::string printf_str(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// One format for every value of the tensor (as PyTorch's _Formatter).
struct Formatter {
  bool floating = false, int_mode = true, sci = false;
  size_t width = 1;

  explicit Formatter(const std::vector<double>& values, Dtype dtype) : floating(is_floating_point(dtype)) {
    if (!floating) {
      for (double v : values) width = std::max(width, plain(v, dtype).size());
      return;
    }
    std::vector<double> finite;
    for (double v : values)
      if (std::isfinite(v) && v != 0) finite.push_back(v);
    if (finite.empty()) return;
    double lo = INFINITY, hi = 0;
    for (double v : finite) {
      lo = std::min(lo, std::fabs(v));
      hi = std::max(hi, std::fabs(v));
      if (v != std::ceil(v)) int_mode = false;
    }
    sci = hi / lo > 1000.0 || hi > 1e8 || (!int_mode && lo < 1e-4);
    for (double v : finite)
      width = std::max(width, sci ? printf_str("%.4e", v).size() : int_mode ? printf_str("%.0f", v).size() + 1
                                                                              : printf_str("%.4f", v).size());
  }
  static std::string plain(double v, Dtype dtype) {
    if (dtype == kBool) return v != 0 ? "True" : "False";
    return std::to_string(static_cast<int64_t>(v));
  }
  std::string format(double v, Dtype dtype) const {
    std::string s;
    if (!floating) s = plain(v, dtype);
    else if (std::isnan(v)) s = "nan";
    else if (std::isinf(v)) s = v > 0 ? "inf" : "-inf";
    else if (sci) s = printf_str("%.4e", v);
    else if (int_mode) s = printf_str("%.0f", v) + ".";
    else s = printf_str("%.4f", v);
    return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
  }
};

// The positions shown along a dim of size n: all, or the first and last kEdge (-1 marks the "...").
std::vector<int64_t> shown(int64_t n, bool summarize) {
  std::vector<int64_t> out;
  if (summarize && n > 2 * kEdge) {
    for (int64_t i = 0; i < kEdge; ++i) out.push_back(i);
    out.push_back(-1);
    for (int64_t i = n - kEdge; i < n; ++i) out.push_back(i);
  } else {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
  }
  return out;
}

// The values the formatter looks at: the shown ones (all, unless summarised), row-major.
void collect(const Tensor& t, bool summarize, std::vector<double>& out) {
  if (t.dim() == 0) {
    out.push_back(t.item<double>());
    return;
  }
  for (int64_t i : shown(t.size(0), summarize))
    if (i >= 0) collect(t.select(0, i), summarize, out);
}

std::string body(const Tensor& t, size_t indent, bool summarize, const Formatter& f) {
  if (t.dim() == 0) return f.format(t.item<double>(), t.dtype());
  std::vector<std::string> parts;
  if (t.dim() == 1) {
    for (int64_t i : shown(t.size(0), summarize))
      parts.push_back(i < 0 ? " ..." : f.format(t.select(0, i).item<double>(), t.dtype()));
    const size_t per_line = std::max<size_t>(1, (kLineWidth - indent) / (f.width + 2));
    std::string s = "[";
    for (size_t k = 0; k < parts.size(); ++k) {
      if (k) s += k % per_line == 0 ? ",\n" + std::string(indent + 1, ' ') : ", ";
      s += parts[k];
    }
    return s + "]";
  }
  for (int64_t i : shown(t.size(0), summarize))
    parts.push_back(i < 0 ? "..." : body(t.select(0, i), indent + 1, summarize, f));
  const std::string sep = "," + std::string(static_cast<size_t>(t.dim() - 1), '\n') + std::string(indent + 1, ' ');
  std::string s = "[";
  for (size_t k = 0; k < parts.size(); ++k) s += (k ? sep : "") + parts[k];
  return s + "]";
}

std::string shape_tuple(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t_in) {
  if (!t_in.defined()) return os << "tensor(undefined)";
  const Tensor t = t_in.detach();
  const std::string prefix = "tensor(";
  const size_t indent = prefix.size();
  std::vector<std::string> suffixes;
  std::string text;
  const bool default_dtype = t.dtype() == kFloat32 || t.dtype() == kInt64 || t.dtype() == kBool;
  if (t.numel() == 0) {
    if (t.dim() != 1) suffixes.push_back("size=" + shape_tuple(t.shape()));
    if (t.dtype() != kFloat32) suffixes.push_back("dtype=torch." + dtype_name(t.dtype()));
    text = "[]";
  } else {
    if (!default_dtype) suffixes.push_back("dtype=torch." + dtype_name(t.dtype()));
    const bool summarize = t.numel() > kThreshold;
    std::vector<double> values;
    collect(t, summarize, values);
    text = body(t, indent, summarize, Formatter(values, t.dtype()));
  }
  if (const auto& node = t_in.unsafeGetTensorImpl()->grad_fn) suffixes.push_back("grad_fn=<" + node->op + ">");
  else if (t_in.requires_grad()) suffixes.push_back("requires_grad=True");
  std::string out = prefix + text;
  const size_t nl = out.rfind('\n');
  size_t last = out.size() - (nl == std::string::npos ? static_cast<size_t>(-1) : nl) + 1;
  for (const std::string& s : suffixes) {
    if (last + s.size() + 2 > static_cast<size_t>(kLineWidth)) {
      out += ",\n" + std::string(indent, ' ') + s;
      last = indent + s.size();
    } else {
      out += ", " + s;
      last += s.size() + 2;
    }
  }
  return os << out << ")";
}

}  // namespace microtorch
