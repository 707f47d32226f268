// Lesson 8: word2vec. Do similar tokens end up with similar vectors? Trained here, and shown.
//
// Every lesson so far learned an embedding as a side effect of predicting the next token. word2vec (Mikolov et
// al., 2013) learns nothing else: skip-gram with negative sampling asks, for a word c and a word o seen near
// it, that in(c) . out(o) be large, and for K words drawn at random (from the unigram counts to the 3/4) that
// in(c) . out(n) be small:
//   loss = -log sigmoid(in(c) . out(o)) - sum_k log sigmoid(-in(c) . out(n_k)).
// Two (V, D) tables, each read at a few rows per pair: a step touches B (1 + 1 + K) rows of V, so both are
// Embedding(...).sparse(true) and SparseAdam moves only those rows and their moments (lesson 1's point at scale).
// Words that appear in the same company get pushed towards the same out-vectors, hence towards each other.
// The program prints the nearest neighbours of a few words, one analogy attempt (reported as it comes out),
// writes word2vec_pca.svg (a few word groups projected on their top two principal axes), and times the
// sparse step against the same step with dense gradients and Adam.
//   word2vec                        # tinyshakespeare's words, a couple of minutes on one thread
//   word2vec --weights DIR          # also: nearest neighbours among real GPT-2's wte rows (cosine)
#include <microtorch/microtorch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/corpus.h"
#include "common/gpt2_files.h"
#include "common/lesson_options.h"
#include "common/pca.h"
#include "common/progress.h"
#include "common/svg.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;

namespace {

// Lower-cased runs of letters (and inner apostrophes: "o'er", "i'll") of the text.
std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  for (char ch : text) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if ((c >= 'a' && c <= 'z') || (c == '\'' && !w.empty())) w += c;
    else if (!w.empty()) {
      while (!w.empty() && w.back() == '\'') w.pop_back();
      if (!w.empty()) out.push_back(w);
      w.clear();
    }
  }
  if (!w.empty()) out.push_back(w);
  return out;
}

struct Vocab {
  std::vector<std::string> words;          // by id, most frequent first
  std::vector<int64_t> counts;
  std::map<std::string, int64_t> id;
};

struct SkipGram : mt::nn::Module {
  mt::nn::Embedding in, out;
  SkipGram(int64_t V, int64_t D, bool sparse)
      : in(mt::nn::EmbeddingOptions(V, D).sparse(sparse)), out(mt::nn::EmbeddingOptions(V, D).sparse(sparse)) {
    mt::nn::init::uniform_(in.weight, -0.5 / static_cast<double>(D), 0.5 / static_cast<double>(D));  // word2vec's init
    mt::nn::init::zeros_(out.weight);
    register_module("in", in);
    register_module("out", out);
  }
  // centers (B), contexts (B), negatives (B, K) -> the mean over the batch of the loss above
  mt::Tensor loss(const mt::Tensor& c, const mt::Tensor& o, const mt::Tensor& neg) {
    const mt::Tensor v = in(c);                                              // (B, D)
    const mt::Tensor pos = (v * out(o)).sum(1);                              // (B)
    const mt::Tensor negs = mt::matmul(out(neg), v.unsqueeze(2)).squeeze(2);  // (B, K)
    const auto B = static_cast<float>(c.numel());
    return -(F::logsigmoid(pos).sum() + F::logsigmoid(-negs).sum()) / B;
  }
};

// Batches of (center, context, K negatives), drawn from the (subsampled) id stream.
struct PairSampler {
  const std::vector<int64_t>& ids;
  std::vector<int64_t> table;  // ids repeated in proportion to count^0.75: a uniform index draws a negative
  int64_t window;
  std::mt19937_64 rng;
  struct Batch {
    mt::Tensor c, o, neg;
  };
  Batch next(int64_t B, int64_t K) {
    std::uniform_int_distribution<int64_t> pos(0, static_cast<int64_t>(ids.size()) - 1), off(1, window);
    std::uniform_int_distribution<size_t> negative(0, table.size() - 1);
    std::vector<int64_t> c, o, n;
    while (static_cast<int64_t>(c.size()) < B) {
      const int64_t i = pos(rng), d = off(rng) * (rng() % 2 ? 1 : -1), j = i + d;
      if (j < 0 || j >= static_cast<int64_t>(ids.size())) continue;
      c.push_back(ids[static_cast<size_t>(i)]);
      o.push_back(ids[static_cast<size_t>(j)]);
      for (int64_t k = 0; k < K; ++k) n.push_back(table[negative(rng)]);
    }
    return {mt::tensor(c, {B}), mt::tensor(o, {B}), mt::tensor(n, {B, K})};
  }
};

