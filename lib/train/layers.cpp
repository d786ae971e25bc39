// layers.cpp - the out-of-line elementwise layers (see vae/layers.hpp for the interface).
//
// Written as xtensor expressions over 1-D adaptors of contiguous ranges, assigned with
// xt::noalias: a 1-D contiguous assignment is xtensor's linear path (one index, no steppers), so
// GCC vectorizes it like the plain loop it replaced. Broadcasts are written a row at a time for
// the same reason (a 2-D broadcast assignment goes through steppers, an index computation per
// element). Each pass is split across the thread pool by whole ranges, as before.
//
// The sigmoid stays a plain loop over the runtime's rt_sigmoidf: it is the device's decode
// arithmetic, and in training it is fused into the loss (lib/train/losses.cpp).
// The block passes (issue 19), which run inside the products' tasks, and the fused
// reparameterization + KL passes are cloned plain loops, measured faster than the xtensor forms
// (the reasons are beside them).
#include "vae/layers.hpp"

#include <xtensor/xadapt.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xoperation.hpp>
#include <xtensor/xvectorize.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "vae/parallel.hpp"
#include "vae_rt/math.h"
#include "vector_clones.h"

namespace vae {
namespace {

// (n) adaptor over caller memory.
template <class T>
auto span(T* p, std::size_t n) {
  return xt::adapt(p, n, xt::no_ownership(), std::array<std::size_t, 1>{n});
}

}  // namespace

void bias_rows(float* y, const float* b, std::size_t B, std::size_t N) {
  const auto bias = span(b, N);
  parallel_for(B, 16, [&](std::size_t, std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) {
      auto yi = span(y + i * N, N);
      xt::noalias(yi) = bias;
    }
  });
}

void bias_grad(float* db, const float* dy, std::size_t B, std::size_t N) {
  // Column sums, split by columns: each thread adds its columns' rows in row order.
  parallel_for(N, 4096, [&](std::size_t, std::size_t lo, std::size_t hi) {
    bias_grad_cols(db, dy, B, N, lo, hi);
  });
}

void relu_forward(float* y, std::size_t n) {
  parallel_for(n, 16384, [&](std::size_t, std::size_t lo, std::size_t hi) {
    auto v = span(y + lo, hi - lo);
    xt::noalias(v) = xt::where(v > 0.0f, v, 0.0f);
  });
}

void relu_backward(float* dx, const float* dy, const float* y, std::size_t n) {
  parallel_for(n, 16384, [&](std::size_t, std::size_t lo, std::size_t hi) {
    auto d = span(dx + lo, hi - lo);
    xt::noalias(d) = xt::where(span(y + lo, hi - lo) > 0.0f, span(dy + lo, hi - lo), 0.0f);
  });
}

// --- on one block of a product's output (vae/layers.hpp) -----------------------------------------
// Plain loops over each row's [c0, c1), cloned per vector width (vector_clones.h), as the fused
// reparameterization passes below. These run inside the products' tasks, and ReLU' with dec_fc's
// db sits on the longer side of dec_out's backward pair: as xtensor expressions they compiled to
// an out-of-line assignment at the baseline's 4 floats a vector (issue 19, session 9: 1% of an
// epoch's samples in perf). The same operations in the same order per element: the same bits.
namespace {
VAE_VECTOR_CLONES
void relu_row(float* __restrict v, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) v[j] = v[j] > 0.0f ? v[j] : 0.0f;
}

// d = where(y > 0, d, 0), then db += d (if db). The second loop is add_row's, kept here: calling
// add_row for it instead measured 0.5-1% slower an epoch (nine of ten alternated runs).
VAE_VECTOR_CLONES
void relu_grad_row(float* __restrict d, const float* __restrict y, float* __restrict db, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) d[j] = y[j] > 0.0f ? d[j] : 0.0f;
  if (db) {
    for (std::size_t j = 0; j < n; ++j) db[j] += d[j];
  }
}

VAE_VECTOR_CLONES
void add_row(float* __restrict acc, const float* __restrict v, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) acc[j] += v[j];
}
}  // namespace

void bias_fill_block(const GemmBlock& y, const float* b) {
  const std::size_t w = y.c1 - y.c0;
  for (std::size_t i = y.r0; i < y.r1; ++i) std::copy_n(b + y.c0, w, y.c + i * y.ldc + y.c0);
}

void relu_block(const GemmBlock& y) {
  for (std::size_t i = y.r0; i < y.r1; ++i) relu_row(y.c + i * y.ldc + y.c0, y.c1 - y.c0);
}

