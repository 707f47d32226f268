// The bad-input catalogue: every input the public API rejects, one row each, with the exception type and
// the words its message must contain. Each row runs against a fresh, trained model (an Embedding, a
// Linear head and SGD with momentum buffers) and then checks that no weight or buffer changed.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <limits>
#include <unistd.h>

#include "catalogue.h"
#include "helpers.h"
#include "io/checkpoint_corruptions.h"

namespace mt = microtorch;
namespace F = mt::nn::functional;

namespace {

// Embedding (5, 3) -> Linear (3 -> 5), trained one SGD step so the momentum buffers exist.
struct Model {
  Model()
      : emb(mt::nn::EmbeddingOptions(5, 3).max_norm(10.0)),
        head(mt::nn::LinearOptions(3, 5)),
        opt(params(), mt::optim::SGDOptions(0.1).momentum(0.9)) {
    const mt::Tensor ids = mt::tensor(std::vector<int64_t>{0, 4, 4}, {3});
    F::cross_entropy(head(emb(ids)), mt::tensor(std::vector<int64_t>{1, 2, 3}, {3})).backward();
    opt.step();
  }
  std::vector<mt::Tensor> params() const { return {emb.weight, head.weight, head.bias}; }
  // Every value a rejected call must leave alone.
  std::vector<std::vector<float>> state() {
    std::vector<std::vector<float>> out;
    for (const mt::Tensor& t : params()) out.push_back(t.to_vector<float>());
    for (const mt::Tensor& b : opt.momentum_buffers()) out.push_back(b.to_vector<float>());
    return out;
  }
  mt::nn::Embedding emb;
  mt::nn::Linear head;
  mt::optim::SGD opt;
};

using catalogue::Throws;
using Rejected = catalogue::Rejected<Model>;

mt::Tensor ids64(std::vector<int64_t> v) { const auto n = static_cast<int64_t>(v.size()); return mt::tensor(v, {n}); }
mt::Tensor ids32(std::vector<int32_t> v) { const auto n = static_cast<int64_t>(v.size()); return mt::tensor(v, {n}); }

// Files for the file rows live in one folder for the whole run, removed at exit.
std::string scratch_path(const std::string& name) {
  static const helpers::TempDir dir;
  return dir / name;
}
std::string scratch_file(const std::string& name, const std::string& bytes) {
  const std::string path = scratch_path(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// A valid .npy of a float32 (2, 2) with NumPy's header layout, then one edit: `from` -> `to`.
std::string npy_with(const std::string& from = "", const std::string& to = "", size_t drop_tail = 0) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  dict.append(128 - 10 - dict.size() - 1, ' ');  // NumPy pads the whole preamble to 128 bytes
  std::string out = std::string("\x93NUMPY\x01\x00", 8) + char(dict.size() + 1) + '\0' + dict + "\n";
  out.append(16, '\0');
  if (!from.empty()) out.replace(out.find(from), from.size(), to);
  return out.substr(0, out.size() - drop_tail);
}

std::vector<Rejected> api_rows() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  using T = Throws;
  return {
      // --- token ids ---
      {"id == V", T::OutOfRange, {"id 5", "flat position 1", "[0, 5)"}, [](Model& m) { m.emb(ids64({0, 5})); }},
      {"negative id", T::OutOfRange, {"id -1", "flat position 2", "do not wrap"}, [](Model& m) { m.emb(ids64({1, 2, -1})); }},
      {"int32 id out of range", T::OutOfRange, {"id 99", "flat position 0"}, [](Model& m) { m.emb(ids32({99})); }},
      {"huge id", T::OutOfRange, {"id 9223372036854775807"},
       [](Model& m) { m.emb(ids64({std::numeric_limits<int64_t>::max()})); }},
      {"bad id after rows max_norm would renorm", T::OutOfRange, {"id 7", "flat position 3"},
       [](Model& m) { F::embedding(ids64({0, 1, 2, 7}), m.emb.weight, F::EmbeddingFuncOptions().max_norm(1e-3)); }},
      {"float ids", T::InvalidArgument, {"int64 or int32", "float32"},
       [](Model& m) { m.emb(mt::tensor(std::vector<float>{1, 2}, {2})); }},
      // --- Embedding options ---
      {"V < 1", T::InvalidArgument, {"num_embeddings", "(0, 3)"}, [](Model&) { mt::nn::Embedding(mt::nn::EmbeddingOptions(0, 3)); }},
      {"C < 1", T::InvalidArgument, {"embedding_dim", "(5, -2)"}, [](Model&) { mt::nn::Embedding(mt::nn::EmbeddingOptions(5, -2)); }},
      {"padding_idx == V", T::InvalidArgument, {"padding_idx 5", "[-5, 5)"},
       [](Model&) { mt::nn::Embedding(mt::nn::EmbeddingOptions(5, 3).padding_idx(5)); }},
      {"padding_idx < -V", T::InvalidArgument, {"padding_idx -6"},
       [](Model&) { mt::nn::Embedding(mt::nn::EmbeddingOptions(5, 3).padding_idx(-6)); }},
      {"F::embedding padding_idx out of range", T::InvalidArgument, {"padding_idx 9"},
       [](Model& m) { F::embedding(ids64({0}), m.emb.weight, F::EmbeddingFuncOptions().padding_idx(9)); }},
      {"max_norm 0", T::InvalidArgument, {"max_norm", "> 0"},
       [](Model&) { mt::nn::Embedding(mt::nn::EmbeddingOptions(5, 3).max_norm(0.0)); }},
      {"max_norm NaN", T::InvalidArgument, {"max_norm", "nan"},
       [nan](Model& m) { F::embedding(ids64({0}), m.emb.weight, F::EmbeddingFuncOptions().max_norm(nan)); }},
      {"norm_type <= 0", T::InvalidArgument, {"norm_type", "> 0"},
       [](Model& m) { F::embedding(ids64({0}), m.emb.weight, F::EmbeddingFuncOptions().max_norm(1.0).norm_type(-1.0)); }},
      {"_weight of the wrong shape", T::InvalidArgument, {"_weight", "[4, 3]", "[5, 3]"},
       [](Model&) { mt::nn::Embedding(mt::nn::EmbeddingOptions(5, 3)._weight(mt::zeros({4, 3}))); }},
      {"from_pretrained 1-D", T::InvalidArgument, {"2-dimensional", "[6]"},
       [](Model&) { mt::nn::Embedding::from_pretrained(mt::zeros({6})); }},
      {"F::embedding 1-D weight", T::InvalidArgument, {"2-D float32", "[5]"},
       [](Model&) { F::embedding(ids64({0}), mt::zeros({5})); }},
      // --- Linear ---
      {"Linear in_features 0", T::InvalidArgument, {"in_features", "(0, 4)"}, [](Model&) { mt::nn::Linear(mt::nn::LinearOptions(0, 4)); }},
      {"Linear input of the wrong width", T::InvalidArgument, {"[2, 4]", "in_features = 3"}, [](Model& m) { m.head(mt::zeros({2, 4})); }},
      {"F::linear bias of the wrong shape", T::InvalidArgument, {"bias", "[4]", "[5]"},
       [](Model& m) { F::linear(mt::zeros({2, 3}), m.head.weight, mt::zeros({4})); }},
      // --- cross_entropy ---
      {"target == V", T::InvalidArgument, {"target 5", "position 1", "[0, 5)"},
       [](Model&) { F::cross_entropy(mt::zeros({2, 5}), ids64({0, 5})); }},
      {"negative target", T::InvalidArgument, {"target -3", "ignore_index -100"},
       [](Model&) { F::cross_entropy(mt::zeros({1, 5}), ids64({-3})); }},
      {"float targets", T::InvalidArgument, {"int64", "float32"}, [](Model&) { F::cross_entropy(mt::zeros({2, 5}), mt::zeros({2})); }},
      {"targets of the wrong length", T::InvalidArgument, {"[2]", "[3]"}, [](Model&) { F::cross_entropy(mt::zeros({2, 5}), ids64({0, 1, 2})); }},
      {"1-D logits with a 1-D target", T::InvalidArgument, {"shape []", "[5]", "[1]"},
       [](Model&) { F::cross_entropy(mt::zeros({5}), ids64({0})); }},
      // --- SGD options ---
      {"negative lr", T::InvalidArgument, {"learning rate", "-0.1"},
       [](Model& m) { mt::optim::SGD(m.params(), mt::optim::SGDOptions(-0.1)); }},
      {"negative momentum", T::InvalidArgument, {"momentum", "-0.5"},
       [](Model& m) { mt::optim::SGD(m.params(), mt::optim::SGDOptions(0.1).momentum(-0.5)); }},
      {"negative weight_decay", T::InvalidArgument, {"weight_decay", "-1"},
       [](Model& m) { mt::optim::SGD(m.params(), mt::optim::SGDOptions(0.1).weight_decay(-1.0)); }},
      {"nesterov without momentum", T::InvalidArgument, {"nesterov", "momentum 0"},
       [](Model& m) { mt::optim::SGD(m.params(), mt::optim::SGDOptions(0.1).nesterov(true)); }},
      {"nesterov with dampening", T::InvalidArgument, {"nesterov", "dampening 0.5"},
       [](Model& m) { mt::optim::SGD(m.params(), mt::optim::SGDOptions(0.1).momentum(0.9).dampening(0.5).nesterov(true)); }},
      {"SGD over a non-leaf", T::InvalidArgument, {"leaf", "non-leaf"},
       [](Model& m) { mt::optim::SGD({m.emb.weight * 2.0f}, mt::optim::SGDOptions(0.1)); }},
      // --- ops, views, items, autograd ---
      {"add shapes that do not broadcast", T::InvalidArgument, {"add", "[2, 3]", "[4]"}, [](Model&) { mt::zeros({2, 3}) + mt::zeros({4}); }},
      {"matmul inner sizes differ", T::InvalidArgument, {"matmul", "[2, 3]", "[4, 2]"},
       [](Model&) { mt::matmul(mt::zeros({2, 3}), mt::zeros({4, 2})); }},
      {"view to a different numel", T::InvalidArgument, {"view", "[4, 2]", "[5, 3]"}, [](Model& m) { m.emb.weight.view({4, 2}); }},
      {"view with two -1", T::InvalidArgument, {"view", "[-1, -1]"}, [](Model& m) { m.emb.weight.view({-1, -1}); }},
      {"item of many elements", T::InvalidArgument, {"item", "[5, 3]", "15 elements"}, [](Model& m) { m.emb.weight.item<float>(); }},
      {"data_ptr of the wrong dtype", T::InvalidArgument, {"float32", "int64"}, [](Model& m) { m.emb.weight.data_ptr<int64_t>(); }},
      {"tensor values do not fill the shape", T::InvalidArgument, {"3 values", "[2, 2]"},
       [](Model&) { mt::tensor(std::vector<float>{1, 2, 3}, {2, 2}); }},
      {"negative dimension", T::InvalidArgument, {"[2, -1]", "negative"}, [](Model&) { mt::zeros({2, -1}); }},
      {"sum over a missing dim", T::OutOfRange, {"dim 2"}, [](Model& m) { m.emb.weight.sum(2); }},
      {"randint empty range", T::InvalidArgument, {"[3, 3)"}, [](Model&) { mt::randint(3, 3, {2}); }},
      {"set_num_threads(0)", T::InvalidArgument, {"n >= 1", "0"}, [](Model&) { mt::set_num_threads(0); }},
      {"int tensor requires grad", T::InvalidArgument, {"float32", "int64"}, [](Model&) { ids64({1}).requires_grad_(true); }},
      {"backward of a non-scalar", T::InvalidArgument, {"one-element", "[2, 5]"},
       [](Model& m) { m.head(mt::zeros({2, 3})).backward(); }},
      {"backward with a mis-shaped grad_out", T::InvalidArgument, {"[3]", "[2, 5]"},
       [](Model& m) { m.head(mt::zeros({2, 3})).backward(mt::zeros({3})); }},
      {"backward of a constant", T::RuntimeError, {"does not require grad"}, [](Model&) { mt::zeros({1}).backward(); }},
      {"copy_ into a parameter with grad on", T::RuntimeError, {"copy_", "NoGradGuard"},
       [](Model& m) { m.emb.weight.copy_(mt::zeros({5, 3})); }},
      {"undefined tensor", T::RuntimeError, {"undefined"}, [](Model&) { mt::Tensor().shape(); }},
  };
}

// Checkpoint and .npy files: each corrupt kind, files that do not fit, and bad saves.
std::vector<Rejected> file_rows() {
  using T = Throws;
  std::vector<Rejected> rows;
  for (const auto& bad : checkpoint_test::corrupt_files()) {
    std::vector<std::string> words = bad.words;
    words.push_back("corrupt.safetensors");
    const std::string bytes = bad.bytes;
    rows.push_back({"checkpoint: " + bad.kind, T::RuntimeError, words,
                    [bytes](Model& m) { mt::load_into(m.emb, scratch_file("corrupt.safetensors", bytes)); }});
  }
  const std::string weight = checkpoint_test::weight_data();
  const std::string v1 = checkpoint_test::safetensors_bytes(checkpoint_test::valid_header(), weight);
  rows.push_back({"checkpoint: shape does not fit the module", T::InvalidArgument, {"'weight'", "[3, 2]", "[5, 3]"},
                  [v1](Model& m) { mt::load_into(m.emb, scratch_file("fit.safetensors", v1)); }});
  auto optimizer_file = [](const mt::NamedTensors& state) {
    return [state](Model& m) {
      mt::save(state, scratch_path("opt.safetensors"));
      mt::load_into(m.opt, scratch_path("opt.safetensors"));
    };
  };
  rows.push_back({"checkpoint: momentum of the wrong shape", T::InvalidArgument, {"'momentum_buffer.0'", "[1, 6]", "[5, 3]"},
                  optimizer_file({{"momentum_buffer.0", mt::zeros({1, 6})}})});
  rows.push_back({"checkpoint: momentum of the wrong dtype", T::InvalidArgument, {"'momentum_buffer.2'", "int32", "float32"},
                  optimizer_file({{"momentum_buffer.2", mt::zeros({5}, mt::kInt32)}})});
  rows.push_back({"checkpoint: momentum for a parameter that does not exist", T::RuntimeError, {"'momentum_buffer.3'", "i < 3"},
                  optimizer_file({{"momentum_buffer.0", mt::zeros({5, 3})}, {"momentum_buffer.3", mt::zeros({5, 3})}})});
  rows.push_back({"checkpoint: missing file", T::RuntimeError, {"absent.safetensors", "cannot open"},
                  [](Model& m) { mt::load_into(m.emb, scratch_path("absent.safetensors")); }});
  rows.push_back({"save: a name twice", T::InvalidArgument, {"'w'", "twice"},
                  [](Model& m) { mt::save({{"w", m.emb.weight}, {"w", m.head.weight}}, scratch_path("twice.safetensors")); }});
  rows.push_back({"save: an undefined tensor", T::InvalidArgument, {"'w'", "undefined"},
                  [](Model&) { mt::save({{"w", mt::Tensor()}}, scratch_path("undef.safetensors")); }});
  rows.push_back({"save: into a missing folder", T::RuntimeError, {"no/such/m.safetensors", "temporary"},
                  [](Model& m) { mt::save(m.emb, scratch_path("no/such/m.safetensors")); }});
  // .npy: the header and size checks that run before xtensor parses the file
  const std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> npys{
      {"npy: bad magic", npy_with("NUMPY", "NUMPX"), {"bad magic"}},
      {"npy: version 2.0", npy_with(std::string("\x01\x00", 2), std::string("\x02\x00", 2)), {"version 2.0"}},
      {"npy: complex64", npy_with("<f4", "<c8"), {"'<f4'", "unsupported descr"}},
      {"npy: Fortran order", npy_with("False", "True "), {"Fortran"}},
      {"npy: truncated data", npy_with("", "", 3), {"13 bytes", "[2, 2]", "16", "truncated"}},
      {"npy: trailing data", npy_with() + "xx", {"18 bytes", "needs 16"}},
      {"npy: malformed shape", npy_with("(2, 2)", "(2,,2)"), {"malformed shape"}},
      {"npy: header cut short", npy_with().substr(0, 40), {"runs past the end"}},
  };
  for (const auto& [kind, bytes, words] : npys) {
    std::vector<std::string> named = words;
    named.push_back("bad.npy");
    rows.push_back({kind, T::RuntimeError, named, [bytes = bytes](Model&) { mt::load_npy(scratch_file("bad.npy", bytes)); }});
  }
  return rows;
}

}  // namespace


TEST_CASE("catalogue: every rejected input of the tensor, nn and optim API") { catalogue::check_rows(api_rows(), 11); }

TEST_CASE("catalogue: every rejected checkpoint and .npy file, and every rejected save") {
  // The unedited files load, so each row is rejected for its one edit.
  REQUIRE(mt::load_npy(scratch_file("good.npy", npy_with())).shape() == mt::Shape{2, 2});
  const std::string valid = checkpoint_test::safetensors_bytes(checkpoint_test::valid_header(), checkpoint_test::weight_data());
  REQUIRE(mt::load(scratch_file("good.safetensors", valid))[0].second.to_vector<float>() ==
          std::vector<float>{0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f});
  catalogue::check_rows(file_rows(), 11);
}
