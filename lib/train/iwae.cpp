// iwae.cpp - log-mean-exp and the Gaussian log densities of vae/iwae.hpp (see there), written
// over xtensor: the pointer forms adapt their Z values (no copy) and share the expressions of the
// row-wise forms; every sum runs in index order, in double, as the loops they replace did.
#include "vae/iwae.hpp"

#include <array>
#include <string>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "vae/error.hpp"

namespace vae {
namespace {

// (n) or (rows, Z) floats as a double expression, over caller memory.
auto doubles(const float* p, std::size_t n) {
  return xt::cast<double>(xt::adapt(p, n, xt::no_ownership(), std::array<std::size_t, 1>{n}));
}

// The summand of log N(z; mu, e^logvar) for each value: (z - mu)^2 e^-logvar + logvar.
template <class Z, class M, class L>
auto diag_terms(const Z& z, const M& mu, const L& logvar) {
  return (z - mu) * (z - mu) * xt::exp(-logvar) + logvar;   // no named sub-expression: it would dangle
}

// v (n), n > 0: m + log mean e^(v - m), m = max v.
template <class V>
double log_mean_exp_of(const V& v) {
  const double m = xt::amax(v)();
  if (std::isinf(m)) return m;   // all -inf (or a +inf): the mean is that too
  return m + std::log(xt::sum(xt::exp(v - m))() / static_cast<double>(v.size()));
}

void check_same_shape(const xt::xtensor<float, 2>& a, const xt::xtensor<float, 2>& b, const char* what) {
  if (a.shape() != b.shape()) {
    throw Error(std::string("log_normal_diag: ") + what + " has shape (" + std::to_string(b.shape(0)) + ", " +
                std::to_string(b.shape(1)) + "), z (" + std::to_string(a.shape(0)) + ", " +
                std::to_string(a.shape(1)) + ")");
  }
}

}  // namespace

double log_mean_exp(const double* v, std::size_t n) {
  return log_mean_exp_of(xt::adapt(v, n, xt::no_ownership(), std::array<std::size_t, 1>{n}));
}

double log_mean_exp(const xt::xtensor<double, 1>& v) { return log_mean_exp_of(v); }

double log_normal_standard(const float* z, std::size_t Z) {
  return -0.5 * (xt::sum(xt::square(doubles(z, Z)))() + static_cast<double>(Z) * log_2pi);
}

double log_normal_diag(const float* z, const float* mu, const float* logvar, std::size_t Z) {
  return -0.5 * (xt::sum(diag_terms(doubles(z, Z), doubles(mu, Z), doubles(logvar, Z)))() +
                 static_cast<double>(Z) * log_2pi);
}

xt::xtensor<double, 1> log_normal_standard(const xt::xtensor<float, 2>& z) {
  return -0.5 * (xt::sum(xt::square(xt::cast<double>(z)), {1}) + static_cast<double>(z.shape(1)) * log_2pi);
}

xt::xtensor<double, 1> log_normal_diag(const xt::xtensor<float, 2>& z, const xt::xtensor<float, 2>& mu,
                                       const xt::xtensor<float, 2>& logvar) {
  check_same_shape(z, mu, "mu");
  check_same_shape(z, logvar, "logvar");
  return -0.5 * (xt::sum(diag_terms(xt::cast<double>(z), xt::cast<double>(mu), xt::cast<double>(logvar)), {1}) +
                 static_cast<double>(z.shape(1)) * log_2pi);
}

}  // namespace vae
