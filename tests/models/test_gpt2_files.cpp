// GPT2's files: save_pretrained then from_pretrained is bit-exact and writes PyTorch's bytes back; malformed
// Hugging Face folders and llm.c files are refused with the error type and a message naming the tensor.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>
#include <microtorch/models/checkpoint/convert.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace {

namespace mt = microtorch;
namespace fs = std::filesystem;
namespace ck = microtorch::models::checkpoint;
using mt::models::GPT2;
using mt::models::GPT2Config;

const std::string kData = std::string(MICROTORCH_SOURCE_DIR) + "/tests/models/data";

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// A scratch copy of a committed checkpoint folder.
std::string scratch_copy(const std::string& name, const std::string& tag) {
  const fs::path dir = fs::temp_directory_path() / ("microtorch_gpt2_" + tag);
  fs::remove_all(dir);
  fs::copy(kData + "/" + name, dir);
  for (const auto& e : fs::directory_iterator(dir)) fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  return dir.string();
}

// The safetensors header as JSON, and the data after it.
std::pair<nlohmann::json, std::string> split_safetensors(const std::string& bytes) {
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  return {nlohmann::json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}
std::string join_safetensors(const nlohmann::json& header, const std::string& data) {
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const uint64_t n = text.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + text + data;
}

// The error from_pretrained(path) throws, checked for its type and for every piece of its message.
template <class E> void check_refused(const std::string& path, const std::vector<std::string>& pieces) {
  INFO("loading " << path);
  try {
    GPT2::from_pretrained(path);
    FAIL("loaded");
  } catch (const E& e) {
    for (const auto& p : pieces) CHECK_THAT(e.what(), Catch::Contains(p));
  }
}

}  // namespace

TEST_CASE("GPT2 save_pretrained then from_pretrained: the same bits, config and logits", "[gpt2]") {
  mt::manual_seed(11);
  GPT2 model(GPT2Config().vocab_size(30).n_positions(12).n_embd(12).n_layer(2).n_head(3).n_inner(20));
  const std::string dir = (fs::temp_directory_path() / "microtorch_gpt2_roundtrip").string();
  fs::remove_all(dir);
  model.save_pretrained(dir);
  GPT2 again = GPT2::from_pretrained(dir);
  CHECK(again.config().n_inner() == std::optional<int64_t>(20));
  CHECK(again.config().n_head() == 3);
  const auto a = model.named_parameters(), b = again.named_parameters();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].first == b[i].first);
    CHECK(a[i].second.to_vector<float>() == b[i].second.to_vector<float>());
  }
  // the file as Hugging Face lays it out: Conv1D weights (in, out)
  std::map<std::string, mt::Shape> shapes;
  for (auto& [name, t] : mt::load(dir + "/model.safetensors")) shapes[name] = t.shape();
  CHECK(shapes.at("h.1.mlp.c_fc.weight") == mt::Shape{12, 20});
  CHECK(shapes.at("h.0.attn.c_attn.weight") == mt::Shape{12, 36});
  CHECK(shapes.at("wte.weight") == mt::Shape{30, 12});
  CHECK(shapes.size() == 2 + 2 * 12 + 2);
}

TEST_CASE("GPT2 save_pretrained writes back the data bytes PyTorch wrote", "[gpt2]") {
  const std::string dir = (fs::temp_directory_path() / "microtorch_gpt2_resave").string();
  fs::remove_all(dir);
  GPT2::from_pretrained(kData + "/f32").save_pretrained(dir);
  auto [h0, d0] = split_safetensors(read_bytes(kData + "/f32/model.safetensors"));
  auto [h1, d1] = split_safetensors(read_bytes(dir + "/model.safetensors"));
  h0.erase("__metadata__");
  h1.erase("__metadata__");
  CHECK(h0 == h1);  // names, dtypes, shapes and offsets
  CHECK(d0 == d1);
  // and F16 loads as the float32 values it holds: saved as F32, they are the reference's rounded weights
  const std::string dir16 = dir + "16";
  fs::remove_all(dir16);
  GPT2::from_pretrained(kData + "/f16_prefixed").save_pretrained(dir16);
  for (auto& [name, t] : mt::load(dir16 + "/model.safetensors"))
    for (float v : t.to_vector<float>()) REQUIRE(ck::f16_to_f32(ck::f32_to_f16(v)) == v);
}

