// test_rng.cpp - vae_rt's RNG: PCG32 reference outputs, ranges, Gaussian moments, streams.
#include "vae_rt/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace test_rng {

namespace {

TEST(Rng, Pcg32MatchesTheReferenceImplementation) {
  // pcg32-demo from the PCG reference C implementation: seed 42, stream 54.
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 42u, 54u);
  const std::uint32_t expected[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                                     0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
  for (std::uint32_t e : expected) EXPECT_EQ(vae_rt::rng_u32(&r), e);
}

TEST(Rng, UniformAndBelowStayInRange) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 1);
  std::vector<int> hist(7);
  for (int i = 0; i < 70000; ++i) {
    const float u = vae_rt::rng_uniform(&r);
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    ++hist[vae_rt::rng_below(&r, 7)];
  }
  for (int h : hist) EXPECT_NEAR(h, 10000, 400);   // ~4 sigma
}

TEST(Rng, NormalDrawsHaveStandardMoments) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 2024);
  const std::size_t n = 400001;   // odd: the last pair's second value is dropped
  std::vector<float> z(n);
  vae_rt::rng_fill_normal(&r, z.data(), n);
  double m1 = 0, m2 = 0, m4 = 0;
  std::size_t beyond3 = 0;
  for (float v : z) {
    ASSERT_TRUE(std::isfinite(v));
    m1 += v;
    m2 += static_cast<double>(v) * v;
    m4 += std::pow(static_cast<double>(v), 4);
    beyond3 += std::fabs(v) > 3.0f;
  }
  m1 /= n; m2 /= n; m4 /= n;
  EXPECT_NEAR(m1, 0.0, 0.01);
  EXPECT_NEAR(m2, 1.0, 0.01);
  EXPECT_NEAR(m4, 3.0, 0.06);
  EXPECT_NEAR(static_cast<double>(beyond3) / n, 0.0027, 0.0005);
}

TEST(Rng, SameSeedSameDrawsDifferentStreamDifferentDraws) {
  vae_rt::Rng a, b, c;
  vae_rt::rng_seed(&a, 5, 0);
  vae_rt::rng_seed(&b, 5, 0);
  vae_rt::rng_seed(&c, 5, 1);
  std::vector<float> za(64), zb(64), zc(64);
  vae_rt::rng_fill_normal(&a, za.data(), 64);
  vae_rt::rng_fill_normal(&b, zb.data(), 64);
  vae_rt::rng_fill_normal(&c, zc.data(), 64);
  EXPECT_EQ(za, zb);
  EXPECT_NE(za, zc);
}

}  // namespace

}  // namespace test_rng
