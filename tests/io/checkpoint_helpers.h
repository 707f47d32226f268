// Helpers of the checkpoint tests: a scratch directory and a two-module model.
#pragma once
#include <microtorch/microtorch.h>

#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace checkpoint_test {

namespace mt = microtorch;

// A fresh directory under the system temp folder, removed with its files at scope end.
struct TempDir {
  TempDir() {
    std::string pattern = (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : "/tmp") + "/mt_ckpt_XXXXXX";
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    for (const std::string& name : files()) std::remove((path + "/" + name).c_str());
    ::rmdir(path.c_str());
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
      ::closedir(d);
    }
    return out;
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

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
