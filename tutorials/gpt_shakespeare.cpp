// Lesson 6: a tiny GPT on Shakespeare, characters as tokens (nanoGPT's CPU recipe).
//
// The lessons so far looked a token up and mixed a fixed window of lookups. A GPT reads the whole
// context at once, and what it adds to the embedding is small:
//   - Token embedding + position embedding. wte (V, C) says what a character is; wpe (T, C) says where
//     it stands. x = wte(idx) + wpe(arange(T)): (B, T, C). Attention itself is blind to order (it mixes
//     a set), so position enters only here, as a learned vector per slot 0..T-1. gpt_positions.svg
//     shows what wpe learns: the cosine similarity of every pair of its rows. Nothing tells the model
//     that slot 7 is next to slot 8, yet neighbouring positions end up alike (red along the diagonal)
//     and the first and last slots point opposite ways (blue corners): its own notion of "near".
//   - Attention. Each position asks a question (q), offers a key (k) and a value (v), all Linear maps of
//     x; position t takes the softmax(q_t . k_s / sqrt(D))-weighted mean of the values v_s of positions
//     s <= t (causal: never the future). Several heads (H) do this in parallel on C/H-wide slices.
//     Each of the L blocks is x += attention(layer_norm(x)); x += MLP(layer_norm(x)), the MLP being
//     Linear(C, 4C), GELU, Linear(4C, C).
//   - The tied head. logits = layer_norm(x) wte^T: the output head scores the final vector against
//     the same (V, C) table the input read (lesson 5), so a character "looks the same" going in and out.
//
// Recipe (karpathy/nanoGPT, config/train_shakespeare_char.py with the README's CPU settings): L 4,
// H 4, C 128, T 64, B 12, no dropout, no biases; N(0, 0.02) init, the projections into the residual
// stream (c_proj) N(0, 0.02/sqrt(2L)); AdamW lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on the 2-D
// parameters only; 100 warm-up steps, then cosine to 1e-4 at step 2000; gradients clipped to norm 1.
// Data: the text's sorted characters are the vocabulary (V = 65), the first 90% trains, the rest is
// val; a batch is B random windows of T + 1 characters (inputs, and targets one to the right). The val
// loss is the mean over 200 fixed val batches. PyTorch eager with the same model and recipe
// (../shared/tools/reference_gpt.py): val 1.9208 in 102.5 s, 51 ms/step, one thread.
// The program prints train/val loss as it goes, the final val loss, the time, 500 sampled characters,
// and writes gpt_loss.svg and gpt_positions.svg.
//
//   gpt_shakespeare                           # the full recipe on the project's data/tinyshakespeare.txt
//   gpt_shakespeare --steps 500 --seed 7      # shorter (warm-up and cosine scale with --steps)
//   gpt_shakespeare --data other.txt --out /tmp --threads 2
//   mpirun -np 2 gpt_shakespeare --ddp        # data parallel: each rank trains on its share of every batch
//
// --ddp (more than one process, over MPI): every rank draws the same batch and keeps its share (B / ranks
// windows); its loss is the mean over that share, and DataParallel::sync_gradients() averages the
// gradients over the ranks, so each step is the step one process takes on the whole batch (up to the
// order of float sums). Rank 0 prints, samples and draws; the val batches are split between the ranks.
#include <microtorch/microtorch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/corpus.h"
#include "common/gpt_model.h"
#include "common/lesson_options.h"
#include "common/progress.h"
#include "common/svg.h"
#include "common/vocab.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;

