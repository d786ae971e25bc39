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

// --- work fused around a product (issue 19) -----------------------------------------------------
// The block of C that one part of a split product writes: rows [r0, r1) and columns [c0, c1) of
// C (row-major, leading dimension ldc), part `part` of `parts`. A product that runs whole is one
// part with the whole of C. Any product that writes C by blocks (sgemm below, or a custom kernel
// calling the hooks on its own chunks) can describe its chunks this way.
struct GemmBlock {
  float* c;
  std::size_t ldc, r0, r1, c0, c1, part, parts;
};
// Work on a part's block run in the same pool task as the part's product, right before it
// (a prologue: e.g. write the bias, then the product adds to it with beta = 1) or right after it
// (an epilogue: e.g. ReLU), while the block is still in that core's cache. fn must touch only its
// block of C (and whatever it owns by the block's columns or by `part`), so that parts never race
// and the result does not depend on which thread runs a part.
struct BlockHook {
  void (*fn)(const void* ctx, const GemmBlock& block) = nullptr;
  const void* ctx = nullptr;
  explicit operator bool() const { return fn != nullptr; }
  void operator()(const GemmBlock& block) const { if (fn) fn(ctx, block); }
};

// Two hooks as one: `first`, then `second`, on the same block (either may be empty).
struct HookPair {
  BlockHook first, second;
  BlockHook hook() const {
    return {[](const void* c, const GemmBlock& block) {
              const auto* p = static_cast<const HookPair*>(c);
              p->first(block);
              p->second(block);
            },
            this};
  }
};

// sgemm with a prologue and an epilogue per part (either may be empty). Without hooks it is the
// same call as sgemm above: the same parts, the same bits. With an epilogue, a product too small to
// be worth splitting alone (< 4 MFLOP) is still split when C has 16K values or more, so that the
// epilogue's pass is split too; on kernels whose last bits depend on the call's shape (OpenBLAS
// 0.3.21's Haswell kernels; not SkylakeX's or Cooperlake's) it then differs from the same product
// without an epilogue in the last bits.
void sgemm(Trans trans_a, Trans trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
           const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
           std::size_t ldc, BlockHook before, BlockHook after);

// --- several products in one pool dispatch (issue 19) -----------------------------------------
// The latent heads' products are 2 MFLOP each (128 x 20 x 400 and its transposes): too small to
// split well (one alone ran at 71-140 GFLOP/s against a ceiling of 235-260 GFLOP/s at 2 threads), and
// issued one after another, one core idled through each. Independent ones can run side by side
// instead, and two products into the same C can share one split. A GemmCall is one sgemm's
// arguments, hooks included (the shaped products of vae/tensor.hpp make them: gemm_xwt, ...).
struct GemmCall {
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
  BlockHook before, after;
};
// One product as sgemm runs it (split or whole by sgemm's rule, hooks included).
void sgemm(const GemmCall& call);
// Each product whole (one part, the whole of its C, as a product too small to split runs in
// sgemm), all in one dispatch: with 2 threads and 2 products, one on each core. If any of them
// is big enough for sgemm to split and they are not one per thread (the heads at a batch of 250
// or more, at 4 threads), each is issued through sgemm instead, one after the other. A product
// does not depend on the thread that runs it. Whole where sgemm would split it, its bits are
// OpenBLAS's for the whole C: the same as sgemm's split into blocks of rows or columns with
// SkylakeX's and Cooperlake's kernels, not with Haswell's (an element's last bits there depend on
// the call's shape), so not promised.
void sgemm_each(const GemmCall* calls, std::size_t n);
// Whether sgemm_each runs these calls side by side, each whole: when they are all too small to
// split, or when there are exactly as many as the pool's threads (dec_out's dW and d_h, 80 MFLOP
// each, one per core at 2 threads: no split, no hand-off between them). A caller whose hooks need
// a whole C (a column sum over all rows) asks first.
bool sgemm_side_by_side(const GemmCall* calls, std::size_t n);
// C = the products added in order into ONE C (calls[0].C, all calls with the same M, N, C, ldc;
// calls after the first have beta = 1), split as sgemm splits C (M, N): each part runs every
// product on its block, in order, then `after` on the block. For d_h = d_mu W_mu + d_logvar
// W_logvar, then ReLU', in one dispatch where it took two. Hooks of the calls themselves are not
// run.
void sgemm_sum(const GemmCall* calls, std::size_t n, BlockHook after);

// How sgemm splits C (M, N): by blocks of rows when M > N, else by blocks of columns. A hook that
// needs whole columns (a column sum) checks this; the parts' extents are multiples of 16.
inline bool sgemm_splits_rows(std::size_t M, std::size_t N) { return M > N; }

// Threads (>= 1) for every later sgemm in this process; the calling thread is one of them.
// Starts or stops pool workers, so call it outside the training loop.
void set_blas_threads(int threads);
int blas_threads();

// The OpenBLAS kernels in use, e.g. "SkylakeX". OpenBLAS 0.3.21 takes its SSE3 fallback on CPUs
// it does not know (Intel family 6 model 207, with AVX-512, among them), about 3x slower; unless
// OPENBLAS_CORETYPE is set, the library then selects the kernels the CPU supports when it loads,
// and says so here: "SkylakeX (OpenBLAS chose Prescott for this CPU; OPENBLAS_CORETYPE overrides)".
// A user's OPENBLAS_CORETYPE always wins; when it names kernels below the CPU's vector unit, this
// says what the CPU runs: "Haswell (named by OPENBLAS_CORETYPE; this CPU runs Cooperlake, faster)".
// vae_train records it in metrics.json and vae_report in its summary.
std::string blas_kernels();

// Set flush-to-zero and denormals-are-zero on the calling thread (x86 MXCSR); a no-op elsewhere.
// The pool's workers take the calling thread's mode at every sgemm.
void set_flush_denormals();

}  // namespace vae
