// A checkpoint written by microtorch read back by an independent reader: Python's standard library
// (struct + json) for safetensors and NumPy for .npy; and a NumPy-written .npy read by microtorch.
// Skipped with a warning where python3 (or numpy) is absent.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "checkpoint_helpers.h"
#include "helpers.h"

namespace mt = microtorch;
using helpers::TempDir;
using checkpoint_test::TinyModel;
using checkpoint_test::write_bytes;

namespace {

// An interpreter that has `module` importable, or "" (the checks that need it are skipped).
std::string python_with(const std::string& module) {
  for (const char* py : {"python3", "/usr/bin/python3"})
    if (std::system((std::string(py) + " -c 'import " + module + "' >/dev/null 2>&1").c_str()) == 0) return py;
  return "";
}

// Runs `script` with `python`; its standard output becomes the returned lines.
std::vector<std::string> run_python(const std::string& python, const std::string& script, const TempDir& dir) {
  const std::string script_path = dir / "reader.py", out_path = dir / "reader.out";
  write_bytes(script_path, script);
  const int rc = std::system((python + " " + script_path + " '" + dir.path + "' > " + out_path).c_str());
  REQUIRE(rc == 0);
  std::ifstream in(out_path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "name dtype shape v0 v1 ..." as the reader prints it, for comparison with a tensor.
std::string describe(const std::string& name, const mt::Tensor& t) {
  std::ostringstream s;
  s << name << ' ' << mt::dtype_name(t.dtype()) << ' ' << mt::shape_str(t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (t.dtype() == mt::kFloat32) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %.9g", static_cast<double>(t.data_ptr<float>()[i]));  // 9 digits: exact for float32
      s << buf;
    } else {
      s << ' ' << (t.dtype() == mt::kInt64 ? t.data_ptr<int64_t>()[i] : t.data_ptr<int32_t>()[i]);
    }
  }
  return s.str();
}

// Parses safetensors with nothing but the standard library and prints every tensor by describe()'s rules.
const char* const kStdlibReader = R"PY(
import json, struct, sys
path = sys.argv[1] + "/model.safetensors"
raw = open(path, "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
meta = header.pop("__metadata__", {})
assert meta.get("producer") == "microtorch", meta
fmt = {"F32": ("f", 4, "float32"), "I64": ("q", 8, "int64"), "I32": ("i", 4, "int32")}
covered = 0
for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
    code, size, dtype = fmt[info["dtype"]]
    begin, end = info["data_offsets"]
    assert begin == covered, (name, begin, covered)
    count = 1
    for d in info["shape"]:
        count *= d
    assert end - begin == count * size, name
    values = struct.unpack("<%d%s" % (count, code), data[begin:end])
    shown = ["%.9g" % v if code == "f" else str(v) for v in values]
    print(name, dtype, "[" + ", ".join(map(str, info["shape"])) + "]", *shown)
    covered = end
assert covered == len(data)
)PY";

// Reads the .npy with NumPy, and writes one with NumPy for microtorch to read.
const char* const kNumpyReader = R"PY(
import sys
import numpy as np
d = sys.argv[1]
w = np.load(d + "/wte.npy")
assert w.dtype == np.float32 and w.flags.c_contiguous
print("wte", "float32", "[" + ", ".join(map(str, w.shape)) + "]", *["%.9g" % float(v) for v in w.ravel()])
ids = np.load(d + "/ids.npy")
print("ids", str(ids.dtype), "[" + ", ".join(map(str, ids.shape)) + "]", *[str(v) for v in ids.ravel()])
np.save(d + "/from_numpy.npy", (np.arange(12, dtype=np.float32).reshape(3, 4) / 7).astype(np.float32))
)PY";

}  // namespace

TEST_CASE("checkpoint: Python's struct + json and NumPy read what microtorch wrote") {
  const std::string python = python_with("json");
  if (python.empty()) {
    WARN("python3 not found: the independent-reader check is skipped");
    return;
  }
  TempDir dir;
  mt::manual_seed(4);
  TinyModel m;
  mt::save(m, dir / "model.safetensors");
  std::vector<std::string> want;
  for (const auto& [name, t] : m.named_parameters()) want.push_back(describe(name, t));
  std::vector<std::string> got = run_python(python, kStdlibReader, dir);
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  REQUIRE(got == want);

  const std::string numpy = python_with("numpy");
  if (numpy.empty()) {
    WARN("numpy not importable: the .npy check is skipped");
    return;
  }
  const mt::Tensor ids = mt::tensor(std::vector<int64_t>{3, -1, INT64_MAX}, {1, 3});
  mt::save_npy(m.emb.weight, dir / "wte.npy");
  mt::save_npy(ids, dir / "ids.npy");
  const std::vector<std::string> lines = run_python(numpy, kNumpyReader, dir);
  REQUIRE(lines == std::vector<std::string>{describe("wte", m.emb.weight), describe("ids", ids)});
  const mt::Tensor from_numpy = mt::load_npy(dir / "from_numpy.npy");
  REQUIRE(from_numpy.shape() == mt::Shape{3, 4});
  for (int64_t i = 0; i < 12; ++i) REQUIRE(from_numpy.data_ptr<float>()[i] == static_cast<float>(i) / 7.0f);
  REQUIRE(mt::load_npy(dir / "wte.npy").to_vector<float>() == m.emb.weight.to_vector<float>());
}
