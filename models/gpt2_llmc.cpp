// GPT-2 as llm.c keeps it (gpt2_124M.bin, written by its train_gpt2.py): a header of 256 little-endian int32
//   [0] magic 20240326  [1] version 3 (float32)  [2] max_seq_len  [3] vocab_size V  [4] num_layers L
//   [5] num_heads  [6] channels C  [7] padded_vocab_size Vp (V rounded up, for aligned matmuls)
// then every parameter as float32, each kind for all layers at once, in this order:
//   wte (Vp, C) (rows past V are padding), wpe (maxT, C), ln1w (L, C), ln1b (L, C), qkvw (L, 3C, C),
//   qkvb (L, 3C), attprojw (L, C, C), attprojb (L, C), ln2w (L, C), ln2b (L, C), fcw (L, 4C, C), fcb (L, 4C),
//   fcprojw (L, C, 4C), fcprojb (L, C), lnfw (C), lnfb (C).
// The matrices are nn::Linear's (out, in), so they copy as they are. The file's size is checked against the
// header before the model is built; the mapped bytes are released as they are copied.
#include <stdexcept>
#include <unordered_map>

#include "../core/autograd.h"
#include "../io/mapped_file.h"
#include "checkpoint/convert.h"
#include "gpt2.h"

namespace microtorch::models {

namespace {

constexpr size_t kHeaderBytes = 256 * 4;

// One kind of parameter: its name in llm.c, the Hugging Face suffix it fills in each layer, the floats per layer.
struct Kind {
  const char* llmc;
  const char* name;
  int64_t per_layer;
};

}  // namespace

GPT2 GPT2::from_llmc(const std::string& path) {
  const io::MappedFile file(path);
  auto fail = [&](const std::string& what) -> void { throw std::runtime_error("from_pretrained '" + path + "' (llm.c): " + what); };
  if (file.size() < kHeaderBytes)
    fail("the file has " + std::to_string(file.size()) + " bytes, fewer than its 1024-byte header: truncated");
  int32_t hd[8];
  for (int i = 0; i < 8; ++i) {
    const unsigned char* b = file.data() + 4 * i;
    hd[i] = static_cast<int32_t>(b[0] | b[1] << 8 | b[2] << 16 | uint32_t{b[3]} << 24);
  }
  if (hd[0] != 20240326) fail("magic " + std::to_string(hd[0]) + " is not llm.c's 20240326");
  if (hd[1] != 3)
    fail("version " + std::to_string(hd[1]) + " is not supported (3 is float32; llm.c writes 5 for bfloat16)");
  const char* fields[] = {"", "", "max_seq_len", "vocab_size", "num_layers", "num_heads", "channels", "padded_vocab_size"};
  for (int i = 2; i < 8; ++i)
    if (hd[i] < 1) fail(std::string("header field ") + fields[i] + " is " + std::to_string(hd[i]) + ", expected >= 1");
  const int64_t maxT = hd[2], V = hd[3], L = hd[4], NH = hd[5], C = hd[6], Vp = hd[7];
  if (Vp < V) fail("padded_vocab_size " + std::to_string(Vp) + " is below vocab_size " + std::to_string(V));
  const GPT2Config config = GPT2Config().vocab_size(V).n_positions(maxT).n_embd(C).n_layer(L).n_head(NH);
  try {
    config.validate();
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }

  // Where each parameter starts, checked against the file's size before anything is built.
  auto mul = [&](int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) fail("the header's sizes overflow (corrupted)");
    return r;
  };
  if (mul(mul(4, C), C) > static_cast<int64_t>(file.size())) fail("channels " + std::to_string(C) + " is too large for the file");
  const std::vector<Kind> kinds{{"ln1w", "ln_1.weight", C},          {"ln1b", "ln_1.bias", C},
                                {"qkvw", "attn.c_attn.weight", 3 * C * C}, {"qkvb", "attn.c_attn.bias", 3 * C},
                                {"attprojw", "attn.c_proj.weight", C * C}, {"attprojb", "attn.c_proj.bias", C},
                                {"ln2w", "ln_2.weight", C},          {"ln2b", "ln_2.bias", C},
                                {"fcw", "mlp.c_fc.weight", 4 * C * C},     {"fcb", "mlp.c_fc.bias", 4 * C},
                                {"fcprojw", "mlp.c_proj.weight", 4 * C * C}, {"fcprojb", "mlp.c_proj.bias", C}};
  struct Piece {
    std::string name;
    int64_t offset, count;  // in floats from the end of the header
  };
  std::vector<Piece> pieces{{"wte", 0, mul(Vp, C)}, {"wpe", mul(Vp, C), mul(maxT, C)}};
  int64_t at = mul(Vp, C) + mul(maxT, C);
  for (const Kind& k : kinds) {
    pieces.push_back({k.llmc, at, mul(L, k.per_layer)});
    at += mul(L, k.per_layer);
    if (at > static_cast<int64_t>(file.size())) break;  // past the end: reported below
  }
  pieces.push_back({"lnfw", at, C});
  pieces.push_back({"lnfb", at + C, C});
  const int64_t floats = at + 2 * C;
  const auto data_bytes = static_cast<int64_t>(file.size() - kHeaderBytes);
  for (const Piece& p : pieces)
    if (p.offset + p.count > data_bytes / 4)
      fail("tensor " + p.name + " (floats [" + std::to_string(p.offset) + ", " + std::to_string(p.offset + p.count) +
           ")) runs past the end of the file (" + std::to_string(data_bytes / 4) + " floats after the header): truncated");
  if (floats * 4 != data_bytes)
    fail("the header's sizes make " + std::to_string(floats) + " floats, but the file holds " +
         std::to_string(data_bytes) + " bytes after the header (trailing bytes: corrupted or another version)");

  GPT2 model(config, NoInit{});
  NoGradGuard no_grad;
  auto copy = [&](const Tensor& dst, int64_t offset) {  // dst's numel floats from float offset, pages released
    const int64_t rows = dst.size(0), cols = dst.dim() == 2 ? dst.size(1) : 1;
    checkpoint::copy_from_file(file, kHeaderBytes + static_cast<size_t>(4 * offset), checkpoint::Stored::kF32, rows, cols,
                               false, dst.data_ptr<float>());
  };
  copy(model.wte.weight, 0);  // the first V of Vp rows
  copy(model.wpe.weight, Vp * C);
  std::unordered_map<std::string, Tensor> params;
  for (auto& [name, p] : model.named_parameters()) params[name] = p;
  for (size_t k = 0; k < kinds.size(); ++k) {
    const Piece& p = pieces[k + 2];
    for (int64_t l = 0; l < L; ++l)
      copy(params.at("h." + std::to_string(l) + "." + kinds[k].name), p.offset + l * kinds[k].per_layer);
  }
  copy(model.ln_f.weight, at);
  copy(model.ln_f.bias, at + C);
  return model;
}

}  // namespace microtorch::models
