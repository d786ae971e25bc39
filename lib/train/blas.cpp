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

  void run(std::size_t lo, std::size_t hi) const {
    if (lo >= hi) return;
    if (split_rows) {
      const float* a = ta == Trans::yes ? A + lo : A + lo * lda;
      sgemm_1(ta, tb, hi - lo, N, K, alpha, a, lda, B, ldb, beta, C + lo * ldc, ldc);
    } else {
      const float* b = tb == Trans::yes ? B + lo * ldb : B + lo;
      sgemm_1(ta, tb, M, hi - lo, K, alpha, A, lda, b, ldb, beta, C + lo, ldc);
    }
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
  GemmJob gemm{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, M > N};
  // Splitting pays only for products of a few MFLOP; small ones (the latent heads) run whole.
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  const std::size_t extent = gemm.split_rows ? M : N;
  parallel_run(extent, flops >= 4e6 ? 16 : extent + 1,
               [](void* ctx, std::size_t, std::size_t lo, std::size_t hi) {
                 static_cast<const GemmJob*>(ctx)->run(lo, hi);
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
