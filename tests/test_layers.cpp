// test_layers.cpp - Dense, ReLU, sigmoid and the reparameterization against naive loops and
// finite differences (see gradcheck.hpp for the tolerance argument).
#include "vae/layers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "gradcheck.hpp"
#include "vae/blas.hpp"
#include "vae/losses.hpp"
#include "vae_rt/rng.h"

namespace test_layers {

namespace {

std::vector<float> randn(std::size_t n, std::uint64_t seed, float scale = 1.0f) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, seed, 7);
  std::vector<float> v(n);
  vae_rt::rng_fill_normal(&r, v.data(), n);
  for (float& x : v) x *= scale;
  return v;
}

// A scalar probe of a layer's output: L = sum_i probe_i * y_i. dL/dy = probe.
double probe_dot(const std::vector<float>& probe, const float* y) {
  double s = 0.0;
  for (std::size_t i = 0; i < probe.size(); ++i) s += static_cast<double>(probe[i]) * y[i];
  return s;
}

constexpr std::size_t kIn = 7, kOut = 5, kB = 4;

struct DenseFixture : ::testing::Test {
  vae::Dense<kIn, kOut> layer;
  std::vector<float> params = randn(decltype(layer)::num_params, 1, 0.5f);
  std::vector<float> grads = std::vector<float>(decltype(layer)::num_params);
  std::vector<float> x = randn(kB * kIn, 2);
  std::vector<float> y = std::vector<float>(kB * kOut);
  // Shaped handles over the vectors above: (B, In), (B, Out).
  vae::Rows<kIn> xr{x.data(), kB};
  vae::Rows<kOut> yr{y.data(), kB};
  void SetUp() override {
    float* p = params.data();
    float* g = grads.data();
    layer.bind("t", p, g);
  }
};

TEST_F(DenseFixture, ForwardMatchesNaiveLoop) {
  layer.forward(yr, xr, kB);
  for (std::size_t i = 0; i < kB; ++i) {
    for (std::size_t o = 0; o < kOut; ++o) {
      double ref = layer.b[o];
      for (std::size_t k = 0; k < kIn; ++k) ref += static_cast<double>(x[i * kIn + k]) * layer.w[o * kIn + k];
      EXPECT_NEAR(y[i * kOut + o], ref, 1e-5) << "row " << i << " col " << o;
    }
  }
}

TEST_F(DenseFixture, BackwardMatchesFiniteDifferences) {
  const std::vector<float> probe = randn(kB * kOut, 3);
  std::vector<float> dx(kB * kIn);
  std::vector<float> probe_copy(probe);
  const vae::Rows<kOut> dy(probe_copy.data(), kB);
  layer.forward(yr, xr, kB);
  layer.backward(vae::Rows<kIn>(dx.data(), kB), dy, xr, kB);
  auto loss = [&] {
    std::vector<float> yy(kB * kOut);
    layer.forward(vae::Rows<kOut>(yy.data(), kB), xr, kB);
    return probe_dot(probe, yy.data());
  };
  const std::vector<float> dw(layer.dw.data(), layer.dw.data() + kIn * kOut), db(layer.db.data(), layer.db.data() + kOut);
  // Dense is linear in each argument: the central difference is exact up to rounding.
  EXPECT_EQ(vae_test::check_gradient("dW", layer.w.data(), dw.data(), dw.size(), loss).failed, 0u);
  EXPECT_EQ(vae_test::check_gradient("db", layer.b.data(), db.data(), db.size(), loss).failed, 0u);
  EXPECT_EQ(vae_test::check_gradient("dx", x.data(), dx.data(), dx.size(), loss).failed, 0u);
}

TEST_F(DenseFixture, BackwardAssignsParameterGradients) {
  // Two backward calls give the same gradient: gradients are assigned, not accumulated.
  std::vector<float> probe = randn(kB * kOut, 4);
  const vae::Rows<kOut> dy(probe.data(), kB);
  layer.backward(dy, xr, kB);
  const std::vector<float> first(grads);
  layer.backward(dy, xr, kB);
  EXPECT_EQ(first, grads);
}

TEST_F(DenseFixture, BackwardAccumulateAddsTheInputGradient) {
  // Grad::accumulate adds dy W into dx (beta = 1); Grad::assign overwrites it.
  std::vector<float> probe = randn(kB * kOut, 5);
  const vae::Rows<kOut> dy(probe.data(), kB);
  std::vector<float> assigned(kB * kIn, 123.0f), acc(kB * kIn);
  const std::vector<float> base = randn(kB * kIn, 6);
  acc = base;
  using Grad = decltype(layer)::Grad;
  layer.backward(vae::Rows<kIn>(assigned.data(), kB), dy, xr, kB, Grad::assign);
  layer.backward(vae::Rows<kIn>(acc.data(), kB), dy, xr, kB, Grad::accumulate);
  for (std::size_t i = 0; i < kB * kIn; ++i) {
    double ref = 0.0;
    const std::size_t r = i / kIn, c = i % kIn;
    for (std::size_t o = 0; o < kOut; ++o) ref += static_cast<double>(probe[r * kOut + o]) * layer.w(o, c);
    EXPECT_NEAR(assigned[i], ref, 1e-5) << i;
    EXPECT_NEAR(acc[i], base[i] + ref, 1e-5) << i;
  }
}

