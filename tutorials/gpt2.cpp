// Lesson 7: GPT-2 for real. Text -> GPT-2 ids -> wte -> blocks -> tied head -> sampled text.
//
// Lesson 6 built a GPT on characters. GPT-2 is the same machine at scale, with three changes you can see here:
//   - The tokens are GPT-2's byte-pair ids (lesson 0's tokenizer): 50257 of them, so wte is (50257, C) and
//     the tied head scores every position against all 50257 rows. At C = 768 that table is 38.6M of GPT-2
//     small's 124M parameters, and for one generated token its (V, C) product is the biggest single cost.
//   - The model is microtorch's own models::GPT2, named as Hugging Face's GPT2LMHeadModel (wte, wpe,
//     h.N.attn.c_attn, ...), so save_pretrained writes a folder Transformers reads, and from_pretrained reads
//     OpenAI's weights as Hugging Face publishes them (or llm.c's gpt2_124M.bin).
//   - Generation keeps a KV cache: each new token's keys and values are appended, so a token costs one pass
//     over the weights instead of a forward of the whole context.
//
//   gpt2                            # train a small GPT-2-shaped model on tinyshakespeare's GPT-2 ids, save it with
//                                   # save_pretrained, load it back, stream a KV-cached sample (a few minutes)
//   gpt2 --weights DIR              # OpenAI's GPT-2: a prompt's top next tokens, then a streamed sample
//   gpt2 --weights DIR --finetune   # llm.c's CPU recipe on tinyshakespeare: B 4, T 64, AdamW lr 1e-4
// DIR is a folder with Hugging Face's config.json and model.safetensors; fetch GPT-2 small (124M) once with
//   mkdir -p gpt2-hf && for f in config.json model.safetensors; do
//     curl -L -o gpt2-hf/$f https://huggingface.co/openai-community/gpt2/resolve/main/$f; done
#include <microtorch/microtorch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/corpus.h"
#include "common/gpt2_files.h"
#include "common/lesson_options.h"
#include "common/progress.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
using mt::models::GPT2;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// B windows of T + 1 ids: inputs x and targets y (one to the right), each (B, T).
struct Batch {
  mt::Tensor x, y;
};
Batch window_batch(const std::vector<int64_t>& ids, const std::vector<int64_t>& starts, int64_t T) {
  std::vector<int64_t> x, y;
  for (int64_t s : starts) {
    x.insert(x.end(), ids.begin() + s, ids.begin() + s + T);
    y.insert(y.end(), ids.begin() + s + 1, ids.begin() + s + T + 1);
  }
  const auto B = static_cast<int64_t>(starts.size());
  return {mt::tensor(x, {B, T}), mt::tensor(y, {B, T})};
}
Batch random_batch(const std::vector<int64_t>& ids, int64_t B, int64_t T, std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> start(0, static_cast<int64_t>(ids.size()) - T - 1);
  std::vector<int64_t> starts;
  for (int64_t b = 0; b < B; ++b) starts.push_back(start(rng));
  return window_batch(ids, starts, T);
}
// llm.c's loaders read the token stream front to back: batch i is the i-th run of B * T + 1 tokens (wrapping).
Batch sequential_batch(const std::vector<int64_t>& ids, int64_t i, int64_t B, int64_t T) {
  const auto per = B * T, runs = (static_cast<int64_t>(ids.size()) - 1) / per;
  std::vector<int64_t> starts;
  for (int64_t b = 0; b < B; ++b) starts.push_back((i % runs) * per + b * T);
  return window_batch(ids, starts, T);
}

double loss_of(GPT2& model, const Batch& b) {
  const int64_t V = model.config().vocab_size(), N = b.x.numel();
  return F::cross_entropy(model.forward(b.x).view({N, V}), b.y.view({N})).item<double>();
}

