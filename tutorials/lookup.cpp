// Lesson 1: a token embedding is a table lookup.
//
// An embedding is a (V, C) table: one row of C numbers for each of the V tokens of a vocabulary.
// Looking up ids (B, T) gives (B, T, C): position (b, t) holds row ids[b, t] of the table. Nothing is
// computed, only copied, so
//   - the same id always gives the same row (a token means the same thing wherever it occurs);
//   - on the identity table eye(V) the row of id i is the one-hot vector of i;
//   - in general the lookup equals one_hot(ids, V) matmul W, the textbook "embedding = one-hot times a
//     matrix" view. That view is the right way to think about gradients (lesson 2), and the wrong way
//     to compute: at GPT-2's V = 50257 the one-hot tensor for one batch has B*T*V floats, gigabytes of
//     zeros, and the matmul spends V multiply-adds per output number to pick one row.
// The program shows each point, then times a GPT-2-sized lookup: a (50257, 768) table read at
// B = 8, T = 1024. Last, real ids: GPT-2's tokenizer (text/gpt2_tokenizer.h, lesson `tokenize`) turns
// "Hello world" into [15496, 995], and those ids pick two rows of a table of the shape of GPT-2's wte.
//
//   lookup                      # the lesson; --vocab/--dim/--batch/--block change the big table
//   lookup --check              # exit 1 if any claim above does not hold (used by ctest)
#include <microtorch/microtorch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/cli.h"
#include "common/gpt2_files.h"
#include "common/lesson_options.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string human_bytes(double bytes) {
  const char* unit[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) { bytes /= 1000; ++u; }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", bytes, unit[u]);
  return buf;
}

// Prints a (rows, C) block of floats, one row per line.
void print_rows(const char* name, const mt::Tensor& t, int64_t rows, int64_t C) {
  const float* p = t.data_ptr<float>();
  for (int64_t r = 0; r < rows; ++r) {
    std::printf("  %s[%lld] = [", name, static_cast<long long>(r));
    for (int64_t c = 0; c < C; ++c) std::printf("%s%5.2f", c ? ", " : "", static_cast<double>(p[r * C + c]));
    std::printf("]\n");
  }
}

}  // namespace

