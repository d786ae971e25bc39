// test_gmm.cpp - EM for the diagonal Gaussian mixture: the log-likelihood never decreases,
// known clusters are recovered, fits repeat exactly, samples follow the fit; the prior in a
// weight file (with_prior / prior_from_weights) round trips and survives the device exports.
#include "vae/gmm.hpp"

#include <gtest/gtest.h>
#include <xtensor/xtensor.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "vae_rt/rng.h"

namespace test_gmm {

namespace {

// N points (N, 2) from three 2-D clusters with known means and scales, interleaved.
xt::xtensor<float, 2> three_clusters(std::size_t N) {
  const float mu[3][2] = {{-4.0f, 0.0f}, {3.0f, 3.0f}, {3.0f, -3.0f}};
  const float sd[3] = {0.5f, 1.0f, 0.3f};
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 9, 0);
  auto x = xt::xtensor<float, 2>::from_shape({N, 2});
  for (std::size_t n = 0; n < N; ++n) {
    const std::size_t k = n % 3;
    float e[2];
    vae_rt::rng_fill_normal(&r, e, 2);
    x(n, 0) = mu[k][0] + sd[k] * e[0];
    x(n, 1) = mu[k][1] + sd[k] * e[1];
  }
  return x;
}

TEST(Gmm, LogLikelihoodNeverDecreases) {
  const xt::xtensor<float, 2> x = three_clusters(3000);
  for (std::size_t K : {1u, 3u, 5u, 10u}) {
    const vae::GmmFit f = vae::fit_gmm(x, K, 60);
    ASSERT_EQ(f.loglik.size(), 61u);
    for (std::size_t i = 1; i < f.loglik.size(); ++i) {
      EXPECT_GE(f.loglik[i], f.loglik[i - 1] - 1e-9 * std::fabs(f.loglik[i - 1])) << "K " << K << " iteration " << i;
    }
    EXPECT_NEAR(vae::gmm_log_likelihood(f.gmm, x), f.loglik.back(), 1e-5);
  }
}

// The progress callback sees every log-likelihood the fit records, in order, and changes nothing.
TEST(Gmm, ProgressReportsEachIteration) {
  const xt::xtensor<float, 2> x = three_clusters(600);
  std::vector<int> done;
  std::vector<double> ll;
  const vae::GmmFit f = vae::fit_gmm(x, 3, 7, 1e-4, [&](int d, int iters, double l) {
    EXPECT_EQ(iters, 7);
    done.push_back(d);
    ll.push_back(l);
  });
  ASSERT_EQ(done.size(), 8u);
  for (int i = 0; i <= 7; ++i) EXPECT_EQ(done[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(ll, f.loglik);
  const vae::GmmFit plain = vae::fit_gmm(x, 3, 7);
  EXPECT_EQ(plain.loglik, f.loglik);
  EXPECT_EQ(plain.gmm.mu, f.gmm.mu);
}

TEST(Gmm, RecoversKnownClustersAndRepeatsExactly) {
  const xt::xtensor<float, 2> x = three_clusters(3000);
  const vae::GmmFit f = vae::fit_gmm(x, 3, 100);
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
  const vae::GmmFit g = vae::fit_gmm(x, 3, 100);
  EXPECT_EQ(f.gmm.mu, g.gmm.mu);
  EXPECT_EQ(f.gmm.logvar, g.gmm.logvar);
}

TEST(Gmm, SamplesFollowTheFit) {
  const xt::xtensor<float, 2> x = three_clusters(3000);
  const vae::GmmFit f = vae::fit_gmm(x, 3, 100);
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 1, 0);
  const xt::xtensor<float, 2> z = vae::gmm_sample(f.gmm, r, 20000);   // (20000, 2)
  double m0 = 0, m1 = 0, d0 = 0, d1 = 0;
  for (std::size_t n = 0; n < 3000; ++n) { d0 += x(n, 0); d1 += x(n, 1); }
  for (std::size_t n = 0; n < 20000; ++n) { m0 += z(n, 0); m1 += z(n, 1); }
  EXPECT_NEAR(m0 / 20000, d0 / 3000, 0.1);
  EXPECT_NEAR(m1 / 20000, d1 / 3000, 0.1);
  // The samples are as likely under the fit as the data are.
  EXPECT_NEAR(vae::gmm_log_likelihood(f.gmm, z), f.loglik.back(), 0.05);
}

TEST(Gmm, PriorRoundTripsThroughAWeightFileAndItsExports) {
  // A small full model's file plus a fitted mixture.
  vae::WeightsFile wf;
  wf.flags = vae_rt::format::flag_encoder;
  wf.dim_x = 16;
  wf.dim_h = 8;
  wf.dim_z = 2;
  wf.note = "round trip";
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 4, 0);
  auto add = [&](const char* name, std::uint32_t rows, std::uint32_t cols) {
    std::vector<float> v(rows * (cols ? cols : 1));
    for (float& x : v) x = vae_rt::rng_uniform(&r, -1.0f, 1.0f);
    wf.tensors.push_back(vae::float_tensor(name, rows, cols, v.data()));
  };
  add("enc_fc_w", 8, 16); add("enc_fc_b", 8, 0); add("enc_mu_w", 2, 8); add("enc_mu_b", 2, 0);
  add("enc_logvar_w", 2, 8); add("enc_logvar_b", 2, 0);
  add("dec_fc_w", 8, 2); add("dec_fc_b", 8, 0); add("dec_out_w", 16, 8); add("dec_out_b", 16, 0);
  EXPECT_EQ(vae::prior_from_weights(wf, "plain.vaew").K, 0u);

  const xt::xtensor<float, 2> x = three_clusters(600);
  const vae::Gmm g = vae::fit_gmm(x, 3, 20).gmm;
  const vae::WeightsFile with = vae::with_prior(wf, g);
  const std::vector<std::uint8_t> bytes = vae::serialize_weights(with);
  const vae::WeightsFile back = vae::parse_weights(bytes.data(), bytes.size(), "with.vaew");
  EXPECT_TRUE(back.flags & vae_rt::format::flag_mixture_prior);
  EXPECT_EQ(back.note, wf.note);
  ASSERT_EQ(back.tensors.size(), wf.tensors.size() + 3);
  for (std::size_t i = 0; i < wf.tensors.size(); ++i) {   // the model's tensors, bit for bit
    EXPECT_EQ(back.tensors[i].name, wf.tensors[i].name);
    EXPECT_EQ(back.tensors[i].data, wf.tensors[i].data) << wf.tensors[i].name;
  }
  const vae_rt::format::Dtype f32 = vae_rt::format::Dtype::float32;
  const vae::WeightTensor* mu = back.find("prior_mu");
  ASSERT_NE(mu, nullptr);
  EXPECT_EQ(mu->dtype, f32);
  EXPECT_EQ(mu->rank, 2u);
  EXPECT_EQ(mu->dim0, 3u);
  EXPECT_EQ(mu->dim1, 2u);
  ASSERT_NE(back.find("prior_logits"), nullptr);
  EXPECT_EQ(back.find("prior_logits")->rank, 1u);
  EXPECT_EQ(back.find("prior_logits")->dim0, 3u);
  const vae::Gmm h = vae::prior_from_weights(back, "with.vaew");
  EXPECT_EQ(h.K, 3u);
  EXPECT_EQ(h.Z, 2u);
  EXPECT_EQ(h.logits, g.logits);
  EXPECT_EQ(h.mu, g.mu);
  EXPECT_EQ(h.logvar, g.logvar);

  // A second prior replaces the first; the rest stays.
  vae::Gmm g2 = vae::fit_gmm(x, 2, 20).gmm;
  const vae::WeightsFile twice = vae::with_prior(with, g2);
  EXPECT_EQ(twice.tensors.size(), wf.tensors.size() + 3);
  EXPECT_EQ(vae::prior_from_weights(twice, "twice.vaew").mu, g2.mu);

  // Decoder-only and int8 exports keep the prior, in float32, bit for bit.
  const vae::WeightsFile dev = vae::quantize_int8(vae::decoder_only(back));
  const std::vector<std::uint8_t> dbytes = vae::serialize_weights(dev);
  const vae::WeightsFile dback = vae::parse_weights(dbytes.data(), dbytes.size(), "d8.vaew");
  EXPECT_FALSE(dback.has_encoder());
  EXPECT_EQ(dback.find("dec_out_w")->dtype, vae_rt::format::Dtype::int8);
  EXPECT_EQ(dback.weights_dtype(), "int8");   // the prior's float32 (K, Z) tensors are not layers
  EXPECT_TRUE(dback.flags & vae_rt::format::flag_mixture_prior);
  for (const char* name : {"prior_logits", "prior_mu", "prior_logvar"}) {
    ASSERT_NE(dback.find(name), nullptr) << name;
    EXPECT_EQ(dback.find(name)->dtype, f32) << name;
    EXPECT_EQ(dback.find(name)->data, back.find(name)->data) << name;
  }
  EXPECT_EQ(vae::prior_from_weights(dback, "d8.vaew").logvar, g.logvar);

  // A malformed prior is an error naming the file.
  vae::WeightsFile bad = with;
  bad.flags &= ~static_cast<std::uint32_t>(vae_rt::format::flag_mixture_prior);
  try {
    vae::prior_from_weights(bad, "bad.vaew");
    ADD_FAILURE() << "no error";
  } catch (const vae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.vaew: "), std::string::npos) << e.what();
  }
  vae::Gmm wrong = g;
  wrong.Z = 3;
  EXPECT_THROW(vae::with_prior(wf, wrong), vae::Error);
}

}  // namespace

}  // namespace test_gmm
