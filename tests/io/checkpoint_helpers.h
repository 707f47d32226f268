// Helpers of the checkpoint tests (and the catalogue's file rows): writing a file's bytes, and a two-module model.
// The scratch directory is helpers::TempDir.
#pragma once
#include <microtorch/microtorch.h>

#include <fstream>
#include <string>

namespace checkpoint_test {

namespace mt = microtorch;

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Embedding -> Linear head: three named parameters across two modules.
struct TinyModel : mt::nn::Module {
  TinyModel() : emb(mt::nn::EmbeddingOptions(7, 4)), head(mt::nn::LinearOptions(4, 7)) {}
  mt::NamedTensors named_parameters() const override {
    return {{"emb.weight", emb.weight}, {"head.weight", head.weight}, {"head.bias", head.bias}};
  }
  mt::Tensor loss(const mt::Tensor& ids, const mt::Tensor& targets) {
    return mt::nn::functional::cross_entropy(head(emb(ids)), targets);
  }
  mt::nn::Embedding emb;
  mt::nn::Linear head;
};

}  // namespace checkpoint_test