TEST(Relu, ForwardAndBackward) {
  std::vector<float> v = {-2.0f, -0.0f, 0.0f, 0.5f, 3.0f};
  vae::relu_forward(v.data(), v.size());
  EXPECT_EQ(v, (std::vector<float>{0.0f, 0.0f, 0.0f, 0.5f, 3.0f}));
  const std::vector<float> dy = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
  std::vector<float> dx(5);
  vae::relu_backward(dx.data(), dy.data(), v.data(), 5);
  EXPECT_EQ(dx, (std::vector<float>{0.0f, 0.0f, 0.0f, 4.0f, 5.0f}));
}

TEST(Sigmoid, AnalyticValuesAndSaturation) {
  const std::vector<float> x = {0.0f, 1.0f, -1.0f, 20.0f, -20.0f, 100.0f, -100.0f, -1000.0f};
  std::vector<float> y(x.size());
  vae::sigmoid_forward(y.data(), x.data(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ref = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    EXPECT_NEAR(y[i], ref, 2e-7 * std::max(1.0, ref)) << "x = " << x[i];
    EXPECT_TRUE(std::isfinite(y[i]));
  }
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_EQ(y[7], 0.0f);
}

TEST(Sigmoid, BackwardMatchesFiniteDifferences) {
  std::vector<float> x = randn(20, 5, 3.0f);
  const std::vector<float> probe = randn(20, 6);
  std::vector<float> y(20), dx(20);
  vae::sigmoid_forward(y.data(), x.data(), 20);
  vae::sigmoid_backward(dx.data(), probe.data(), y.data(), 20);
  auto loss = [&] {
    std::vector<float> yy(20);
    vae::sigmoid_forward(yy.data(), x.data(), 20);
    return probe_dot(probe, yy.data());
  };
  EXPECT_EQ(vae_test::check_gradient("sigmoid dx", x.data(), dx.data(), 20, loss, 1e-2f, 5e-4, 1e-2).failed, 0u);
}

TEST(Reparam, ForwardIsMuPlusEpsSigma) {
  const std::vector<float> mu = {0.5f, -1.0f, 2.0f}, logvar = {0.0f, std::log(4.0f), -2.0f},
                           eps = {1.0f, 0.5f, -1.5f};
  std::vector<float> z(3);
  vae::reparam_forward(z.data(), mu.data(), logvar.data(), eps.data(), 3);
  EXPECT_NEAR(z[0], 1.5f, 1e-6);
  EXPECT_NEAR(z[1], 0.0f, 1e-6);   // -1 + 0.5 * 2
  EXPECT_NEAR(z[2], 2.0f - 1.5f * std::exp(-1.0f), 1e-6);
}

TEST(Reparam, BackwardMatchesFiniteDifferences) {
  std::vector<float> mu = randn(12, 8), logvar = randn(12, 9), eps = randn(12, 10);
  const std::vector<float> probe = randn(12, 11);
  std::vector<float> d_mu(12), d_logvar(12);
  vae::reparam_backward(d_mu.data(), d_logvar.data(), probe.data(), logvar.data(), eps.data(), 12);
  auto loss = [&] {
    std::vector<float> z(12);
    vae::reparam_forward(z.data(), mu.data(), logvar.data(), eps.data(), 12);
    return probe_dot(probe, z.data());
  };
  EXPECT_EQ(vae_test::check_gradient("d_mu", mu.data(), d_mu.data(), 12, loss).failed, 0u);
  EXPECT_EQ(vae_test::check_gradient("d_logvar", logvar.data(), d_logvar.data(), 12, loss).failed, 0u);
}

// --- issue 19: the passes fused into the products' pool tasks give the bits of separate passes ---
// At the step's shapes (784-400-20, batch 128 and a partial 37), a wide-batch shape whose input
// gradient is split by rows (B > In: the column sums cannot be fused there) and one whose dW is
// split by columns with an empty part at 4 threads, at 1 to 4 threads: every result is compared
// with memcmp against the unfused passes of before (bias_rows, products without hooks,
// relu_forward, relu_backward, bias_grad).
//
// The reference products carry an epilogue that does nothing (`same_split`), so that sgemm splits
// them as it splits the fused ones: sgemm splits a small product only when it has an epilogue to
// share out (vae/blas.hpp), and some kernels give other last bits for the same element when the
// call's shape changes (OpenBLAS 0.3.21's Haswell kernels, N = 208 against N = 400), so a
// different split alone would tell the two apart.
template <std::size_t In, std::size_t Out>
void check_fused_dense(std::size_t B, int threads) {
  const vae::BlockHook same_split{[](const void*, const vae::GemmBlock&) {}, nullptr};
  vae::set_blas_threads(threads);
  vae::Dense<In, Out> layer;
  std::vector<float> params = randn(vae::Dense<In, Out>::num_params, 31, 0.1f);
  std::vector<float> grads(params.size());
  {
    float* p = params.data();
    float* g = grads.data();
    layer.bind("f", p, g);
  }
  const std::vector<float> x = randn(B * In, 32), dy0 = randn(B * Out, 33);
  std::vector<float> y1(B * Out), y2(B * Out);
  const vae::Rows<In> xr(const_cast<float*>(x.data()), B);
  const vae::Rows<Out> y2r(y2.data(), B);
  layer.forward(vae::Rows<Out>(y1.data(), B), xr, B, vae::Act::relu);
  vae::bias_rows(y2.data(), layer.b.data(), B, Out);
  vae::matmul_xwt(y2r, xr, layer.w, B, 1.0f, {}, same_split);
  vae::relu_forward(y2.data(), B * Out);
  EXPECT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * 4)) << "forward + ReLU, B=" << B << " threads " << threads;

  // Backward through a ReLU at the input: x_relu stands for relu(pre) (half its values zero).
  std::vector<float> x_relu(x);
  vae::relu_forward(x_relu.data(), x_relu.size());
  const vae::Rows<In> xrr(x_relu.data(), B);
  const vae::Rows<Out> dy(const_cast<float*>(dy0.data()), B);
  std::vector<float> dx1 = randn(B * In, 34), dx2 = dx1, prev_db1(In, 7.0f), prev_db2(In);
  std::vector<float> ref_dw(Out * In), ref_db(Out);
  using Grad = typename vae::Dense<In, Out>::Grad;
  for (const Grad mode : {Grad::assign, Grad::accumulate}) {
    std::fill(grads.begin(), grads.end(), -1.0f);
    layer.weight_grad(dy, xrr, B);
    layer.input_grad_relu(vae::Rows<In>(dx1.data(), B), dy, xrr, prev_db1.data(), B, mode);
    vae::matmul_dytx(vae::Mat<Out, In>(ref_dw.data()), dy, xrr, B, 0.0f, {}, same_split);
    vae::bias_grad(ref_db.data(), dy0.data(), B, Out);
    vae::matmul_dyw(vae::Rows<In>(dx2.data(), B), dy, layer.w, B, mode == Grad::accumulate ? 1.0f : 0.0f, {},
                    same_split);
    vae::relu_backward(dx2.data(), dx2.data(), x_relu.data(), B * In);
    vae::bias_grad(prev_db2.data(), dx2.data(), B, In);
    EXPECT_EQ(0, std::memcmp(layer.dw.data(), ref_dw.data(), ref_dw.size() * 4)) << "dW, B=" << B << " threads " << threads;
    EXPECT_EQ(0, std::memcmp(layer.db.data(), ref_db.data(), ref_db.size() * 4)) << "db, B=" << B << " threads " << threads;
    EXPECT_EQ(0, std::memcmp(dx1.data(), dx2.data(), dx1.size() * 4)) << "dx * relu', B=" << B;
    EXPECT_EQ(prev_db1, prev_db2) << "previous layer's db, B=" << B << " threads " << threads;
  }
  vae::set_blas_threads(1);
}

