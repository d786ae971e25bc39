// gmm.cpp - EM for a diagonal Gaussian mixture (see vae/gmm.hpp for the math).
#include "vae/gmm.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "vae/error.hpp"
#include "vae/iwae.hpp"
#include "vae_rt/prior.h"

namespace vae {
namespace {

// log N(z; mu, diag(var)) from precomputed 1/var and sum(log var).
double log_gauss(const float* z, const double* mu, const double* inv_var, double log_det, std::size_t Z) {
  double s = 0.0;
  for (std::size_t j = 0; j < Z; ++j) {
    const double d = static_cast<double>(z[j]) - mu[j];
    s += d * d * inv_var[j];
  }
  return -0.5 * (s + log_det + static_cast<double>(Z) * log_2pi);
}

struct Params {
  std::size_t K, Z;
  std::vector<double> log_pi, mu, var;   // (K), (K, Z), (K, Z)
};

// E step over all points: returns the mean log-likelihood; r (N, K) if not null.
double e_step(const Params& p, const float* data, std::size_t N, std::vector<double>* r) {
  const std::size_t K = p.K, Z = p.Z;
  std::vector<double> inv_var(K * Z), log_det(K, 0.0), lp(K);
  for (std::size_t k = 0; k < K; ++k) {
    for (std::size_t j = 0; j < Z; ++j) {
      inv_var[k * Z + j] = 1.0 / p.var[k * Z + j];
      log_det[k] += std::log(p.var[k * Z + j]);
    }
  }
  double total = 0.0;
  for (std::size_t n = 0; n < N; ++n) {
    double m = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < K; ++k) {
      lp[k] = p.log_pi[k] + log_gauss(data + n * Z, &p.mu[k * Z], &inv_var[k * Z], log_det[k], Z);
      m = std::max(m, lp[k]);
    }
    double s = 0.0;
    for (std::size_t k = 0; k < K; ++k) s += std::exp(lp[k] - m);
    const double lse = m + std::log(s);
    total += lse;
    if (r) {
      for (std::size_t k = 0; k < K; ++k) (*r)[n * K + k] = std::exp(lp[k] - lse);
    }
  }
  return total / static_cast<double>(N);
}

Gmm to_gmm(const Params& p) {
  Gmm g;
  g.K = p.K;
  g.Z = p.Z;
  g.logits.resize(p.K);
  g.mu.resize(p.K * p.Z);
  g.logvar.resize(p.K * p.Z);
  for (std::size_t k = 0; k < p.K; ++k) g.logits[k] = static_cast<float>(p.log_pi[k]);
  for (std::size_t i = 0; i < p.K * p.Z; ++i) {
    g.mu[i] = static_cast<float>(p.mu[i]);
    g.logvar[i] = static_cast<float>(std::log(p.var[i]));
  }
  return g;
}

Params from_gmm(const Gmm& g) {
  Params p{g.K, g.Z, std::vector<double>(g.K), std::vector<double>(g.K * g.Z), std::vector<double>(g.K * g.Z)};
  double m = -std::numeric_limits<double>::infinity();
  for (float l : g.logits) m = std::max(m, static_cast<double>(l));
  double s = 0.0;
  for (float l : g.logits) s += std::exp(static_cast<double>(l) - m);
  for (std::size_t k = 0; k < g.K; ++k) p.log_pi[k] = static_cast<double>(g.logits[k]) - m - std::log(s);
  for (std::size_t i = 0; i < g.K * g.Z; ++i) {
    p.mu[i] = g.mu[i];
    p.var[i] = std::exp(static_cast<double>(g.logvar[i]));
  }
  return p;
}

}  // namespace

GmmFit fit_gmm(const float* data, std::size_t N, std::size_t Z, std::size_t K, int iters, double var_floor) {
  return fit_gmm(data, N, Z, K, iters, var_floor, GmmProgress{});
}

