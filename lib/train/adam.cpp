// adam.cpp - one fused pass of Adam over the parameter block (see vae/adam.hpp).
#include "vae/adam.hpp"

#include <cmath>

#include "vae/parallel.hpp"
#include "vector_clones.h"

namespace vae {
namespace {

struct AdamScalars {
  float b1, b2, one_minus_b1, one_minus_b2, step_size, bc2_sqrt, eps;
};

// One range of the update. The pointers are restrict and the scalars a value, so the loop
// vectorizes (a lambda capturing them by reference left it scalar: 2.1 ms of a 9.4 ms step).
VAE_VECTOR_CLONES
void adam_range(float* __restrict params, const float* __restrict grads, float* __restrict m,
                float* __restrict v, std::size_t n, const AdamScalars k) {
  for (std::size_t i = 0; i < n; ++i) {
    const float g = grads[i];
    const float mi = k.b1 * m[i] + k.one_minus_b1 * g;
    const float vi = k.b2 * v[i] + k.one_minus_b2 * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] -= k.step_size * mi / (std::sqrt(vi) / k.bc2_sqrt + k.eps);
  }
}

}  // namespace

void adam_step(float* params, const float* grads, float* m, float* v, std::size_t n,
               const AdamConfig& cfg, std::int64_t t) {
  // Bias corrections in double, as PyTorch computes them in Python floats.
  const double bc1 = 1.0 - std::pow(static_cast<double>(cfg.beta1), static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(static_cast<double>(cfg.beta2), static_cast<double>(t));
  const float step_size = static_cast<float>(static_cast<double>(cfg.lr) / bc1);
  const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  const AdamScalars k{cfg.beta1,       cfg.beta2, 1.0f - cfg.beta1, 1.0f - cfg.beta2,
                      step_size,        bc2_sqrt,  cfg.eps};
  // One pass, split across the thread pool: each parameter's update depends only on itself.
  parallel_for(n, 16384, [=](std::size_t, std::size_t lo, std::size_t hi) {
    adam_range(params + lo, grads + lo, m + lo, v + lo, hi - lo, k);
  });
}

}  // namespace vae
