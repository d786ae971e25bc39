// test_losses.cpp - MSE, BCE-from-logits and KL: analytic values, stability, finite differences.
#include "vae/losses.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gradcheck.hpp"
#include "vae/blas.hpp"
#include "vae/layers.hpp"
#include "vae_rt/rng.h"

namespace test_losses {

namespace {

std::vector<float> randn(std::size_t n, std::uint64_t seed, float scale = 1.0f) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, seed, 3);
  std::vector<float> v(n);
  vae_rt::rng_fill_normal(&r, v.data(), n);
  for (float& x : v) x *= scale;
  return v;
}

std::vector<float> uniform01(std::size_t n, std::uint64_t seed) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, seed, 4);
  std::vector<float> v(n);
  for (float& x : v) x = vae_rt::rng_uniform(&r);
  return v;
}

std::vector<float> sigmoid(const std::vector<float>& a) {
  std::vector<float> y(a.size());
  vae::sigmoid_forward(y.data(), a.data(), a.size());
  return y;
}

TEST(Mse, AnalyticValue) {
  const std::vector<float> xhat = {0.5f, 0.25f, 1.0f}, x = {0.0f, 0.75f, 1.0f};
  EXPECT_DOUBLE_EQ(vae::mse_loss(nullptr, xhat.data(), x.data(), 3), 0.25 + 0.25 + 0.0);
}

// More threads than the loss keeps partial sums for (64), on a batch big enough to give each its
// part (vae_train allows --threads 256 and --batch 4096): the sum is still every value's, and
// nothing is written past the partial sums (the dev preset's AddressSanitizer would say so).
TEST(Mse, ManyThreadsSumEveryValue) {
  const std::size_t n = 4096 * 784;
  std::vector<float> xhat(n), x(n, 0.0f);
  double expected = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    xhat[i] = static_cast<float>(i % 7) * 0.125f;   // exact squares: the order does not matter
    expected += static_cast<double>(xhat[i]) * xhat[i];
  }
  vae::set_blas_threads(100);
  const double sum = vae::mse_loss(nullptr, xhat.data(), x.data(), n);
  vae::set_blas_threads(1);
  EXPECT_DOUBLE_EQ(sum, expected);
}

TEST(Mse, GradientThroughSigmoidMatchesFiniteDifferences) {
  std::vector<float> logits = randn(30, 1, 2.0f);
  const std::vector<float> x = uniform01(30, 2);
  std::vector<float> d(30);
  const std::vector<float> xhat = sigmoid(logits);
  vae::mse_loss(d.data(), xhat.data(), x.data(), 30);
  auto loss = [&] { return vae::mse_loss(nullptr, sigmoid(logits).data(), x.data(), 30); };
  EXPECT_EQ(vae_test::check_gradient("mse d_logits", logits.data(), d.data(), 30, loss, 1e-2f, 5e-4, 1e-2).failed, 0u);
}

TEST(Bce, AnalyticValues) {
  // a = 0: -[x log 1/2 + (1-x) log 1/2] = log 2 for any x.
  const std::vector<float> a = {0.0f, 0.0f, 0.0f}, x = {0.0f, 0.3f, 1.0f};
  EXPECT_NEAR(vae::bce_loss(nullptr, a.data(), sigmoid(a).data(), x.data(), 3), 3.0 * std::log(2.0), 1e-6);
  // a = log 3 (s = 3/4), x = 1: -log(3/4).
  const std::vector<float> a2 = {std::log(3.0f)}, x2 = {1.0f};
  EXPECT_NEAR(vae::bce_loss(nullptr, a2.data(), sigmoid(a2).data(), x2.data(), 1), -std::log(0.75), 1e-6);
}

TEST(Bce, StableForExtremeLogits) {
  // A naive log(sigmoid(a)) gives -inf/NaN here; the stable form gives |a| for the wrong label.
  const std::vector<float> a = {100.0f, -100.0f, 100.0f, -100.0f, 1e4f}, x = {0.0f, 1.0f, 1.0f, 0.0f, 0.0f};
  const std::vector<float> s = sigmoid(a);
  std::vector<float> d(5);
  const double l = vae::bce_loss(d.data(), a.data(), s.data(), x.data(), 5);
  EXPECT_TRUE(std::isfinite(l));
  EXPECT_NEAR(l, 100.0 + 100.0 + 0.0 + 0.0 + 1e4, 1e-3);
  for (float g : d) EXPECT_TRUE(std::isfinite(g));
}

