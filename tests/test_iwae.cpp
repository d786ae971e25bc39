// test_iwae.cpp - log-mean-exp (batch and online) and the importance-weighted bound on a model
// whose log p(x) has a closed form.
#include "vae/iwae.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "vae/error.hpp"
#include "vae_rt/rng.h"

namespace test_iwae {

namespace {

TEST(LogMeanExp, ClosedFormValues) {
  const double a[] = {0.0, std::log(3.0)};   // mean of (1, 3) is 2
  EXPECT_NEAR(vae::log_mean_exp(a, 2), std::log(2.0), 1e-15);
  const double c[] = {-7.5, -7.5, -7.5};
  EXPECT_DOUBLE_EQ(vae::log_mean_exp(c, 3), -7.5);
}

TEST(LogMeanExp, StableFarOutsideTheExpRange) {
  // e^1000 overflows and e^-1000 underflows; the shift by the max avoids both.
  const double big[] = {1000.0, 1000.0 + std::log(3.0)};
  EXPECT_NEAR(vae::log_mean_exp(big, 2), 1000.0 + std::log(2.0), 1e-12);
  const double small[] = {-1000.0, -1000.0 + std::log(3.0)};
  EXPECT_NEAR(vae::log_mean_exp(small, 2), -1000.0 + std::log(2.0), 1e-12);
  const double mixed[] = {-1e6, 0.0};   // the tiny term vanishes: log(1/2)
  EXPECT_NEAR(vae::log_mean_exp(mixed, 2), -std::log(2.0), 1e-15);
}

TEST(LogMeanExp, OnlineEqualsBatchInAnyOrder) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 4, 0);
  std::vector<double> v(1000);
  for (double& x : v) x = 400.0 * vae_rt::rng_uniform(&r) - 900.0;   // [-900, -500]: e^x underflows
  vae::LogMeanExp up, down;
  for (double x : v) up.add(x);
  for (auto it = v.rbegin(); it != v.rend(); ++it) down.add(*it);
  const double batch = vae::log_mean_exp(v.data(), v.size());
  EXPECT_TRUE(std::isfinite(batch));
  EXPECT_NEAR(up.value(), batch, 1e-9);
  EXPECT_NEAR(down.value(), batch, 1e-9);
  EXPECT_EQ(up.n, 1000u);
}

TEST(GaussianLogDensity, ClosedFormValues) {
  const float z[] = {0.0f, 1.0f}, mu[] = {0.0f, 0.0f}, lv0[] = {0.0f, 0.0f};
  EXPECT_NEAR(vae::log_normal_standard(z, 2), -0.5 * (1.0 + 2.0 * vae::log_2pi), 1e-12);
  EXPECT_NEAR(vae::log_normal_diag(z, mu, lv0, 2), vae::log_normal_standard(z, 2), 1e-12);
  // N(1; 0, sigma^2 = 4): -1/2 (1/4 + log 4 + log 2 pi).
  const float one[] = {1.0f}, zero[] = {0.0f}, lv[] = {std::log(4.0f)};
  EXPECT_NEAR(vae::log_normal_diag(one, zero, lv, 1), -0.5 * (0.25 + std::log(4.0) + vae::log_2pi), 1e-7);
}

// The linear-Gaussian model z ~ N(0, 1), x | z ~ N(z, 1): p(x) = N(x; 0, 2) and the posterior is
// p(z|x) = N(x/2, 1/2). The bound L_K = log-mean-exp_k [log p(x|z_k) + log p(z_k) - log q(z_k)].
struct LinearGaussian {
  float x = 1.3f;
  double log_px() const { return -0.5 * (static_cast<double>(x) * x / 2.0 + std::log(2.0) + vae::log_2pi); }
  // One log weight for a draw z from q = N(q_mu, e^q_logvar).
  double log_w(float z, float q_mu, float q_logvar) const {
    const float lv0 = 0.0f;
    return vae::log_normal_diag(&x, &z, &lv0, 1) + vae::log_normal_standard(&z, 1) -
           vae::log_normal_diag(&z, &q_mu, &q_logvar, 1);
  }
  double bound(std::size_t K, float q_mu, float q_logvar, vae_rt::Rng& r) const {
    vae::LogMeanExp lme;
    for (std::size_t k = 0; k < K; ++k) {
      float eps;
      vae_rt::rng_fill_normal(&r, &eps, 1);
      lme.add(log_w(q_mu + eps * std::exp(0.5f * q_logvar), q_mu, q_logvar));
    }
    return lme.value();
  }
};

