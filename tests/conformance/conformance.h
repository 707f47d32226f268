// The reader for the PyTorch reference cases in $MICROTORCH_SHARED/conformance/NAME.txt and conformance/v2
// (format in those folders' READMEs), and the comparisons of a tensor with a case's record.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <microtorch/microtorch.h>

#include "helpers.h"

namespace conformance {

namespace mt = microtorch;
using helpers::bits;
using helpers::mismatch;  // the tensor-against-tensor overload, beside the record one below

// One `tensor NAME DTYPE NDIM D0 .. V0 V1 ...` record; f32 values are printed to round-trip exactly.
struct Record {
  bool i64 = false;
  mt::Shape shape;
  std::vector<double> values;
};

struct Case {
  std::string name;                              // the file name without .txt
  std::map<std::string, std::string> options;   // `option NAME VALUE`
  std::map<std::string, Record> tensors;
  bool has(const std::string& option) const { return options.count(option) != 0; }
  double option(const std::string& name, double fallback = 0.0) const;
  const Record& record(const std::string& name) const;  // throws naming the case and the missing record
  mt::Tensor tensor(const std::string& name) const;     // a fresh float32 or int64 tensor
  mt::Tensor leaf(const std::string& name) const { return tensor(name).requires_grad_(true); }
};

// The folder holding the reference cases, or "" when $MICROTORCH_SHARED or the folder is missing: then
// the calling test FAILs when $CI is "true" and otherwise WARNs (Catch2 v2 cannot skip) and should return.
std::string shared_dir(const std::string& sub = "conformance");

// Sorted case names (file names without .txt) in `dir` whose kind is `kind` ("embedding", "sgd", ...):
// NAME starts with kind, after an optional "h_" prefix.
std::vector<std::string> case_names(const std::string& dir, const std::string& kind);
// Every case file's kind (its name up to the first '_' after the optional "h_", or the whole name).
std::string kind_of(const std::string& name);

Case load_case(const std::string& dir, const std::string& name);  // throws std::runtime_error on a bad file

// The cases in $MICROTORCH_SHARED/<sub> whose kind is one of `kinds` (a case's `option kind`, which the v2 folder
// gives, else kind_of its name), sorted by name. Fails the test when there are fewer than `at_least`; returns none
// when the folder is missing (shared_dir has WARNed, or FAILed when $CI is "true").
std::vector<Case> cases(const std::string& sub, const std::vector<std::string>& kinds, size_t at_least = 1);

// "" when got matches want element-wise with |got - want| <= atol + rtol * |want| (atol = rtol = 0: bit-exact),
// else a line naming what, the shape or the first bad index, got and want.
std::string mismatch(const mt::Tensor& got, const Record& want, double atol, double rtol, const std::string& what);

// The v2 folder's tolerance, as ../shared/contract/v2/conformance_v2.cpp's expect(): "" when
// |got - want| <= atol * max(1, max |want|) + rtol * |want| everywhere (an infinite want matched exactly; int64
// compared as values), else the first element that is off.
std::string scaled_mismatch(const mt::Tensor& got, const Record& want, const std::string& what, double rtol = 1e-5,
                            double atol = 1e-5);

}  // namespace conformance
