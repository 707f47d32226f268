// The bad-input catalogue, continued: inputs that once crashed, hung or corrupted memory (sizes whose
// element or byte count overflows, impossible allocations, unbounded trunc_normal_ parameters, deeply
// nested or non-UTF-8 checkpoint headers, undefined or 0-d tensors where rows are expected) and faults
// whose message named the wrong thing. Each row: the exception type and the words its message must
// contain; then the model's weights must be unchanged.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <functional>
#include <limits>

#include "catalogue.h"
#include "helpers.h"
#include "io/checkpoint_corruptions.h"
#include "io/checkpoint_helpers.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
namespace init = mt::nn::init;
using checkpoint_test::safetensors_bytes;

namespace {

// Embedding (5, 3) -> Linear (3 -> 5): the weights a rejected call must leave alone.
struct Model : mt::nn::Module {
  Model() : emb(mt::nn::EmbeddingOptions(5, 3)), head(mt::nn::LinearOptions(3, 5)) {}
  mt::NamedTensors named_parameters() const override {
    return {{"emb.weight", emb.weight}, {"head.weight", head.weight}, {"head.bias", head.bias}};
  }
  std::vector<std::vector<float>> state() const {
    std::vector<std::vector<float>> out;
    for (const auto& entry : named_parameters()) out.push_back(entry.second.to_vector<float>());
    return out;
  }
  mt::nn::Embedding emb;
  mt::nn::Linear head;
};

using catalogue::Throws;
using Rejected = catalogue::Rejected<Model>;

constexpr int64_t kTwo32 = int64_t{1} << 32, kTwo40 = int64_t{1} << 40, kTwo61 = int64_t{1} << 61,
                  kTwo62 = int64_t{1} << 62;

std::vector<Rejected> size_rows() {
  using T = Throws;
  return {
      {"Embedding(2^32, 2^32): numel wraps to 0", T::InvalidArgument, {"[4294967296, 4294967296]", "overflows int64"},
       [](Model&) { mt::nn::Embedding(mt::nn::EmbeddingOptions(kTwo32, kTwo32)); }},
      {"Embedding(2^61, 2): bytes wrap", T::InvalidArgument, {"[2305843009213693952, 2]", "byte count"},
       [](Model&) { mt::nn::Embedding(mt::nn::EmbeddingOptions(kTwo61, 2)); }},
      {"ones({2^62})", T::InvalidArgument, {"[4611686018427387904]", "float32", "byte count"},
       [](Model&) { mt::ones({kTwo62}); }},
      {"randn({2^61, 2})", T::InvalidArgument, {"[2305843009213693952, 2]"}, [](Model&) { mt::randn({kTwo61, 2}); }},
      {"zeros int64 {2^60, 2}", T::InvalidArgument, {"[1152921504606846976, 2]", "int64"},
       [](Model&) { mt::zeros({int64_t{1} << 60, 2}, mt::kInt64); }},
      {"a zero dimension does not hide an overflow", T::InvalidArgument, {"[0, 4294967296, 4294967296]"},
       [](Model&) { mt::zeros({0, kTwo32, kTwo32}); }},
      {"Embedding(2^40, 2^20): more than the machine has", T::RuntimeError, {"4611686018427387904 bytes", "[1099511627776, 1048576]"},
       [](Model&) { mt::nn::Embedding(mt::nn::EmbeddingOptions(kTwo40, int64_t{1} << 20)); }},
      {"empty({2^40, 2^20})", T::RuntimeError, {"cannot allocate", "memory"}, [](Model&) { mt::empty({kTwo40, int64_t{1} << 20}); }},
      {"rand({2^62})", T::InvalidArgument, {"[4611686018427387904]"}, [](Model&) { mt::rand({kTwo62}); }},
      {"randint into {2^62}", T::InvalidArgument, {"[4611686018427387904]"}, [](Model&) { mt::randint(0, 3, {kTwo62}); }},
      {"eye(2^32)", T::InvalidArgument, {"[4294967296, 4294967296]"}, [](Model&) { mt::eye(kTwo32); }},
      {"arange(-1)", T::InvalidArgument, {"[-1]", "negative"}, [](Model&) { mt::arange(-1); }},
      {"tensor() into an overflowing shape", T::InvalidArgument, {"[4294967296, 4294967296]"},
       [](Model&) { mt::tensor(std::vector<float>{}, {kTwo32, kTwo32}); }},
      {"view with an overflowing shape", T::InvalidArgument, {"view", "[-1, 4294967296, 4294967296]"},
       [](Model& m) { m.emb.weight.view({-1, kTwo32, kTwo32}); }},
      {"view of 15 elements as 2^62 x 0", T::InvalidArgument, {"view", "[4611686018427387904, 0]", "15 elements"},
       [](Model& m) { m.emb.weight.view({kTwo62, 0}); }},
      {"one_hot into 2^62 classes", T::InvalidArgument, {"[1, 4611686018427387904]"},
       [](Model&) { mt::one_hot(mt::tensor(std::vector<int64_t>{0}, {1}), kTwo62); }},
      {"a huge broadcast", T::InvalidArgument, {"[4294967296, 4294967296, 0]"},
       [](Model&) { mt::zeros({kTwo32, 0}).view({kTwo32, 1, 0}) + mt::zeros({1, kTwo32, 0}).view({1, kTwo32, 0}); }},
  };
}

std::vector<Rejected> init_rows() {
  using T = Throws;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  return {
      {"trunc_normal_ NaN mean", T::InvalidArgument, {"trunc_normal_", "mean", "nan"},
       [nan](Model& m) { init::trunc_normal_(m.emb.weight, nan, 1.0, -2.0, 2.0); }},
      {"trunc_normal_ infinite std", T::InvalidArgument, {"trunc_normal_", "std", "inf"},
       [inf](Model& m) { init::trunc_normal_(m.emb.weight, 0.0, inf, -2.0, 2.0); }},
      {"trunc_normal_ infinite mean", T::InvalidArgument, {"trunc_normal_", "mean", "inf"},
       [inf](Model& m) { init::trunc_normal_(m.emb.weight, -inf, 1.0, -2.0, 2.0); }},
      {"trunc_normal_ std 0", T::InvalidArgument, {"trunc_normal_", "std", "> 0"},
       [](Model& m) { init::trunc_normal_(m.emb.weight, 0.0, 0.0, -2.0, 2.0); }},
      {"trunc_normal_ a > b", T::InvalidArgument, {"trunc_normal_", "a <= b", "[3, 2]"},
       [](Model& m) { init::trunc_normal_(m.emb.weight, 0.0, 1.0, 3.0, 2.0); }},
      {"trunc_normal_ NaN bound", T::InvalidArgument, {"trunc_normal_", "nan"},
       [nan](Model& m) { init::trunc_normal_(m.emb.weight, 0.0, 1.0, nan, 2.0); }},
      {"trunc_normal_ window [inf, inf]", T::InvalidArgument, {"trunc_normal_", "no finite value"},
       [inf](Model& m) { init::trunc_normal_(m.emb.weight, 0.0, 1.0, inf, inf); }},
      {"uniform_ wider than float32", T::InvalidArgument, {"uniform_", "float32 maximum"},
       [](Model& m) { init::uniform_(m.emb.weight, -1e308, 1e308); }},
      {"normal_ NaN mean", T::InvalidArgument, {"normal_", "mean", "nan"}, [nan](Model& m) { init::normal_(m.emb.weight, nan, 1.0); }},
      {"normal_ infinite std", T::InvalidArgument, {"normal_", "std", "inf"}, [inf](Model& m) { init::normal_(m.emb.weight, 0.0, inf); }},
      {"uniform_ infinite bound", T::InvalidArgument, {"uniform_", "b", "inf"}, [inf](Model& m) { init::uniform_(m.emb.weight, 0.0, inf); }},
      {"trunc_normal_ of an int64 tensor", T::InvalidArgument, {"trunc_normal_", "float32", "int64"},
       [](Model&) { init::trunc_normal_(mt::zeros({2}, mt::kInt64)); }},
  };
}

std::vector<Rejected> entry_rows() {
  using T = Throws;
  return {
      {"sparse_grad of an undefined tensor", T::InvalidArgument, {"sparse_grad", "undefined"},
       [](Model&) { mt::sparse_grad(mt::Tensor()); }},
      {"sparse_grad of a 0-d tensor", T::InvalidArgument, {"sparse_grad", "2-D", "[]"},
       [](Model&) { mt::sparse_grad(mt::ones({})); }},
      {"sparse_grad of a 1-D tensor", T::InvalidArgument, {"sparse_grad", "[4]"}, [](Model&) { mt::sparse_grad(mt::ones({4})); }},
      {"from_pretrained int64 table", T::InvalidArgument, {"from_pretrained", "float32", "int64"},
       [](Model&) { mt::nn::Embedding::from_pretrained(mt::zeros({2, 3}, mt::kInt64)); }},
      {"F::linear int64 bias", T::InvalidArgument, {"linear", "bias", "int64"},
       [](Model& m) { F::linear(mt::zeros({2, 3}), m.head.weight, mt::zeros({5}, mt::kInt64)); }},
      {"F::linear int32 weight", T::InvalidArgument, {"linear", "weight", "int32"},
       [](Model&) { F::linear(mt::zeros({2, 3}), mt::zeros({5, 3}, mt::kInt32), mt::Tensor()); }},
      {"F::linear int64 input", T::InvalidArgument, {"linear", "input", "int64"},
       [](Model& m) { F::linear(mt::zeros({2, 3}, mt::kInt64), m.head.weight, m.head.bias); }},
      {"F::linear undefined weight", T::InvalidArgument, {"linear", "weight", "undefined"},
       [](Model&) { F::linear(mt::zeros({2, 3}), mt::Tensor(), mt::Tensor()); }},
  };
}

// A header whose "shape" is `depth` nested arrays: ~2 bytes per level.
std::string nested_shape_file(size_t depth) {
  const std::string header = R"({"weight":{"dtype":"F32","shape":)" + std::string(depth, '[') + std::string(depth, ']') +
                             R"(,"data_offsets":[0,24]}})";
  return safetensors_bytes(header, checkpoint_test::weight_data());
}

std::vector<Rejected> file_rows(const helpers::TempDir& dir) {
  using T = Throws;
  auto file = [&dir](const std::string& name, const std::string& bytes) {
    checkpoint_test::write_bytes(dir / name, bytes);
    return dir / name;
  };
  const std::string data = checkpoint_test::weight_data();
  const std::string deep = file("deep.safetensors", nested_shape_file(100000));
  const std::string deep_meta = file("deep_meta.safetensors", safetensors_bytes(
      R"({"__metadata__":{"a":)" + std::string(20, '[') + std::string(20, ']') + "}}", ""));
  const std::string bad_utf8 = file("utf8.safetensors", safetensors_bytes(
      "{\"we\xff\xfeght\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]}}", data));
  const std::string overlong = file("overlong.safetensors", safetensors_bytes(
      "{\"\xc0\xafweight\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]}}", data));
  const std::string twice = file("twice.safetensors", safetensors_bytes(
      R"({"weight":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
      R"("weight":{"dtype":"F32","shape":[3],"data_offsets":[12,24]}})", data));
  const std::string twice_field = file("twice_field.safetensors", safetensors_bytes(
      R"({"weight":{"dtype":"F32","shape":[3,2],"shape":[6],"data_offsets":[0,24]}})", data));
  const std::string long_string = file("long.safetensors", safetensors_bytes("{\"" + std::string(300000, 'x'), ""));
  const std::string control = file("control.safetensors", safetensors_bytes(
      R"({"w\u0000\n":{"dtype":"F8_E5M2","shape":[3,2],"data_offsets":[0,24]}})", data));
  const std::string nested_value = file("nested_value.safetensors", safetensors_bytes(
      R"({"weight":{"dtype":"F32","shape":[3,{"a":")" + std::string(1000, 'x') + R"("}],"data_offsets":[0,24]}})", data));
  const std::string zero_hides = file("zero_hides.safetensors", safetensors_bytes(
      R"({"weight":{"dtype":"F32","shape":[0,4611686018427387904,4611686018427387904],"data_offsets":[0,0]}})", ""));
  return {
      {"a zero dimension hiding an overflowing shape", T::RuntimeError, {"zero_hides.safetensors", "'weight'", "too large"},
       [zero_hides](Model&) { mt::load(zero_hides); }},
      {"a 200 KB header nested 100,000 deep", T::RuntimeError, {"deep.safetensors", "deeper than 16", "byte"},
       [deep](Model& m) { mt::load_into(m, deep); }},
      {"metadata nested 20 deep", T::RuntimeError, {"deep_meta.safetensors", "deeper than 16"},
       [deep_meta](Model&) { mt::load(deep_meta); }},
      {"a tensor name with invalid UTF-8", T::RuntimeError, {"utf8.safetensors", "invalid UTF-8", "0xff", "header byte 4"},
       [bad_utf8](Model& m) { mt::load_into(m, bad_utf8); }},
      {"an overlong UTF-8 name", T::RuntimeError, {"invalid UTF-8", "0xc0"}, [overlong](Model& m) { mt::load_into(m, overlong); }},
      {"a tensor name twice", T::RuntimeError, {"twice.safetensors", "\"weight\" twice", "two tensors of one name"},
       [twice](Model& m) { mt::load_into(m, twice); }},
      {"a field twice in one entry", T::RuntimeError, {"\"shape\" twice"}, [twice_field](Model& m) { mt::load_into(m, twice_field); }},
      {"a 300 KB unterminated string", T::RuntimeError, {"long.safetensors", "not valid JSON", "header byte"},
       [long_string](Model& m) { mt::load_into(m, long_string); }},
      {"control characters in a name are escaped", T::RuntimeError, {"tensor 'w\\x00\\x0a'", "unknown dtype \"F8_E5M2\""},
       [control](Model&) { mt::load(control); }},
      {"a nested value in a shape", T::RuntimeError, {"'weight'", "\"shape\"", "a JSON object"},
       [nested_value](Model& m) { mt::load_into(m, nested_value); }},
      {"load_into a directory", T::RuntimeError, {dir.path, "is a directory"}, [&dir](Model& m) { mt::load_into(m, dir.path); }},
      {"load of a directory", T::RuntimeError, {dir.path, "is a directory"}, [&dir](Model&) { mt::load(dir.path); }},
      {"load of a device that never ends", T::RuntimeError, {"/dev/zero", "not a regular file"}, [](Model&) { mt::load("/dev/zero"); }},
      {"load_npy of a directory", T::RuntimeError, {dir.path, "is a directory"}, [&dir](Model&) { mt::load_npy(dir.path); }},
      {"save a name that is not UTF-8", T::InvalidArgument, {"tensor name", "not valid UTF-8", "\\xff", "offset 2"},
       [&dir](Model& m) { mt::save({{"ab\xff", m.emb.weight}}, dir / "bad_name.safetensors"); }},
      {"save metadata that is not UTF-8", T::InvalidArgument, {"metadata value", "not valid UTF-8", "\\xc3"},
       [&dir](Model& m) { mt::save({{"w", m.emb.weight}}, dir / "bad_meta.safetensors", {{"k", "caf\xc3"}}); }},
      {"save over a directory", T::RuntimeError, {"is a directory", dir.path},
       [&dir](Model& m) { mt::save(m, dir.path); }},
  };
}

}  // namespace

TEST_CASE("catalogue: sizes whose element or byte count overflows, and allocations too large for the machine") {
  catalogue::check_rows(size_rows(), 11);
}

TEST_CASE("catalogue: init parameters that are NaN, infinite or out of order") { catalogue::check_rows(init_rows(), 11); }

TEST_CASE("catalogue: sparse_grad, F::linear and from_pretrained name the argument and dtype") { catalogue::check_rows(entry_rows(), 11); }

TEST_CASE("catalogue: checkpoint headers nested deep, not UTF-8, with repeated keys, and directories, and bad names") {
  const helpers::TempDir dir;
  // The same file nested 1 deep (a valid shape [3, 2] at depth 3) loads, so the rows fail for the nesting.
  checkpoint_test::write_bytes(dir / "ok.safetensors", safetensors_bytes(checkpoint_test::valid_header(), checkpoint_test::weight_data()));
  REQUIRE(mt::load(dir / "ok.safetensors")[0].second.shape() == mt::Shape{3, 2});
  catalogue::check_rows(file_rows(dir), 11);
}
