// The first step of the pipeline: text -> GPT-2's token ids (and back).
//
// GPT-2 reads ids, not characters: rows of its (50257, 768) table wte. Its tokenizer is byte-level BPE:
// the text's UTF-8 bytes are cut into pieces by one regular expression (words with their leading space,
// numbers, punctuation runs, whitespace), each piece starts as one id per byte (so any text encodes), and
// neighbouring ids are merged, most frequent merge first, by the 50,000 ranked merges of vocab.bpe.
// Common words end as one id (" world" = 995), rare ones as several, and 1 MB of English as ~300k ids.
// This program tokenises a file, prints the count and the speed, and with --split reproduces nanoGPT's
// train/val token counts for tinyshakespeare (301,966 and 36,059).
//
//   tokenize --data ../shared/data/tinyshakespeare.txt --split
//   tokenize --text "Hello world"           # the ids and the piece each stands for
//   tokenize --check                        # exit 1 unless the claims hold on the built-in text (ctest)
#include <microtorch/microtorch.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/corpus.h"
#include "common/gpt2_files.h"
#include "common/lesson_options.h"

namespace mt = microtorch;

namespace {

// nanoGPT's data/shakespeare/prepare.py: train = data[:int(n * 0.9)], n counted in characters.
size_t nanogpt_cut(const std::string& text) {
  auto starts_char = [&](size_t i) { return (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80; };
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) chars += starts_char(i);
  const auto cut_char = static_cast<size_t>(static_cast<double>(chars) * 0.9);
  size_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i)
    if (starts_char(i) && seen++ == cut_char) return i;
  return text.size();
}

// Each id with the bytes it stands for, spaces shown as '·' as GPT-2's own vocabulary shows them as 'Ġ'.
void show(const mt::text::GPT2Tokenizer& tok, const std::vector<int64_t>& ids, size_t limit) {
  for (size_t i = 0; i < ids.size() && i < limit; ++i) {
    std::string piece;
    for (const char c : tok.token_bytes(ids[i])) piece += c == ' ' ? std::string("\xc2\xb7") : c == '\n' ? "\\n" : std::string(1, c);
    std::printf("  %6lld  %s\n", static_cast<long long>(ids[i]), piece.c_str());
  }
  if (ids.size() > limit) std::printf("  ... (%zu more)\n", ids.size() - limit);
}

}  // namespace

static int lesson(int argc, char** argv) {
  CLI::App app{"GPT-2's tokenizer: text -> token ids"};
  tutorials::LessonOptions run(app);
  // --data is read only without --text, so it is checked when it is read, not up front.
  std::string data, text;
  bool split = false;
  size_t limit = 20;
  app.add_option("--data", data, "a UTF-8 text file (tinyshakespeare.txt); default: the built-in Shakespeare");
  app.add_option("--text", text, "tokenise this string instead of a file, and show every id");
  app.add_option("--show", limit, "ids to show");
  app.add_flag("--split", split, "also count nanoGPT's split: the first 90% of characters and the rest");
  run.add({"", "folder with encoder.json and vocab.bpe (default: the checkout's data/gpt2)", "", "", "", "",
           "exit 1 unless Hello world is [15496, 995] and the text decodes back"});
  if (const auto code = run.parse(argc, argv)) return *code;
  tutorials::check_gpt2_files(run.gpt2);

  auto start = std::chrono::steady_clock::now();
  const mt::text::GPT2Tokenizer tok = tutorials::load_gpt2_tokenizer(run.gpt2);
  std::printf("GPT-2 vocabulary from %s: %lld tokens (<|endoftext|> = %lld), loaded in %.0f ms\n",
              tutorials::gpt2_dir(run.gpt2).c_str(), static_cast<long long>(tok.vocab_size()),
              static_cast<long long>(tok.eot_token()),
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  bool ok = tok.encode("Hello world") == std::vector<int64_t>{15496, 995};

  if (!text.empty()) {
    const auto ids = tok.encode(text);
    std::printf("\"%s\" -> %zu ids\n", text.c_str(), ids.size());
    show(tok, ids, ids.size());
    ok = ok && tok.decode(ids) == text;
    std::printf("decodes back: %s\n", ok ? "yes" : "NO");
    return run.check && !ok ? 1 : 0;
  }

  const std::string corpus = tutorials::load_text(data);
  start = std::chrono::steady_clock::now();
  const auto ids = tok.encode(corpus);  // one thread, the cache starting empty
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%zu bytes -> %zu tokens (%.2f bytes per token) in %.1f ms: %.1f MB/s on one thread\n", corpus.size(),
              ids.size(), static_cast<double>(corpus.size()) / static_cast<double>(ids.size()), seconds * 1e3,
              static_cast<double>(corpus.size()) / seconds / 1e6);
  show(tok, ids, limit);
  const bool round_trip = tok.decode(ids) == corpus;
  std::printf("decode(encode(text)) == text: %s\n", round_trip ? "yes" : "NO");
  ok = ok && round_trip && !ids.empty();

  if (split) {
    const size_t cut = nanogpt_cut(corpus);
    const auto train = tok.encode(std::string_view(corpus).substr(0, cut));
    const auto val = tok.encode(std::string_view(corpus).substr(cut));
    std::printf("nanoGPT's split (first 90%% of characters / the rest): train has %zu tokens, val has %zu tokens\n",
                train.size(), val.size());
    std::printf("  (nanoGPT's README, tinyshakespeare: train has 301,966 tokens, val has 36,059 tokens)\n");
  }
  std::printf("all claims hold: %s\n", ok ? "yes" : "NO");
  return run.check && !ok ? 1 : 0;
}

int main(int argc, char** argv) { return tutorials::run(lesson, argc, argv); }
