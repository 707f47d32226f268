// Properties of GPT2Tokenizer on random text: decode(encode(s)) == s for every valid UTF-8 s, and the
// heap-based merge (text/bpe/bpe.h: bpe) gives exactly the ids of GPT-2's plain loop (bpe_reference).
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>
#include <microtorch/text/bpe/bpe.h>
#include <microtorch/text/bpe/utf8.h>

#include <random>
#include <thread>

#include "tokenizer_helpers.h"

namespace mt = microtorch;
using tokenizer_tests::gpt2;

namespace {

// A random valid UTF-8 string of about n code points drawn from what GPT-2's pattern cares about:
// ASCII words, contractions, digits, punctuation, runs of mixed whitespace, emoji, CJK, and any code point
// of any plane (surrogates excluded).
std::string random_text(std::mt19937& rng, int n) {
  static const std::vector<std::string> pieces{
      "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "''", " '", "  ", "   ", "\n", "\n\n", "\t", " \t\n ",
      "\r\n", "\xc2\xa0", "\xe3\x80\x80", "\xc2\x85", "\xe2\x80\xa8", "\xe1\xa0\x8e", "\xef\xbb\xbf",
      "\xf0\x9f\xa4\x96", "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9",
      "\xe6\x9d\xb1\xe4\xba\xac", "caf\xc3\xa9", "na\xc3\xafve", "\xd0\x9f\xd1\x80\xd0\xb8", "123", "3.14", "\xd9\xa3",
      "<|endoftext|>", "!!", "...", "--", "\xe2\x80\x94"};
  std::uniform_int_distribution<int> kind(0, 9), piece(0, static_cast<int>(pieces.size()) - 1);
  std::uniform_int_distribution<uint32_t> ascii(0x20, 0x7E), any(0, 0x10FFFF), bmp(0x80, 0xFFFF);
  std::string s;
  for (int i = 0; i < n; ++i) {
    const int k = kind(rng);
    if (k <= 3) {
      s += static_cast<char>(ascii(rng));
    } else if (k <= 6) {
      s += pieces[piece(rng)];
    } else {
      uint32_t cp = k == 7 ? bmp(rng) : any(rng);
      if (cp >= 0xD800 && cp < 0xE000) cp -= 0x800;  // no surrogates
      mt::text::utf8::append(cp, s);
    }
  }
  return s;
}

}  // namespace

TEST_CASE("tokenizer: decode(encode(s)) == s for random valid UTF-8, and encode matches GPT-2's plain loop") {
  std::mt19937 rng(20261124);
  std::uniform_int_distribution<int> length(0, 200);
  for (int trial = 0; trial < 400; ++trial) {
    const std::string s = random_text(rng, length(rng));
    REQUIRE(mt::text::utf8::first_invalid(s) == mt::text::utf8::kValid);
    const auto ids = gpt2().encode(s);
    INFO("trial " << trial << ", " << s.size() << " bytes");
    for (const int64_t id : ids) REQUIRE((id >= 0 && id < gpt2().eot_token()));
    CHECK(gpt2().decode(ids) == s);
    CHECK(ids == gpt2().encode_reference(s));
  }
}

TEST_CASE("tokenizer: long pieces (one word, one whitespace run) merge like GPT-2's loop and round-trip") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> letter(0, 25);
  std::string word;  // one 3000-letter piece: the heap merge against the O(n^2) plain loop
  for (int i = 0; i < 3000; ++i) word += static_cast<char>('a' + letter(rng));
  CHECK(gpt2().encode(word) == gpt2().encode_reference(word));
  CHECK(gpt2().decode(gpt2().encode(word)) == word);
  // Large inputs must neither hang (quadratic merging) nor exhaust PCRE2's stack.
  for (const std::string& big : {std::string(1 << 20, 'a'), std::string(1 << 20, ' ') + "x", std::string(1 << 20, '\n'),
                                 std::string(1 << 20, '!')}) {
    const auto ids = gpt2().encode(big);
    CHECK(gpt2().decode(ids) == big);
  }
}

TEST_CASE("tokenizer: bpe and bpe_reference agree on a hand-made table, including repeated pairs") {
  // Ids 0..2 are 'a', 'b', 'c'; merges by rank: (a,a)->3 "aa", (a,b)->4 "ab", (3,3)->5 "aaaa", (4,c)->6 "abc".
  mt::text::MergeTable merges;
  REQUIRE(merges.add(0, 0, 3));
  REQUIRE(merges.add(0, 1, 4));
  REQUIRE(merges.add(3, 3, 5));
  REQUIRE(merges.add(4, 2, 6));
  CHECK_FALSE(merges.add(0, 0, 3));  // a pair appears once
  CHECK(merges.ordered());
  mt::text::BpeScratch scratch;
  const std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> cases{
      {{0, 0, 0}, {3, 0}},             // left to right, without overlap
      {{0, 0, 0, 0}, {5}},             // aa aa -> aaaa
      {{0, 0, 0, 0, 0}, {5, 0}},
      {{0, 1, 2, 0, 1}, {6, 4}},
      {{0, 0, 1, 2}, {3, 1, 2}},       // (a,a) outranks (a,b)
      {{2, 2}, {2, 2}},
      {{}, {}},
  };
  for (const auto& [in, want] : cases) {
    std::vector<int32_t> fast = in, plain = in;
    mt::text::bpe(fast, merges, scratch);
    mt::text::bpe_reference(plain, merges);
    CHECK(fast == want);
    CHECK(plain == want);
  }
  mt::text::MergeTable unordered;  // merges "ab" (rank 1) after a merge that uses it (rank 0)
  REQUIRE(unordered.add(3, 2, 4));
  REQUIRE(unordered.add(0, 1, 3));
  CHECK_FALSE(unordered.ordered());
}

TEST_CASE("tokenizer: copies share the cache and encode from several threads at once") {
  const mt::text::GPT2Tokenizer copy = gpt2();
  std::mt19937 rng(3);
  const std::string text = random_text(rng, 3000);
  const auto want = gpt2().encode_reference(text);
  std::vector<std::vector<int64_t>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 5; ++rep) got[t] = (t % 2 ? copy : gpt2()).encode(text);
    });
  for (auto& th : threads) th.join();
  for (const auto& ids : got) CHECK(ids == want);
}
