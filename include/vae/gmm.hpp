// vae/gmm.hpp - a diagonal Gaussian mixture fitted with EM: the "better prior" of issue 9.
//
// Sampling z ~ N(0, I) is a plain VAE's weak point: the aggregate posterior (the encoder's mu
// over the training set) does not fill the prior, and an autoencoder's latent does not match it
// at all. A K-component mixture fitted to those mu after training samples where the codes are.
//
//   p(z) = sum_k pi_k N(z; mu_k, diag(e^logvar_k)),   pi = softmax(logits)
//
// EM (Dempster et al. 1977): the E step sets r_nk = p(k | z_n) (in the log domain, with a
// log-sum-exp over k), the M step sets pi_k = mean_n r_nk, mu_k = the r-weighted mean and
// var_k = the r-weighted variance, floored at `var_floor`. Each step maximizes the expected
// complete-data log-likelihood (the floor is the constrained maximum of a function unimodal in
// var), so the log-likelihood never decreases (tests/test_gmm.cpp checks every iteration).
// Initialization is deterministic: the means are the points at indices (2k + 1) N / (2K), evenly
// spaced through the data as given; the variances are the data's, the weights uniform.
//
// Stored in a weight file as prior_logits (K), prior_mu (K, Z), prior_logvar (K, Z) with flag
// bit 2 (docs/weights-format.md): with_prior / prior_from_weights below. The device-side sampler
// is vae_rt/prior.h (vae_gen --prior gmm, the firmware); gmm_sample here is its independent
// double-precision twin, and tests/test_prior.cpp holds the two to the same draws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "vae/weights.hpp"
#include "vae_rt/rng.h"

namespace vae {

// The mixture's parameters, flat in the weight file's order (prior_* tensors, vae_rt/prior.h
// takes these pointers as they are); xt::adapt(g.mu, {K, Z}) gives the shaped view.
struct Gmm {
  std::size_t K = 0, Z = 0;
  std::vector<float> logits;   // (K)     log pi_k up to a constant
  std::vector<float> mu;       // (K, Z)
  std::vector<float> logvar;   // (K, Z)
};

struct GmmFit {
  Gmm gmm;
  std::vector<double> loglik;   // mean log-likelihood per point, before each iteration and after the last
};

// Fit K components to the N points of data (N, Z), `iters` EM iterations.
GmmFit fit_gmm(const xt::xtensor<float, 2>& data, std::size_t K, int iters, double var_floor = 1e-4);
// The same, telling `progress` the mean log-likelihood before each iteration and after the last:
// progress(done, iters, loglik) with done = 0 .. iters (the apps' progress lines). Prints nothing.
using GmmProgress = std::function<void(int done, int iters, double loglik)>;
GmmFit fit_gmm(const xt::xtensor<float, 2>& data, std::size_t K, int iters, double var_floor,
               const GmmProgress& progress);

// Mean log p(z_n) over the N points of data (N, Z).
double gmm_log_likelihood(const Gmm& g, const xt::xtensor<float, 2>& data);

// n draws (n, Z), each: one rng_uniform u picks the first component whose cumulative pi exceeds
// u, then Z values eps of rng_fill_normal, z = mu_k + eps e^(logvar_k / 2) in float. The same
// stream use as vae_rt::prior_sample; the weights pi are computed apart, in double with std::exp.
xt::xtensor<float, 2> gmm_sample(const Gmm& g, vae_rt::Rng& rng, std::size_t n);

// wf plus the mixture as prior_logits, prior_mu, prior_logvar (float32, after the other
// tensors) with flag bit 2; a prior wf already carries is replaced. Every other tensor, the
// note and the dims are kept as they are. g.Z must equal wf.dim_z.
WeightsFile with_prior(const WeightsFile& wf, const Gmm& g);
// The mixture a file carries, or K = 0 when it has none (no flag bit 2 and no prior_* tensor).
// Throws vae::Error naming `path` when the prior is malformed (vae_rt::prior_bind's checks).
Gmm prior_from_weights(const WeightsFile& wf, const std::string& path);

}  // namespace vae
