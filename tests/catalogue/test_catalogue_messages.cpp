// The bad-input catalogue, continued (issue 30, item 23): faults whose message once named neither the op,
// the argument nor the path ("this Tensor is undefined", "max:" for argmax, a bare std::ios_base::failure
// for a directory given to the tokenizer, a rename failure for a save to "dir/", a data_ptr error for
// save_npy(bool), a backward error from gradcheck). Each row: the exception type and the words its message
// must contain; then the model's weights must be unchanged.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "catalogue.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;
namespace fs = std::filesystem;

namespace {

// Embedding (5, 3): the weights a rejected call must leave alone.
struct Model : mt::nn::Module {
  Model() : emb(mt::nn::EmbeddingOptions(5, 3)) { register_module("emb", emb); }
  std::vector<float> state() const { return emb.weight.to_vector<float>(); }
  mt::nn::Embedding emb;
};

using catalogue::Throws;
using Rejected = catalogue::Rejected<Model>;

const fs::path& scratch_dir() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / ("mt_messages_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::vector<Rejected> rows() {
  using T = Throws;
  const std::string dir = scratch_dir().string();
  return {
      {"one_hot(ids, -2)", T::InvalidArgument, {"one_hot", "num_classes -2"},
       [](Model&) { mt::one_hot(mt::tensor({int64_t{1}}), -2); }},
      {"one_hot of id -1", T::OutOfRange, {"one_hot", "id -1", "position 0", "[0, 3)"},
       [](Model&) { mt::one_hot(mt::tensor({int64_t{-1}}), 3); }},
      {"argmax of a bool tensor", T::InvalidArgument, {"argmax:", "bool"},
       [](Model&) { mt::argmax(mt::tensor({1, 0}) == 1, 0); }},
      {"max of an undefined tensor", T::InvalidArgument, {"max:", "undefined"}, [](Model&) { mt::max(mt::Tensor(), 0); }},
      {"init::zeros_ of an undefined tensor", T::InvalidArgument, {"zeros_", "undefined"},
       [](Model&) { mt::nn::init::zeros_(mt::Tensor()); }},
      {"init::normal_ of an undefined tensor", T::InvalidArgument, {"normal_", "undefined"},
       [](Model&) { mt::nn::init::normal_(mt::Tensor()); }},
      {"Embedding::forward with undefined ids", T::InvalidArgument, {"embedding", "ids", "undefined"},
       [](Model& m) { m.emb(mt::Tensor()); }},
      {"Embedding::forward after weight = Tensor()", T::InvalidArgument, {"embedding", "weight", "undefined"},
       [](Model&) {
         mt::nn::Embedding copy(mt::nn::EmbeddingOptions(5, 3));
         copy.weight = mt::Tensor();
         copy(mt::tensor({int64_t{1}}));
       }},
      {"tanh of an undefined tensor", T::InvalidArgument, {"tanh", "undefined"}, [](Model&) { mt::tanh(mt::Tensor()); }},
      {"where with an undefined side", T::InvalidArgument, {"where", "b", "undefined"},
       [](Model&) { mt::where(mt::tensor({1}) == 1, mt::ones({1}), mt::Tensor()); }},
      {"from_files on a directory", T::RuntimeError, {"GPT2Tokenizer::from_files", dir, "is a directory"},
       [dir](Model&) { mt::text::GPT2Tokenizer::from_files(dir, dir); }},
      {"save to \"dir/\"", T::RuntimeError, {"save", dir + "/", "folder"}, [dir](Model& m) { mt::save(m, dir + "/"); }},
      {"save_npy to a directory", T::RuntimeError, {"save", dir, "is a directory"},
       [dir](Model& m) { mt::save_npy(m.emb.weight, dir); }},
      {"gradcheck with no input that requires grad", T::InvalidArgument, {"gradcheck(twice)", "requires grad"},
       [](Model&) {
         mt::autograd::gradcheck([](const std::vector<mt::Tensor>& xs) { return xs[0] * 2.0f; }, {mt::ones({2})},
                                 "twice");
       }},
      {"gradcheck with an undefined input", T::InvalidArgument, {"gradcheck(f)", "input 1", "undefined"},
       [](Model&) {
         mt::autograd::gradcheck([](const std::vector<mt::Tensor>& xs) { return xs[0] * 2.0f; },
                                 {mt::ones({2}).requires_grad_(true), mt::Tensor()});
       }},
      {"record with an undefined output", T::InvalidArgument, {"record", "my_op", "undefined"},
       [](Model& m) {
         mt::Tensor out;
         mt::record(out, "my_op", {m.emb.weight}, [](const mt::Tensor&) {});
       }},
  };
}

}  // namespace

TEST_CASE("catalogue: messages name the op, the argument and the path") {
  catalogue::check_rows<Model>(rows(), 5, [](Model& m) { CHECK(m.emb.weight.defined()); });
  fs::remove_all(scratch_dir());
}
