// adam.cpp - one fused pass of Adam over the parameter block (see vae/adam.hpp).
#include "vae/adam.hpp"

#include <cmath>

#include "vae/parallel.hpp"

namespace vae {

void adam_step(float* params, const float* grads, float* m, float* v, std::size_t n,
               const AdamConfig& cfg, std::int64_t t) {
  // Bias corrections in double, as PyTorch computes them in Python floats.
  const double bc1 = 1.0 - std::pow(static_cast<double>(cfg.beta1), static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(static_cast<double>(cfg.beta2), static_cast<double>(t));
  const float step_size = static_cast<float>(static_cast<double>(cfg.lr) / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const float b1 = cfg.beta1, b2 = cfg.beta2, eps = cfg.eps;
  const float one_minus_b1 = 1.0f - b1, one_minus_b2 = 1.0f - b2;
  // One pass, split across the thread pool: each parameter's update depends only on itself.
  parallel_for(n, 16384, [&](std::size_t, std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) {
      const float g = grads[i];
      m[i] = b1 * m[i] + one_minus_b1 * g;
      v[i] = b2 * v[i] + one_minus_b2 * g * g;
      params[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
    }
  });
}

}  // namespace vae