static int lesson(int argc, char** argv) {
  CLI::App app{"Lesson 1: a token embedding is a table lookup"};
  tutorials::LessonOptions run(app);
  int64_t V = 50257, C = 768, B = 8, T = 1024;
  tutorials::add_table_options(app, "the big table", V, C, B, T);
  run.add({"", "folder with GPT-2's encoder.json and vocab.bpe (default: the checkout's data/gpt2)", "",
           "random seed", "", "", "exit 1 if a claim does not hold"});
  if (const auto code = run.parse(argc, argv)) return *code;
  tutorials::check_gpt2_files(run.gpt2);
  bool ok = true;

  std::printf("1. The identity table: eye(5) looked up at ids [[3, 0, 1]] gives the one-hot rows of 3, 0, 1.\n");
  const mt::Tensor eye = mt::eye(5);                                // (V=5, C=5)
  const mt::Tensor ids = mt::tensor(std::vector<int64_t>{3, 0, 1}, {1, 3});  // (B=1, T=3)
  const mt::Tensor rows = F::embedding(ids, eye);                   // (1, 3, 5)
  std::printf("  output shape %s\n", mt::shape_str(rows.shape()).c_str());
  print_rows("out[0]", rows, 3, 5);

  std::printf("\n2. The same id gives the same row: a random (10, 4) table at ids [[7, 2, 7, 7]].\n");
  const mt::Tensor W = mt::randn({10, 4});                                        // (V=10, C=4)
  const mt::Tensor x = F::embedding(mt::tensor(std::vector<int64_t>{7, 2, 7, 7}, {1, 4}), W);  // (1, 4, 4)
  print_rows("out[0]", x, 4, 4);
  const float* xp = x.data_ptr<float>();
  const float* w7 = W.data_ptr<float>() + 7 * 4;  // seek to row 7 of W
  const bool same = std::memcmp(xp, w7, 16) == 0 && std::memcmp(xp + 8, w7, 16) == 0 && std::memcmp(xp + 12, w7, 16) == 0;
  std::printf("  positions 0, 2 and 3 are bit-identical to W[7]: %s\n", same ? "yes" : "NO");
  ok = ok && same;

  std::printf("\n3. A lookup equals one_hot(ids, V) matmul W (here V = 10, C = 4, ids (2, 3)).\n");
  const mt::Tensor ids23 = mt::randint(0, 10, {2, 3});
  const mt::Tensor by_lookup = F::embedding(ids23, W);                      // (2, 3, 4)
  const mt::Tensor by_matmul = mt::matmul(mt::one_hot(ids23, 10).to(mt::kFloat32), W);       // (2, 3, 10) x (10, 4)
  double max_diff = 0.0;
  for (int64_t i = 0; i < by_lookup.numel(); ++i)
    max_diff = std::max(max_diff, std::fabs(double(by_lookup.data_ptr<float>()[i]) - by_matmul.data_ptr<float>()[i]));
  std::printf("  ids %s, max |lookup - one_hot matmul W| = %g\n",
              mt::shape_str(ids23.shape()).c_str(), max_diff);
  ok = ok && max_diff == 0.0;

  std::printf("\n4. What the one-hot way would cost at V = %lld, C = %lld, B = %lld, T = %lld:\n",
              static_cast<long long>(V), static_cast<long long>(C), static_cast<long long>(B), static_cast<long long>(T));
  const double onehot_bytes = 4.0 * B * T * V, lookup_bytes = 4.0 * B * T * C;
  std::printf("  one_hot(ids, V): (B, T, V) float32 = %s\n", human_bytes(onehot_bytes).c_str());
  std::printf("  lookup output:   (B, T, C) float32 = %s   (%.0fx smaller)\n", human_bytes(lookup_bytes).c_str(),
              onehot_bytes / lookup_bytes);
  std::printf("  and the matmul does V = %lld multiply-adds per output number, the lookup one copy.\n",
              static_cast<long long>(V));

  std::printf("\n5. A GPT-2-sized table (%lld x %lld, %s) looked up at B = %lld, T = %lld:\n",
              static_cast<long long>(V), static_cast<long long>(C), human_bytes(4.0 * V * C).c_str(),
              static_cast<long long>(B), static_cast<long long>(T));
  mt::Tensor table = mt::empty({V, C});  // (V, C); GPT-2 draws its table from N(0, 0.02)
  mt::nn::init::normal_(table, 0.0, 0.02);
  const mt::Tensor big_ids = mt::randint(0, V, {B, T});
  double best = 1e30;
  mt::Tensor out;
  for (int rep = 0; rep < 5; ++rep) {  // best of five: the first run also pays for page faults
    const auto start = std::chrono::steady_clock::now();
    out = F::embedding(big_ids, table);  // (B, T, C)
    best = std::min(best, seconds_since(start));
  }
  std::printf("  output %s in %.2f ms (best of 5), %.1f GB/s of rows copied\n", mt::shape_str(out.shape()).c_str(),
              best * 1e3, lookup_bytes / best / 1e9);
  // Spot-check the big lookup: position (b, t) must hold row big_ids[b, t].
  const int64_t probe = B * T / 2, id = big_ids.data_ptr<int64_t>()[probe];
  const bool big_ok = std::memcmp(out.data_ptr<float>() + probe * C, table.data_ptr<float>() + id * C,
                                  static_cast<size_t>(C) * 4) == 0;
  ok = ok && big_ok;

  // The one-hot way on a slice small enough to allocate: T1 tokens, (1, T1, V) x (V, C).
  const int64_t T1 = std::min<int64_t>(T, 32);
  const mt::Tensor slice = mt::randint(0, V, {1, T1});
  auto start = std::chrono::steady_clock::now();
  const mt::Tensor slow = mt::matmul(mt::one_hot(slice, V).to(mt::kFloat32), table);  // (1, T1, C)
  const double t_onehot = seconds_since(start);
  start = std::chrono::steady_clock::now();
  const mt::Tensor fast = F::embedding(slice, table);
  const double t_lookup = seconds_since(start);
  double slice_diff = 0.0;
  for (int64_t i = 0; i < fast.numel(); ++i)
    slice_diff = std::max(slice_diff, std::fabs(double(fast.data_ptr<float>()[i]) - slow.data_ptr<float>()[i]));
  std::printf("  for %lld tokens: one-hot matmul %.2f ms, lookup %.4f ms (same numbers: max diff %g)\n",
              static_cast<long long>(T1), t_onehot * 1e3, t_lookup * 1e3, slice_diff);
  ok = ok && slice_diff == 0.0;

  std::printf("\n6. Real ids: GPT-2's tokenizer turns text into rows of its (50257, 768) table.\n");
  const mt::text::GPT2Tokenizer tok = tutorials::load_gpt2_tokenizer(run.gpt2);
  const std::vector<int64_t> hello = tok.encode("Hello world");
  std::printf("  \"Hello world\" -> [");
  for (size_t i = 0; i < hello.size(); ++i)
    std::printf("%s%lld (\"%s\")", i ? ", " : "", static_cast<long long>(hello[i]), tok.token_bytes(hello[i]).c_str());
  std::printf("]   (the space belongs to \" world\": GPT-2's words carry their leading space)\n");
  ok = ok && hello == std::vector<int64_t>{15496, 995};
  // A table of GPT-2's wte shape (V = 50257, C = 768 by default), randomly initialised here; seed 003 is
  // the trained one. Reuse the big table above when it already has that many rows.
  mt::Tensor wte = table;
  if (wte.shape()[0] != tok.vocab_size()) {
    wte = mt::empty({tok.vocab_size(), C});  // (50257, C)
    mt::nn::init::normal_(wte, 0.0, 0.02);
  }
  const mt::Tensor hello_ids = mt::tensor(hello, {1, static_cast<int64_t>(hello.size())});  // (B=1, T=2)
  const mt::Tensor hello_rows = F::embedding(hello_ids, wte);                               // (1, 2, C)
  std::printf("  ids %s into wte %s -> %s; the first 4 numbers of each row:\n", mt::shape_str(hello_ids.shape()).c_str(),
              mt::shape_str(wte.shape()).c_str(), mt::shape_str(hello_rows.shape()).c_str());
  for (size_t i = 0; i < hello.size(); ++i) {
    const float* row = hello_rows.data_ptr<float>() + i * C;                   // seek to position i of the output
    const float* w_row = wte.data_ptr<float>() + hello[i] * C;                 // seek to row hello[i] of wte
    const bool same_row = std::memcmp(row, w_row, static_cast<size_t>(C) * 4) == 0;
    std::printf("  wte[%5lld] = [", static_cast<long long>(hello[i]));
    for (int64_t c = 0; c < std::min<int64_t>(C, 4); ++c) std::printf("%s%6.3f", c ? ", " : "", static_cast<double>(row[c]));
    std::printf(", ...]%s\n", same_row ? "" : "  NOT THE ROW");
    ok = ok && same_row;
  }
  std::printf("  and back: decode([15496, 995]) = \"%s\"\n", tok.decode(hello).c_str());
  ok = ok && tok.decode(hello) == "Hello world";

  std::printf("\nall claims hold: %s\n", ok ? "yes" : "NO");
  return run.check && !ok ? 1 : 0;
}

int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
