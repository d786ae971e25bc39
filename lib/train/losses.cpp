// losses.cpp - MSE, BCE-from-logits and the analytic KL (see vae/losses.hpp for the math).
//
// Each function is one pass over its values, split across the thread pool (vae/parallel.hpp):
// every range writes its gradient slice and a partial sum, and the partial sums are added in
// range order. Within a range, `omp simd reduction` keeps several partial sums in vector lanes.
// Both orders are fixed for a given build and thread count, so runs repeat bit for bit.
//
// Why the sigmoid + loss passes stay hand-written loops and not xtensor expressions (issue 15):
// they are VAE_VECTOR_CLONES functions (AVX-512 / AVX2 clones picked at load time, 2-4x the
// baseline SSE2 loop on these exp-bound passes: lib/train/vector_clones.h, 2.3 ms of a 9.4 ms
// step before), and their sums rely on `omp simd reduction`, whose fixed lane order makes the
// sums repeat; xtensor 0.24 without xsimd assigns through its own loop in the baseline ISA and
// has no reduction with that order. The KL term below (B * Z values, microseconds) is written
// in xtensor. Adam stays hand-written for the same reason (lib/train/adam.cpp: a vectorized
// clone saved 2.1 ms of that 9.4 ms step).
#include "vae/losses.hpp"

#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xvectorize.hpp>

#include <algorithm>
#include <array>
#include <numeric>

#include "vae/parallel.hpp"
#include "vae_rt/math.h"
#include "vector_clones.h"

namespace vae {
namespace {

constexpr std::size_t kMaxParts = 64;
constexpr std::size_t kGrain = 8192;   // values per thread below which a loop runs whole

template <class F>
double parallel_sum(std::size_t n, F&& range_sum) {
  double partial[kMaxParts] = {};
  // At most kMaxParts parts whatever the pool's size: a grain of more than n / kMaxParts values
  // (parallel_plan gives min(threads, n / grain) parts). It depends only on n and the thread
  // count, so the sum still repeats bit for bit.
  const std::size_t grain = std::max(kGrain, n / kMaxParts + 1);
  const std::size_t parts = parallel_for(n, grain, [&](std::size_t part, std::size_t lo, std::size_t hi) {
    partial[part] = range_sum(lo, hi);
  });
  double sum = 0.0;
  for (std::size_t p = 0; p < parts; ++p) sum += partial[p];
  return sum;
}

// The decoder's output pass of a training step, one range: xhat = sigmoid(logits), the loss
// summed, and d loss / d logits. Restrict pointers and no captures, so that GCC vectorizes it
// (inside a by-reference lambda it stayed scalar: 2.3 ms of a 9.4 ms step).
VAE_VECTOR_CLONES
double sigmoid_mse_range(float* __restrict xhat, float* __restrict d_logits,
                         const float* __restrict logits, const float* __restrict x, std::size_t n) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i) {
    const float s = vae_rt::rt_sigmoidf(logits[i]);
    xhat[i] = s;
    const float diff = s - x[i];
    sum += static_cast<double>(diff * diff);
    d_logits[i] = 2.0f * diff * s * (1.0f - s);
  }
  return sum;
}

VAE_VECTOR_CLONES
double sigmoid_bce_range(float* __restrict xhat, float* __restrict d_logits,
                         const float* __restrict logits, const float* __restrict x, std::size_t n) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i) {
    const float a = logits[i];
    const float s = vae_rt::rt_sigmoidf(a);
    xhat[i] = s;
    const float s_abs = s > 0.5f ? s : 1.0f - s;   // sigmoid(|a|), as in bce_loss
    const float l = (a > 0.0f ? a : 0.0f) - a * x[i] - vae_rt::rt_logf(s_abs);
    sum += static_cast<double>(l);
    d_logits[i] = s - x[i];
  }
  return sum;
}