void relu_grad_block(const GemmBlock& dy, const float* y, float* db) {
  const std::size_t w = dy.c1 - dy.c0;
  if (db) std::fill_n(db + dy.c0, w, 0.0f);
  for (std::size_t i = dy.r0; i < dy.r1; ++i) {
    relu_grad_row(dy.c + i * dy.ldc + dy.c0, y + i * dy.ldc + dy.c0, db ? db + dy.c0 : nullptr, w);
  }
}

void bias_grad_cols(float* db, const float* dy, std::size_t B, std::size_t N, std::size_t lo,
                    std::size_t hi) {
  if (lo >= hi) return;
  std::fill(db + lo, db + hi, 0.0f);
  for (std::size_t i = 0; i < B; ++i) add_row(db + lo, dy + i * N + lo, hi - lo);
}

void sigmoid_forward(float* y, const float* x, std::size_t n) {
  parallel_for(n, 8192, [&](std::size_t, std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) y[i] = vae_rt::rt_sigmoidf(x[i]);
  });
}

void sigmoid_backward(float* dx, const float* dy, const float* y, std::size_t n) {
  const auto s = span(y, n);
  auto d = span(dx, n);
  xt::noalias(d) = span(dy, n) * s * (1.0f - s);
}

namespace {

// Box-Muller on a block of pairs: rng_fill_normal's arithmetic on uniforms drawn beforehand,
// with the IEEE sqrt (std::sqrt: sqrtps under -fno-math-errno, the correctly rounded result that
// rt_sqrtf's sqrtss gives) so that it vectorizes (rt_sincos_2pi is branch-free for that too). No
// FMA (vector_clones.h): every clone gives rng_fill_normal's bits.
VAE_VECTOR_CLONES
void box_muller_block(float* __restrict cos_out, float* __restrict sin_out,
                      const std::uint32_t* __restrict bits1, const std::uint32_t* __restrict bits2,
                      std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const float radius = std::sqrt(-2.0f * vae_rt::rt_logf(vae_rt::rng_unit_nonzero(bits1[i])));
    float s, c;
    vae_rt::rt_sincos_2pi(vae_rt::rng_unit(bits2[i]), &s, &c);
    cos_out[i] = radius * c;
    sin_out[i] = radius * s;
  }
}

}  // namespace

void fill_normal(vae_rt::Rng& rng, float* out, std::size_t n) {
  // PCG32's LCG s' = a s + c taken four steps at a time, s4 = a^4 s + c (a^3 + a^2 + a + 1): four
  // lanes started at four consecutive states give the stream in order, with four independent
  // multiply chains instead of one (the one chain was the loop's limit).
  constexpr std::uint64_t a = vae_rt::rng_multiplier;
  const std::uint64_t c = rng.inc;
  const std::uint64_t a4 = a * a * a * a;
  const std::uint64_t c4 = c * (a * a * a + a * a + a + 1u);
  constexpr std::size_t kPairs = 256;   // a block of pairs, 4 KB of scratch on the stack
  alignas(64) std::uint32_t bits1[kPairs], bits2[kPairs];
  alignas(64) float cos_v[kPairs], sin_v[kPairs];
  const std::size_t pairs = (n + 1) / 2;
  for (std::size_t p0 = 0; p0 < pairs; p0 += kPairs) {
    const std::size_t len = std::min(kPairs, pairs - p0);
    std::size_t i = 0;
    if (len >= 2) {   // four draws a round: u1, u2 of pair i, then of pair i + 1
      std::uint64_t s0 = rng.state;
      std::uint64_t s1 = a * s0 + c, s2 = a * s1 + c, s3 = a * s2 + c;
      for (; i + 2 <= len; i += 2) {
        bits1[i] = vae_rt::rng_output(s0);
        bits2[i] = vae_rt::rng_output(s1);
        bits1[i + 1] = vae_rt::rng_output(s2);
        bits2[i + 1] = vae_rt::rng_output(s3);
        s0 = a4 * s0 + c4; s1 = a4 * s1 + c4; s2 = a4 * s2 + c4; s3 = a4 * s3 + c4;
      }
      rng.state = s0;   // the state after the draws made
    }
    for (; i < len; ++i) {
      bits1[i] = vae_rt::rng_u32(&rng);
      bits2[i] = vae_rt::rng_u32(&rng);
    }
    box_muller_block(cos_v, sin_v, bits1, bits2, len);
    float* o = out + 2 * p0;
    const std::size_t values = std::min(2 * len, n - 2 * p0);
    for (std::size_t k = 0; k < values; ++k) o[k] = (k & 1) ? sin_v[k / 2] : cos_v[k / 2];
  }
}

// The runtime's portable exp, so that z matches the device's arithmetic.
void reparam_forward(float* z, const float* mu, const float* logvar, const float* eps,
                     std::size_t n) {
  const auto exp = xt::vectorize(vae_rt::rt_expf);
  auto zv = span(z, n);
  xt::noalias(zv) = span(mu, n) + span(eps, n) * exp(0.5f * span(logvar, n));
}

