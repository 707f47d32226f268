// GPT2Tokenizer against references computed by others: the cases of
// $MICROTORCH_SHARED/conformance/tokenizer/gpt2.json (two independent GPT-2 encoders agree on them),
// nanoGPT's published token counts for tinyshakespeare, and the byte <-> unicode table of GPT-2's
// encoder.py. Then the bad inputs: invalid UTF-8, ids out of range, missing or malformed files.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>
#include <microtorch/text/bpe/gpt2_vocab.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "conformance.h"
#include "tokenizer_helpers.h"

namespace mt = microtorch;
using mt::text::GPT2Tokenizer;
using tokenizer_tests::gpt2;

namespace tokenizer_tests {

std::string gpt2_dir() { return std::string(MICROTORCH_SOURCE_DIR) + "/data/gpt2"; }

const GPT2Tokenizer& gpt2() {
  static const GPT2Tokenizer tok = GPT2Tokenizer::from_files(gpt2_dir() + "/encoder.json", gpt2_dir() + "/vocab.bpe");
  return tok;
}

// The path of a file under $MICROTORCH_SHARED, or "" after a FAIL (CI=true) or WARN when it is missing.
std::string shared_file(const std::string& sub, const std::string& name) {
  const std::string dir = conformance::shared_dir(sub);
  if (dir.empty()) return "";
  if (std::filesystem::is_regular_file(dir + "/" + name)) return dir + "/" + name;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") FAIL("missing " << dir << "/" << name);
  WARN("missing " << dir << "/" << name << ", test not run");
  return "";
}

std::string tinyshakespeare() {
  const std::string path = shared_file("data", "tinyshakespeare.txt");
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace tokenizer_tests

TEST_CASE("tokenizer: GPT-2's vocabulary sizes, and Hello world") {
  CHECK(gpt2().vocab_size() == 50257);
  CHECK(gpt2().eot_token() == 50256);
  CHECK(gpt2().encode("Hello world") == std::vector<int64_t>{15496, 995});
  CHECK(gpt2().decode({15496, 995}) == "Hello world");
  CHECK(gpt2().token_bytes(995) == " world");
  CHECK(gpt2().decode({50256}) == "<|endoftext|>");
  // The special token's text inside the text is plain text: it never comes out as 50256.
  const auto ids = gpt2().encode("a<|endoftext|>b");
  CHECK(std::count(ids.begin(), ids.end(), 50256) == 0);
  CHECK(gpt2().decode(ids) == "a<|endoftext|>b");
  // Straight into an embedding: the ids of a real text read rows of a (50257, C) table.
  const mt::Tensor x = mt::nn::functional::embedding(mt::tensor(ids, {1, static_cast<int64_t>(ids.size())}),
                                                     mt::zeros({gpt2().vocab_size(), 4}));
  CHECK(x.shape() == mt::Shape{1, static_cast<int64_t>(ids.size()), 4});
}

TEST_CASE("tokenizer: every case of conformance/tokenizer/gpt2.json encodes to its ids and decodes back") {
  const std::string path = tokenizer_tests::shared_file("conformance/tokenizer", "gpt2.json");
  if (path.empty()) return;
  std::ifstream in(path);
  REQUIRE(in);
  const nlohmann::json cases = nlohmann::json::parse(in).at("cases");
  REQUIRE(cases.size() >= 11);
  for (const auto& c : cases) {
    const std::string text = c.at("text").get<std::string>();
    const std::vector<int64_t> want = c.at("ids").get<std::vector<int64_t>>();
    INFO("text \"" << text << "\"");
    CHECK(gpt2().encode(text) == want);
    CHECK(gpt2().encode_reference(text) == want);
    CHECK(gpt2().decode(want) == text);
  }
}

TEST_CASE("tokenizer: tinyshakespeare split as nanoGPT splits it gives 301,966 and 36,059 tokens") {
  const std::string text = tokenizer_tests::tinyshakespeare();
  if (text.empty()) return;
  // nanoGPT cuts the Python string at int(n * 0.9) characters; count code points, not bytes.
  size_t chars = 0;
  for (const char ch : text) chars += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  const size_t cut_char = static_cast<size_t>(static_cast<double>(chars) * 0.9);
  size_t cut = 0;
  for (size_t seen = 0; cut < text.size(); ++cut) {
    if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80 && seen++ == cut_char) break;
  }
  const auto train = gpt2().encode(std::string_view(text).substr(0, cut));
  const auto val = gpt2().encode(std::string_view(text).substr(cut));
  CHECK(train.size() == 301966);
  CHECK(val.size() == 36059);
  CHECK(gpt2().decode(train) + gpt2().decode(val) == text);
}

TEST_CASE("tokenizer: GPT-2's byte <-> unicode table") {
  const auto table = mt::text::gpt2_byte_to_unicode();
  CHECK(table[' '] == 0x120);   // 'Ġ', the space that starts most tokens
  CHECK(table['\n'] == 0x10A);  // 'Ċ'
  CHECK(table[0] == 0x100);
  CHECK(table['A'] == 'A');
  CHECK(table[0xAD] == 0x143);  // the soft hyphen, the last of the 68 remapped bytes
  CHECK(table[0xFF] == 0xFF);
  CHECK(std::set<uint32_t>(table.begin(), table.end()).size() == 256);
}

TEST_CASE("tokenizer: invalid UTF-8 is std::invalid_argument naming the byte offset") {
  const std::vector<std::pair<std::string, size_t>> bad{
      {"ab\xff", 2},                  // never a UTF-8 byte
      {"abc\xe2\x82", 3},             // truncated 3-byte sequence
      {"\xc0\xaf", 0},                // overlong '/'
      {"x\xe0\x80\xaf", 1},           // overlong 3-byte
      {"xy\xed\xa0\x80", 2},          // surrogate U+D800
      {"\xf4\x90\x80\x80", 0},        // U+110000
      {"hello \x80 world", 6},        // lone continuation byte
      {"ok \xc3\x28", 3},             // lead byte without its continuation
      {"\xf0\x9f\xa4 robot", 0},      // emoji missing its last byte
  };
  for (const auto& [text, offset] : bad) {
    INFO("offset " << offset);
    try {
      gpt2().encode(text);
      FAIL("no exception");
    } catch (const std::invalid_argument& e) {
      CHECK_THAT(e.what(), Catch::Contains("byte offset " + std::to_string(offset) + ":"));
    }
  }
  // The edges of the valid ranges are accepted.
  for (const std::string ok : {"\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xc2\x80"})
    CHECK(gpt2().decode(gpt2().encode(ok)) == ok);
}

TEST_CASE("tokenizer: decode of an id outside 0..50256 is std::out_of_range naming it") {
  for (const int64_t id : {int64_t{-1}, int64_t{50257}, int64_t{1} << 40}) {
    try {
      gpt2().decode({15496, id});
      FAIL("no exception");
    } catch (const std::out_of_range& e) {
      CHECK_THAT(e.what(), Catch::Contains("id " + std::to_string(id)) && Catch::Contains("position 1") &&
                               Catch::Contains("[0, 50257)"));
    }
  }
}

TEST_CASE("tokenizer: from_files with a missing or malformed file names it") {
  const std::string enc = tokenizer_tests::gpt2_dir() + "/encoder.json", bpe = tokenizer_tests::gpt2_dir() + "/vocab.bpe";
  const auto message = [](const std::string& e, const std::string& b) {
    try {
      GPT2Tokenizer::from_files(e, b);
    } catch (const std::runtime_error& err) {
      return std::string(err.what());
    }
    return std::string("no exception");
  };
  CHECK_THAT(message("/no/such/encoder.json", bpe), Catch::Contains("/no/such/encoder.json"));
  CHECK_THAT(message(enc, "/no/such/vocab.bpe"), Catch::Contains("/no/such/vocab.bpe"));
  const auto dir = std::filesystem::temp_directory_path() / ("mt_tok_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream((dir / name).string(), std::ios::binary) << bytes;
    return (dir / name).string();
  };
  const std::string not_json = write("not.json", "{\"a\": 0,");
  CHECK_THAT(message(not_json, bpe), Catch::Contains(not_json) && Catch::Contains("not valid JSON"));
  const std::string bad_id = write("bad_id.json", "{\"a\": -3}");
  CHECK_THAT(message(bad_id, bpe), Catch::Contains(bad_id) && Catch::Contains("\"a\""));
  const std::string bad_line = write("bad.bpe", "#version: 0.2\n\xc4\xa0 t\nthree parts here\n");
  CHECK_THAT(message(enc, bad_line), Catch::Contains(bad_line + "' line 3"));
  const std::string unknown = write("unknown.bpe", "#version: 0.2\nqqqqqq zzzzzzzz\n");
  CHECK_THAT(message(enc, unknown), Catch::Contains("line 2") && Catch::Contains("not a token"));
  std::filesystem::remove_all(dir);
}