// The mean loss of `count` val batches, no tape, eval mode.
double val_loss(GPT2& model, const std::vector<int64_t>& val, int64_t B, int64_t T, int64_t count) {
  mt::NoGradGuard no_grad;
  model.eval();
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) total += loss_of(model, sequential_batch(val, i, B, T));
  model.train();
  return total / static_cast<double>(count);
}

// One optimizer step on a batch: forward, loss, backward, clip to norm 1, AdamW. Returns the loss.
double train_step(GPT2& model, mt::optim::AdamW& opt, const Batch& b, bool clip) {
  const int64_t V = model.config().vocab_size(), N = b.x.numel();
  const mt::Tensor loss = F::cross_entropy(model.forward(b.x).view({N, V}), b.y.view({N}));
  opt.zero_grad();
  loss.backward();
  if (clip) mt::nn::utils::clip_grad_norm_(model.parameters(), 1.0);
  opt.step();
  return loss.item<double>();
}

// Streams a sample: each token printed as it is made; returns the median milliseconds per token (the first,
// which includes the prompt's forward, left out).
double stream_sample(GPT2& model, const mt::text::GPT2Tokenizer& tok, const std::string& prompt, int64_t n,
                     const mt::models::GenerateOptions& options) {
  std::printf("%s", prompt.c_str());
  std::vector<double> ms;
  auto last = std::chrono::steady_clock::now();
  model.eval();
  model.generate(tok.encode(prompt), n, options, [&](int64_t id) {
    const std::string piece = tok.decode({id});
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    ms.push_back(1e3 * seconds_since(last));
    last = std::chrono::steady_clock::now();
  });
  std::printf("\n");
  if (ms.size() > 1) ms.erase(ms.begin());
  std::sort(ms.begin(), ms.end());
  return ms.empty() ? 0.0 : ms[ms.size() / 2];
}

// The prompt's next-token distribution: the k most likely tokens and their probabilities.
void show_top_next(GPT2& model, const mt::text::GPT2Tokenizer& tok, const std::string& prompt, int64_t k) {
  mt::NoGradGuard no_grad;
  model.eval();
  const std::vector<int64_t> ids = tok.encode(prompt);
  const auto P = static_cast<int64_t>(ids.size());
  const mt::Tensor last = model.forward(mt::tensor(ids, {1, P})).select(1, P - 1).view({-1});  // (V)
  const auto [p, top] = mt::topk(mt::softmax(last, -1), k);
  std::printf("\"%s\" -> the next token (of %lld ids):\n", prompt.c_str(), static_cast<long long>(P));
  const auto pv = p.to_vector<float>();
  const auto iv = top.to_vector<int64_t>();
  for (size_t i = 0; i < iv.size(); ++i)
    std::printf("  %6.2f%%  %6lld  \"%s\"\n", 100.0 * pv[i], static_cast<long long>(iv[i]), tok.decode({iv[i]}).c_str());
}

// llm.c's CPU fine-tuning recipe (train_gpt2.c): B 4, T 64, AdamW lr 1e-4, betas (0.9, 0.999), no weight
// decay; the val loss over 5 batches every 10 steps. The data: the first 32768 tokens are val, the rest train.
void finetune(GPT2& model, const std::vector<int64_t>& train, const std::vector<int64_t>& val, int64_t steps) {
  const int64_t B = 4, T = std::min<int64_t>(64, model.config().n_positions());
  mt::optim::AdamW opt(model.parameters(), mt::optim::AdamWOptions(1e-4).betas({0.9, 0.999}).eps(1e-8).weight_decay(0.0));
  model.train();
  for (int64_t step = 0; step <= steps; ++step) {
    if (step % 10 == 0 || step == steps) std::printf("val loss %.4f\n", val_loss(model, val, B, T, 5));
    if (step == steps) break;
    const auto t0 = std::chrono::steady_clock::now();
    const double loss = train_step(model, opt, sequential_batch(train, step, B, T), false);
    std::printf("step %lld: train loss %.4f (took %.0f ms)\n", static_cast<long long>(step), loss, 1e3 * seconds_since(t0));
  }
}

}  // namespace

