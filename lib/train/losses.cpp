// losses.cpp - MSE, BCE-from-logits and the analytic KL (see vae/losses.hpp for the math).
#include "vae/losses.hpp"

#include <cmath>

#include "vae_rt/math.h"

namespace vae {

double mse_loss(float* d_logits, const float* xhat, const float* x, std::size_t n) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const float diff = xhat[i] - x[i];
    sum += static_cast<double>(diff * diff);
    if (d_logits) d_logits[i] = 2.0f * diff * xhat[i] * (1.0f - xhat[i]);
  }
  return sum;
}

double bce_loss(float* d_logits, const float* logits, const float* xhat, const float* x,
                std::size_t n) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const float a = logits[i];
    const float l = (a > 0.0f ? a : 0.0f) - a * x[i] + std::log1p(vae_rt::rt_expf(-std::fabs(a)));
    sum += static_cast<double>(l);
    if (d_logits) d_logits[i] = xhat[i] - x[i];
  }
  return sum;
}

double kl_loss(float* d_mu, float* d_logvar, const float* mu, const float* logvar, std::size_t n,
               float beta) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const float var = vae_rt::rt_expf(logvar[i]);
    sum += -0.5 * static_cast<double>(1.0f + logvar[i] - mu[i] * mu[i] - var);
    if (d_mu) {
      d_mu[i] += beta * mu[i];
      d_logvar[i] += beta * 0.5f * (var - 1.0f);
    }
  }
  return sum;
}

}  // namespace vae
