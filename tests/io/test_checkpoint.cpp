// Checkpoints: a module and SGD's momentum round-trip bit-exactly; every corrupt file is rejected
// with the module and optimizer unchanged; a writer killed mid-save leaves the previous checkpoint
// loadable. The independent readers (Python, NumPy) are in test_checkpoint_python.cpp.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "checkpoint_corruptions.h"
#include "checkpoint_helpers.h"
#include "helpers.h"

namespace mt = microtorch;
using Catch::Contains;

namespace {

using helpers::TempDir;
using checkpoint_test::TinyModel;
using checkpoint_test::write_bytes;

void train_step(TinyModel& m, mt::optim::SGD& opt) {
  const mt::Tensor ids = mt::tensor(std::vector<int64_t>{1, 3, 3, 6}, {4});
  const mt::Tensor targets = mt::tensor(std::vector<int64_t>{2, 0, 5, 1}, {4});
  opt.zero_grad();
  m.loss(ids, targets).backward();
  opt.step();
}

std::vector<std::vector<float>> values_of(const mt::nn::Module& m) {
  std::vector<std::vector<float>> out;
  for (const auto& entry : m.named_parameters()) out.push_back(entry.second.to_vector<float>());
  return out;
}

}  // namespace

TEST_CASE("checkpoint: a module and SGD momentum round-trip, and training resumes bit-exactly") {
  TempDir dir;
  mt::manual_seed(1);
  TinyModel a;
  mt::optim::SGD opt_a(a.parameters(), mt::optim::SGDOptions(0.1).momentum(0.9));
  train_step(a, opt_a);
  train_step(a, opt_a);
  mt::save(a, dir / "model.safetensors");
  mt::save(opt_a, dir / "opt.safetensors");

  mt::manual_seed(2);  // different initial weights, no momentum yet
  TinyModel b;
  mt::optim::SGD opt_b(b.parameters(), mt::optim::SGDOptions(0.1).momentum(0.9));
  const mt::Tensor live_handle = b.emb.weight;
  mt::load_into(b, dir / "model.safetensors");
  mt::load_into(opt_b, dir / "opt.safetensors");
  REQUIRE(values_of(b) == values_of(a));
  REQUIRE(live_handle.to_vector<float>() == a.emb.weight.to_vector<float>());  // copied in place
  REQUIRE(opt_b.momentum_buffers().size() == 3);
  for (size_t i = 0; i < 3; ++i)
    REQUIRE(opt_b.momentum_buffers()[i].to_vector<float>() == opt_a.momentum_buffers()[i].to_vector<float>());

  train_step(a, opt_a);
  train_step(b, opt_b);
  REQUIRE(values_of(b) == values_of(a));

  const mt::NamedTensors named = mt::load(dir / "model.safetensors");
  REQUIRE(named.size() == 3);
  REQUIRE(mt::load_metadata(dir / "opt.safetensors").at("content") == "SGD state");
}

TEST_CASE("checkpoint: named tensors of every dtype, empty and 0-d ones, with metadata") {
  TempDir dir;
  const mt::NamedTensors tensors{{"f", mt::tensor(std::vector<float>{1.5f, -2.25f, 3e-38f, 7}, {2, 2})},
                                 {"i64", mt::tensor(std::vector<int64_t>{-1, INT64_MAX, 5}, {3})},
                                 {"i32", mt::tensor(std::vector<int32_t>{INT32_MIN}, {})},
                                 {"empty", mt::zeros({0, 4})}};
  mt::save(tensors, dir / "t.safetensors", {{"step", "12"}});
  const mt::NamedTensors back = mt::load(dir / "t.safetensors");
  REQUIRE(back.size() == 4);
  for (const auto& entry : tensors) {  // named, not a structured binding: the lambda captures name (C++17)
    const std::string& name = entry.first;
    const mt::Tensor& t = entry.second;
    auto it = std::find_if(back.begin(), back.end(), [&](const auto& e) { return e.first == name; });
    REQUIRE(it != back.end());
    REQUIRE(it->second.dtype() == t.dtype());
    REQUIRE(it->second.shape() == t.shape());
  }
  REQUIRE(back[0].second.to_vector<float>() == tensors[0].second.to_vector<float>());
  REQUIRE(back[1].second.to_vector<int64_t>() == tensors[1].second.to_vector<int64_t>());
  REQUIRE(back[2].second.item<int32_t>() == INT32_MIN);
  REQUIRE(mt::load_metadata(dir / "t.safetensors") == mt::Metadata{{"step", "12"}});
  REQUIRE(dir.files() == std::vector<std::string>{"t.safetensors"});  // no temporary left behind
}

