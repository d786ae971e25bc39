// test_math.cpp - vae_rt's portable exp, log and sin/cos against libm in double precision.
#include "vae_rt/math.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

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

TEST(Math, SpecialValues) {
  const float inf = INFINITY;
  EXPECT_TRUE(std::isnan(vae_rt::rt_expf(NAN)));
  EXPECT_EQ(vae_rt::rt_expf(inf), inf);
  EXPECT_EQ(vae_rt::rt_expf(-inf), 0.0f);
  EXPECT_TRUE(std::isnan(vae_rt::rt_logf(-1.0f)));
  EXPECT_TRUE(std::isnan(vae_rt::rt_logf(NAN)));
  EXPECT_EQ(vae_rt::rt_logf(inf), inf);
  EXPECT_EQ(vae_rt::rt_sigmoidf(-inf), 0.0f);
  EXPECT_EQ(vae_rt::rt_sigmoidf(inf), 1.0f);
}

}  // namespace
