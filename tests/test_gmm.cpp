// test_gmm.cpp - EM for the diagonal Gaussian mixture: the log-likelihood never decreases,
// known clusters are recovered, fits repeat exactly, samples follow the fit.
#include "vae/gmm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "vae_rt/rng.h"

namespace {

// N points from three 2-D clusters with known means and scales, interleaved.
std::vector<float> three_clusters(std::size_t N) {
  const float mu[3][2] = {{-4.0f, 0.0f}, {3.0f, 3.0f}, {3.0f, -3.0f}};
  const float sd[3] = {0.5f, 1.0f, 0.3f};
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 9, 0);
  std::vector<float> x(N * 2);
  for (std::size_t n = 0; n < N; ++n) {
    const std::size_t k = n % 3;
    float e[2];
    vae_rt::rng_fill_normal(&r, e, 2);
    x[n * 2] = mu[k][0] + sd[k] * e[0];
    x[n * 2 + 1] = mu[k][1] + sd[k] * e[1];
  }
  return x;
}

TEST(Gmm, LogLikelihoodNeverDecreases) {
  const std::vector<float> x = three_clusters(3000);
  for (std::size_t K : {1u, 3u, 5u, 10u}) {
    const vae::GmmFit f = vae::fit_gmm(x.data(), 3000, 2, K, 60);
    ASSERT_EQ(f.loglik.size(), 61u);
    for (std::size_t i = 1; i < f.loglik.size(); ++i) {
      EXPECT_GE(f.loglik[i], f.loglik[i - 1] - 1e-9 * std::fabs(f.loglik[i - 1])) << "K " << K << " iteration " << i;
    }
    EXPECT_NEAR(vae::gmm_log_likelihood(f.gmm, x.data(), 3000), f.loglik.back(), 1e-5);
  }
}

TEST(Gmm, RecoversKnownClustersAndRepeatsExactly) {
  const std::vector<float> x = three_clusters(3000);
  const vae::GmmFit f = vae::fit_gmm(x.data(), 3000, 2, 3, 100);
  const float want[3][2] = {{-4.0f, 0.0f}, {3.0f, 3.0f}, {3.0f, -3.0f}};
  for (const auto& w : want) {
    float best = 1e9f;
    std::size_t bk = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      const float d = std::hypot(f.gmm.mu[k * 2] - w[0], f.gmm.mu[k * 2 + 1] - w[1]);
      if (d < best) { best = d; bk = k; }
    }
    EXPECT_LT(best, 0.1f) << "cluster at (" << w[0] << ", " << w[1] << ")";
    EXPECT_NEAR(f.gmm.logits[bk], std::log(1.0f / 3.0f), 0.05f);
  }
  const vae::GmmFit g = vae::fit_gmm(x.data(), 3000, 2, 3, 100);
  EXPECT_EQ(f.gmm.mu, g.gmm.mu);
  EXPECT_EQ(f.gmm.logvar, g.gmm.logvar);
}

TEST(Gmm, SamplesFollowTheFit) {
  const std::vector<float> x = three_clusters(3000);
  const vae::GmmFit f = vae::fit_gmm(x.data(), 3000, 2, 3, 100);
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 1, 0);
  std::vector<float> z(20000 * 2);
  vae::gmm_sample(f.gmm, r, z.data(), 20000);
  double m0 = 0, m1 = 0, d0 = 0, d1 = 0;
  for (std::size_t n = 0; n < 3000; ++n) { d0 += x[n * 2]; d1 += x[n * 2 + 1]; }
  for (std::size_t n = 0; n < 20000; ++n) { m0 += z[n * 2]; m1 += z[n * 2 + 1]; }
  EXPECT_NEAR(m0 / 20000, d0 / 3000, 0.1);
  EXPECT_NEAR(m1 / 20000, d1 / 3000, 0.1);
  // The samples are as likely under the fit as the data are.
  EXPECT_NEAR(vae::gmm_log_likelihood(f.gmm, z.data(), 20000), f.loglik.back(), 0.05);
}

}  // namespace