TEST(FusedPasses, DenseForwardAndBackwardEqualTheSeparatePassesBitForBit) {
  for (int threads : {1, 2, 3, 4}) {
    check_fused_dense<784, 400>(128, threads);   // enc_fc: products split by columns
    check_fused_dense<400, 784>(128, threads);   // dec_out: dW split by rows
    check_fused_dense<400, 784>(37, threads);    // a partial batch
    check_fused_dense<400, 20>(128, threads);    // a head: small products, the epilogue splits them
    check_fused_dense<20, 400>(128, threads);    // dec_fc
    check_fused_dense<16, 40>(300, threads);     // dx split by rows (B > In): db as its own pass
    check_fused_dense<80, 80>(320, threads);     // dW split by columns; at 4 threads a part is empty
  }
}

TEST(FusedPasses, SgemmHooksSeeEachBlockOnceAroundItsProduct) {
  for (int threads : {1, 2, 3}) {
    vae::set_blas_threads(threads);
    constexpr std::size_t M = 128, N = 400, K = 784;
    const std::vector<float> A = randn(M * K, 41), Bm = randn(N * K, 42), bias = randn(N, 43);
    std::vector<float> C(M * N, 5.0f), ref(M * N);
    std::vector<int> before(M * N), after(M * N);
    struct Ctx { std::vector<int>* hits; const float* bias; bool check_bias; };
    const Ctx pre{&before, bias.data(), false}, post{&after, bias.data(), true};
    auto visit = [](const void* c, const vae::GemmBlock& blk) {
      const Ctx* ctx = static_cast<const Ctx*>(c);
      for (std::size_t i = blk.r0; i < blk.r1; ++i) {
        for (std::size_t j = blk.c0; j < blk.c1; ++j) {
          ++(*ctx->hits)[i * blk.ldc + j];
          if (!ctx->check_bias) blk.c[i * blk.ldc + j] = ctx->bias[j];   // prologue: bias
        }
      }
    };
    vae::sgemm(vae::Trans::no, vae::Trans::yes, M, N, K, 1.0f, A.data(), K, Bm.data(), K, 1.0f, C.data(), N,
               vae::BlockHook{visit, &pre}, vae::BlockHook{visit, &post});
    for (std::size_t i = 0; i < M; ++i) std::copy(bias.begin(), bias.end(), ref.begin() + static_cast<std::ptrdiff_t>(i * N));
    vae::sgemm(vae::Trans::no, vae::Trans::yes, M, N, K, 1.0f, A.data(), K, Bm.data(), K, 1.0f, ref.data(), N);
    EXPECT_EQ(0, std::memcmp(C.data(), ref.data(), C.size() * 4)) << threads << " threads";
    EXPECT_TRUE(std::all_of(before.begin(), before.end(), [](int h) { return h == 1; }));
    EXPECT_TRUE(std::all_of(after.begin(), after.end(), [](int h) { return h == 1; }));
  }
  vae::set_blas_threads(1);
}

