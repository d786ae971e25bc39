// test_math.cpp - vae_rt's portable exp, log and sin/cos against libm in double precision.
#include "vae_rt/math.h"

#include <gtest/gtest.h>

#include <cmath>

namespace test_math {

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



// rt_sqrtf_soft against the correctly rounded sqrt of double precision (a double's sqrt of a
// float, rounded to float, is the correctly rounded float sqrt: 53 >= 2 * 24 + 2 bits), on every
// 251st bit pattern of the positive floats (subnormals, normals, the boundaries between binades
// of even and odd exponents) plus hand-picked edges; and rt_sqrtf (the hardware path on this
// host) on the same values.
uint32_t bits_of(float x) { return vae_rt::float_bits(x); }

TEST(Math, SoftSqrtIsCorrectlyRounded) {
  std::size_t checked = 0;
  auto check = [&](float x) {
    const float ref = static_cast<float>(std::sqrt(static_cast<double>(x)));
    ASSERT_EQ(bits_of(vae_rt::rt_sqrtf_soft(x)), bits_of(ref)) << x << " bits " << bits_of(x);
    ASSERT_EQ(bits_of(vae_rt::rt_sqrtf(x)), bits_of(ref)) << x;
    ++checked;
  };
  for (uint64_t u = 1; u < 0x7f800000u; u += 509) check(vae_rt::bits_float(static_cast<uint32_t>(u)));
  for (uint32_t u : {0x00000001u, 0x00000002u, 0x00000003u, 0x007fffffu, 0x00800000u, 0x00800001u,
                     0x3f7fffffu, 0x3f800000u, 0x3f800001u, 0x3fffffffu, 0x40000000u, 0x407fffffu,
                     0x40800000u, 0x7f7fffffu}) {
    check(vae_rt::bits_float(u));
  }
  for (int k = 1; k <= 4096; ++k) check(static_cast<float>(k) * static_cast<float>(k));  // exact
  EXPECT_GT(checked, 4000000u);
}

TEST(Math, SqrtSpecialValues) {
  for (float (*f)(float) : {&vae_rt::rt_sqrtf_soft, &vae_rt::rt_sqrtf}) {
    EXPECT_EQ(bits_of(f(0.0f)), 0u);
    EXPECT_EQ(bits_of(f(-0.0f)), 0x80000000u);
    EXPECT_TRUE(std::isinf(f(INFINITY)));
    EXPECT_TRUE(std::isnan(f(-1.0f)));
    EXPECT_TRUE(std::isnan(f(-INFINITY)));
    EXPECT_TRUE(std::isnan(f(NAN)));
    EXPECT_EQ(f(4.0f), 2.0f);
  }
}

}  // namespace

}  // namespace test_math
