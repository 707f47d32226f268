// GPT2Tokenizer: validate, pre-tokenise, merge each piece (cached), and back (see gpt2_tokenizer.h).
#include "gpt2_tokenizer.h"

#include <limits>
#include <mutex>
#include <stdexcept>

#include "bpe/gpt2_vocab.h"
#include "bpe/piece_cache.h"
#include "bpe/utf8.h"

namespace microtorch::text {

// The pieces already merged, shared by copies of a tokenizer. The mutex is held for a whole encode() call;
// a second call running at the same time uses a private cache instead of waiting.
struct BpeCache {
  std::mutex mutex;
  PieceCache pieces;
};

GPT2Tokenizer::GPT2Tokenizer(std::shared_ptr<const GPT2Vocab> vocab)
    : vocab_(std::move(vocab)), cache_(std::make_shared<BpeCache>()) {}

GPT2Tokenizer GPT2Tokenizer::from_files(const std::string& encoder_json_path, const std::string& vocab_bpe_path) {
  return GPT2Tokenizer(load_gpt2_vocab(encoder_json_path, vocab_bpe_path));
}

int64_t GPT2Tokenizer::vocab_size() const { return static_cast<int64_t>(vocab_->token_bytes.size()); }
int64_t GPT2Tokenizer::eot_token() const { return vocab_->eot; }

std::vector<int64_t> GPT2Tokenizer::encode(std::string_view text) const { return encode_with(text, false); }
std::vector<int64_t> GPT2Tokenizer::encode_reference(std::string_view text) const { return encode_with(text, true); }

std::vector<int64_t> GPT2Tokenizer::encode_with(std::string_view text, bool reference) const {
  const char* who = reference ? "GPT2Tokenizer::encode_reference" : "GPT2Tokenizer::encode";
  std::string why;
  const size_t bad = utf8::first_invalid(text, &why);
  if (bad != utf8::kValid)
    throw std::invalid_argument(std::string(who) + ": the text is not valid UTF-8 at byte offset " +
                                std::to_string(bad) + ": " + why);

  const GPT2Vocab& vocab = *vocab_;
  std::unique_lock<std::mutex> lock(cache_->mutex, std::defer_lock);
  if (!reference) lock.try_lock();
  BpeCache private_cache;
  BpeCache& cache = lock.owns_lock() ? *cache_ : private_cache;
  const bool use_cache = !reference;

  std::vector<int64_t> out;
  out.reserve(text.size() / 3);  // English runs at 3-4.5 bytes per token
  std::vector<int32_t> word;     // the ids of one piece, merged in place
  BpeScratch scratch;
  vocab.pretokenizer.split(text, [&](std::string_view piece) {
    const bool cacheable = use_cache && piece.size() <= PieceCache::kMaxPieceBytes;
    const uint64_t hash = cacheable ? PieceCache::hash(piece) : 0;
    if (cacheable) {
      uint32_t count = 0;
      if (const int32_t* ids = cache.pieces.find(piece, hash, count)) {
        out.insert(out.end(), ids, ids + count);
        return;
      }
    }
    if (piece.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
      throw std::invalid_argument(std::string(who) + ": a piece of " + std::to_string(piece.size()) +
                                  " bytes is longer than 2^31 - 1");
    word.resize(piece.size());
    for (size_t i = 0; i < piece.size(); ++i) word[i] = vocab.byte_id[static_cast<unsigned char>(piece[i])];
    if (reference || !vocab.merges_ordered) bpe_reference(word, vocab.merges);
    else bpe(word, vocab.merges, scratch);
    out.insert(out.end(), word.begin(), word.end());
    if (cacheable) cache.pieces.insert(piece, hash, word);
  });
  return out;
}

std::string GPT2Tokenizer::decode(const std::vector<int64_t>& ids) const {
  const auto& token_bytes = vocab_->token_bytes;
  const int64_t V = vocab_size();
  size_t bytes = 0;
  for (size_t i = 0; i < ids.size(); ++i) {  // all ids checked before anything is written
    if (ids[i] < 0 || ids[i] >= V)
      throw std::out_of_range("GPT2Tokenizer::decode: id " + std::to_string(ids[i]) + " at position " +
                              std::to_string(i) + " is outside [0, " + std::to_string(V) + ")");
    bytes += token_bytes[static_cast<size_t>(ids[i])].size();
  }
  std::string text;
  text.reserve(bytes);
  for (const int64_t id : ids) text += token_bytes[static_cast<size_t>(id)];
  return text;
}

std::string GPT2Tokenizer::token_bytes(int64_t id) const { return decode({id}); }

}  // namespace microtorch::text
