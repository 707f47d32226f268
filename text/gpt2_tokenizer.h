// GPT-2's tokenizer: text <-> the token ids a (50257, 768) table like GPT-2's wte is read by.
//   auto tok = mt::text::GPT2Tokenizer::from_files("data/gpt2/encoder.json", "data/gpt2/vocab.bpe");
//   tok.encode("Hello world");   // {15496, 995}
//   tok.decode({15496, 995});    // "Hello world"
// Byte-level BPE exactly as GPT-2's encoder.py: the text's UTF-8 bytes are cut into pieces by GPT-2's
// pre-tokenisation pattern (text/pretokenize.h), each piece starts as one id per byte and its neighbouring
// ids are merged by rank from vocab.bpe (text/bpe.h). Every byte has an id, so any UTF-8 text encodes and
// decode(encode(s)) == s. "<|endoftext|>" inside the text is plain text (7 ordinary tokens); the special
// token is eot_token(), for a caller to put between documents.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace microtorch::text {

struct GPT2Vocab;  // the loaded tables (text/gpt2_vocab.h)
struct BpeCache;   // merged ids of pieces seen before

class GPT2Tokenizer {
 public:
  // Reads GPT-2's encoder.json (token -> id) and vocab.bpe (the merges, by rank). std::runtime_error naming
  // the file, and the line or token, when one is missing or malformed.
  static GPT2Tokenizer from_files(const std::string& encoder_json_path, const std::string& vocab_bpe_path);

  // The ids of text. std::invalid_argument naming the byte offset when text is not valid UTF-8.
  // Pieces seen before are taken from a cache shared by copies of this tokenizer; safe from several threads.
  std::vector<int64_t> encode(std::string_view text) const;
  // The same ids by GPT-2's plain loop (text/bpe.h: bpe_reference) and no cache: the tests' oracle.
  std::vector<int64_t> encode_reference(std::string_view text) const;

  // The bytes of the ids, concatenated. One id may hold part of a character (an emoji is often 2-3 ids),
  // so the bytes of a slice of ids need not be valid UTF-8 on their own; they are returned as they are,
  // so decoding ids one at a time and printing them gives the same output as decoding all at once.
  // std::out_of_range naming an id outside [0, vocab_size()) and its position.
  std::string decode(const std::vector<int64_t>& ids) const;
  std::string token_bytes(int64_t id) const;  // decode({id})

  int64_t vocab_size() const;  // 50257 for GPT-2
  int64_t eot_token() const;   // the id of <|endoftext|>: 50256 for GPT-2

 private:
  GPT2Tokenizer(std::shared_ptr<const GPT2Vocab> vocab);
  std::vector<int64_t> encode_with(std::string_view text, bool reference) const;
  std::shared_ptr<const GPT2Vocab> vocab_;
  std::shared_ptr<BpeCache> cache_;
};

}  // namespace microtorch::text