// The same sums with xhat given (the evaluation paths). Each loop has the shape of its fused
// twin above, so the lanes, and with them the sums, come out bit-identical.
VAE_VECTOR_CLONES
double mse_range(float* __restrict d_logits, const float* __restrict xhat,
                 const float* __restrict x, std::size_t n) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i) {
    const float s = xhat[i];
    const float diff = s - x[i];
    sum += static_cast<double>(diff * diff);
    d_logits[i] = 2.0f * diff * s * (1.0f - s);
  }
  return sum;
}

VAE_VECTOR_CLONES
double mse_value_range(const float* __restrict xhat, const float* __restrict x, std::size_t n) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i) {
    const float diff = xhat[i] - x[i];
    sum += static_cast<double>(diff * diff);
  }
  return sum;
}

VAE_VECTOR_CLONES
double bce_value_range(const float* __restrict logits, const float* __restrict xhat,
                       const float* __restrict x, std::size_t n) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i) {
    const float a = logits[i];
    const float s = xhat[i];
    const float s_abs = s > 0.5f ? s : 1.0f - s;   // sigmoid(|a|)
    const float l = (a > 0.0f ? a : 0.0f) - a * x[i] - vae_rt::rt_logf(s_abs);
    sum += static_cast<double>(l);
  }
  return sum;
}

}  // namespace

double mse_loss(float* d_logits, const float* xhat, const float* x, std::size_t n) {
  return parallel_sum(n, [=](std::size_t lo, std::size_t hi) {
    return d_logits ? mse_range(d_logits + lo, xhat + lo, x + lo, hi - lo)
                    : mse_value_range(xhat + lo, x + lo, hi - lo);
  });
}

// With s = sigmoid(a) already computed, log(1 + e^-|a|) = -log(sigmoid(|a|)) = -log(max(s, 1-s)):
// one log per pixel instead of an exp and a log1p. For a << 0, 1 - s rounds to 1 once
// s < 6e-8, an absolute error below 6e-8 per pixel in a term that is itself that small.
double bce_loss(float* d_logits, const float* logits, const float* xhat, const float* x,
                std::size_t n) {
  return parallel_sum(n, [=](std::size_t lo, std::size_t hi) {
    const double sum = bce_value_range(logits + lo, xhat + lo, x + lo, hi - lo);
    if (d_logits) {
      for (std::size_t i = lo; i < hi; ++i) d_logits[i] = xhat[i] - x[i];
    }
    return sum;
  });
}

double sigmoid_recon_loss(Recon recon, float* xhat, float* d_logits, const float* logits,
                          const float* x, std::size_t n) {
  const auto range = recon == Recon::mse ? sigmoid_mse_range : sigmoid_bce_range;
  return parallel_sum(n, [=](std::size_t lo, std::size_t hi) {
    return range(xhat + lo, d_logits + lo, logits + lo, x + lo, hi - lo);
  });
}

// KL and its gradient as xtensor expressions over (n) adaptors (n = B * Z, a few thousand values:
// the pass costs microseconds either way). The sum is taken in double, in index order.
double kl_loss(float* d_mu, float* d_logvar, const float* mu, const float* logvar, std::size_t n,
               float beta) {
  const std::array<std::size_t, 1> shape{n};
  const auto m = xt::adapt(mu, n, xt::no_ownership(), shape);
  const auto lv = xt::adapt(logvar, n, xt::no_ownership(), shape);
  const auto var = xt::vectorize(vae_rt::rt_expf)(lv);   // the runtime's portable exp
  // Summed by iterating the expression: xt::sum would build a 0-d result container (a heap
  // allocation in the step).
  const auto terms = -0.5 * xt::cast<double>(1.0f + lv - m * m - var);
  const double sum = std::accumulate(terms.cbegin(), terms.cend(), 0.0);
  if (d_mu) {
    auto dm = xt::adapt(d_mu, n, xt::no_ownership(), shape);
    auto dl = xt::adapt(d_logvar, n, xt::no_ownership(), shape);
    xt::noalias(dm) += beta * m;
    xt::noalias(dl) += beta * 0.5f * (var - 1.0f);
  }
  return sum;
}

}  // namespace vae