// F64, F16 and BF16 as safetensors stores them: IEEE binary64, binary16 and float32's upper half, little-endian.
// The bits by hand: half 1.5 = 0x3e00, -2 = 0xc000, 65504 = 0x7bff; bfloat16 1.5 = 0x3fc0, -2 = 0xc000.
TEST_CASE("checkpoint: float64, float16 and bfloat16 tensors round-trip bit for bit, as safetensors' F64, F16, BF16") {
  TempDir dir;
  const mt::Tensor f = mt::tensor({1.5f, -2.0f, 65504.0f});
  const mt::NamedTensors tensors{{"d", mt::tensor(std::vector<double>{0.1, -1e300}, {2})},
                                 {"h", f.half()}, {"b", f.bfloat16()}};
  mt::save(tensors, dir / "t.safetensors");
  std::ifstream in(dir / "t.safetensors", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(bytes, Contains("\"dtype\":\"F64\"") && Contains("\"dtype\":\"F16\"") && Contains("\"dtype\":\"BF16\""));
  CHECK_THAT(bytes, Contains(std::string("\x00\x3e\x00\xc0\xff\x7b", 6)));  // the half values, little-endian
  const mt::NamedTensors back = mt::load(dir / "t.safetensors");
  REQUIRE(back.size() == 3);
  REQUIRE(back[0].second.dtype() == mt::kFloat64);
  CHECK(back[0].second.to_vector<double>() == std::vector<double>{0.1, -1e300});
  REQUIRE(back[1].second.dtype() == mt::kFloat16);
  std::vector<uint16_t> h, b;
  for (mt::Half v : back[1].second.to_vector<mt::Half>()) h.push_back(v.bits);
  CHECK(h == std::vector<uint16_t>{0x3e00, 0xc000, 0x7bff});
  REQUIRE(back[2].second.dtype() == mt::kBFloat16);
  for (mt::BFloat16 v : back[2].second.to_vector<mt::BFloat16>()) b.push_back(v.bits);
  CHECK(b == std::vector<uint16_t>{0x3fc0, 0xc000, 0x4780});  // 65504 rounds to 65536 in bfloat16
}

TEST_CASE("checkpoint: every corrupt file is rejected, naming the file, and nothing changes") {
  TempDir dir;
  mt::manual_seed(3);
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(3, 2));
  mt::optim::SGD opt(emb.parameters(), mt::optim::SGDOptions(0.1).momentum(0.5));
  emb(mt::tensor(std::vector<int64_t>{0, 2}, {2})).sum().backward();
  opt.step();
  const std::vector<float> weight = emb.weight.to_vector<float>();
  const std::vector<float> momentum = opt.momentum_buffers()[0].to_vector<float>();
  for (const auto& bad : checkpoint_test::corrupt_files()) {
    SECTION(bad.kind) {
      const std::string path = dir / "bad.safetensors";
      write_bytes(path, bad.bytes);
      for (int target = 0; target < 3; ++target) {
        try {
          if (target == 0) mt::load_into(emb, path);
          else if (target == 1) mt::load_into(opt, path);
          else mt::load(path);
          FAIL("accepted a corrupt file: " << bad.kind);
        } catch (const std::runtime_error& e) {
          INFO(bad.kind << ": " << e.what());
          CHECK_THAT(e.what(), Contains(path));
          for (const std::string& word : bad.words) CHECK_THAT(e.what(), Contains(word));
        }
      }
      REQUIRE(emb.weight.to_vector<float>() == weight);
      REQUIRE(opt.momentum_buffers()[0].to_vector<float>() == momentum);
    }
  }
}

TEST_CASE("checkpoint: a valid file that does not fit the module is rejected, naming both shapes") {
  TempDir dir;
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(3, 2));
  mt::nn::Linear lin(mt::nn::LinearOptions(2, 3));
  const std::vector<float> weight = emb.weight.to_vector<float>();
  mt::save(mt::NamedTensors{{"weight", mt::zeros({4, 2})}}, dir / "shape.safetensors");
  REQUIRE_THROWS_AS(mt::load_into(emb, dir / "shape.safetensors"), std::invalid_argument);
  REQUIRE_THROWS_WITH(mt::load_into(emb, dir / "shape.safetensors"),
                      Contains("'weight'") && Contains("[4, 2]") && Contains("[3, 2]") && Contains("shape.safetensors"));
  mt::save(mt::NamedTensors{{"weight", mt::zeros({3, 2}, mt::kInt64)}}, dir / "dtype.safetensors");
  REQUIRE_THROWS_WITH(mt::load_into(emb, dir / "dtype.safetensors"), Contains("int64") && Contains("float32"));
  // Linear wants weight and bias: a file with only weight is missing one, a bias too many for the embedding.
  mt::save(mt::NamedTensors{{"weight", mt::zeros({3, 2})}, {"bias", mt::zeros({3})}}, dir / "lin.safetensors");
  REQUIRE_THROWS_WITH(mt::load_into(emb, dir / "lin.safetensors"), Contains("unexpected tensor 'bias'"));
  mt::save(mt::NamedTensors{{"weight", mt::zeros({3, 2})}}, dir / "nobias.safetensors");
  REQUIRE_THROWS_WITH(mt::load_into(lin, dir / "nobias.safetensors"), Contains("no tensor 'bias'"));
  REQUIRE(emb.weight.to_vector<float>() == weight);
  REQUIRE_THROWS_WITH(mt::load_into(emb, dir / "missing.safetensors"), Contains("missing.safetensors") && Contains("cannot open"));
}

