// Reading GPT-2's encoder.json and vocab.bpe into the tables of gpt2_vocab.h. Nothing is trusted: every
// fault names the file and the token or line.
#include "gpt2_vocab.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "../../io/files/read_file.h"
#include "utf8.h"

namespace microtorch::text {

namespace {

const char* const kWho = "GPT2Tokenizer::from_files: ";

// GPT-2's encoder.json is ~1 MB and vocab.bpe ~0.5 MB; a file 64 times the larger is not a vocabulary.
constexpr uint64_t kMaxVocabFileBytes = uint64_t{64} << 20;

// Opened without blocking (io/files/read_file.h): a FIFO, a directory or /dev/zero is refused with its path.
std::string read_whole(const std::string& path) {
  return io::read_file(path, "GPT2Tokenizer::from_files", kMaxVocabFileBytes);
}

// The inverse of gpt2_byte_to_unicode, for code points below 0x144 (the largest it uses is U+0143).
struct UnicodeToByte {
  std::array<int16_t, 0x144> byte;
  UnicodeToByte() {
    byte.fill(-1);
    const auto table = gpt2_byte_to_unicode();
    for (int b = 0; b < 256; ++b) byte[table[b]] = static_cast<int16_t>(b);
  }
  int operator()(uint32_t cp) const { return cp < byte.size() ? byte[cp] : -1; }
};

}  // namespace

std::array<uint32_t, 256> gpt2_byte_to_unicode() {
  std::array<uint32_t, 256> table{};
  uint32_t next_free = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    table[b] = printable ? b : next_free++;
  }
  return table;
}

std::unique_ptr<GPT2Vocab> load_gpt2_vocab(const std::string& encoder_path, const std::string& bpe_path) {
  auto vocab = std::make_unique<GPT2Vocab>();
  const UnicodeToByte to_byte;

  // --- encoder.json: {"token": id, ...}, tokens written in GPT-2's byte alphabet, ids 0..V-1 once each ---
  nlohmann::json encoder;
  try {
    encoder = nlohmann::json::parse(read_whole(encoder_path));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(kWho + ("'" + encoder_path + "' is not valid JSON: ") + e.what());
  }
  if (!encoder.is_object() || encoder.empty())
    throw std::runtime_error(kWho + ("'" + encoder_path + "' is not a JSON object of token -> id"));
  const size_t V = encoder.size();
  if (V > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw std::runtime_error(kWho + ("'" + encoder_path + "' has too many tokens"));
  std::unordered_map<std::string, int32_t> id_of;  // token as written in the files -> id
  id_of.reserve(V);
  vocab->token_bytes.resize(V);
  std::vector<bool> seen(V, false);
  for (const auto& [token, value] : encoder.items()) {
    const std::string where = "'" + encoder_path + "': token \"" + token + "\"";
    if (!value.is_number_unsigned() || value.get<uint64_t>() >= V)
      throw std::runtime_error(kWho + where + " has id " + value.dump() + ", expected an integer in [0, " +
                               std::to_string(V) + ")");
    const auto id = static_cast<int32_t>(value.get<uint64_t>());
    if (seen[id]) throw std::runtime_error(kWho + where + ": id " + std::to_string(id) + " is used twice");
    seen[id] = true;
    id_of.emplace(token, id);
    // Its bytes: each character of the token stands for one byte.
    std::string& bytes = vocab->token_bytes[id];
    for (size_t i = 0; i < token.size();) {
      const uint32_t cp = utf8::next(token, i);  // nlohmann::json rejects invalid UTF-8 while parsing
      const int b = to_byte(cp);
      if (b < 0) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "U+%04X", cp);
        throw std::runtime_error(kWho + where + " has the character " + hex + ", outside GPT-2's byte alphabet");
      }
      bytes += static_cast<char>(b);
    }
  }
  const auto table = gpt2_byte_to_unicode();
  for (int b = 0; b < 256; ++b) {
    std::string token;
    utf8::append(table[b], token);
    auto it = id_of.find(token);
    if (it == id_of.end())
      throw std::runtime_error(kWho + ("'" + encoder_path + "' has no token for byte ") + std::to_string(b) +
                               " (\"" + token + "\")");
    vocab->byte_id[b] = it->second;
  }
  auto eot = id_of.find("<|endoftext|>");
  if (eot == id_of.end()) throw std::runtime_error(kWho + ("'" + encoder_path + "' has no <|endoftext|> token"));
  vocab->eot = eot->second;

  // --- vocab.bpe: "#version: 0.2", then one merge "left right" per line, most frequent (rank 0) first ---
  const std::string text = read_whole(bpe_path);
  size_t line_no = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_no == 1 && line.rfind("#version", 0) == 0)) continue;
    const std::string where = "'" + bpe_path + "' line " + std::to_string(line_no);
    const size_t space = line.find(' ');
    if (space == 0 || space == std::string_view::npos || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      throw std::runtime_error(kWho + where + ": expected two tokens separated by one space, got \"" +
                               std::string(line) + "\"");
    const std::string left(line.substr(0, space)), right(line.substr(space + 1));
    const auto left_id = id_of.find(left), right_id = id_of.find(right), merged = id_of.find(left + right);
    for (const auto& [name, it] : {std::pair{left, left_id}, {right, right_id}, {left + right, merged}})
      if (it == id_of.end())
        throw std::runtime_error(kWho + where + ": \"" + name + "\" is not a token of '" + encoder_path + "'");
    if (!vocab->merges.add(left_id->second, right_id->second, merged->second))
      throw std::runtime_error(kWho + where + ": the merge \"" + std::string(line) + "\" appears twice");
  }
  vocab->merges_ordered = vocab->merges.ordered();
  return vocab;
}

}  // namespace microtorch::text
