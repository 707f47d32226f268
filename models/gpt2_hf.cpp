// GPT-2 as Hugging Face keeps it: config.json and model.safetensors. The file is mapped and its header checked
// whole against the configuration (io::parse_safetensors_layout, then every name, dtype and shape here)
// before the model is built; each tensor is then converted straight from the mapping into its parameter
// (F16/BF16 to float32, Conv1D's (in, out) transposed to (out, in)) and its pages released, so the process
// holds the model plus the tensor being copied, never a second copy of the file.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unordered_map>

#include "../core/autograd.h"
#include "../io/files/atomic_file.h"
#include "../io/mapped_file.h"
#include "../io/safetensors.h"
#include "checkpoint/config_json.h"
#include "checkpoint/convert.h"
#include "gpt2.h"

namespace microtorch::models {

namespace fs = std::filesystem;
using checkpoint::Stored;

namespace {

[[noreturn]] void bad_tensor(const std::string& path, const std::string& name, const std::string& what) {
  throw std::runtime_error("from_pretrained '" + path + "': tensor '" + name + "' " + what);
}

// Every parameter's name (Hugging Face's, no prefix) and the shape Hugging Face stores it in: the projections
// are Conv1D, (in, out).
struct Expected {
  Shape shape;
  bool conv1d;
};
std::vector<std::pair<std::string, Expected>> hugging_face_tensors(const GPT2Config& c) {
  const int64_t C = c.n_embd(), I = c.inner();
  std::vector<std::pair<std::string, Expected>> out{{"wte.weight", {{c.vocab_size(), C}, false}},
                                                    {"wpe.weight", {{c.n_positions(), C}, false}}};
  for (int64_t l = 0; l < c.n_layer(); ++l) {
    const std::string p = "h." + std::to_string(l) + ".";
    for (const auto& [name, shape, conv] : std::vector<std::tuple<std::string, Shape, bool>>{
             {"ln_1.weight", {C}, false}, {"ln_1.bias", {C}, false},
             {"attn.c_attn.weight", {C, 3 * C}, true}, {"attn.c_attn.bias", {3 * C}, false},
             {"attn.c_proj.weight", {C, C}, true}, {"attn.c_proj.bias", {C}, false},
             {"ln_2.weight", {C}, false}, {"ln_2.bias", {C}, false},
             {"mlp.c_fc.weight", {C, I}, true}, {"mlp.c_fc.bias", {I}, false},
             {"mlp.c_proj.weight", {I, C}, true}, {"mlp.c_proj.bias", {C}, false}})
      out.push_back({p + name, {shape, conv}});
  }
  out.push_back({"ln_f.weight", {{C}, false}});
  out.push_back({"ln_f.bias", {{C}, false}});
  return out;
}

// h.<layer>.attn.bias and h.<layer>.attn.masked_bias: the causal mask buffers older files carry.
bool is_mask_buffer(const std::string& name, int64_t n_layer) {
  for (const std::string suffix : {".attn.bias", ".attn.masked_bias"}) {
    if (name.size() <= 2 + suffix.size() || name.compare(0, 2, "h.") != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string layer = name.substr(2, name.size() - 2 - suffix.size());
    if (!layer.empty() && layer.size() < 10 && layer.find_first_not_of("0123456789") == std::string::npos &&
        std::stoll(layer) < n_layer)
      return true;
  }
  return false;
}

Stored stored(const std::string& code) { return code == "F16" ? Stored::kF16 : code == "BF16" ? Stored::kBF16 : Stored::kF32; }

bool host_is_little_endian() {
  const uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

}  // namespace

GPT2 GPT2::from_pretrained(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return from_hugging_face(path, (fs::path(path) / "model.safetensors").string());
  if (!fs::exists(path, ec))
    throw std::runtime_error("from_pretrained '" + path + "': no such folder or file (expected a folder with "
                             "config.json and model.safetensors, or llm.c's gpt2_124M.bin)");
  unsigned char magic[4] = {};
  std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(magic), 4);
  const uint32_t m = magic[0] | magic[1] << 8 | magic[2] << 16 | uint32_t{magic[3]} << 24;
  if (m == 20240326u) return from_llmc(path);
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".safetensors") return from_hugging_face(fs::path(path).parent_path().string(), path);
  throw std::runtime_error("from_pretrained '" + path + "': neither a folder, llm.c's checkpoint (magic 20240326 "
                           "first) nor a .safetensors file");
}

GPT2 GPT2::from_hugging_face(const std::string& dir, const std::string& weights) {
  if (!host_is_little_endian()) throw std::runtime_error("from_pretrained: needs a little-endian host");
  const GPT2Config config = checkpoint::read_config_json((fs::path(dir.empty() ? "." : dir) / "config.json").string());
  const io::MappedFile file(weights);
  const io::SafetensorsLayout layout = io::parse_safetensors_layout(file.data(), file.size(), weights);

  // Every file tensor named as a parameter (prefix off), a mask buffer (skipped) or the tied head (checked).
  const auto expected = hugging_face_tensors(config);
  std::unordered_map<std::string, const Expected*> wanted;
  for (const auto& [name, e] : expected) wanted[name] = &e;
  std::unordered_map<std::string, const io::SafetensorsEntry*> found;
  const io::SafetensorsEntry* head = nullptr;
  for (const io::SafetensorsEntry& entry : layout.tensors) {
    const std::string prefix = "transformer.";
    const bool prefixed = entry.name.compare(0, prefix.size(), prefix) == 0;
    const std::string name = prefixed ? entry.name.substr(prefix.size()) : entry.name;
    if (is_mask_buffer(name, config.n_layer())) continue;
    if (name == "lm_head.weight" && !prefixed) {
      head = &entry;
      continue;
    }
    auto it = wanted.find(name);
    if (it == wanted.end())
      bad_tensor(weights, entry.name, "is not a parameter of GPT-2 with " + std::to_string(config.n_layer()) +
                                          " layers (config.json)");
    if (!found.emplace(name, &entry).second)
      bad_tensor(weights, entry.name, "appears twice (with and without the \"transformer.\" prefix)");
    const Expected& e = *it->second;
    if (entry.dtype != "F32" && entry.dtype != "F16" && entry.dtype != "BF16")
      bad_tensor(weights, entry.name, "is " + entry.dtype + "; GPT-2's weights are F32, F16 or BF16");
    if (entry.shape != e.shape)
      bad_tensor(weights, entry.name, "has shape " + shape_str(entry.shape) + " but config.json makes it " +
                                          shape_str(e.shape) + (e.conv1d ? " (Conv1D: (in, out))" : ""));
  }
  for (const auto& [name, e] : expected)
    if (!found.count(name))
      throw std::runtime_error("from_pretrained '" + weights + "': tensor '" + name + "' of shape " + shape_str(e.shape) +
                               " is missing");
  if (head) {  // a head stored beside the table must be the table (GPT-2's head is tied)
    const io::SafetensorsEntry& wte = *found.at("wte.weight");
    const unsigned char* data = file.data() + layout.data_start;
    if (head->dtype != wte.dtype || head->shape != wte.shape ||
        std::memcmp(data + head->begin, data + wte.begin, static_cast<size_t>(wte.end - wte.begin)) != 0)
      bad_tensor(weights, head->name, "differs from wte.weight, but GPT-2's head is tied to the token table");
  }

  // All checked: build the model and fill it, tensor by tensor, in file order.
  GPT2 model(config, NoInit{});
  std::unordered_map<std::string, Tensor> params;
  for (auto& [name, p] : model.named_parameters()) params[name] = p;
  NoGradGuard no_grad;
  for (const io::SafetensorsEntry& entry : layout.tensors) {
    const bool prefixed = entry.name.compare(0, 12, "transformer.") == 0;
    auto it = params.find(prefixed ? entry.name.substr(12) : entry.name);
    if (it == params.end()) continue;  // a mask buffer or the tied head
    const Tensor& p = it->second;
    const int64_t rows = p.size(0), cols = p.dim() == 2 ? p.size(1) : 1;
    const bool conv1d = wanted.at(it->first)->conv1d;
    checkpoint::copy_from_file(file, static_cast<size_t>(layout.data_start + entry.begin), stored(entry.dtype), rows, cols,
                               conv1d, p.data_ptr<float>());
  }
  return model;
}

void GPT2::save_pretrained(const std::string& dir) const {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir))
    throw std::runtime_error("save_pretrained '" + dir + "': cannot create the folder" + (ec ? ": " + ec.message() : ""));
  const auto expected = hugging_face_tensors(config_);
  const auto named = named_parameters();  // the same names, in the same order
  std::vector<io::TensorSpec> specs;
  for (const auto& [name, e] : expected) specs.push_back({name, kFloat32, e.shape});
  const std::string header = io::encode_safetensors_header(specs, {{"format", "pt"}});
  io::AtomicFile weights((fs::path(dir) / "model.safetensors").string());
  weights.write(header.data(), header.size());
  std::vector<float> scratch;  // one Conv1D weight at a time, transposed back to (in, out)
  for (size_t i = 0; i < expected.size(); ++i) {
    const Tensor& p = named[i].second;
    if (named[i].first != expected[i].first || p.shape().size() != expected[i].second.shape.size())
      throw std::logic_error("save_pretrained: parameter '" + named[i].first + "' where '" + expected[i].first + "' was expected");
    const float* src = p.data_ptr<float>();
    if (!expected[i].second.conv1d) {
      weights.write(src, sizeof(float) * static_cast<size_t>(p.numel()));
      continue;
    }
    const int64_t out = p.size(0), in = p.size(1);
    scratch.resize(static_cast<size_t>(p.numel()));
    checkpoint::copy_converted(reinterpret_cast<const unsigned char*>(src), Stored::kF32, in, out, true, scratch.data());
    weights.write(scratch.data(), sizeof(float) * scratch.size());
  }
  const std::string config = checkpoint::config_json(config_);
  io::AtomicFile config_file((fs::path(dir) / "config.json").string());
  config_file.write(config.data(), config.size());
  weights.commit();
  config_file.commit();
}

}  // namespace microtorch::models
