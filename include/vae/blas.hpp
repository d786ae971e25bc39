// vae/blas.hpp - the training library's door to OpenBLAS.
//
// Every matrix product of the training step is one call to sgemm below, on arena memory. It is a
// thin wrapper over cblas_sgemm (row-major), so that cblas.h stays out of the public headers.
// OpenBLAS's threads are set once per process; with one thread results are bit-reproducible.
#pragma once

#include <cstddef>

namespace vae {

enum class Trans : bool { no = false, yes = true };

// C (M, N) = alpha * op(A) (M, K) * op(B) (K, N) + beta * C, all row-major.
void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc);

// OpenBLAS worker threads (>= 1) for every later sgemm in this process.
void set_blas_threads(int threads);
int blas_threads();

// Set flush-to-zero and denormals-are-zero on the calling thread (x86 MXCSR); a no-op elsewhere.
void set_flush_denormals();

}  // namespace vae
