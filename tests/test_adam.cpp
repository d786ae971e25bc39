// test_adam.cpp - Adam against its defining formulas, computed independently in double.
#include "vae/adam.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace test_adam {

namespace {

TEST(Adam, FirstStepMovesEachParameterByLrTimesSign) {
  // After one step m^ = g and v^ = g^2, so the update is lr * g / (|g| + eps) ~= lr * sign(g).
  std::vector<float> p = {1.0f, -2.0f, 0.5f, 3.0f}, g = {0.3f, -4.0f, 1e-3f, 0.0f};
  std::vector<float> m(4), v(4);
  vae::adam_step(p.data(), g.data(), m.data(), v.data(), 4, vae::AdamConfig{}, 1);
  EXPECT_NEAR(p[0], 1.0f - 1e-3f, 1e-7);
  EXPECT_NEAR(p[1], -2.0f + 1e-3f, 1e-7);
  EXPECT_NEAR(p[2], 0.5f - 1e-3f * 1e-3f / (1e-3f + 1e-8f), 1e-7);
  EXPECT_EQ(p[3], 3.0f);   // zero gradient: no move
}

TEST(Adam, MatchesDoublePrecisionReferenceOverManySteps) {
  const vae::AdamConfig cfg{2e-3f, 0.8f, 0.99f, 1e-6f};
  const std::size_t n = 6;
  std::vector<float> p = {0.1f, -0.2f, 0.3f, 0.0f, 5.0f, -1.0f}, m(n), v(n);
  std::vector<double> pr(p.begin(), p.end()), mr(n), vr(n);
  for (std::int64_t t = 1; t <= 50; ++t) {
    std::vector<float> g(n);
    for (std::size_t i = 0; i < n; ++i) g[i] = static_cast<float>(std::sin(0.7 * t + i) * (i + 1));
    vae::adam_step(p.data(), g.data(), m.data(), v.data(), n, cfg, t);
    for (std::size_t i = 0; i < n; ++i) {
      const double gi = g[i];
      mr[i] = 0.8 * mr[i] + 0.2 * gi;
      vr[i] = 0.99 * vr[i] + 0.01 * gi * gi;
      const double mhat = mr[i] / (1.0 - std::pow(0.8, t)), vhat = vr[i] / (1.0 - std::pow(0.99, t));
      pr[i] -= 2e-3 * mhat / (std::sqrt(vhat) + 1e-6);
    }
  }
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(p[i], pr[i], 2e-6) << i;
}

TEST(Adam, StreamBoundMovesTheBytesAndChangesNothing) {
  // bench_train's bandwidth reference: with a zero mask every array keeps its bits.
  const std::size_t n = 100003;
  std::vector<float> p(n), g(n), m(n), v(n);
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = std::sin(0.1f * static_cast<float>(i));
    g[i] = -0.0f + static_cast<float>(i % 7) - 3.0f;
    m[i] = 1e-3f * static_cast<float>(i);
    v[i] = i % 11 == 0 ? -0.0f : 2e-6f * static_cast<float>(i);
  }
  const std::vector<float> p0(p), g0(g), m0(m), v0(v);
  vae::adam_stream_bound(p.data(), g.data(), m.data(), v.data(), n, 0u);
  EXPECT_EQ(0, std::memcmp(p.data(), p0.data(), n * 4));
  EXPECT_EQ(0, std::memcmp(g.data(), g0.data(), n * 4));
  EXPECT_EQ(0, std::memcmp(m.data(), m0.data(), n * 4));
  EXPECT_EQ(0, std::memcmp(v.data(), v0.data(), n * 4));
}

}  // namespace

}  // namespace test_adam
