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
#include "vae/layers.hpp"

#include <xtensor/xadapt.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xoperation.hpp>
#include <xtensor/xvectorize.hpp>

#include <array>

#include "vae/parallel.hpp"
#include "vae_rt/math.h"

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
    auto d = span(db + lo, hi - lo);
    d.fill(0.0f);
    for (std::size_t i = 0; i < B; ++i) xt::noalias(d) += span(dy + i * N + lo, hi - lo);
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

// The runtime's portable exp, so that z matches the device's arithmetic.
void reparam_forward(float* z, const float* mu, const float* logvar, const float* eps,
                     std::size_t n) {
  const auto exp = xt::vectorize(vae_rt::rt_expf);
  auto zv = span(z, n);
  xt::noalias(zv) = span(mu, n) + span(eps, n) * exp(0.5f * span(logvar, n));
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