TEST_CASE("GPT2 from_pretrained refuses a malformed Hugging Face file, naming the tensor", "[gpt2][errors]") {
  const std::string dir = scratch_copy("f32", "bad_hf");
  const std::string file = dir + "/model.safetensors", good = read_bytes(file);
  auto with_header = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto [header, data] = split_safetensors(good);
    edit(header);
    write_bytes(file, join_safetensors(header, data));
  };
  SECTION("truncated") {
    write_bytes(file, good.substr(0, good.size() - 10));
    check_refused<std::runtime_error>(dir, {"model.safetensors", "truncated"});
  }
  SECTION("a Conv1D weight stored (out, in)") {
    with_header([](nlohmann::json& h) { h["h.1.mlp.c_fc.weight"]["shape"] = {64, 16}; });
    check_refused<std::runtime_error>(dir, {"'h.1.mlp.c_fc.weight'", "[64, 16]", "[16, 64]", "Conv1D"});
  }
  SECTION("a tensor of another dtype") {
    with_header([](nlohmann::json& h) {
      h["ln_f.bias"]["dtype"] = "I32";
    });
    check_refused<std::runtime_error>(dir, {"'ln_f.bias'", "I32"});
  }
  SECTION("a tensor no GPT-2 has") {
    with_header([](nlohmann::json& h) {
      h["h.2.ln_1.weight"] = h["h.1.ln_1.weight"];
      h.erase("h.1.ln_1.weight");
    });
    check_refused<std::runtime_error>(dir, {"'h.2.ln_1.weight'", "not a parameter"});
  }
  SECTION("a missing tensor") {
    auto tensors = mt::load(file);
    tensors.erase(std::remove_if(tensors.begin(), tensors.end(), [](auto& e) { return e.first == "h.0.ln_2.bias"; }),
                  tensors.end());
    mt::save(tensors, file);
    check_refused<std::runtime_error>(dir, {"'h.0.ln_2.bias'", "missing"});
  }
  SECTION("an untied head; a tied one loads") {
    auto tensors = mt::load(file);
    mt::Tensor wte;
    for (auto& [name, t] : tensors)
      if (name == "wte.weight") wte = t;
    tensors.emplace_back("lm_head.weight", wte.clone());
    mt::save(tensors, file);
    CHECK_NOTHROW(GPT2::from_pretrained(dir));
    tensors.back().second = wte + 1.0f;
    mt::save(tensors, file);
    check_refused<std::runtime_error>(dir, {"'lm_head.weight'", "tied"});
  }
  SECTION("a config.json that does not fit the weights, or is not GPT-2") {
    write_bytes(dir + "/config.json", R"({"n_embd": 16, "n_layer": 2, "n_head": 3, "vocab_size": 64, "n_positions": 32})");
    check_refused<std::invalid_argument>(dir, {"config.json", "n_head 3"});
    write_bytes(dir + "/config.json", R"({"n_embd": 16, "n_layer": 2, "n_head": 2, "vocab_size": 65, "n_positions": 32})");
    check_refused<std::runtime_error>(dir, {"'wte.weight'", "[64, 16]", "[65, 16]"});
    write_bytes(dir + "/config.json", R"({"model_type": "llama"})");
    check_refused<std::invalid_argument>(dir, {"model_type"});
    fs::remove(dir + "/config.json");
    check_refused<std::runtime_error>(dir, {"config.json"});
  }
  check_refused<std::runtime_error>(dir + "/no_such_thing", {"no such"});
}

TEST_CASE("GPT2 from_pretrained refuses a malformed llm.c file, naming the tensor", "[gpt2][errors]") {
  const std::string dir = scratch_copy("f32", "bad_llmc");
  const std::string file = dir + "/gpt2_llmc.bin", good = read_bytes(file);
  write_bytes(file, good.substr(0, good.size() - 4 * 16 - 8));  // lnfb (C = 16 floats) and 2 floats of lnfw cut
  check_refused<std::runtime_error>(file, {"llm.c", "lnfw", "truncated"});
  write_bytes(file, good.substr(0, 1000));
  check_refused<std::runtime_error>(file, {"1024-byte header"});
  write_bytes(file, good + std::string(4, '\0'));
  check_refused<std::runtime_error>(file, {"trailing"});
  std::string v5 = good;
  v5[4] = 5;
  write_bytes(file, v5);
  check_refused<std::runtime_error>(file, {"version 5"});
  std::string heads = good;
  heads[5 * 4] = 3;  // num_heads 3 does not divide channels 16
  write_bytes(file, heads);
  check_refused<std::runtime_error>(file, {"n_head 3"});
  write_bytes(file, good);
  CHECK_NOTHROW(GPT2::from_pretrained(file));
}
