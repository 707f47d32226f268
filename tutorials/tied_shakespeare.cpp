// Lesson 5: tie the output head to the embedding (Press & Wolf 2017; GPT-2 does it).
//
// A language model has two (V, C) tables: the input embedding maps a token id to a vector, and the
// output head scores every token against the final hidden vector, logits = h W_head^T + b with
// W_head (V, C). Both say "what token v looks like in C numbers", so one table can serve as both:
//   head.weight = emb.weight;   // one Parameter; its gradient is the sum of both uses
// That saves V * C parameters (at GPT-2 size 50257 * 768 = 38.6M, almost a third of the model) and
// usually costs little or nothing in quality, often helps.
//
// The model here is character-level on Shakespeare: the last ctx characters are looked up (B, ctx, C),
// concatenated (B, ctx*C), mixed by Linear(ctx*C, C) + tanh into h (B, C), and scored by the head
// Linear(C, V) -> logits (B, V). The hidden width is C so the head's weight has the embedding's shape.
// It is trained twice from the same seed, head tied and untied, and both parameter counts and
// validation NLLs (last 10% of the text) are printed; then 300 characters sampled from the tied model.
//
//   tied_shakespeare                              # the project's data/tinyshakespeare.txt, 1.1 MB of plays
//   tied_shakespeare --emb 64 --context 8 --steps 20000 --seed 7
#include <microtorch/microtorch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/corpus.h"
#include "common/lesson_options.h"
#include "common/progress.h"
#include "common/sampling.h"
#include "common/vocab.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;

namespace {

struct Settings {
  int64_t V, C, ctx, batch, steps;
  double lr;
  uint64_t seed;
};

// A user's module with registered children. When tied, the head takes the embedding's weight BEFORE it
// is registered, so parameters() lists the shared (V, C) table once (as "emb.weight"): counted, clipped
// and stepped once.
struct CharModel : mt::nn::Module {
  CharModel(const Settings& s, bool tied)
      : ctx(s.ctx), C(s.C), emb(mt::nn::EmbeddingOptions(s.V, s.C)), hidden(mt::nn::LinearOptions(s.ctx * s.C, s.C)),
        head(mt::nn::LinearOptions(s.C, s.V)) {
    // N(0, 1/sqrt(C)): rows of about unit length, so the tied head's first logits are of order 1 too.
    mt::nn::init::normal_(emb.weight, 0.0, 1.0 / std::sqrt(static_cast<double>(s.C)));
    if (tied) head.weight = emb.weight;  // (V, C): the same tensor, not a copy
    register_module("emb", emb);
    register_module("hidden", hidden);
    register_module("head", head);
  }
  // X (B, ctx) int64 -> logits (B, V)
  mt::Tensor forward(const mt::Tensor& X) {
    const int64_t B = X.shape()[0];
    const mt::Tensor h = mt::tanh(hidden(emb(X).view({B, ctx * C})));  // (B, C)
    return head(h);                                                    // (B, V)
  }
  int64_t ctx, C;
  mt::nn::Embedding emb;
  mt::nn::Linear hidden, head;
};

// Inputs (n, ctx) and targets (n) for the windows starting at the given positions of ids.
void windows(const std::vector<int64_t>& ids, const std::vector<int64_t>& starts, int64_t ctx, std::vector<int64_t>& X,
             std::vector<int64_t>& Y) {
  X.clear();
  Y.clear();
  for (int64_t s : starts) {
    X.insert(X.end(), ids.begin() + s, ids.begin() + s + ctx);  // seek to the window at s
    Y.push_back(ids[static_cast<size_t>(s + ctx)]);
  }
}

// Mean NLL over every window of ids (no tape), in chunks.
double nll(CharModel& model, const std::vector<int64_t>& ids) {
  mt::NoGradGuard no_grad;
  const int64_t n = static_cast<int64_t>(ids.size()) - model.ctx, chunk = 4096;
  std::vector<int64_t> starts, X, Y;
  double total = 0.0;
  for (int64_t at = 0; at < n; at += chunk) {
    starts.clear();
    for (int64_t s = at; s < std::min(n, at + chunk); ++s) starts.push_back(s);
    windows(ids, starts, model.ctx, X, Y);
    const auto b = static_cast<int64_t>(Y.size());
    const mt::Tensor loss = F::cross_entropy(model.forward(mt::tensor(X, {b, model.ctx})), mt::tensor(Y, {b}));
    total += static_cast<double>(loss.item<float>()) * static_cast<double>(b);
  }
  return total / static_cast<double>(n);
}

struct Result {
  int64_t params;
  double val_nll, first, last, seconds;
};

// Trains from the seed on random windows of train, SGD with momentum; the lr drops 10x for the last quarter.
Result train(CharModel& model, const Settings& s, const std::vector<int64_t>& train_ids,
             const std::vector<int64_t>& val_ids, const char* label) {
  Result r{0, 0.0, 0.0, 0.0, 0.0};
  for (const auto& p : model.parameters()) r.params += p.numel();
  mt::optim::SGD opt(model.parameters(), mt::optim::SGDOptions(s.lr).momentum(0.9));
  const int64_t last_start = static_cast<int64_t>(train_ids.size()) - s.ctx;  // windows start in [0, last_start)
  std::vector<int64_t> X, Y;
  double window = 0.0;
  tutorials::Progress progress(label, s.steps);
  for (int64_t step = 1; step <= s.steps; ++step) {
    if (step == s.steps * 3 / 4 + 1)  // the rate drops; the momentum buffers carry on
      for (auto& g : opt.param_groups()) g.options().set_lr(s.lr / 10);
    windows(train_ids, mt::randint(0, last_start, {s.batch}).to_vector<int64_t>(), s.ctx, X, Y);
    const mt::Tensor loss = F::cross_entropy(model.forward(mt::tensor(X, {s.batch, s.ctx})), mt::tensor(Y, {s.batch}));
    opt.zero_grad();
    loss.backward();
    opt.step();
    const double l = loss.item<float>();
    if (step == 1) r.first = l;
    window = step == 1 ? l : 0.99 * window + 0.01 * l;  // a smoothed train loss for the progress line
    progress.update(step, window);
  }
  progress.finish();
  r.seconds = progress.seconds();
  r.last = window;
  r.val_nll = nll(model, val_ids);
  return r;
}

}  // namespace

