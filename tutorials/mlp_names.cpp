// Lesson 4 (the main one): learned letter embeddings in an MLP language model (Bengio et al. 2003,
// makemore part 2).
//
// The bigram model (lesson 3) sees one character. Here the model sees the last three, each looked up
// in a small table of learned vectors, and predicts the next:
//   X (B, 3) ids -> emb (B, 3, 10) -> view (B, 30) -> Linear(30, 200) -> tanh -> Linear(200, 27) -> logits
// Embedding(27, 10) gives each letter 10 numbers instead of a 27-wide one-hot: the network must put
// letters that behave alike (vowels, say) near each other to share what it learns about them. The
// picture mlp_embedding.svg shows that: the 27 learned rows projected to their 2 main directions (PCA).
//
// Recipe (makemore part 2): words shuffled with the seed, split 80/10/10 train/dev/test; batch 32;
// 200k SGD steps at lr 0.1, then 0.01 from step 100k. Loss = mean cross-entropy (NLL). PyTorch
// reaches dev NLL 2.1734 with it in 27.8 s on one thread. The program prints train/dev NLL, the time,
// 20 sampled names, and writes mlp_embedding.svg (vowels in their own colour: do they cluster?) and
// mlp_loss.svg (the loss every 1000 steps).
//
//   mlp_names                                   # the full recipe on the project's data/names.txt, ~10 s
//   mlp_names --steps 20000                     # a shorter run (the rate drops at half the steps)
//   mlp_names --data my_names.txt --threads 2 --out /tmp --seed 7
#include <microtorch/microtorch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/corpus.h"
#include "common/lesson_options.h"
#include "common/names_data.h"
#include "common/pca.h"
#include "common/progress.h"
#include "common/sampling.h"
#include "common/svg.h"
#include "common/vocab.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using tutorials::CharVocab;

namespace {

// A user's module: its layers are registered children, so parameters() lists them all ("emb.weight",
// "hidden.weight", ...) and an optimizer or a checkpoint can take the model whole.
struct Mlp : mt::nn::Module {
  Mlp(int64_t V, int64_t C, int64_t ctx, int64_t H)
      : ctx(ctx), C(C), emb(mt::nn::EmbeddingOptions(V, C)), hidden(mt::nn::LinearOptions(ctx * C, H)),
        out(mt::nn::LinearOptions(H, V)) {
    register_module("emb", emb);
    register_module("hidden", hidden);
    register_module("out", out);
  }
  // X (B, ctx) int64 -> logits (B, V)
  mt::Tensor forward(const mt::Tensor& X) {
    const int64_t B = X.shape()[0];
    const mt::Tensor x = emb(X).view({B, ctx * C});  // (B, ctx, C) -> (B, ctx*C): concatenate the letters
    return out(mt::tanh(hidden(x)));                 // (B, H) -> (B, V)
  }
  int64_t ctx, C;
  mt::nn::Embedding emb;
  mt::nn::Linear hidden, out;
};

// Mean NLL of the model on examples [0, limit) of a split (common/names_data.h).
double nll(Mlp& model, const tutorials::Examples& e, int64_t limit = -1) {
  return tutorials::mean_nll([&](const mt::Tensor& X) { return model.forward(X); }, e, model.ctx, limit);
}

}  // namespace

