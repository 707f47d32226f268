// The bad-input catalogue's shared parts: a row is an input, the exception type and the words its message must
// contain, and the call; check_rows() runs each row on a fresh, seeded model and checks that nothing changed.
#pragma once
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace catalogue {

enum class Throws { InvalidArgument, OutOfRange, RuntimeError };

template <class Model>
struct Rejected {
  std::string input;
  Throws type;
  std::vector<std::string> words;
  std::function<void(Model&)> call;
};

inline const char* type_name(Throws t) {
  return t == Throws::OutOfRange ? "std::out_of_range"
         : t == Throws::InvalidArgument ? "std::invalid_argument"
                                        : "std::runtime_error";
}

inline bool is(Throws t, const std::exception& e) {
  if (t == Throws::OutOfRange) return dynamic_cast<const std::out_of_range*>(&e) != nullptr;
  if (t == Throws::InvalidArgument) return dynamic_cast<const std::invalid_argument*>(&e) != nullptr;
  return dynamic_cast<const std::runtime_error*>(&e) != nullptr;
}

// Each row on a fresh Model built after manual_seed(seed): it must throw its type, with its words, in a short
// message (never a serialised untrusted value), and leave m.state() as it was; `after` checks more of the model.
template <class Model>
void check_rows(const std::vector<Rejected<Model>>& rows, uint64_t seed,
                const std::function<void(Model&)>& after = {}) {
  for (const Rejected<Model>& row : rows) {
    microtorch::manual_seed(seed);
    Model m;
    const auto before = m.state();
    INFO("input: " << row.input << " (expects " << type_name(row.type) << ")");
    try {
      row.call(m);
      FAIL_CHECK("accepted");
    } catch (const std::exception& e) {
      INFO("message: " << e.what());
      CHECK(is(row.type, e));
      CHECK(std::string(e.what()).size() < 600);
      for (const std::string& word : row.words) CHECK_THAT(e.what(), Catch::Contains(word));
    }
    CHECK(m.state() == before);
    if (after) after(m);
  }
}

}  // namespace catalogue
