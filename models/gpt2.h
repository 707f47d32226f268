// models::GPT2: OpenAI's GPT-2 as Hugging Face's GPT2LMHeadModel names it, read from and written to the files
// Hugging Face and llm.c keep it in. Token and position tables, n_layer pre-LayerNorm blocks (causal
// self-attention, a tanh-GELU MLP), a final LayerNorm and the head tied to the token table:
//   auto model = mt::models::GPT2::from_pretrained("gpt2/");         // config.json + model.safetensors
//   mt::Tensor logits = model.forward(idx);                            // idx (B, T) int64 -> (B, T, vocab_size)
//   auto ids = model.generate(prompt, 32, mt::models::GenerateOptions().temperature(0.8).top_k(40));
// Parameters are named as Hugging Face's (without "transformer."): wte.weight, wpe.weight, h.N.ln_1.weight,
// h.N.attn.c_attn.weight, ... ln_f.bias. The projections are nn::Linear, weight (out, in); Hugging Face's
// Conv1D keeps (in, out), so from_pretrained and save_pretrained transpose them.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "../nn/embedding.h"
#include "../nn/layer_norm.h"
#include "../nn/linear.h"
#include "../nn/module.h"
#include "kv_cache.h"

namespace microtorch::models {

// The sizes of a GPT-2, as Hugging Face's GPT2Config; the defaults are GPT-2 small (124M).
struct GPT2Config {
  /// Rows of the token table (50257: GPT-2's BPE vocabulary).
  GPT2Config& vocab_size(int64_t v) { vocab_size_ = v; return *this; }
  /// Rows of the position table: the longest sequence (1024).
  GPT2Config& n_positions(int64_t v) { n_positions_ = v; return *this; }
  /// Width of the residual stream, C (768).
  GPT2Config& n_embd(int64_t v) { n_embd_ = v; return *this; }
  /// Blocks (12).
  GPT2Config& n_layer(int64_t v) { n_layer_ = v; return *this; }
  /// Attention heads per block (12); n_embd must be a multiple of it.
  GPT2Config& n_head(int64_t v) { n_head_ = v; return *this; }
  /// Width of the MLP's hidden layer; unset: 4 * n_embd.
  GPT2Config& n_inner(std::optional<int64_t> v) { n_inner_ = v; return *this; }
  /// The LayerNorms' eps (1e-5).
  GPT2Config& layer_norm_epsilon(double v) { layer_norm_epsilon_ = v; return *this; }
  /// "gelu_new" (the default, GPT-2's tanh approximation, also "gelu_pytorch_tanh") or "gelu" (exact, erf).
  GPT2Config& activation_function(std::string v) { activation_function_ = std::move(v); return *this; }
  int64_t vocab_size() const { return vocab_size_; }
  int64_t n_positions() const { return n_positions_; }
  int64_t n_embd() const { return n_embd_; }
  int64_t n_layer() const { return n_layer_; }
  int64_t n_head() const { return n_head_; }
  const std::optional<int64_t>& n_inner() const { return n_inner_; }
  int64_t inner() const { return n_inner_ ? *n_inner_ : 4 * n_embd_; }  // the MLP's width in use
  double layer_norm_epsilon() const { return layer_norm_epsilon_; }
  const std::string& activation_function() const { return activation_function_; }
  // std::invalid_argument naming the field unless every size is >= 1, n_embd % n_head == 0, eps >= 0 and the
  // activation is known.
  void validate() const;

 private:
  int64_t vocab_size_ = 50257, n_positions_ = 1024, n_embd_ = 768, n_layer_ = 12, n_head_ = 12;
  std::optional<int64_t> n_inner_;
  double layer_norm_epsilon_ = 1e-5;
  std::string activation_function_ = "gelu_new";
};

// How generate() picks each token from the logits of the last position.
struct GenerateOptions {
  /// Logits are divided by it before sampling; 0 (the default is 1) picks the most likely token (greedy).
  GenerateOptions& temperature(double v) { temperature_ = v; return *this; }
  /// Sample only among the k most likely tokens (0: all).
  GenerateOptions& top_k(int64_t v) { top_k_ = v; return *this; }
  /// Sample only among the most likely tokens whose probabilities first reach p (1: all), as Hugging Face.
  GenerateOptions& top_p(double v) { top_p_ = v; return *this; }
  /// Draw from a generator of this seed (the same tokens each run); unset: the global one (manual_seed).
  GenerateOptions& seed(std::optional<uint64_t> v) { seed_ = v; return *this; }
  /// Stop after this token (e.g. 50256, <|endoftext|>), which is kept; unset: never.
  GenerateOptions& eos_token_id(std::optional<int64_t> v) { eos_token_id_ = v; return *this; }
  double temperature() const { return temperature_; }
  int64_t top_k() const { return top_k_; }
  double top_p() const { return top_p_; }
  const std::optional<uint64_t>& seed() const { return seed_; }
  const std::optional<int64_t>& eos_token_id() const { return eos_token_id_; }

