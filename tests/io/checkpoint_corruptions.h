// Every kind of corrupt checkpoint the loader must reject, shared by test_checkpoint.cpp and the
// bad-input catalogue. Each is a whole file built around one valid tensor "weight" (3, 2) float32,
// with the words its std::runtime_error must contain (besides the file's path).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace checkpoint_test {

struct CorruptFile {
  std::string kind;
  std::string bytes;
  std::vector<std::string> words;
};

// The 8-byte little-endian length, the header text, then the data.
inline std::string safetensors_bytes(const std::string& header, const std::string& data, uint64_t length) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return out + header + data;
}
inline std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return safetensors_bytes(header, data, header.size());
}

// Six float32 values 0.5, 1.5, ..., 5.5 as little-endian bytes: the data of "weight".
inline std::string weight_data() {
  std::string out;
  for (int i = 0; i < 6; ++i) {
    const float v = 0.5f + static_cast<float>(i);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  return out;
}

inline const std::string& valid_header() {
  static const std::string h = R"({"weight":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]}})";
  return h;
}

inline std::vector<CorruptFile> corrupt_files() {
  const std::string data = weight_data();
  const std::string valid = safetensors_bytes(valid_header(), data);
  auto with_entry = [&data](const std::string& entry) {
    return safetensors_bytes(R"({"weight":)" + entry + "}", data);
  };
  return {
      {"empty file", "", {"fewer than the 8-byte header length"}},
      {"truncated inside the length", valid.substr(0, 5), {"5 bytes", "truncated"}},
      {"oversized header length", safetensors_bytes(valid_header(), data, 200'000'000), {"200000000", "exceeds the limit"}},
      {"header length past the end", safetensors_bytes(valid_header(), data, 5000), {"5000", "runs past the end"}},
      {"truncated inside the header", valid.substr(0, 30), {"runs past the end", "truncated"}},
      {"bad JSON", safetensors_bytes(R"({"weight": {"dtype": )", ""), {"not valid JSON"}},
      {"header not an object", safetensors_bytes("[1, 2]", data), {"must be a JSON object"}},
      {"entry not an object", with_entry("7"), {"'weight'", "must be an object"}},
      {"unknown dtype", with_entry(R"({"dtype":"F8_E4M3","shape":[3,2],"data_offsets":[0,24]})"), {"'weight'", "unknown dtype \"F8_E4M3\""}},
      {"dtype not a string", with_entry(R"({"dtype":4,"shape":[3,2],"data_offsets":[0,24]})"), {"'weight'", "\"dtype\" must be a string"}},
      {"missing data_offsets", with_entry(R"({"dtype":"F32","shape":[3,2]})"), {"'weight'", "needs"}},
      {"unexpected field", with_entry(R"({"dtype":"F32","shape":[3,2],"data_offsets":[0,24],"x":1})"), {"'weight'", "unexpected field \"x\""}},
      {"negative dimension", with_entry(R"({"dtype":"F32","shape":[-3,2],"data_offsets":[0,24]})"), {"'weight'", "non-negative integers", "-3"}},
      {"fractional offset", with_entry(R"({"dtype":"F32","shape":[3,2],"data_offsets":[0.5,24]})"), {"'weight'", "non-negative integers"}},
      {"three offsets", with_entry(R"({"dtype":"F32","shape":[3,2],"data_offsets":[0,12,24]})"), {"'weight'", "[begin, end]"}},
      {"offsets reversed", with_entry(R"({"dtype":"F32","shape":[3,2],"data_offsets":[24,0]})"), {"'weight'", "end before they begin"}},
      {"offsets out of range", with_entry(R"({"dtype":"F32","shape":[3,2],"data_offsets":[0,2400]})"), {"'weight'", "[0, 2400]", "run past the end"}},
      {"truncated data", valid.substr(0, valid.size() - 4), {"'weight'", "run past the end", "truncated"}},
      {"size not dtype * shape", with_entry(R"({"dtype":"F32","shape":[3,3],"data_offsets":[0,24]})"), {"'weight'", "[3, 3]", "need 36"}},
      {"wrong dtype width", with_entry(R"({"dtype":"I64","shape":[3,2],"data_offsets":[0,24]})"), {"'weight'", "I64", "need 48"}},
      {"shape overflows", with_entry(R"({"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,24]})"), {"'weight'", "too large"}},
      {"overlapping tensors", safetensors_bytes(R"({"weight":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]},)"
                                                R"("bias":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}})", data),
       {"'bias'", "overlap tensor 'weight'"}},
      {"hole between tensors", safetensors_bytes(R"({"weight":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},)"
                                                 R"("bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", data),
       {"'weight'", "[8, 16)", "belong to no tensor"}},
      {"trailing bytes", valid + "junk", {"28 bytes", "cover 24", "trailing"}},
      {"metadata value not a string", safetensors_bytes(R"({"__metadata__":{"epoch":3},"weight":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]}})", data),
       {"__metadata__", "\"epoch\" must be a string"}},
      {"empty tensor name", safetensors_bytes(R"({"":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]}})", data), {"empty name"}},
  };
}

}  // namespace checkpoint_test
