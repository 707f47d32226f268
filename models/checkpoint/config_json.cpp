// config.json: read with nlohmann-json, which stays out of every public header.
#include "config_json.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace microtorch::models::checkpoint {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw std::runtime_error("from_pretrained '" + path + "': " + what);
}

// An integer field, or its default when absent (or null, as Transformers writes n_inner).
int64_t int_field(const json& j, const char* key, int64_t fallback, const std::string& path) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_number_integer()) bad(path, std::string("\"") + key + "\" must be an integer, got " + j[key].dump());
  return j[key].get<int64_t>();
}

}  // namespace

GPT2Config read_config_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, "cannot open it (a Hugging Face GPT-2 folder holds config.json and model.safetensors)");
  std::stringstream text;
  text << in.rdbuf();
  json j;
  try {
    j = json::parse(text.str());
  } catch (const json::exception& e) {
    bad(path, std::string("not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) bad(path, "must hold a JSON object");
  if (j.contains("model_type") && j["model_type"] != "gpt2")
    throw std::invalid_argument("from_pretrained '" + path + "': model_type " + j["model_type"].dump() +
                                " is not \"gpt2\"");
  if (j.contains("tie_word_embeddings") && j["tie_word_embeddings"] == false)
    throw std::invalid_argument("from_pretrained '" + path + "': tie_word_embeddings is false, but GPT2's head is the "
                                "token table itself");
  for (const char* variant : {"scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"})
    if (j.contains(variant) && j[variant] == true)
      throw std::invalid_argument("from_pretrained '" + path + "': " + variant + " is true, an attention variant GPT2 "
                                  "does not implement");
  if (j.contains("scale_attn_weights") && j["scale_attn_weights"] == false)
    throw std::invalid_argument("from_pretrained '" + path + "': scale_attn_weights is false (GPT2 scales by 1/sqrt(D))");
  const GPT2Config d;
  GPT2Config c;
  c.vocab_size(int_field(j, "vocab_size", d.vocab_size(), path))
      .n_positions(int_field(j, "n_positions", int_field(j, "n_ctx", d.n_positions(), path), path))
      .n_embd(int_field(j, "n_embd", d.n_embd(), path))
      .n_layer(int_field(j, "n_layer", d.n_layer(), path))
      .n_head(int_field(j, "n_head", d.n_head(), path));
  if (j.contains("n_inner") && !j["n_inner"].is_null()) c.n_inner(int_field(j, "n_inner", 0, path));
  if (j.contains("layer_norm_epsilon")) {
    if (!j["layer_norm_epsilon"].is_number()) bad(path, "\"layer_norm_epsilon\" must be a number");
    c.layer_norm_epsilon(j["layer_norm_epsilon"].get<double>());
  }
  if (j.contains("activation_function")) {
    if (!j["activation_function"].is_string()) bad(path, "\"activation_function\" must be a string");
    c.activation_function(j["activation_function"].get<std::string>());
  }
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("from_pretrained '" + path + "': " + e.what());
  }
  return c;
}

std::string config_json(const GPT2Config& c) {
  json j = {{"model_type", "gpt2"},
            {"architectures", {"GPT2LMHeadModel"}},
            {"vocab_size", c.vocab_size()},
            {"n_positions", c.n_positions()},
            {"n_ctx", c.n_positions()},
            {"n_embd", c.n_embd()},
            {"n_layer", c.n_layer()},
            {"n_head", c.n_head()},
            {"n_inner", c.n_inner() ? json(*c.n_inner()) : json(nullptr)},
            {"layer_norm_epsilon", c.layer_norm_epsilon()},
            {"activation_function", c.activation_function()},
            {"tie_word_embeddings", true}};
  if (c.vocab_size() == 50257) j["bos_token_id"] = j["eos_token_id"] = 50256;  // GPT-2's <|endoftext|>
  return j.dump(2) + "\n";
}

}  // namespace microtorch::models::checkpoint