static int lesson(int argc, char** argv) {
  CLI::App app{"Lesson 4: learned letter embeddings in an MLP (Bengio 2003, makemore part 2)"};
  tutorials::LessonOptions run(app);
  run.seed = 42;
  int64_t batch = 32, C = 10, ctx = 3, H = 200, decay_at = 0, eval_every = 1000;
  double lr = 0.1, lr_late = 0.01;
  int samples = 20;
  app.add_option("--batch", batch, "examples per step");
  app.add_option("--emb", C, "embedding width C");
  app.add_option("--context", ctx, "characters the model sees");
  app.add_option("--hidden", H, "hidden layer width");
  app.add_option("--lr", lr, "learning rate for the first half");
  app.add_option("--lr-late", lr_late, "learning rate from --decay-at on");
  app.add_option("--decay-at", decay_at, "step where the learning rate drops (default: half of --steps)");
  app.add_option("--eval-every", eval_every, "steps between the loss curve's points");
  app.add_option("--samples", samples, "names to sample");
  run.add({"names, one per line; default: the project's data/names.txt (makemore's 32k names)", "",
           "SGD steps (default: 200000, makemore's recipe)", "random seed (split, init, batches, samples)",
           "kernel threads (PyTorch's figure is for one)", "folder for mlp_embedding.svg and mlp_loss.svg",
           "exit 1 unless the loss is finite and falls"});
  if (const auto code = run.parse(argc, argv)) return *code;
  if (run.steps <= 0) run.steps = 200000;
  if (decay_at <= 0) decay_at = run.steps / 2;
  eval_every = std::max<int64_t>(1, std::min(eval_every, run.steps / 10));

  // --- Data: shuffle the words, split 80/10/10, cut each word into (context, next) examples ---
  std::vector<std::string> words = tutorials::load_words(run.data);
  std::string all;
  for (const auto& w : words) all += w;
  const CharVocab vocab(all, ".");
  const int64_t V = vocab.size();
  std::mt19937 rng(static_cast<uint32_t>(run.seed));
  const tutorials::NameSplits splits = tutorials::split_names(words, vocab, ctx, rng);
  const tutorials::Examples &train = splits.train, &dev = splits.dev, &test = splits.test;
  std::printf("%zu names -> train %lld, dev %lld, test %lld examples; vocabulary %lld\n", words.size(),
              static_cast<long long>(train.size()), static_cast<long long>(dev.size()),
              static_cast<long long>(test.size()), static_cast<long long>(V));

  Mlp model(V, C, ctx, H);
  int64_t n_params = 0;
  for (const auto& p : model.parameters()) n_params += p.numel();
  std::printf("model: Embedding(%lld, %lld), Linear(%lld, %lld) + tanh, Linear(%lld, %lld): %lld parameters\n",
              static_cast<long long>(V), static_cast<long long>(C), static_cast<long long>(ctx * C),
              static_cast<long long>(H), static_cast<long long>(H), static_cast<long long>(V),
              static_cast<long long>(n_params));
  mt::optim::SGD opt(model.parameters(), mt::optim::SGDOptions(lr));

  // --- Training: random minibatches; the curve keeps the mean train loss per window and dev NLL ---
  const int64_t dev_probe = std::min<int64_t>(dev.size(), 2000);  // the curve's dev points use these
  tutorials::Series train_curve{"train (window mean)", "#1f77b4", {}, {}};
  tutorials::Series dev_curve{"dev (" + std::to_string(dev_probe) + " examples)", "#d62728", {}, {}};
  std::vector<int64_t> Xb, Yb;
  tutorials::LossWindows losses(train_curve, eval_every);
  tutorials::Progress progress("train", run.steps);
  for (int64_t step = 1; step <= run.steps; ++step) {
    if (step == decay_at + 1)
      for (auto& g : opt.param_groups()) g.options().set_lr(lr_late);  // the rate drops; nothing else changes
    const mt::Tensor picks = mt::randint(0, train.size(), {batch});  // (B) example indices
    tutorials::gather_batch(train, ctx, picks, Xb, Yb);
    const mt::Tensor loss = F::cross_entropy(model.forward(mt::tensor(Xb, {batch, ctx})), mt::tensor(Yb, {batch}));
    opt.zero_grad();
    loss.backward();
    opt.step();

    if (losses.add(step, loss.item<float>())) {
      dev_curve.x.push_back(static_cast<double>(step));
      dev_curve.y.push_back(nll(model, dev, dev_probe));
    }
    progress.update(step, losses.last());
  }
  progress.finish();
  const double seconds = progress.seconds();

  std::printf("train NLL %.4f  dev NLL %.4f  test NLL %.4f  after %lld steps in %.1f s (%d thread%s)\n",
              nll(model, train), nll(model, dev), nll(model, test), static_cast<long long>(run.steps), seconds,
              run.threads, run.threads == 1 ? "" : "s");
  std::printf("PyTorch, same recipe on names.txt: dev NLL 2.1734 in 27.8 s (one thread)\n");

  // --- Sampling: start from "...", draw from softmax(logits), slide the context, stop at '.' ---
  std::printf("\n%d names sampled from the model:\n", samples);
  {
    mt::NoGradGuard no_grad;
    for (int s = 0; s < samples; ++s) {
      std::vector<int64_t> context(static_cast<size_t>(ctx), 0);
      std::string name;
      while (name.size() < 40) {
        const mt::Tensor logits = model.forward(mt::tensor(context, {1, ctx}));  // (1, V)
        const int64_t next = tutorials::sample_from_logits(logits.data_ptr<float>(), V, rng);
        if (next == 0) break;
        name += vocab.ch(next);
        context.erase(context.begin());
        context.push_back(next);
      }
      std::printf("  %s\n", name.c_str());
    }
  }

  // --- Pictures: the letters' embeddings in 2-D, and the loss curve ---
  const std::vector<float> table = model.emb.weight.to_vector<float>();  // (V, C)
  const tutorials::Projection proj = tutorials::pca(table, V, C, 2);
  const std::string vowel_color = "#fdae6b", consonant_color = "#9ecae1", end_color = "#cccccc";
  std::vector<tutorials::LabelledPoint> points;
  for (int64_t v = 0; v < V; ++v) {
    const char c = vocab.ch(v);
    const bool vowel = std::string("aeiou").find(c) != std::string::npos;
    points.push_back({proj.coords[static_cast<size_t>(2 * v)], proj.coords[static_cast<size_t>(2 * v + 1)],
                      std::string(1, c), c == '.' ? end_color : vowel ? vowel_color : consonant_color});
  }
  char axis[2][64];
  for (int a = 0; a < 2; ++a)
    std::snprintf(axis[a], sizeof axis[a], "principal axis %d (%.0f%% of the variance)", a + 1,
                  100.0 * proj.explained[static_cast<size_t>(a)]);
  const std::string emb_svg = run.out + "/mlp_embedding.svg", loss_svg = run.out + "/mlp_loss.svg";
  tutorials::write_scatter_svg(emb_svg, "The 27 learned letter embeddings (C = " + std::to_string(C) + "), PCA to 2-D",
                               axis[0], axis[1], points,
                               {{"vowels (a e i o u)", vowel_color}, {"consonants", consonant_color},
                                {"'.' (start / end of a name)", end_color}});
  tutorials::write_lines_svg(loss_svg, "MLP on names: NLL every " + std::to_string(eval_every) + " steps", "step",
                             "NLL (nats)", {train_curve, dev_curve});
  std::printf("\nwrote %s and %s\n", emb_svg.c_str(), loss_svg.c_str());
  return tutorials::check_loss_fell(losses.first(), losses.settled(), run.check);
}

int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
