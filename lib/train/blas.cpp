// blas.cpp - sgemm over OpenBLAS's CBLAS, split across the library's own thread pool
// (lib/train/thread_pool.cpp; why our pool and not OpenBLAS's threads: vae/blas.hpp).
#include "vae/blas.hpp"

#include "vae/parallel.hpp"

#include <cblas.h>


namespace vae {
namespace {

void sgemm_1(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, float alpha,
             const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
             std::size_t ldc) {
  cblas_sgemm(CblasRowMajor, ta == Trans::yes ? CblasTrans : CblasNoTrans,
              tb == Trans::yes ? CblasTrans : CblasNoTrans, static_cast<blasint>(M),
              static_cast<blasint>(N), static_cast<blasint>(K), alpha, A, static_cast<blasint>(lda),
              B, static_cast<blasint>(ldb), beta, C, static_cast<blasint>(ldc));
}

// One sgemm to be split: part p of `parts` computes a block of C's rows or columns.
struct GemmJob {
  Trans ta, tb;
  std::size_t M, N, K;
  float alpha;
  const float* A;
  std::size_t lda;
  const float* B;
  std::size_t ldb;
  float beta;
  float* C;
  std::size_t ldc;
  bool split_rows;   // else columns
  BlockHook before, after;
  std::size_t parts;

  void run(std::size_t part, std::size_t lo, std::size_t hi) const {
    if (lo >= hi) return;
    const GemmBlock block = split_rows ? GemmBlock{C, ldc, lo, hi, 0, N, part, parts}
                                       : GemmBlock{C, ldc, 0, M, lo, hi, part, parts};
    before(block);
    if (split_rows) {
      const float* a = ta == Trans::yes ? A + lo : A + lo * lda;
      sgemm_1(ta, tb, hi - lo, N, K, alpha, a, lda, B, ldb, beta, C + lo * ldc, ldc);
    } else {
      const float* b = tb == Trans::yes ? B + lo * ldb : B + lo;
      sgemm_1(ta, tb, M, hi - lo, K, alpha, A, lda, b, ldb, beta, C + lo, ldc);
    }
    after(block);
  }
};

// OpenBLAS must stay single-threaded: our pool is the parallelism.
const bool g_openblas_single = [] {
  openblas_set_num_threads(1);
  return true;
}();

}  // namespace

void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc) {
  sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, BlockHook{}, BlockHook{});
}

void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc, BlockHook before, BlockHook after) {
  GemmJob gemm{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
               sgemm_splits_rows(M, N), before, after, 1};
  // Splitting pays only for products of a few MFLOP; small ones (the latent heads) run whole,
  // unless an epilogue makes a pass over a C of 16K values or more (the heads' d_h, 128 x 400,
  // with ReLU' and the bias gradient fused: issue 19).
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  const std::size_t extent = gemm.split_rows ? M : N;
  const bool split = flops >= 4e6 || (after && M * N >= 16384);
  gemm.parts = parallel_plan(extent, split ? 16 : extent + 1);
  parallel_run(extent, split ? 16 : extent + 1,
               [](void* ctx, std::size_t part, std::size_t lo, std::size_t hi) {
                 static_cast<const GemmJob*>(ctx)->run(part, lo, hi);
               },
               &gemm);
}

void set_blas_threads(int threads) {
  (void)g_openblas_single;
  openblas_set_num_threads(1);
  set_pool_threads(threads);
}

int blas_threads() { return static_cast<int>(parallel_parts()); }

}  // namespace vae