// Rows of w (V, D) scaled to unit length.
mt::Tensor unit_rows(const mt::Tensor& w) {
  mt::NoGradGuard no_grad;
  return w / mt::sqrt((w * w).sum(1, true) + 1e-12f);
}

// The k rows of unit (V, D) most cosine-similar to the vector q (D), excluding `skip`.
std::vector<std::pair<int64_t, float>> nearest(const mt::Tensor& unit, const mt::Tensor& q, int64_t k,
                                               const std::vector<int64_t>& skip) {
  mt::NoGradGuard no_grad;
  const mt::Tensor qn = q / std::sqrt((q * q).sum().item<float>() + 1e-12f);
  const auto sims = mt::matmul(unit, qn).to_vector<float>();  // (V)
  std::vector<int64_t> order(sims.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::partial_sort(order.begin(), order.begin() + std::min<size_t>(order.size(), static_cast<size_t>(k + 4)), order.end(),
                    [&](int64_t a, int64_t b) { return sims[a] > sims[b]; });
  std::vector<std::pair<int64_t, float>> out;
  for (int64_t i : order) {
    if (std::find(skip.begin(), skip.end(), i) != skip.end()) continue;
    out.push_back({i, sims[static_cast<size_t>(i)]});
    if (static_cast<int64_t>(out.size()) == k) break;
  }
  return out;
}

// Mean seconds of `steps` training steps and the bytes their gradients hold, for sparse or dense tables.
std::pair<double, double> time_steps(int64_t V, int64_t D, bool sparse, PairSampler& sampler, int64_t B, int64_t K, int steps) {
  SkipGram m(V, D, sparse);
  std::unique_ptr<mt::optim::Optimizer> opt;
  if (sparse) opt = std::make_unique<mt::optim::SparseAdam>(m.parameters(), mt::optim::SparseAdamOptions(0.01));
  else opt = std::make_unique<mt::optim::Adam>(m.parameters(), mt::optim::AdamOptions(0.01));
  double total = 0.0, grad_bytes = 0.0;
  for (int s = 0; s < steps + 2; ++s) {
    const auto b = sampler.next(B, K);
    const auto t0 = std::chrono::steady_clock::now();
    opt->zero_grad();
    m.loss(b.c, b.o, b.neg).backward();
    if (s == steps + 1)  // the gradients' size, measured on the last step (before the step frees nothing)
      for (const auto& p : m.parameters())
        grad_bytes += sparse ? 8.0 * static_cast<double>(mt::sparse_grad(p).indices.numel()) +
                                   4.0 * static_cast<double>(mt::sparse_grad(p).values.numel())
                             : 4.0 * static_cast<double>(p.numel());
    opt->step();
    if (s >= 2) total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return {total / steps, grad_bytes};
}

}  // namespace

static int lesson(int argc, char** argv) {
  CLI::App app{"Lesson 8: word2vec (skip-gram, negative sampling) with sparse embeddings and SparseAdam"};
  tutorials::LessonOptions run(app);
  run.steps = 6000;
  std::string weights;
  int64_t D = 64, window = 4, K = 5, B = 1024, min_count = 5;
  double lr = 0.01;
  app.add_option("--weights", weights, "a GPT-2 (Hugging Face folder or llm.c .bin): neighbours among its wte rows");
  app.add_option("--dim", D, "vector width");
  app.add_option("--window", window, "context words on each side, at most");
  app.add_option("--negatives", K, "negative samples per pair");
  app.add_option("--batch", B, "pairs per step");
  app.add_option("--min-count", min_count, "words seen fewer times are dropped");
  app.add_option("--lr", lr, "SparseAdam's learning rate");
  run.add({"a text file; default: the project's data/tinyshakespeare.txt",
           "folder with GPT-2's encoder.json and vocab.bpe; default: data/gpt2", "training steps",
           "random seed", "", "folder for word2vec_pca.svg", "exit 1 unless the loss is finite and falls"});
  if (const auto code = run.parse(argc, argv)) return *code;
  if (!run.data.empty()) tutorials::check_input_file(run.data, "--data");
  mt::set_num_threads(1);

  // --- Words, the vocabulary (count >= min_count), frequent words thinned out (Mikolov's subsampling, t = 1e-3) ---
  const std::vector<std::string> words = words_of(tutorials::load_text(run.data));
  std::map<std::string, int64_t> count;
  for (const auto& w : words) ++count[w];
  Vocab vocab;
  for (const auto& [w, n] : count)
    if (n >= min_count) vocab.words.push_back(w);
  std::sort(vocab.words.begin(), vocab.words.end(), [&](const auto& a, const auto& b) { return count[a] > count[b]; });
  for (size_t i = 0; i < vocab.words.size(); ++i) {
    vocab.id[vocab.words[i]] = static_cast<int64_t>(i);
    vocab.counts.push_back(count[vocab.words[i]]);
  }
  const auto V = static_cast<int64_t>(vocab.words.size());
  std::mt19937_64 rng(run.seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<int64_t> ids;
  for (const auto& w : words) {
    auto it = vocab.id.find(w);
    if (it == vocab.id.end()) continue;
    const double f = static_cast<double>(count[w]) / static_cast<double>(words.size()), t = 1e-3;
    if (u(rng) < (std::sqrt(f / t) + 1.0) * t / f) ids.push_back(it->second);
  }
  PairSampler sampler{ids, {}, window, std::mt19937_64(run.seed + 1)};
  for (int64_t v = 0; v < V; ++v)
    sampler.table.insert(sampler.table.end(), static_cast<size_t>(std::ceil(std::pow(vocab.counts[v], 0.75))), v);
  std::printf("%zu words, %lld distinct seen >= %lld times, %zu kept after subsampling; D %lld, window %lld, K %lld\n",
              words.size(), static_cast<long long>(V), static_cast<long long>(min_count), ids.size(),
              static_cast<long long>(D), static_cast<long long>(window), static_cast<long long>(K));

  // --- Training: sparse tables, SparseAdam ---
  SkipGram model(V, D, /*sparse=*/true);
  mt::optim::SparseAdam opt(model.parameters(), mt::optim::SparseAdamOptions(lr));
  tutorials::Progress progress("train", run.steps);
  double first = 0.0, smooth = 0.0;
  for (int64_t s = 0; s < run.steps; ++s) {
    const auto b = sampler.next(B, K);
    const mt::Tensor loss = model.loss(b.c, b.o, b.neg);
    opt.zero_grad();
    loss.backward();
    opt.step();
    const double l = loss.item<double>();
    if (s == 0) first = smooth = l;
    smooth = 0.98 * smooth + 0.02 * l;
    progress.update(s + 1, smooth);
  }
  progress.finish();
  std::printf("trained %lld steps of %lld pairs in %.1f s\n", static_cast<long long>(run.steps),
              static_cast<long long>(B), progress.seconds());

  // --- Neighbours and one analogy, by cosine of the in-vectors ---
  const mt::Tensor unit = unit_rows(model.in.weight);
  auto row = [&](const std::string& w) { return unit.select(0, vocab.id.at(w)); };
  for (const std::string w : {"king", "lord", "love", "night", "father", "sword", "good", "rome"}) {
    if (!vocab.id.count(w)) continue;
    std::printf("%-8s ->", w.c_str());
    for (const auto& [i, sim] : nearest(unit, row(w), 6, {vocab.id.at(w)}))
      std::printf(" %s (%.2f)", vocab.words[static_cast<size_t>(i)].c_str(), sim);
    std::printf("\n");
  }
  if (vocab.id.count("king") && vocab.id.count("man") && vocab.id.count("woman") && vocab.id.count("queen")) {
    const std::vector<int64_t> asked{vocab.id.at("king"), vocab.id.at("man"), vocab.id.at("woman")};
    const auto ranked = nearest(unit, row("king") - row("man") + row("woman"), V, asked);  // every other word
    std::printf("king - man + woman ->");
    for (size_t i = 0; i < 5 && i < ranked.size(); ++i)
      std::printf(" %s (%.2f)", vocab.words[static_cast<size_t>(ranked[i].first)].c_str(), ranked[i].second);
    size_t queen = 0;
    while (queen < ranked.size() && ranked[queen].first != vocab.id.at("queen")) ++queen;
    std::printf("\n  queen comes %zu of %zu: %s\n", queen + 1, ranked.size(),
                queen == 0 ? "the analogy holds" : "the offset king - man + woman is not learned that sharply from 200k words");
  }

  // --- A picture: a few groups of words on the vectors' top two principal axes ---
  const std::vector<std::pair<std::string, std::vector<std::string>>> groups{
      {"#d62728", {"king", "queen", "prince", "duke", "lord", "lady", "earl", "princess"}},
      {"#1f77b4", {"father", "mother", "son", "daughter", "brother", "sister", "wife", "husband"}},
      {"#2ca02c", {"night", "day", "morning", "hour", "tomorrow", "tonight", "evening", "year"}},
      {"#9467bd", {"hand", "eye", "heart", "head", "face", "tongue", "blood", "arm"}},
      {"#ff7f0e", {"one", "two", "three", "four", "five", "ten", "hundred", "thousand"}}};
  const char* names[] = {"rank", "family", "time", "body", "numbers"};
  std::vector<float> points;
  std::vector<tutorials::LabelledPoint> labelled;
  for (const auto& [color, members] : groups)
    for (const auto& w : members)
      if (vocab.id.count(w)) {
        const auto r = row(w).to_vector<float>();
        points.insert(points.end(), r.begin(), r.end());
        labelled.push_back({0, 0, w, color});
      }
  const auto n = static_cast<int64_t>(labelled.size());
  const tutorials::Projection proj = tutorials::pca(points, n, D, 2);
  for (int64_t i = 0; i < n; ++i) {
    labelled[static_cast<size_t>(i)].x = proj.coords[static_cast<size_t>(2 * i)];
    labelled[static_cast<size_t>(i)].y = proj.coords[static_cast<size_t>(2 * i + 1)];
  }
  std::vector<tutorials::LegendEntry> legend;
  for (size_t g = 0; g < groups.size(); ++g) legend.push_back({names[g], groups[g].first});
  const std::string svg = run.out + "/word2vec_pca.svg";
  char axis_x[64], axis_y[64];
  std::snprintf(axis_x, sizeof axis_x, "PC1 (%.0f%% of the variance)", 100 * proj.explained[0]);
  std::snprintf(axis_y, sizeof axis_y, "PC2 (%.0f%%)", 100 * proj.explained[1]);
  tutorials::write_scatter_svg(svg, "word2vec on Shakespeare: five groups of words", axis_x, axis_y, labelled, legend);
  std::printf("wrote %s\n", svg.c_str());

  // --- The sparse step against a dense one: same batch, dense (V, D) gradients and Adam; at this vocabulary and
  // at GPT-2's 50257 rows (the same words, a larger table), where the dense step's cost grows and the sparse one's
  // does not ---
  const int timed = run.check ? 5 : 50;
  for (const int64_t rows : {V, int64_t{50257}}) {
    const auto [sparse_s, sparse_bytes] = time_steps(rows, D, true, sampler, B, K, timed);
    const auto [dense_s, dense_bytes] = time_steps(rows, D, false, sampler, B, K, timed);
    std::printf("tables of %lld rows: a step with sparse gradients + SparseAdam %.2f ms, its gradients %.2f MB; dense + "
                "Adam %.2f ms, %.2f MB\n", static_cast<long long>(rows), 1e3 * sparse_s, sparse_bytes / 1e6, 1e3 * dense_s,
                dense_bytes / 1e6);
  }
  std::printf("(a batch adds %lld gradient rows to the two tables, repeats kept: when that is near the tables' size, "
              "rows cost more than a dense buffer)\n", static_cast<long long>(B * (2 + K)));

  // --- Real GPT-2's token table, if given ---
  if (!weights.empty()) {
    const auto tok = tutorials::load_gpt2_tokenizer(run.gpt2);
    const auto gpt2 = mt::models::GPT2::from_pretrained(weights);
    const mt::Tensor wte = unit_rows(gpt2.wte.weight);
    std::printf("\nGPT-2's wte (%lld x %lld), nearest rows by cosine:\n", static_cast<long long>(wte.size(0)),
                static_cast<long long>(wte.size(1)));
    for (const std::string w : {" king", " love", " night", " London", " happy", " seven"}) {
      const auto id = tok.encode(w);
      if (id.size() != 1) continue;
      std::printf("\"%s\" ->", w.c_str());
      for (const auto& [i, sim] : nearest(wte, wte.select(0, id[0]), 8, {id[0]}))
        std::printf(" \"%s\" (%.2f)", tok.decode({i}).c_str(), sim);
      std::printf("\n");
    }
  }
  return tutorials::check_loss_fell(first, smooth, run.check);
}

int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
