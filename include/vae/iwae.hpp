// vae/iwae.hpp - the importance-weighted bound (IWAE, Burda et al. 2016) and its pieces.
//
// For an image x and K draws z_k ~ q(z|x) = N(mu, diag(e^logvar)),
//   log p(x) >= L_K = log (1/K) sum_k w_k,   log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x),
// with, for the BCE decoder, log p(x|z) = -BCE(x, decoder(z)) (a Bernoulli likelihood with the
// grey levels as soft targets), log p(z) = log N(z; 0, I), log q(z|x) = log N(z; mu, e^logvar).
// L_1 is the ELBO (in expectation) and L_K rises with K towards log p(x) (Burda et al., Thm. 1).
// Reported in nats per image as -L_K, so a smaller number is a better bound.
//
// The average of K exponentials is formed stably: log-mean-exp(v) = m + log mean e^(v_k - m),
// m = max v_k, so no term overflows and the mean is >= 1/K (no log of 0). LogMeanExp does the
// same online, one value at a time, rescaling its sum when the maximum grows, so that the K
// samples can be drawn in batches and never stored.
//
// Not here: the gradient of the bound (this is an evaluation tool, not an IWAE trainer).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include <xtensor/xtensor.hpp>

namespace vae {

inline constexpr double log_2pi = 1.8378770664093454836;   // log(2 pi)

// log-mean-exp of n values, stable (see above). n must be > 0.
double log_mean_exp(const double* v, std::size_t n);
// ... of the values v (n), n > 0.
double log_mean_exp(const xt::xtensor<double, 1>& v);

// The same, online: add() values one at a time, value() at any point after the first.
struct LogMeanExp {
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0.0;     // sum of e^(v - max)
  std::size_t n = 0;

  void add(double v) {
    if (v > max) {
      sum = sum * std::exp(max - v) + 1.0;   // e^(-inf) = 0 on the first value
      max = v;
    } else {
      sum += std::exp(v - max);
    }
    ++n;
  }
  double value() const { return max + std::log(sum / static_cast<double>(n)); }
};

// log N(z; 0, I) over Z values: -1/2 sum (z^2 + log 2 pi).
double log_normal_standard(const float* z, std::size_t Z);

// log N(z; mu, diag(e^logvar)) over Z values: -1/2 sum ((z - mu)^2 e^-logvar + logvar + log 2 pi).
double log_normal_diag(const float* z, const float* mu, const float* logvar, std::size_t Z);

// Row by row: log N(z_n; 0, I) of the N rows of z (N, Z): (N).
xt::xtensor<double, 1> log_normal_standard(const xt::xtensor<float, 2>& z);
// log N(z_n; mu_n, diag(e^logvar_n)) of each row: (N); z, mu, logvar (N, Z).
xt::xtensor<double, 1> log_normal_diag(const xt::xtensor<float, 2>& z, const xt::xtensor<float, 2>& mu,
                                       const xt::xtensor<float, 2>& logvar);

}  // namespace vae