static int lesson(int argc, char** argv) {
  CLI::App app{"Lesson 5: tie the output head to the embedding"};
  tutorials::LessonOptions run(app);
  Settings s{0, 64, 8, 64, 0, 0.05, 1337};
  int64_t sample_chars = 300;
  app.add_option("--emb", s.C, "embedding width C (also the hidden width)");
  app.add_option("--context", s.ctx, "characters the model sees");
  app.add_option("--batch", s.batch, "windows per step");
  app.add_option("--lr", s.lr, "learning rate (momentum 0.9)");
  app.add_option("--sample", sample_chars, "characters to sample from the tied model");
  run.add({"a text file; default: the project's data/tinyshakespeare.txt", "", "SGD steps per model",
           "random seed (both models start from it)", "kernel threads", "",
           "exit 1 unless both losses are finite and fall"});
  if (const auto code = run.parse(argc, argv)) return *code;
  s.steps = run.steps > 0 ? run.steps : 20000;
  s.seed = run.seed;

  const std::string text = tutorials::load_text(run.data);
  const tutorials::CharVocab vocab(text);
  s.V = vocab.size();
  const std::vector<int64_t> ids = vocab.encode(text);
  const auto split = static_cast<std::ptrdiff_t>(0.9 * static_cast<double>(ids.size()));
  const std::vector<int64_t> train_ids(ids.begin(), ids.begin() + split), val_ids(ids.begin() + split, ids.end());
  std::printf("%zu characters (train %zu, val %zu), vocabulary V = %lld; C = %lld, context %lld\n", ids.size(),
              train_ids.size(), val_ids.size(), static_cast<long long>(s.V), static_cast<long long>(s.C),
              static_cast<long long>(s.ctx));

  mt::manual_seed(s.seed);
  CharModel tied(s, true);
  const Result t = train(tied, s, train_ids, val_ids, "tied  ");
  mt::manual_seed(s.seed);
  CharModel untied(s, false);
  const Result u = train(untied, s, train_ids, val_ids, "untied");

  std::printf("\n          parameters  val NLL  train time\n");
  std::printf("tied    %12lld  %7.4f  %8.1f s\n", static_cast<long long>(t.params), t.val_nll, t.seconds);
  std::printf("untied  %12lld  %7.4f  %8.1f s\n", static_cast<long long>(u.params), u.val_nll, u.seconds);
  std::printf("tying saves %lld parameters = V * C = %lld * %lld (%.0f%% of the untied model); val NLL %+.4f\n",
              static_cast<long long>(u.params - t.params), static_cast<long long>(s.V), static_cast<long long>(s.C),
              100.0 * static_cast<double>(u.params - t.params) / static_cast<double>(u.params), t.val_nll - u.val_nll);

  // Sampling: prompt with the first ctx characters of the validation text, then draw one at a time.
  std::printf("\n%lld characters sampled from the tied model:\n", static_cast<long long>(sample_chars));
  std::vector<int64_t> context(val_ids.begin(), val_ids.begin() + s.ctx);
  std::string out;
  for (int64_t id : context) out += vocab.ch(id);
  std::mt19937 rng(static_cast<uint32_t>(s.seed));
  {
    mt::NoGradGuard no_grad;
    for (int64_t i = 0; i < sample_chars; ++i) {
      const mt::Tensor logits = tied.forward(mt::tensor(context, {1, s.ctx}));  // (1, V)
      const int64_t next = tutorials::sample_from_logits(logits.data_ptr<float>(), s.V, rng);
      out += vocab.ch(next);
      context.erase(context.begin());  // slide the window
      context.push_back(next);
    }
  }
  std::printf("%s\n\n", out.c_str());
  const int tied_status = tutorials::check_loss_fell(t.first, t.last, run.check);
  const int untied_status = tutorials::check_loss_fell(u.first, u.last, run.check);
  return tied_status != 0 ? tied_status : untied_status;
}

int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
