// The reference-case reader and comparisons declared in conformance.h.
#include "conformance.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace conformance {

double Case::option(const std::string& key, double fallback) const {
  auto it = options.find(key);
  return it == options.end() ? fallback : std::stod(it->second);
}

const Record& Case::record(const std::string& key) const {
  auto it = tensors.find(key);
  if (it == tensors.end()) throw std::runtime_error("case " + name + " has no tensor '" + key + "'");
  return it->second;
}

mt::Tensor Case::tensor(const std::string& key) const {
  const Record& r = record(key);
  if (r.i64) return mt::tensor(std::vector<int64_t>(r.values.begin(), r.values.end()), r.shape);
  std::vector<float> v(r.values.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(r.values[i]);  // exact: printed from a float
  return mt::tensor(v, r.shape);
}

std::string shared_dir(const std::string& sub) {
  const char* root = std::getenv("MICROTORCH_SHARED");
  const char* ci = std::getenv("CI");
  std::string problem;
  if (!root || !*root) problem = "MICROTORCH_SHARED is not set";
  else if (!std::filesystem::is_directory(std::string(root) + "/" + sub))
    problem = std::string(root) + "/" + sub + " is not a directory";
  if (problem.empty()) return std::string(root) + "/" + sub;
  if (ci && std::string(ci) == "true") FAIL("reference cases unavailable: " << problem);
  WARN("reference cases unavailable, test not run: " << problem);
  return "";
}

std::string kind_of(const std::string& name) {
  const size_t from = name.rfind("h_", 0) == 0 ? 2 : 0;
  const size_t end = name.find('_', from);
  return name.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

std::vector<std::string> case_names(const std::string& dir, const std::string& kind) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    const std::string name = entry.path().stem().string();
    if (kind_of(name) == kind) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Case load_case(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name + ".txt";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  Case c;
  c.name = name;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::string kind, key;
    s >> kind >> key;
    if (kind == "option") {
      s >> c.options[key];
      continue;
    }
    if (kind != "tensor") throw std::runtime_error(path + ":" + std::to_string(lineno) + ": unknown record '" + kind + "'");
    Record r;
    std::string dtype;
    int64_t ndim = 0;
    s >> dtype >> ndim;
    if (dtype != "f32" && dtype != "i64") throw std::runtime_error(path + ": unknown dtype " + dtype);
    r.i64 = dtype == "i64";
    r.shape.resize(static_cast<size_t>(ndim));
    for (auto& d : r.shape) s >> d;
    r.values.resize(static_cast<size_t>(mt::shape_numel(r.shape)));
    for (auto& v : r.values) s >> v;
    if (!s) throw std::runtime_error(path + ":" + std::to_string(lineno) + ": tensor '" + key + "' is short of values");
    c.tensors[key] = r;
  }
  return c;
}

static std::string compare(const mt::Tensor& got, const mt::Shape& shape, const std::vector<double>& want, double atol,
                           double rtol, const std::string& what) {
  if (!got.defined()) return what + ": undefined tensor";
  if (got.shape() != shape) return what + ": shape " + mt::shape_str(got.shape()) + ", want " + mt::shape_str(shape);
  const std::vector<float> g = got.to_vector<float>();
  for (size_t i = 0; i < g.size(); ++i) {
    const bool exact = atol == 0.0 && rtol == 0.0;
    const bool ok = exact ? g[i] == static_cast<float>(want[i])
                          : std::fabs(double(g[i]) - want[i]) <= atol + rtol * std::fabs(want[i]);
    if (!ok) {
      std::ostringstream s;
      s.precision(9);
      s << what << "[" << i << "]: got " << g[i] << ", want " << want[i] << (exact ? " (bit-exact)" : "");
      return s.str();
    }
  }
  return "";
}

std::string mismatch(const mt::Tensor& got, const Record& want, double atol, double rtol, const std::string& what) {
  return compare(got, want.shape, want.values, atol, rtol, what);
}

std::string mismatch(const mt::Tensor& got, const mt::Tensor& want, double atol, double rtol, const std::string& what) {
  const std::vector<float> w = want.to_vector<float>();
  return compare(got, want.shape(), std::vector<double>(w.begin(), w.end()), atol, rtol, what);
}

std::vector<uint32_t> bits(const mt::Tensor& t) {
  std::vector<uint32_t> out(static_cast<size_t>(t.numel()));
  if (!out.empty()) std::memcpy(out.data(), t.data_ptr<float>(), out.size() * sizeof(float));
  return out;
}

}  // namespace conformance
