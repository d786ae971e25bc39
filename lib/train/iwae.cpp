// iwae.cpp - log-mean-exp and the Gaussian log densities of vae/iwae.hpp (see there).
#include "vae/iwae.hpp"

#include <algorithm>

namespace vae {

double log_mean_exp(const double* v, std::size_t n) {
  double m = v[0];
  for (std::size_t i = 1; i < n; ++i) m = std::max(m, v[i]);
  if (std::isinf(m)) return m;   // all -inf (or a +inf): the mean is that too
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += std::exp(v[i] - m);
  return m + std::log(sum / static_cast<double>(n));
}

double log_normal_standard(const float* z, std::size_t Z) {
  double s = 0.0;
  for (std::size_t i = 0; i < Z; ++i) s += static_cast<double>(z[i]) * static_cast<double>(z[i]);
  return -0.5 * (s + static_cast<double>(Z) * log_2pi);
}

double log_normal_diag(const float* z, const float* mu, const float* logvar, std::size_t Z) {
  double s = 0.0;
  for (std::size_t i = 0; i < Z; ++i) {
    const double d = static_cast<double>(z[i]) - static_cast<double>(mu[i]);
    const double lv = static_cast<double>(logvar[i]);
    s += d * d * std::exp(-lv) + lv;
  }
  return -0.5 * (s + static_cast<double>(Z) * log_2pi);
}

}  // namespace vae