TEST(Iwae, ExactPosteriorGivesLogPxForAnyK) {
  // With q = p(z|x) every weight equals p(x): the bound is exact, without variance.
  LinearGaussian m;
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 1, 0);
  const float q_mu = m.x / 2.0f, q_lv = std::log(0.5f);
  for (std::size_t K : {1u, 50u, 1000u}) EXPECT_NEAR(m.bound(K, q_mu, q_lv, r), m.log_px(), 1e-5) << "K " << K;
}

TEST(Iwae, PriorProposalRisesWithKTowardsLogPx) {
  // q = the prior: E[L_1] = ELBO < E[L_50] < E[L_1000] <= log p(x), and L_1000 is close to it.
  LinearGaussian m;
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 2, 0);
  auto mean_bound = [&](std::size_t K, int reps) {
    double s = 0.0;
    for (int i = 0; i < reps; ++i) s += m.bound(K, 0.0f, 0.0f, r);
    return s / reps;
  };
  const double l1 = mean_bound(1, 4000), l50 = mean_bound(50, 400), l1000 = mean_bound(1000, 40);
  // E[L_1] in closed form: E_q[log N(x; z, 1)] = -1/2 (x^2 + 1 + log 2 pi) (the KL to the prior is 0).
  const double elbo = -0.5 * (static_cast<double>(m.x) * m.x + 1.0 + vae::log_2pi);
  EXPECT_NEAR(l1, elbo, 0.05);
  EXPECT_LT(l1, l50);
  EXPECT_LT(l50, l1000);
  // The bias of L_1000 is far below its sampling noise (about 0.005 over 40 repeats).
  EXPECT_NEAR(l1000, m.log_px(), 0.02);
}

// The row-wise xtensor forms are the pointer forms applied to each row, bit for bit; the
// densities against the closed form written out here with plain loops.
TEST(GaussianLogDensity, RowWiseFormsEqualThePointerFormsRowByRow) {
  constexpr std::size_t N = 37, Z = 7;
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 4, 0);
  auto rows = [&](float scale) {
    auto m = xt::xtensor<float, 2>::from_shape({N, Z});
    vae_rt::rng_fill_normal(&r, m.data(), m.size());
    for (float& v : m) v *= scale;
    return m;
  };
  const xt::xtensor<float, 2> z = rows(1.5f), mu = rows(1.0f), logvar = rows(0.7f);
  const xt::xtensor<double, 1> s = vae::log_normal_standard(z), d = vae::log_normal_diag(z, mu, logvar);
  ASSERT_EQ(s.size(), N);
  ASSERT_EQ(d.size(), N);
  for (std::size_t n = 0; n < N; ++n) {
    const double want_s = vae::log_normal_standard(z.data() + n * Z, Z);
    const double want_d = vae::log_normal_diag(z.data() + n * Z, mu.data() + n * Z, logvar.data() + n * Z, Z);
    EXPECT_EQ(std::memcmp(&s(n), &want_s, sizeof(double)), 0) << n;
    EXPECT_EQ(std::memcmp(&d(n), &want_d, sizeof(double)), 0) << n;
    double ls = 0, ld = 0;
    for (std::size_t j = 0; j < Z; ++j) {
      const double zj = z(n, j), m = mu(n, j), lv = logvar(n, j);
      ls += zj * zj;
      ld += (zj - m) * (zj - m) / std::exp(lv) + lv;
    }
    EXPECT_NEAR(s(n), -0.5 * (ls + Z * vae::log_2pi), 1e-12);
    EXPECT_NEAR(d(n), -0.5 * (ld + Z * vae::log_2pi), 1e-10);
  }
  const xt::xtensor<double, 1> v = {-3.0, 0.5, 2.0, -700.0};
  EXPECT_EQ(vae::log_mean_exp(v), vae::log_mean_exp(v.data(), v.size()));
  try {
    vae::log_normal_diag(z, xt::xtensor<float, 2>::from_shape({N, Z + 1}), logvar);
    ADD_FAILURE() << "no error";
  } catch (const vae::Error& e) {
    EXPECT_EQ(std::string(e.what()), "log_normal_diag: mu has shape (37, 8), z (37, 7)");
  }
}

}  // namespace

}  // namespace test_iwae