namespace {

// One block of reparam_kl_forward: z and the KL terms (before the double sum), vectorizable
// (restrict pointers, no reduction; rt_expf is inline).
VAE_VECTOR_CLONES
void reparam_kl_block(float* __restrict z, float* __restrict term, const float* __restrict mu,
                      const float* __restrict logvar, const float* __restrict eps, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const float lv = logvar[i], m = mu[i];
    z[i] = m + eps[i] * vae_rt::rt_expf(0.5f * lv);
    term[i] = 1.0f + lv - m * m - vae_rt::rt_expf(lv);
  }
}

}  // namespace

// One pass with two outputs, z and the KL sum, where reparam_forward and kl_loss were two passes
// that both evaluated exp(logvar): an xtensor assignment writes one result, so the fused pass is a
// plain loop, by blocks of 256 values: the block's z and KL terms in a loop that vectorizes, then
// the terms added in double in index order. An in-order double sum inside the first loop kept
// it scalar (the sum is a dependency chain a vector loop may not reorder). Each value is computed
// by the same operations as in the two passes, so z and the KL sum keep their bits.
double reparam_kl_forward(float* z, const float* mu, const float* logvar, const float* eps,
                          std::size_t n) {
  constexpr std::size_t kBlock = 256;
  float term[kBlock];
  double kl = 0.0;
  for (std::size_t lo = 0; lo < n; lo += kBlock) {
    const std::size_t len = std::min(kBlock, n - lo);
    reparam_kl_block(z + lo, term, mu + lo, logvar + lo, eps + lo, len);
    for (std::size_t i = 0; i < len; ++i) kl += -0.5 * static_cast<double>(term[i]);
  }
  return kl;
}

void reparam_kl_rows(float* z, double* row_kl, const float* mu, const float* logvar, const float* eps,
                     std::size_t rows, std::size_t Z) {
  constexpr std::size_t kBlock = 256;
  if (Z > kBlock) {
    for (std::size_t r = 0; r < rows; ++r) {
      row_kl[r] = reparam_kl_forward(z + r * Z, mu + r * Z, logvar + r * Z, eps + r * Z, Z);
    }
    return;
  }
  float term[kBlock];
  const std::size_t per = kBlock / Z;   // whole rows per block
  for (std::size_t r0 = 0; r0 < rows; r0 += per) {
    const std::size_t nr = std::min(per, rows - r0), lo = r0 * Z;
    reparam_kl_block(z + lo, term, mu + lo, logvar + lo, eps + lo, nr * Z);
    for (std::size_t r = 0; r < nr; ++r) {
      double kl = 0.0;
      for (std::size_t j = 0; j < Z; ++j) kl += -0.5 * static_cast<double>(term[r * Z + j]);
      row_kl[r0 + r] = kl;
    }
  }
}

// A plain loop, not the xtensor expression it was first written as: xt::vectorize(rt_expf) is
// called value by value and stays scalar, where this loop's AVX-512 clone runs rt_expf 16 wide
// (2,560 values, the step's B * Z: forward 32 us as two xtensor passes, 5 us fused this way).
VAE_VECTOR_CLONES
void reparam_kl_backward_range(float* __restrict d_mu, float* __restrict d_logvar,
                               const float* __restrict dz, const float* __restrict mu,
                               const float* __restrict logvar, const float* __restrict eps,
                               std::size_t n, float beta) {
  for (std::size_t i = 0; i < n; ++i) {
    const float g = dz[i], lv = logvar[i];
    // reparam_backward's terms, then kl_loss's added to them, as the two passes added them.
    d_mu[i] = g + beta * mu[i];
    d_logvar[i] = g * eps[i] * 0.5f * vae_rt::rt_expf(0.5f * lv) +
                  beta * 0.5f * (vae_rt::rt_expf(lv) - 1.0f);
  }
}

void reparam_kl_backward(float* d_mu, float* d_logvar, const float* dz, const float* mu,
                         const float* logvar, const float* eps, std::size_t n, float beta) {
  reparam_kl_backward_range(d_mu, d_logvar, dz, mu, logvar, eps, n, beta);
}

void reparam_backward(float* d_mu, float* d_logvar, const float* dz, const float* logvar,
                      const float* eps, std::size_t n) {
  const auto exp = xt::vectorize(vae_rt::rt_expf);
  const auto g = span(dz, n);
  auto dm = span(d_mu, n);
  auto dl = span(d_logvar, n);
  xt::noalias(dm) = g;
  xt::noalias(dl) = g * span(eps, n) * 0.5f * exp(0.5f * span(logvar, n));
}

}  // namespace vae
