// Every file of the reference folders is of a kind the conformance tests reproduce: the folders are listed, so a
// new file of a known kind is picked up by its test, and a file of an unknown kind fails here. The v1 folder names
// a case's kind in its file name, the v2 folder in the file's `option kind`.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "conformance.h"

TEST_CASE("conformance: every case file is of a kind these tests reproduce") {
  const std::string dir = conformance::shared_dir();
  if (dir.empty()) return;
  const std::vector<std::string> kinds{"embedding", "linear", "cross", "tied", "sgd", "bigram"};
  size_t total = 0;
  for (const auto& kind : kinds) total += conformance::case_names(dir, kind).size();
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".txt") continue;
    ++files;
    INFO("case file " << e.path().filename().string());
    CHECK(std::find(kinds.begin(), kinds.end(), conformance::kind_of(e.path().stem().string())) != kinds.end());
  }
  CHECK(files == total);
  CHECK(total >= 13);  // the cases shipped with the contract
}

TEST_CASE("conformance v2: every case file is of a kind these tests reproduce") {
  const std::string dir = conformance::shared_dir("conformance/v2");
  if (dir.empty()) return;
  const std::set<std::string> kinds{"layer_norm", "unary",    "softmax",     "log_softmax",    "matmul",
                                    "causal_attention", "shape_ops", "reduce", "adamw", "adam",
                                    "sparse_adam", "clip_grad_norm", "cross_entropy_nd", "gpt"};
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".txt") continue;
    ++files;
    INFO("case file " << e.path().filename().string());
    const conformance::Case c = conformance::load_case(dir, e.path().stem().string());
    CHECK(kinds.count(c.has("kind") ? c.options.at("kind") : "") == 1);
  }
  CHECK(files >= 13);
}
