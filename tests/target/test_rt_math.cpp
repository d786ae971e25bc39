// test_rt_math.cpp - rt_expf, rt_logf, rt_sincos_2pi and rt_sqrtf (vae_rt/math.h) against the
// host: the same bits as the host's runtime (the cross-platform promise), and within the stated
// accuracy of the host libm's double-precision values (tables.h), on the host and on the target.
#include "tables.h"
#include "vae_rt/math.h"
#include "vtest.h"

namespace {
// |got - want| in units of the float spacing at want (want normal and nonzero).
double ulps(float got, double want) {
  const float w = static_cast<float>(want);
  const uint32_t b = vae_rt::float_bits(w) & 0x7f800000u;
  const double ulp = static_cast<double>(vae_rt::bits_float(b)) / 8388608.0;   // 2^-23 * 2^e
  const double d = static_cast<double>(got) - want;
  return (d < 0 ? -d : d) / ulp;
}
}  // namespace

TEST(RtMath, ExpMatchesHostAndLibm) {
  for (size_t i = 0; i < tt_nmath; ++i) {
    const float y = vae_rt::rt_expf(tt_exp_x[i]);
    EXPECT_EQ(vae_rt::float_bits(y), tt_exp_bits[i]);
    EXPECT_LE(ulps(y, tt_exp_libm[i]), 2.0);
  }
  EXPECT_EQ(vae_rt::rt_expf(0.0f), 1.0f);
  EXPECT_EQ(vae_rt::float_bits(vae_rt::rt_expf(100.0f)), 0x7f800000u);
  EXPECT_EQ(vae_rt::rt_expf(-200.0f), 0.0f);
}

TEST(RtMath, LogMatchesHostAndLibm) {
  for (size_t i = 0; i < tt_nmath; ++i) {
    const float y = vae_rt::rt_logf(tt_log_x[i]);
    EXPECT_EQ(vae_rt::float_bits(y), tt_log_bits[i]);
    if (tt_log_libm[i] != 0.0) {
      EXPECT_LE(ulps(y, tt_log_libm[i]), 2.0);
    }
  }
  EXPECT_EQ(vae_rt::rt_logf(1.0f), 0.0f);
  EXPECT_EQ(vae_rt::float_bits(vae_rt::rt_logf(0.0f)), 0xff800000u);
  EXPECT_TRUE(vae_rt::rt_logf(-1.0f) != vae_rt::rt_logf(-1.0f));   // NaN
}

TEST(RtMath, SinCosMatchHostAndLibm) {
  for (size_t i = 0; i < tt_nmath; ++i) {
    float s, c;
    vae_rt::rt_sincos_2pi(tt_sincos_u[i], &s, &c);
    EXPECT_EQ(vae_rt::float_bits(s), tt_sin_bits[i]);
    EXPECT_EQ(vae_rt::float_bits(c), tt_cos_bits[i]);
    EXPECT_NEAR(s, tt_sin_libm[i], 2e-7);
    EXPECT_NEAR(c, tt_cos_libm[i], 2e-7);
  }
}

TEST(RtMath, SqrtIsCorrectlyRounded) {
  for (size_t i = 0; i < tt_nmath; ++i) {
    EXPECT_EQ(vae_rt::float_bits(vae_rt::rt_sqrtf(tt_sqrt_x[i])), tt_sqrt_bits[i]);
    // Both paths (the hardware's where there is one, the integer one) give the IEEE result.
    EXPECT_EQ(vae_rt::float_bits(vae_rt::rt_sqrtf_soft(tt_sqrt_x[i])), tt_sqrt_bits[i]);
  }
  EXPECT_EQ(vae_rt::rt_sqrtf(4.0f), 2.0f);
  EXPECT_EQ(vae_rt::rt_sqrtf(0.0f), 0.0f);
}
