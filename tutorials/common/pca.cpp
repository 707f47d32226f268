// PCA through the covariance's eigen-decomposition, in double precision (a 10x10 matrix is no cost).
#include "pca.h"

#include <stdexcept>
#include <string>
#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xtensor.hpp>

namespace tutorials {

Projection pca(const std::vector<float>& points, int64_t N, int64_t D, int64_t k) {
  if (N < 2 || k < 1 || k > D || static_cast<int64_t>(points.size()) != N * D)
    throw std::invalid_argument("pca: expected (N, D) points with N >= 2 and 1 <= k <= D, got N " +
                                std::to_string(N) + ", D " + std::to_string(D) + ", k " + std::to_string(k));
  const auto n = static_cast<size_t>(N), d = static_cast<size_t>(D);
  // X (N, D), centred: subtract each column's mean.
  xt::xtensor<double, 2> X = xt::zeros<double>({n, d});
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) X(i, j) = points[i * d + j];
  for (size_t j = 0; j < d; ++j) {
    double mean = 0.0;
    for (size_t i = 0; i < n; ++i) mean += X(i, j);
    mean /= static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) X(i, j) -= mean;
  }
  // cov (D, D) = X^T X / (N - 1); eigh gives eigenvalues ascending, eigenvectors as columns.
  xt::xtensor<double, 2> Xt = xt::transpose(X);
  xt::xtensor<double, 2> cov = xt::linalg::dot(Xt, X);
  cov /= static_cast<double>(N - 1);
  auto eig = xt::linalg::eigh(cov);
  const xt::xtensor<double, 1> values = std::get<0>(eig);
  const xt::xtensor<double, 2> vectors = std::get<1>(eig);
  double total = 0.0;
  for (size_t j = 0; j < d; ++j) total += values(j);

  Projection out;
  out.coords.assign(n * static_cast<size_t>(k), 0.0);
  for (size_t a = 0; a < static_cast<size_t>(k); ++a) {
    const size_t col = d - 1 - a;  // the a-th largest eigenvalue
    out.explained.push_back(total > 0 ? values(col) / total : 0.0);
    for (size_t i = 0; i < n; ++i) {
      double dot = 0.0;
      for (size_t j = 0; j < d; ++j) dot += X(i, j) * vectors(j, col);
      out.coords[i * static_cast<size_t>(k) + a] = dot;
    }
  }
  return out;
}

}  // namespace tutorials
