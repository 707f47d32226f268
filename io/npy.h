// One tensor as a NumPy .npy file (version 1.0, as np.save writes it), so NumPy reads an embedding table
// directly: np.load("wte.npy"). float32, float64, float16, int64, int32 and bool, C order (a view is written
// row-major), little-endian; saved atomically (bfloat16 is refused: NumPy has no bfloat16).
//   mt::save_npy(emb.weight, "wte.npy");   mt::Tensor w = mt::load_npy("wte.npy");
#pragma once
#include <string>

#include "../core/tensor.h"

namespace microtorch {

void save_npy(const Tensor& t, const std::string& path);

// std::runtime_error naming the file and the fault for a bad magic, version, header, dtype other
// than <f4 <f8 <f2 <i8 <i4 |b1, Fortran order, or a data size that does not match the shape.
Tensor load_npy(const std::string& path);

namespace io {
// The same from bytes in memory; `source` is named in errors.
Tensor decode_npy(const std::string& bytes, const std::string& source);
}  // namespace io

}  // namespace microtorch
