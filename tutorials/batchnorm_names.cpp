// Lesson 9: activations, gradients and BatchNorm (makemore part 3).
//
// Lesson 4's MLP had one hidden layer. Stack five and the same recipe may not train at all: each layer
// multiplies the signal by its weights, so a scale a little too large or too small, repeated five times,
// leaves the last tanh saturated at +-1 (its gradient 1 - t^2 is then 0 and nothing below it learns) or
// squeezed towards 0. The lesson trains one deep MLP from four starts and shows what each layer sees:
//   X (B, 3) ids -> Embedding(27, 10) -> (B, 30) -> 5 x [Linear(., 100) (-> BatchNorm1d(100)) -> tanh]
//                -> Linear(100, 27) -> logits
//   naive      weights ~ N(0, 1): a layer's output has std ~ sqrt(fan_in) = 10, the tanh layers saturate.
//   default    PyTorch's Linear init, U(-1/sqrt(in), 1/sqrt(in)), std 1/sqrt(3 in): each layer shrinks
//              the signal, the deep layers see almost nothing.
//   kaiming    kaiming_normal_ with tanh's gain 5/3: std (5/3)/sqrt(in) keeps the spread layer after layer.
//   batchnorm  the default init, with BatchNorm1d after each hidden Linear (no bias: BatchNorm's own bias
//              replaces it): each layer's input is normalised over the batch, whatever the weights' scale.
// A careful init (kaiming) trains this net as well as BatchNorm does; what BatchNorm gives is that no such
// care is needed: the weights' scale stops mattering, at the price of a batch-dependent forward (eval() then
// uses the running statistics). In every variant the last Linear's weights are scaled by 0.1, so the first
// predictions are near uniform (loss ln 27 = 3.30 rather than a confident, wrong guess).
//
// Recipe (each variant): batch 32, SGD lr 0.1 then 0.01 for the last quarter of --steps; same seed, same
// batches. The program prints each variant's train/dev NLL and, per tanh layer, the share of saturated
// outputs (|t| > 0.97) at the start and at the end, and writes, per variant,
//   batchnorm_<variant>_activations.svg  each tanh layer's output distribution at initialisation
//   batchnorm_<variant>_updates.svg      log10(lr * std(grad) / std(weight)) of each weight over training:
//                                        how big a step is relative to the weight (about -3 is healthy)
// and batchnorm_loss.svg, the train loss of the four variants.
//
//   batchnorm_names                      # the full recipe on data/names.txt, four runs
//   batchnorm_names --steps 2000 --out /tmp --threads 2
#include <microtorch/microtorch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/corpus.h"
#include "common/lesson_options.h"
#include "common/names_data.h"
#include "common/progress.h"
#include "common/svg.h"
#include "common/vocab.h"

namespace mt = microtorch;
namespace nn = microtorch::nn;
namespace F = microtorch::nn::functional;

