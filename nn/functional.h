// nn::functional: the stateless forms. Modules (embedding.h, linear.h, layer_norm.h, dropout.h) call these.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "../core/arg.h"
#include "../core/tensor.h"

namespace microtorch {

// How a loss reduces its per-element values, as libtorch's torch::kMean / kSum / kNone.
enum class Reduction { Mean, Sum, None };
constexpr Reduction kMean = Reduction::Mean;
constexpr Reduction kSum = Reduction::Sum;
constexpr Reduction kNone = Reduction::None;

// How F::pad fills the new border, as libtorch's torch::kConstant ...; only constant is implemented.
enum class PadMode { Constant, Reflect, Replicate, Circular };
constexpr PadMode kConstant = PadMode::Constant;
constexpr PadMode kReflect = PadMode::Reflect;
constexpr PadMode kReplicate = PadMode::Replicate;
constexpr PadMode kCircular = PadMode::Circular;

}  // namespace microtorch

namespace microtorch::nn::functional {

// Options of F::embedding, as torch::nn::functional::EmbeddingFuncOptions.
struct EmbeddingFuncOptions {
  /// Row that is never updated by the gradient; negative counts back from the number of rows.
  MICROTORCH_ARG(std::optional<int64_t>, padding_idx);
  /// Looked-up rows whose norm exceeds this are rescaled in place to this norm before the gather.
  MICROTORCH_ARG(std::optional<double>, max_norm);
  /// The p of the p-norm used by max_norm.
  MICROTORCH_ARG(double, norm_type) = 2.0;
  /// Divide each row's gradient by how often its id occurs in the batch.
  MICROTORCH_ARG(bool, scale_grad_by_freq) = false;
  /// Keep the weight's gradient as rows (ids and their gradient rows), never a dense (V, C) buffer.
  MICROTORCH_ARG(bool, sparse) = false;
};

// ids (...) int64 or int32, weight (V, C) -> (..., C): a gather of rows. Backward adds the output's
// gradient rows into the looked-up rows of weight's gradient only. Throws std::out_of_range for an
// id outside [0, V) (naming the id, its flat position and V) before anything is read or written.
Tensor embedding(const Tensor& ids, const Tensor& weight, const EmbeddingFuncOptions& options = {});

// x (..., in), weight (out, in), bias (out) or undefined -> (..., out) = x weight^T + bias, one SGEMM.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

struct CrossEntropyFuncOptions {
  /// Targets equal to this contribute no loss and no gradient, and are not counted in the mean.
  MICROTORCH_ARG(int64_t, ignore_index) = -100;
  /// kMean: the mean over non-ignored targets (weighted by their class weights); kSum; kNone: one loss per
  /// target, of the targets' shape.
  MICROTORCH_ARG(Reduction, reduction) = kMean;
  /// In [0, 1]: the target becomes (1 - s) one-hot + s / V uniform (PyTorch's formula, ignored targets excluded).
  MICROTORCH_ARG(double, label_smoothing) = 0.0;
  /// Class weights (V): each target's loss is multiplied by the weight of its class; the mean divides by the
  /// summed weights of the targets. Undefined (the default): all 1.
  MICROTORCH_ARG(Tensor, weight);
};

// logits (N, V) float32, targets (N) int64 -> the mean over non-ignored targets of
// -log_softmax(logits)[n, targets[n]], fused and numerically stable. A 0-d tensor. As PyTorch, the class dim
// is 1: logits (N, V, d1, ...) with targets (N, d1, ...) average over every position; logits (V), target ().
// With a weight, label smoothing or another reduction it is log_softmax then nll_loss (loss.h), as PyTorch's.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyFuncOptions& options = {});

// --- layer_norm.cpp ---
struct LayerNormFuncOptions {
  LayerNormFuncOptions(std::vector<int64_t> normalized_shape) : normalized_shape_(std::move(normalized_shape)) {}
  /// The trailing dims normalised over, e.g. {C}.
  MICROTORCH_ARG(std::vector<int64_t>, normalized_shape);
  /// Per-element scale of shape normalized_shape; undefined (the default): none.
  MICROTORCH_ARG(Tensor, weight);
  /// Per-element shift of shape normalized_shape; undefined (the default): none.
  MICROTORCH_ARG(Tensor, bias);
  /// Added to the variance before the square root.
  MICROTORCH_ARG(double, eps) = 1e-5;
};

// x (..., *normalized_shape) -> (x - mean) / sqrt(var + eps) * weight + bias, mean and biased var over the
// trailing normalized_shape dims of each row. One op with its own backward (x, weight and bias).
Tensor layer_norm(const Tensor& x, const LayerNormFuncOptions& options);

// --- dropout.cpp ---
struct DropoutFuncOptions {
  /// Probability of zeroing an element, in [0, 1].
  MICROTORCH_ARG(double, p) = 0.5;
  /// false: the identity (as in eval()); true: inverted dropout.
  MICROTORCH_ARG(bool, training) = true;
};

// Inverted dropout: each element is kept with probability 1 - p (a draw of the global generator, see
// manual_seed) and scaled by 1 / (1 - p), else zeroed; the gradient goes through the same mask. Returns x
// itself when not training or p == 0. std::invalid_argument for p outside [0, 1].
Tensor dropout(const Tensor& x, const DropoutFuncOptions& options = {});

// --- activation.cpp ---
struct GELUFuncOptions {
  /// "none": x * Phi(x) with erf; "tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  MICROTORCH_ARG(std::string, approximate) = "none";
};

Tensor gelu(const Tensor& x, const GELUFuncOptions& options = {});  // elementwise, as torch's F.gelu
Tensor logsigmoid(const Tensor& x);  // log(1 / (1 + exp(-x))), stable for large |x|

struct SoftmaxFuncOptions {
  SoftmaxFuncOptions(int64_t dim) : dim_(dim) {}
  /// The dim the probabilities sum to 1 over; negative counts from the end.
  MICROTORCH_ARG(int64_t, dim);
};

Tensor softmax(const Tensor& x, const SoftmaxFuncOptions& options);  // mt::softmax(x, dim)

// --- attention.cpp ---
// softmax(q k^T * scale + mask) v over the last two dims, as torch 2.x: q (..., L, D), k (..., S, D),
// v (..., S, Dv) -> (..., L, Dv); the batch dims of q, k and v are equal; scale defaults to 1/sqrt(D).
// is_causal: query i sees keys j <= i (masked in the loop, no mask tensor). attn_mask, broadcastable to
// (..., L, S): bool (true: the key takes part) or float32 (added to the scores, not differentiated). One op with its own backward (saves the (..., L, S)
// probabilities). dropout_p must be 0 (std::invalid_argument otherwise).
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask = {},
                                    double dropout_p = 0.0, bool is_causal = false,
                                    std::optional<double> scale = std::nullopt);

// --- pad.cpp ---
struct PadFuncOptions {
  PadFuncOptions(std::vector<int64_t> pad) : pad_(std::move(pad)) {}
  /// (left, right) sizes from the last dim backwards: {1, 2} pads the last dim, {1, 2, 0, 3} the last two.
  /// A negative size crops.
  MICROTORCH_ARG(std::vector<int64_t>, pad);
  /// Only kConstant is implemented; the others are std::invalid_argument.
  MICROTORCH_ARG(PadMode, mode) = kConstant;
  /// The constant the border holds.
  MICROTORCH_ARG(double, value) = 0.0;
};

// x padded with value (any dtype, any number of dims up to x's), composed from cat and narrow: the gradient
// is the part of the output's gradient that covers x.
Tensor pad(const Tensor& x, const PadFuncOptions& options);

// ids (...) int64 or int32 in [0, num_classes) -> (..., num_classes) int64 rows of the identity, as PyTorch;
// num_classes -1: the largest id + 1. Not differentiable.
Tensor one_hot(const Tensor& ids, int64_t num_classes = -1);

}  // namespace microtorch::nn::functional
