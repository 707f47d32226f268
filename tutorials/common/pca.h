// PCA: project N points of dimension D onto their top-k principal axes, the eigenvectors of the
// (D, D) covariance with the largest eigenvalues (xt::linalg::eigh, LAPACK's syevd).
#pragma once
#include <cstdint>
#include <vector>

namespace tutorials {

struct Projection {
  std::vector<double> coords;     // (N, k) row-major: point n's coordinate on axis j at n * k + j
  std::vector<double> explained;  // (k) share of the total variance each axis holds
};

// points (N, D) row-major, N >= 2, 1 <= k <= D.
Projection pca(const std::vector<float>& points, int64_t N, int64_t D, int64_t k);

}  // namespace tutorials
