// layers.cpp - the out-of-line elementwise layers (see vae/layers.hpp for the interface).
#include "vae/layers.hpp"

#include "vae/parallel.hpp"
#include "vae_rt/math.h"

namespace vae {

void sigmoid_forward(float* y, const float* x, std::size_t n) {
  parallel_for(n, 8192, [&](std::size_t, std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) y[i] = vae_rt::rt_sigmoidf(x[i]);
  });
}

void reparam_forward(float* z, const float* mu, const float* logvar, const float* eps,
                     std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) z[i] = mu[i] + eps[i] * vae_rt::rt_expf(0.5f * logvar[i]);
}

void reparam_backward(float* d_mu, float* d_logvar, const float* dz, const float* logvar,
                      const float* eps, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    d_mu[i] = dz[i];
    d_logvar[i] = dz[i] * eps[i] * 0.5f * vae_rt::rt_expf(0.5f * logvar[i]);
  }
}

}  // namespace vae