static int lesson(int argc, char** argv) {
  CLI::App app{"Lesson 7: GPT-2 for real, from the tokenizer's ids to a streamed, KV-cached sample"};
  tutorials::LessonOptions run(app);
  run.steps = 600;
  std::string weights, prompt;
  int64_t finetune_steps = 40, L = 4, H = 4, C = 128, T = 64, B = 8, eval_every = 100, tokens = 64, top = 10;
  double temperature = 0.8;
  int64_t top_k = 40;
  bool do_finetune = false;
  app.add_option("--weights", weights, "a GPT-2 to load: Hugging Face's folder (config.json, model.safetensors) or llm.c's .bin");
  app.add_flag("--finetune", do_finetune, "fine-tune the model as llm.c's CPU recipe does (B 4, T 64, AdamW lr 1e-4)");
  app.add_option("--finetune-steps", finetune_steps, "fine-tuning steps (llm.c: 40)");
  tutorials::add_gpt_options(app, L, H, C, T, B);  // the small model's
  app.add_option("--eval-every", eval_every, "steps between val estimates");
  app.add_option("--prompt", prompt, "the sample's start (default: \"ROMEO:\", or a sentence for --weights)");
  app.add_option("--tokens", tokens, "tokens to sample");
  app.add_option("--temperature", temperature, "sampling temperature (0: greedy)");
  app.add_option("--top-k", top_k, "sample among the k most likely tokens (0: all)");
  app.add_option("--top", top, "next tokens shown for --weights");
  run.add({"a text file; default: the project's data/tinyshakespeare.txt",
           "folder with GPT-2's encoder.json and vocab.bpe; default: data/gpt2",
           "training steps of the small model", "random seed (init, batches, sampling)", "kernel threads",
           "folder the small model is saved under (gpt2_small/)",
           "exit 1 unless the loss falls and the saved model loads back identical"});
  if (const auto code = run.parse(argc, argv)) return *code;
  if (!run.data.empty()) tutorials::check_input_file(run.data, "--data");
  if (run.steps < 1 || L < 1 || H < 1 || C % H != 0 || T < 2 || B < 1 || eval_every < 1 || tokens < 1 ||
      finetune_steps < 0)
    throw std::invalid_argument("gpt2: sizes and counts must be positive, --emb a multiple of --heads");
  const auto sample_options = mt::models::GenerateOptions().temperature(temperature).top_k(top_k).seed(run.seed);

  // --- Text -> GPT-2 ids: llm.c's split, the first 32768 tokens val, the rest train ---
  const auto tok = tutorials::load_gpt2_tokenizer(run.gpt2);
  auto t0 = std::chrono::steady_clock::now();
  const std::vector<int64_t> ids = tok.encode(tutorials::load_text(run.data));
  const auto n_val = std::min<std::ptrdiff_t>(32768, static_cast<std::ptrdiff_t>(ids.size()) / 10);
  const std::vector<int64_t> val(ids.begin(), ids.begin() + n_val), train(ids.begin() + n_val, ids.end());
  std::printf("%zu GPT-2 ids (encoded in %.2f s): val %zu, train %zu\n", ids.size(), seconds_since(t0), val.size(),
              train.size());

  if (!weights.empty()) {  // --- OpenAI's GPT-2 (or any checkpoint) ---
    t0 = std::chrono::steady_clock::now();
    GPT2 model = GPT2::from_pretrained(weights);
    const auto& c = model.config();
    std::printf("loaded %s in %.2f s: %lld layers, %lld heads, C %lld, V %lld, n_positions %lld\n", weights.c_str(),
                seconds_since(t0), static_cast<long long>(c.n_layer()), static_cast<long long>(c.n_head()),
                static_cast<long long>(c.n_embd()), static_cast<long long>(c.vocab_size()),
                static_cast<long long>(c.n_positions()));
    const std::string start = prompt.empty() ? "Hello, I'm a language model," : prompt;
    show_top_next(model, tok, start, top);
    std::printf("\nsampled (temperature %.2f, top-k %lld):\n", temperature, static_cast<long long>(top_k));
    std::printf("[%.1f ms per token]\n", stream_sample(model, tok, start, tokens, sample_options));
    if (do_finetune) {
      finetune(model, train, val, finetune_steps);
      std::printf("\nafter fine-tuning:\n[%.1f ms per token]\n", stream_sample(model, tok, "ROMEO:", tokens, sample_options));
    }
    return 0;
  }

  // --- A small GPT-2-shaped model trained here: GPT-2's vocabulary and layout, fewer and narrower layers ---
  const auto cfg = mt::models::GPT2Config().n_layer(L).n_head(H).n_embd(C).n_positions(T);
  GPT2 model(cfg);
  int64_t n_params = 0;
  for (const auto& p : model.parameters()) n_params += p.numel();
  std::printf("GPT2 with %lld layers, %lld heads, C %lld, n_positions %lld: %lld parameters (wte alone %lld)\n",
              static_cast<long long>(L), static_cast<long long>(H), static_cast<long long>(C), static_cast<long long>(T),
              static_cast<long long>(n_params), static_cast<long long>(cfg.vocab_size() * C));
  mt::optim::AdamW opt(model.parameters(), mt::optim::AdamWOptions(1e-3).betas({0.9, 0.99}).weight_decay(0.0));
  std::mt19937_64 rng(run.seed);
  double first = 0.0, smooth = 0.0;
  tutorials::Progress progress("train", run.steps);
  t0 = std::chrono::steady_clock::now();
  for (int64_t it = 0; it < run.steps; ++it) {
    const double l = train_step(model, opt, random_batch(train, B, T, rng), true);
    if (it == 0) first = smooth = l;
    smooth = 0.95 * smooth + 0.05 * l;
    if ((it + 1) % eval_every == 0 || it + 1 == run.steps) {
      char note[48];
      std::snprintf(note, sizeof note, "val %.4f", val_loss(model, val, B, T, 8));
      progress.set_note(note);
    }
    progress.update(it + 1, smooth);
  }
  progress.finish();
  const double train_seconds = seconds_since(t0);
  std::printf("%lld steps in %.1f s; val loss %.4f (8 batches; a uniform guess over 50257 ids: %.4f)\n",
              static_cast<long long>(run.steps), train_seconds, val_loss(model, val, B, T, 8), std::log(50257.0));

  // --- Saved as Hugging Face lays GPT-2 out, and read back ---
  const std::string saved = run.out + "/gpt2_small";
  model.save_pretrained(saved);
  GPT2 again = GPT2::from_pretrained(saved);
  const Batch probe = sequential_batch(val, 0, 2, T);
  double diff = 0.0;
  {
    mt::NoGradGuard no_grad;
    model.eval();
    again.eval();
    const auto a = model.forward(probe.x).to_vector<float>(), b = again.forward(probe.x).to_vector<float>();
    for (size_t i = 0; i < a.size(); ++i) diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
  }
  std::printf("save_pretrained('%s'), then from_pretrained: logits differ by at most %g\n", saved.c_str(), diff);

  // --- A KV-cached sample, streamed, from the model read back ---
  const std::string start = prompt.empty() ? "ROMEO:" : prompt;
  std::printf("\nsampled (temperature %.2f, top-k %lld), each token as it is made:\n", temperature, static_cast<long long>(top_k));
  std::printf("[%.2f ms per token]\n", stream_sample(again, tok, start, tokens, sample_options));
  if (do_finetune) finetune(again, train, val, finetune_steps);
  const int status = tutorials::check_loss_fell(first, smooth, run.check);
  return run.check && diff != 0.0 ? 1 : status;
}

int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