GmmFit fit_gmm(const float* data, std::size_t N, std::size_t Z, std::size_t K, int iters, double var_floor,
               const GmmProgress& progress) {
  if (K == 0 || Z == 0 || N < K) {
    throw Error("fit_gmm: need at least K = " + std::to_string(K) + " points, got " + std::to_string(N));
  }
  Params p{K, Z, std::vector<double>(K, -std::log(static_cast<double>(K))), std::vector<double>(K * Z),
           std::vector<double>(K * Z)};
  // Deterministic start: evenly spaced points as means, the data's variance everywhere.
  std::vector<double> mean(Z, 0.0), var(Z, 0.0);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < Z; ++j) mean[j] += data[n * Z + j];
  for (double& v : mean) v /= static_cast<double>(N);
  for (std::size_t n = 0; n < N; ++n)
    for (std::size_t j = 0; j < Z; ++j) {
      const double d = data[n * Z + j] - mean[j];
      var[j] += d * d;
    }
  for (std::size_t k = 0; k < K; ++k) {
    const std::size_t n = (2 * k + 1) * N / (2 * K);
    for (std::size_t j = 0; j < Z; ++j) {
      p.mu[k * Z + j] = data[n * Z + j];
      p.var[k * Z + j] = std::max(var[j] / static_cast<double>(N), var_floor);
    }
  }
  GmmFit fit;
  std::vector<double> r(N * K);
  for (int it = 0; it < iters; ++it) {
    fit.loglik.push_back(e_step(p, data, N, &r));
    if (progress) progress(it, iters, fit.loglik.back());
    // M step.
    for (std::size_t k = 0; k < K; ++k) {
      double rk = 0.0;
      for (std::size_t n = 0; n < N; ++n) rk += r[n * K + k];
      if (rk <= 0.0) continue;   // an empty component keeps its parameters (pi_k -> 0 below)
      for (std::size_t j = 0; j < Z; ++j) {
        double s = 0.0;
        for (std::size_t n = 0; n < N; ++n) s += r[n * K + k] * data[n * Z + j];
        const double m = s / rk;
        double v = 0.0;
        for (std::size_t n = 0; n < N; ++n) {
          const double d = data[n * Z + j] - m;
          v += r[n * K + k] * d * d;
        }
        p.mu[k * Z + j] = m;
        p.var[k * Z + j] = std::max(v / rk, var_floor);
      }
      p.log_pi[k] = std::log(rk / static_cast<double>(N));
    }
    for (std::size_t k = 0; k < K; ++k) {
      double rk = 0.0;
      for (std::size_t n = 0; n < N; ++n) rk += r[n * K + k];
      if (rk <= 0.0) p.log_pi[k] = -std::numeric_limits<double>::infinity();
    }
  }
  fit.loglik.push_back(e_step(p, data, N, nullptr));
  if (progress) progress(iters, iters, fit.loglik.back());
  fit.gmm = to_gmm(p);
  return fit;
}

double gmm_log_likelihood(const Gmm& g, const float* data, std::size_t N) {
  return e_step(from_gmm(g), data, N, nullptr);
}

void gmm_sample(const Gmm& g, vae_rt::Rng& rng, float* z, std::size_t n) {
  const Params p = from_gmm(g);
  for (std::size_t i = 0; i < n; ++i) {
    const float u = vae_rt::rng_uniform(&rng);
    std::size_t k = 0;
    double c = std::exp(p.log_pi[0]);
    while (k + 1 < g.K && static_cast<double>(u) >= c) c += std::exp(p.log_pi[++k]);
    vae_rt::rng_fill_normal(&rng, z + i * g.Z, g.Z);
    for (std::size_t j = 0; j < g.Z; ++j) {
      z[i * g.Z + j] = g.mu[k * g.Z + j] + z[i * g.Z + j] * std::exp(0.5f * g.logvar[k * g.Z + j]);
    }
  }
}

WeightsFile with_prior(const WeightsFile& wf, const Gmm& g) {
  if (g.K == 0 || g.Z != wf.dim_z || g.logits.size() != g.K || g.mu.size() != g.K * g.Z ||
      g.logvar.size() != g.K * g.Z) {
    throw Error("with_prior: a mixture of " + std::to_string(g.K) + " components of latent " +
                std::to_string(g.Z) + " does not fit a file of latent " + std::to_string(wf.dim_z));
  }
  WeightsFile out = wf;
  out.tensors.clear();
  for (const WeightTensor& t : wf.tensors) {
    if (t.name != vae_rt::prior_logits_name && t.name != vae_rt::prior_mu_name &&
        t.name != vae_rt::prior_logvar_name) {
      out.tensors.push_back(t);
    }
  }
  const auto K = static_cast<std::uint32_t>(g.K), Z = static_cast<std::uint32_t>(g.Z);
  out.tensors.push_back(float_tensor(vae_rt::prior_logits_name, K, 0, g.logits.data()));
  out.tensors.push_back(float_tensor(vae_rt::prior_mu_name, K, Z, g.mu.data()));
  out.tensors.push_back(float_tensor(vae_rt::prior_logvar_name, K, Z, g.logvar.data()));
  out.flags |= vae_rt::format::flag_mixture_prior;
  return out;
}

Gmm prior_from_weights(const WeightsFile& wf, const std::string& path) {
  // The runtime's own checks decide what a valid prior is: serialize, parse, bind.
  std::vector<std::uint8_t> bytes = serialize_weights(wf);
  std::vector<std::uint32_t> words(bytes.size() / 4 + 1);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  vae_rt::format::File file;
  vae_rt::format::Diag diag;
  vae_rt::Status s = vae_rt::format::parse(words.data(), bytes.size(), &file, false, &diag);
  if (s != vae_rt::Status::ok) throw Error(path + ": " + vae_rt::status_str(s) + ": " + diag.text);
  Gmm g;
  if (!vae_rt::prior_present(file)) return g;
  vae_rt::MixturePrior p;
  s = vae_rt::prior_bind(file, wf.dim_z, &p, &diag);
  if (s != vae_rt::Status::ok) throw Error(path + ": " + vae_rt::status_str(s) + ": " + diag.text);
  g.K = p.k;
  g.Z = p.z;
  g.logits.assign(p.logits, p.logits + g.K);
  g.mu.assign(p.mu, p.mu + g.K * g.Z);
  g.logvar.assign(p.logvar, p.logvar + g.K * g.Z);
  return g;
}

}  // namespace vae