 private:
  double temperature_ = 1.0;
  int64_t top_k_ = 0;
  double top_p_ = 1.0;
  std::optional<uint64_t> seed_;
  std::optional<int64_t> eos_token_id_;
};

// The blocks' constructors take `initialise`: false leaves the projections' parameters allocated but unfilled
// (GPT2 fills them itself, from its init or from a checkpoint).

// Causal self-attention: one Linear makes q, k and v side by side, heads attend, c_proj mixes them.
class GPT2Attention : public nn::Module {
 public:
  GPT2Attention(int64_t n_embd, int64_t n_head, bool initialise = true);
  Tensor forward(const Tensor& x);  // x (B, T, C) -> (B, T, C); query t sees positions <= t
  nn::Linear c_attn;                // (3C, C): q, k, v
  nn::Linear c_proj;                // (C, C)
  int64_t n_head;
};

class GPT2MLP : public nn::Module {
 public:
  GPT2MLP(int64_t n_embd, int64_t n_inner, bool tanh_gelu, bool initialise = true);
  Tensor forward(const Tensor& x);  // (B, T, C) -> (B, T, C): c_proj(gelu(c_fc(x)))
  nn::Linear c_fc;                  // (inner, C)
  nn::Linear c_proj;                // (C, inner)
  bool tanh_gelu;
};

// A pre-LayerNorm block: x + attn(ln_1(x)), then + mlp(ln_2(x)).
class GPT2Block : public nn::Module {
 public:
  explicit GPT2Block(const GPT2Config& config, bool initialise = true);
  Tensor forward(const Tensor& x);
  nn::LayerNorm ln_1;
  GPT2Attention attn;
  nn::LayerNorm ln_2;
  GPT2MLP mlp;
};

class GPT2 : public nn::Module {
 public:
  // A fresh model, initialised as Hugging Face's GPT-2 (from the global generator, see manual_seed):
  // N(0, 0.02) tables and projections, the two c_proj per block (they add into the residual stream)
  // N(0, 0.02 / sqrt(2 n_layer)), zero biases, LayerNorms at weight 1 and bias 0.
  explicit GPT2(const GPT2Config& config = GPT2Config());

  // A folder with config.json and model.safetensors as Hugging Face writes them (or the path of that
  // model.safetensors): Conv1D weights (in, out), names with or without "transformer.", attn.bias and
  // attn.masked_bias buffers ignored, F32, F16 or BF16 (converted to float32 exactly). Or a path to llm.c's
  // checkpoint (gpt2_124M.bin, version 3: float32, vocabulary padded to Vp rows). The file is mapped, checked
  // whole (names, dtypes, shapes, offsets, sizes) before any parameter is written, and copied tensor by
  // tensor into the model. std::runtime_error naming the file and the tensor for a missing or malformed one;
  // std::invalid_argument for a configuration this model does not have.
  static GPT2 from_pretrained(const std::string& path);
  // dir/config.json and dir/model.safetensors (F32, Conv1D weights (in, out), no prefix), readable by
  // Transformers' GPT2LMHeadModel.from_pretrained and by from_pretrained. dir is created if missing; each
  // file is replaced whole or not at all.
  void save_pretrained(const std::string& dir) const;

  // idx (B, T) int64 or int32, T <= n_positions -> logits (B, T, vocab_size). Recorded on the tape.
  Tensor forward(const Tensor& idx);
  // The same for tokens that follow the cache's: their positions start at cache.size(), their keys and
  // values are appended to the cache in place and each query sees the cached positions and the new ones up
  // to its own. Inference only: the result is not on the tape (as under NoGradGuard).
  Tensor forward(const Tensor& idx, KVCache& cache);
  Tensor operator()(const Tensor& idx) { return forward(idx); }

  // prompt + up to max_new_tokens tokens, made one at a time with a KV cache; callback(id) sees each new
  // token as it is made. Past n_positions the cache restarts from the last n_positions / 2 tokens.
  std::vector<int64_t> generate(const std::vector<int64_t>& prompt, int64_t max_new_tokens,
                                const GenerateOptions& options = GenerateOptions(),
                                const std::function<void(int64_t)>& callback = {});

  const GPT2Config& config() const { return config_; }

  nn::Embedding wte;  // (vocab_size, C), also the head's weight
  nn::Embedding wpe;  // (n_positions, C)
  std::vector<GPT2Block> h;
  nn::LayerNorm ln_f;

 private:
  struct NoInit {};
  GPT2(const GPT2Config& config, NoInit);  // parameters allocated, not initialised (a load fills them)
  void register_all();
  void init_weights();
  Tensor hidden(const Tensor& idx, KVCache& cache, bool last_only);  // ln_f's output, cached path
  static GPT2 from_hugging_face(const std::string& dir, const std::string& weights);
  static GPT2 from_llmc(const std::string& path);

  GPT2Config config_;
};

}  // namespace microtorch::models
