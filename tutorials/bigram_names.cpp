// Lesson 3: a bigram model is an embedding (makemore, part 1).
//
// Predict each character of a name from the one before it. Every name is framed by '.', the start
// and end token, so "emma" gives the bigrams .e em mm ma a. and the vocabulary is '.' plus a-z (27).
//   - The counting model: N[a, b] = how often b follows a; P[a] = (N[a] + 1) / sum(N[a] + 1), the +1
//     so that no bigram has probability zero. Its quality is the mean negative log-likelihood (NLL)
//     of every bigram in the corpus: 2.4546 on makemore's names.txt (a uniform guess is ln 27 = 3.30).
//   - The same model learned: an Embedding(27, 27) whose row a holds the logits of the next character,
//     logits = emb(a), trained by gradient descent on the cross-entropy of the same bigrams. The loss
//     is the same NLL, so the rows of softmax(emb.weight) move towards the counts' probabilities and
//     the NLL reaches the counting model's. The embedding IS the bigram table, learned instead of counted.
//     (The table starts at zero, i.e. uniform; full-batch SGD with momentum 0.9 gets there in 150 steps.
//     Without the +1 the counts give the best NLL any bigram table can reach, printed too: on a small
//     corpus the smoothing costs a lot and the learned table ends below the counting model.)
// Both NLLs are printed, then 20 names sampled from the learned table.
//
//   bigram_names                                     # the project's data/names.txt: NLL 2.4546 both ways
//   bigram_names --data my_names.txt                 # any names, one per line
//   bigram_names --steps 400 --lr 50 --momentum 0 --seed 2147483647
#include <microtorch/microtorch.h>

#include <CLI/CLI.hpp>
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
using tutorials::CharVocab;

static int lesson(int argc, char** argv) {
  CLI::App app{"Lesson 3: a bigram model is an embedding (makemore part 1)"};
  tutorials::LessonOptions run(app);
  run.steps = 150;
  run.seed = 2147483647;
  double lr = 50.0, momentum = 0.9;
  int samples = 20;
  app.add_option("--lr", lr, "learning rate (the loss is a mean over all bigrams, so it is large)");
  app.add_option("--momentum", momentum, "SGD momentum (0 for plain gradient descent)");
  app.add_option("--samples", samples, "names to sample");
  run.add({"names, one per line; default: the project's data/names.txt (makemore's 32k names)", "",
           "full-batch gradient descent steps", "random seed (init and sampling)", "kernel threads", "",
           "exit 1 unless the loss is finite and falls"});
  if (const auto code = run.parse(argc, argv)) return *code;

  const std::vector<std::string> words = tutorials::load_words(run.data);
  std::string all;
  for (const auto& w : words) all += w;
  const CharVocab vocab(all, ".");  // '.' is id 0
  const int64_t V = vocab.size();

  // Every bigram (a, b) of every ".word." as two id lists: xs (n) the current, ys (n) the next.
  std::vector<int64_t> xs, ys;
  for (const auto& w : words) {
    const std::vector<int64_t> ids = vocab.encode("." + w + ".");
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      xs.push_back(ids[i]);
      ys.push_back(ids[i + 1]);
    }
  }
  const auto n = static_cast<int64_t>(xs.size());
  std::printf("%zu names, %lld bigrams, vocabulary of %lld: %s\n", words.size(), static_cast<long long>(n),
              static_cast<long long>(V), vocab.chars().c_str());

  // --- The counting model ---
  std::vector<double> counts(static_cast<size_t>(V * V), 0.0), totals(static_cast<size_t>(V), 0.0);  // (V, V), (V)
  for (int64_t i = 0; i < n; ++i) {
    counts[static_cast<size_t>(xs[i] * V + ys[i])] += 1.0;
    totals[static_cast<size_t>(xs[i])] += 1.0;
  }
  // P(b | a) = (N[a, b] + 1) / (N[a] + V). Without the +1 the counts give the lowest NLL any bigram table
  // can reach on these same bigrams (the maximum-likelihood table): gradient descent heads there, and
  // the gap between the two is what the smoothing costs.
  double nll_counts = 0.0, nll_best = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double c = counts[static_cast<size_t>(xs[i] * V + ys[i])], total = totals[static_cast<size_t>(xs[i])];
    nll_counts -= std::log((c + 1.0) / (total + static_cast<double>(V)));
    nll_best -= std::log(c / total);
  }
  nll_counts /= static_cast<double>(n);
  nll_best /= static_cast<double>(n);

  // --- The same model as an Embedding(V, V) trained by full-batch gradient descent ---
  mt::nn::Embedding emb(mt::nn::EmbeddingOptions(V, V));  // row a: the logits of the character after a
  mt::nn::init::zeros_(emb.weight);  // start uniform (all logits equal), as the counts start from +1 everywhere
  mt::optim::SGD opt(emb.parameters(), mt::optim::SGDOptions(lr).momentum(momentum));
  const mt::Tensor x = mt::tensor(xs, {n}), y = mt::tensor(ys, {n});
  tutorials::Progress progress("embedding", run.steps);
  double first = 0.0, last = 0.0;
  for (int64_t step = 1; step <= run.steps; ++step) {
    const mt::Tensor logits = emb(x);                         // (n, V)
    const mt::Tensor loss = F::cross_entropy(logits, y);      // mean NLL over all bigrams
    opt.zero_grad();
    loss.backward();
    opt.step();
    last = loss.item<float>();
    if (step == 1) first = last;
    progress.update(step, last);
  }
  progress.finish();
  double nll_embedding;
  {
    mt::NoGradGuard no_grad;
    nll_embedding = F::cross_entropy(emb(x), y).item<float>();
  }
  std::printf("counting model NLL   %.4f  (+1 smoothing)\n", nll_counts);
  std::printf("Embedding(%lld, %lld) NLL %.4f after %lld steps in %.1f s (difference %+.4f)\n",
              static_cast<long long>(V), static_cast<long long>(V), nll_embedding, static_cast<long long>(run.steps),
              progress.seconds(), nll_embedding - nll_counts);
  std::printf("best possible NLL    %.4f  (counts without smoothing: the table gradient descent heads for)\n",
              nll_best);

  // Sampling: start at '.', draw the next character from softmax(emb.weight[current]) until '.'.
  std::printf("\n%d names sampled from the learned table:\n", samples);
  std::mt19937 rng(static_cast<uint32_t>(run.seed));
  const float* table = emb.weight.data_ptr<float>();  // (V, V)
  for (int s = 0; s < samples; ++s) {
    std::string name;
    for (int64_t cur = 0; name.size() < 40;) {
      cur = tutorials::sample_from_logits(table + cur * V, V, rng);  // seek to row cur
      if (cur == 0) break;
      name += vocab.ch(cur);
    }
    std::printf("  %s\n", name.c_str());
  }
  return tutorials::check_loss_fell(first, last, run.check);
}

int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