namespace {

struct Variant {
  std::string name;
  bool batchnorm;
  enum Init { Naive, Default, Kaiming } init;
};

// The deep MLP of the lesson: the embedding table, then the layers in one Sequential, as makemore's list.
struct DeepMlp : nn::Module {
  DeepMlp(int64_t V, int64_t C, int64_t ctx, int64_t H, int hidden_layers, const Variant& v)
      : ctx(ctx), C(C), emb(nn::EmbeddingOptions(V, C)) {
    register_module("emb", emb);
    int64_t in = ctx * C;
    for (int l = 0; l <= hidden_layers; ++l) {
      const bool last = l == hidden_layers;
      const int64_t out = last ? V : H;
      nn::Linear linear(nn::LinearOptions(in, out).bias(last || !v.batchnorm));
      mt::NoGradGuard no_grad;  // the inits write the weights in place
      if (v.init == Variant::Naive) nn::init::normal_(linear.weight, 0.0, 1.0);
      if (v.init == Variant::Kaiming) nn::init::kaiming_normal_(linear.weight, 0.0, mt::kFanIn, mt::kTanh);
      if (last) linear.weight.mul_(0.1);  // a near-uniform first guess
      layers.push_back(linear);
      if (last) break;
      if (v.batchnorm) layers.push_back(nn::BatchNorm1d(nn::BatchNorm1dOptions(out)));
      layers.push_back(nn::Tanh());
      in = out;
    }
    register_module("layers", layers);
  }
  // X (B, ctx) int64 -> logits (B, V). With tanh_outputs, each tanh layer's output (B, H) is kept there.
  mt::Tensor forward(const mt::Tensor& X, std::vector<mt::Tensor>* tanh_outputs = nullptr) {
    mt::Tensor x = emb(X).view({X.shape()[0], ctx * C});  // (B, ctx, C) -> (B, ctx*C)
    for (const nn::AnyModule& layer : layers) {
      x = layer(x);
      if (tanh_outputs && dynamic_cast<nn::Tanh*>(&layer.module())) tanh_outputs->push_back(x.detach());
    }
    return x;
  }
  std::vector<mt::Tensor> weights() {  // the Linear layers' weights, first to last
    std::vector<mt::Tensor> w;
    for (const auto& [name, p] : named_parameters())
      if (p.dim() == 2 && name != "emb.weight") w.push_back(p);
    return w;
  }
  int64_t ctx, C;
  nn::Embedding emb;
  nn::Sequential layers;
};

double std_of(const mt::Tensor& t) { return std::sqrt(mt::var(t.reshape({-1}), 0).item<float>()); }

double saturated(const mt::Tensor& t) {  // the share of |t| > 0.97
  const std::vector<float> v = t.to_vector<float>();
  return static_cast<double>(std::count_if(v.begin(), v.end(), [](float x) { return std::fabs(x) > 0.97f; })) /
         static_cast<double>(v.size());
}

// A histogram of t's values in [-1, 1] as a line: bin centres against the density.
tutorials::Series histogram(const mt::Tensor& t, std::string name, std::string color, int bins = 40) {
  std::vector<double> count(static_cast<size_t>(bins), 0.0);
  const std::vector<float> v = t.to_vector<float>();
  for (float x : v) {
    const int b = std::clamp(static_cast<int>((x + 1.0f) / 2.0f * static_cast<float>(bins)), 0, bins - 1);
    count[static_cast<size_t>(b)] += 1.0;
  }
  tutorials::Series s{std::move(name), std::move(color), {}, {}};
  for (int b = 0; b < bins; ++b) {
    s.x.push_back(-1.0 + (b + 0.5) * 2.0 / bins);
    s.y.push_back(count[static_cast<size_t>(b)] / static_cast<double>(v.size()) * bins / 2.0);
  }
  return s;
}

const std::vector<std::string> kColors = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};

}  // namespace

