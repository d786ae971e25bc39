// gmm.cpp - EM for a diagonal Gaussian mixture (see vae/gmm.hpp for the math), written over
// xtensor: the data (N, Z), the parameters (K), (K, Z) and the responsibilities (N, K) are
// xtensor containers in double; the E and M steps are broadcasts and reductions over them.
#include "vae/gmm.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>
#include <xtensor/xview.hpp>

#include "vae/error.hpp"
#include "vae/iwae.hpp"
#include "vae_rt/prior.h"

namespace vae {
namespace {

using Mat = xt::xtensor<double, 2>;
using Vec = xt::xtensor<double, 1>;

struct Params {
  std::size_t K, Z;
  Vec log_pi;    // (K)
  Mat mu, var;   // (K, Z), (K, Z)
};

// log pi_k + log N(x_n; mu_k, diag(var_k)): (N, K), for the points x (N, Z). The squared
// distances are a lazy (N, K, Z) broadcast summed over Z (in j order, as a loop would).
Mat log_joint(const Params& p, const Mat& x) {
  const Mat inv_var = 1.0 / p.var;                  // (K, Z)
  const Vec log_det = xt::sum(xt::log(p.var), {1});  // (K)
  auto d = xt::view(x, xt::all(), xt::newaxis(), xt::all()) -
           xt::view(p.mu, xt::newaxis(), xt::all(), xt::all());   // (N, K, Z)
  const Mat s = xt::sum(d * d * xt::view(inv_var, xt::newaxis(), xt::all(), xt::all()), {2});   // (N, K)
  return xt::view(p.log_pi, xt::newaxis(), xt::all()) +
         -0.5 * (s + xt::view(log_det, xt::newaxis(), xt::all()) + static_cast<double>(p.Z) * log_2pi);
}

// E step over all points x (N, Z): returns the mean log-likelihood; r (N, K) if not null.
double e_step(const Params& p, const Mat& x, Mat* r) {
  const Mat lp = log_joint(p, x);                                  // (N, K)
  const Vec m = xt::amax(lp, {1});                                 // (N)
  const auto m_col = xt::view(m, xt::all(), xt::newaxis());       // (N, 1)
  const Vec lse = m + xt::log(xt::sum(xt::exp(lp - m_col), {1}));  // (N) log-sum-exp over k
  if (r) *r = xt::exp(lp - xt::view(lse, xt::all(), xt::newaxis()));
  return xt::sum(lse)() / static_cast<double>(x.shape(0));
}

// M step from the responsibilities, transposed: rT (K, N), and the points transposed: xT (Z, N),
// so that every sum over the points runs along a contiguous last axis (in n order, as the loops
// did; summing over axis 0 of (N, K, Z) broadcasts instead took 1.7x as long). Sets pi, the
// r-weighted means and variances (floored); a component with no weight keeps its mean and
// variance, and its pi becomes 0.
void m_step(Params& p, const Mat& xT, const Mat& rT, double var_floor) {
  const double N = static_cast<double>(xT.shape(1));
  const Vec rk = xt::sum(rT, {1});                                   // (K)
  const auto rk_col = xt::view(rk, xt::all(), xt::newaxis());       // (K, 1)
  const auto rr = xt::view(rT, xt::all(), xt::newaxis(), xt::all());    // (K, 1, N)
  const auto xx = xt::view(xT, xt::newaxis(), xt::all(), xt::all());    // (1, Z, N)
  const Mat m = xt::sum(rr * xx, {2}) / rk_col;                      // (K, Z)
  const auto d = xx - xt::view(m, xt::all(), xt::all(), xt::newaxis());   // (K, Z, N)
  const Mat v = xt::maximum(xt::sum(rr * d * d, {2}) / rk_col, var_floor);   // (K, Z)
  const auto live = xt::view(rk > 0.0, xt::all(), xt::newaxis());   // (K, 1)
  p.mu = xt::where(live, m, p.mu);
  p.var = xt::where(live, v, p.var);
  p.log_pi = xt::where(rk > 0.0, xt::log(rk / N), -std::numeric_limits<double>::infinity());
}

Gmm to_gmm(const Params& p) {
  Gmm g;
  g.K = p.K;
  g.Z = p.Z;
  const xt::xtensor<float, 1> logits = xt::cast<float>(p.log_pi);   // (K)
  const xt::xtensor<float, 2> mu = xt::cast<float>(p.mu);           // (K, Z)
  const xt::xtensor<float, 2> logvar = xt::cast<float>(xt::log(p.var));
  g.logits.assign(logits.begin(), logits.end());
  g.mu.assign(mu.begin(), mu.end());
  g.logvar.assign(logvar.begin(), logvar.end());
  return g;
}

Params from_gmm(const Gmm& g) {
  const std::array<std::size_t, 2> kz{g.K, g.Z};
  const Vec logits = xt::cast<double>(xt::adapt(g.logits));   // (K)
  const double m = xt::amax(logits)();
  const double s = xt::sum(xt::exp(logits - m))();
  return Params{g.K, g.Z, logits - m - std::log(s), xt::cast<double>(xt::adapt(g.mu, kz)),
                xt::exp(xt::cast<double>(xt::adapt(g.logvar, kz)))};
}

}  // namespace

GmmFit fit_gmm(const xt::xtensor<float, 2>& data, std::size_t K, int iters, double var_floor) {
  return fit_gmm(data, K, iters, var_floor, GmmProgress{});
}

GmmFit fit_gmm(const xt::xtensor<float, 2>& data, std::size_t K, int iters, double var_floor,
               const GmmProgress& progress) {
  const std::size_t N = data.shape(0), Z = data.shape(1);
  if (K == 0 || Z == 0 || N < K) {
    throw Error("fit_gmm: need at least K = " + std::to_string(K) + " points, got " + std::to_string(N));
  }
  const Mat x = xt::cast<double>(data);   // (N, Z)
  // Deterministic start: evenly spaced points as means, the data's variance everywhere.
  const Vec mean = xt::sum(x, {0}) / static_cast<double>(N);   // (Z)
  const Vec var = xt::maximum(xt::sum(xt::square(x - mean), {0}) / static_cast<double>(N), var_floor);
  Params p{K, Z, Vec::from_shape({K}), Mat::from_shape({K, Z}), Mat::from_shape({K, Z})};
  p.log_pi.fill(-std::log(static_cast<double>(K)));
  for (std::size_t k = 0; k < K; ++k) {
    xt::view(p.mu, k, xt::all()) = xt::view(x, (2 * k + 1) * N / (2 * K), xt::all());
    xt::view(p.var, k, xt::all()) = var;
  }
  GmmFit fit;
  const Mat xT = xt::transpose(x);   // (Z, N)
  Mat r, rT;                          // (N, K) responsibilities, (K, N) transposed
  for (int it = 0; it < iters; ++it) {
    fit.loglik.push_back(e_step(p, x, &r));
    if (progress) progress(it, iters, fit.loglik.back());
    rT = xt::transpose(r);
    m_step(p, xT, rT, var_floor);
  }
  fit.loglik.push_back(e_step(p, x, nullptr));
  if (progress) progress(iters, iters, fit.loglik.back());
  fit.gmm = to_gmm(p);
  return fit;
}

double gmm_log_likelihood(const Gmm& g, const xt::xtensor<float, 2>& data) {
  return e_step(from_gmm(g), xt::cast<double>(data), nullptr);
}

xt::xtensor<float, 2> gmm_sample(const Gmm& g, vae_rt::Rng& rng, std::size_t n) {
  const Params p = from_gmm(g);
  const std::array<std::size_t, 2> kz{g.K, g.Z};
  const auto mu = xt::adapt(g.mu, kz);                       // (K, Z)
  const xt::xtensor<float, 2> sd = xt::exp(0.5f * xt::adapt(g.logvar, kz));   // (K, Z), float
  auto z = xt::xtensor<float, 2>::from_shape({n, g.Z});    // (n, Z)
  for (std::size_t i = 0; i < n; ++i) {
    const float u = vae_rt::rng_uniform(&rng);
    std::size_t k = 0;
    double c = std::exp(p.log_pi(0));
    while (k + 1 < g.K && static_cast<double>(u) >= c) c += std::exp(p.log_pi(++k));
    vae_rt::rng_fill_normal(&rng, &z(i, 0), g.Z);   // eps
    auto row = xt::view(z, i, xt::all());
    row = xt::view(mu, k, xt::all()) + row * xt::view(sd, k, xt::all());
  }
  return z;
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