TEST_CASE("checkpoint: a rejected save leaves the previous file and no temporary") {
  TempDir dir;
  const std::string path = dir / "keep.safetensors";
  mt::save(mt::NamedTensors{{"w", mt::ones({2})}}, path);
  REQUIRE_THROWS_AS(mt::save(mt::NamedTensors{{"w", mt::zeros({2})}, {"w", mt::zeros({1})}}, path), std::invalid_argument);
  REQUIRE_THROWS_AS(mt::save(mt::NamedTensors{{"w", mt::Tensor()}}, path), std::invalid_argument);
  REQUIRE_THROWS_WITH(mt::save(mt::NamedTensors{{"w", mt::ones({2})}}, dir / "no/such/dir.safetensors"),
                      Contains("no/such/dir.safetensors"));
  REQUIRE(mt::load(path)[0].second.to_vector<float>() == std::vector<float>{1, 1});
  REQUIRE(dir.files() == std::vector<std::string>{"keep.safetensors"});
}

namespace {

// Every element of a loaded checkpoint's "w" equals its "generation" metadata: a torn file would mix.
void require_consistent(const std::string& path) {
  const mt::NamedTensors t = mt::load(path);
  const float generation = std::stof(mt::load_metadata(path).at("generation"));
  REQUIRE(t.size() == 1);
  const std::vector<float> w = t[0].second.to_vector<float>();
  REQUIRE(std::all_of(w.begin(), w.end(), [generation](float x) { return x == generation; }));
}

// The size of a temporary file (".tmp-" in its name) in `dir`, or -1 when there is none.
long long temp_file_size(const TempDir& dir) {
  for (const std::string& name : dir.files()) {
    struct stat st {};
    if (name.find(".tmp-") != std::string::npos && ::stat((dir / name).c_str(), &st) == 0) return st.st_size;
  }
  return -1;
}

}  // namespace

TEST_CASE("checkpoint: a writer killed mid-save leaves the previous checkpoint intact") {
  TempDir dir;
  const std::string path = dir / "big.safetensors";
  const int64_t n = 8 << 20;  // 32 MB of float32: long enough to be caught mid-write
  mt::save(mt::NamedTensors{{"w", mt::zeros({n})}}, path, {{"generation", "0"}});
  const long long full = static_cast<long long>(n) * 4;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // The writer: overwrite the checkpoint with generation 1, 2, ... until killed.
      for (int generation = 1;; ++generation) {
        try {
          mt::save(mt::NamedTensors{{"w", mt::full({n}, static_cast<float>(generation))}}, path,
                   {{"generation", std::to_string(generation)}});
        } catch (...) {
          ::_exit(1);
        }
      }
    }
    // Kill it while a temporary file is partly written (more than 1 MB in, less than half).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    long long seen = -1;
    while (std::chrono::steady_clock::now() < deadline) {
      seen = temp_file_size(dir);
      if (seen > (1 << 20) && seen < full / 2) break;
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    const bool mid_write = temp_file_size(dir) >= 0;  // the torn temporary is still there
    INFO("attempt " << attempt << ": temporary at " << seen << " bytes when killed");
    require_consistent(path);
    for (const std::string& name : dir.files())
      if (name != "big.safetensors") std::remove((dir / name).c_str());
    if (mid_write) return;  // the kill landed mid-write and the checkpoint survived
  }
  FAIL("the writer was never caught mid-write in 5 attempts");
}

// float64 and float16 as NumPy's '<f8' and '<f2' (the half bits by hand: 1.5 = 0x3e00, -2 = 0xc000,
// 65504 = 0x7bff); bfloat16, which NumPy lacks, is refused by name.
TEST_CASE("npy: float64 and float16 round-trip bit for bit as '<f8' and '<f2', bfloat16 is refused") {
  TempDir dir;
  const mt::Tensor d = mt::tensor(std::vector<double>{0.1, -1e300, 3}, {3, 1});
  const mt::Tensor h = mt::tensor({1.5f, -2.0f, 65504.0f}).half();
  mt::save_npy(d, dir / "d.npy");
  mt::save_npy(h, dir / "h.npy");
  std::ifstream in(dir / "h.npy", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(bytes, Contains("'descr': '<f2'"));
  CHECK(bytes.substr(bytes.size() - 6) == std::string("\x00\x3e\x00\xc0\xff\x7b", 6));
  const mt::Tensor d2 = mt::load_npy(dir / "d.npy"), h2 = mt::load_npy(dir / "h.npy");
  CHECK(d2.dtype() == mt::kFloat64);
  CHECK(d2.shape() == mt::Shape{3, 1});
  CHECK(d2.to_vector<double>() == std::vector<double>{0.1, -1e300, 3});
  REQUIRE(h2.dtype() == mt::kFloat16);
  std::vector<uint16_t> bits;
  for (mt::Half v : h2.to_vector<mt::Half>()) bits.push_back(v.bits);
  CHECK(bits == std::vector<uint16_t>{0x3e00, 0xc000, 0x7bff});
  CHECK_THROWS_WITH(mt::save_npy(h.bfloat16(), dir / "b.npy"), Contains("bfloat16"));
}
