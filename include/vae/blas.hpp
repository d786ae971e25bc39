// vae/blas.hpp - the training library's door to OpenBLAS, and its threads.
//
// Every matrix product of the training step is one call to sgemm below, on arena memory: a thin
// wrapper over cblas_sgemm (row-major) that keeps cblas.h out of the public headers. The layers
// do not call it directly: they call the shaped products of vae/tensor.hpp (matmul_xwt,
// matmul_dytx, matmul_dyw), which take sizes and leading dimensions from the handles' static
// shapes and refuse mismatched shapes at compile time.
//
// Threads are the library's own, not OpenBLAS's. OpenBLAS runs single-threaded and sgemm splits
// the output C into fixed row or column blocks, one per thread of a small persistent pool.
// Why: OpenBLAS 0.3.21's threaded level-3 driver mallocs a 512 KB job array on every call
// (seen with the allocation-counting test), which would break the zero-allocation step; and our
// own workers can carry the caller's floating-point mode (flush-to-zero) with them. The
// partition depends only on the shapes and the thread count, and each output element is
// computed by one thread with OpenBLAS's K order, so a given thread count repeats bit for bit.
#pragma once

#include <cstddef>
#include <string>

namespace vae {

enum class Trans : bool { no = false, yes = true };

// C (M, N) = alpha * op(A) (M, K) * op(B) (K, N) + beta * C, all row-major.
void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc);

// Threads (>= 1) for every later sgemm in this process; the calling thread is one of them.
// Starts or stops pool workers, so call it outside the training loop.
void set_blas_threads(int threads);
int blas_threads();

// The OpenBLAS kernels in use, e.g. "SkylakeX". OpenBLAS 0.3.21 takes its SSE3 fallback on CPUs
// it does not know (Intel family 6 model 207, with AVX-512, among them), about 3x slower; unless
// OPENBLAS_CORETYPE is set, the library then selects the kernels the CPU supports when it loads,
// and says so here: "SkylakeX (OpenBLAS chose Prescott for this CPU; OPENBLAS_CORETYPE overrides)".
std::string blas_kernels();

// Set flush-to-zero and denormals-are-zero on the calling thread (x86 MXCSR); a no-op elsewhere.
// The pool's workers take the calling thread's mode at every sgemm.
void set_flush_denormals();

}  // namespace vae
