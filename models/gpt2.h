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

#include "../core/arg.h"
#include "../nn/embedding.h"
#include "../nn/layer_norm.h"
#include "../nn/linear.h"
#include "../nn/module.h"
#include "kv_cache.h"

namespace microtorch::models {

// The sizes of a GPT-2, as Hugging Face's GPT2Config; the defaults are GPT-2 small (124M).
struct GPT2Config {
  /// Rows of the token table (50257: GPT-2's BPE vocabulary).
  MICROTORCH_ARG(int64_t, vocab_size) = 50257;
  /// Rows of the position table: the longest sequence.
  MICROTORCH_ARG(int64_t, n_positions) = 1024;
  /// Width of the residual stream, C.
  MICROTORCH_ARG(int64_t, n_embd) = 768;
  /// Blocks.
  MICROTORCH_ARG(int64_t, n_layer) = 12;
  /// Attention heads per block; n_embd must be a multiple of it.
  MICROTORCH_ARG(int64_t, n_head) = 12;
  /// Width of the MLP's hidden layer; unset: 4 * n_embd.
  MICROTORCH_ARG(std::optional<int64_t>, n_inner);
  /// The LayerNorms' eps.
  MICROTORCH_ARG(double, layer_norm_epsilon) = 1e-5;
  /// "gelu_new" (GPT-2's tanh approximation, also "gelu_pytorch_tanh") or "gelu" (exact, erf).
  MICROTORCH_ARG(std::string, activation_function) = "gelu_new";

 public:
  int64_t inner() const { return n_inner_ ? *n_inner_ : 4 * n_embd_; }  // the MLP's width in use
  // std::invalid_argument naming the field unless every size is >= 1, n_embd % n_head == 0, eps >= 0 and the
  // activation is known.
  void validate() const;
};

// How generate() picks each token from the logits of the last position.
struct GenerateOptions {
  /// Logits are divided by it before sampling; 0 picks the most likely token (greedy).
  MICROTORCH_ARG(double, temperature) = 1.0;
  /// Sample only among the k most likely tokens (0: all).
  MICROTORCH_ARG(int64_t, top_k) = 0;
  /// Sample only among the most likely tokens whose probabilities first reach p (1: all), as Hugging Face.
  MICROTORCH_ARG(double, top_p) = 1.0;
  /// Draw from a generator of this seed (the same tokens each run); unset: the global one (manual_seed).
  MICROTORCH_ARG(std::optional<uint64_t>, seed);
  /// Stop after this token (e.g. 50256, <|endoftext|>), which is kept; unset: never.
  MICROTORCH_ARG(std::optional<int64_t>, eos_token_id);
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