namespace {

// The model (nanoGPT's, names as in GPT-2's checkpoints) is in common/gpt_model.h, shared with the bench.
using tutorials::Gpt;

// --- Data: random windows of the id stream ---

struct Batch {
  mt::Tensor x, y;  // (B, T) int64 each: y is x shifted one character to the right
};

// B windows starting at uniform offsets in [0, size - T), as nanoGPT's get_batch.
Batch sample_batch(const std::vector<int64_t>& ids, int64_t B, int64_t T, std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> start(0, static_cast<int64_t>(ids.size()) - T - 1);
  std::vector<int64_t> x(static_cast<size_t>(B * T)), y(static_cast<size_t>(B * T));
  for (int64_t b = 0; b < B; ++b) {
    const auto at = ids.begin() + start(rng);  // seek to this window
    std::copy(at, at + T, x.begin() + b * T);
    std::copy(at + 1, at + 1 + T, y.begin() + b * T);
  }
  return {mt::tensor(x, {B, T}), mt::tensor(y, {B, T})};
}

// Mean loss over `count` val batches drawn from a generator seeded by 1337 every time: the same windows
// whatever --seed is, so runs compare. no_grad: nothing recorded. With --ddp rank r takes batches r,
// r + ranks, ... and the sums are added over the ranks.
double val_loss(Gpt& model, const std::vector<int64_t>& val, int64_t B, int64_t T, int64_t count, int64_t V, bool ddp) {
  mt::NoGradGuard no_grad;
  model.eval();
  const int rank = ddp ? mt::distributed::rank() : 0, ranks = ddp ? mt::distributed::world_size() : 1;
  std::mt19937_64 rng(1337);
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const Batch b = sample_batch(val, B, T, rng);
    if (i % ranks != rank) continue;
    total += F::cross_entropy(model.forward(b.x).view({B * T, V}), b.y.view({B * T})).item<double>();
  }
  model.train();
  if (!ddp) return total / static_cast<double>(count);
  mt::Tensor sum = mt::tensor({static_cast<float>(total)}, {1});
  mt::distributed::all_reduce(sum, mt::distributed::ReduceOp::Sum);
  return sum.item<double>() / static_cast<double>(count);
}

}  // namespace

