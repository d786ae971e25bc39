// test_rng.cpp - the portable RNG and math of vae_rt: PCG32 reference outputs, exact uniform
// grids, Gaussian moments, and exp/log/sin/cos against libm.
#include "vae_rt/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "vae_rt/math.h"

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

TEST(Math, ExpWithinTwoUlpOfLibm) {
  for (float x = -103.0f; x < 88.7f; x += 0.0137f) {
    const double ref = std::exp(static_cast<double>(x));
    const float got = vae_rt::rt_expf(x);
    if (ref < 1.2e-38) {   // subnormal results: absolute accuracy of a subnormal ulp
      EXPECT_NEAR(got, ref, 3e-45) << x;
    } else {
      EXPECT_NEAR(got, ref, 2.5e-7 * ref) << x;
    }
  }
  EXPECT_EQ(vae_rt::rt_expf(0.0f), 1.0f);
  EXPECT_EQ(vae_rt::rt_expf(-200.0f), 0.0f);
  EXPECT_TRUE(std::isinf(vae_rt::rt_expf(100.0f)));
}

TEST(Math, LogWithinTwoUlpOfLibm) {
  for (float x = 1e-40f; x < 1e30f; x *= 1.0137f) {
    const double ref = std::log(static_cast<double>(x));
    EXPECT_NEAR(vae_rt::rt_logf(x), ref, 2.5e-7 * std::max(1.0, std::fabs(ref))) << x;
  }
  EXPECT_EQ(vae_rt::rt_logf(1.0f), 0.0f);
  EXPECT_TRUE(std::isinf(vae_rt::rt_logf(0.0f)));
}

TEST(Math, SinCosOfTurnsAgainstLibm) {
  for (int k = 0; k <= (1 << 16); ++k) {
    const float u = static_cast<float>(k) / 65536.0f;
    float s, c;
    vae_rt::rt_sincos_2pi(u, &s, &c);
    const double a = 2.0 * M_PI * static_cast<double>(u);
    EXPECT_NEAR(s, std::sin(a), 3e-7) << u;
    EXPECT_NEAR(c, std::cos(a), 3e-7) << u;
  }
}

}  // namespace

#include "vae_rt/crc32.h"

namespace {

TEST(Crc32, MatchesTheStandardCheckValue) {
  EXPECT_EQ(vae_rt::crc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(vae_rt::crc32("", 0), 0u);
  EXPECT_EQ(vae_rt::crc32_update(vae_rt::crc32("1234", 4), "56789", 5), 0xCBF43926u);
  EXPECT_EQ(vae_rt::crc32("The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
}

}  // namespace