TEST(Bce, GradientMatchesFiniteDifferences) {
  std::vector<float> logits = randn(30, 5, 2.0f);
  const std::vector<float> x = uniform01(30, 6);
  std::vector<float> d(30);
  vae::bce_loss(d.data(), logits.data(), sigmoid(logits).data(), x.data(), 30);
  auto loss = [&] { return vae::bce_loss(nullptr, logits.data(), sigmoid(logits).data(), x.data(), 30); };
  EXPECT_EQ(vae_test::check_gradient("bce d_logits", logits.data(), d.data(), 30, loss, 1e-2f, 5e-4, 1e-2).failed, 0u);
}

TEST(Kl, AnalyticValues) {
  // N(0, 1) against itself: 0. mu = 2, logvar = 0: mu^2 / 2 = 2. mu = 0, sigma^2 = e: (e - 1 - 1)/2.
  const std::vector<float> mu = {0.0f, 2.0f, 0.0f}, lv = {0.0f, 0.0f, 1.0f};
  EXPECT_NEAR(vae::kl_loss(nullptr, nullptr, mu.data(), lv.data(), 1, 1.0f), 0.0, 1e-7);
  EXPECT_NEAR(vae::kl_loss(nullptr, nullptr, mu.data() + 1, lv.data() + 1, 1, 1.0f), 2.0, 1e-6);
  EXPECT_NEAR(vae::kl_loss(nullptr, nullptr, mu.data() + 2, lv.data() + 2, 1, 1.0f), (std::exp(1.0) - 2.0) / 2.0, 1e-6);
}

TEST(Kl, GradientIsAddedAndScaledByBeta) {
  for (float beta : {1.0f, 0.5f, 0.0f}) {
    std::vector<float> mu = randn(12, 7), lv = randn(12, 8);
    std::vector<float> d_mu(12, 1.0f), d_lv(12, -1.0f);   // pre-existing gradient is kept
    vae::kl_loss(d_mu.data(), d_lv.data(), mu.data(), lv.data(), 12, beta);
    for (float& g : d_mu) g -= 1.0f;
    for (float& g : d_lv) g += 1.0f;
    auto loss = [&] { return beta * vae::kl_loss(nullptr, nullptr, mu.data(), lv.data(), 12, beta); };
    EXPECT_EQ(vae_test::check_gradient("kl d_mu", mu.data(), d_mu.data(), 12, loss).failed, 0u) << beta;
    EXPECT_EQ(vae_test::check_gradient("kl d_logvar", lv.data(), d_lv.data(), 12, loss).failed, 0u) << beta;
  }
}

TEST(LossSums, PerImageFigures) {
  vae::LossSums a{10.0, 4.0, 14.0, 2}, b{20.0, 2.0, 22.0, 3};
  a.add(b);
  EXPECT_EQ(a.images, 5u);
  EXPECT_DOUBLE_EQ(a.recon_per_image(), 6.0);
  EXPECT_DOUBLE_EQ(a.kl_per_image(), 1.2);
  EXPECT_DOUBLE_EQ(a.total_per_image(), 7.2);
}

}  // namespace

namespace {

TEST(SigmoidReconLoss, EqualsSigmoidThenLossBitForBit) {
  for (vae::Recon recon : {vae::Recon::mse, vae::Recon::bce}) {
    const std::vector<float> logits = randn(5000, 21, 4.0f), x = uniform01(5000, 22);
    std::vector<float> xhat_a(5000), d_a(5000), xhat_b(5000), d_b(5000);
    vae::sigmoid_forward(xhat_a.data(), logits.data(), 5000);
    const double la = recon == vae::Recon::mse ? vae::mse_loss(d_a.data(), xhat_a.data(), x.data(), 5000)
                                               : vae::bce_loss(d_a.data(), logits.data(), xhat_a.data(), x.data(), 5000);
    const double lb = vae::sigmoid_recon_loss(recon, xhat_b.data(), d_b.data(), logits.data(), x.data(), 5000);
    EXPECT_EQ(la, lb);
    EXPECT_EQ(xhat_a, xhat_b);
    EXPECT_EQ(d_a, d_b);
  }
}

}  // namespace

}  // namespace test_losses