static int lesson(int argc, char** argv) {
  CLI::App app{"Lesson 6: a tiny GPT on Shakespeare, characters as tokens (nanoGPT's CPU recipe)"};
  tutorials::LessonOptions run(app);
  run.steps = 2000;
  int64_t L = 4, H = 4, C = 128, T = 64, B = 12, eval_every = 250, val_batches = 200, samples = 500;
  bool ddp = false;
  tutorials::add_gpt_options(app, L, H, C, T, B);
  app.add_option("--eval-every", eval_every, "steps between val estimates (on 20 of the fixed val batches)");
  app.add_option("--val-batches", val_batches, "fixed val batches for the final val loss");
  app.add_option("--samples", samples, "characters to sample at the end");
  app.add_flag("--ddp", ddp, "data parallel over MPI (mpirun -np N): each rank trains on B / N windows of each batch");
  run.add({"a text file; default: the project's data/tinyshakespeare.txt", "",
           "training steps (the recipe: 2000; warm-up and cosine scale with it)",
           "random seed (init, training batches, samples)", "kernel threads (PyTorch's figure is for one)",
           "folder for gpt_loss.svg and gpt_positions.svg", "exit 1 unless the loss is finite and falls"});
  if (const auto code = run.parse(argc, argv)) return *code;
  if (ddp) mt::distributed::init(&argc, &argv);
  const int rank = ddp ? mt::distributed::rank() : 0, ranks = ddp ? mt::distributed::world_size() : 1;
  if (B % ranks != 0)
    throw std::invalid_argument("gpt_shakespeare: --batch " + std::to_string(B) + " must be a multiple of the " +
                                std::to_string(ranks) + " ranks");
  if (rank != 0 && !std::freopen("/dev/null", "w", stdout))  // the other ranks train without printing
    throw std::runtime_error("gpt_shakespeare: cannot silence rank " + std::to_string(rank));
  if (run.steps < 1 || L < 1 || H < 1 || C < 1 || C % H != 0 || T < 1 || B < 1 || eval_every < 1 || val_batches < 1)
    throw std::invalid_argument("gpt_shakespeare: sizes and counts must be positive, --emb a multiple of --heads");

  // --- Data: sorted characters are the ids; the first 90% trains ---
  const std::string text = tutorials::load_text(run.data);
  const tutorials::CharVocab vocab(text);  // ids in byte order = Python's sorted(set(text)) for ASCII
  const int64_t V = vocab.size();
  const std::vector<int64_t> ids = vocab.encode(text);
  const auto n = static_cast<std::ptrdiff_t>(0.9 * static_cast<double>(ids.size()));
  const std::vector<int64_t> train(ids.begin(), ids.begin() + n), val(ids.begin() + n, ids.end());
  if (static_cast<int64_t>(val.size()) <= T + 1)
    throw std::invalid_argument("gpt_shakespeare: the text is too short for --block " + std::to_string(T));

  Gpt model(V, T, C, H, L);
  std::unique_ptr<mt::distributed::DataParallel> parallel;  // --ddp: rank 0's initial weights on every rank
  if (ddp) parallel = std::make_unique<mt::distributed::DataParallel>(model);
  std::vector<mt::Tensor> decay, no_decay;  // weight decay on the matrices only, not on LayerNorm's gains
  int64_t n_params = 0;
  for (const auto& p : model.parameters()) {
    (p.dim() >= 2 ? decay : no_decay).push_back(p);
    n_params += p.numel();
  }
  std::printf("%zu characters (train %zu, val %zu), V = %lld; GPT L %lld, H %lld, C %lld, T %lld: %lld parameters\n",
              ids.size(), train.size(), val.size(), static_cast<long long>(V), static_cast<long long>(L),
              static_cast<long long>(H), static_cast<long long>(C), static_cast<long long>(T),
              static_cast<long long>(n_params));
  const auto adamw = mt::optim::AdamWOptions(1e-3).betas({0.9, 0.99}).eps(1e-8);
  std::vector<mt::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<mt::optim::AdamWOptions>(mt::optim::AdamWOptions(adamw).weight_decay(0.1)));
  groups.emplace_back(no_decay, std::make_unique<mt::optim::AdamWOptions>(mt::optim::AdamWOptions(adamw).weight_decay(0.0)));
  mt::optim::AdamW opt(std::move(groups), adamw);
  const std::vector<mt::Tensor> params = model.parameters();
  // nanoGPT's get_lr as two schedulers: lr (it + 1) / (warmup + 1) for the first `warmup` steps (LinearLR's
  // factor from 1 / (warmup + 1) towards 1), then the cosine from lr to 1e-4 at the last step
  const int64_t warmup = std::max<int64_t>(1, std::min<int64_t>(100, run.steps / 20));  // 100 in the recipe
  mt::optim::LinearLR warm_up(opt, /*start_factor=*/1.0 / static_cast<double>(warmup + 1), /*end_factor=*/1.0,
                              /*total_iters=*/warmup);
  mt::optim::CosineAnnealingLR cosine(opt, /*T_max=*/std::max<int64_t>(1, run.steps - warmup), /*eta_min=*/1e-4);
  mt::optim::SequentialLR schedule(opt, {&warm_up, &cosine}, /*milestones=*/{warmup});

  // --- Training ---
  std::mt19937_64 rng(run.seed);
  tutorials::Series train_curve{"train (mean since the last point)", "#1f77b4", {}, {}};
  tutorials::Series val_curve{"val (20 fixed batches)", "#d62728", {}, {}};
  double window = 0.0, first = 0.0, smooth = 0.0, step_seconds = 0.0;
  const std::clock_t cpu_start = std::clock();  // CPU time too: on a shared machine wall time swings
  tutorials::Progress progress("train", run.steps);
  for (int64_t it = 0; it < run.steps; ++it) {
    const Batch whole = sample_batch(train, B, T, rng);  // every rank draws the same batch ...
    const int64_t share = B / ranks;                       // ... and keeps its share of the windows
    const Batch b = ranks == 1 ? whole : Batch{whole.x.narrow(0, rank * share, share), whole.y.narrow(0, rank * share, share)};
    const auto start = std::chrono::steady_clock::now();
    const mt::Tensor loss = F::cross_entropy(model.forward(b.x).view({share * T, V}), b.y.view({share * T}));
    opt.zero_grad();
    loss.backward();
    if (parallel) parallel->sync_gradients();  // the gradients averaged over the ranks
    mt::nn::utils::clip_grad_norm_(params, 1.0);
    opt.step();
    schedule.step();  // the next step's lr
    step_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    mt::Tensor whole_loss = loss.detach().clone();  // with --ddp: the mean over the whole batch
    if (ddp) mt::distributed::all_reduce(whole_loss, mt::distributed::ReduceOp::Avg);
    const double l = whole_loss.item<double>();
    if (it == 0) first = smooth = l;
    smooth = 0.95 * smooth + 0.05 * l;  // for the progress line and --check: one batch is noisy
    window += l;
    if ((it + 1) % eval_every == 0 || it + 1 == run.steps) {
      const int64_t since = (it + 1) % eval_every == 0 ? eval_every : (it + 1) % eval_every;
      train_curve.x.push_back(static_cast<double>(it + 1));
      train_curve.y.push_back(window / static_cast<double>(since));
      val_curve.x.push_back(static_cast<double>(it + 1));
      val_curve.y.push_back(val_loss(model, val, B, T, std::min<int64_t>(20, val_batches), V, ddp));
      window = 0.0;
      char note[48];
      std::snprintf(note, sizeof note, "val %.4f", val_curve.y.back());
      progress.set_note(note);
    }
    progress.update(it + 1, smooth);
  }
  progress.finish();
  const double train_seconds = progress.seconds();
  const double train_cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;

  const auto eval_start = std::chrono::steady_clock::now();
  const double final_val = val_loss(model, val, B, T, val_batches, V, ddp);
  const double eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - eval_start).count();
  std::printf("val loss %.4f (mean over %lld fixed val batches, %.1f s)\n", final_val,
              static_cast<long long>(val_batches), eval_seconds);
  std::printf("train: %lld steps in %.1f s wall (%.1f s CPU), %.1f ms/step (forward, backward, clip, AdamW), "
              "%d thread%s, %d rank%s\n", static_cast<long long>(run.steps), train_seconds, train_cpu,
              1000.0 * step_seconds / static_cast<double>(run.steps), run.threads, run.threads == 1 ? "" : "s",
              ranks, ranks == 1 ? "" : "s");
  const int status = tutorials::check_loss_fell(first, smooth, run.check);  // the same on every rank
  if (rank != 0) {  // sampling and pictures are rank 0's
    mt::distributed::finalize();
    return status;
  }
  std::printf("PyTorch eager, same model and recipe: val 1.9208, 102.5 s, 51 ms/step (one thread)\n");

  // --- Sampling: start from a newline, append one drawn character at a time, the model seeing the last T ---
  std::printf("\n%lld characters sampled from the model:\n", static_cast<long long>(samples));
  {
    mt::NoGradGuard no_grad;
    model.eval();
    std::vector<int64_t> context{vocab.id('\n')};
    std::string out = "\n";
    for (int64_t i = 0; i < samples; ++i) {
      const int64_t t = std::min<int64_t>(static_cast<int64_t>(context.size()), T);
      const mt::Tensor idx = mt::tensor(std::vector<int64_t>(context.end() - t, context.end()), {1, t});
      const mt::Tensor last = model.forward(idx).select(1, t - 1);  // (1, V): the next character's logits
      const int64_t next = mt::multinomial(F::softmax(last, F::SoftmaxFuncOptions(-1)), 1).item<int64_t>();
      context.push_back(next);
      out += vocab.ch(next);
    }
    std::printf("%s\n\n", out.c_str());
  }

  // --- Pictures: the loss curve, and the cosine similarity between every two rows of wpe ---
  mt::Tensor similarity;
  {
    mt::NoGradGuard no_grad;
    const mt::Tensor w = model.wpe.weight;                               // (T, C)
    const mt::Tensor unit = w * mt::rsqrt((w * w).sum(1, true));         // each row scaled to length 1
    similarity = mt::matmul(unit, unit.transpose(0, 1));                 // (T, T): cos of every pair
  }
  const std::vector<float> sim = similarity.to_vector<float>();
  const std::string loss_svg = run.out + "/gpt_loss.svg", pos_svg = run.out + "/gpt_positions.svg";
  tutorials::write_lines_svg(loss_svg, "Tiny GPT on Shakespeare: loss", "step", "cross-entropy (nats)",
                             {train_curve, val_curve});
  tutorials::write_heatmap_svg(pos_svg, "What wpe learns: cosine similarity of position embeddings", "position",
                               std::vector<double>(sim.begin(), sim.end()), static_cast<int>(T), -1.0, 1.0,
                               T >= 32 ? 8 : 1);
  std::printf("wrote %s and %s\n", loss_svg.c_str(), pos_svg.c_str());
  if (ddp) mt::distributed::finalize();
  return status;
}

int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
