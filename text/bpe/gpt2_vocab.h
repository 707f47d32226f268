// The tables GPT2Tokenizer works from, read once from encoder.json and vocab.bpe and then shared
// (read-only) by every copy of the tokenizer.
#pragma once
#include <array>
#include <memory>
#include <cstdint>
#include <string>
#include <vector>

#include "bpe.h"
#include "pretokenize.h"

namespace microtorch::text {

struct GPT2Vocab {
  std::vector<std::string> token_bytes;  // (V) id -> its bytes
  std::array<int32_t, 256> byte_id{};    // the id of each single byte, where every piece starts
  MergeTable merges;                     // (left id, right id) -> rank and merged id
  bool merges_ordered = false;           // bpe() may be used (see bpe.h); else bpe_reference()
  int32_t eot = -1;                      // <|endoftext|>
  Pretokenizer pretokenizer;
};

// GPT-2's bytes_to_unicode(): byte b -> the code point standing for it in encoder.json and vocab.bpe.
// Printable Latin-1 bytes ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for themselves; the other 68
// (controls, space, 0x7F..0xA0, 0xAD) take U+0100, U+0101, ... in byte order, so ' ' is 'Ġ' (U+0120).
std::array<uint32_t, 256> gpt2_byte_to_unicode();

// Loads both files (see GPT2Tokenizer::from_files).
std::unique_ptr<GPT2Vocab> load_gpt2_vocab(const std::string& encoder_json_path, const std::string& vocab_bpe_path);

}  // namespace microtorch::text
