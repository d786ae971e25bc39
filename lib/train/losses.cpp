// losses.cpp - MSE, BCE-from-logits and the analytic KL (see vae/losses.hpp for the math).
//
// Each function is one pass over its values, split across the thread pool (vae/parallel.hpp):
// every range writes its gradient slice and a partial sum, and the partial sums are added in
// range order. Within a range, `omp simd reduction` keeps several partial sums in vector lanes.
// Both orders are fixed for a given build and thread count, so runs repeat bit for bit.
#include "vae/losses.hpp"

#include "vae/parallel.hpp"
#include "vae_rt/math.h"

namespace vae {
namespace {

constexpr std::size_t kMaxParts = 64;
constexpr std::size_t kGrain = 8192;   // values per thread below which a loop runs whole

template <class F>
double parallel_sum(std::size_t n, F&& range_sum) {
  double partial[kMaxParts] = {};
  const std::size_t parts = parallel_for(n, kGrain, [&](std::size_t part, std::size_t lo, std::size_t hi) {
    partial[part] = range_sum(lo, hi);
  });
  double sum = 0.0;
  for (std::size_t p = 0; p < parts; ++p) sum += partial[p];
  return sum;
}

}  // namespace

double mse_loss(float* d_logits, const float* xhat, const float* x, std::size_t n) {
  return parallel_sum(n, [&](std::size_t lo, std::size_t hi) {
    double sum = 0.0;
    if (d_logits) {
#pragma omp simd reduction(+ : sum)
      for (std::size_t i = lo; i < hi; ++i) {
        const float diff = xhat[i] - x[i];
        sum += static_cast<double>(diff * diff);
        d_logits[i] = 2.0f * diff * xhat[i] * (1.0f - xhat[i]);
      }
    } else {
#pragma omp simd reduction(+ : sum)
      for (std::size_t i = lo; i < hi; ++i) {
        const float diff = xhat[i] - x[i];
        sum += static_cast<double>(diff * diff);
      }
    }
    return sum;
  });
}

// With s = sigmoid(a) already computed, log(1 + e^-|a|) = -log(sigmoid(|a|)) = -log(max(s, 1-s)):
// one log per pixel instead of an exp and a log1p. For a << 0, 1 - s rounds to 1 once
// s < 6e-8, an absolute error below 6e-8 per pixel in a term that is itself that small.
double bce_loss(float* d_logits, const float* logits, const float* xhat, const float* x,
                std::size_t n) {
  return parallel_sum(n, [&](std::size_t lo, std::size_t hi) {
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (std::size_t i = lo; i < hi; ++i) {
      const float a = logits[i];
      const float s = xhat[i];
      const float s_abs = s > 0.5f ? s : 1.0f - s;   // sigmoid(|a|)
      const float l = (a > 0.0f ? a : 0.0f) - a * x[i] - vae_rt::rt_logf(s_abs);
      sum += static_cast<double>(l);
    }
    if (d_logits) {
      for (std::size_t i = lo; i < hi; ++i) d_logits[i] = xhat[i] - x[i];
    }
    return sum;
  });
}

double sigmoid_recon_loss(Recon recon, float* xhat, float* d_logits, const float* logits,
                          const float* x, std::size_t n) {
  return parallel_sum(n, [&](std::size_t lo, std::size_t hi) {
    double sum = 0.0;
    if (recon == Recon::mse) {
#pragma omp simd reduction(+ : sum)
      for (std::size_t i = lo; i < hi; ++i) {
        const float s = vae_rt::rt_sigmoidf(logits[i]);
        xhat[i] = s;
        const float diff = s - x[i];
        sum += static_cast<double>(diff * diff);
        d_logits[i] = 2.0f * diff * s * (1.0f - s);
      }
    } else {
#pragma omp simd reduction(+ : sum)
      for (std::size_t i = lo; i < hi; ++i) {
        const float a = logits[i];
        const float s = vae_rt::rt_sigmoidf(a);
        xhat[i] = s;
        const float s_abs = s > 0.5f ? s : 1.0f - s;   // sigmoid(|a|), as in bce_loss
        const float l = (a > 0.0f ? a : 0.0f) - a * x[i] - vae_rt::rt_logf(s_abs);
        sum += static_cast<double>(l);
        d_logits[i] = s - x[i];
      }
    }
    return sum;
  });
}

double kl_loss(float* d_mu, float* d_logvar, const float* mu, const float* logvar, std::size_t n,
               float beta) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i) {
    const float var = vae_rt::rt_expf(logvar[i]);
    sum += -0.5 * static_cast<double>(1.0f + logvar[i] - mu[i] * mu[i] - var);
  }
  if (d_mu) {
    for (std::size_t i = 0; i < n; ++i) {
      d_mu[i] += beta * mu[i];
      d_logvar[i] += beta * 0.5f * (vae_rt::rt_expf(logvar[i]) - 1.0f);
    }
  }
  return sum;
}

}  // namespace vae
