// test_rt_rng.cpp - the RNG streams (vae_rt/rng.h: PCG32, uniforms, rng_below) and the Gaussian
// (Box-Muller on the runtime's own math), on the host and on the target: the same seed must give
// the host's bits.
#include "tables.h"
#include "vae_rt/math.h"
#include "vae_rt/rng.h"
#include "vtest.h"

TEST(RtRng, Pcg32ReferenceStream) {
  // PCG32's demo (pcg32-demo.c, seed 42, stream 54): these first outputs are the paper's.
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 42, 54);
  const uint32_t paper[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u, 0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(vae_rt::rng_u32(&r), paper[i]);
  vae_rt::rng_seed(&r, 42, 54);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(vae_rt::rng_u32(&r), tt_rng_u32[i]);
}

TEST(RtRng, StreamsDiffer) {
  vae_rt::Rng a, b;
  vae_rt::rng_seed(&a, 1, 0);
  vae_rt::rng_seed(&b, 1, 1);
  int same = 0;
  for (int i = 0; i < 64; ++i) same += vae_rt::rng_u32(&a) == vae_rt::rng_u32(&b);
  EXPECT_LT(same, 2);
  EXPECT_EQ(b.inc, 3u);
}

TEST(RtRng, UniformsOnTheGridAndBelow) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 3, 0);
  for (int i = 0; i < 1000; ++i) {
    const float u = vae_rt::rng_uniform(&r);
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    const float scaled = u * 16777216.0f;
    ASSERT_EQ(scaled, static_cast<float>(static_cast<uint32_t>(scaled)));   // on the 2^-24 grid
  }
  vae_rt::rng_seed(&r, 9, 0);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(vae_rt::rng_below(&r, 10), tt_rng_below10[i]);
}

TEST(RtRng, GaussianBitsMatchTheHost) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 7, 3);
  float n[17];
  vae_rt::rng_fill_normal(&r, n, 17);
  for (int i = 0; i < 17; ++i) EXPECT_EQ(vae_rt::float_bits(n[i]), tt_rng_normal_bits[i]);
  // An odd count takes ceil(n / 2) pairs: 9 pairs = 18 u32 draws.
  vae_rt::Rng by_hand;
  vae_rt::rng_seed(&by_hand, 7, 3);
  for (int i = 0; i < 18; ++i) vae_rt::rng_u32(&by_hand);
  EXPECT_EQ(r.state, by_hand.state);
}

TEST(RtRng, GaussianMoments) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, 12345, 0);
  double sum = 0, sum2 = 0;
  const int n = 4000;
  float buf[40];
  for (int i = 0; i < n; i += 40) {
    vae_rt::rng_fill_normal(&r, buf, 40);
    for (float v : buf) {
      sum += v;
      sum2 += static_cast<double>(v) * v;
    }
  }
  const double mean = sum / n, var = sum2 / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.06);   // 4 standard errors of the mean
  EXPECT_NEAR(var, 1.0, 0.09);    // 4 standard errors of the variance
}
