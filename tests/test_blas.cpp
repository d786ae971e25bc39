// test_blas.cpp - sgemm through the library's thread pool against a naive double-precision
// product, for every transpose combination and several thread counts; parallel_for coverage;
// identical results when repeated with the same thread count; xt::blas::gemm on adaptors against
// the shaped products (vae/tensor.hpp).
#include "vae/blas.hpp"

#include <gtest/gtest.h>

#include <xtensor-blas/xblas.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <string>
#include <vector>

#include <strings.h>   // strcasecmp

#include "alloc_counter.hpp"
#include "vae/parallel.hpp"
#include "vae/tensor.hpp"
#include "vae_rt/rng.h"

namespace test_blas {

namespace {

std::vector<float> randn(std::size_t n, std::uint64_t seed) {
  vae_rt::Rng r;
  vae_rt::rng_seed(&r, seed, 1);
  std::vector<float> v(n);
  vae_rt::rng_fill_normal(&r, v.data(), n);
  return v;
}

struct Shape {
  std::size_t M, N, K;
};

class Sgemm : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { vae::set_blas_threads(GetParam()); }
  void TearDown() override { vae::set_blas_threads(1); }
};

TEST_P(Sgemm, MatchesNaiveProductForEveryTransposeAndShape) {
  // The training step's shapes (batch 128, 784-400-20) and some odd ones that do not divide by 16.
  for (const Shape s : {Shape{128, 400, 784}, Shape{400, 784, 128}, Shape{128, 784, 400},
                        Shape{128, 20, 400}, Shape{37, 53, 29}, Shape{5, 300, 7}}) {
    for (int ta = 0; ta < 2; ++ta) {
      for (int tb = 0; tb < 2; ++tb) {
        const std::size_t M = s.M, N = s.N, K = s.K;
        const std::vector<float> A = randn(M * K, 1), B = randn(K * N, 2), C0 = randn(M * N, 3);
        std::vector<float> C = C0;
        const std::size_t lda = ta ? M : K, ldb = tb ? K : N;
        vae::sgemm(ta ? vae::Trans::yes : vae::Trans::no, tb ? vae::Trans::yes : vae::Trans::no, M, N, K,
                   0.5f, A.data(), lda, B.data(), ldb, 2.0f, C.data(), N);
        double worst = 0.0;
        for (std::size_t i = 0; i < M; ++i) {
          for (std::size_t j = 0; j < N; ++j) {
            double ref = 2.0 * C0[i * N + j], magnitude = std::fabs(ref);
            for (std::size_t k = 0; k < K; ++k) {
              const double a = ta ? A[k * M + i] : A[i * K + k];
              const double b = tb ? B[j * K + k] : B[k * N + j];
              ref += 0.5 * a * b;
              magnitude += std::fabs(0.5 * a * b);
            }
            // float32 summation of K terms: rounding error grows like sqrt(K) * 2^-24 * sum |terms|
            // for random data (K * 2^-24 * sum |terms| at worst); a wrong block errs by O(1).
            const double tol = std::sqrt(static_cast<double>(K)) * 6e-8 * magnitude + 1e-6;
            worst = std::max(worst, std::fabs(C[i * N + j] - ref) / tol);
          }
        }
        EXPECT_LT(worst, 2.0) << "M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb;
      }
    }
  }
}

TEST_P(Sgemm, RepeatsBitForBit) {
  const std::size_t M = 128, N = 784, K = 400;
  const std::vector<float> A = randn(M * K, 4), B = randn(N * K, 5);
  std::vector<float> C1(M * N), C2(M * N);
  vae::sgemm(vae::Trans::no, vae::Trans::yes, M, N, K, 1.0f, A.data(), K, B.data(), K, 0.0f, C1.data(), N);
  vae::sgemm(vae::Trans::no, vae::Trans::yes, M, N, K, 1.0f, A.data(), K, B.data(), K, 0.0f, C2.data(), N);
  EXPECT_EQ(C1, C2);
}

TEST_P(Sgemm, ParallelForCoversEveryIndexOnce) {
  for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 1000u, 100003u}) {
    std::vector<std::atomic<int>> hits(n);
    const std::size_t parts = vae::parallel_for(n, 16, [&](std::size_t part, std::size_t lo, std::size_t hi) {
      EXPECT_LT(part, vae::parallel_parts());
      for (std::size_t i = lo; i < hi; ++i) hits[i].fetch_add(1);
    });
    EXPECT_GE(parts, 1u);
    EXPECT_LE(parts, static_cast<std::size_t>(GetParam()));
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

// sgemm_each: each product as vae::sgemm alone gives it, with its hooks, whichever thread runs it;
// sgemm_sum: the products into one C as the same calls one after another (the first assigning,
// the next adding), then the epilogue once per block: the latent heads' shapes, as vae/vae.hpp
// issues them.
// At batch 128 the heads' products are small and run whole, side by side; at 512 they are big
// enough for sgemm to split: sgemm_each issues them through sgemm unless there is one product per
// thread (2 threads), when it runs them whole side by side all the same; sgemm_sum splits by rows.
TEST_P(Sgemm, EachAndSumEqualTheProductsIssuedAlone) {
  for (const std::size_t B : {std::size_t{128}, std::size_t{512}}) {
  SCOPED_TRACE(B);
  const std::size_t H = 400, Z = 20;
  const std::vector<float> h = randn(B * H, 31), w1 = randn(Z * H, 32), w2 = randn(Z * H, 33);
  const std::vector<float> d1 = randn(B * Z, 34), d2 = randn(B * Z, 35);
  using vae::Trans;
  {   // three products side by side: y1 = h W1^T, y2 = h W2^T, dW = d1^T h; bias 0.5 as a prologue
    std::vector<float> y1(B * Z), y2(B * Z), dw(Z * H), r1(B * Z), r2(B * Z), rdw(Z * H);
    auto half = [](const void*, const vae::GemmBlock& b) {
      for (std::size_t i = b.r0; i < b.r1; ++i)
        for (std::size_t j = b.c0; j < b.c1; ++j) b.c[i * b.ldc + j] = 0.5f;
    };
    const vae::BlockHook bias{half, nullptr};
    const vae::GemmCall calls[] = {
        {Trans::no, Trans::yes, B, Z, H, 1.0f, h.data(), H, w1.data(), H, 1.0f, y1.data(), Z, bias, {}},
        {Trans::no, Trans::yes, B, Z, H, 1.0f, h.data(), H, w2.data(), H, 1.0f, y2.data(), Z, bias, {}},
        {Trans::yes, Trans::no, Z, H, B, 1.0f, d1.data(), Z, h.data(), H, 0.0f, dw.data(), H, {}, {}}};
    vae::sgemm_each(calls, 3);
    // Side by side, each product runs whole on one thread: so does its reference. Else sgemm_each
    // issues each through sgemm, and the references are split as they are (some kernels' last bits
    // depend on the call's shape: test_layers.cpp, same_split).
    const int threads = vae::blas_threads();
    if (vae::sgemm_side_by_side(calls, 3)) vae::set_blas_threads(1);
    std::fill(r1.begin(), r1.end(), 0.5f);
    std::fill(r2.begin(), r2.end(), 0.5f);
    vae::sgemm(Trans::no, Trans::yes, B, Z, H, 1.0f, h.data(), H, w1.data(), H, 1.0f, r1.data(), Z);
    vae::sgemm(Trans::no, Trans::yes, B, Z, H, 1.0f, h.data(), H, w2.data(), H, 1.0f, r2.data(), Z);
    vae::sgemm(Trans::yes, Trans::no, Z, H, B, 1.0f, d1.data(), Z, h.data(), H, 0.0f, rdw.data(), H);
    vae::set_blas_threads(threads);
    EXPECT_EQ(y1, r1);
    EXPECT_EQ(y2, r2);
    EXPECT_EQ(dw, rdw);
  }
  {   // d_h = d1 W1 + d2 W2, then an epilogue that counts the elements it sees
    std::vector<float> dh(B * H, 7.0f), ref(B * H);
    std::atomic<std::size_t> seen{0};
    auto count = [](const void* c, const vae::GemmBlock& b) {
      static_cast<std::atomic<std::size_t>*>(const_cast<void*>(c))->fetch_add((b.r1 - b.r0) * (b.c1 - b.c0));
    };
    const vae::GemmCall calls[] = {
        {Trans::no, Trans::no, B, H, Z, 1.0f, d1.data(), Z, w1.data(), H, 0.0f, dh.data(), H, {}, {}},
        {Trans::no, Trans::no, B, H, Z, 1.0f, d2.data(), Z, w2.data(), H, 1.0f, dh.data(), H, {}, {}}};
    vae::sgemm_sum(calls, 2, vae::BlockHook{count, &seen});
    // The references split as the sum is (by its epilogue): an epilogue that does nothing.
    const vae::BlockHook same_split{[](const void*, const vae::GemmBlock&) {}, nullptr};
    for (const auto& g : calls) {
      vae::sgemm(Trans::no, Trans::no, B, H, Z, 1.0f, g.A, Z, g.B, H, g.beta, ref.data(), H, {}, same_split);
    }
    EXPECT_EQ(dh, ref);
    EXPECT_EQ(seen.load(), B * H);
  }
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, Sgemm, ::testing::Values(1, 2, 3));

TEST(Blas, ThreadCountIsSetAndReported) {
  vae::set_blas_threads(2);
  EXPECT_EQ(vae::blas_threads(), 2);
  vae::set_blas_threads(0);   // clamped to 1
  EXPECT_EQ(vae::blas_threads(), 1);
}

}  // namespace

// --- why the shaped products (vae/tensor.hpp) run on vae::sgemm, not xt::blas::gemm -----------
// xt::blas::gemm into an existing adaptor allocates nothing and gives our product bit for bit at
// one thread (one cblas_sgemm either way), but it is one call: it cannot split over our pool. The
// timing beside it (printed, not asserted: the machine is shared) shows what the second thread
// buys on the step's largest product, dec_out's forward (128 x 784 x 400).
// OpenBLAS 0.3.21 falls back to SSE3 kernels on CPUs it does not know (vae/blas.hpp). On a CPU
// with AVX2 + FMA the kernels in use must be ones that use them, unless the user chose a core:
// then they are the user's, and when they are below the CPU's vector unit blas_kernels() names
// the core the CPU runs. ctest runs this test three ways (tests/CMakeLists.txt): in the
// environment as it is, with OPENBLAS_CORETYPE unset, and with it naming Prescott (SSE3).
TEST(Blas, KernelsUseTheCpusVectorUnits) {
  const std::string kernels = vae::blas_kernels();
  std::printf("OpenBLAS kernels: %s\n", kernels.c_str());
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    GTEST_SKIP() << "this CPU has no AVX2 + FMA";
  }
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  const std::string best = avx512 ? (__builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX") : "Haswell";
  const std::string core = kernels.substr(0, kernels.find(' '));
  // The vector unit of OpenBLAS's x86-64 cores: 1 SSE, 2 AVX, 3 AVX2 + FMA, 4 AVX-512; 0 unknown.
  const auto level = [](const std::string& c) {
    static const char* const by_unit[] = {
        " Prescott Core2 Penryn Dunnington Nehalem Atom Barcelona Opteron ",
        " Sandybridge Bulldozer Piledriver Steamroller ", " Haswell Excavator Zen ",
        " SkylakeX Cooperlake SapphireRapids "};
    for (int u = 0; u < 4; ++u) {
      if (std::string(by_unit[u]).find(" " + c + " ") != std::string::npos) return u + 1;
    }
    return 0;
  };
  if (const char* named = std::getenv("OPENBLAS_CORETYPE")) {
    EXPECT_EQ(strcasecmp(core.c_str(), named), 0) << "the user's OPENBLAS_CORETYPE wins: " << kernels;
    const bool below = level(core) != 0 && level(core) < level(best);
    EXPECT_EQ(kernels.find("this CPU runs " + best) != std::string::npos, below) << kernels;
    return;
  }
  EXPECT_GE(level(core), 3) << kernels;
  if (avx512 && kernels.find("chose") != std::string::npos) {
    EXPECT_EQ(level(core), 4) << kernels;
  }
  EXPECT_EQ(kernels.find("this CPU runs"), std::string::npos) << kernels;
#endif
}

TEST(XtBlasGemm, IntoAnAdaptorIsAllocationFreeAndMatchesOurSgemmAtOneThread) {
  constexpr std::size_t B = 128, In = 400, Out = 784;
  std::vector<float> x = randn(B * In, 21), w = randn(Out * In, 22);
  std::vector<float> y_ours(B * Out), y_xt(B * Out);
  const vae::Rows<In> xr(x.data(), B);
  const vae::Mat<Out, In> wm(w.data());
  const vae::Rows<Out> yr(y_ours.data(), B);
  auto xa = xr.xt(B);
  auto wa = wm.xt();
  auto ya = vae::Rows<Out>(y_xt.data(), B).xt(B);
  vae::set_blas_threads(1);
  vae::matmul_xwt(yr, xr, wm, B, 0.0f);
  xt::blas::gemm(xa, wa, ya, false, true);   // warm-up
  const std::size_t before = vae_test::allocation_count();
  xt::blas::gemm(xa, wa, ya, false, true);   // y = x W^T
  const std::size_t after = vae_test::allocation_count();
  EXPECT_EQ(after - before, 0u) << "xt::blas::gemm into an adaptor allocated";
  EXPECT_EQ(0, std::memcmp(y_ours.data(), y_xt.data(), y_ours.size() * sizeof(float)))
      << "xt::blas::gemm and vae::sgemm differ at one thread";

  auto time_of = [](auto&& f) {
    double best = 1e9;
    for (int r = 0; r < 20; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      f();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
  };
  const double t_xt = time_of([&] { xt::blas::gemm(xa, wa, ya, false, true); });
  vae::set_blas_threads(2);
  const double t_ours2 = time_of([&] { vae::matmul_xwt(yr, xr, wm, B, 0.0f); });
  vae::set_blas_threads(1);
  std::printf("dec_out forward 128x784x400, best of 20: xt::blas::gemm %.3f ms (one call), "
              "vae::matmul_xwt on 2 threads %.3f ms\n", t_xt * 1e3, t_ours2 * 1e3);
}

}  // namespace test_blas