TEST(FusedPasses, ReparamWithKlEqualsTheSeparatePassesBitForBit) {
  const std::size_t n = 128 * 20;
  const std::vector<float> mu = randn(n, 51), logvar = randn(n, 52), eps = randn(n, 53), dz = randn(n, 54);
  std::vector<float> z1(n), z2(n);
  const double kl1 = vae::reparam_kl_forward(z1.data(), mu.data(), logvar.data(), eps.data(), n);
  vae::reparam_forward(z2.data(), mu.data(), logvar.data(), eps.data(), n);
  const double kl2 = vae::kl_loss(nullptr, nullptr, mu.data(), logvar.data(), n, 1.0f);
  EXPECT_EQ(z1, z2);
  EXPECT_EQ(kl1, kl2);
  for (const float beta : {0.0f, 0.5f, 1.0f}) {
    std::vector<float> dm1(n), dl1(n), dm2(n), dl2(n);
    vae::reparam_kl_backward(dm1.data(), dl1.data(), dz.data(), mu.data(), logvar.data(), eps.data(), n, beta);
    vae::reparam_backward(dm2.data(), dl2.data(), dz.data(), logvar.data(), eps.data(), n);
    vae::kl_loss(dm2.data(), dl2.data(), mu.data(), logvar.data(), n, beta);
    EXPECT_EQ(dm1, dm2) << "beta " << beta;
    EXPECT_EQ(dl1, dl2) << "beta " << beta;
  }
}

// The training step's noise (vae::fill_normal) is rng_fill_normal's stream, bit for bit, and
// leaves the generator where rng_fill_normal does: for odd and even n, shorter and longer than a
// block, two streams and a few seeds.
TEST(FusedPasses, FillNormalEqualsRngFillNormalBitForBit) {
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{511},
                              std::size_t{512}, std::size_t{513}, std::size_t{2560}, std::size_t{100001}}) {
    for (const std::uint64_t seed : {1u, 7u, 2024u}) {
      vae_rt::Rng a, b;
      vae_rt::rng_seed(&a, seed, seed % 3);
      vae_rt::rng_seed(&b, seed, seed % 3);
      std::vector<float> za(n), zb(n);
      vae_rt::rng_fill_normal(&a, za.data(), n);
      vae::fill_normal(b, zb.data(), n);
      ASSERT_EQ(0, std::memcmp(za.data(), zb.data(), n * 4)) << "n " << n << " seed " << seed;
      EXPECT_EQ(a.state, b.state) << "n " << n;
      EXPECT_EQ(vae_rt::rng_u32(&a), vae_rt::rng_u32(&b));
    }
  }
}

}  // namespace

}  // namespace test_layers
