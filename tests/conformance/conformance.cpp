// The reference-case reader and the comparisons declared in conformance.h.
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

std::vector<Case> cases(const std::string& sub, const std::vector<std::string>& kinds, size_t at_least) {
  std::vector<Case> out;
  const std::string dir = shared_dir(sub);
  if (dir.empty()) return out;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".txt") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    Case c = load_case(dir, name);
    const std::string kind = c.has("kind") ? c.options.at("kind") : kind_of(name);
    if (std::find(kinds.begin(), kinds.end(), kind) != kinds.end()) out.push_back(std::move(c));
  }
  INFO("cases of " << kinds.front() << (kinds.size() > 1 ? " and more" : "") << " in " << dir);
  REQUIRE(out.size() >= at_least);
  return out;
}

std::string mismatch(const mt::Tensor& got, const Record& want, double atol, double rtol, const std::string& what) {
  return helpers::mismatch(got, want.shape, want.values, atol, rtol, what);
}

std::string scaled_mismatch(const mt::Tensor& got, const Record& want, const std::string& what, double rtol, double atol) {
  if (!got.defined()) return what + ": undefined";
  if (got.shape() != want.shape) return what + ": shape " + mt::shape_str(got.shape()) + ", PyTorch " + mt::shape_str(want.shape);
  std::vector<double> g;
  if (got.dtype() == mt::kInt64) for (int64_t v : got.to_vector<int64_t>()) g.push_back(static_cast<double>(v));
  else for (float v : got.to_vector<float>()) g.push_back(v);
  double scale = 1.0;
  for (double w : want.values) scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < g.size(); ++i) {
    const double w = want.values[i];
    if (std::isinf(w) && g[i] == w) continue;
    if (!(std::fabs(g[i] - w) <= atol * scale + rtol * std::fabs(w)))
      return what + "[" + std::to_string(i) + "] = " + std::to_string(g[i]) + ", PyTorch " + std::to_string(w);
  }
  return "";
}

}  // namespace conformance