static int lesson(int argc, char** argv) {
  CLI::App app{"Lesson 9: activations, gradients and BatchNorm in a deep MLP (makemore part 3)"};
  tutorials::LessonOptions run(app);
  run.steps = 40000;
  run.seed = 42;
  int64_t batch = 32, C = 10, ctx = 3, H = 100, ratio_every = 100;
  int hidden_layers = 5;
  double lr = 0.1, lr_late = 0.01;
  app.add_option("--batch", batch, "examples per step")->check(CLI::Range(2, 1 << 20));
  app.add_option("--hidden", H, "width of each hidden layer")->check(CLI::PositiveNumber);
  app.add_option("--layers", hidden_layers, "hidden layers (Linear, BatchNorm, tanh)")->check(CLI::Range(1, 50));
  app.add_option("--lr", lr, "learning rate for the first three quarters");
  app.add_option("--lr-late", lr_late, "learning rate for the last quarter");
  app.add_option("--ratio-every", ratio_every, "steps between the update-ratio picture's points")
      ->check(CLI::PositiveNumber);
  run.add({"names, one per line; default: the project's data/names.txt", "", "SGD steps per variant",
           "random seed (split, init, batches)", "kernel threads", "folder for the pictures",
           "exit 1 unless every variant's loss is finite and falls"});
  if (const auto code = run.parse(argc, argv)) return *code;
  if (run.steps <= 0) throw std::invalid_argument("--steps must be positive, got " + std::to_string(run.steps));
  const int64_t steps = run.steps;
  const uint64_t seed = run.seed;
  const std::string& out_dir = run.out;

  const std::vector<std::string> words = tutorials::load_words(run.data);
  std::string all;
  for (const auto& w : words) all += w;
  const tutorials::CharVocab vocab(all, ".");
  const int64_t V = vocab.size();
  std::mt19937 rng(static_cast<uint32_t>(seed));
  const tutorials::NameSplits splits = tutorials::split_names(words, vocab, ctx, rng);
  std::printf("%zu names -> train %lld, dev %lld examples; %d hidden layers of %lld, batch %lld, %lld steps each\n",
              words.size(), static_cast<long long>(splits.train.size()), static_cast<long long>(splits.dev.size()),
              hidden_layers, static_cast<long long>(H), static_cast<long long>(batch), static_cast<long long>(steps));

  const std::vector<Variant> variants = {{"naive", false, Variant::Naive},
                                         {"default", false, Variant::Default},
                                         {"kaiming", false, Variant::Kaiming},
                                         {"batchnorm", true, Variant::Default}};
  const int64_t window = std::max<int64_t>(1, steps / 50);  // the loss picture's points: window means
  std::vector<tutorials::Series> loss_curves;
  int status = 0;
  for (size_t vi = 0; vi < variants.size(); ++vi) {
    const Variant& v = variants[vi];
    mt::manual_seed(seed);  // the same batches for every variant
    DeepMlp model(V, C, ctx, H, hidden_layers, v);
    const std::vector<mt::Tensor> weights = model.weights();
    mt::optim::SGD opt(model.parameters(), mt::optim::SGDOptions(lr));
    std::vector<tutorials::Series> ratios;
    for (size_t l = 0; l < weights.size(); ++l)
      ratios.push_back({"layer " + std::to_string(l + 1) + " weight", kColors[l % kColors.size()], {}, {}});
    std::vector<mt::Tensor> first_tanh, last_tanh;
    tutorials::Series curve{v.name, kColors[vi], {}, {}};
    std::vector<int64_t> Xb, Yb;
    tutorials::LossWindows losses(curve, window);
    tutorials::Progress progress(v.name, steps);
    for (int64_t step = 1; step <= steps; ++step) {
      const double rate = step > steps * 3 / 4 ? lr_late : lr;
      for (auto& g : opt.param_groups()) g.options().set_lr(rate);
      tutorials::gather_batch(splits.train, ctx, mt::randint(0, splits.train.size(), {batch}), Xb, Yb);
      std::vector<mt::Tensor> tanh_outputs;
      const bool record = step == 1 || step == steps;
      const mt::Tensor logits = model.forward(mt::tensor(Xb, {batch, ctx}), record ? &tanh_outputs : nullptr);
      const mt::Tensor loss = F::cross_entropy(logits, mt::tensor(Yb, {batch}));
      opt.zero_grad();
      loss.backward();
      if (step == 1 || step % ratio_every == 0)  // the step about to be taken, relative to each weight
        for (size_t l = 0; l < weights.size(); ++l) {
          ratios[l].x.push_back(static_cast<double>(step));
          ratios[l].y.push_back(std::log10(rate * std_of(weights[l].grad()) / std_of(weights[l])));
        }
      opt.step();
      if (step == 1) first_tanh = tanh_outputs;
      if (step == steps) last_tanh = tanh_outputs;
      losses.add(step, loss.item<float>());
      progress.update(step, losses.last());
    }
    progress.finish();
    model.eval();  // BatchNorm now uses its running statistics
    const auto forward = [&](const mt::Tensor& X) { return model.forward(X); };
    std::printf("%-9s train NLL %.4f  dev NLL %.4f  (%.1f s)\n", v.name.c_str(),
                tutorials::mean_nll(forward, splits.train, ctx), tutorials::mean_nll(forward, splits.dev, ctx),
                progress.seconds());
    std::vector<tutorials::Series> hist;
    std::string start = "  saturated (|t| > 0.97) per tanh layer at the start:", end = "  ... and at the end:";
    for (size_t l = 0; l < first_tanh.size(); ++l) {
      char note[64];
      std::snprintf(note, sizeof note, " %.0f%%", 100.0 * saturated(first_tanh[l]));
      start += note;
      std::snprintf(note, sizeof note, " %.0f%%", 100.0 * saturated(last_tanh[l]));
      end += note;
      char name[96];
      std::snprintf(name, sizeof name, "layer %zu: std %.2f, %.0f%% saturated", l + 1, std_of(first_tanh[l]),
                    100.0 * saturated(first_tanh[l]));
      hist.push_back(histogram(first_tanh[l], name, kColors[l % kColors.size()]));
    }
    std::printf("%s\n%s\n", start.c_str(), end.c_str());
    tutorials::Series healthy{"1e-3 (a healthy step)", "#999999", {1.0, static_cast<double>(steps)}, {-3.0, -3.0}};
    ratios.push_back(healthy);
    tutorials::write_lines_svg(out_dir + "/batchnorm_" + v.name + "_activations.svg",
                               "'" + v.name + "' init: each tanh layer's outputs at step 1", "tanh output",
                               "density", hist);
    tutorials::write_lines_svg(out_dir + "/batchnorm_" + v.name + "_updates.svg",
                               "'" + v.name + "': log10(lr * std(grad) / std(weight)) per weight", "step",
                               "log10 of the update / weight ratio", ratios);
    loss_curves.push_back(curve);
    status = std::max(status, tutorials::check_loss_fell(losses.first(), losses.settled(), run.check));
  }
  tutorials::write_lines_svg(out_dir + "/batchnorm_loss.svg", "Train loss of the four starts (window means)",
                             "step", "NLL (nats)", loss_curves);
  std::printf("wrote batchnorm_loss.svg and two pictures per variant to %s\n", out_dir.c_str());
  return status;
}

int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
